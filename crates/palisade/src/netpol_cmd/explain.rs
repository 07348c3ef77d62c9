//! `palisade netpol explain SRC DST PORT[/PROTOCOL] PATH...`: allowed or denied, and by
//! which policies and rules in each direction.

use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::Args;
use palisade_netpol::{Decision, Explanation, Model, Protocol, RuleRef, SideExplanation, Tier};
use serde::Serialize;

use super::{short_name, Common, EndpointOut, Inputs, QueryFormat};

/// `palisade netpol explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Source: `NS/NAME`, `KIND/NS/NAME` or an IP address outside the cluster.
    pub src: String,
    /// Destination, in the same forms.
    pub dst: String,
    /// `PORT` or `PORT/PROTOCOL` (TCP, UDP, SCTP; TCP by default).
    pub port: String,
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
}

/// Reads `PORT[/PROTOCOL]`.
fn port(text: &str) -> anyhow::Result<(u16, Protocol)> {
    let (number, protocol) = match text.split_once('/') {
        Some((n, p)) => (
            n,
            Protocol::parse_loose(p)
                .ok_or_else(|| anyhow!("unknown protocol `{p}`; use TCP, UDP or SCTP"))?,
        ),
        None => (text, Protocol::Tcp),
    };
    match number.parse::<u16>() {
        Ok(n) if n >= 1 => Ok((n, protocol)),
        _ => bail!("`{number}` is not a port (1-65535)"),
    }
}

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let (number, protocol) = port(&args.port)?;
    let loaded = args.inputs.load();
    let model = &loaded.model;
    let src = model
        .lookup(&args.src)
        .map_err(|e| anyhow!("source: {e}"))?;
    let dst = model
        .lookup(&args.dst)
        .map_err(|e| anyhow!("destination: {e}"))?;
    let Some(why) = loaded.timed(|| model.explain(src, dst, number, protocol)) else {
        bail!("both ends are outside the cluster: no policy governs that traffic");
    };
    match args.format {
        QueryFormat::Json => super::print_json(&Answer {
            src: model.endpoint(src).map(EndpointOut::of),
            dst: model.endpoint(dst).map(EndpointOut::of),
            port: number,
            protocol: protocol.as_str(),
            allowed: why.allowed,
            egress: side_out(model, &why.egress),
            ingress: side_out(model, &why.ingress),
            common: loaded.common(),
        })?,
        QueryFormat::Table => {
            let mut text = table(model, &why);
            text.push_str(&loaded.table_footer());
            super::print(&text)?;
        }
    }
    Ok(loaded.exit_code())
}

#[derive(Serialize)]
struct Answer<'a> {
    src: Option<EndpointOut>,
    dst: Option<EndpointOut>,
    port: u16,
    protocol: &'static str,
    allowed: bool,
    /// The source's egress side.
    egress: SideOut,
    /// The destination's ingress side.
    ingress: SideOut,
    #[serde(flatten)]
    common: Common<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SideOut {
    /// False for an address outside the cluster: no policy applies there.
    governed: bool,
    /// Isolated by Kubernetes NetworkPolicies for this direction.
    isolated: bool,
    allowed: bool,
    /// What decided: a rule (`rule`), the end of a Calico tier (`endOfTier`), or nothing
    /// (`default`: allowed).
    decided_by: String,
    /// The deciding rule, when a rule decided.
    decision_rule: Option<RuleOut>,
    /// The NetworkPolicies that select the endpoint for this direction.
    policies: Vec<String>,
    /// The NetworkPolicy rules that allow the connection.
    rules: Vec<RuleOut>,
    /// Every rule met on the way, in evaluation order (AdminNetworkPolicy, Calico tiers,
    /// NetworkPolicy, BaselineAdminNetworkPolicy), Log and Pass included.
    trail: Vec<RuleOut>,
}

#[derive(Serialize)]
struct RuleOut {
    policy: String,
    /// `ingress[0]` / `egress[2]`.
    rule: String,
    /// `Allow`, `Deny`, `Pass` or `Log`.
    action: &'static str,
    file: String,
    line: u32,
}

