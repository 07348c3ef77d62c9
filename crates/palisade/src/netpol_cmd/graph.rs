//! `palisade netpol graph PATH... [--format html|dot|json] [--output FILE]
//! [--quarantine KIND/NS/NAME]`: the connectivity as a picture. HTML is one self-contained
//! page (opens offline) with an interactive graph; DOT and JSON carry the same graph.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, ValueEnum};
use palisade_netpol::{matrix, picture, PictureOptions};

use super::Inputs;

/// Above this many connections, the page warns that it will be slow.
const LARGE: usize = 20_000;

/// `palisade netpol graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = GraphFormat::Html)]
    pub format: GraphFormat,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Mark this workload as quarantined: `KIND/NS/NAME` or `NS/NAME`.
    #[arg(long, value_name = "WORKLOAD")]
    pub quarantine: Option<String>,
}

/// Formats of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// One self-contained interactive HTML page.
    Html,
    /// Graphviz, with entry points, sensitive ports and quarantine marked.
    Dot,
    /// The graph's nodes, edges and marks.
    Json,
}

pub fn run(args: &GraphArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.inputs.load();
    let model = &loaded.model;
    let quarantined = match &args.quarantine {
        None => None,
        Some(name) => {
            let id = model
                .lookup(name)
                .map_err(|e| anyhow!("--quarantine: {e}"))?;
            if model.endpoint(id).is_some_and(|e| e.is_external()) {
                bail!("--quarantine: `{name}` is an address range; name a workload");
            }
            Some(id)
        }
    };
    let options = PictureOptions {
        title: format!("Network connectivity: {}", args.inputs.paths.join(" ")),
        quarantined,
        ..PictureOptions::default()
    };
    let graph = loaded.timed(|| picture(model, &matrix(model), &options));
    // Browsers draw a few thousand SVG edges easily; far more makes the page crawl.
    if args.format == GraphFormat::Html && graph.edges.len() > LARGE {
        eprintln!(
            "warning: {} connections make a slow page; consider graphing fewer namespaces, or \
             --format json",
            graph.edges.len()
        );
    }
    let text = match args.format {
        GraphFormat::Html => graph.to_html(),
        GraphFormat::Dot => graph.to_dot(),
        GraphFormat::Json => {
            let mut text = serde_json::to_string_pretty(&graph)?;
            text.push('\n');
            text
        }
    };
    // The page has no room for them: the policy problems go to stderr.
    for d in model.diagnostics() {
        eprintln!("warning: {d}");
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "wrote {} ({} nodes, {} connections)",
                path.display(),
                graph.nodes.len(),
                graph.edges.len()
            );
        }
        None => super::print(&text)?,
    }
    Ok(loaded.exit_code())
}
