//! `nodes`: each path to a root shell on a node, table-driven, and what blocks each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_rbac::{
    grants, nodes, nodes_all, parse_subject, HostAccess, NodeContext, NodePath, NodePathKind,
    Options, PodSecurity, PodSecurityLevel, Policy,
};

fn load(text: &str) -> (Policy, NodeContext) {
    let loaded = load_str("in.yaml", text, &LoadLimits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let policy = Policy::from_objects(&loaded.objects, &Options::default());
    assert!(policy.problems().is_empty(), "{:?}", policy.problems());
    (policy, NodeContext::from_objects(&loaded.objects))
}

/// `kind namespace verb resource` of each path (`-` for no namespace).
fn signatures(paths: &[NodePath]) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            format!(
                "{:?} {} {} {}",
                p.kind,
                p.namespace.as_deref().unwrap_or("-"),
                p.verb,
                p.resource
            )
        })
        .collect()
}

fn cluster_role(name: &str, rules: &str) -> String {
    format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: {name}}}\nrules:\n{rules}---\n")
}

fn role(ns: &str, name: &str, rules: &str) -> String {
    format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: {name}, namespace: {ns}}}\nrules:\n{rules}---\n")
}

fn crb(name: &str, role: &str, subject: &str) -> String {
    format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {name}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\nsubjects: [{subject}]\n---\n")
}

fn rb(ns: &str, name: &str, kind: &str, role: &str, subject: &str) -> String {
    format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: {name}, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: {role}}}\nsubjects: [{subject}]\n---\n")
}

fn namespace(name: &str, enforce: Option<&str>) -> String {
    match enforce {
        None => format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n---\n"),
        Some(level) => format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels: {{pod-security.kubernetes.io/enforce: \"{level}\"}}\n---\n"),
    }
}

const ALICE: &str = "{kind: User, name: alice}";
const NS_DECL: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: secure\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n---\n";

const PRIV_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: dev}\nspec:\n  containers: [{name: c, image: x, securityContext: {privileged: true}}]\n---\n";
const HOSTPID_DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: mon, namespace: prod}\nspec:\n  template:\n    spec:\n      hostPID: true\n      containers: [{name: c, image: x}]\n---\n";
const ROOT_DS: &str = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: logs, namespace: secure}\nspec:\n  template:\n    spec:\n      volumes: [{name: host, hostPath: {path: /}}]\n      containers: [{name: c, image: x}]\n---\n";
const PLAIN_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: dev}\nspec:\n  containers: [{name: c, image: x, securityContext: {privileged: false}}]\n  volumes: [{name: h, hostPath: {path: /var/log}}]\n---\n";

