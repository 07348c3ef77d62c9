//! ValidatingAdmissionPolicies in the webhook: each binding's validationActions decide as the
//! API server's own admission would (Deny refuses, Warn warns, Audit records), in Palisade's
//! answer, next to the built-in rules and Gatekeeper constraints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use palisade_policy::PolicySet;
use serde_json::{json, Value};

/// Pods must carry a `team` label (denied, and audited); pods named `debug-*` are warned
/// about; every pod gets an audit annotation naming its first image.
const POLICIES: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: team-label}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}]
  validations:
  - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
    messageExpression: "'pod ' + object.metadata.name + ' has no team label'"
  auditAnnotations:
  - key: image
    valueExpression: "object.spec.containers[0].image"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: team-label}
spec: {policyName: team-label, validationActions: [Deny, Audit]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-debug}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "!object.metadata.name.startsWith('debug-')"
    message: debug pods are for development clusters
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-debug}
spec: {policyName: no-debug, validationActions: [Warn]}
"#;

fn policies() -> PolicySet {
    policy_set(POLICIES)
}

fn response(v: &Value) -> &Value {
    &v["response"]
}

fn labelled(mut pod: Value, name: &str) -> Value {
    pod["metadata"]["name"] = json!(name);
    pod["metadata"]["labels"]["team"] = json!("payments");
    pod
}

#[test]
fn a_deny_binding_refuses_with_the_policys_message() {
    let h = harness(|c| c.policies = Some(policies()));
    let (status, body) = h.post(&review("CREATE", Some(hardened_pod("app")), None));
    assert_eq!(status, 200, "{body}");
    let r = response(&body);
    assert_eq!(r["allowed"], false, "{body}");
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains(
            "VAP-team-label: ValidatingAdmissionPolicy 'team-label' with binding 'team-label': pod web has no team label"
        ),
        "{msg}"
    );
    assert_eq!(
        r["auditAnnotations"]["deny-rules"], "VAP-team-label",
        "{body}"
    );
    // The policy's own audit annotation, its `policy/key` made a name the API server takes.
    assert_eq!(
        r["auditAnnotations"]["team-label.image"],
        json!(hardened_pod("app")["spec"]["containers"][0]["image"]),
        "{body}"
    );
    // With the label, the same pod is admitted.
    let (_, body) = h.post(&review(
        "CREATE",
        Some(labelled(hardened_pod("app"), "web")),
        None,
    ));
    assert_eq!(response(&body)["allowed"], true, "{body}");
}

#[test]
fn a_warn_binding_admits_with_a_warning() {
    let h = harness(|c| c.policies = Some(policies()));
    let pod = labelled(hardened_pod("app"), "debug-shell");
    let (_, body) = h.post(&review("CREATE", Some(pod.clone()), None));
    let r = response(&body);
    assert_eq!(r["allowed"], true, "{body}");
    let warnings = r["warnings"].to_string();
    assert!(
        warnings.contains("VAP-no-debug: ValidatingAdmissionPolicy 'no-debug' with binding 'no-debug': debug pods are for development clusters"),
        "{body}"
    );
    // The policy matches CREATE only.
    let (_, body) = h.post(&review("UPDATE", Some(pod.clone()), Some(pod)));
    assert!(response(&body).get("warnings").is_none(), "{body}");
}

#[test]
fn palisade_yaml_modes_override_a_binding() {
    let h = harness(|c| {
        c.policies = Some(policies());
        c.admission = palisade_server::AdmissionConfig::parse(
            "palisade.yaml",
            "apiVersion: palisade.dev/v1\nkind: Config\nadmission:\n  modes:\n    VAP-team-label: warn\n",
        )
        .unwrap();
    });
    let (_, body) = h.post(&review("CREATE", Some(hardened_pod("app")), None));
    let r = response(&body);
    assert_eq!(r["allowed"], true, "{body}");
    assert!(
        r["warnings"].to_string().contains("has no team label"),
        "{body}"
    );
}

#[test]
fn an_error_under_failure_policy_ignore_admits_and_is_kept_for_the_log() {
    let set = policy_set(
        r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: brittle}
spec:
  failurePolicy: Ignore
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "object.spec.nodeName == 'a'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: brittle}
spec: {policyName: brittle, validationActions: [Deny]}
"#,
    );
    let judge = palisade_server::Judge::new(
        palisade_engine::Engine::builtin(),
        palisade_core::Config::default(),
        palisade_server::AdmissionConfig::default(),
        Some(set),
    );
    let body = review("CREATE", Some(labelled(hardened_pod("app"), "web")), None);
    let request = palisade_server::Request {
        uid: "u".into(),
        operation: "CREATE".into(),
        kind: "Pod".into(),
        sub_resource: String::new(),
        namespace: "app".into(),
        name: "web".into(),
        dry_run: false,
    };
    let verdict = judge.decide(&body, &request, palisade_core::Date::from_unix_days(20_000));
    assert!(verdict.answer.allowed, "{:?}", verdict.hits);
    assert!(
        verdict.policy_errors.is_empty(),
        "{:?}",
        verdict.policy_errors
    );
    assert_eq!(
        verdict.ignored_errors.len(),
        1,
        "{:?}",
        verdict.ignored_errors
    );
    assert!(
        verdict.ignored_errors[0].contains("brittle"),
        "{:?}",
        verdict.ignored_errors
    );
}