/// `Kind/ns/name` of the policy a rule belongs to, whatever its tier.
fn policy_name(model: &Model, r: &RuleRef) -> String {
    let i = r.policy.index();
    match r.tier {
        Tier::NetworkPolicy => model
            .policy(r.policy)
            .map(|p| format!("NetworkPolicy/{}", p.full_name())),
        Tier::Calico => model.calico_policies().get(i).map(|p| match &p.namespace {
            Some(ns) => format!("{}/{ns}/{}", p.object.kind, p.name),
            None => format!("{}/{}", p.object.kind, p.name),
        }),
        Tier::Admin | Tier::Baseline => model
            .admin_policies()
            .get(i)
            .map(|p| format!("{}/{}", p.object.kind, p.name)),
        _ => None,
    }
    .unwrap_or_default()
}

fn rule_out(model: &Model, r: &RuleRef) -> RuleOut {
    RuleOut {
        policy: policy_name(model, r),
        rule: format!("{}[{}]", r.direction.as_str().to_lowercase(), r.index),
        action: r.action.as_str(),
        file: r.location.path.to_string(),
        line: r.location.line,
    }
}

fn side_out(model: &Model, s: &SideExplanation) -> SideOut {
    let (decided_by, decision_rule) = match &s.decision {
        Decision::Rule(r) => ("rule".to_string(), Some(rule_out(model, r))),
        Decision::EndOfTier { tier, action } => {
            (format!("endOfTier:{tier}:{}", action.as_str()), None)
        }
        _ => ("default".to_string(), None),
    };
    SideOut {
        governed: s.governed,
        isolated: s.isolated,
        allowed: s.allowed,
        decided_by,
        decision_rule,
        policies: s
            .policies
            .iter()
            .filter_map(|&p| model.policy(p))
            .map(|p| format!("NetworkPolicy/{}", p.full_name()))
            .collect(),
        rules: s.allowed_by.iter().map(|r| rule_out(model, r)).collect(),
        trail: s.trail.iter().map(|r| rule_out(model, r)).collect(),
    }
}

fn side_text(model: &Model, who: &str, s: &SideExplanation) -> String {
    let dir = s.direction.as_str().to_lowercase();
    let decided = match &s.decision {
        Decision::Rule(r) => {
            let r = rule_out(model, r);
            Some(format!(
                "  {dir}: {} by {} {} ({}:{})\n",
                if s.allowed { "allowed" } else { "denied" },
                r.policy,
                r.rule,
                r.file,
                r.line
            ))
        }
        Decision::EndOfTier { tier, action } if !s.isolated || tier != "default" => Some(format!(
            "  {dir}: {} at the end of Calico tier `{tier}` ({}: no rule of its policies decided)\n",
            if s.allowed { "allowed" } else { "denied" },
            action.as_str()
        )),
        _ => None,
    };
    // Other tiers met on the way: the decisive rule is named first.
    let tiered = !s.trail.iter().all(|r| r.tier == Tier::NetworkPolicy);
    let mut out = if !s.governed {
        format!("  {dir}: {who} is outside the cluster; no policy applies\n")
    } else if let Some(text) = decided.filter(|_| tiered) {
        text
    } else if !s.isolated {
        format!("  {dir}: {who} is not isolated for {dir} (no policy selects it): allowed\n")
    } else {
        let policies: Vec<String> = s
            .policies
            .iter()
            .filter_map(|&p| model.policy(p))
            .map(|p| p.full_name())
            .collect();
        format!(
            "  {dir}: {who} is isolated for {dir} by {}: {}\n",
            policies.join(", "),
            if s.allowed {
                "allowed"
            } else {
                "denied (no rule allows it)"
            }
        )
    };
    // With other tiers, the NetworkPolicy rules that allow it too follow the decisive one;
    // without them, these are the rules that allow it.
    let decisive = match &s.decision {
        Decision::Rule(r) if tiered => Some(&r.location),
        _ => None,
    };
    let label = if tiered {
        "NetworkPolicy allows too:"
    } else {
        "allowed by"
    };
    for r in s
        .allowed_by
        .iter()
        .filter(|r| Some(&r.location) != decisive)
    {
        let r = rule_out(model, r);
        out.push_str(&format!(
            "    {label} {} {} ({}:{})\n",
            r.policy, r.rule, r.file, r.line
        ));
    }
    out
}

fn table(model: &Model, why: &Explanation) -> String {
    let name = |id| model.endpoint(id).map(short_name).unwrap_or_default();
    let (src, dst) = (name(why.src), name(why.dst));
    let mut out = format!(
        "{src} -> {dst} on {}/{}: {}\n",
        why.port,
        why.protocol.as_str(),
        if why.allowed { "ALLOWED" } else { "DENIED" }
    );
    out.push_str(&side_text(model, &src, &why.egress));
    out.push_str(&side_text(model, &dst, &why.ingress));
    out
}
