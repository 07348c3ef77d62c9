//! The picture: the connectivity matrix as a graph for people to look at.
//!
//! [`picture`] turns a [`Model`] and its [`Matrix`] into a [`Picture`]: namespaces as groups,
//! workloads and external address classes as nodes, every allowed connection between two
//! different endpoints as a directed edge carrying its exact [`ConnectionSet`]. On top of
//! the matrix it marks what deserves a look:
//!
//! - **entry points**: workloads some external address class may reach (an allowed edge
//!   from outside the cluster);
//! - **sensitive ports**: edges whose connection set allows any port of
//!   [`SENSITIVE_PORTS`] (SSH, etcd, kubelet, API server, databases, ...). `All` allows
//!   them all;
//! - the **quarantined** workload named by [`PictureOptions::quarantined`], and workloads
//!   already **isolated**: no allowed connection with any other endpoint, in either
//!   direction.
//!
//! A workload's cell with itself (traffic between its replicas) is no edge: it is the
//! node's `replicas` detail, so the picture is not covered in loops.
//!
//! [`Picture::to_html`] writes one self-contained page (inline CSS and script, no network
//! access: a Content-Security-Policy forbids any) that lays the graph out with a seeded
//! force-directed layout and draws it as SVG; [`Picture::to_dot`] writes Graphviz; the
//! struct itself serializes to JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::conn::{ConnectionSet, PortSet, Protocol};
use crate::matrix::Matrix;
use crate::model::{Endpoint, EndpointId, Model};
use crate::policy::Direction;

/// A port range worth a warning whenever a connection allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensitivePort {
    /// What listens there (`SSH`).
    pub name: &'static str,
    /// Protocol.
    pub protocol: Protocol,
    /// First port.
    pub start: u16,
    /// Last port (equal to `start` for one port).
    pub end: u16,
}

impl SensitivePort {
    const fn tcp(name: &'static str, start: u16, end: u16) -> SensitivePort {
        SensitivePort {
            name,
            protocol: Protocol::Tcp,
            start,
            end,
        }
    }

    /// Does `set` allow any of these ports?
    pub fn allowed_by(&self, set: &ConnectionSet) -> bool {
        !set.ports(self.protocol)
            .intersection(&PortSet::range(self.start, self.end))
            .is_empty()
    }
}

/// `SSH (TCP 22)`.
impl std::fmt::Display for SensitivePort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} ", self.name, self.protocol)?;
        if self.start == self.end {
            write!(f, "{})", self.start)
        } else {
            write!(f, "{}-{})", self.start, self.end)
        }
    }
}

/// Remote shells, the control plane's and nodes' own ports, container runtimes and
/// databases: what an attacker inside or outside the cluster looks for first.
pub const SENSITIVE_PORTS: &[SensitivePort] = &[
    SensitivePort::tcp("SSH", 22, 22),
    SensitivePort::tcp("Telnet", 23, 23),
    SensitivePort::tcp("MS SQL", 1433, 1433),
    SensitivePort::tcp("Docker daemon", 2375, 2376),
    SensitivePort::tcp("etcd", 2379, 2380),
    SensitivePort::tcp("MySQL", 3306, 3306),
    SensitivePort::tcp("RDP", 3389, 3389),
    SensitivePort::tcp("PostgreSQL", 5432, 5432),
    SensitivePort::tcp("Kubernetes API server", 6443, 6443),
    SensitivePort::tcp("Redis", 6379, 6379),
    SensitivePort::tcp("Cassandra", 9042, 9042),
    SensitivePort::tcp("Elasticsearch", 9200, 9200),
    SensitivePort::tcp("kubelet", 10250, 10250),
    SensitivePort::tcp("kubelet read-only", 10255, 10255),
    SensitivePort::tcp("kube-controller-manager", 10257, 10257),
    SensitivePort::tcp("kube-scheduler", 10259, 10259),
    SensitivePort::tcp("Memcached", 11211, 11211),
    SensitivePort::tcp("MongoDB", 27017, 27017),
];

/// What to draw besides the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureOptions {
    /// The page's title (for example the inputs' paths).
    pub title: String,
    /// The workload to mark as quarantined.
    pub quarantined: Option<EndpointId>,
    /// Ports whose edges are drawn red ([`SENSITIVE_PORTS`] by default).
    pub sensitive: Vec<SensitivePort>,
}

impl Default for PictureOptions {
    fn default() -> PictureOptions {
        PictureOptions {
            title: "Network connectivity".into(),
            quarantined: None,
            sensitive: SENSITIVE_PORTS.to_vec(),
        }
    }
}

