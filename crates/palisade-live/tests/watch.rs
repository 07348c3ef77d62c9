//! The watcher's streams against a real kube-apiserver 1.20.2 (palisade-testkit): a watch
//! whose connection is cut resumes from its resourceVersion without listing again; a watch
//! from a version the server no longer holds gets the server's own 410 Gone and relists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use palisade_live::watch::reflector::{reflect, Counters, Update};
use palisade_live::watch::{discover_streams, streams::Stream};
use palisade_live::{connect, ClusterOptions, Scope};
use palisade_testkit::ApiServer;
use serde_json::{json, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// A loopback TCP relay to the API server whose connections the test can cut (TLS passes
/// through untouched: the relay only copies bytes).
struct Relay {
    port: u16,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn to(upstream: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let conns = Arc::clone(&open);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let mut list = conns.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Relay { port, open }
    }

    /// Cuts every connection open now (new ones are still relayed).
    fn cut(&self) -> usize {
        let mut list = self.open.lock().unwrap();
        let n = list.len();
        for s in list.drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        n
    }
}

/// A kubeconfig like the server's, pointing at `port` instead.
fn kubeconfig_via(server: &ApiServer, port: u16, dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(server.kubeconfig()).unwrap();
    let moved = text.replace(server.url(), &format!("https://127.0.0.1:{port}"));
    assert_ne!(moved, text, "the kubeconfig names the server by its URL");
    // Beside the server's own: its certificate paths are relative to it.
    let _ = dir;
    let beside = server.kubeconfig().parent().unwrap().to_path_buf();
    let path = beside.join(format!("kubeconfig-relay-{port}"));
    std::fs::write(&path, moved).unwrap();
    path
}

fn create_namespace(server: &ApiServer, name: &str) {
    let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    let (status, answer) = server
        .request("POST", "/api/v1/namespaces", Some(&body))
        .unwrap();
    assert!(status == 201 || status == 409, "{status} {answer}");
    // No controller makes the `default` ServiceAccount here; pods need one to be admitted.
    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}});
    let path = format!("/api/v1/namespaces/{name}/serviceaccounts");
    let (status, answer) = server.request("POST", &path, Some(&sa)).unwrap();
    assert!(status == 201 || status == 409, "{status} {answer}");
}

fn create_pod(server: &ApiServer, ns: &str, name: &str) {
    let body = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
        "spec": {"automountServiceAccountToken": false,
                 "containers": [{"name": "c", "image": "nginx:1.25"}]}});
    let path = format!("/api/v1/namespaces/{ns}/pods");
    let (status, answer) = server.request("POST", &path, Some(&body)).unwrap();
    assert_eq!(status, 201, "{answer}");
}

/// The stream of `kind` in `ns` (all namespaces when `None`), started (with `resume_from`)
/// on `runtime`.
fn stream_of(
    runtime: &tokio::runtime::Runtime,
    kubeconfig: std::path::PathBuf,
    ns: Option<&str>,
    kind: &str,
    resume_from: Option<String>,
) -> (UnboundedReceiver<Update>, Arc<Counters>) {
    let options = ClusterOptions {
        kubeconfig: Some(kubeconfig),
        scope: ns.map_or(Scope::All, |ns| Scope::Namespace(ns.to_string())),
        ..ClusterOptions::default()
    };
    runtime.block_on(async {
        let connected = connect(&options).await.unwrap();
        let all = discover_streams(&connected, ns, 4).await.unwrap();
        let pods: Stream = all
            .into_iter()
            .find(|s| s.target.resource.kind == kind)
            .unwrap();
        let (tx, rx) = unbounded_channel();
        let counters = Arc::new(Counters::default());
        tokio::spawn(reflect(
            connected.client.clone(),
            0,
            pods,
            500,
            resume_from,
            tx,
            Arc::clone(&counters),
        ));
        (rx, counters)
    })
}

/// The next update, within `seconds`.
fn next(
    runtime: &tokio::runtime::Runtime,
    rx: &mut UnboundedReceiver<Update>,
    seconds: u64,
) -> Update {
    runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(seconds), rx.recv()).await })
        .expect("an update in time")
        .expect("the stream is open")
}

fn name_of(item: &Value) -> &str {
    item["metadata"]["name"].as_str().unwrap()
}

