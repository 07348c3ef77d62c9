//! `graph`: subjects → bindings → roles → rules, as data (serialised to JSON as is) and as
//! Graphviz DOT ([`to_dot`]).
//!
//! Node ids are stable strings (`subject:User:alice`, `binding:RoleBinding/dev/x`,
//! `role:ClusterRole/edit`, `rule:ClusterRole/edit#3`), nodes and edges are sorted, so the
//! same input always gives the same output. Rules are nodes of their own in the data; DOT
//! lists them inside their role's box, risky ones in red with their [`RiskClass`]es. A
//! binding whose role exists nowhere points at a dashed "not found" role. Roles no binding
//! refers to are not drawn. Built-in (bootstrap) bindings are left out unless asked for;
//! the built-in roles the input's bindings use are drawn.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::authorize::applies_to_user;
use crate::grant_pattern::RiskClass;
use crate::model::{Binding, BindingKind, Role, Rule};
use crate::policy::Policy;
use crate::subject::Subject;
use crate::who_can::{grant_subject, GrantSubject, GrantSubjectKind};

/// What a graph shows.
#[derive(Debug, Clone, Default)]
pub struct GraphOptions {
    /// Only the bindings that apply to this subject (through its implicit groups too; the
    /// groups it reaches them through are drawn, with a `member-of` edge).
    pub subject: Option<Subject>,
    /// Only the bindings that hold in this namespace: its RoleBindings, and
    /// ClusterRoleBindings (which hold everywhere).
    pub namespace: Option<String>,
    /// Also the built-in bootstrap ClusterRoleBindings.
    pub bootstrap: bool,
}

/// Kind of a graph node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraphNodeKind {
    /// A user, group or service account.
    Subject,
    /// A RoleBinding or ClusterRoleBinding.
    Binding,
    /// A Role or ClusterRole.
    Role,
    /// A role a binding refers to that exists nowhere.
    MissingRole,
    /// One rule of a role.
    Rule,
}

/// A node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphNode {
    /// Stable id.
    pub id: String,
    /// Kind.
    pub kind: GraphNodeKind,
    /// Kubernetes kind of the object (`User`, `RoleBinding`, `ClusterRole`, ...; `Rule`).
    pub object_kind: String,
    /// Namespace of a namespaced object (a ServiceAccount's, a RoleBinding's, a Role's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name (for a rule: its text).
    pub label: String,
    /// True for a built-in bootstrap role or binding.
    pub bootstrap: bool,
    /// For a rule: the risk classes it grants (`cluster-admin` only when its role is bound
    /// by a ClusterRoleBinding in this graph).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<RiskClass>,
}

/// Kind of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraphEdgeKind {
    /// A subject named in a binding.
    Subject,
    /// A binding's `roleRef`.
    RoleRef,
    /// A role's rule.
    Rule,
    /// The queried subject belongs to a group that is bound.
    MemberOf,
}

/// An edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GraphEdge {
    /// Source id.
    pub from: String,
    /// Target id.
    pub to: String,
    /// Kind.
    pub kind: GraphEdgeKind,
}

/// The graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Graph {
    /// Nodes, sorted by kind then id.
    pub nodes: Vec<GraphNode>,
    /// Edges, sorted.
    pub edges: Vec<GraphEdge>,
}

fn subject_id(s: &GrantSubject) -> String {
    match &s.namespace {
        Some(ns) => format!("subject:{}:{ns}/{}", s.kind.as_str(), s.name),
        None => format!("subject:{}:{}", s.kind.as_str(), s.name),
    }
}

fn as_grant_subject(s: &Subject) -> GrantSubject {
    let (kind, namespace, name) = match s {
        Subject::User { name } => (GrantSubjectKind::User, None, name),
        Subject::Group { name } => (GrantSubjectKind::Group, None, name),
        Subject::ServiceAccount { namespace, name } => (
            GrantSubjectKind::ServiceAccount,
            Some(namespace.clone()),
            name,
        ),
    };
    GrantSubject {
        kind,
        namespace,
        name: name.clone(),
    }
}

