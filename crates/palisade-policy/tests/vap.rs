//! ValidatingAdmissionPolicy semantics, with policies written after the Kubernetes
//! documentation's examples, judged over manifests (scan) and admission requests.

use palisade_core::{inventory, Config, Inventory, Severity};
use palisade_policy::vap::{Cause, VapSet, VALIDATION_FAILURE_KEY};
use serde_json::{json, Value as Json};

fn load(text: &str) -> Inventory {
    let mut inv = Inventory::default();
    inv.add(inventory::load_str("vap.yaml", text, &Default::default()));
    inv
}

fn set(text: &str) -> (VapSet, Inventory, Vec<String>) {
    let inv = load(text);
    let (set, diags) = VapSet::from_objects(&inv.objects);
    (set, inv, diags.iter().map(|d| d.to_string()).collect())
}

const REPLICA_LIMIT: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= int(params.data.maxReplicas)"
    messageExpression: "'replicas ' + string(object.spec.replicas) + ' exceed the limit of ' + params.data.maxReplicas"
    reason: Invalid
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit-binding}
spec:
  policyName: replica-limit
  validationActions: [Deny]
  paramRef: {name: replica-limits, namespace: policy-config, parameterNotFoundAction: Deny}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: replica-limits, namespace: policy-config}
data: {maxReplicas: "5"}
"#;

fn deployment(name: &str, replicas: i64, image: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: web, labels: {{app: {name}}}}}\nspec:\n  replicas: {replicas}\n  template:\n    spec:\n      containers:\n      - {{name: app, image: \"{image}\"}}\n"
    )
}

#[test]
fn replica_limit_with_configmap_params() {
    let text = format!(
        "{REPLICA_LIMIT}{}{}",
        deployment("small", 3, "nginx"),
        deployment("big", 10, "nginx")
    );
    let (set, inv, diags) = set(&text);
    assert!(diags.is_empty(), "{diags:?}");
    let eval = set.evaluate(&inv, &Config::default());
    assert_eq!(eval.findings.len(), 1, "{:?}", eval.findings);
    let f = &eval.findings[0];
    assert_eq!(f.rule_id, "VAP-replica-limit");
    assert_eq!(f.object.name, "big");
    assert_eq!(f.severity, Severity::High);
    assert!(
        f.message.starts_with("replicas 10 exceed the limit of 5"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("params policy-config/replica-limits"),
        "{}",
        f.message
    );

    // Without the ConfigMap, `Deny` makes the binding a configuration error (failurePolicy Fail).
    let without = text.replace(
        "name: replica-limits, namespace: policy-config}\ndata",
        "name: other, namespace: policy-config}\ndata",
    );
    let (set, inv, _) = self::set(&without);
    let eval = set.evaluate(&inv, &Config::default());
    assert_eq!(eval.findings.len(), 2);
    assert!(eval
        .findings
        .iter()
        .all(|f| f.message.contains("no params found")));
    // With `Allow`, no params means the binding passes.
    let allow = without.replace(
        "parameterNotFoundAction: Deny",
        "parameterNotFoundAction: Allow",
    );
    let (set, inv, _) = self::set(&allow);
    assert!(set.evaluate(&inv, &Config::default()).findings.is_empty());
}

const REGISTRY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: trusted-registry}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: ["*"], operations: ["*"], resources: [deployments]}
    excludeResourceRules:
    - {apiGroups: [apps], apiVersions: ["*"], operations: ["*"], resources: [deployments], resourceNames: [legacy]}
  validations:
  - expression: "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/'))"
    message: "all images must come from registry.example.com"
  - expression: "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: trusted-registry-warn}
spec:
  policyName: trusted-registry
  validationActions: [Warn, Audit]
"#;

#[test]
fn image_registry_all_containers_and_default_message() {
    let text = format!(
        "{REGISTRY}{}{}{}",
        deployment("good", 1, "registry.example.com/app:1.0"),
        deployment("bad", 1, "docker.io/app:latest"),
        deployment("legacy", 1, "docker.io/old:latest"),
    );
    let (set, inv, diags) = set(&text);
    assert!(diags.is_empty(), "{diags:?}");
    let eval = set.evaluate(&inv, &Config::default());
    let messages: Vec<&str> = eval.findings.iter().map(|f| &*f.message).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(eval
        .findings
        .iter()
        .all(|f| f.object.name == "bad" && f.severity == Severity::Medium));
    assert!(messages.iter().any(|m| m.starts_with("all images must come from registry.example.com (binding trusted-registry-warn, Warn+Audit)")));
    // Kubernetes' default message names the expression.
    assert!(messages.iter().any(|m| m.starts_with(
        "failed expression: object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))"
    )));
}

