//! `palisade scan --policies`: Gatekeeper templates and constraints (from the Gatekeeper
//! library in ../shared), a ValidatingAdmissionPolicy with its binding and a plain Rego
//! module, judged with the built-in rules in one report, with the same exceptions and exit
//! codes.

use crate::util::{assert_exit, json, repo_root, Dir};

const VAP: &str = "\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas-limit}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: object.spec.replicas <= 5
    message: at most 5 replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas-limit}
spec:
  policyName: replicas-limit
  validationActions: [Deny]
";

const REGO: &str = "\
package team.nolatest

deny[msg] {
  input.kind == \"Deployment\"
  c := input.spec.template.spec.containers[_]
  endswith(c.image, \":latest\")
  msg := sprintf(\"container %v uses a :latest image\", [c.name])
}
";

const MANIFESTS: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata:
  name: billing
  labels: {owner: ann.agilebank.demo}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 9
  template:
    spec:
      containers:
      - {name: app, image: 'nginx:latest'}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: billing}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - {name: app, image: 'example.test/api:1.0'}
";

fn policies(dir: &Dir) -> String {
    let library =
        repo_root().join("../shared/corpora/gatekeeper-library/library/general/requiredlabels");
    let template = std::fs::read_to_string(library.join("template.yaml")).unwrap();
    let constraint =
        std::fs::read_to_string(library.join("samples/all-must-have-owner/constraint.yaml"))
            .unwrap();
    dir.create("policies/gatekeeper/template.yaml", template);
    dir.create("policies/gatekeeper/constraint.yaml", constraint);
    dir.create("policies/vap.yaml", VAP);
    dir.create("policies/nolatest.rego", REGO);
    dir.root.join("policies").display().to_string()
}

fn ids_on(report: &serde_json::Value, list: &str, object: &str) -> Vec<String> {
    let mut ids: Vec<String> = report[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            if list == "suppressed" {
                &f["finding"]
            } else {
                f
            }
        })
        .filter(|f| f["object"]["name"] == object)
        .map(|f| f["ruleId"].as_str().unwrap().to_string())
        .filter(|id| !id.starts_with("PAL-"))
        .collect();
    ids.sort();
    ids
}

#[test]
fn user_policies_are_judged_with_the_built_in_rules() {
    let dir = Dir::new("scan-policies");
    let policies = policies(&dir);
    dir.create("m/app.yaml", MANIFESTS);
    let out = dir.run(&["scan", "m", "--policies", &policies, "-f", "json"]);
    assert_exit(&out, 1);
    let report = json(&out);
    assert!(
        report["errors"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    assert_eq!(
        ids_on(&report, "findings", "shop"),
        vec!["GK-K8sRequiredLabels"]
    );
    assert!(ids_on(&report, "findings", "billing").is_empty());
    assert_eq!(
        ids_on(&report, "findings", "web"),
        vec!["REGO-team.nolatest", "VAP-replicas-limit"]
    );
    assert!(ids_on(&report, "findings", "api").is_empty());
    // Built-in rules are still there, and the catalog lists the policies' rules.
    let all = report["findings"].as_array().unwrap();
    assert!(all.iter().any(|f| f["ruleId"] == "PAL-POD-022"));
    let rules: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "GK-K8sRequiredLabels",
        "VAP-replicas-limit",
        "REGO-team.nolatest",
    ] {
        assert!(rules.contains(&id), "{id} not in {rules:?}");
    }
    let vap = all
        .iter()
        .find(|f| f["ruleId"] == "VAP-replicas-limit")
        .unwrap();
    assert!(vap["message"]
        .as_str()
        .unwrap()
        .contains("at most 5 replicas"));

    // Exceptions name policy rules like any other; SARIF carries them.
    dir.create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [VAP-replicas-limit]\n    \
         name: web\n    reason: load test until Friday\n",
    );
    let report = json(&dir.run(&["scan", "m", "--policies", &policies, "-f", "json"]));
    assert_eq!(
        ids_on(&report, "findings", "web"),
        vec!["REGO-team.nolatest"]
    );
    assert_eq!(
        ids_on(&report, "suppressed", "web"),
        vec!["VAP-replicas-limit"]
    );
    let sarif = dir.run(&["scan", "m", "--policies", &policies, "-f", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "GK-K8sRequiredLabels"));
}

#[test]
fn a_broken_policy_is_an_error_at_its_place_and_the_others_still_judge() {
    let dir = Dir::new("scan-policies-broken");
    let policies = policies(&dir);
    dir.create(
        "policies/broken.rego",
        "package broken\n\ndeny[msg] {\n  msg := \n}\n",
    );
    dir.create(
        "policies/orphan.yaml",
        "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sNoSuchTemplate\nmetadata: {name: orphan}\n",
    );
    dir.create("m/app.yaml", MANIFESTS);
    let out = dir.run(&["scan", "m", "--policies", &policies, "-f", "json"]);
    assert_exit(&out, 2);
    let report = json(&out);
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{} {}",
                e["path"].as_str().unwrap(),
                e["line"],
                e["message"]
            )
        })
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("broken.rego")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("orphan.yaml:1") && e.contains("K8sNoSuchTemplate")),
        "{errors:#?}"
    );
    assert_eq!(
        ids_on(&report, "findings", "shop"),
        vec!["GK-K8sRequiredLabels"]
    );
    assert!(ids_on(&report, "findings", "web").contains(&"VAP-replicas-limit".to_string()));
}
