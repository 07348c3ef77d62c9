//! A huge list: 100,000 Pods served 500 a page by the testkit's proxy in replay mode (on the
//! hand-written 1.33 discovery documents). The reader asks page by page, never more than a
//! page at a time per kind, and its work grows linearly. Own test binary, so its peak RSS
//! (`VmHWM`) is its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use palisade_live::{read_cluster, ClusterOptions, Scope};
use palisade_testkit::FaultProxy;
use serde_json::{json, Value};

/// A replay server holding `pods` generated Pods; every other list is empty.
fn server(pods: usize) -> FaultProxy {
    let path = format!(
        "{}/tests/fixtures/recorded/k8s-1.33.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let discovery: Arc<BTreeMap<String, Value>> = Arc::new(
        recorded
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| {
                k.as_str() == "/version"
                    || k.as_str() == "/api"
                    || k.as_str() == "/apis"
                    || k.split('/').filter(|s| !s.is_empty()).count() <= 3
                        && !k.starts_with("/api/v1/")
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    FaultProxy::replay(move |target| {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if let Some(answer) = discovery.get(path) {
            return (200, answer.to_string());
        }
        if path != "/api/v1/pods" {
            return (200, json!({"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []}).to_string());
        }
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{name}=")))
                .map(str::to_string)
        };
        let limit: usize = param("limit").and_then(|l| l.parse().ok()).unwrap_or(pods);
        let start: usize = param("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
        let end = (start + limit).min(pods);
        let items: Vec<Value> = (start..end)
            .map(|i| {
                json!({"metadata": {"name": format!("pod-{i}"), "namespace": format!("ns-{}", i % 100),
                                    "uid": format!("uid-{i}"), "labels": {"app": "web"}},
                       "spec": {"serviceAccountName": "default",
                                "containers": [{"name": "app", "image": "nginx:1.25",
                                                "securityContext": {"runAsNonRoot": true}}]},
                       "status": {"phase": "Running"}})
            })
            .collect();
        let next = if end < pods { end.to_string() } else { String::new() };
        let page = json!({"kind": "PodList", "apiVersion": "v1",
            "metadata": {"resourceVersion": "1", "continue": next}, "items": items});
        (200, page.to_string())
    })
    .unwrap()
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Reads `pods` Pods; returns the seconds it took.
fn read(pods: usize) -> f64 {
    let proxy = server(pods);
    let started = Instant::now();
    let live = read_cluster(&ClusterOptions {
        kubeconfig: Some(proxy.kubeconfig("admin", "huge").unwrap()),
        scope: Scope::All,
        ..ClusterOptions::default()
    })
    .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(live.inventory.errors, vec![]);
    let read = live
        .inventory
        .objects
        .iter()
        .filter(|o| o.is("Pod"))
        .count();
    assert_eq!(read, pods);
    // Page by page: 500 per request, as many requests as pages.
    let pages = proxy.count(&["/api/v1/pods?"]);
    assert_eq!(pages, pods.div_ceil(500));
    assert!(proxy
        .requests()
        .iter()
        .filter(|r| r.starts_with("/api/v1/pods?"))
        .all(|r| r.contains("limit=500")));
    seconds
}

#[test]
fn a_list_of_100000_pods_is_read_page_by_page_in_linear_time() {
    let before = peak_rss_kib();
    let small = read(10_000);
    let large = read(100_000);
    let peak = peak_rss_kib();
    eprintln!(
        "10,000 Pods: {small:.2} s; 100,000 Pods: {large:.2} s; peak RSS {} MiB (was {} MiB before)",
        peak / 1024,
        before / 1024
    );
    // Ten times the objects: linear work takes about ten times as long, quadratic a hundred.
    // Generous for a loaded machine: fails only well above linear.
    assert!(large < small * 35.0, "{small:.2} s → {large:.2} s");
    // Every object is kept (the engine judges them all); what must not happen is a copy per
    // page or a whole-list buffer beside them. ~5 KiB per small Pod in a debug build.
    assert!(peak < 2 * 1024 * 1024, "peak RSS {} MiB", peak / 1024);
}