/// `Kind/name` or `Kind/namespace/name`.
fn object_path(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// A rule as one line: `get, list pods, deployments.apps [names: a]` or URLs.
pub fn rule_text(rule: &Rule) -> String {
    let mut targets: Vec<String> = Vec::new();
    for g in &rule.api_groups {
        for r in &rule.resources {
            targets.push(match (g.as_str(), r.split_once('/')) {
                ("", _) => r.clone(),
                (g, Some((res, sub))) => format!("{res}.{g}/{sub}"),
                (g, None) => format!("{r}.{g}"),
            });
        }
    }
    targets.extend(rule.non_resource_urls.iter().cloned());
    let mut text = format!("{} {}", rule.verbs.join(","), targets.join(", "));
    if !rule.resource_names.is_empty() {
        let _ = write!(text, " [names: {}]", rule.resource_names.join(", "));
    }
    text
}

struct Builder<'p> {
    nodes: BTreeMap<String, GraphNode>,
    edges: BTreeSet<GraphEdge>,
    /// Roles drawn, and whether a ClusterRoleBinding binds them.
    roles: BTreeMap<String, (&'p Role, bool)>,
}

impl Builder<'_> {
    fn node(
        &mut self,
        id: &str,
        kind: GraphNodeKind,
        object_kind: &str,
        ns: Option<&str>,
        label: String,
        bootstrap: bool,
    ) {
        self.nodes
            .entry(id.to_string())
            .or_insert_with(|| GraphNode {
                id: id.to_string(),
                kind,
                object_kind: object_kind.to_string(),
                namespace: ns.map(str::to_string),
                label,
                bootstrap,
                risks: Vec::new(),
            });
    }

    fn edge(&mut self, from: &str, to: &str, kind: GraphEdgeKind) {
        self.edges.insert(GraphEdge {
            from: from.to_string(),
            to: to.to_string(),
            kind,
        });
    }

    fn subject(&mut self, s: &GrantSubject) -> String {
        let id = subject_id(s);
        self.node(
            &id,
            GraphNodeKind::Subject,
            s.kind.as_str(),
            s.namespace.as_deref(),
            s.name.clone(),
            false,
        );
        id
    }
}

/// The graph of a policy.
pub fn graph(policy: &Policy, options: &GraphOptions) -> Graph {
    let mut g = Builder {
        nodes: BTreeMap::new(),
        edges: BTreeSet::new(),
        roles: BTreeMap::new(),
    };
    let user = options.subject.as_ref().map(Subject::user_info);
    for (id, b) in policy.bindings().iter().enumerate() {
        if b.origin.is_bootstrap() && !options.bootstrap {
            continue;
        }
        if let (Some(ns), Some(bns)) = (&options.namespace, &b.namespace) {
            if **bns != **ns {
                continue;
            }
        }
        let bns = b.namespace.as_deref();
        let subjects: Vec<GrantSubject> = b
            .subjects
            .iter()
            .filter(|s| {
                user.as_ref()
                    .is_none_or(|u| applies_to_user(u, s, bns.unwrap_or("")))
            })
            .filter_map(|s| grant_subject(s, b.kind, bns))
            .collect();
        if subjects.is_empty() {
            continue;
        }
        let binding_id = format!("binding:{}", object_path(b.kind.as_str(), bns, &b.name));
        g.node(
            &binding_id,
            GraphNodeKind::Binding,
            b.kind.as_str(),
            bns,
            b.name.to_string(),
            b.origin.is_bootstrap(),
        );
        for s in &subjects {
            let sid = g.subject(s);
            g.edge(&sid, &binding_id, GraphEdgeKind::Subject);
            if let Some(queried) = &options.subject {
                let q = as_grant_subject(queried);
                if q != *s {
                    let qid = g.subject(&q);
                    g.edge(&qid, &sid, GraphEdgeKind::MemberOf);
                }
            }
        }
        add_role(&mut g, policy, id, b, &binding_id);
    }
    let roles = std::mem::take(&mut g.roles);
    for (role_id, (role, cluster_wide)) in roles {
        for (i, rule) in role.rules.iter().enumerate() {
            let rid = format!("rule:{}#{i}", role_id.trim_start_matches("role:"));
            g.node(
                &rid,
                GraphNodeKind::Rule,
                "Rule",
                None,
                rule_text(rule),
                role.origin.is_bootstrap(),
            );
            if let Some(n) = g.nodes.get_mut(&rid) {
                n.risks = RiskClass::ALL
                    .into_iter()
                    .filter(|c| c.matches_rule(rule, cluster_wide))
                    .collect();
            }
            g.edge(&role_id, &rid, GraphEdgeKind::Rule);
        }
    }
    let mut nodes: Vec<GraphNode> = g.nodes.into_values().collect();
    nodes.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    Graph {
        nodes,
        edges: g.edges.into_iter().collect(),
    }
}

fn add_role<'p>(g: &mut Builder<'p>, policy: &'p Policy, id: usize, b: &Binding, binding_id: &str) {
    let cluster_wide = b.kind == BindingKind::ClusterRoleBinding;
    match policy.role_of(id) {
        Some(role) => {
            let ns = role.namespace.as_deref();
            let role_id = format!("role:{}", object_path(role.kind.as_str(), ns, &role.name));
            g.node(
                &role_id,
                GraphNodeKind::Role,
                role.kind.as_str(),
                ns,
                role.name.to_string(),
                role.origin.is_bootstrap(),
            );
            g.edge(binding_id, &role_id, GraphEdgeKind::RoleRef);
            let entry = g.roles.entry(role_id).or_insert((role, false));
            entry.1 |= cluster_wide;
        }
        None => {
            let Some(r) = &b.role_ref else { return };
            // A missing Role is looked up in the binding's namespace.
            let ns = if r.kind == "Role" {
                b.namespace.as_deref()
            } else {
                None
            };
            let role_id = format!("role:{}", object_path(&r.kind, ns, &r.name));
            g.node(
                &role_id,
                GraphNodeKind::MissingRole,
                &r.kind,
                ns,
                r.name.clone(),
                false,
            );
            g.edge(binding_id, &role_id, GraphEdgeKind::RoleRef);
        }
    }
}

