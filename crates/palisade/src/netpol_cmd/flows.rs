//! `palisade netpol generate --flows FILE PATH...` (least-privilege policies learned from
//! Hubble flows) and `palisade netpol check-flows --flows FILE PATH...` (observed flows the
//! policies would deny, and allowed paths never used).

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use palisade_netpol::flows::{
    check_flows, generate, read_flows, Flows, Format, GenerateOptions, ReadLimits, Transport,
};
use palisade_netpol::Model;
use serde::Serialize;

use super::{short_name, Common, Inputs, QueryFormat};
use crate::text_table::TextTable;

/// The flows file.
#[derive(Debug, Args)]
pub struct FlowsFile {
    /// JSON Lines of `hubble observe -o jsonpb` (`-` for stdin). Corrupt or truncated lines
    /// are skipped and counted, with their line numbers.
    #[arg(long)]
    pub flows: String,
}

/// `palisade netpol generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub flows: FlowsFile,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Policy kind to write.
    #[arg(short, long, value_enum, default_value_t = PolicyFormat::Networkpolicy)]
    pub format: PolicyFormat,
    /// Widen external IPv4 addresses to this prefix length (32: each address alone).
    #[arg(long, default_value_t = 32)]
    pub ipv4_prefix: u8,
    /// Only ingress policies.
    #[arg(long, conflicts_with = "egress_only")]
    pub ingress_only: bool,
    /// Only egress policies.
    #[arg(long)]
    pub egress_only: bool,
}

/// Kinds of generated policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormat {
    /// `networking.k8s.io/v1` NetworkPolicy.
    Networkpolicy,
    /// `cilium.io/v2` CiliumNetworkPolicy, with L7 HTTP rules (method and path) where the
    /// flows carried HTTP records.
    Cilium,
}

/// `palisade netpol check-flows`.
#[derive(Debug, Args)]
pub struct CheckFlowsArgs {
    #[command(flatten)]
    pub flows: FlowsFile,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
}

fn read(path: &str) -> anyhow::Result<Flows> {
    let limits = ReadLimits::default();
    let flows = if path == "-" {
        read_flows(std::io::stdin().lock(), &limits)
    } else {
        let file = File::open(path).with_context(|| format!("cannot read flows file {path}"))?;
        read_flows(BufReader::new(file), &limits)
    }
    .with_context(|| format!("cannot read flows file {path}"))?;
    if let Some(summary) = flows.skipped_summary() {
        eprintln!("warning: {path}: {summary}");
    }
    Ok(flows)
}

pub fn run_generate(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let flows = read(&args.flows.flows)?;
    let loaded = args.inputs.load();
    let options = GenerateOptions {
        format: match args.format {
            PolicyFormat::Networkpolicy => Format::NetworkPolicy,
            PolicyFormat::Cilium => Format::Cilium,
        },
        ipv4_prefix: args.ipv4_prefix.min(32),
        ingress: !args.egress_only,
        egress: !args.ingress_only,
        ..GenerateOptions::default()
    };
    let generated = loaded.timed(|| generate(&loaded.model, &flows, &options));
    for note in &generated.notes {
        eprintln!("note: {note}");
    }
    super::print(&generated.yaml)?;
    Ok(loaded.exit_code())
}

fn transport_text(t: &Transport) -> String {
    match t {
        Transport::Port(p, n) => format!("{n}/{}", p.as_str()),
        Transport::Icmp(_, kind) => format!("ICMP type {kind}"),
    }
}

pub fn run_check(args: &CheckFlowsArgs) -> anyhow::Result<ExitCode> {
    let flows = read(&args.flows.flows)?;
    let loaded = args.inputs.load();
    let model = &loaded.model;
    let check = loaded.timed(|| check_flows(model, &flows));
    let name = |id| model.endpoint(id).map(short_name).unwrap_or_default();
    let denied: Vec<DeniedOut> = check
        .denied
        .iter()
        .map(|d| DeniedOut {
            src: name(d.src),
            dst: name(d.dst),
            transport: transport_text(&d.transport),
            count: d.count,
            first_line: d.first_line,
            denied_by: d
                .denied_by
                .iter()
                .map(|dir| dir.as_str().to_lowercase())
                .collect(),
            policies: policy_names(model, &d.policies),
        })
        .collect();
    let unused: Vec<UnusedOut> = check
        .unused
        .iter()
        .map(|u| UnusedOut {
            src: name(u.src),
            dst: name(u.dst),
            allowed: check
                .allowed_on(u)
                .map(|c| c.to_string())
                .unwrap_or_default(),
        })
        .collect();
    match args.format {
        QueryFormat::Json => super::print_json(&CheckOut {
            flows: flows.flows.len(),
            skipped_lines: flows.skipped_count,
            allowed: check.allowed,
            unjudged: check.unjudged,
            denied: &denied,
            unused: &unused,
            common: loaded.common(),
        })?,
        QueryFormat::Table => {
            let mut out = format!(
                "{} flows read ({} lines skipped): {} observed connections allowed, {} denied, {} not judged (an end the input does not hold)\n",
                flows.flows.len(),
                flows.skipped_count,
                check.allowed,
                denied.len(),
                check.unjudged
            );
            if !denied.is_empty() {
                out.push_str("\nObserved, but the policies deny it\n");
                let mut t = TextTable::new(&[
                    "SOURCE",
                    "DESTINATION",
                    "PORT",
                    "FLOWS",
                    "FIRST LINE",
                    "DENIED BY",
                ]);
                for d in &denied {
                    t.row(vec![
                        d.src.clone(),
                        d.dst.clone(),
                        d.transport.clone(),
                        d.count.to_string(),
                        d.first_line.to_string(),
                        format!("{} ({})", d.denied_by.join(", "), d.policies.join(", ")),
                    ]);
                }
                out.push_str(&t.render());
            }
            if !unused.is_empty() {
                out.push_str("\nAllowed, but never used in the flows\n");
                let mut t = TextTable::new(&["SOURCE", "DESTINATION", "ALLOWED"]);
                for u in &unused {
                    t.row(vec![u.src.clone(), u.dst.clone(), u.allowed.clone()]);
                }
                out.push_str(&t.render());
            }
            out.push_str(&loaded.table_footer());
            super::print(&out)?;
        }
    }
    Ok(loaded.exit_code())
}

fn policy_names(model: &Model, ids: &[palisade_netpol::PolicyId]) -> Vec<String> {
    ids.iter()
        .filter_map(|&p| model.policy(p))
        .map(|p| p.full_name())
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckOut<'a> {
    flows: usize,
    skipped_lines: usize,
    /// Observed connections the policies allow.
    allowed: usize,
    /// Observed connections with an end the input does not hold.
    unjudged: usize,
    denied: &'a [DeniedOut],
    unused: &'a [UnusedOut],
    #[serde(flatten)]
    common: Common<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeniedOut {
    src: String,
    dst: String,
    transport: String,
    count: usize,
    first_line: usize,
    /// `egress` (the source's policies) and/or `ingress` (the destination's).
    denied_by: Vec<String>,
    policies: Vec<String>,
}

#[derive(Serialize)]
struct UnusedOut {
    src: String,
    dst: String,
    allowed: String,
}
