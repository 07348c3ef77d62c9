//! Shared test harness: a server on 127.0.0.1 with a dev certificate in files, a real HTTPS
//! client (ureq over rustls) trusting it, and a raw TLS stream for byte-level tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use palisade_server::{dev_cert, start, CertSource, PemPair, ServerConfig, ServerHandle};
use serde_json::{json, Value};

pub struct Harness {
    pub handle: ServerHandle,
    pub dir: tempfile::TempDir,
    pub pair: PemPair,
    pub agent: ureq::Agent,
}

impl Harness {
    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("tls.crt")
    }
    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("tls.key")
    }
    pub fn url(&self, path: &str) -> String {
        format!(
            "https://localhost:{}{path}",
            self.handle.local_addr().port()
        )
    }
    pub fn addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// POSTs a body to /validate; returns status and body (JSON when it parses).
    pub fn post_raw(&self, body: Vec<u8>) -> (u16, Value) {
        let mut resp = self
            .agent
            .post(self.url("/validate"))
            .header("Content-Type", "application/json")
            .send(&body[..])
            .expect("request");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub fn post(&self, review: &Value) -> (u16, Value) {
        self.post_raw(serde_json::to_vec(review).unwrap())
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        let mut resp = self.agent.get(self.url(path)).call().expect("request");
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap_or_default())
    }
}

/// Starts a server; `tune` adjusts the config before it starts.
pub fn harness(tune: impl FnOnce(&mut ServerConfig)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let pair = dev_cert(&[]).unwrap();
    std::fs::write(dir.path().join("tls.crt"), &pair.cert_pem).unwrap();
    std::fs::write(dir.path().join("tls.key"), &pair.key_pem).unwrap();
    let mut config = ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        CertSource::Files {
            cert: dir.path().join("tls.crt"),
            key: dir.path().join("tls.key"),
        },
    );
    tune(&mut config);
    let handle = start(config).unwrap();
    let agent = agent_trusting(&[&pair.cert_pem]);
    Harness {
        handle,
        dir,
        pair,
        agent,
    }
}

pub fn agent_trusting(pems: &[&str]) -> ureq::Agent {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let certs = pems
        .iter()
        .map(|p| Certificate::from_pem(p.as_bytes()).unwrap().to_owned())
        .collect();
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(certs)))
        .build();
    let config = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build();
    ureq::Agent::new_with_config(config)
}

/// A raw TLS stream to the server, trusting `pems`.
pub fn tls_stream(
    addr: SocketAddr,
    pems: &[&str],
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for p in pems {
        roots
            .add(CertificateDer::from_pem_slice(p.as_bytes()).unwrap())
            .unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut s = rustls::StreamOwned::new(conn, tcp);
    // Drive the handshake now.
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).unwrap();
    }
    s
}

/// Reads until the peer closes; returns what was read and whether it closed.
pub fn read_to_close(s: &mut impl Read) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&out).into(), true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return (String::from_utf8_lossy(&out).into(), false)
            }
            // A reset or a TLS close without notify is a close too.
            Err(_) => return (String::from_utf8_lossy(&out).into(), true),
        }
    }
}

pub fn write_all(s: &mut impl Write, bytes: &[u8]) {
    s.write_all(bytes).unwrap();
    s.flush().unwrap();
}

pub fn review(operation: &str, object: Option<Value>, old: Option<Value>) -> Value {
    let namespace = object
        .as_ref()
        .or(old.as_ref())
        .and_then(|o| o.pointer("/metadata/namespace").cloned())
        .unwrap_or(json!(""));
    let kind = object
        .as_ref()
        .or(old.as_ref())
        .and_then(|o| o.get("kind").cloned())
        .unwrap_or(json!("Pod"));
    let name = object
        .as_ref()
        .or(old.as_ref())
        .and_then(|o| o.pointer("/metadata/name").cloned())
        .unwrap_or(json!(""));
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": format!("uid-{}", fastuid()),
            "kind": {"group": "", "version": "v1", "kind": kind},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": namespace,
            "name": name,
            "operation": operation,
            "userInfo": {"username": "alice"},
            "object": object,
            "oldObject": old,
            "dryRun": false,
        }
    })
}

fn fastuid() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A pod that passes every high and critical rule.
pub fn hardened_pod(ns: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
        "spec": {
            "automountServiceAccountToken": false,
            "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app",
                "image": "registry.test/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
                "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}}
            }]
        }
    })
}

/// A privileged pod on the host network.
pub fn privileged_pod(ns: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "root", "namespace": ns},
        "spec": {
            "hostNetwork": true,
            "containers": [{"name": "app", "image": "nginx", "securityContext": {"privileged": true}}]
        }
    })
}

/// The user policies (templates and constraints, ValidatingAdmissionPolicies and bindings) of
/// a YAML text; any load diagnostic fails the test.
pub fn policy_set(yaml: &str) -> palisade_policy::PolicySet {
    let mut inv = palisade_core::Inventory::default();
    inv.add(palisade_core::inventory::load_str(
        "policies.yaml",
        yaml,
        &palisade_core::inventory::LoadLimits::default(),
    ));
    let (set, diags) = palisade_policy::PolicySet::from_inventory(&inv);
    assert!(diags.is_empty(), "{diags:?}");
    set
}
