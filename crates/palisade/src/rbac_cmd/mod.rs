//! `palisade rbac`: questions about RBAC over manifests and dumps. Each subcommand loads
//! its inputs as `scan` does, builds one [`Policy`], answers, and lists the RBAC problems
//! met on the way (a binding to a missing role, a malformed rule, ...) so that nothing is
//! dropped silently. Load errors go to stderr and make the exit status 2, as in `scan`.

mod access;
mod diff;
mod graph;
mod kubectl;
mod nodes;
mod risks;
mod who_can;

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use palisade_core::{Inventory, LoadError, Location};
use palisade_rbac::{Key, Options, Policy, Problem, Via, BOOTSTRAP_VERSION};
use serde::Serialize;

use crate::query::{self, Timings};

/// `palisade rbac`.
#[derive(Debug, Args)]
pub struct RbacArgs {
    /// The question.
    #[command(subcommand)]
    pub command: RbacCommand,
}

/// `palisade rbac` subcommands.
#[derive(Debug, Subcommand)]
pub enum RbacCommand {
    /// Every subject that may do VERB on RESOURCE, with the binding and role that grant it.
    WhoCan(who_can::WhoCanArgs),
    /// Everything a subject (user:NAME, group:NAME, sa:NS/NAME) holds, per namespace.
    Access(access::AccessArgs),
    /// Which kubectl commands a subject can run, and where.
    Kubectl(kubectl::KubectlArgs),
    /// Who can get a root shell on a node, and how.
    Nodes(nodes::NodesArgs),
    /// Subjects → bindings → roles → permissions, as Graphviz DOT or JSON.
    Graph(graph::GraphArgs),
    /// Permissions granted and revoked per subject between two snapshots; exit 1 when a
    /// grant matches --fail-on-grant.
    Diff(diff::DiffArgs),
    /// The risky-permission findings alone (PAL-RBAC-010..026, as `scan` reports them).
    Risks(risks::RisksArgs),
}

/// Inputs shared by every query.
#[derive(Debug, Args)]
pub struct Inputs {
    /// Files or directories of manifests or `kubectl get -o yaml` dumps; `-` reads stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<String>,

    /// Do not stand in the built-in roles and bindings (cluster-admin, edit, view,
    /// system:*) for names the input does not define.
    #[arg(long)]
    pub no_builtin_roles: bool,

    /// Largest input file accepted, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: usize,

    /// Benchmarking aid: print how long loading, building the policy and the query took, on
    /// stderr.
    #[arg(long, hide = true)]
    pub timings: bool,
}

/// Output formats of the queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// Aligned text.
    Table,
    /// JSON.
    Json,
}

pub fn run(args: &RbacArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        RbacCommand::WhoCan(a) => who_can::run(a),
        RbacCommand::Access(a) => access::run(a),
        RbacCommand::Kubectl(a) => kubectl::run(a),
        RbacCommand::Nodes(a) => nodes::run(a),
        RbacCommand::Graph(a) => graph::run(a),
        RbacCommand::Diff(a) => diff::run(a),
        RbacCommand::Risks(a) => risks::run(a),
    }
}

/// The loaded inputs and the policy built from them.
pub struct Loaded {
    pub inventory: Inventory,
    pub policy: Policy,
    timings: Timings,
}

impl Inputs {
    /// Loads the inputs and builds the policy; load errors are said on stderr.
    pub fn load(&self) -> Loaded {
        let (inventory, load) = query::load(&self.paths, self.max_file_size);
        let options = Options {
            bootstrap: !self.no_builtin_roles,
            ..Options::default()
        };
        let (policy, built) = query::measure(|| Policy::from_inventory(&inventory, &options));
        Loaded {
            inventory,
            policy,
            timings: Timings {
                load,
                build: built,
                build_label: "policy",
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
            builtin_roles: BOOTSTRAP_VERSION,
            problems: self.policy.problems().iter().map(ProblemOut::of).collect(),
            errors: &self.inventory.errors,
        }
    }

    /// The problems and the provenance note, as table lines.
    pub fn table_footer(&self) -> String {
        let mut out = String::new();
        if !self.policy.problems().is_empty() {
            out.push_str("\nRBAC problems (the rest was analyzed)\n");
            for p in self.policy.problems() {
                out.push_str(&format!(
                    "  {}: {} [{}]\n",
                    place(&p.location),
                    p.message,
                    p.kind.as_str()
                ));
            }
        }
        out
    }
}

/// What every JSON answer carries besides its own result.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Common<'a> {
    /// The Kubernetes version whose built-in roles stand in for names the input lacks.
    pub builtin_roles: &'static str,
    /// RBAC problems met (each with its place).
    pub problems: Vec<ProblemOut>,
    /// Inputs that could not be read.
    pub errors: &'a [LoadError],
}

/// A problem in JSON.
#[derive(Serialize)]
pub struct ProblemOut {
    kind: &'static str,
    file: String,
    line: u32,
    object: String,
    message: String,
}

impl ProblemOut {
    fn of(p: &Problem) -> ProblemOut {
        let o = &p.object;
        ProblemOut {
            kind: p.kind.as_str(),
            file: p.location.path.to_string(),
            line: p.location.line,
            object: match &o.namespace {
                Some(ns) => format!("{}/{}/{}", o.kind, ns, o.name),
                None => format!("{}/{}", o.kind, o.name),
            },
            message: p.message.clone(),
        }
    }
}

/// `file:line`.
pub fn place(l: &Location) -> String {
    format!("{}:{}", l.path, l.line)
}

/// `Kind/ns/name`, with "(built in)" for bootstrap defaults.
pub fn key_text(k: &Key) -> String {
    if k.bootstrap {
        format!("{k} (built in)")
    } else {
        k.to_string()
    }
}

/// `Binding → Role rule N (file:line)`.
pub fn via_text(v: &Via) -> String {
    let mut s = format!(
        "{} → {} rule {}",
        key_text(&v.binding),
        key_text(&v.role),
        v.rule
    );
    if let Some(l) = rule_location(v) {
        s.push_str(&format!(" ({})", place(l)));
    }
    s
}

/// Where the granting rule was written in the input (none for a built-in role).
fn rule_location(v: &Via) -> Option<&Location> {
    v.rule_location.as_ref().filter(|_| !v.role.bootstrap)
}

/// `resource[.group][/subresource]`, as kubectl spells it.
pub fn resource_text(api_group: &str, resource: &str) -> String {
    palisade_rbac::spell_resource(api_group, resource, "")
}

/// A grant path in JSON.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViaOut {
    /// Where it holds: the RoleBinding's namespace, or null for cluster-wide.
    namespace: Option<String>,
    binding: String,
    role: String,
    /// True when the role is a built-in default the input does not define.
    builtin_role: bool,
    /// Index of the granting rule in the role's effective rules.
    rule: usize,
    /// `file:line` of the rule, when it was written in the input.
    rule_location: Option<String>,
}

impl ViaOut {
    pub fn of(v: &Via) -> ViaOut {
        ViaOut {
            namespace: v.namespace.as_deref().map(str::to_string),
            binding: v.binding.to_string(),
            role: v.role.to_string(),
            builtin_role: v.role.bootstrap,
            rule: v.rule,
            rule_location: rule_location(v).map(place),
        }
    }
}

pub use crate::query::{print, print_json};

/// Reads a subject argument; a form that does not parse is a usage error listing the forms.
pub fn subject(text: &str) -> anyhow::Result<palisade_rbac::Subject> {
    palisade_rbac::parse_subject(text).map_err(|e| anyhow::anyhow!("{e}"))
}
