//! `palisade rbac graph [PATHS]... --format dot|json`: subjects → bindings → roles →
//! permissions.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use palisade_rbac::{graph, to_dot, GraphOptions};

use super::Inputs;

/// `palisade rbac graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Only what applies to this subject (`user:NAME`, `group:NAME`, `sa:NS/NAME`).
    #[arg(long)]
    pub subject: Option<String>,
    /// Only the bindings that hold in this namespace.
    #[arg(short, long)]
    pub namespace: Option<String>,
    /// Also draw the built-in bootstrap bindings (system:masters, controllers, ...).
    #[arg(long)]
    pub include_builtin: bool,
}

/// Graph formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz (`dot -Tsvg`).
    Dot,
    /// Nodes and edges.
    Json,
}

pub fn run(args: &GraphArgs) -> anyhow::Result<ExitCode> {
    let subject = args.subject.as_deref().map(super::subject).transpose()?;
    let loaded = args.inputs.load();
    let g = loaded.timed(|| {
        graph(
            &loaded.policy,
            &GraphOptions {
                subject,
                namespace: args.namespace.clone(),
                bootstrap: args.include_builtin,
            },
        )
    });
    match args.format {
        GraphFormat::Dot => super::print(&to_dot(&g))?,
        GraphFormat::Json => super::print_json(&g)?,
    }
    Ok(loaded.exit_code())
}
