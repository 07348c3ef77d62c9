//! Harnesses for the fuzz targets (not a stable API).

use std::time::Duration;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Inventory};

use crate::{Limits, PolicySet};

/// `rego_policy`: `rego` as a template's Rego and as a plain module; nothing may panic.
pub fn rego_policy(rego: &str) {
    // A JSON string is a valid YAML double-quoted scalar, so any text embeds safely.
    let quoted = serde_json::to_string(rego).unwrap_or_default();
    let text = format!(
        "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata: {{name: fuzz}}\nspec:\n  crd: {{spec: {{names: {{kind: Fuzz}}}}}}\n  targets:\n  - target: admission.k8s.gatekeeper.sh\n    rego: {quoted}\n    libs: [{quoted}]\n---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: Fuzz\nmetadata: {{name: f}}\nspec:\n  parameters: {{a: [1, x]}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: n, labels: {{a: b}}}}\nspec: {{containers: [{{name: c, image: i}}]}}\n"
    );
    let mut inv = Inventory::default();
    inv.add(load_str("fuzz.yaml", &text, &LoadLimits::default()));
    let limits = Limits {
        eval_time: Duration::from_millis(200),
    };
    let (mut set, _) = PolicySet::from_objects(&inv.objects, limits);
    let _ = set.add_rego_module("fuzz.rego", rego);
    let _ = set.evaluate(&inv, &Config::default());
    let mut fresh = set.clone();
    fresh.set_decision_cache_bytes(0);
    // The decision cache must never change an answer: reviews that differ in one place
    // each, judged twice over by the set and by a copy without the cache.
    let reviews: Vec<serde_json::Value> = [
        ("CREATE", "p", "i", "b"),
        ("CREATE", "q", "i", "b"),
        ("CREATE", "p", "j", "b"),
        ("UPDATE", "p", "i", "b"),
        ("CREATE", "p", "i", "c"),
    ]
    .iter()
    .map(|(op, name, image, label)| {
        serde_json::json!({"kind": "AdmissionReview", "request": {"operation": op, "uid": name,
            "namespace": "n", "name": name, "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"a": label}},
                "spec": {"containers": [{"name": "c", "image": image}]}}}})
    })
    .collect();
    for _ in 0..2 {
        for review in &reviews {
            let (got, want) = (set.evaluate_review(review), fresh.evaluate_review(review));
            if let (Ok(got), Ok(want)) = (got, want) {
                // An evaluation over its time budget is an error, and may be in one only.
                if got.errors.is_empty() && want.errors.is_empty() {
                    assert_eq!(
                        serde_json::to_value(&got).ok(),
                        serde_json::to_value(&want).ok(),
                        "the decision cache changed an answer on {review}"
                    );
                }
            }
        }
    }
}

/// `cel_expression`: `text` (its first 512 bytes: longer literals only make slower loops,
/// not new paths) as a ValidatingAdmissionPolicy's matchCondition, variable, validation,
/// messageExpression and audit annotation, judged against a fixed Deployment in a scan and
/// as an admission request; nothing may panic.
pub fn cel_expression(text: &str) {
    let mut end = text.len().min(512);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let quoted = serde_json::to_string(&text[..end]).unwrap_or_default();
    let yaml = format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {{name: fuzz}}\nspec:\n  failurePolicy: Fail\n  paramKind: {{apiVersion: v1, kind: ConfigMap}}\n  matchConstraints:\n    resourceRules: [{{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*']}}]\n  matchConditions: [{{name: m, expression: {quoted}}}]\n  variables: [{{name: v, expression: {quoted}}}]\n  validations:\n  - {{expression: {quoted}, messageExpression: {quoted}}}\n  - {{expression: 'variables.v == true'}}\n  auditAnnotations: [{{key: k, valueExpression: {quoted}}}]\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {{name: fuzz}}\nspec: {{policyName: fuzz, validationActions: [Deny, Audit], paramRef: {{name: p, namespace: n, parameterNotFoundAction: Allow}}}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: p, namespace: n}}\ndata: {{a: '1', b: 1Gi}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: n, labels: {{a: b}}}}\nspec: {{replicas: 3, template: {{spec: {{containers: [{{name: c, image: 'r/i:1', resources: {{limits: {{memory: 1Gi}}}}}}]}}}}}}\n"
    );
    let mut inv = Inventory::default();
    inv.add(load_str("fuzz.yaml", &yaml, &LoadLimits::default()));
    let (mut set, _) = crate::vap::VapSet::from_objects(&inv.objects);
    set.set_eval_time(Duration::from_millis(200));
    let _ = set.evaluate(&inv, &Config::default());
    let review = serde_json::json!({"kind": "AdmissionReview", "request": {"operation": "UPDATE",
        "namespace": "n", "name": "d", "userInfo": {"username": "u", "groups": ["g"]},
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "object": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 1}},
        "oldObject": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}}});
    if let Ok(out) = set.evaluate_request(&review) {
        let _ = (
            out.deny_message(),
            out.warnings(),
            out.all_audit_annotations(),
        );
    }
    // The decision cache must never change an answer: requests that differ in one place
    // each, judged twice over by the set and by a copy without the cache.
    let mut fresh = set.clone();
    fresh.set_cache_bytes(0);
    let mut variants = vec![review.clone()];
    for (pointer, value) in [
        ("/request/name", serde_json::json!("e")),
        ("/request/object/metadata/name", serde_json::json!("e")),
        ("/request/object/spec/replicas", serde_json::json!(5)),
        ("/request/userInfo/username", serde_json::json!("v")),
        ("/request/oldObject", serde_json::Value::Null),
    ] {
        let mut v = review.clone();
        if let Some(slot) = v.pointer_mut(pointer) {
            *slot = value;
        }
        variants.push(v);
    }
    let failed = |o: &crate::vap::VapOutcome| {
        !o.ignored_errors.is_empty()
            || o.violations
                .iter()
                .any(|v| v.cause == crate::vap::Cause::Error)
    };
    for _ in 0..2 {
        for v in &variants {
            if let (Ok(got), Ok(want)) = (set.evaluate_request(v), fresh.evaluate_request(v)) {
                // An evaluation over its time budget is an error, and may be in one only.
                if !failed(&got) && !failed(&want) {
                    assert_eq!(got, want, "the decision cache changed an answer on {v}");
                }
            }
        }
    }
}