struct Case {
    name: &'static str,
    input: String,
    subject: &'static str,
    present: &'static [&'static str],
    absent: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let pods_create = "- {apiGroups: [\"\"], resources: [pods], verbs: [create]}\n";
    let deploy_create =
        "- {apiGroups: [apps, batch], resources: [deployments, cronjobs], verbs: [create]}\n";
    let exec = "- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}\n";
    vec![
        Case {
            name: "nodes/proxy through a ClusterRoleBinding, both verbs",
            input: cluster_role("np", "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get, create]}\n") + &crb("np", "np", ALICE),
            subject: "user:alice",
            present: &["NodesProxy - create nodes/proxy", "NodesProxy - get nodes/proxy"],
            absent: &[],
        },
        Case {
            name: "nodes/proxy through a RoleBinding grants nothing (cluster-scoped)",
            input: cluster_role("np", "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}\n") + &namespace("dev", None) + &rb("dev", "np", "ClusterRole", "np", ALICE),
            subject: "user:alice",
            present: &[],
            absent: &["NodesProxy - get nodes/proxy"],
        },
        Case {
            name: "create pods: unlabeled namespace admits, baseline and restricted block",
            input: NS_DECL.to_string() + &cluster_role("pc", pods_create) + &crb("pc", "pc", ALICE),
            subject: "user:alice",
            present: &["CreatePod dev create pods", "CreatePod - create pods"],
            absent: &["CreatePod prod create pods", "CreatePod secure create pods"],
        },
        Case {
            name: "create pods in a RoleBinding namespace the input does not declare",
            input: cluster_role("pc", pods_create) + &rb("ghost", "pc", "ClusterRole", "pc", ALICE),
            subject: "user:alice",
            present: &["CreatePod ghost create pods"],
            absent: &["CreatePod - create pods"],
        },
        Case {
            name: "explicit privileged label admits; a misspelled level is enforced as restricted",
            input: namespace("legacy", Some("privileged")) + &namespace("typo", Some("Baseline")) + &cluster_role("pc", pods_create) + &rb("legacy", "a", "ClusterRole", "pc", ALICE) + &rb("typo", "b", "ClusterRole", "pc", ALICE),
            subject: "user:alice",
            present: &["CreatePod legacy create pods"],
            absent: &["CreatePod typo create pods"],
        },
        Case {
            name: "controllers create the pods; blocked where pods are",
            input: NS_DECL.to_string() + &role("dev", "d", deploy_create) + &rb("dev", "d", "Role", "d", ALICE) + &role("prod", "d", deploy_create) + &rb("prod", "d", "Role", "d", ALICE),
            subject: "user:alice",
            present: &["CreateController dev create deployments.apps", "CreateController dev create cronjobs.batch"],
            absent: &["CreateController prod create deployments.apps", "CreatePod dev create pods"],
        },
        Case {
            name: "exec into privileged, hostPID and hostPath-root workloads, not into a plain pod",
            input: NS_DECL.to_string() + PRIV_POD + &HOSTPID_DEPLOY.replace("prod", "tools") + &ROOT_DS.replace("secure", "logging") + PLAIN_POD + &cluster_role("ex", exec) + &crb("ex", "ex", ALICE),
            subject: "user:alice",
            present: &["ExecPrivilegedPod dev create pods/exec", "ExecPrivilegedPod tools create pods/exec", "ExecPrivilegedPod logging create pods/exec"],
            absent: &["ExecPrivilegedPod dev get pods/exec"],
        },
        Case {
            name: "a controller's host pods are refused where baseline is enforced; a listed Pod exists",
            input: NS_DECL.to_string() + HOSTPID_DEPLOY + ROOT_DS + &PRIV_POD.replace("dev", "prod") + &cluster_role("ex", exec) + &crb("ex", "ex", ALICE),
            subject: "user:alice",
            present: &["ExecPrivilegedPod prod create pods/exec"],
            absent: &["ExecPrivilegedPod secure create pods/exec"],
        },
        Case {
            name: "privileged ephemeral containers where admission lets them in",
            input: NS_DECL.to_string() + &cluster_role("dbg", "- {apiGroups: [\"\"], resources: [pods/ephemeralcontainers], verbs: [patch]}\n") + &rb("dev", "d", "ClusterRole", "dbg", ALICE) + &rb("prod", "d", "ClusterRole", "dbg", ALICE),
            subject: "user:alice",
            present: &["EphemeralContainer dev patch pods/ephemeralcontainers"],
            absent: &["EphemeralContainer prod patch pods/ephemeralcontainers"],
        },
        Case {
            name: "WebSocket exec with get only",
            input: NS_DECL.to_string() + PRIV_POD + &role("dev", "g", "- {apiGroups: [\"\"], resources: [pods/exec], verbs: [get]}\n") + &rb("dev", "g", "Role", "g", ALICE),
            subject: "user:alice",
            present: &["ExecPrivilegedPod dev get pods/exec"],
            absent: &["ExecPrivilegedPod dev create pods/exec"],
        },
        Case {
            name: "exec restricted by name reaches the named bare pod, not a controller's pods",
            input: NS_DECL.to_string() + PRIV_POD + &HOSTPID_DEPLOY.replace("prod", "tools") + &cluster_role("ex", "- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create], resourceNames: [agent, mon]}\n") + &crb("ex", "ex", ALICE),
            subject: "user:alice",
            present: &["ExecPrivilegedPod dev create pods/exec"],
            absent: &["ExecPrivilegedPod tools create pods/exec"],
        },
        Case {
            name: "escalate with update on the bound ClusterRole",
            input: cluster_role("self", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, update]}\n") + &crb("self", "self", ALICE),
            subject: "user:alice",
            present: &["Escalate - escalate clusterroles.rbac.authorization.k8s.io"],
            absent: &[],
        },
        Case {
            name: "escalate without update or patch is no path",
            input: cluster_role("self", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, get]}\n") + &crb("self", "self", ALICE),
            subject: "user:alice",
            present: &[],
            absent: &["Escalate - escalate clusterroles.rbac.authorization.k8s.io"],
        },
        Case {
            name: "escalate on a Role in a baseline namespace is no node path",
            input: NS_DECL.to_string() + &role("prod", "r", "- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate, patch]}\n") + &rb("prod", "r", "Role", "r", ALICE) + &role("dev", "r", "- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate, patch]}\n") + &rb("dev", "r", "Role", "r", ALICE),
            subject: "user:alice",
            present: &["Escalate dev escalate roles.rbac.authorization.k8s.io"],
            absent: &["Escalate prod escalate roles.rbac.authorization.k8s.io"],
        },
        Case {
            name: "bind any ClusterRole and create ClusterRoleBindings",
            input: cluster_role("binder", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}\n- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}\n") + &crb("binder", "binder", ALICE),
            subject: "user:alice",
            present: &["Bind - bind clusterroles.rbac.authorization.k8s.io"],
            absent: &[],
        },
        Case {
            name: "bind without creating bindings is no path",
            input: cluster_role("binder", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}\n") + &crb("binder", "binder", ALICE),
            subject: "user:alice",
            present: &[],
            absent: &["Bind - bind clusterroles.rbac.authorization.k8s.io"],
        },
        Case {
            name: "bind in a namespace: only where pods may be privileged",
            input: NS_DECL.to_string() + &cluster_role("nsbinder", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, rolebindings], verbs: [bind, create]}\n") + &rb("dev", "b", "ClusterRole", "nsbinder", ALICE) + &rb("prod", "b", "ClusterRole", "nsbinder", ALICE),
            subject: "user:alice",
            present: &["Bind dev bind clusterroles.rbac.authorization.k8s.io"],
            absent: &["Bind prod bind clusterroles.rbac.authorization.k8s.io"],
        },
        Case {
            name: "impersonate a user who has nodes/proxy",
            input: cluster_role("np", "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}\n") + &crb("np", "np", "{kind: User, name: root-bob}") + &cluster_role("imp", "- {apiGroups: [\"\"], resources: [users], verbs: [impersonate], resourceNames: [root-bob]}\n") + &crb("imp", "imp", ALICE),
            subject: "user:alice",
            present: &["Impersonate - impersonate users"],
            absent: &["NodesProxy - get nodes/proxy"],
        },
        Case {
            name: "impersonating a group needs impersonating a user too",
            input: cluster_role("np", "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}\n") + &crb("np", "np", "{kind: Group, name: ops}") + &cluster_role("imp", "- {apiGroups: [\"\"], resources: [groups], verbs: [impersonate]}\n") + &crb("imp", "imp", ALICE) + &cluster_role("imp2", "- {apiGroups: [\"\"], resources: [groups, users], verbs: [impersonate]}\n") + &crb("imp2", "imp2", "{kind: User, name: carol}"),
            subject: "user:alice",
            present: &[],
            absent: &["Impersonate - impersonate groups"],
        },
        Case {
            name: "impersonating a group with users too",
            input: cluster_role("np", "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}\n") + &crb("np", "np", "{kind: Group, name: ops}") + &cluster_role("imp2", "- {apiGroups: [\"\"], resources: [groups, users], verbs: [impersonate]}\n") + &crb("imp2", "imp2", "{kind: User, name: carol}"),
            subject: "user:carol",
            present: &["Impersonate - impersonate groups"],
            absent: &[],
        },
        Case {
            name: "token of a service account that can create pods anywhere",
            input: cluster_role("pc", pods_create) + &crb("pc", "pc", "{kind: ServiceAccount, name: deployer, namespace: ci}") + &role("ci", "tok", "- {apiGroups: [\"\"], resources: [serviceaccounts/token], verbs: [create], resourceNames: [deployer]}\n") + &rb("ci", "tok", "Role", "tok", ALICE),
            subject: "user:alice",
            present: &["ServiceAccountToken ci create serviceaccounts/token"],
            absent: &["CreatePod - create pods"],
        },
        Case {
            name: "everything through wildcards",
            input: NS_DECL.to_string() + PRIV_POD + &cluster_role("star", "- {apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}\n") + &crb("star", "star", ALICE),
            subject: "user:alice",
            present: &["NodesProxy - get nodes/proxy", "CreatePod dev create pods", "CreateController - create jobs.batch", "ExecPrivilegedPod dev create pods/exec", "Bind - bind clusterroles.rbac.authorization.k8s.io", "Escalate - escalate clusterroles.rbac.authorization.k8s.io"],
            absent: &["CreatePod prod create pods"],
        },
    ]
}

