//! `palisade serve --admission`: the real binary serving HTTPS on loopback, asked by curl (a
//! real TLS client) about a privileged pod.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::Dir;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl")
        .args(["-sk", "--max-time", "5"])
        .args(args)
        .output()
        .expect("curl (run scripts/setup.sh)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn review(uid: &str, privileged: bool) -> String {
    format!(
        r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{
  "uid":"{uid}","kind":{{"group":"","version":"v1","kind":"Pod"}},
  "resource":{{"group":"","version":"v1","resource":"pods"}},
  "namespace":"shop","operation":"CREATE","userInfo":{{"username":"dev"}},
  "object":{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"web","namespace":"shop"}},
    "spec":{{"containers":[{{"name":"web","image":"registry.example/web@sha256:{digest}",
      "securityContext":{{"privileged":{privileged}}}}}]}}}}}}}}"#,
        digest = "a".repeat(64),
    )
}

#[test]
fn the_webhook_denies_a_privileged_pod_over_https() {
    let dir = Dir::new("serve");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = dir
        .command()
        .args(["serve", "--admission", "--dev-cert", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    let base = format!("https://{listen}");
    let started = Instant::now();
    loop {
        let (ok, body) = curl(&[&format!("{base}/readyz")]);
        if ok && !body.is_empty() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    let post = |body: &str| {
        curl(&[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
            &format!("{base}/validate"),
        ])
    };
    let (ok, body) = post(&review("u-1", true));
    assert!(ok, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["response"]["uid"], "u-1");
    assert_eq!(answer["response"]["allowed"], false, "{answer:#}");
    let message = answer["response"]["status"]["message"].as_str().unwrap();
    assert!(message.contains("PAL-POD-002"), "{message}");
    // Without `privileged`, the same pod is not denied for it.
    let (_, body) = post(&review("u-2", false));
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["response"]["uid"], "u-2");
    let message = answer["response"]["status"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(!message.contains("PAL-POD-002"), "{message}");
}

#[test]
fn serve_needs_a_certificate() {
    let dir = Dir::new("serve-nocert");
    let out = dir.run(&["serve", "--admission", "--listen", "127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dev-cert"));
}
