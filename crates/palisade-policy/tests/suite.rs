//! gator verify semantics of `suite::run_dir`, on small suites written here.

use std::fs;
use std::path::Path;

use palisade_policy::suite::{run_dir, Outcome};

const TEMPLATE: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: k8sreplicas}
spec:
  crd:
    spec:
      names: {kind: K8sReplicas}
      validation:
        openAPIV3Schema:
          type: object
          properties: {max: {type: integer}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package k8sreplicas
      violation[{"msg": msg}] {
        input.review.object.spec.replicas > input.parameters.max
        msg := sprintf("%v replicas, more than %v", [input.review.object.spec.replicas, input.parameters.max])
      }
      violation[{"msg": msg}] {
        input.review.operation == "UPDATE"
        msg := "updates are refused"
      }
      violation[{"msg": msg}] {
        other := data.inventory.namespace[ns][_].Deployment[name]
        other.metadata.labels.app == input.review.object.metadata.labels.app
        name != input.review.object.metadata.name
        msg := sprintf("app label also used by %v", [name])
      }
"#;

fn deployment(name: &str, replicas: u32) -> String {
    format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop, labels: {{app: web}}}}\nspec: {{replicas: {replicas}}}\n")
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("writing {name}: {e}"));
}

#[test]
fn suites_follow_gator_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("replicas");
    fs::create_dir(&dir).unwrap();
    write(&dir, "template.yaml", TEMPLATE);
    write(&dir, "constraint.yaml", "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sReplicas\nmetadata: {name: max-3}\nspec:\n  parameters: {max: 3}\n");
    write(&dir, "bad-constraint.yaml", "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sReplicas\nmetadata: {name: bad}\nspec:\n  parameters: {max: three}\n");
    write(&dir, "small.yaml", &deployment("small", 2));
    write(&dir, "big.yaml", &deployment("big", 5));
    write(
        &dir,
        "two.yaml",
        &format!("{}---\n{}", deployment("a", 1), deployment("b", 1)),
    );
    write(&dir, "other.yaml", &deployment("other", 1));
    write(&dir, "update.yaml", "apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  operation: UPDATE\n  kind: {group: apps, version: v1, kind: Deployment}\n  object: {apiVersion: apps/v1, kind: Deployment, metadata: {name: small}, spec: {replicas: 1}}\n  oldObject: {apiVersion: apps/v1, kind: Deployment, metadata: {name: small}, spec: {replicas: 1}}\n");
    write(
        &dir,
        "suite.yaml",
        r#"kind: Suite
apiVersion: test.gatekeeper.sh/v1alpha1
metadata: {name: replicas}
tests:
- name: max
  template: template.yaml
  constraint: constraint.yaml
  cases:
  - {name: allowed, object: small.yaml, assertions: [{violations: no}]}
  - {name: default-is-yes, object: big.yaml, assertions: [{}]}
  - {name: count, object: big.yaml, assertions: [{violations: 1}]}
  - {name: message, object: big.yaml, assertions: [{violations: 1, message: "^5 replicas"}, {violations: no, message: nothing-like-this}]}
  - {name: wrong-count, object: big.yaml, assertions: [{violations: 2}]}
  - {name: inventory, object: small.yaml, inventory: [other.yaml], assertions: [{violations: 1, message: "used by other"}]}
  - {name: review, object: update.yaml, assertions: [{violations: 1, message: updates}]}
  - {name: two-objects, object: two.yaml, assertions: [{violations: no}]}
  - {name: no-assertions, object: small.yaml}
  - {name: skipped, object: small.yaml, skip: true, assertions: [{violations: yes}]}
- name: invalid-params
  template: template.yaml
  constraint: bad-constraint.yaml
  invalid: true
- name: should-be-invalid
  template: template.yaml
  constraint: constraint.yaml
  invalid: true
"#,
    );
    let run = run_dir(tmp.path());
    let outcome = |case: &str| {
        run.results
            .iter()
            .find(|r| r.case == case || (r.case.is_empty() && r.test == case))
            .unwrap_or_else(|| panic!("no result for {case}: {:?}", run.results))
    };
    for case in [
        "allowed",
        "default-is-yes",
        "count",
        "message",
        "inventory",
        "review",
        "invalid-params",
    ] {
        assert_eq!(
            outcome(case).outcome,
            Outcome::Passed,
            "{case}: {}",
            outcome(case).reason
        );
    }
    for case in [
        "wrong-count",
        "two-objects",
        "no-assertions",
        "should-be-invalid",
    ] {
        assert_eq!(outcome(case).outcome, Outcome::Failed, "{case}");
    }
    assert!(outcome("wrong-count")
        .reason
        .contains("got 1 violations but want exactly 2"));
    assert!(outcome("two-objects").reason.contains("defines 2 objects"));
    assert_eq!(outcome("skipped").outcome, Outcome::Skipped);
    assert_eq!(run.results.len(), 12);
}