#[test]
fn node_paths_table() {
    for case in cases() {
        let (policy, ctx) = load(&case.input);
        let subject = parse_subject(case.subject).unwrap();
        let found = signatures(&nodes(&policy, &ctx, &subject).paths);
        for want in case.present {
            assert!(
                found.iter().any(|f| f == want),
                "{}: missing `{want}` in {found:?}",
                case.name
            );
        }
        for unwanted in case.absent {
            assert!(
                !found.iter().any(|f| f == unwanted),
                "{}: unexpected `{unwanted}` in {found:?}",
                case.name
            );
        }
        if case.present.is_empty() {
            assert!(found.is_empty(), "{}: {found:?}", case.name);
        }
    }
}

#[test]
fn paths_carry_grants_workloads_and_pod_security() {
    let input = NS_DECL.to_string()
        + PRIV_POD
        + &ROOT_DS.replace("secure", "logging")
        + &cluster_role(
            "ex",
            "- {apiGroups: [\"\"], resources: [pods/exec, pods], verbs: [create]}\n",
        )
        + &crb("ex", "ex", ALICE);
    let (policy, ctx) = load(&input);
    let paths = nodes(&policy, &ctx, &parse_subject("user:alice").unwrap()).paths;
    let exec: Vec<&NodePath> = paths
        .iter()
        .filter(|p| p.kind == NodePathKind::ExecPrivilegedPod)
        .collect();
    assert_eq!(exec.len(), 2);
    let agent = exec
        .iter()
        .find(|p| p.namespace.as_deref() == Some("dev"))
        .unwrap();
    let w = agent.workload.as_ref().unwrap();
    assert_eq!(w.object.to_string(), "Pod/dev/agent");
    assert_eq!(
        w.reasons,
        vec![HostAccess::Privileged {
            container: "c".into()
        }]
    );
    assert_eq!(agent.via.len(), 1);
    assert_eq!(agent.via[0].binding.to_string(), "ClusterRoleBinding/ex");
    assert_eq!(agent.via[0].role.to_string(), "ClusterRole/ex");
    let ds = exec
        .iter()
        .find(|p| p.namespace.as_deref() == Some("logging"))
        .unwrap();
    assert!(matches!(
        ds.workload.as_ref().unwrap().reasons[0],
        HostAccess::HostPathRoot { .. }
    ));
    let dev = paths
        .iter()
        .find(|p| p.kind == NodePathKind::CreatePod && p.namespace.as_deref() == Some("dev"))
        .unwrap();
    assert!(matches!(
        dev.pod_security,
        Some(PodSecurity::Declared {
            level: PodSecurityLevel::Privileged,
            label: None,
            ..
        })
    ));
    let other = paths
        .iter()
        .find(|p| p.kind == NodePathKind::CreatePod && p.namespace.is_none())
        .unwrap();
    assert_eq!(other.pod_security, Some(PodSecurity::NotInInput));
}

