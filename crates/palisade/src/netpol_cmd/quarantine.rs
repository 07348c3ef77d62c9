//! `palisade netpol quarantine KIND/NS/NAME PATH... [--allow-dns] [--calico]`: policies that
//! isolate one workload, printed for `kubectl apply`; caveats on stderr.

use std::process::ExitCode;

use anyhow::anyhow;
use clap::Args;
use palisade_netpol::{quarantine, QuarantineOptions};

use super::Inputs;

/// `palisade netpol quarantine`.
#[derive(Debug, Args)]
pub struct QuarantineArgs {
    /// The workload: `KIND/NS/NAME` or `NS/NAME`.
    pub workload: String,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Keep DNS egress to kube-dns open (UDP and TCP 53).
    #[arg(long)]
    pub allow_dns: bool,
    /// Also print a Calico Tier ordered before every other tier and a GlobalNetworkPolicy in
    /// it, whose Deny comes before every Calico policy and NetworkPolicy allowance.
    #[arg(long)]
    pub calico: bool,
    /// Also print an AdminNetworkPolicy of priority 0 (evaluated before everything) that
    /// denies the workload's traffic.
    #[arg(long)]
    pub admin: bool,
}

pub fn run(args: &QuarantineArgs) -> anyhow::Result<ExitCode> {
    let loaded = args.inputs.load();
    let target = loaded
        .model
        .lookup(&args.workload)
        .map_err(|e| anyhow!("{e}"))?;
    let q = quarantine(
        &loaded.model,
        target,
        &QuarantineOptions {
            allow_dns: args.allow_dns,
            calico: args.calico,
            admin: args.admin,
        },
    )
    .map_err(|e| anyhow!("{e}"))?;
    for w in &q.warnings {
        eprintln!("warning: {w}");
    }
    super::print(&q.yaml)?;
    Ok(loaded.exit_code())
}
