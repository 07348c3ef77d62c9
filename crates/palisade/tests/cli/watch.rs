//! `palisade watch` against a real kube-apiserver 1.20.2 (palisade-testkit): a pod created
//! through the API shows in `/report` within a second and goes when deleted, the metrics
//! parse as Prometheus text and carry the counts, `--record` files appeared then fixed, and
//! SIGTERM stops it cleanly; `watch manifests` passes the scan; `serve --cluster` feeds the
//! webhook's context cache from the same streams.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use palisade_testkit::ApiServer;
use serde_json::{json, Value};

use crate::util::{assert_exit, json, Dir};

/// A running `palisade` whose stderr lines are collected; stopped with SIGTERM on drop.
struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Running {
    fn start(dir: &Dir, args: &[&str]) -> Running {
        let mut child = dir
            .command()
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&lines);
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        Running { child, lines }
    }

    /// The first stderr line containing `needle`, waiting up to `seconds`.
    fn wait_line(&mut self, needle: &str, seconds: u64) -> String {
        let started = Instant::now();
        loop {
            if let Some(l) = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .find(|l| l.contains(needle))
            {
                return l.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("exited ({status}): {:#?}", self.lines.lock().unwrap());
            }
            assert!(
                started.elapsed() < Duration::from_secs(seconds),
                "no {needle:?} in {:#?}",
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn count(&self, needle: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// SIGTERM, then the exit status (within 10 s).
    fn stop(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` over plain HTTP: (status, body).
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// Prometheus text: `name{labels}` → value, every sample line checked for the format.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            assert!(
                line.split_whitespace().count() >= 4,
                "bad comment line: {line}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "bad labels in {line}");
        }
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        out.insert(series.to_string(), value);
    }
    out
}

fn post(server: &ApiServer, path: &str, body: &Value) {
    let (status, answer) = server.request("POST", path, Some(body)).unwrap();
    assert!(
        status == 201 || status == 409,
        "POST {path}: {status} {answer}"
    );
}

/// A namespace with its `default` ServiceAccount (no controller makes it here).
fn namespace(server: &ApiServer, ns: &str) {
    post(
        server,
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
    );
    post(
        server,
        &format!("/api/v1/namespaces/{ns}/serviceaccounts"),
        &json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}),
    );
}

/// Whether the report has `rule` on `Pod/ns/name`.
fn has(report: &Value, rule: &str, ns: &str, name: &str) -> bool {
    report["findings"].as_array().unwrap().iter().any(|f| {
        f["ruleId"] == rule
            && f["object"]["kind"] == "Pod"
            && f["object"]["namespace"] == ns
            && f["object"]["name"] == name
    })
}

/// Polls `/report` until `want(report)`, within `limit`; returns how long it took.
fn until(addr: &str, limit: Duration, want: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let (status, body) = get(addr, "/report");
        assert_eq!(status, 200, "{body}");
        let report: Value = serde_json::from_str(&body).unwrap();
        if want(&report) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "not within {limit:?}: {report:#}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

palisade_testkit::on_both_servers!(
    watch_reports_a_change_within_a_second_records_it_and_stops_on_sigterm,
    shared
);

fn watch_reports_a_change_within_a_second_records_it_and_stops_on_sigterm(server: &ApiServer) {
    let ns = "watch-cli";
    namespace(server, ns);
    let dir = Dir::new("watch");
    let kubeconfig = server.kubeconfig().display().to_string();
    let db = dir.root.join("history.db").display().to_string();
    let mut watch = Running::start(
        &dir,
        &[
            "watch",
            "--kubeconfig",
            &kubeconfig,
            "-n",
            ns,
            "--listen",
            "127.0.0.1:0",
            "--record",
            "--db",
            &db,
        ],
    );
    let line = watch.wait_line("listening on ", 60);
    let addr = line
        .rsplit("listening on ")
        .next()
        .unwrap()
        .trim()
        .to_string();
    let started = Instant::now();
    while get(&addr, "/readyz").0 != 200 {
        assert!(started.elapsed() < Duration::from_secs(60), "never ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(get(&addr, "/healthz").0, 200);
    watch.wait_line("recorded scan", 10);
    until(&addr, Duration::from_secs(5), |r| {
        !has(r, "PAL-POD-002", ns, "priv")
    });

    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "priv", "namespace": ns},
        "spec": {"automountServiceAccountToken": false,
                 "containers": [{"name": "c", "image": "nginx:1.25", "securityContext": {"privileged": true}}]}});
    post(server, &format!("/api/v1/namespaces/{ns}/pods"), &pod);
    let seen = until(&addr, Duration::from_secs(1), |r| {
        has(r, "PAL-POD-002", ns, "priv")
    });
    eprintln!("privileged pod reported {seen:?} after its create returned");

    // The metrics carry it.
    let (status, text) = get(&addr, "/metrics");
    assert_eq!(status, 200);
    let metrics = parse_metrics(&text);
    let rule = metrics
        .iter()
        .find(|(k, _)| k.starts_with("palisade_watch_findings_by_rule{rule=\"PAL-POD-002\""))
        .map(|(_, v)| *v);
    assert_eq!(rule, Some(1.0), "{text}");
    assert_eq!(
        metrics.get("palisade_watch_objects{kind=\"Pod\"}"),
        Some(&1.0),
        "{text}"
    );
    assert_eq!(metrics.get("palisade_watch_ready"), Some(&1.0));
    assert!(metrics["palisade_watch_events_total"] >= 1.0);
    assert!(metrics["palisade_watch_rejudge_seconds_count"] >= 1.0);
    assert!(metrics["palisade_watch_last_full_sync_timestamp_seconds"] > 1.7e9);
    let by_severity: f64 = metrics
        .iter()
        .filter(|(k, _)| k.starts_with("palisade_watch_findings{"))
        .map(|(_, v)| v)
        .sum();
    let (_, body) = get(&addr, "/report");
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        by_severity as usize,
        report["findings"].as_array().unwrap().len()
    );

    // Its change set settles (the debounced inventory-wide run) and is recorded.
    let started = Instant::now();
    while watch.count("recorded scan") < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:#?}",
            watch.lines.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Deleted: the finding goes.
    let path = format!("/api/v1/namespaces/{ns}/pods/priv?gracePeriodSeconds=0");
    let (status, answer) = server.request("DELETE", &path, None).unwrap();
    assert_eq!(status, 200, "{answer}");
    until(&addr, Duration::from_secs(1), |r| {
        !has(r, "PAL-POD-002", ns, "priv")
    });
    // Recorded: the first sync, the pod's findings appearing, then fixed.
    let started = Instant::now();
    while watch.count("recorded scan") < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:#?}",
            watch.lines.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = watch.stop();
    assert!(status.success(), "SIGTERM: {status}");

    let out = dir.run(&["history", "--db", &db, "--format", "json"]);
    assert_exit(&out, 0);
    let history = json(&out);
    let scans = history["targets"][0]["scans"].as_array().unwrap();
    assert!(scans.len() >= 3, "{history:#}");
    let mentions = |s: &Value, key: &str| {
        s[key]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["ruleId"] == "PAL-POD-002" && f["name"] == "priv")
    };
    let appeared = scans
        .iter()
        .position(|s| mentions(s, "appeared"))
        .expect("appeared");
    let fixed = scans
        .iter()
        .position(|s| mentions(s, "fixed"))
        .expect("fixed");
    assert!(appeared < fixed, "{history:#}");
}

#[test]
fn watch_manifests_pass_the_scan_and_grant_only_list_and_watch() {
    let dir = Dir::new("watch-manifests");
    let out = dir.run(&[
        "watch",
        "manifests",
        "--namespace",
        "sec",
        "--image",
        "reg.example/palisade@sha256:0123",
    ]);
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    for kind in [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Service",
        "NetworkPolicy",
    ] {
        assert!(text.contains(&format!("kind: {kind}\n")), "{kind} missing");
    }
    assert!(text.contains("replicas: 1\n"));
    assert!(text.contains("namespace: \"sec\""));
    let verbs: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("verbs:"))
        .collect();
    assert!(!verbs.is_empty());
    assert!(
        verbs.iter().all(|v| v.trim() == "verbs: [list, watch]"),
        "{verbs:?}"
    );
    assert!(text.contains("\"secrets\""));
    let scan = dir.run_stdin(
        &["scan", "-", "--format", "json", "--fail-on", "medium"],
        text.as_bytes(),
    );
    assert_exit(&scan, 0);
    let report = json(&scan);
    let serious: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ["critical", "high", "medium"].contains(&f["severity"].as_str().unwrap()))
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
}

fn review(uid: &str, ns: &str, service_account: &str) -> String {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "namespace": ns, "operation": "CREATE", "userInfo": {"username": "dev"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": ns},
                   "spec": {"serviceAccountName": service_account,
                            "containers": [{"name": "web", "image": "nginx:1.25"}]}}}})
    .to_string()
}

fn curl_post(url: &str, body: &str) -> String {
    let out = Command::new("curl")
        .args([
            "-sk",
            "--max-time",
            "5",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
            url,
        ])
        .output()
        .expect("curl (run scripts/setup.sh)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

palisade_testkit::on_both_servers!(
    serve_with_cluster_judges_pods_with_the_service_account_the_api_holds,
    shared
);

fn serve_with_cluster_judges_pods_with_the_service_account_the_api_holds(server: &ApiServer) {
    let ns = "watch-admission";
    namespace(server, ns);
    let dir = Dir::new("serve-cluster");
    let kubeconfig = server.kubeconfig().display().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut serve = Running::start(
        &dir,
        &[
            "serve",
            "--admission",
            "--dev-cert",
            "--listen",
            &listen,
            "--cluster",
            "--kubeconfig",
            &kubeconfig,
        ],
    );
    serve.wait_line("cluster cache synced", 60);
    let base = format!("https://{listen}");
    // Ready only once the cache has listed (the line above says it has).
    let started = Instant::now();
    loop {
        let out = Command::new("curl")
            .args([
                "-sk",
                "--max-time",
                "5",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                &format!("{base}/readyz"),
            ])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout) == "200" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Before the account exists: nothing shows it opts out of the token.
    let answer = curl_post(&format!("{base}/validate"), &review("u-1", ns, "robot"));
    assert!(answer.contains("\"u-1\""), "{answer}");
    assert!(answer.contains("PAL-POD-033"), "{answer}");
    post(
        server,
        &format!("/api/v1/namespaces/{ns}/serviceaccounts"),
        &json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"},
                "automountServiceAccountToken": false}),
    );
    let started = Instant::now();
    loop {
        let answer = curl_post(&format!("{base}/validate"), &review("u-2", ns, "robot"));
        assert!(answer.contains("\"u-2\""), "{answer}");
        if !answer.contains("PAL-POD-033") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the cache never learnt the account: {answer}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(serve.stop().success());
}

#[test]
fn watch_without_a_cluster_or_with_bad_install_values_exits_2_saying_why() {
    let dir = Dir::new("watch-bad");
    let out = dir.run(&[
        "watch",
        "--kubeconfig",
        "missing-kubeconfig",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_exit(&out, 2);
    assert!(
        crate::util::stderr(&out).contains("missing-kubeconfig"),
        "{}",
        crate::util::stderr(&out)
    );
    let out = dir.run(&["watch", "manifests", "--namespace", "Not A Name"]);
    assert_exit(&out, 2);
    assert!(crate::util::stderr(&out).contains("--namespace"));
    assert!(out.stdout.is_empty());
}
