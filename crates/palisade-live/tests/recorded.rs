//! Kubernetes versions newer than the test server (1.20.2), from recorded API responses:
//! discovery documents and lists for 1.33 and 1.34, HAND-WRITTEN from the Kubernetes API
//! reference (not captured from a server; see tests/fixtures/recorded), answered by the
//! testkit's [`FaultProxy`] in replay mode over loopback HTTPS. Also a server that serves a
//! kind only at a version Palisade does not know, and list items that are not objects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_live::{read_cluster, ClusterOptions, LiveInventory, Scope};
use palisade_testkit::FaultProxy;
use serde_json::{json, Value};

/// Serves `responses` (request path → JSON answer); a list not in it is empty, any other
/// path is a 404 `Status`.
fn replay(responses: Value) -> FaultProxy {
    let map: Arc<BTreeMap<String, Value>> = Arc::new(
        responses
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.starts_with('/'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    FaultProxy::replay(move |target| {
        let path = target.split('?').next().unwrap_or("");
        let query = target.split('?').nth(1).unwrap_or("");
        // Type-filtered Secret lists: the recorded Secrets are all Opaque.
        if query.contains("fieldSelector") && !query.contains("type%3DOpaque") {
            return (200, empty_list());
        }
        if let Some(answer) = map.get(path) {
            return (200, answer.to_string());
        }
        let segments = path.split('/').filter(|s| !s.is_empty()).count();
        let is_list = (path.starts_with("/api/") && segments >= 3)
            || (path.starts_with("/apis/") && segments >= 4);
        if is_list {
            (200, empty_list())
        } else {
            let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                "reason": "NotFound", "code": 404, "message": "not found"});
            (404, status.to_string())
        }
    })
    .unwrap()
}

fn empty_list() -> String {
    json!({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []})
        .to_string()
}

fn read(proxy: &FaultProxy) -> LiveInventory {
    read_cluster(&ClusterOptions {
        kubeconfig: Some(proxy.kubeconfig("admin", "recorded").unwrap()),
        scope: Scope::All,
        ..ClusterOptions::default()
    })
    .unwrap()
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/recorded/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn recorded_current_versions_are_discovered_and_read() {
    for (file, version) in [("k8s-1.33.json", "v1.33.0"), ("k8s-1.34.json", "v1.34.0")] {
        let proxy = replay(fixture(file));
        let live = read(&proxy);
        assert_eq!(live.server_version.as_deref(), Some(version));
        assert_eq!(live.inventory.errors, vec![], "{file}");
        assert_eq!(live.inventory.notes, vec![], "{file}");
        // Unlike 1.20, CronJobs are in batch/v1, the group's preferred version.
        let cronjob = live
            .inventory
            .objects
            .iter()
            .find(|o| o.is("CronJob"))
            .unwrap();
        assert_eq!(cronjob.id.api_version, "batch/v1", "{file}");
        assert_eq!(&*cronjob.origin.path, "cluster://CronJob/shop/backup");
        let container = &cronjob.root.to_json()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            ["containers"][0];
        assert_eq!(container["securityContext"]["privileged"], true);
        assert!(live
            .inventory
            .objects
            .iter()
            .any(|o| o.is("Namespace") && o.id.name == "shop"));
        // Every wanted kind these versions serve was listed, at the version discovery found.
        let requests = proxy.requests();
        for path in [
            "/apis/batch/v1/cronjobs?",
            "/apis/networking.k8s.io/v1/ingresses?",
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations?",
            "/api/v1/secrets?",
        ] {
            assert!(
                requests.iter().any(|r| r.starts_with(path)),
                "{path} not in {requests:?}"
            );
        }
        // Discovery reads only the groups the analyzers need: not flowcontrol, not policy.
        assert!(!requests
            .iter()
            .any(|r| r.contains("flowcontrol") || r.starts_with("/apis/policy/")));
    }
}

#[test]
fn a_kind_served_only_at_an_unknown_version_is_read_with_a_note() {
    let proxy = replay(fixture("unknown-batch-version.json"));
    let live = read(&proxy);
    assert_eq!(live.inventory.errors, vec![]);
    let cronjob = live
        .inventory
        .objects
        .iter()
        .find(|o| o.is("CronJob"))
        .unwrap();
    assert_eq!(cronjob.id.api_version, "batch/v2");
    let notes: Vec<&str> = live
        .inventory
        .notes
        .iter()
        .map(|n| n.message.as_str())
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes
        .iter()
        .any(|n| n.starts_with("CronJob is served only at batch/v2")));
    assert!(notes
        .iter()
        .any(|n| n.starts_with("Job is served only at batch/v2")));
}

#[test]
fn list_items_that_are_not_objects_never_panic() {
    let mut responses = fixture("k8s-1.33.json");
    let good = json!({"metadata": {"name": "ok", "namespace": "shop"},
                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    responses["/api/v1/pods"] = json!({"kind": "PodList", "apiVersion": "v1",
        "metadata": {"resourceVersion": "7"},
        "items": ["not an object", 42, null, [], {"spec": {}},
                  {"metadata": {"name": 7, "namespace": ["x"]}}, good]});
    let proxy = replay(responses);
    let live = read(&proxy);
    let pods: Vec<&str> = live
        .inventory
        .objects
        .iter()
        .filter(|o| o.is("Pod"))
        .map(|o| o.id.name.as_str())
        .collect();
    assert!(pods.contains(&"ok"), "{pods:?}");
    // The odd items are counted in a note, not judged and not silently dropped.
    assert_eq!(pods, ["ok"]);
    let notes: Vec<&str> = live
        .inventory
        .notes
        .iter()
        .map(|n| n.message.as_str())
        .collect();
    assert_eq!(
        notes,
        ["skipped 6 item(s) of the Pod list at cluster scope: not objects with a metadata.name"]
    );
}