/// The graph: serializes to the JSON the page embeds (camelCase keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Picture {
    /// Title.
    pub title: String,
    /// Namespaces that hold at least one workload, sorted by name.
    pub namespaces: Vec<Group>,
    /// One node per endpoint, in endpoint order: `nodes[i].id == i`.
    pub nodes: Vec<GraphNode>,
    /// One edge per allowed connection between two different endpoints, in matrix order.
    pub edges: Vec<GraphEdge>,
    /// The sensitive ports looked for, as `SSH (TCP 22)` (for the legend).
    pub sensitive_ports: Vec<String>,
    /// The quarantined node, if any.
    pub quarantined: Option<usize>,
    /// The model's policy problems (`file:line:col: level: message`): policies the API
    /// server would reject are not in the picture.
    pub problems: Vec<String>,
}

/// A namespace drawn as a region around its workloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Name.
    pub name: String,
    /// Labels, `kubernetes.io/metadata.name` included.
    pub labels: BTreeMap<String, String>,
}

/// A workload or an external address class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphNode {
    /// Index in [`Picture::nodes`] (the endpoint's index).
    pub id: usize,
    /// True for an external address class ("outside the cluster").
    pub external: bool,
    /// The workload's name, or the class's address ranges.
    pub name: String,
    /// The workload's kind (`Deployment`); empty for external classes.
    pub kind: String,
    /// The workload's namespace; `None` for external classes.
    pub namespace: Option<String>,
    /// Pod labels.
    pub labels: BTreeMap<String, String>,
    /// Container ports, as `8080/TCP (http)`.
    pub ports: Vec<String>,
    /// Where the workload is defined (`file:line:col`).
    pub location: Option<String>,
    /// Some policy isolates the pods for ingress.
    pub ingress_isolated: bool,
    /// Some policy isolates the pods for egress.
    pub egress_isolated: bool,
    /// What the workload's replicas may send each other (`None` when nothing).
    pub replicas: Option<String>,
    /// An external address class may reach this workload.
    pub entry: bool,
    /// Named by [`PictureOptions::quarantined`].
    pub quarantined: bool,
    /// A workload with no allowed connection to or from any other endpoint.
    pub isolated: bool,
}

/// An allowed connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphEdge {
    /// Source node.
    pub src: usize,
    /// Destination node.
    pub dst: usize,
    /// The exact connection set (`TCP 80,443; UDP 53`, `All`, `All but TCP 22`).
    pub connections: String,
    /// The sensitive ports it allows, as `SSH (TCP 22)`.
    pub sensitive: Vec<String>,
    /// From an external address class to a workload: an entry into the cluster.
    pub from_outside: bool,
    /// To or from the quarantined workload.
    pub quarantine: bool,
}