#[test]
fn a_cut_watch_resumes_from_its_resource_version_without_listing_again() {
    let server = ApiServer::shared().unwrap();
    let ns = "watch-resume";
    create_namespace(server, ns);
    create_pod(server, ns, "before");
    let relay = Relay::to(server.api_port());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_via(server, relay.port, dir.path());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (mut rx, counters) = stream_of(&runtime, kubeconfig, Some(ns), "Pod", None);
    match next(&runtime, &mut rx, 20) {
        Update::Listed { items, .. } => {
            let names: Vec<&str> = items.iter().map(name_of).collect();
            assert_eq!(names, ["before"]);
            assert_eq!(items[0]["kind"], "Pod");
        }
        other => panic!("expected the list first, got {other:?}"),
    }
    // Let the watch request reach the server, then cut every connection under it.
    std::thread::sleep(Duration::from_millis(500));
    assert!(relay.cut() >= 2, "the watch went through the relay");
    create_pod(server, ns, "during");
    match next(&runtime, &mut rx, 20) {
        Update::Applied { item, .. } => assert_eq!(name_of(&item), "during"),
        other => panic!("expected the pod made while cut off, got {other:?}"),
    }
    assert!(counters.resumes.load(Ordering::Relaxed) >= 1);
    assert_eq!(
        counters.lists.load(Ordering::Relaxed),
        1,
        "resumed, not relisted"
    );
    assert_eq!(counters.expired.load(Ordering::Relaxed), 0);
}

/// Makes Calico's Tier kind (projectcalico.org/v3, cluster-scoped; a kind the watcher
/// reads) and waits until the server serves it.
fn serve_tiers(server: &ApiServer) {
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "tiers.projectcalico.org"},
        "spec": {"group": "projectcalico.org", "scope": "Cluster",
                 "names": {"plural": "tiers", "singular": "tier", "kind": "Tier", "listKind": "TierList"},
                 "versions": [{"name": "v3", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object",
                                          "x-kubernetes-preserve-unknown-fields": true}}}]}});
    let path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    let (status, answer) = server.request("POST", path, Some(&crd)).unwrap();
    assert!(status == 201 || status == 409, "{status} {answer}");
    for _ in 0..100 {
        if server
            .request("GET", "/apis/projectcalico.org/v3/tiers", None)
            .unwrap()
            .0
            == 200
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the Tier kind was not served in time");
}

#[test]
fn a_watch_from_a_version_the_server_no_longer_holds_relists() {
    let server = ApiServer::shared().unwrap();
    serve_tiers(server);
    let tier = json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
                      "metadata": {"name": "kept"}, "spec": {"order": 100}});
    let (status, answer) = server
        .request("POST", "/apis/projectcalico.org/v3/tiers", Some(&tier))
        .unwrap();
    assert!(status == 201 || status == 409, "{status} {answer}");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The kind's watch cache starts when the kind does, at the then current version: version
    // 1 is older than anything it holds, so the server answers 410 Gone ("too old resource
    // version"), as it does to a watcher back from a long cut.
    let (mut rx, counters) = stream_of(
        &runtime,
        server.kubeconfig(),
        None,
        "Tier",
        Some("1".into()),
    );
    match next(&runtime, &mut rx, 20) {
        Update::Listed { items, .. } => {
            let names: Vec<&str> = items.iter().map(name_of).collect();
            assert_eq!(names, ["kept"]);
        }
        other => panic!("expected a relist, got {other:?}"),
    }
    assert_eq!(counters.expired.load(Ordering::Relaxed), 1);
    assert_eq!(counters.lists.load(Ordering::Relaxed), 1);
    // And it watches on from the new list.
    let tier = json!({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": "after"}});
    let (status, answer) = server
        .request("POST", "/apis/projectcalico.org/v3/tiers", Some(&tier))
        .unwrap();
    assert_eq!(status, 201, "{answer}");
    match next(&runtime, &mut rx, 20) {
        Update::Applied { item, .. } => assert_eq!(name_of(&item), "after"),
        other => panic!("expected the new tier, got {other:?}"),
    }
}

#[test]
fn the_install_grants_every_resource_the_server_serves_for_the_watched_kinds() {
    let server = ApiServer::shared().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = ClusterOptions {
        kubeconfig: Some(server.kubeconfig()),
        scope: Scope::All,
        ..ClusterOptions::default()
    };
    let streams = runtime.block_on(async {
        let connected = connect(&options).await.unwrap();
        discover_streams(&connected, None, 4).await.unwrap()
    });
    assert!(streams.len() > 20, "{}", streams.len());
    let rules = palisade_live::watch::access::rules();
    for s in &streams {
        let r = &s.target.resource;
        let granted = rules
            .iter()
            .any(|(group, resources)| *group == r.group && resources.contains(&r.plural));
        assert!(
            granted,
            "{}/{} ({}) is watched but not granted",
            r.group, r.plural, r.kind
        );
    }
}
