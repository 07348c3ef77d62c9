//! Table-driven tests of the authorizer's decision: one row per rule of the Kubernetes RBAC
//! documentation and of the authorizer's matching functions.

mod common;

use common::{policy, request};
use palisade_rbac::{Decision, Origin};

/// Each user below is granted exactly one thing, so each row tests one rule.
const POLICY: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: any-verb-pods}
rules:
- {apiGroups: [""], resources: [pods], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: get-any-group-deployments}
rules:
- {apiGroups: ["*"], resources: [deployments], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: list-any-resource-apps}
rules:
- {apiGroups: [apps], resources: ["*"], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: exec}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: scale-anything}
rules:
- {apiGroups: ["*"], resources: ["*/scale"], verbs: [update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pods-slash-star}
rules:
- {apiGroups: [""], resources: ["pods/*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: one-configmap}
rules:
- {apiGroups: [""], resources: [configmaps], resourceNames: [settings], verbs: [get, list, update, create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: urls}
rules:
- {nonResourceURLs: [/healthz, "/logs/*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: all-urls}
rules:
- {nonResourceURLs: ["*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secrets-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: local, namespace: team-a}
rules:
- {apiGroups: [""], resources: [services], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: u1}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: any-verb-pods}
subjects: [{kind: User, name: u1}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: u2}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: get-any-group-deployments}
subjects: [{kind: User, name: u2}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: u3}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: list-any-resource-apps}
subjects: [{kind: User, name: u3}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: u4}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: exec}
subjects: [{kind: User, name: u4}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: u5}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: scale-anything}
subjects: [{kind: User, name: u5}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: u6}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods-slash-star}
subjects: [{kind: User, name: u6}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: u7}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: one-configmap}
subjects: [{kind: User, name: u7}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: u8}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: urls}
subjects: [{kind: User, name: u8}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: u9}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all-urls}
subjects: [{kind: User, name: u9}]
---
# A RoleBinding to a ClusterRole grants it in the binding's namespace only.
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb-secrets, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets-reader}
subjects:
- {kind: User, name: rb-user}
- {kind: ServiceAccount, name: local-sa}
- {kind: Group, name: "system:serviceaccounts:team-b"}
---
# A RoleBinding's Role is looked up in the binding's namespace: `local` is in team-a.
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb-local, namespace: team-b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local}
subjects: [{kind: User, name: cross-ns}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb-local, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local}
subjects: [{kind: User, name: local-user}]
---
# A RoleBinding to a ClusterRole with nonResourceURLs grants no URL.
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb-urls, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: urls}
subjects: [{kind: User, name: rb-url-user}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: authenticated-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secrets-reader}
subjects:
- {kind: Group, name: "system:serviceaccounts:ci"}
- {kind: ServiceAccount, name: no-namespace}
---
# Aggregation: a custom role labelled aggregate-to-view extends the bootstrap `view`.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- {apiGroups: [example.com], resources: [widgets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewers, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: User, name: viewer}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: admins, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{kind: User, name: ns-admin}]
"#;

