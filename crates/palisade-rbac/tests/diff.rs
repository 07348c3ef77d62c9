//! `diff` between two policies, and `--fail-on-grant` matching.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use palisade_rbac::{
    diff, fail_on_grant, parse_grant_pattern, parse_subject, AccessTarget, DiffOptions,
    PermissionChange, PolicyDiff, RESOURCE_VERBS,
};

const ROLE_HEAD: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: dev}\nrules:\n";
const ALICE_RB: &str = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: dev}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: User, name: alice}]\n";

fn run(old: &str, new: &str) -> PolicyDiff {
    diff(
        &common::policy(old),
        &common::policy(new),
        &DiffOptions::default(),
    )
}

/// `scope verb resource` of each change of a subject.
fn changes(d: &PolicyDiff, subject: &str, added: bool) -> Vec<String> {
    let s = parse_subject(subject).unwrap();
    let Some(sd) = d.subjects.iter().find(|x| x.subject == s) else {
        return vec![];
    };
    let list: &[PermissionChange] = if added { &sd.added } else { &sd.removed };
    list.iter()
        .map(|c| {
            let target = match &c.permission.target {
                AccessTarget::Resource {
                    api_group,
                    resource,
                    resource_names,
                } => format!("{api_group}/{resource}{resource_names:?}"),
                AccessTarget::NonResource { url } => url.clone(),
            };
            format!(
                "{} {} {target}",
                c.permission.scope.as_deref().unwrap_or("-"),
                c.permission.verb
            )
        })
        .collect()
}

fn role_with(rules: &str) -> String {
    format!("{ROLE_HEAD}{rules}{ALICE_RB}")
}

#[test]
fn grant_added_and_revoked_with_their_binding() {
    let old = role_with("- {apiGroups: [\"\"], resources: [pods], verbs: [get]}\n");
    let new = role_with(
        "- {apiGroups: [\"\"], resources: [pods], verbs: [get]}\n- {apiGroups: [\"\"], resources: [secrets], verbs: [list]}\n",
    );
    let d = run(&old, &new);
    assert_eq!(changes(&d, "user:alice", true), vec!["dev list /secrets[]"]);
    assert!(changes(&d, "user:alice", false).is_empty());
    let added = &d.subjects[0].added[0];
    assert_eq!(added.via[0].binding.to_string(), "RoleBinding/dev/b");
    assert_eq!(added.via[0].rule, 1);
    assert!(!added.wildcard);
    // The other way round it is a revocation, attributed on the OLD side.
    let back = run(&new, &old);
    assert_eq!(
        changes(&back, "user:alice", false),
        vec!["dev list /secrets[]"]
    );
    assert!(changes(&back, "user:alice", true).is_empty());
    assert_eq!(back.subjects.len(), 1);
}

#[test]
fn wildcard_verb_replaced_by_explicit_verbs() {
    let old = role_with("- {apiGroups: [\"\"], resources: [pods], verbs: [\"*\"]}\n");
    let new = role_with("- {apiGroups: [\"\"], resources: [pods], verbs: [get, list]}\n");
    let d = run(&old, &new);
    let removed = changes(&d, "user:alice", false);
    assert!(
        removed.contains(&"dev * /pods[]".to_string()),
        "{removed:?}"
    );
    assert!(removed.contains(&"dev delete /pods[]".to_string()));
    assert!(!removed
        .iter()
        .any(|r| r.starts_with("dev get ") || r.starts_with("dev list ")));
    // `*` itself plus every known verb but get and list.
    assert_eq!(removed.len(), 1 + RESOURCE_VERBS.len() - 2);
    assert!(changes(&d, "user:alice", true).is_empty());
    let sd = &d.subjects[0];
    let delete = sd
        .removed
        .iter()
        .find(|c| c.permission.verb == "delete")
        .unwrap();
    assert!(delete.wildcard, "delete was held only through *");
    let star = sd
        .removed
        .iter()
        .find(|c| c.permission.verb == "*")
        .unwrap();
    assert!(!star.wildcard);

    // A verb no list knows is still covered by `*`.
    let custom = role_with("- {apiGroups: [\"\"], resources: [pods], verbs: [get, frobnicate]}\n");
    assert!(changes(&run(&old, &custom), "user:alice", true).is_empty());
    assert_eq!(
        changes(&run(&custom, &old), "user:alice", false),
        Vec::<String>::new()
    );

    // And the other way: explicit verbs widened to `*`.
    let back = run(&new, &old);
    let added = changes(&back, "user:alice", true);
    assert!(added.contains(&"dev * /pods[]".to_string()));
    assert!(added.contains(&"dev create /pods[]".to_string()));
    assert!(!added.contains(&"dev get /pods[]".to_string()));
}