/// Builds the picture of `model` from its matrix `m` (as [`crate::matrix()`] computes it).
pub fn picture(model: &Model, m: &Matrix, options: &PictureOptions) -> Picture {
    let quarantined = options.quarantined.map(EndpointId::index);
    let mut edges = Vec::new();
    let mut replicas: BTreeMap<usize, String> = BTreeMap::new();
    for cell in m.allowed() {
        let (src, dst) = (cell.src.index(), cell.dst.index());
        if src == dst {
            replicas.insert(src, cell.connections.to_string());
            continue;
        }
        let external = |i: usize| model.endpoints().get(i).is_some_and(Endpoint::is_external);
        edges.push(GraphEdge {
            src,
            dst,
            connections: cell.connections.to_string(),
            sensitive: options
                .sensitive
                .iter()
                .filter(|p| p.allowed_by(cell.connections))
                .map(ToString::to_string)
                .collect(),
            from_outside: external(src) && !external(dst),
            quarantine: quarantined == Some(src) || quarantined == Some(dst),
        });
    }
    // Endpoints touched by some edge, and workloads some edge from outside enters.
    let mut connected = vec![false; model.endpoints().len()];
    let mut entry = vec![false; model.endpoints().len()];
    for e in &edges {
        connected[e.src] = true;
        connected[e.dst] = true;
        entry[e.dst] |= e.from_outside;
    }
    let nodes = model
        .endpoints()
        .iter()
        .enumerate()
        .map(|(id, endpoint)| {
            let isolated_for = |d| !model.isolating(EndpointId(id as u32), d).is_empty();
            let mut node = GraphNode {
                id,
                external: endpoint.is_external(),
                name: String::new(),
                kind: String::new(),
                namespace: None,
                labels: BTreeMap::new(),
                ports: Vec::new(),
                location: None,
                ingress_isolated: isolated_for(Direction::Ingress),
                egress_isolated: isolated_for(Direction::Egress),
                replicas: replicas.remove(&id),
                entry: entry[id],
                quarantined: quarantined == Some(id),
                isolated: false,
            };
            match endpoint {
                Endpoint::Pods(p) => {
                    node.name = p.name().to_string();
                    node.kind = p.kind().to_string();
                    node.namespace = Some(p.namespace.to_string());
                    node.labels = p.labels.to_btree_map();
                    node.ports = p
                        .ports
                        .iter()
                        .map(|c| match &c.name {
                            Some(n) => format!("{}/{} ({n})", c.number, c.protocol),
                            None => format!("{}/{}", c.number, c.protocol),
                        })
                        .collect();
                    node.location = Some(p.location.to_string());
                    node.isolated = !connected[id];
                }
                Endpoint::External(ips) => node.name = ips.to_string(),
            }
            node
        })
        .collect();
    let mut used: Vec<&str> = model
        .endpoints()
        .iter()
        .filter_map(|e| Some(e.as_pods()?.namespace.as_str()))
        .collect();
    used.dedup(); // workloads come sorted by namespace
    Picture {
        title: options.title.clone(),
        namespaces: model
            .namespaces()
            .iter()
            .filter(|ns| used.contains(&ns.name.as_str()))
            .map(|ns| Group {
                name: ns.name.clone(),
                labels: ns.labels.to_btree_map(),
            })
            .collect(),
        nodes,
        edges,
        sensitive_ports: options.sensitive.iter().map(ToString::to_string).collect(),
        quarantined,
        problems: model
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

const PAGE: &str = include_str!("picture.html");
const STYLE: &str = include_str!("picture.css");
const LAYOUT: &str = include_str!("picture_layout.js");
const SCRIPT: &str = include_str!("picture.js");

/// JSON that cannot end the `<script>` element it sits in, nor open a comment or an
/// entity: `<`, `>` and `&` only occur inside JSON strings, where `\u003c` and friends
/// mean the same characters. U+2028/U+2029 are escaped too, for older script parsers.
fn script_safe_json<T: Serialize>(value: &T) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Replaces each `{{KEY}}` of `template` with its value, in one pass over the template, so
/// that text inside a value (the data) is never taken for a placeholder.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + values.iter().map(|v| v.1.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let hit = after.find("}}").and_then(|end| {
            let key = &after[..end];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v, end + 2))
        });
        match hit {
            Some((value, skip)) => {
                out.push_str(value);
                rest = &after[skip..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A DOT string literal.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Picture {
    /// One self-contained HTML page: the data as a JSON blob (escaped so no name can close
    /// its element), the layout and drawing script and the style inline.
    pub fn to_html(&self) -> String {
        fill(
            PAGE,
            &[
                ("STYLE", STYLE),
                ("LAYOUT", LAYOUT),
                ("SCRIPT", SCRIPT),
                ("DATA", &script_safe_json(self)),
            ],
        )
    }

    /// Graphviz: namespaces as clusters, external classes dashed, entry points orange,
    /// the quarantined workload black, isolated ones grey, sensitive edges red.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph connectivity {\n  rankdir=LR;\n  node [fontname=\"Helvetica\" shape=ellipse];\n  edge [fontname=\"Helvetica\" fontsize=10];\n",
        );
        let node_line = |n: &GraphNode| {
            let (label, mut attrs) = if n.external {
                (
                    format!("outside the cluster\n{}", n.name),
                    vec!["shape=box", "style=dashed"],
                )
            } else {
                (format!("{} ({})", n.name, n.kind), Vec::new())
            };
            if n.entry {
                attrs.push("color=darkorange penwidth=2");
            }
            if n.quarantined {
                attrs.push("style=filled fillcolor=black fontcolor=white");
            } else if n.isolated {
                attrs.push("style=filled fillcolor=lightgrey");
            }
            format!("n{} [label={} {}];", n.id, quoted(&label), attrs.join(" "))
        };
        for (k, group) in self.namespaces.iter().enumerate() {
            let _ = writeln!(
                out,
                "  subgraph cluster_{k} {{\n    label={};",
                quoted(&format!("namespace {}", group.name))
            );
            for n in &self.nodes {
                if n.namespace.as_deref() == Some(group.name.as_str()) {
                    let _ = writeln!(out, "    {}", node_line(n));
                }
            }
            out.push_str("  }\n");
        }
        for n in self.nodes.iter().filter(|n| n.external) {
            let _ = writeln!(out, "  {}", node_line(n));
        }
        for e in &self.edges {
            let color = if !e.sensitive.is_empty() {
                " color=red fontcolor=red"
            } else if e.from_outside {
                " color=darkorange"
            } else {
                ""
            };
            let style = if e.quarantine { " style=dashed" } else { "" };
            let _ = writeln!(
                out,
                "  n{} -> n{} [label={}{color}{style}];",
                e.src,
                e.dst,
                quoted(&e.connections)
            );
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
#[path = "picture_tests.rs"]
mod tests;
