//! `palisade node`: what a node's filesystem says about its security.

mod access;

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `palisade node`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// What to audit.
    #[command(subcommand)]
    pub command: NodeCommand,
}

/// `palisade node` subcommands.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Who can SSH to which node, and with what (keys, passwords, root, MFA); with several
    /// --root, the fleet's access matrix.
    Access(access::AccessArgs),
}

pub fn run(args: &NodeArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        NodeCommand::Access(a) => access::run(a),
    }
}