fn review(op: &str, object: Json, old: Json, user: &str, groups: &[&str]) -> Json {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u1", "operation": op, "namespace": "web", "name": object["metadata"]["name"],
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "userInfo": {"username": user, "groups": groups},
        "object": object, "oldObject": old, "dryRun": false}})
}

fn deploy_json(name: &str, replicas: i64, image: &str) -> Json {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "web", "labels": {"app": name}},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "app", "image": image}]}}}})
}

#[test]
fn match_conditions_exclude_users_and_groups() {
    let text = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-latest}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  matchConditions:
  - name: exclude-admins
    expression: "!('system:masters' in request.userInfo.groups)"
  - name: exclude-ci
    expression: "request.userInfo.username != 'ci-bot'"
  validations:
  - expression: "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))"
    message: "no :latest images"
    reason: Forbidden
  auditAnnotations:
  - key: images
    valueExpression: "object.spec.template.spec.containers.map(c, c.image).join(',')"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-latest-deny}
spec: {policyName: no-latest, validationActions: [Deny, Audit]}
"#;
    let (set, _, diags) = set(text);
    assert!(diags.is_empty(), "{diags:?}");
    let obj = deploy_json("web", 1, "nginx:latest");
    let denied = set
        .evaluate_request(&review(
            "CREATE",
            obj.clone(),
            Json::Null,
            "alice",
            &["dev"],
        ))
        .unwrap();
    assert!(denied.denied());
    assert_eq!(
        denied.deny_message().unwrap(),
        "ValidatingAdmissionPolicy 'no-latest' with binding 'no-latest-deny' denied request: no :latest images"
    );
    assert_eq!(denied.violations[0].reason, "Forbidden");
    let annotations = denied.all_audit_annotations();
    assert!(annotations.contains(&("no-latest/images".to_string(), "nginx:latest".to_string())));
    let failure = annotations
        .iter()
        .find(|(k, _)| k == VALIDATION_FAILURE_KEY)
        .unwrap();
    let parsed: Json = serde_json::from_str(&failure.1).unwrap();
    assert_eq!(parsed[0]["policy"], "no-latest");
    assert_eq!(parsed[0]["validationActions"], json!(["Deny", "Audit"]));

    for (user, groups) in [("root", vec!["system:masters"]), ("ci-bot", vec![])] {
        let out = set
            .evaluate_request(&review("CREATE", obj.clone(), Json::Null, user, &groups))
            .unwrap();
        assert!(out.violations.is_empty(), "{user}: {out:?}");
        assert!(out.audit_annotations.is_empty());
    }
    // A DELETE is not among the rule's operations.
    let out = set
        .evaluate_request(&review("DELETE", Json::Null, obj, "alice", &[]))
        .unwrap();
    assert!(out.violations.is_empty());
}

#[test]
fn variables_are_lazy_and_feed_message_expressions() {
    let text = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: pinned}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]
  variables:
  - name: containers
    expression: "object.spec.template.spec.containers"
  - name: unpinned
    expression: "variables.containers.filter(c, !c.image.contains('@sha256:')).map(c, c.name)"
  - name: broken
    expression: "object.spec.doesNotExist"
  validations:
  - expression: "size(variables.unpinned) == 0"
    messageExpression: "'containers ' + variables.unpinned.join(', ') + ' are not pinned by digest'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: pinned}
spec: {policyName: pinned, validationActions: [Deny]}
"#;
    let (set, _, diags) = set(text);
    assert!(diags.is_empty(), "{diags:?}");
    let out = set
        .evaluate_request(&review(
            "CREATE",
            deploy_json("d", 1, "nginx:1"),
            Json::Null,
            "a",
            &[],
        ))
        .unwrap();
    // `broken` errors, but nothing reads it: no error.
    assert_eq!(out.violations.len(), 1, "{out:?}");
    assert_eq!(
        out.violations[0].message,
        "containers app are not pinned by digest"
    );
    assert_eq!(out.violations[0].cause, Cause::Failed);
    let ok = set
        .evaluate_request(&review(
            "CREATE",
            deploy_json("d", 1, "nginx@sha256:abc"),
            Json::Null,
            "a",
            &[],
        ))
        .unwrap();
    assert!(ok.violations.is_empty());
}

