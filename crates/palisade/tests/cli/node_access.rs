//! `palisade node access` over the fleet fixtures of palisade-node.

use std::path::PathBuf;

use crate::util::*;

fn fleet(node: &str) -> String {
    repo_root()
        .join("crates/palisade-node/tests/fixtures/fleet")
        .join(node)
        .to_str()
        .unwrap()
        .to_string()
}

fn access(d: &Dir, nodes: &[&str], extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = vec!["node".into(), "access".into()];
    for n in nodes {
        args.push("--root".into());
        args.push(fleet(n));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    d.run(&refs)
}

#[test]
fn fleet_table_lists_nodes_the_matrix_and_findings() {
    let d = Dir::new("node-access-table");
    let out = access(&d, &["node-a", "node-b", "node-c"], &["--color", "never"]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    for want in [
        "NODE node-a (host, sshd enabled, PAM pam_google_authenticator enforced)",
        "NODE node-c (control-plane, sshd disabled)",
        "FLEET ACCESS MATRIX",
        "PAL-SSH-006",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    let matrix = text.split("FLEET ACCESS MATRIX").nth(1).unwrap();
    let row = |user: &str| {
        matrix
            .lines()
            .find(|l| l.starts_with(&format!("{user} ")))
            .unwrap_or_else(|| panic!("no row {user}:\n{matrix}"))
            .to_string()
    };
    assert!(
        row("root").contains("key(1) | password ROOT"),
        "{}",
        row("root")
    );
    assert!(
        row("alice").contains("key(1)+password+otp MFA"),
        "{}",
        row("alice")
    );
    assert!(
        !matrix.contains("carol"),
        "node-c's sshd is masked:\n{matrix}"
    );
}

#[test]
fn json_has_nodes_matrix_and_a_valid_report() {
    let d = Dir::new("node-access-json");
    let out = access(&d, &["node-a", "node-b", "node-c"], &["--format", "json"]);
    assert_exit(&out, 1);
    let doc = json(&out);
    assert_eq!(doc["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(doc["matrix"]["nodes"][1], "node-b");
    let bob = doc["nodes"][1]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"]["name"] == "bob")
        .unwrap();
    assert_eq!(bob["keys"][0]["algorithm"], "ssh-dss");
    assert_eq!(bob["keys"][1]["bits"], 1024);
    let hits = hits(&doc["report"]);
    assert!(hits.iter().any(|(r, p, l)| r == "PAL-SSH-004"
        && p.ends_with("node-b/etc/ssh/sshd_config")
        && *l == 4));
    let file = d.root.join("report.json");
    std::fs::write(&file, serde_json::to_vec(&doc["report"]).unwrap()).unwrap();
    validate(&["-c", "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))"], &file, Some(repo_root().join("crates/palisade-report/schema/report-v1.schema.json")));
}

fn validate(args: &[&str], file: &std::path::Path, extra: Option<PathBuf>) {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut cmd = std::process::Command::new(python);
    cmd.args(args).arg(file);
    if let Some(e) = extra {
        cmd.arg(e);
    }
    let result = cmd.output().expect("python3 (run scripts/setup.sh)");
    assert!(
        result.status.success(),
        "{} does not validate:\n{}{}",
        file.display(),
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn sarif_and_junit_validate_against_their_schemas() {
    let d = Dir::new("node-access-schemas");
    let shared = repo_root().join("../shared/schemas");
    let out = access(&d, &["node-b"], &["--format", "sarif"]);
    assert_exit(&out, 1);
    let sarif = d.root.join("r.sarif");
    std::fs::write(&sarif, &out.stdout).unwrap();
    assert!(stdout(&out).contains("PAL-SSH-002"));
    let validator = shared.join("validate.py");
    validate(&[validator.to_str().unwrap(), "sarif"], &sarif, None);

    let out = access(&d, &["node-b"], &["--format", "junit"]);
    assert_exit(&out, 1);
    let junit = d.root.join("r.xml");
    std::fs::write(&junit, &out.stdout).unwrap();
    let result = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(shared.join("junit.xsd"))
        .arg(&junit)
        .output()
        .expect("xmllint (run scripts/setup.sh)");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn exit_codes_follow_fail_on_and_missing_roots() {
    let d = Dir::new("node-access-exit");
    assert_exit(&access(&d, &["node-a"], &[]), 0);
    assert_exit(&access(&d, &["node-b"], &["--fail-on", "none"]), 0);
    assert_exit(&access(&d, &["node-b"], &["--fail-on", "critical"]), 1);
    assert_exit(&access(&d, &["node-c"], &["--fail-on", "info"]), 0);
    let out = d.run(&["node", "access", "--root", "does-not-exist"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("root directory does not exist"));
    // --root is required.
    assert_exit(&d.run(&["node", "access"]), 2);
}

#[test]
fn ssh_expected_and_exceptions_remove_findings() {
    let d = Dir::new("node-access-exc");
    let count = |doc: &serde_json::Value, rule: &str| {
        hits(&doc["report"])
            .iter()
            .filter(|(r, _, _)| r == rule)
            .count()
    };
    let base = json(&access(&d, &["node-b"], &["--format", "json"]));
    assert_eq!(count(&base, "PAL-SSH-001"), 1);
    assert_eq!(count(&base, "PAL-SSH-005"), 3);
    let expected = json(&access(
        &d,
        &["node-b"],
        &["--format", "json", "--ssh-expected"],
    ));
    assert_eq!(count(&expected, "PAL-SSH-001"), 0);
    d.create(
        "palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [PAL-SSH-005]\n    kind: Node\n    name: node-b\n    reason: keys reviewed\n",
    );
    let config = d.root.join("palisade.yaml");
    let excepted = json(&access(
        &d,
        &["node-b"],
        &["--format", "json", "--config", config.to_str().unwrap()],
    ));
    assert_eq!(count(&excepted, "PAL-SSH-005"), 0);
    assert_eq!(
        excepted["report"]["suppressed"].as_array().unwrap().len(),
        3
    );
}
