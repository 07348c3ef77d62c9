//! Bad input: each diagnostic is reported at its line, and the rest is still analysed.

mod common;

use common::{policy, query, request};
use palisade_rbac::{who_can, ProblemKind};

/// Each object shows one problem; the `# line N` comments are the lines the problems must
/// name (checked against the text below, so they cannot drift).
const BAD: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: no-ref, namespace: a}
subjects: [{kind: User, name: u}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bad-kind, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Policy, name: x}
subjects: [{kind: User, name: u}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb-to-role}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local}
subjects: [{kind: User, name: u}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: missing-role, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: does-not-exist}
subjects: [{kind: User, name: u}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: other-namespace-role, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local}
subjects: [{kind: User, name: u}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: subjects}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: good}
subjects:
- {kind: Robot, name: r2d2}
- {kind: ServiceAccount, name: no-ns}
- {kind: User}
- {kind: User, name: ok-user}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: local, namespace: a}
rules:
- apiGroups: [""]
  resources: [pods]
- {nonResourceURLs: [/healthz], verbs: [get]}
- {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: good}
rules:
- {apiGroups: [""], resources: [pods], nonResourceURLs: [/x], verbs: [get]}
- {apiGroups: [""], resources: [secrets], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: good}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: hand-aggregated
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {pick: me}}]
rules:
- {apiGroups: [""], resources: [nodes], verbs: [delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: bad-selector
aggregationRule:
  clusterRoleSelectors: [{matchExpressions: [{key: a, operator: Near}]}]
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: malformed}
rules:
- {apiGroups: [""], resources: pods, verbs: [get]}
- just-a-string
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: empty-ref}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {generateName: nameless-}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: good}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: use-local, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: local}
subjects: [{kind: User, name: local-user}]
"#;

/// The line of the first line of `BAD` containing `needle` (after line `after`).
fn line_of(needle: &str, after: u32) -> u32 {
    BAD.lines()
        .enumerate()
        .skip(after as usize)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i as u32 + 1)
        .unwrap_or_else(|| panic!("{needle} not in fixture"))
}