#[test]
fn failure_policy_fail_and_ignore_on_runtime_errors() {
    let policy = |fp: &str| {
        format!(
            r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: strict}}
spec:
  failurePolicy: {fp}
  matchConstraints:
    resourceRules: [{{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}}]
  validations:
  - expression: "object.spec.strategy.type == 'Recreate'"
  - expression: "object.spec.replicas < 100"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: strict}}
spec: {{policyName: strict, validationActions: [Deny]}}
"#
        )
    };
    let req = review("CREATE", deploy_json("d", 500, "x"), Json::Null, "a", &[]);
    let (fail, _, _) = set(&policy("Fail"));
    let out = fail.evaluate_request(&req).unwrap();
    assert_eq!(out.violations.len(), 2, "{out:?}");
    assert_eq!(out.violations[0].cause, Cause::Error);
    assert!(
        out.violations[0].message.contains("no such key: strategy"),
        "{}",
        out.violations[0].message
    );
    assert_eq!(
        out.violations[1].message,
        "failed expression: object.spec.replicas < 100"
    );
    let (ignore, _, _) = set(&policy("Ignore"));
    let out = ignore.evaluate_request(&req).unwrap();
    assert_eq!(out.violations.len(), 1);
    assert_eq!(out.violations[0].cause, Cause::Failed);
    assert_eq!(out.ignored_errors.len(), 1);
}

#[test]
fn namespace_selector_and_namespace_object() {
    let text = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: prod-only}
spec:
  matchConstraints:
    namespaceSelector: {matchLabels: {env: prod}}
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods], scope: Namespaced}]
  validations:
  - expression: "has(object.metadata.labels) && object.metadata.labels.team == namespaceObject.metadata.labels.team"
    message: "pods must carry their namespace's team label"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: prod-only}
spec: {policyName: prod-only, validationActions: [Audit]}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {env: prod, team: red}}
---
apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {env: dev, team: red}}
---
apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: prod, labels: {team: blue}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p2, namespace: prod, labels: {team: red}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p3, namespace: dev}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p4, namespace: unknown}
spec: {containers: [{name: c, image: i}]}
"#;
    let (set, inv, diags) = set(text);
    assert!(diags.is_empty(), "{diags:?}");
    let eval = set.evaluate(&inv, &Config::default());
    let names: Vec<&str> = eval
        .findings
        .iter()
        .map(|f| f.object.name.as_str())
        .collect();
    assert_eq!(names, vec!["p1"]);
    assert_eq!(eval.findings[0].severity, Severity::Low);
    assert_eq!(eval.diagnostics.len(), 1);
    assert!(eval.diagnostics[0].message.contains("Namespace unknown"));
}

#[test]
fn param_selector_evaluates_every_param() {
    let text = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: limits}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]
  validations:
  - expression: "object.spec.replicas <= int(params.data.max)"
    messageExpression: "params.metadata.name + ': at most ' + params.data.max"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: limits}
spec:
  policyName: limits
  validationActions: [Deny]
  paramRef:
    selector: {matchLabels: {policy: limits}}
    parameterNotFoundAction: Allow
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: web, labels: {policy: limits}}
data: {max: "4"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: web, labels: {policy: limits}}
data: {max: "2"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: other, labels: {policy: limits}}
data: {max: "1"}
"#;
    let text = format!(
        "{text}{}{}",
        deployment("three", 3, "i"),
        deployment("five", 5, "i")
    );
    let (set, inv, diags) = set(&text);
    assert!(diags.is_empty(), "{diags:?}");
    let eval = set.evaluate(&inv, &Config::default());
    let mut got: Vec<(String, String)> = eval
        .findings
        .iter()
        .map(|f| (f.object.name.clone(), f.message.to_string()))
        .collect();
    got.sort();
    // The params come from the request's namespace (web), not from `other`.
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got[0].0 == "five" && got[0].1.starts_with("a: at most 4"));
    assert!(got[1].0 == "five" && got[1].1.starts_with("b: at most 2"));
    assert!(got[2].0 == "three" && got[2].1.starts_with("b: at most 2"));
}

