//! `scan --record`, `history` and `history diff` through the real binary, on an SQLite file
//! and on a real PostgreSQL server.

use serde_json::Value;

use crate::util::Dir;

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: app
          image: nginx:1.27
";

fn json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn scan_json(dir: &Dir, db: &str) -> Value {
    let out = dir.run(&[
        "scan",
        "m",
        "-f",
        "json",
        "--fail-on",
        "none",
        "--record",
        "--db",
        db,
        "--target",
        "prod",
    ]);
    json(&out)
}

/// Two recorded scans with hostNetwork fixed in between (and lines shifted above the rest),
/// then the history and the diff, checked against the two scan reports themselves.
fn record_twice_then_query(dir: &Dir, db: &str) {
    dir.create("m/deploy.yaml", DEPLOYMENT);
    let first = scan_json(dir, db);
    let fixed = DEPLOYMENT.replace("      hostNetwork: true\n", "");
    dir.create(
        "m/deploy.yaml",
        format!("# moved down\n# by two comments\n{fixed}"),
    );
    let second = scan_json(dir, db);
    let count = |report: &Value| report["findings"].as_array().unwrap().len();
    assert_eq!(count(&first), count(&second) + 1);

    let history = json(&dir.run(&["history", "--db", db, "--target", "prod", "-f", "json"]));
    let targets = history["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0]["target"], "prod");
    let scans = targets[0]["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2);
    let (s1, s2) = (&scans[0], &scans[1]);
    assert_eq!(s1["appeared"].as_array().unwrap().len(), count(&first));
    assert_eq!(s1["scan"]["fixed"], 0);
    assert_eq!(s2["scan"]["previousId"], s1["scan"]["id"]);
    assert_eq!(
        s2["scan"]["appeared"], 0,
        "moved lines are not new findings"
    );
    let gone = s2["fixed"].as_array().unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0]["ruleId"], "PAL-POD-001");
    assert_eq!(gone[0]["field"], "spec.template.spec.hostNetwork");
    assert_eq!(
        s2["scan"]["counts"]["high"],
        s1["scan"]["counts"]["high"].as_u64().unwrap() - 1
    );
    let high = &targets[0]["trend"]["high"];
    assert_eq!(high["change"], -1);

    let (a, b) = (s1["scan"]["id"].to_string(), s2["scan"]["id"].to_string());
    let diff = json(&dir.run(&["history", "--db", db, "diff", &a, &b, "-f", "json"]));
    assert_eq!(diff["counts"]["fixed"], 1);
    assert_eq!(diff["counts"]["new"], 0);
    assert_eq!(
        diff["counts"]["unchanged"].as_u64().unwrap() as usize,
        count(&second)
    );
    assert_eq!(diff["fixed"][0]["ruleId"], "PAL-POD-001");
    // Unchanged findings are listed where the newer scan has them (one line lower).
    let line_of = |report: &Value, rule: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["ruleId"] == rule)
            .map(|f| f["location"]["line"].clone())
            .unwrap()
    };
    let moved = diff["unchanged"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "PAL-IMG-002")
        .unwrap();
    assert_eq!(moved["line"], line_of(&second, "PAL-IMG-002"));
    assert_ne!(moved["line"], line_of(&first, "PAL-IMG-002"));

    let table = dir.run(&["history", "--db", db, "diff", &a, &b]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("new 0, fixed 1, unchanged"), "{text}");
    assert!(
        text.contains("- high PAL-POD-001 Deployment/prod/web"),
        "{text}"
    );
}

#[test]
fn record_history_and_diff_on_sqlite() {
    let dir = Dir::new("history-sqlite");
    let db = dir.root.join("h.db");
    record_twice_then_query(&dir, db.to_str().unwrap());
}

#[test]
fn record_history_and_diff_on_postgres() {
    let server = palisade_testkit::Postgres::start().unwrap();
    let url = server.create_database("cli").unwrap();
    let dir = Dir::new("history-postgres");
    record_twice_then_query(&dir, &url);
    let history = json(&dir.run(&["history", "--db", &url, "-f", "json"]));
    assert_eq!(history["store"], "postgres");
}

/// A sidecar added in front of the app container: the app container's findings are the same
/// findings (identified by container name, not index), only the sidecar's are new.
#[test]
fn a_sidecar_in_front_does_not_renew_the_app_containers_findings() {
    let dir = Dir::new("history-sidecar");
    let db = dir.root.join("h.db");
    let db = db.to_str().unwrap();
    dir.create("m/deploy.yaml", DEPLOYMENT);
    let first = scan_json(&dir, db);
    let with_sidecar = DEPLOYMENT.replace(
        "      containers:\n",
        "      containers:\n        - name: proxy\n          image: envoy:1.31\n",
    );
    dir.create("m/deploy.yaml", with_sidecar);
    let second = scan_json(&dir, db);
    let on = |report: &Value, container: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("`{container}`"))
            })
            .count()
    };
    assert!(on(&first, "app") > 0);
    assert_eq!(on(&first, "app"), on(&second, "app"));
    let history = json(&dir.run(&["history", "--db", db, "-f", "json"]));
    let s2 = &history["targets"][0]["scans"][1];
    let appeared = s2["appeared"].as_array().unwrap();
    assert_eq!(appeared.len(), on(&second, "proxy"), "{appeared:#?}");
    assert!(appeared
        .iter()
        .all(|f| f["message"].as_str().unwrap().contains("`proxy`")));
    assert_eq!(s2["fixed"].as_array().unwrap().len(), 0, "{s2:#?}");
}

#[test]
fn the_default_database_is_under_xdg_data_home() {
    let dir = Dir::new("history-default");
    dir.create("m/deploy.yaml", DEPLOYMENT);
    let data = dir.root.join("data");
    let out = dir
        .command()
        .env("XDG_DATA_HOME", &data)
        .args(["scan", "m", "--fail-on", "none", "--record"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.join("palisade/history.db").is_file());
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The default target is the scanned path, made absolute.
    let target = std::fs::canonicalize(dir.root.join("m")).unwrap();
    assert!(
        stderr.contains(&format!("recorded scan 1 of {}", target.display())),
        "{stderr}"
    );
    let listed = dir
        .command()
        .env("XDG_DATA_HOME", &data)
        .args(["history", "-f", "json"])
        .output()
        .unwrap();
    let listed = json(&listed);
    assert_eq!(listed["targets"][0]["target"], target.display().to_string());
}

#[test]
fn bad_history_arguments_exit_2_with_a_message() {
    let dir = Dir::new("history-bad");
    let db = dir.root.join("h.db");
    let db = db.to_str().unwrap();
    let out = dir.run(&["history", "--db", db, "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--since \"yesterday\""));
    let out = dir.run(&["history", "--db", db, "diff", "1", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no recorded scan with id 1"));
    // --db without --record is a usage error, not a silently ignored flag.
    let out = dir.run(&["scan", ".", "--db", db]);
    assert_eq!(out.status.code(), Some(2));
}
