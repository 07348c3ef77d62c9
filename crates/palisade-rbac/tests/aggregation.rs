//! ClusterRole aggregation as the clusterrole-aggregation controller computes it.

mod common;

use common::{policy, policy_with, request};
use palisade_rbac::{Options, ProblemKind};

fn no_bootstrap() -> Options {
    Options {
        bootstrap: false,
        ..Default::default()
    }
}

const CHAIN: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: top}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {tier: mid}
  - matchExpressions: [{key: extra, operator: Exists}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: mid, labels: {tier: mid}}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions:
    - {key: tier, operator: In, values: [leaf]}
    - {key: skip, operator: DoesNotExist}
    - {key: env, operator: NotIn, values: [test]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: b-leaf, labels: {tier: leaf}}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
- {apiGroups: [""], resources: [services], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a-leaf, labels: {tier: leaf, env: prod}}
rules:
- {apiGroups: [""], resources: [services], verbs: [get]}
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: skipped, labels: {tier: leaf, skip: "yes"}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: test-only, labels: {tier: leaf, env: test}}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: extra, labels: {extra: ""}}
rules: [{apiGroups: [apps], resources: [deployments], verbs: [get]}]
"#;

#[test]
fn chains_converge_in_selector_then_name_order_without_duplicates() {
    let p = policy_with(CHAIN, &no_bootstrap());
    let mid = p.cluster_role("mid").unwrap();
    let shown: Vec<String> = mid
        .rules
        .iter()
        .map(|r| {
            format!(
                "{}<-{}",
                r.resources[0],
                r.aggregated_from.as_deref().unwrap()
            )
        })
        .collect();
    // a-leaf before b-leaf (by name); `services` only once (ruleExists); the roles the
    // expressions exclude contribute nothing.
    assert_eq!(
        shown,
        ["services<-a-leaf", "configmaps<-a-leaf", "pods<-b-leaf"]
    );
    let top = p.cluster_role("top").unwrap();
    let resources: Vec<&str> = top.rules.iter().map(|r| r.resources[0].as_str()).collect();
    // First selector (mid's aggregated rules), then the second (extra).
    assert_eq!(resources, ["services", "configmaps", "pods", "deployments"]);
    // Aggregated rules keep the place they were written in the leaf.
    assert_eq!(top.rules[2].location.as_ref().unwrap().line, 24);
    assert!(p.problems().is_empty(), "{:?}", p.problems());
}

#[test]
fn aggregated_role_grants_through_bindings() {
    let text = format!(
        "{CHAIN}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
         metadata: {{name: tops}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: top}}\n\
         subjects: [{{kind: User, name: t}}]\n"
    );
    let p = policy_with(&text, &no_bootstrap());
    assert!(p
        .allows(&request("user:t", "get", "deployments.apps", "x", ""))
        .is_allowed());
    assert!(p
        .allows(&request("user:t", "get", "pods", "x", ""))
        .is_allowed());
    assert!(!p
        .allows(&request("user:t", "get", "secrets", "x", ""))
        .is_allowed());
    assert!(!p
        .allows(&request("user:t", "get", "nodes", "", ""))
        .is_allowed());
}

#[test]
fn a_dumped_aggregated_role_is_recomputed_without_complaint() {
    // As `kubectl get clusterrole -o yaml` shows it: the controller's union already written.
    let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {x: "1"}}]}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part, labels: {x: "1"}}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
"#;
    let p = policy(text);
    assert!(p.problems().is_empty(), "{:?}", p.problems());
    assert_eq!(p.cluster_role("agg").unwrap().rules.len(), 1);
}

#[test]
fn an_aggregation_rule_without_selectors_empties_the_role() {
    let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule: {}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
"#;
    let p = policy(text);
    assert!(p.cluster_role("agg").unwrap().rules.is_empty());
    assert_eq!(p.problems()[0].kind, ProblemKind::AggregatedRulesReplaced);
    // `aggregationRule: null` is no aggregation at all.
    let p = policy(&text.replace("aggregationRule: {}", "aggregationRule: null"));
    assert_eq!(p.cluster_role("agg").unwrap().rules.len(), 1);
}

#[test]
fn custom_parts_extend_bootstrap_view_edit_admin() {
    let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-edit
  labels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}
rules: [{apiGroups: [example.com], resources: [widgets], verbs: [create]}]
"#;
    let p = policy(text);
    let has = |role: &str| {
        p.cluster_role(role)
            .unwrap()
            .rules
            .iter()
            .any(|r| r.resources == ["widgets"])
    };
    assert!(has("edit") && has("admin") && !has("view"));
    assert!(p.cluster_role("admin").unwrap().origin.is_bootstrap());
    // Bootstrap admin holds the bootstrap parts too.
    let admin = p.cluster_role("admin").unwrap();
    assert!(admin
        .rules
        .iter()
        .any(|r| r.aggregated_from.as_deref() == Some("system:aggregate-to-view")));
}