#[test]
fn node_names_from_resource_names() {
    let input = "apiVersion: v1\nkind: Node\nmetadata: {name: worker-1}\n---\n".to_string()
        + &cluster_role("np", "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get], resourceNames: [worker-2]}\n")
        + &crb("np", "np", ALICE);
    let (policy, ctx) = load(&input);
    let paths = nodes(&policy, &ctx, &parse_subject("user:alice").unwrap()).paths;
    let named: Vec<Option<&str>> = paths.iter().map(|p| p.node.as_deref()).collect();
    assert_eq!(named, vec![Some("worker-2")]);
}

#[test]
fn hops_name_the_subject_and_its_paths() {
    let input = cluster_role(
        "np",
        "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [create]}\n",
    ) + &crb(
        "np",
        "np",
        "{kind: ServiceAccount, name: agent, namespace: ops}",
    ) + &cluster_role(
        "imp",
        "- {apiGroups: [\"\"], resources: [serviceaccounts], verbs: [impersonate]}\n",
    ) + &crb("imp", "imp", ALICE);
    let (policy, ctx) = load(&input);
    let paths = nodes(&policy, &ctx, &parse_subject("user:alice").unwrap()).paths;
    assert_eq!(paths.len(), 1, "{paths:?}");
    let hop = paths[0].hop.as_ref().unwrap();
    assert_eq!(hop.subject.to_string(), "sa:ops/agent");
    assert_eq!(hop.paths[0].kind, NodePathKind::NodesProxy);
    assert_eq!(paths[0].namespace.as_deref(), Some("ops"));
}

