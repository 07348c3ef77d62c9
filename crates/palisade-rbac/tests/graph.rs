//! `graph`: structure, filters, and DOT that Graphviz accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use palisade_rbac::{
    graph, parse_subject, to_dot, Graph, GraphEdgeKind, GraphNodeKind, GraphOptions, RiskClass,
};

const INPUT: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: app, namespace: dev}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
- {apiGroups: [""], resources: [secrets], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app, namespace: dev}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app}
subjects:
- {kind: ServiceAccount, name: api}
- {kind: Group, name: devs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewers, namespace: qa}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: devs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ops}
subjects: [{kind: User, name: 'we"ird\name <x> & y'}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ops}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
- {nonResourceURLs: ["/healthz"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dangling}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: gone}
subjects: [{kind: Group, name: devs}]
"#;

fn count(g: &Graph, kind: GraphNodeKind) -> usize {
    g.nodes.iter().filter(|n| n.kind == kind).count()
}

fn edges(g: &Graph, kind: GraphEdgeKind) -> usize {
    g.edges.iter().filter(|e| e.kind == kind).count()
}

#[test]
fn nodes_and_edges() {
    let policy = common::policy(INPUT);
    let g = graph(&policy, &GraphOptions::default());
    // sa dev/api, group devs, the odd user.
    assert_eq!(count(&g, GraphNodeKind::Subject), 3);
    assert_eq!(count(&g, GraphNodeKind::Binding), 4);
    // Role dev/app, ClusterRole ops, built-in view.
    assert_eq!(count(&g, GraphNodeKind::Role), 3);
    assert_eq!(count(&g, GraphNodeKind::MissingRole), 1);
    let view_rules = policy.cluster_role("view").unwrap().rules.len();
    assert_eq!(count(&g, GraphNodeKind::Rule), 2 + 2 + view_rules);
    assert_eq!(edges(&g, GraphEdgeKind::Subject), 5);
    assert_eq!(edges(&g, GraphEdgeKind::RoleRef), 4);
    assert_eq!(edges(&g, GraphEdgeKind::Rule), 4 + view_rules);
    let view = g
        .nodes
        .iter()
        .find(|n| n.id == "role:ClusterRole/view")
        .unwrap();
    assert!(view.bootstrap);
    assert!(g
        .nodes
        .iter()
        .any(|n| n.id == "subject:ServiceAccount:dev/api"));
    // Every edge joins two nodes.
    for e in &g.edges {
        assert!(g.nodes.iter().any(|n| n.id == e.from), "{e:?}");
        assert!(g.nodes.iter().any(|n| n.id == e.to), "{e:?}");
    }
}

#[test]
fn risky_rules_are_marked() {
    let g = graph(&common::policy(INPUT), &GraphOptions::default());
    let risks = |id: &str| g.nodes.iter().find(|n| n.id == id).unwrap().risks.clone();
    assert_eq!(risks("rule:Role/dev/app#0"), vec![]);
    assert_eq!(risks("rule:Role/dev/app#1"), vec![RiskClass::SecretsRead]);
    let star = risks("rule:ClusterRole/ops#0");
    assert_eq!(
        star.len(),
        RiskClass::ALL.len(),
        "cluster-wide * is every class"
    );
    assert_eq!(risks("rule:ClusterRole/ops#1"), vec![]);
}

#[test]
fn filters_by_subject_and_namespace() {
    let policy = common::policy(INPUT);
    let g = graph(
        &policy,
        &GraphOptions {
            subject: Some(parse_subject("sa:dev/api").unwrap()),
            ..GraphOptions::default()
        },
    );
    assert_eq!(count(&g, GraphNodeKind::Binding), 1);
    assert_eq!(count(&g, GraphNodeKind::Subject), 1);
    // A user in `devs`: reached through the group, drawn with a member-of edge.
    let g = graph(
        &policy,
        &GraphOptions {
            subject: Some(parse_subject("user:carol").unwrap()),
            ..GraphOptions::default()
        },
    );
    assert_eq!(count(&g, GraphNodeKind::Binding), 0);
    let mut with_group = INPUT.to_string();
    with_group.push_str("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: all}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ops}\nsubjects: [{kind: Group, name: system:authenticated}]\n");
    let g = graph(
        &common::policy(&with_group),
        &GraphOptions {
            subject: Some(parse_subject("user:carol").unwrap()),
            ..GraphOptions::default()
        },
    );
    assert_eq!(count(&g, GraphNodeKind::Binding), 1);
    assert_eq!(edges(&g, GraphEdgeKind::MemberOf), 1);
    // Namespace qa: its RoleBinding and every ClusterRoleBinding.
    let g = graph(
        &policy,
        &GraphOptions {
            namespace: Some("qa".into()),
            ..GraphOptions::default()
        },
    );
    let bindings: Vec<&str> = g
        .nodes
        .iter()
        .filter(|n| n.kind == GraphNodeKind::Binding)
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(
        bindings,
        vec![
            "binding:ClusterRoleBinding/dangling",
            "binding:ClusterRoleBinding/ops",
            "binding:RoleBinding/qa/viewers"
        ]
    );
    // Bootstrap bindings only when asked.
    let all = graph(
        &policy,
        &GraphOptions {
            bootstrap: true,
            ..GraphOptions::default()
        },
    );
    assert!(all
        .nodes
        .iter()
        .any(|n| n.id == "subject:Group:system:masters"));
}

/// Runs `dot -Tsvg`; fails loudly when Graphviz is missing.
fn render(dot: &str) -> String {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz `dot` is needed: `apt-get install graphviz` (scripts/setup.sh does it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dot failed: {stderr}\n{dot}");
    assert!(stderr.trim().is_empty(), "dot warned: {stderr}\n{dot}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn dot_is_valid_escaped_and_deterministic() {
    let policy = common::policy(INPUT);
    let g = graph(&policy, &GraphOptions::default());
    let dot = to_dot(&g);
    assert_eq!(dot, to_dot(&graph(&policy, &GraphOptions::default())));
    assert!(
        dot.contains(r#""subject:User:we\"ird\\name <x> & y" [shape=ellipse"#),
        "{dot}"
    );
    assert!(dot.contains("subgraph \"cluster_ns_dev\""));
    assert!(dot.contains("<FONT COLOR=\"red\">list secrets (secrets-read)</FONT>"));
    assert!(dot.contains("style=dashed, color=gray50"));
    assert!(dot.contains("style=\"rounded,bold\""));
    let svg = render(&dot);
    assert!(svg.contains("<svg"));
    // The user's name survives escaping: Graphviz shows it as written (XML-escaped in SVG).
    assert!(svg.contains("we&quot;ird\\name &lt;x&gt; &amp; y"), "{svg}");
    // The whole bootstrap policy renders too.
    let all = graph(
        &policy,
        &GraphOptions {
            bootstrap: true,
            ..GraphOptions::default()
        },
    );
    assert!(render(&to_dot(&all)).contains("system:masters"));
}

#[test]
fn json_shape() {
    let g = graph(&common::policy(INPUT), &GraphOptions::default());
    let v = serde_json::to_value(&g).unwrap();
    let first_rule = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "rule:Role/dev/app#1")
        .unwrap();
    assert_eq!(first_rule["kind"], "rule");
    assert_eq!(first_rule["risks"][0], "secrets-read");
    let kinds: Vec<&str> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"role-ref") && kinds.contains(&"subject") && kinds.contains(&"rule"));
}
