//! Load generator for the admission server: N AdmissionReviews over C keep-alive HTTPS
//! connections (optionally paced to a total rate), then p50/p90/p99/max latency and
//! requests/s. Without `--addr` it starts a server in-process on 127.0.0.1 with a dev
//! certificate, the built-in rules and one Gatekeeper template.
//!
//! ```text
//! admission-load [--requests N] [--concurrency C] [--rate R] [--addr HOST:PORT --ca FILE]
//! ```
//!
//! Latency is measured from writing a request to reading its whole answer; with `--rate`
//! a late request is not charged for the time it waited to be sent (closed loop per
//! connection), so at saturation the figures flatter the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::Inventory;
use palisade_policy::PolicySet;
use palisade_server::{dev_cert, start, CertSource, ServerConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

struct Args {
    requests: usize,
    concurrency: usize,
    rate: Option<f64>,
    addr: Option<SocketAddr>,
    ca: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        requests: 20_000,
        concurrency: 8,
        rate: None,
        addr: None,
        ca: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--requests" => a.requests = value.parse().expect("--requests N"),
            "--concurrency" => a.concurrency = value.parse().expect("--concurrency C"),
            "--rate" => a.rate = Some(value.parse().expect("--rate R")),
            "--addr" => a.addr = Some(value.parse().expect("--addr HOST:PORT")),
            "--ca" => a.ca = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

const TEMPLATE: &str = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: nolatest}
spec:
  crd: {spec: {names: {kind: NoLatest}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package nolatest
      violation[{"msg": msg}] {
        c := input.review.object.spec.containers[_]
        endswith(c.image, ":latest")
        msg := sprintf("container %v uses :latest", [c.name])
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: NoLatest
metadata: {name: no-latest}
spec: {match: {kinds: [{apiGroups: [""], kinds: [Pod]}]}}
"#;

fn bodies() -> Vec<Vec<u8>> {
    let hardened = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "app", "labels": {"app": "web"}},
        "spec": {"automountServiceAccountToken": false,
            "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "app", "image": "registry.test/web:1.2.3",
                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}},
                "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}}}]}
    });
    let privileged = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "root", "namespace": "app"},
        "spec": {"hostNetwork": true, "containers": [{"name": "app", "image": "nginx:latest", "securityContext": {"privileged": true}}]}
    });
    [hardened, privileged]
        .iter()
        .enumerate()
        .map(|(i, o)| {
            serde_json::to_vec(&json!({
                "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                "request": {"uid": format!("load-{i}"), "kind": {"group": "", "version": "v1", "kind": "Pod"},
                    "resource": {"group": "", "version": "v1", "resource": "pods"},
                    "namespace": "app", "operation": "CREATE", "userInfo": {"username": "load"}, "object": o}
            }))
            .unwrap()
        })
        .collect()
}

fn main() {
    let a = args();
    let (addr, ca, server) = match (a.addr, &a.ca) {
        (Some(addr), Some(ca)) => (addr, std::fs::read_to_string(ca).expect("--ca"), None),
        _ => {
            let pair = dev_cert(&[]).unwrap();
            let mut config = ServerConfig::new(
                "127.0.0.1:0".parse().unwrap(),
                CertSource::Pem(pair.clone()),
            );
            let mut inv = Inventory::default();
            inv.add(load_str("policies.yaml", TEMPLATE, &LoadLimits::default()));
            config.policies = Some(PolicySet::from_inventory(&inv).0);
            let handle = start(config).unwrap();
            (handle.local_addr(), pair.cert_pem, Some(handle))
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (mut latencies, errors, took) = runtime.block_on(load(&a, addr, &ca));
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len().max(1));
        latencies.get(i - 1).copied().unwrap_or_default()
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "requests={} concurrency={} rate={} errors={errors} elapsed={:.2}s rps={:.0} p50={:.3}ms p90={:.3}ms p99={:.3}ms max={:.3}ms",
        latencies.len(),
        a.concurrency,
        a.rate.map_or("max".to_string(), |r| r.to_string()),
        took.as_secs_f64(),
        latencies.len() as f64 / took.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.90)),
        ms(pct(0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    if let Some(h) = server {
        h.shutdown().unwrap();
    }
}

async fn load(a: &Args, addr: SocketAddr, ca: &str) -> (Vec<Duration>, usize, Duration) {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let bodies = Arc::new(bodies());
    let per_worker = a.requests / a.concurrency.max(1);
    let interval = a
        .rate
        .map(|r| Duration::from_secs_f64(a.concurrency as f64 / r));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..a.concurrency {
        let connector = connector.clone();
        let bodies = Arc::clone(&bodies);
        tasks.push(tokio::spawn(async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let name = ServerName::try_from("localhost").unwrap();
            let tls = connector.connect(name, tcp).await.unwrap();
            let mut s = BufReader::new(tls);
            let mut lat = Vec::with_capacity(per_worker);
            let mut errors = 0;
            let mut next = Instant::now();
            for i in 0..per_worker {
                if let Some(iv) = interval {
                    tokio::time::sleep_until(next.into()).await;
                    next += iv;
                }
                let body = &bodies[(i + w) % bodies.len()];
                let head = format!(
                    "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let t = Instant::now();
                s.get_mut().write_all(head.as_bytes()).await.unwrap();
                s.get_mut().write_all(body).await.unwrap();
                let (status, len) = read_head(&mut s).await;
                let mut answer = vec![0u8; len];
                s.read_exact(&mut answer).await.unwrap();
                lat.push(t.elapsed());
                if status != 200 {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::with_capacity(a.requests);
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.unwrap();
        all.extend(lat);
        errors += e;
    }
    (all, errors, start.elapsed())
}

async fn read_head<R: tokio::io::AsyncBufRead + Unpin>(s: &mut R) -> (u16, usize) {
    let mut line = String::new();
    s.read_line(&mut line).await.unwrap();
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut len = 0;
    loop {
        line.clear();
        s.read_line(&mut line).await.unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            return (status, len);
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
}