#[test]
fn all_lists_every_subject_with_a_path() {
    let input = NS_DECL.to_string()
        + &cluster_role(
            "pc",
            "- {apiGroups: [\"\"], resources: [pods], verbs: [create]}\n",
        )
        + &rb("dev", "pc", "ClusterRole", "pc", ALICE)
        + &rb("prod", "pc", "ClusterRole", "pc", "{kind: User, name: bob}")
        + &cluster_role(
            "imp",
            "- {apiGroups: [\"\"], resources: [users], verbs: [impersonate]}\n",
        )
        + &crb("imp", "imp", "{kind: Group, name: support}");
    let (policy, ctx) = load(&input);
    let all = nodes_all(&policy, &ctx);
    let names: Vec<String> = all.iter().map(|s| s.subject.to_string()).collect();
    assert!(names.contains(&"user:alice".to_string()), "{names:?}");
    assert!(names.contains(&"group:support".to_string()), "{names:?}");
    // bob can create pods only where baseline is enforced.
    assert!(!names.contains(&"user:bob".to_string()), "{names:?}");
    // Built-in system:masters holds cluster-admin.
    assert!(
        names.contains(&"group:system:masters".to_string()),
        "{names:?}"
    );
    let masters = all
        .iter()
        .find(|s| s.subject.to_string() == "group:system:masters")
        .unwrap();
    assert!(masters.builtin);
    let alice = all
        .iter()
        .find(|s| s.subject.to_string() == "user:alice")
        .unwrap();
    assert!(!alice.builtin);
    let support = all
        .iter()
        .find(|s| s.subject.to_string() == "group:support")
        .unwrap();
    assert!(support
        .paths
        .iter()
        .all(|p| p.kind == NodePathKind::Impersonate));
    assert!(support
        .paths
        .iter()
        .any(|p| p.hop.as_ref().unwrap().subject.to_string() == "user:alice"));
}

#[test]
fn grants_agree_with_allows() {
    let input = NS_DECL.to_string()
        + &cluster_role("pc", "- {apiGroups: [\"\", apps], resources: [pods, deployments, nodes/proxy], verbs: [create, get]}\n")
        + &rb("dev", "pc", "ClusterRole", "pc", ALICE)
        + &crb("np", "pc", "{kind: Group, name: ops}");
    let (policy, _) = load(&input);
    for subject in ["user:alice", "group:ops", "user:bob"] {
        for (verb, resource, ns) in [
            ("create", "pods", "dev"),
            ("get", "deployments.apps", "prod"),
            ("create", "nodes/proxy", ""),
            ("delete", "pods", "dev"),
        ] {
            let req = common::request(subject, verb, resource, ns, "");
            let via = grants(&policy, &req.user, &req.attributes);
            assert_eq!(
                !via.is_empty(),
                policy.allows(&req).is_allowed(),
                "{subject} {verb} {resource} {ns}"
            );
        }
    }
}

#[test]
fn malformed_objects_do_not_stop_the_query() {
    let input = "apiVersion: v1\nkind: Namespace\nmetadata: {name: odd, labels: [1]}\n---\n\
apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: odd}\nspec:\n  hostPID: yes-please\n  containers: 7\n  volumes: [1, {hostPath: 3}, {name: r, hostPath: {path: [x]}}]\n---\n\
apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: odd}\nspec:\n  containers: [{name: c, securityContext: x}, 5, {name: d, securityContext: {privileged: true}}]\n  volumes: [{name: r, hostPath: {path: '/../'}}]\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: c, namespace: odd}\nspec: 5\n---\n"
        .to_string()
        + &cluster_role("ex", "- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}\n")
        + &crb("ex", "ex", ALICE);
    let (policy, ctx) = load(&input);
    assert_eq!(ctx.host_workloads.len(), 1, "{:?}", ctx.host_workloads);
    let b = &ctx.host_workloads[0];
    assert_eq!(b.object.name, "b");
    assert_eq!(
        b.reasons,
        vec![
            HostAccess::Privileged {
                container: "d".into()
            },
            HostAccess::HostPathRoot { volume: "r".into() }
        ]
    );
    let paths = nodes(&policy, &ctx, &parse_subject("user:alice").unwrap()).paths;
    assert_eq!(
        signatures(&paths),
        vec!["ExecPrivilegedPod odd create pods/exec"]
    );
}
