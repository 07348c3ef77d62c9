//! who-can and access through the public API.

mod common;

use common::{policy, query};
use palisade_rbac::{access, parse_subject, who_can, AccessTarget, GrantSubjectKind};

const POLICY: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}
- {apiGroups: [""], resources: [configmaps], resourceNames: [app-config], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: deployer}
rules:
- {apiGroups: [apps, ""], resources: ["*"], verbs: ["*"]}
- {nonResourceURLs: ["/metrics"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-a, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects:
- {kind: ServiceAccount, name: app}
- {kind: Group, name: devs}
- {kind: User, name: zed}
- {kind: Robot, name: r2d2}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-b, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects: [{kind: Group, name: devs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: deployer}
subjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]
"#;

fn names(grants: &[palisade_rbac::Grant]) -> Vec<String> {
    grants
        .iter()
        .map(|g| match &g.subject.namespace {
            Some(ns) => format!("{}:{}/{}", g.subject.kind.as_str(), ns, g.subject.name),
            None => format!("{}:{}", g.subject.kind.as_str(), g.subject.name),
        })
        .collect()
}

#[test]
fn who_can_in_one_namespace() {
    let p = policy(POLICY);
    let grants = who_can(&p, &query("get", "pods/log", Some("a"), None));
    assert_eq!(
        names(&grants),
        [
            "User:zed",
            "Group:devs",
            "Group:system:masters",
            "ServiceAccount:a/app",
            "ServiceAccount:ci/deployer"
        ]
    );
    let masters = &grants[2];
    assert!(masters.via[0].binding.bootstrap && masters.via[0].role.bootstrap);
    let devs = &grants[1];
    assert_eq!(devs.via.len(), 1);
    assert_eq!(devs.via[0].namespace.as_deref(), Some("a"));
    assert_eq!(devs.via[0].role.to_string(), "ClusterRole/pod-reader");
    assert_eq!(devs.via[0].rule, 0);
}

#[test]
fn who_can_across_namespaces_reports_each_namespace() {
    let p = policy(POLICY);
    let grants = who_can(&p, &query("list", "pods", None, None));
    let devs = grants
        .iter()
        .find(|g| g.subject.kind == GrantSubjectKind::Group && g.subject.name == "devs")
        .unwrap();
    let scopes: Vec<_> = devs.via.iter().map(|v| v.namespace.as_deref()).collect();
    assert_eq!(scopes, [Some("a"), Some("b")]);
    let deployer = grants
        .iter()
        .find(|g| g.subject.name == "deployer")
        .unwrap();
    assert_eq!(
        deployer.via[0].namespace, None,
        "a ClusterRoleBinding holds everywhere"
    );
    // Deterministic: the same query gives the same list.
    assert_eq!(grants, who_can(&p, &query("list", "pods", None, None)));
}

#[test]
fn who_can_respects_resource_names_and_verbs() {
    let p = policy(POLICY);
    let named = who_can(
        &p,
        &query("get", "configmaps", Some("a"), Some("app-config")),
    );
    assert!(names(&named).contains(&"Group:devs".to_string()));
    let unnamed = who_can(&p, &query("get", "configmaps", Some("a"), None));
    assert!(!names(&unnamed).contains(&"Group:devs".to_string()));
    let delete = who_can(&p, &query("delete", "pods", Some("a"), None));
    assert!(!names(&delete).contains(&"Group:devs".to_string()));
    assert!(names(&delete).contains(&"ServiceAccount:ci/deployer".to_string()));
}

#[test]
fn who_can_non_resource_urls_only_through_cluster_bindings() {
    let p = policy(POLICY);
    let grants = who_can(&p, &query("get", "/metrics", Some("a"), None));
    let n = names(&grants);
    assert!(
        n.contains(&"ServiceAccount:ci/deployer".to_string()),
        "{n:?}"
    );
    assert!(n.contains(&"Group:system:monitoring".to_string()), "{n:?}");
    assert!(!n.contains(&"Group:devs".to_string()));
    assert!(grants
        .iter()
        .all(|g| g.via.iter().all(|v| v.namespace.is_none())));
}

#[test]
fn access_lists_scopes_with_wildcards_and_attribution() {
    let p = policy(POLICY);
    let m = access(&p, &parse_subject("sa:ci/deployer").unwrap());
    assert_eq!(m.user.name, "system:serviceaccount:ci:deployer");
    let cluster = &m.scopes[0];
    assert_eq!(cluster.namespace, None);
    let star = cluster
        .entries
        .iter()
        .find(|e| {
            e.target
                == AccessTarget::Resource {
                    api_group: "apps".into(),
                    resource: "*".into(),
                    resource_names: vec![],
                }
        })
        .unwrap();
    assert_eq!(star.verbs, ["*"]);
    assert_eq!(
        star.grants[0].via.binding.to_string(),
        "ClusterRoleBinding/ci"
    );
    assert!(cluster.entries.iter().any(|e| e.target
        == AccessTarget::NonResource {
            url: "/metrics".into()
        }));
    // Implicit group system:authenticated brings the bootstrap self-review permissions.
    assert!(cluster.entries.iter().any(|e| matches!(&e.target,
        AccessTarget::Resource { resource, .. } if resource == "selfsubjectaccessreviews")
        && e.grants.iter().all(|g| g.via.binding.bootstrap)));
}

#[test]
fn access_of_a_group_per_namespace() {
    let p = policy(POLICY);
    let m = access(&p, &parse_subject("group:devs").unwrap());
    let namespaces: Vec<_> = m.scopes.iter().map(|s| s.namespace.as_deref()).collect();
    assert_eq!(namespaces, [None, Some("a"), Some("b")]);
    let a = &m.scopes[1];
    let cm = a
        .entries
        .iter()
        .find(|e| matches!(&e.target, AccessTarget::Resource { resource, .. } if resource == "configmaps"))
        .unwrap();
    assert_eq!(
        cm.target,
        AccessTarget::Resource {
            api_group: "".into(),
            resource: "configmaps".into(),
            resource_names: vec!["app-config".into()],
        }
    );
    // Non-resource URLs never come through a RoleBinding.
    assert!(a
        .entries
        .iter()
        .all(|e| !matches!(e.target, AccessTarget::NonResource { .. })));
    // A user outside every binding gets only the bootstrap defaults for authenticated users.
    let nobody = access(&p, &parse_subject("user:nobody").unwrap());
    assert_eq!(nobody.scopes.len(), 1);
    assert!(nobody.scopes[0]
        .entries
        .iter()
        .all(|e| e.grants.iter().all(|g| g.via.binding.bootstrap)));
}

#[test]
fn access_and_allows_agree() {
    let p = policy(POLICY);
    for subject in [
        "sa:a/app",
        "group:devs",
        "user:zed",
        "sa:ci/deployer",
        "user:nobody",
    ] {
        let s = parse_subject(subject).unwrap();
        let m = access(&p, &s);
        for scope in &m.scopes {
            let ns = scope.namespace.as_deref().unwrap_or("some-namespace");
            for e in &scope.entries {
                let AccessTarget::Resource {
                    api_group,
                    resource,
                    resource_names,
                } = &e.target
                else {
                    continue;
                };
                if api_group == "*" || resource.contains('*') || e.verbs.iter().any(|v| v == "*") {
                    continue;
                }
                let (res, sub) = resource.split_once('/').unwrap_or((resource, ""));
                let req = palisade_rbac::Request {
                    user: s.user_info(),
                    attributes: palisade_rbac::Attributes {
                        verb: e.verbs[0].clone(),
                        namespace: ns.to_string(),
                        target: palisade_rbac::Target::Resource(
                            palisade_rbac::ResourceAttributes {
                                api_group: api_group.clone(),
                                resource: res.to_string(),
                                subresource: sub.to_string(),
                                name: resource_names.first().cloned().unwrap_or_default(),
                            },
                        ),
                    },
                };
                assert!(p.allows(&req).is_allowed(), "{subject}: {e:?}");
            }
        }
    }
}