/// (description, subject, verb, resource, namespace, name, allowed)
#[rustfmt::skip]
const TABLE: &[(&str, &str, &str, &str, &str, &str, bool)] = &[
    ("verb * allows any verb", "user:u1", "deletecollection", "pods", "x", "", true),
    ("verb * on pods does not reach pods/exec", "user:u1", "create", "pods/exec", "x", "", false),
    ("verb * on core pods is not apps", "user:u1", "get", "pods.apps", "x", "", false),
    ("apiGroups * matches any group", "user:u2", "get", "deployments.apps", "x", "", true),
    ("apiGroups * matches the core group", "user:u2", "get", "deployments.extensions", "x", "", true),
    ("apiGroups * still needs the verb", "user:u2", "list", "deployments.apps", "x", "", false),
    ("resources * matches every resource of the group", "user:u3", "list", "statefulsets.apps", "x", "", true),
    ("resources * matches subresources", "user:u3", "list", "deployments.apps/scale", "x", "", true),
    ("resources * is limited to its group", "user:u3", "list", "pods", "x", "", false),
    ("resource/subresource combined", "user:u4", "create", "pods/exec", "x", "", true),
    ("subresource rule does not grant the resource", "user:u4", "create", "pods", "x", "", false),
    ("subresource must match exactly", "user:u4", "create", "pods/attach", "x", "", false),
    ("*/scale matches any resource's scale", "user:u5", "update", "deployments.apps/scale", "x", "", true),
    ("*/scale matches core scale", "user:u5", "update", "replicationcontrollers/scale", "x", "", true),
    ("*/scale does not match the resource", "user:u5", "update", "deployments.apps", "x", "", false),
    ("*/scale does not match another subresource", "user:u5", "update", "deployments.apps/status", "x", "", false),
    ("pods/* is not a wildcard", "user:u6", "get", "pods/log", "x", "", false),
    ("resourceNames: named get allowed", "user:u7", "get", "configmaps", "x", "settings", true),
    ("resourceNames: other name denied", "user:u7", "get", "configmaps", "x", "other", false),
    ("resourceNames: list has no name, denied", "user:u7", "list", "configmaps", "x", "", false),
    ("resourceNames: create has no name, denied", "user:u7", "create", "configmaps", "x", "", false),
    ("resourceNames: named update allowed", "user:u7", "update", "configmaps", "x", "settings", true),
    ("nonResourceURL exact", "user:u8", "get", "/healthz", "", "", true),
    ("nonResourceURL exact is not a prefix", "user:u8", "get", "/healthz/etcd", "", "", false),
    ("nonResourceURL star suffix is a prefix", "user:u8", "get", "/logs/kube.log", "", "", true),
    ("nonResourceURL star suffix matches the bare prefix", "user:u8", "get", "/logs/", "", "", true),
    ("nonResourceURL star suffix needs the slash", "user:u8", "get", "/logs", "", "", false),
    ("nonResourceURL verb must match", "user:u8", "post", "/healthz", "", "", false),
    ("nonResourceURL * matches every path", "user:u9", "get", "/anything/at/all", "", "", true),
    ("nonResourceURL * grants no resource", "user:u9", "get", "pods", "x", "", false),
    ("RoleBinding to ClusterRole: own namespace", "user:rb-user", "get", "secrets", "team-a", "", true),
    ("RoleBinding to ClusterRole: other namespace", "user:rb-user", "get", "secrets", "team-b", "", false),
    ("RoleBinding to ClusterRole: not cluster-wide", "user:rb-user", "get", "secrets", "", "", false),
    ("RoleBinding SA subject defaults to binding namespace", "sa:team-a/local-sa", "get", "secrets", "team-a", "", true),
    ("RoleBinding SA default namespace is not another", "sa:team-c/local-sa", "get", "secrets", "team-a", "", false),
    ("implicit group system:serviceaccounts:NS", "sa:team-b/anyone", "get", "secrets", "team-a", "", true),
    ("implicit SA group needs that namespace", "sa:team-c/anyone", "get", "secrets", "team-a", "", false),
    ("ClusterRoleBinding to SA group: cluster-wide", "sa:ci/builder", "get", "secrets", "prod", "", true),
    ("ClusterRoleBinding SA without namespace never matches", "sa:default/no-namespace", "get", "secrets", "prod", "", false),
    ("RoleBinding Role resolved in its own namespace", "user:local-user", "get", "services", "team-a", "", true),
    ("RoleBinding cannot reach a Role of another namespace", "user:cross-ns", "get", "services", "team-b", "", false),
    ("RoleBinding grants no nonResourceURL", "user:rb-url-user", "get", "/logs/x", "", "", false),
    ("bootstrap: system:masters is cluster-admin", "group:system:masters", "delete", "nodes", "", "", true),
    ("bootstrap: authenticated users may self-review", "user:nobody", "create", "selfsubjectaccessreviews.authorization.k8s.io", "", "", true),
    ("bootstrap: authenticated users read discovery", "user:nobody", "get", "/apis/apps", "", "", true),
    ("bootstrap: anonymous reads /healthz", "user:system:anonymous", "get", "/healthz", "", "", true),
    ("bootstrap: anonymous does not read discovery", "user:system:anonymous", "get", "/api", "", "", false),
    ("bootstrap: service accounts read OIDC discovery", "sa:x/y", "get", "/openid/v1/jwks", "", "", true),
    ("bootstrap: nobody else reads secrets", "user:nobody", "get", "secrets", "team-a", "", false),
    ("aggregation: view gets bootstrap parts", "user:viewer", "list", "deployments.apps", "team-a", "", true),
    ("aggregation: view gets the custom part", "user:viewer", "get", "widgets.example.com", "team-a", "", true),
    ("aggregation: view does not read secrets", "user:viewer", "get", "secrets", "team-a", "", false),
    ("aggregation: admin includes edit includes view", "user:ns-admin", "get", "widgets.example.com", "team-a", "", true),
    ("aggregation: admin manages roles", "user:ns-admin", "create", "rolebindings.rbac.authorization.k8s.io", "team-a", "", true),
    ("aggregation: admin reads secrets via edit", "user:ns-admin", "list", "secrets", "team-a", "", true),
    ("aggregation: admin is namespaced by its RoleBinding", "user:ns-admin", "list", "secrets", "team-b", "", false),
];