#[test]
fn update_compares_with_old_object() {
    let text = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: immutable-image}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [UPDATE], resources: [deployments]}]
  validations:
  - expression: "object.spec.replicas >= oldObject.spec.replicas"
    messageExpression: "'replicas may not go down from ' + string(oldObject.spec.replicas)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: immutable-image}
spec: {policyName: immutable-image, validationActions: [Deny]}
"#;
    let (set, inv, _) = set(&format!("{text}{}", deployment("d", 1, "i")));
    // A manifest is a CREATE: the UPDATE-only policy does not judge it.
    assert!(set.evaluate(&inv, &Config::default()).findings.is_empty());
    let down = review(
        "UPDATE",
        deploy_json("d", 1, "i"),
        deploy_json("d", 3, "i"),
        "a",
        &[],
    );
    let out = set.evaluate_request(&down).unwrap();
    assert_eq!(out.violations[0].message, "replicas may not go down from 3");
    let up = review(
        "UPDATE",
        deploy_json("d", 4, "i"),
        deploy_json("d", 3, "i"),
        "a",
        &[],
    );
    assert!(set.evaluate_request(&up).unwrap().violations.is_empty());
}

#[test]
fn bad_policies_are_diagnostics_and_the_rest_evaluates() {
    let text = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: half-broken}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]
  validations:
  - expression: "object.spec.replicas <"
  - expression: "object.spec.replicas < 3"
    message: too many replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: orphan}
spec: {policyName: nowhere, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: both}
spec: {policyName: half-broken, validationActions: [Deny, Warn]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: half-broken}
spec: {policyName: half-broken, validationActions: [Deny]}
"#;
    let (set, inv, diags) = set(&format!("{text}{}", deployment("d", 5, "i")));
    assert_eq!(diags.len(), 3, "{diags:?}");
    assert!(
        diags
            .iter()
            .any(|d| d.starts_with("vap.yaml:9:") && d.contains("does not compile")),
        "{diags:?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d.starts_with("vap.yaml:13:") && d.contains("nowhere")),
        "{diags:?}"
    );
    assert!(
        diags.iter().any(|d| d.contains("both Deny and Warn")),
        "{diags:?}"
    );
    let eval = set.evaluate(&inv, &Config::default());
    let messages: Vec<&str> = eval.findings.iter().map(|f| &*f.message).collect();
    // The broken expression is an error under failurePolicy Fail; the other one still runs.
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("compilation failed")));
    assert!(messages.iter().any(|m| m.starts_with("too many replicas")));
}

#[test]
fn quantities_object_selector_and_scope() {
    let text = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: memory}