#[test]
fn each_problem_is_reported_at_its_line() {
    let p = policy(BAD);
    let problems = p.problems();
    let expect = [
        (ProblemKind::MissingRoleRef, line_of("name: no-ref", 0) - 2),
        (
            ProblemKind::UnsupportedRoleRefKind,
            line_of("kind: Policy", 0),
        ),
        (
            ProblemKind::ClusterBindingToRole,
            line_of("kind: Role, name: local", 0),
        ),
        (ProblemKind::UnknownSubjectKind, line_of("kind: Robot", 0)),
        (
            ProblemKind::ServiceAccountWithoutNamespace,
            line_of("name: no-ns", 0),
        ),
        (ProblemKind::InvalidSubject, line_of("- {kind: User}", 0)),
        (
            ProblemKind::RuleWithoutVerbs,
            line_of("- apiGroups: [\"\"]", 0),
        ),
        (
            ProblemKind::NonResourceUrlsInRole,
            line_of("nonResourceURLs: [/healthz]", 0),
        ),
        (
            ProblemKind::RuleMixesResourcesAndUrls,
            line_of("nonResourceURLs: [/x]", 0),
        ),
        (
            ProblemKind::Duplicate,
            line_of(
                "metadata: {name: good}",
                line_of("metadata: {name: good}", 0),
            ) - 2,
        ),
        (
            ProblemKind::AggregatedRulesReplaced,
            line_of("resources: [nodes], verbs: [delete]", 0),
        ),
        (
            ProblemKind::InvalidAggregationSelector,
            line_of("operator: Near", 0),
        ),
        (ProblemKind::MalformedRule, line_of("resources: pods", 0)),
        (ProblemKind::MalformedRule, line_of("- just-a-string", 0)),
        (
            ProblemKind::InvalidRoleRef,
            line_of("name: empty-ref", 0) + 1,
        ),
        (
            ProblemKind::MissingName,
            line_of("generateName: nameless-", 0) - 2,
        ),
        (
            ProblemKind::RoleNotFound,
            line_of("name: does-not-exist", 0),
        ),
        (
            ProblemKind::RoleNotFound,
            line_of("name: other-namespace-role", 0) + 1,
        ),
    ];
    let mut missing = Vec::new();
    for (kind, line) in expect {
        if !problems
            .iter()
            .any(|p| p.kind == kind && p.location.line == line && &*p.location.path == "rbac.yaml")
        {
            missing.push(format!("{kind:?} at line {line}"));
        }
    }
    assert!(
        missing.is_empty(),
        "missing {missing:?}\nreported:\n{}",
        problems
            .iter()
            .map(|p| format!("{:?} {}", p.kind, p))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Nothing is reported twice or beyond what the fixture shows.
    assert_eq!(problems.len(), expect.len(), "{problems:#?}");
    // Messages name what is wrong.
    let not_found = problems
        .iter()
        .find(|p| p.kind == ProblemKind::RoleNotFound)
        .unwrap();
    assert!(
        not_found.message.contains("does-not-exist"),
        "{}",
        not_found.message
    );
    assert_eq!(not_found.object.name, "missing-role");
}

#[test]
fn the_rest_is_still_analysed() {
    let p = policy(BAD);
    // The later duplicate of `good` is used: get secrets, not list.
    assert!(p
        .allows(&request("user:ok-user", "get", "secrets", "a", ""))
        .is_allowed());
    assert!(!p
        .allows(&request("user:ok-user", "list", "secrets", "a", ""))
        .is_allowed());
    // The valid rule of a Role with invalid rules still grants, in its namespace.
    assert!(p
        .allows(&request("user:local-user", "get", "pods", "a", ""))
        .is_allowed());
    assert!(!p
        .allows(&request("user:local-user", "get", "pods", "b", ""))
        .is_allowed());
    let grants = who_can(&p, &query("get", "secrets", Some("a"), None));
    assert!(grants.iter().any(|g| g.subject.name == "ok-user"));
    assert!(!grants.iter().any(|g| g.subject.name == "r2d2"));
    // An aggregated role keeps only what it selects (nothing here), as the controller would.
    assert!(p.cluster_role("hand-aggregated").unwrap().rules.is_empty());
    // A role whose selector does not parse keeps its written rules.
    assert_eq!(p.cluster_role("bad-selector").unwrap().rules.len(), 1);
}

#[test]
fn garbage_never_panics() {
    for text in [
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrules: 7\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrules: [[1, 2], {verbs: {a: b}}]\naggregationRule: [1]\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: x}\nroleRef: [a]\nsubjects: {kind: User}\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: []\n",
        "apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRoleList\nitems:\n- metadata: {name: a}\n  rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n",
    ] {
        let p = policy(text);
        let _ = who_can(&p, &query("get", "pods", None, None));
        let _ = palisade_rbac::access(&p, &palisade_rbac::parse_subject("user:x").unwrap());
    }
    // A v1beta1 typed list is read (the loader unwraps it).
    let p = policy("apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRoleList\nitems:\n- metadata: {name: a}\n  rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n");
    assert!(p
        .cluster_role("a")
        .is_some_and(|r| !r.origin.is_bootstrap()));
}

#[test]
fn unset_namespaces_meet_only_each_other() {
    let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: ServiceAccount, name: app}]
"#;
    let p = policy(text);
    assert!(p.problems().is_empty(), "{:?}", p.problems());
    let grants = who_can(&p, &query("get", "pods", None, None));
    let app = grants.iter().find(|g| g.subject.name == "app").unwrap();
    assert_eq!(
        app.subject.namespace.as_deref(),
        Some(palisade_rbac::UNSET_NAMESPACE)
    );
    assert!(who_can(&p, &query("get", "pods", Some("default"), None))
        .iter()
        .all(|g| g.subject.name != "app"));
    let chosen = common::policy_with(
        text,
        &palisade_rbac::Options {
            unset_namespace: "prod".into(),
            ..Default::default()
        },
    );
    assert!(chosen
        .allows(&request("sa:prod/app", "get", "pods", "prod", ""))
        .is_allowed());
}
