//! `palisade node`: audits a node's filesystem (the CIS Kubernetes Benchmark sections 1–4
//! and host hardening) from `--root` (default `/`). Other node subcommands hang off
//! [`NodeArgs`] beside the audit.

mod audit;

use std::process::ExitCode;

use clap::Args;

pub use audit::AuditArgs;

/// `palisade node`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The audit's options.
    #[command(flatten)]
    pub audit: AuditArgs,
}

pub fn run(args: &NodeArgs) -> anyhow::Result<ExitCode> {
    audit::run(&args.audit)
}