spec:
  matchConstraints:
    objectSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [batch]}]}
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods], scope: Namespaced}]
  validations:
  - expression: "object.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && quantity(c.resources.limits.memory).compareTo(quantity('1Gi')) <= 0)"
    message: memory limits must be set and at most 1Gi
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: memory}
spec: {policyName: memory, validationActions: [Deny]}
---
apiVersion: v1
kind: Pod
metadata: {name: small, namespace: a}
spec: {containers: [{name: c, image: i, resources: {limits: {memory: 512Mi}}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: large, namespace: a}
spec: {containers: [{name: c, image: i, resources: {limits: {memory: 2G}}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: batch, namespace: a, labels: {tier: batch}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: unset}
spec: {containers: [{name: c, image: i}]}
"#;
    let (set, inv, diags) = set(text);
    assert!(diags.is_empty(), "{diags:?}");
    let eval = set.evaluate(&inv, &Config::default());
    let names: Vec<&str> = eval
        .findings
        .iter()
        .map(|f| f.object.name.as_str())
        .collect();
    // `unset` has no namespace: it lands in `default`, which is Namespaced scope.
    assert_eq!(names, vec!["large", "unset"], "{:?}", eval.findings);
}

#[test]
fn policy_set_runs_vaps_in_scans_and_reviews() {
    let text = format!("{REPLICA_LIMIT}{}", deployment("big", 10, "nginx"));
    let inv = load(&text);
    let (set, diags) = palisade_policy::PolicySet::from_inventory(&inv);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(!set.is_empty());
    assert!(set.rules().iter().any(|r| r.id == "VAP-replica-limit"));
    let eval = set.evaluate(&inv, &Config::default());
    assert_eq!(eval.findings.len(), 1);
    assert_eq!(eval.findings[0].rule_id, "VAP-replica-limit");
    let out = set
        .evaluate_review(&review(
            "CREATE",
            deploy_json("big", 10, "nginx"),
            Json::Null,
            "a",
            &[],
        ))
        .unwrap();
    assert!(out.denied());
    assert_eq!(out.vap.violations.len(), 1);
    assert!(out.violations.is_empty());
}

#[test]
fn configuration_errors_follow_the_failure_policy() {
    // A namespaced param kind without paramRef.namespace takes the request's namespace; a
    // cluster-scoped request then cannot have params: a configuration error.
    let text = |fp: &str| {
        format!(
            r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: ns-params}}
spec:
  failurePolicy: {fp}
  paramKind: {{apiVersion: v1, kind: ConfigMap}}
  matchConstraints:
    resourceRules: [{{apiGroups: ["*"], apiVersions: ["*"], operations: [CREATE], resources: ["*"]}}]
  validations:
  - expression: "params.data.allowed == 'yes'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: ns-params}}
spec:
  policyName: ns-params
  validationActions: [Warn]
  paramRef: {{name: settings, parameterNotFoundAction: Deny}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: web}}
data: {{allowed: "no"}}
"#
        )
    };
    let (set, _, diags) = set(&text("Fail"));
    assert!(diags.is_empty(), "{diags:?}");
    let pod = |ns: &str| {
        json!({"kind": "AdmissionReview", "request": {"operation": "CREATE", "namespace": ns, "name": "p",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}}})
    };
    // In `web` the param is found: the validation fails and the binding only warns.
    let out = set.evaluate_request(&pod("web")).unwrap();
    assert!(!out.denied());
    assert_eq!(out.warnings(), vec!["Validation failed for ValidatingAdmissionPolicy 'ns-params' with binding 'ns-params': failed expression: params.data.allowed == 'yes'".to_string()]);
    // In `other` there is none: `Deny` makes it a configuration error, denied whatever the actions.
    let out = set.evaluate_request(&pod("other")).unwrap();
    assert!(out.denied());
    assert_eq!(
        out.deny_message().unwrap(),
        "ValidatingAdmissionPolicy 'ns-params' with binding 'ns-params' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction"
    );
    let ns = json!({"kind": "AdmissionReview", "request": {"operation": "CREATE", "name": "n",
        "kind": {"group": "", "version": "v1", "kind": "Namespace"},
        "resource": {"group": "", "version": "v1", "resource": "namespaces"},
        "object": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}}});
    let out = set.evaluate_request(&ns).unwrap();
    assert!(out
        .deny_message()
        .unwrap()
        .contains("cannot use namespaced paramRef"));
    // Under Ignore, configuration errors are dropped.
    let (ignore, _, _) = self::set(&text("Ignore"));
    let out = ignore.evaluate_request(&ns).unwrap();
    assert!(out.violations.is_empty() && out.ignored_errors.len() == 1);
    // Malformed reviews are errors, not panics.
    assert!(set.evaluate_request(&json!([1])).is_err());
    assert!(set
        .evaluate_request(&json!({"kind": "AdmissionReview"}))
        .is_err());
}

#[test]
fn time_bound_and_deepest_accepted_expression() {
    let sum = vec!["1"; 38].join(" + ");
    let text = format!(
        r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: deep}}
spec:
  matchConstraints:
    resourceRules: [{{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}}]
  validations:
  - expression: "{sum} == object.spec.replicas"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: deep}}
spec: {{policyName: deep, validationActions: [Deny]}}
{}{}"#,
        deployment("ok", 38, "i"),
        deployment("off", 1, "i")
    );
    let (mut set, inv, diags) = set(&text);
    assert!(diags.is_empty(), "{diags:?}");
    // The deepest accepted tree runs on the scan's worker threads.
    let eval = set.evaluate(&inv, &Config::default());
    let names: Vec<&str> = eval
        .findings
        .iter()
        .map(|f| f.object.name.as_str())
        .collect();
    assert_eq!(names, vec!["off"]);
    // An evaluation longer than the bound is an error for the failurePolicy (Fail).
    set.set_eval_time(std::time::Duration::from_nanos(1));
    let eval = set.evaluate(&inv, &Config::default());
    assert_eq!(eval.findings.len(), 2);
    assert!(eval
        .findings
        .iter()
        .all(|f| f.message.contains("exceeded the time bound")));
}
