//! A real etcd (Debian's etcd-server; scripts/setup.sh installs it) on free loopback ports:
//! once without authentication (critical, with the number of keys it lets anyone list) and
//! once with client-certificate authentication (protected).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use palisade_node::probe::{self, PortState, Service};

use crate::support::{certs, free_port, openssl, probe_port, quick, rule_ids};

/// An etcd process, killed when dropped.
struct Etcd {
    child: Child,
    client_port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts etcd on loopback; `tls` holds (cert, key, client CA) for client-cert auth.
fn start_etcd(tls: Option<(&Path, &Path, &Path)>) -> Etcd {
    let dir = tempfile::tempdir().unwrap();
    let (client_port, peer_port) = (free_port(), free_port());
    let scheme = if tls.is_some() { "https" } else { "http" };
    let client = format!("{scheme}://127.0.0.1:{client_port}");
    let peer = format!("http://127.0.0.1:{peer_port}");
    let mut cmd = Command::new("etcd");
    cmd.args(["--name", "probe-test", "--data-dir"])
        .arg(dir.path().join("data"))
        .args([
            "--listen-client-urls",
            &client,
            "--advertise-client-urls",
            &client,
        ])
        .args([
            "--listen-peer-urls",
            &peer,
            "--initial-advertise-peer-urls",
            &peer,
        ])
        .args(["--initial-cluster", &format!("probe-test={peer}")])
        .env("ETCD_UNSUPPORTED_ARCH", std::env::consts::ARCH)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some((cert, key, ca)) = tls {
        cmd.arg("--cert-file")
            .arg(cert)
            .arg("--key-file")
            .arg(key)
            .arg("--trusted-ca-file")
            .arg(ca)
            .arg("--client-cert-auth");
    }
    let mut child = cmd
        .spawn()
        .expect("etcd is installed (scripts/setup.sh installs Debian's etcd-server)");
    // etcd logs "ready to serve client requests" once the client listener serves.
    let stderr = child.stderr.take().unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut log = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("ready to serve client requests") {
                let _ = ready_tx.send(Ok(()));
            }
            log.push(line);
            if log.len() > 200 {
                log.remove(0);
            }
        }
        let _ = ready_tx.send(Err(log.join("\n")));
    });
    match ready_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(Ok(())) => {}
        Ok(Err(log)) => panic!("etcd exited before it was ready:\n{log}"),
        Err(_) => panic!("etcd not ready within 30 s"),
    }
    Etcd {
        child,
        client_port,
        _dir: dir,
    }
}

/// Writes a key through the v3 JSON gateway (test setup; the probe itself only reads).
fn put(port: u16, key: &str, value: &str) {
    let body = format!(
        r#"{{"key":"{}","value":"{}"}}"#,
        base64(key.as_bytes()),
        base64(value.as_bytes())
    );
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        conn,
        "POST /v3/kv/put HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn etcd_without_auth_is_critical_with_its_key_count() {
    let etcd = start_etcd(None);
    let keys = [
        "/registry/secrets/default/db",
        "/registry/pods/default/web",
        "/registry/namespaces/default",
        "/x",
    ];
    for key in keys {
        put(etcd.client_port, key, "value");
    }
    let run = probe_port(etcd.client_port, &quick());
    let ep = &run.endpoints[0];
    assert_eq!(ep.state, PortState::Open);
    assert!(
        matches!(&ep.service, Some(Service::Etcd { version }) if version.starts_with("3.")),
        "{:?}: {}",
        ep.service,
        ep.summary
    );
    let mut ids = rule_ids(&run);
    ids.sort();
    assert_eq!(ids, ["PAL-PROBE-001", "PAL-PROBE-002", "PAL-PROBE-003"]);
    let findings = probe::findings(&run);
    let readable = findings
        .iter()
        .find(|f| f.rule_id == "PAL-PROBE-001")
        .unwrap();
    assert_eq!(readable.severity, palisade_core::Severity::Critical);
    assert!(
        readable
            .message
            .contains(&format!("lists {} keys", keys.len())),
        "{}",
        readable.message
    );
    // Key names (never values) as evidence, in etcd's byte order.
    assert_eq!(
        readable.evidence.as_deref(),
        Some("/registry/namespaces/default, /registry/pods/default/web, /registry/secrets/default/db")
    );
    assert!(!ep.protected);
}

#[test]
fn etcd_with_client_cert_auth_is_protected() {
    let c = certs();
    let dir = tempfile::tempdir().unwrap();
    // etcd's own serving certificate, signed by the test CA.
    std::fs::copy(c.ca.with_file_name("ca.key"), dir.path().join("ca.key")).unwrap();
    std::fs::copy(&c.ca, dir.path().join("ca.crt")).unwrap();
    openssl(
        dir.path(),
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "etcd.key",
            "-out",
            "etcd.csr",
            "-subj",
            "/CN=etcd",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
    );
    openssl(
        dir.path(),
        &[
            "x509",
            "-req",
            "-in",
            "etcd.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "etcd.crt",
            "-days",
            "30",
            "-copy_extensions",
            "copy",
        ],
    );
    let etcd = start_etcd(Some((
        &dir.path().join("etcd.crt"),
        &dir.path().join("etcd.key"),
        &dir.path().join("ca.crt"),
    )));
    let run = probe_port(etcd.client_port, &quick());
    let ep = &run.endpoints[0];
    assert_eq!(ep.state, PortState::Open);
    assert!(ep.protected, "{}", ep.summary);
    assert!(ep.summary.contains("client certificate"), "{}", ep.summary);
    assert!(rule_ids(&run).is_empty(), "{:?}", rule_ids(&run));
    let notes = probe::notes(&run);
    assert!(
        notes[0].message.contains("protected"),
        "{}",
        notes[0].message
    );
}
