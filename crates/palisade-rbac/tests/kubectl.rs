//! The kubectl command table judged by the authorizer: every step must be allowed, streams
//! accept either verb (SPDY `create`, WebSocket `get`), and places are reported exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::policy;
use palisade_rbac::{kubectl_commands, parse_subject, CommandAccess, Where, COMMANDS};

fn commands(text: &str, subject: &str, namespaces: &[&str]) -> Vec<CommandAccess> {
    let p = policy(text);
    let ns: Vec<String> = namespaces.iter().map(|s| s.to_string()).collect();
    kubectl_commands(&p, &parse_subject(subject).unwrap(), &ns, None)
}

fn role(ns: &str, rules: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: r, namespace: {ns}}}\nrules:\n{rules}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: b, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}}\nsubjects: [{{kind: User, name: alice}}]\n"
    )
}

fn find<'a>(found: &'a [CommandAccess], name: &str) -> Option<&'a CommandAccess> {
    found.iter().find(|c| c.command == name)
}

#[test]
fn exec_needs_the_pod_and_either_stream_verb() {
    // WebSocket exec: `get pods/exec` is enough on servers before 1.35.
    let text = role(
        "dev",
        "- {apiGroups: [''], resources: [pods, pods/exec], verbs: [get]}",
    );
    let found = commands(&text, "user:alice", &["dev", "prod"]);
    let exec = find(&found, "exec").unwrap();
    assert_eq!(exec.place, Where::Namespaces(vec!["dev".into()]));
    assert_eq!(exec.requests[1].request, "get pods/exec");
    // SPDY exec: `create`.
    let text = role("dev", "- {apiGroups: [''], resources: [pods], verbs: [get]}\n- {apiGroups: [''], resources: [pods/exec], verbs: [create]}");
    let found = commands(&text, "user:alice", &["dev"]);
    assert_eq!(
        find(&found, "exec").unwrap().requests[1].request,
        "create pods/exec"
    );
    // Without `get pods` the command cannot find the pod.
    let text = role(
        "dev",
        "- {apiGroups: [''], resources: [pods/exec], verbs: [create]}",
    );
    assert!(find(&commands(&text, "user:alice", &["dev"]), "exec").is_none());
}

#[test]
fn scale_patches_the_scale_subresource() {
    let text = role(
        "dev",
        "- {apiGroups: [apps], resources: [deployments], verbs: [get, patch]}",
    );
    let found = commands(&text, "user:alice", &["dev"]);
    assert!(
        find(&found, "scale").is_none(),
        "patching the deployment is not the scale subresource"
    );
    let text = role(
        "dev",
        "- {apiGroups: [apps], resources: [deployments, deployments/scale], verbs: [get, patch]}",
    );
    let found = commands(&text, "user:alice", &["dev"]);
    let scale: Vec<&CommandAccess> = found.iter().filter(|c| c.command == "scale").collect();
    assert_eq!(scale.len(), 1);
    assert_eq!(scale[0].resource.as_deref(), Some("deployments.apps"));
}

#[test]
fn cluster_bindings_mean_every_namespace_and_node_commands_need_cluster_scope() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: ops}\nrules:\n- {apiGroups: [''], resources: [nodes], verbs: [get, patch]}\n- {apiGroups: [''], resources: [pods], verbs: [get, list]}\n- {apiGroups: [''], resources: [pods/eviction], verbs: [create]}\n- {apiGroups: [apps], resources: [daemonsets], verbs: [get]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ops}\nsubjects: [{kind: Group, name: ops}]\n";
    let found = commands(text, "group:ops", &["a", "b"]);
    assert_eq!(find(&found, "drain").unwrap().place, Where::Cluster);
    assert_eq!(
        find(&found, "cordon / uncordon").unwrap().place,
        Where::Cluster
    );
    let get: Vec<&CommandAccess> = found.iter().filter(|c| c.command == "get").collect();
    assert_eq!(get[0].resource.as_deref(), Some("pods"));
    assert_eq!(get[0].place, Where::EveryNamespace);
    // The same rules bound by a RoleBinding cannot drain: nodes are cluster-scoped and the
    // pod list spans namespaces.
    let namespaced = text.replace(
        "kind: ClusterRoleBinding\nmetadata: {name: ops}",
        "kind: RoleBinding\nmetadata: {name: ops, namespace: a}",
    );
    let found = commands(&namespaced, "group:ops", &["a", "b"]);
    assert!(find(&found, "drain").is_none());
    assert!(find(&found, "cordon / uncordon").is_none());
    let get: Vec<&CommandAccess> = found.iter().filter(|c| c.command == "get").collect();
    assert_eq!(get[0].place, Where::Namespaces(vec!["a".into()]));
}

#[test]
fn everyone_authenticated_can_ask_can_i_through_the_built_in_roles() {
    let found = commands("", "user:nobody", &["a"]);
    assert_eq!(find(&found, "auth can-i").unwrap().place, Where::Cluster);
    assert!(find(&found, "get").is_none());
    // Anonymous users are not system:authenticated.
    let found = commands("", "user:system:anonymous", &["a"]);
    assert!(find(&found, "auth can-i").is_none());
}

#[test]
fn the_table_is_well_formed() {
    for c in COMMANDS {
        assert!(!c.steps.is_empty(), "{}", c.name);
        for step in c.steps {
            assert!(!step.is_empty(), "{}", c.name);
        }
    }
}