/// A DOT quoted string: `"` and `\` escaped, line breaks as `\n`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text inside a DOT HTML-like label.
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Graphviz DOT: subjects as ellipses, bindings as boxes (ClusterRoleBindings bold), roles
/// as boxes listing their rules (risky rules red, a role with one outlined red), namespaced
/// objects inside a box per namespace; missing roles dashed.
pub fn to_dot(graph: &Graph) -> String {
    let mut rules: BTreeMap<&str, Vec<&GraphNode>> = BTreeMap::new();
    let by_id: BTreeMap<&str, &GraphNode> =
        graph.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    for e in graph.edges.iter().filter(|e| e.kind == GraphEdgeKind::Rule) {
        if let Some(rule) = by_id.get(e.to.as_str()) {
            rules.entry(e.from.as_str()).or_default().push(rule);
        }
    }
    let mut namespaces: BTreeMap<Option<&str>, Vec<String>> = BTreeMap::new();
    for n in &graph.nodes {
        let line = match n.kind {
            GraphNodeKind::Rule => continue,
            GraphNodeKind::Subject => {
                let name = match &n.namespace {
                    Some(ns) => format!("{ns}/{}", n.label),
                    None => n.label.clone(),
                };
                format!(
                    "{} [shape=ellipse, label={}];",
                    quote(&n.id),
                    quote(&format!("{}\n{name}", n.object_kind))
                )
            }
            GraphNodeKind::Binding => {
                let style = if n.object_kind == "ClusterRoleBinding" {
                    "rounded,bold"
                } else {
                    "rounded"
                };
                let label = format!("{}\n{}", n.object_kind, n.label);
                format!(
                    "{} [shape=box, style={}, label={}];",
                    quote(&n.id),
                    quote(style),
                    quote(&label)
                )
            }
            GraphNodeKind::MissingRole => {
                let label = format!("{} {}\n(not found)", n.object_kind, n.label);
                format!(
                    "{} [shape=box, style=dashed, color=gray50, label={}];",
                    quote(&n.id),
                    quote(&label)
                )
            }
            GraphNodeKind::Role => role_line(
                n,
                rules.get(n.id.as_str()).map(Vec::as_slice).unwrap_or(&[]),
            ),
        };
        // Subjects stay outside namespace boxes: a service account may be bound anywhere.
        let ns = match n.kind {
            GraphNodeKind::Subject => None,
            _ => n.namespace.as_deref(),
        };
        namespaces.entry(ns).or_default().push(line);
    }
    let mut out = String::from("digraph rbac {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (ns, lines) in &namespaces {
        match ns {
            None => lines.iter().for_each(|l| {
                let _ = writeln!(out, "  {l}");
            }),
            Some(ns) => {
                let _ = writeln!(out, "  subgraph {} {{", quote(&format!("cluster_ns_{ns}")));
                let _ = writeln!(
                    out,
                    "    label={}; style=dashed;",
                    quote(&format!("namespace {ns}"))
                );
                lines.iter().for_each(|l| {
                    let _ = writeln!(out, "    {l}");
                });
                out.push_str("  }\n");
            }
        }
    }
    for e in &graph.edges {
        let attrs = match e.kind {
            GraphEdgeKind::Rule => continue,
            GraphEdgeKind::MemberOf => " [style=dotted, label=\"member of\"]",
            GraphEdgeKind::Subject | GraphEdgeKind::RoleRef => "",
        };
        let _ = writeln!(out, "  {} -> {}{attrs};", quote(&e.from), quote(&e.to));
    }
    out.push_str("}\n");
    out
}

/// A role's node: an HTML-like table, its name then one row per rule.
fn role_line(n: &GraphNode, rules: &[&GraphNode]) -> String {
    let risky = rules.iter().any(|r| !r.risks.is_empty());
    let border = if risky { "red" } else { "black" };
    let title = match (&n.namespace, n.bootstrap) {
        (_, true) => format!("{} {} (built-in)", n.object_kind, n.label),
        _ => format!("{} {}", n.object_kind, n.label),
    };
    let mut label = format!(
        "<<TABLE BORDER=\"1\" CELLBORDER=\"0\" CELLSPACING=\"0\" COLOR=\"{border}\"><TR><TD ALIGN=\"LEFT\"><B>{}</B></TD></TR>",
        html(&title)
    );
    for r in rules {
        if r.risks.is_empty() {
            let _ = write!(label, "<TR><TD ALIGN=\"LEFT\">{}</TD></TR>", html(&r.label));
        } else {
            let names: Vec<&str> = r.risks.iter().map(|c| c.name()).collect();
            let _ = write!(
                label,
                "<TR><TD ALIGN=\"LEFT\"><FONT COLOR=\"red\">{} ({})</FONT></TD></TR>",
                html(&r.label),
                html(&names.join(", "))
            );
        }
    }
    if rules.is_empty() {
        label.push_str("<TR><TD ALIGN=\"LEFT\"><I>no rules</I></TD></TR>");
    }
    label.push_str("</TABLE>>");
    format!("{} [shape=plain, label={label}];", quote(&n.id))
}
