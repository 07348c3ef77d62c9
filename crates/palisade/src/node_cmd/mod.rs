//! `palisade node`: audits a node's filesystem (the CIS Kubernetes Benchmark sections 1–4
//! and host hardening) from `--root` (default `/`). Further questions about nodes are
//! subcommands of [`NodeCommand`] (`access`: who can SSH in); without one, `palisade node`
//! runs the audit.

mod access;
mod audit;

use std::process::ExitCode;

use clap::{Args, Subcommand};

pub use audit::AuditArgs;

/// `palisade node`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NodeArgs {
    /// A node question other than the audit.
    #[command(subcommand)]
    pub command: Option<NodeCommand>,

    /// The audit's options.
    #[command(flatten)]
    pub audit: AuditArgs,
}

/// `palisade node` subcommands (each in its own module beside `audit`).
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Who can SSH to which node, and with what (keys, passwords, root, MFA); with several
    /// --root, the fleet's access matrix.
    Access(access::AccessArgs),
}

pub fn run(args: &NodeArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        None => audit::run(&args.audit),
        Some(NodeCommand::Access(a)) => access::run(a),
    }
}