#[test]
fn same_permissions_through_another_role_is_no_change() {
    let old = role_with(
        "- {apiGroups: [\"\"], resources: [pods], verbs: [get, list]}\n- {apiGroups: [apps], resources: [deployments], verbs: [get, list]}\n",
    );
    // Rules are cross products: groups × resources. Folding both into one rule would also
    // grant `deployments` in the core group, and the diff says so.
    let folded = role_with(
        "- {apiGroups: [\"\", apps], resources: [pods, deployments], verbs: [get, list]}\n",
    );
    assert_eq!(run(&folded, &old).subjects[0].removed.len(), 4);
    let new = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules:\n- {apiGroups: [apps], resources: [deployments], verbs: [list, get]}\n- {apiGroups: [\"\"], resources: [pods], verbs: [get]}\n- {apiGroups: [\"\"], resources: [pods], verbs: [list]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: moved, namespace: dev}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}\nsubjects: [{kind: User, name: alice}]\n";
    let d = run(&old, new);
    assert!(d.subjects.is_empty(), "{:?}", d.subjects);
    assert!(d.compared > 1);
}

#[test]
fn narrowing_scope_or_names_is_only_a_revocation() {
    let cluster = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: s}\nrules:\n- {apiGroups: [\"\"], resources: [secrets], verbs: [get]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: s}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: s}\nsubjects: [{kind: User, name: alice}]\n";
    let named = role_with(
        "- {apiGroups: [\"\"], resources: [secrets], verbs: [get], resourceNames: [db]}\n",
    );
    let d = run(cluster, &named);
    assert_eq!(changes(&d, "user:alice", false), vec!["- get /secrets[]"]);
    assert!(changes(&d, "user:alice", true).is_empty());
    let widen = run(&named, cluster);
    assert_eq!(
        changes(&widen, "user:alice", true),
        vec!["- get /secrets[]"]
    );
    assert!(changes(&widen, "user:alice", false).is_empty());
}

#[test]
fn resource_wildcards_cover_what_they_replace() {
    let star = role_with("- {apiGroups: [\"*\"], resources: [\"*\"], verbs: [get]}\n");
    let pods = role_with("- {apiGroups: [\"\"], resources: [pods, pods/log], verbs: [get]}\n");
    let d = run(&star, &pods);
    assert_eq!(changes(&d, "user:alice", false), vec!["dev get */*[]"]);
    assert!(changes(&d, "user:alice", true).is_empty());
    let sub = role_with("- {apiGroups: [apps], resources: [\"*/scale\"], verbs: [update]}\n");
    let one = role_with("- {apiGroups: [apps], resources: [deployments/scale], verbs: [update]}\n");
    assert!(changes(&run(&sub, &one), "user:alice", true).is_empty());
    assert_eq!(
        changes(&run(&one, &sub), "user:alice", true),
        vec!["dev update apps/*/scale[]"]
    );
}

#[test]
fn implicit_group_grants_are_reported_under_the_group() {
    let base = role_with("- {apiGroups: [\"\"], resources: [pods], verbs: [get]}\n");
    let new = base.clone() + "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cm}\nrules:\n- {apiGroups: [\"\"], resources: [configmaps], verbs: [list]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: everyone}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cm}\nsubjects: [{kind: Group, name: system:authenticated}]\n";
    let d = run(&base, &new);
    assert_eq!(
        changes(&d, "group:system:authenticated", true),
        vec!["- list /configmaps[]"]
    );
    assert!(changes(&d, "user:alice", true).is_empty());
    let inherited = diff(
        &common::policy(&base),
        &common::policy(&new),
        &DiffOptions { inherited: true },
    );
    assert_eq!(
        changes(&inherited, "user:alice", true),
        vec!["- list /configmaps[]"]
    );
}

#[test]
fn fail_on_grant_patterns_match_added_grants() {
    let old = role_with("- {apiGroups: [\"\"], resources: [pods], verbs: [get]}\n");
    let secrets = role_with(
        "- {apiGroups: [\"\"], resources: [pods], verbs: [get]}\n- {apiGroups: [\"\"], resources: [secrets], verbs: [watch]}\n",
    );
    let patterns: Vec<_> = [
        "secrets-read",
        "exec",
        "cluster-admin",
        "get:secrets",
        "create:pods/exec",
        "*:*.*",
    ]
    .iter()
    .map(|p| parse_grant_pattern(p).unwrap())
    .collect();
    let hits = fail_on_grant(&run(&old, &secrets), &patterns);
    let names: Vec<String> = hits.iter().map(|h| h.pattern.to_string()).collect();
    assert_eq!(
        names,
        vec!["secrets-read"],
        "watch reveals contents; get:secrets is not watch"
    );
    assert_eq!(hits[0].subject.to_string(), "user:alice");
    assert_eq!(hits[0].grant.permission.verb, "watch");

    // A wildcard added cluster-wide matches every pattern, each through its `*` grant.
    let star = old.clone() + "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: all}\nrules:\n- {apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: all}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}\nsubjects: [{kind: ServiceAccount, name: ci, namespace: build}]\n";
    let hits = fail_on_grant(&run(&old, &star), &patterns);
    for p in &patterns {
        assert!(
            hits.iter()
                .any(|h| h.pattern == *p && h.subject.to_string() == "sa:build/ci"),
            "{p} not matched"
        );
    }
    assert!(hits
        .iter()
        .all(|h| h.grant.via[0].binding.to_string() == "ClusterRoleBinding/all"));

    // The same wildcard in one namespace is not cluster-admin.
    let ns_star = role_with("- {apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}\n");
    let hits = fail_on_grant(&run(&old, &ns_star), &patterns);
    assert!(hits.iter().any(|h| h.pattern.to_string() == "exec"));
    assert!(!hits
        .iter()
        .any(|h| h.pattern.to_string() == "cluster-admin"));
    // Nothing added, nothing matched.
    assert!(fail_on_grant(&run(&ns_star, &old), &patterns).is_empty());
}
