//! `palisade netpol matrix PATH... --format table|csv|json|dot|mermaid`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use palisade_netpol::{matrix, Endpoint, Matrix, Model};
use serde::Serialize;

use super::{short_name, Common, EndpointOut, Inputs};
use crate::text_table::TextTable;

/// `palisade netpol matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = MatrixFormat::Table)]
    pub format: MatrixFormat,
}

/// Formats of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    /// One line per allowed connection.
    Table,
    /// `source,destination,allowed` per allowed connection.
    Csv,
    /// Endpoints and allowed connections.
    Json,
    /// Graphviz: namespaces as clusters, connections as labelled edges.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

pub fn run(args: &MatrixArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.inputs.load();
    let m = loaded.timed(|| matrix(&loaded.model));
    let model = &loaded.model;
    match args.format {
        MatrixFormat::Table => {
            let mut text = table(model, &m);
            text.push_str(&loaded.table_footer());
            super::print(&text)?;
        }
        MatrixFormat::Csv => super::print(&csv(model, &m))?,
        MatrixFormat::Json => super::print_json(&Answer {
            endpoints: model.endpoints().iter().map(EndpointOut::of).collect(),
            connections: m
                .allowed()
                .map(|c| ConnectionOut {
                    src: c.src.index(),
                    dst: c.dst.index(),
                    allowed: c.connections.to_string(),
                })
                .collect(),
            common: loaded.common(),
        })?,
        MatrixFormat::Dot => super::print(&dot(model, &m))?,
        MatrixFormat::Mermaid => super::print(&mermaid(model, &m))?,
    }
    Ok(loaded.exit_code())
}

#[derive(Serialize)]
struct Answer<'a> {
    /// Every endpoint; connections refer to them by index.
    endpoints: Vec<EndpointOut>,
    /// Every ordered pair with something allowed. A workload's pair with itself is the
    /// traffic between its replicas.
    connections: Vec<ConnectionOut>,
    #[serde(flatten)]
    common: Common<'a>,
}

#[derive(Serialize)]
struct ConnectionOut {
    src: usize,
    dst: usize,
    allowed: String,
}

fn name(model: &Model, id: palisade_netpol::EndpointId) -> String {
    model.endpoint(id).map(short_name).unwrap_or_default()
}

fn table(model: &Model, m: &Matrix) -> String {
    let mut t = TextTable::new(&["SOURCE", "DESTINATION", "ALLOWED"]);
    let mut allowed = 0;
    for c in m.allowed() {
        allowed += 1;
        t.row(vec![
            name(model, c.src),
            name(model, c.dst),
            c.connections.to_string(),
        ]);
    }
    let workloads = m.workload_count();
    let mut out = if allowed == 0 {
        "No connection is allowed.\n".to_string()
    } else {
        t.render()
    };
    let _ = writeln!(
        out,
        "\n{workloads} workloads, {} external address ranges; {allowed} allowed of {} pairs (a workload with itself: between its replicas)",
        m.size() - workloads,
        m.cells().count()
    );
    out
}

/// A CSV field, quoted when it holds a comma, quote or newline.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv(model: &Model, m: &Matrix) -> String {
    let mut out = String::from("source,destination,allowed\n");
    for c in m.allowed() {
        let _ = writeln!(
            out,
            "{},{},{}",
            field(&name(model, c.src)),
            field(&name(model, c.dst)),
            field(&c.connections.to_string())
        );
    }
    out
}

/// A DOT or Mermaid label: quotes and backslashes escaped.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Endpoints by namespace (external ones under `None`), with their indices.
fn by_namespace(model: &Model) -> BTreeMap<Option<&str>, Vec<(usize, &Endpoint)>> {
    let mut groups: BTreeMap<Option<&str>, Vec<(usize, &Endpoint)>> = BTreeMap::new();
    for (i, e) in model.endpoints().iter().enumerate() {
        let ns = e.as_pods().map(|p| p.namespace.as_str());
        groups.entry(ns).or_default().push((i, e));
    }
    groups
}

fn label(e: &Endpoint) -> String {
    match e {
        Endpoint::Pods(p) => format!("{} ({})", p.name(), p.kind()),
        Endpoint::External(ips) => format!("external {ips}"),
    }
}

fn dot(model: &Model, m: &Matrix) -> String {
    let mut out =
        String::from("digraph connectivity {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
    for (ns, members) in by_namespace(model) {
        match ns {
            Some(ns) => {
                let _ = writeln!(
                    out,
                    "  subgraph {} {{\n    label={};",
                    quoted(&format!("cluster_{ns}")),
                    quoted(&format!("namespace {ns}"))
                );
                for (i, e) in members {
                    let _ = writeln!(out, "    n{i} [label={} shape=ellipse];", quoted(&label(e)));
                }
                out.push_str("  }\n");
            }
            None => {
                for (i, e) in members {
                    let _ = writeln!(
                        out,
                        "  n{i} [label={} shape=box style=dashed];",
                        quoted(&label(e))
                    );
                }
            }
        }
    }
    for c in m.allowed() {
        let _ = writeln!(
            out,
            "  n{} -> n{} [label={}];",
            c.src.index(),
            c.dst.index(),
            quoted(&c.connections.to_string())
        );
    }
    out.push_str("}\n");
    out
}

/// Mermaid labels cannot hold `"`; it is replaced by `'`.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "'")
}

fn mermaid(model: &Model, m: &Matrix) -> String {
    let mut out = String::from("flowchart LR\n");
    for (k, (ns, members)) in by_namespace(model).into_iter().enumerate() {
        match ns {
            Some(ns) => {
                let _ = writeln!(out, "  subgraph ns{k}[\"namespace {}\"]", mermaid_text(ns));
                for (i, e) in members {
                    let _ = writeln!(out, "    n{i}([\"{}\"])", mermaid_text(&label(e)));
                }
                out.push_str("  end\n");
            }
            None => {
                for (i, e) in members {
                    let _ = writeln!(out, "  n{i}[/\"{}\"/]", mermaid_text(&label(e)));
                }
            }
        }
    }
    for c in m.allowed() {
        let _ = writeln!(
            out,
            "  n{} -->|\"{}\"| n{}",
            c.src.index(),
            mermaid_text(&c.connections.to_string()),
            c.dst.index()
        );
    }
    out
}
