//! `palisade netpol`: network connectivity over manifests and dumps. Each subcommand loads
//! its inputs as `scan` does, builds one connectivity [`Model`], answers, and lists the
//! policy problems met (a CIDR the API server would reject, a named port no container
//! defines, ...) so that nothing is dropped silently. Load errors go to stderr and make the
//! exit status 2, as in `scan`.

mod diff;
mod explain;
mod flows;
mod graph;
mod matrix;
mod quarantine;

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use palisade_core::{Inventory, LoadError};
use palisade_netpol::{Diagnostic, Endpoint, Level, Model};
use serde::Serialize;

use crate::query::{self, Timings};

/// `palisade netpol`.
#[derive(Debug, Args)]
pub struct NetpolArgs {
    /// The question.
    #[command(subcommand)]
    pub command: NetpolCommand,
}

/// `palisade netpol` subcommands.
#[derive(Debug, Subcommand)]
pub enum NetpolCommand {
    /// What can talk to what: every allowed connection between workloads and external
    /// address ranges, with protocols and ports.
    Matrix(matrix::MatrixArgs),
    /// Is SRC allowed to reach DST on PORT[/PROTOCOL], and by which policies and rules in
    /// each direction.
    Explain(explain::ExplainArgs),
    /// Connections added and removed between two snapshots; exit 1 when a critical flow is
    /// cut off.
    Diff(diff::DiffArgs),
    /// Print policies that isolate one workload, for `kubectl apply`.
    Quarantine(quarantine::QuarantineArgs),
    /// Least-privilege policies learned from observed flows (`hubble observe -o jsonpb`).
    Generate(flows::GenerateArgs),
    /// Observed flows the current policies would deny, and allowed paths never used.
    CheckFlows(flows::CheckFlowsArgs),
    /// The connectivity as a picture: one self-contained interactive HTML page (or DOT,
    /// JSON) with namespaces, entry points from outside and sensitive ports marked.
    Graph(graph::GraphArgs),
}

/// Output formats of the queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// Aligned text.
    Table,
    /// JSON.
    Json,
}

/// Inputs shared by every subcommand.
#[derive(Debug, Args)]
pub struct Inputs {
    /// Files or directories of manifests or `kubectl get -o yaml` dumps; `-` reads stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<String>,

    /// Largest input file accepted, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: usize,

    /// Benchmarking aid: print how long loading, building the model and the query took, on
    /// stderr.
    #[arg(long, hide = true)]
    pub timings: bool,
}

pub fn run(args: &NetpolArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        NetpolCommand::Matrix(a) => matrix::run(a),
        NetpolCommand::Explain(a) => explain::run(a),
        NetpolCommand::Diff(a) => diff::run(a),
        NetpolCommand::Quarantine(a) => quarantine::run(a),
        NetpolCommand::Generate(a) => flows::run_generate(a),
        NetpolCommand::CheckFlows(a) => flows::run_check(a),
        NetpolCommand::Graph(a) => graph::run(a),
    }
}

/// The loaded inputs and the model built from them.
pub struct Loaded {
    pub inventory: Inventory,
    pub model: Model,
    timings: Timings,
}

impl Inputs {
    /// Loads the inputs and builds the model; load errors are said on stderr.
    pub fn load(&self) -> Loaded {
        let (inventory, load) = query::load(&self.paths, self.max_file_size);
        let (model, built) = query::measure(|| Model::from_objects(&inventory.objects));
        Loaded {
            inventory,
            model,
            timings: Timings {
                load,
                build: built,
                build_label: "model",
                enabled: self.timings,
            },
        }
    }
}

impl Loaded {
    /// Runs the query, timed when `--timings` asks for it.
    pub fn timed<T>(&self, query: impl FnOnce() -> T) -> T {
        self.timings.timed(query)
    }

    /// 2 when an input could not be read, else 0.
    pub fn exit_code(&self) -> ExitCode {
        query::exit_code(&[&self.inventory])
    }

    /// The parts every JSON answer carries.
    pub fn common(&self) -> Common<'_> {
        Common {
            diagnostics: self
                .model
                .diagnostics()
                .iter()
                .map(DiagnosticOut::of)
                .collect(),
            errors: &self.inventory.errors,
        }
    }

    /// The policy problems, as table lines.
    pub fn table_footer(&self) -> String {
        let mut out = String::new();
        if !self.model.diagnostics().is_empty() {
            out.push_str("\nPolicy problems (the rest was analyzed)\n");
            for d in self.model.diagnostics() {
                out.push_str(&format!("  {d}\n"));
            }
        }
        out
    }
}

/// What every JSON answer carries besides its own result.
#[derive(Serialize)]
pub struct Common<'a> {
    /// Policy problems (each with its place).
    pub diagnostics: Vec<DiagnosticOut>,
    /// Inputs that could not be read.
    pub errors: &'a [LoadError],
}

/// A policy problem in JSON.
#[derive(Serialize)]
pub struct DiagnosticOut {
    /// `rejected` (the API server would refuse the policy: it is left out) or `warning`.
    level: &'static str,
    file: String,
    line: u32,
    object: String,
    field: String,
    message: String,
}

impl DiagnosticOut {
    fn of(d: &Diagnostic) -> DiagnosticOut {
        let o = &d.object;
        DiagnosticOut {
            level: match d.level {
                Level::Rejected => "rejected",
                Level::Warning => "warning",
            },
            file: d.location.path.to_string(),
            line: d.location.line,
            object: match &o.namespace {
                Some(ns) => format!("{}/{}/{}", o.kind, ns, o.name),
                None => format!("{}/{}", o.kind, o.name),
            },
            field: d.field.clone(),
            message: d.message.clone(),
        }
    }
}

/// An endpoint in JSON: a workload or an external address range.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EndpointOut {
    /// A workload standing for its pods.
    Workload {
        kind: String,
        namespace: String,
        name: String,
    },
    /// Addresses outside the cluster that every policy treats alike.
    External { addresses: String },
}

impl EndpointOut {
    pub fn of(e: &Endpoint) -> EndpointOut {
        match e {
            Endpoint::Pods(p) => EndpointOut::Workload {
                kind: p.kind().to_string(),
                namespace: p.namespace.to_string(),
                name: p.name().to_string(),
            },
            Endpoint::External(ips) => EndpointOut::External {
                addresses: ips.to_string(),
            },
        }
    }
}

/// Short name of an endpoint: `NS/NAME` for a workload (the kind when two share a name is
/// in JSON), the ranges for an external class.
pub fn short_name(e: &Endpoint) -> String {
    match e {
        Endpoint::Pods(p) => format!("{}/{}", p.namespace, p.name()),
        Endpoint::External(ips) => ips.to_string(),
    }
}

pub use crate::query::{print, print_json};