#[test]
fn table_of_rbac_rules() {
    let p = policy(POLICY);
    let mut failures = Vec::new();
    for &(what, subject, verb, resource, ns, name, expected) in TABLE {
        let req = request(subject, verb, resource, ns, name);
        let got = p.allows(&req).is_allowed();
        if got != expected {
            failures.push(format!("{what}: {subject} {verb} {resource} ns={ns:?} name={name:?}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn decision_names_binding_role_and_rule() {
    let p = policy(POLICY);
    match p.allows(&request("user:u8", "get", "/logs/x", "", "")) {
        Decision::Allow {
            binding,
            role,
            rule,
            subject,
        } => {
            assert_eq!(&*binding.name, "u8");
            assert_eq!(&*role.name, "urls");
            assert_eq!(rule, 0);
            assert_eq!(subject.name, "u8");
            assert_eq!(role.rules[rule].location.as_ref().unwrap().line, 48);
        }
        Decision::NoOpinion => panic!("expected allow"),
    }
    // Through bootstrap: the decision says so.
    match p.allows(&request("group:system:masters", "get", "pods", "x", "")) {
        Decision::Allow { binding, role, .. } => {
            assert!(
                matches!(binding.origin, Origin::Bootstrap { version } if version == palisade_rbac::BOOTSTRAP_VERSION)
            );
            assert!(role.origin.is_bootstrap());
        }
        Decision::NoOpinion => panic!("expected allow"),
    }
}

#[test]
fn cluster_role_bindings_are_visited_before_role_bindings() {
    let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: first-in-file, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: [{kind: User, name: x}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects: [{kind: User, name: x}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
"#;
    let p = policy(text);
    match p.allows(&request("user:x", "get", "pods", "a", "")) {
        Decision::Allow { binding, .. } => assert_eq!(&*binding.name, "cluster"),
        Decision::NoOpinion => panic!("expected allow"),
    }
}

#[test]
fn input_wins_over_bootstrap_and_bootstrap_can_be_turned_off() {
    let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
"#;
    let p = policy(text);
    let role = p.cluster_role("cluster-admin").unwrap();
    assert!(!role.origin.is_bootstrap());
    // The bootstrap binding to system:masters still applies, to the input's role.
    assert!(p
        .allows(&request("group:system:masters", "get", "pods", "a", ""))
        .is_allowed());
    assert!(!p
        .allows(&request("group:system:masters", "get", "secrets", "a", ""))
        .is_allowed());
    let off = common::policy_with(
        text,
        &palisade_rbac::Options {
            bootstrap: false,
            ..Default::default()
        },
    );
    assert!(off.cluster_role("view").is_none());
    assert!(!off
        .allows(&request("group:system:masters", "get", "pods", "a", ""))
        .is_allowed());
}
