//! The cluster context cache over real HTTPS: with the namespace's ServiceAccount and
//! LimitRange cached, the rules that read them judge as `palisade scan` does with the same
//! objects in its input; without a cache, the pod is judged alone. `/readyz` waits for the
//! first sync.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use palisade_server::{AdmissionConfig, Change, ContextCache};
use serde_json::{json, Value};

/// A hardened pod that leaves the token automount and its memory settings to its
/// surroundings, every rule in warn mode so the answer lists all that fired.
fn pod() -> Value {
    let mut pod = hardened_pod("shop");
    let spec = pod["spec"].as_object_mut().unwrap();
    spec.remove("automountServiceAccountToken");
    let resources = &mut pod["spec"]["containers"][0]["resources"];
    resources["limits"]
        .as_object_mut()
        .unwrap()
        .remove("memory");
    resources["requests"]
        .as_object_mut()
        .unwrap()
        .remove("memory");
    pod
}

fn fired(h: &Harness) -> Vec<String> {
    let (status, body) = h.post(&review("CREATE", Some(pod()), None));
    assert_eq!(status, 200);
    let mut ids: Vec<String> = body["response"]["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .map(|w| w.as_str().unwrap().split(' ').next().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids.dedup();
    ids
}

fn warn_all(c: &mut palisade_server::ServerConfig) {
    c.admission =
        AdmissionConfig::parse("p.yaml", "admission:\n  modes:\n    \"PAL-*\": warn\n").unwrap();
}

#[test]
fn cached_service_account_and_limit_range_are_the_context_of_a_request() {
    let alone = harness(warn_all);
    let ids = fired(&alone);
    assert!(ids.contains(&"PAL-POD-033".to_string()), "{ids:?}");
    assert!(ids.contains(&"PAL-POD-032".to_string()), "{ids:?}");

    let cache = Arc::new(ContextCache::new());
    let h = harness(|c| {
        warn_all(c);
        c.cache = Some(Arc::clone(&cache));
    });
    // Not synced yet: not ready.
    assert_eq!(h.get("/readyz").0, 503);
    cache
        .replace("Namespace", &[json!({"metadata": {"name": "shop"}})])
        .unwrap();
    cache
        .replace(
            "ServiceAccount",
            &[json!({"metadata": {"name": "default", "namespace": "shop"},
                     "automountServiceAccountToken": false})],
        )
        .unwrap();
    cache.replace("LimitRange", &[]).unwrap();
    cache.set_synced(true);
    assert_eq!(h.get("/readyz").0, 200);
    let ids = fired(&h);
    assert!(!ids.contains(&"PAL-POD-033".to_string()), "{ids:?}");
    assert!(ids.contains(&"PAL-POD-032".to_string()), "{ids:?}");

    // A LimitRange with memory defaults arrives by a watch event.
    cache
        .apply(
            "LimitRange",
            Change::Upsert,
            &json!({"metadata": {"name": "mem", "namespace": "shop"},
                    "spec": {"limits": [{"type": "Container",
                                          "default": {"memory": "128Mi"},
                                          "defaultRequest": {"memory": "64Mi"}}]}}),
        )
        .unwrap();
    let ids = fired(&h);
    assert!(!ids.contains(&"PAL-POD-032".to_string()), "{ids:?}");
    // Another namespace has no such context.
    let (_, body) = h.post(&review("CREATE", Some(hardened_pod("other")), None));
    assert_eq!(body["response"]["allowed"], true);
}

/// A Gatekeeper constraint and a ValidatingAdmissionPolicy that both apply only in namespaces
/// labelled `env: prod` (and the VAP's message reads `namespaceObject`).
const PROD_ONLY: &str = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: prodonly}
spec:
  crd: {spec: {names: {kind: ProdOnly}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package prodonly
      violation[{"msg": msg}] {
        msg := sprintf("no %v pods in %v", [input.review.object.metadata.name, input.review._unstable.namespace.metadata.labels.env])
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: ProdOnly
metadata: {name: prod-only}
spec:
  match:
    kinds: [{apiGroups: [""], kinds: [Pod]}]
    namespaceSelector: {matchLabels: {env: prod}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: prod-team}
spec:
  failurePolicy: Fail
  matchConstraints:
    namespaceSelector: {matchLabels: {env: prod}}
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "false"
    messageExpression: "'owned by ' + namespaceObject.metadata.labels.owner"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: prod-team}
spec: {policyName: prod-team, validationActions: [Warn]}
"#;

#[test]
fn policies_read_the_cached_namespace() {
    let set = policy_set(PROD_ONLY);
    let cache = Arc::new(ContextCache::new());
    let h = harness(|c| {
        c.policies = Some(set);
        c.cache = Some(Arc::clone(&cache));
    });
    cache
        .replace(
            "Namespace",
            &[
                json!({"metadata": {"name": "shop", "labels": {"env": "prod", "owner": "payments"}}}),
                json!({"metadata": {"name": "lab", "labels": {"env": "dev"}}}),
            ],
        )
        .unwrap();
    cache.replace("ServiceAccount", &[]).unwrap();
    cache.replace("LimitRange", &[]).unwrap();
    cache.set_synced(true);
    // In the prod namespace both policies apply, reading the cached labels.
    let (_, body) = h.post(&review("CREATE", Some(hardened_pod("shop")), None));
    let r = &body["response"];
    assert_eq!(r["allowed"], false, "{body}");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("GK-ProdOnly: no web pods in prod"),
        "{body}"
    );
    assert!(
        r["warnings"].to_string().contains("owned by payments"),
        "{body}"
    );
    // In the dev namespace neither does.
    let (_, body) = h.post(&review("CREATE", Some(hardened_pod("lab")), None));
    assert_eq!(body["response"]["allowed"], true, "{body}");
    assert!(body["response"].get("warnings").is_none(), "{body}");
    // A label change arrives by a watch event and takes effect on the next request.
    cache
        .apply(
            "Namespace",
            Change::Upsert,
            &json!({"metadata": {"name": "lab", "labels": {"env": "prod", "owner": "lab"}}}),
        )
        .unwrap();
    let (_, body) = h.post(&review("CREATE", Some(hardened_pod("lab")), None));
    assert_eq!(body["response"]["allowed"], false, "{body}");
}
