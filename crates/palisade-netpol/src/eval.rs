//! Evaluation of one pair of endpoints, and `explain`.
//!
//! A connection from `src` to `dst` is allowed when `src`'s egress allows it and `dst`'s
//! ingress allows it. Each side is judged by the NetworkPolicies of its own pod: a pod no
//! policy isolates in a direction allows everything in that direction; an isolated pod
//! allows the union of what the rules of its isolating policies allow toward (or from) the
//! other side. External addresses have no policies of their own: their side allows
//! everything.

use palisade_core::Location;

use crate::conn::{ConnectionSet, PortSet, Protocol};
use crate::endpoints::Pods;
use crate::index::slot;
use crate::model::{EndpointId, Model, PolicyId};
use crate::policy::{Direction, PortMatch, Rule};
use crate::tiers::Plan;

/// What a rule allows toward the destination `dst` (`None`: an external address, where
/// named ports resolve to nothing, as np-guard's `getPortsRange` holds for IP blocks).
/// Mirrors np-guard's `ruleConnections`.
pub(crate) fn rule_conns(rule: &Rule, dst: Option<&Pods>) -> ConnectionSet {
    let Some(specs) = &rule.ports else {
        return ConnectionSet::all();
    };
    let mut out = ConnectionSet::none();
    for spec in specs {
        match &spec.port {
            PortMatch::Any => out.add(spec.protocol, &PortSet::all()),
            PortMatch::Range(start, end) => out.add(spec.protocol, &PortSet::range(*start, *end)),
            // The container's port must carry the rule's protocol too (np-guard returns
            // no range when the protocols differ).
            PortMatch::Named(name) => {
                if let Some((proto, number)) = dst.and_then(|p| p.named_port(name)) {
                    if proto == spec.protocol {
                        out.add(proto, &PortSet::single(number));
                    }
                }
            }
        }
    }
    out
}

/// What a policy rule does to the traffic it matches. NetworkPolicy rules always allow;
/// Calico and admin policies also deny and pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// The rule allows the traffic (decides).
    Allow,
    /// The rule denies the traffic (decides).
    Deny,
    /// Hands the traffic to the next stage: an AdminNetworkPolicy's `Pass` goes on to the
    /// Calico tiers and NetworkPolicies; a Calico `Pass` skips the rest of its tier.
    Pass,
    /// Calico's `Log`: records the packet and goes on to the next rule (decides nothing).
    Log,
}

impl Action {
    /// The API spelling (`Allow`, `Deny`, `Pass`, `Log`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Pass => "Pass",
            Action::Log => "Log",
        }
    }
}

/// Which kind of policy a rule belongs to (which list [`RuleRef::policy`] indexes). The
/// evaluation order is AdminNetworkPolicy, then the Calico tiers (NetworkPolicies sit in
/// Calico's default tier), then BaselineAdminNetworkPolicy; see the crate docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Tier {
    /// `networking.k8s.io/v1` NetworkPolicy; [`RuleRef::policy`] indexes
    /// [`Model::policies`].
    NetworkPolicy,
    /// AdminNetworkPolicy; [`RuleRef::policy`] indexes [`Model::admin_policies`].
    Admin,
    /// A Calico NetworkPolicy or GlobalNetworkPolicy (its tier is
    /// [`crate::CalicoPolicy::tier`]); [`RuleRef::policy`] indexes
    /// [`Model::calico_policies`].
    Calico,
    /// BaselineAdminNetworkPolicy; [`RuleRef::policy`] indexes [`Model::admin_policies`].
    Baseline,
}

/// What decided one side of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// A rule's `Allow` or `Deny`.
    Rule(RuleRef),
    /// The end of a Calico tier that has a policy applying to the endpoint, where no rule
    /// decided: the tier's default action (`Deny`). NetworkPolicy isolation without an
    /// allowing rule is this, in tier `default`.
    EndOfTier {
        /// The tier's name.
        tier: String,
        /// Its default action.
        action: Action,
    },
    /// Nothing decided (no policy applies, or every applicable one passed): allowed.
    Default,
}

impl Decision {
    /// Does this decision let the connection through?
    pub fn allows(&self) -> bool {
        match self {
            Decision::Rule(r) => r.action == Action::Allow,
            Decision::EndOfTier { action, .. } => *action != Action::Deny,
            Decision::Default => true,
        }
    }
}

/// One rule of one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    /// The kind of policy (which list [`RuleRef::policy`] indexes).
    pub tier: Tier,
    /// The policy.
    pub policy: PolicyId,
    /// Which list the rule is in.
    pub direction: Direction,
    /// Its index in that list (0-based).
    pub index: usize,
    /// Where it is.
    pub location: Location,
    /// What it does to matching traffic.
    pub action: Action,
}

/// How one side of a connection judged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideExplanation {
    /// `Egress` for the source's side, `Ingress` for the destination's.
    pub direction: Direction,
    /// The endpoint whose policies judge this side.
    pub endpoint: EndpointId,
    /// False for an external address: no policy applies there, and it allows everything.
    pub governed: bool,
    /// Is the endpoint isolated in this direction by NetworkPolicies (does some
    /// NetworkPolicy select it with this policy type)?
    pub isolated: bool,
    /// The NetworkPolicies isolating it.
    pub policies: Vec<PolicyId>,
    /// The NetworkPolicy rules that allow the connection (empty when none does, or when not
    /// isolated). With Calico or admin policies, an earlier rule may still have decided
    /// otherwise: [`SideExplanation::decision`] is the verdict's reason.
    pub allowed_by: Vec<RuleRef>,
    /// This side's verdict (what [`SideExplanation::decision`] says).
    pub allowed: bool,
    /// Every rule of any kind the connection met on this side, in evaluation order: the
    /// `Log` and `Pass` rules it went through, then the rule that decided (if one did).
    pub trail: Vec<RuleRef>,
    /// What decided this side.
    pub decision: Decision,
}

/// Why a connection is allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Source.
    pub src: EndpointId,
    /// Destination.
    pub dst: EndpointId,
    /// Port asked about.
    pub port: u16,
    /// Protocol asked about.
    pub protocol: Protocol,
    /// True when both sides allow it.
    pub allowed: bool,
    /// The source's egress.
    pub egress: SideExplanation,
    /// The destination's ingress.
    pub ingress: SideExplanation,
}

/// A rule whose peers match the other side, and what it allows toward the destination.
struct MatchedRule {
    policy: u32,
    index: usize,
    conns: ConnectionSet,
}

/// One side of a connection: the policies isolating the subject (empty: not isolated), and
/// their rules whose peers match the other side.
struct Side {
    policies: Vec<u32>,
    rules: Vec<MatchedRule>,
}

/// The side of `subject` in `direction` toward `other`; `None` when `subject` is an
/// external address, which no policy governs.
fn side(model: &Model, subject: usize, direction: Direction, other: usize) -> Option<Side> {
    model.pods(subject)?;
    let policies = model.index.isolating[subject][slot(direction)].clone();
    let dst = match direction {
        Direction::Ingress => model.pods(subject),
        Direction::Egress => model.pods(other),
    };
    let pods = model.workload_count();
    let mut rules = Vec::new();
    for &p in &policies {
        let compiled = &model.index.policies[p as usize];
        let policy = &model.policies()[p as usize];
        for (ri, rule) in policy.rules(direction).iter().enumerate() {
            let peers = &compiled.peers[slot(direction)][ri];
            let hit = if other < pods {
                peers.pods.contains(other)
            } else {
                peers.external.contains(other - pods)
            };
            if hit {
                rules.push(MatchedRule {
                    policy: p,
                    index: ri,
                    conns: rule_conns(rule, dst),
                });
            }
        }
    }
    Some(Side { policies, rules })
}

fn side_conns(model: &Model, subject: usize, direction: Direction, other: usize) -> ConnectionSet {
    if model.tier_index.active {
        return ordered_side(model, subject, direction, other);
    }
    match side(model, subject, direction, other) {
        None => ConnectionSet::all(),
        Some(side) if side.policies.is_empty() => ConnectionSet::all(),
        Some(side) => side
            .rules
            .iter()
            .fold(ConnectionSet::none(), |acc, r| acc.union(&r.conns)),
    }
}

/// Does step `k` of `plan` have `other` among its peers?
fn hits(model: &Model, plan: &Plan, direction: Direction, k: usize, other: usize) -> bool {
    let peers = Plan::peers(model, &plan.steps[k], direction);
    let pods = model.workload_count();
    if other < pods {
        peers.pods.contains(other)
    } else {
        peers.external.contains(other - pods)
    }
}

/// One side under ordered evaluation (Calico tiers and admin policies).
fn ordered_side(
    model: &Model,
    subject: usize,
    direction: Direction,
    other: usize,
) -> ConnectionSet {
    if model.pods(subject).is_none() {
        return ConnectionSet::all();
    }
    let plan = Plan::of(model, subject, direction);
    let dst = match direction {
        Direction::Ingress => model.pods(subject),
        Direction::Egress => model.pods(other),
    };
    plan.evaluate(
        |k| hits(model, &plan, direction, k, other),
        |k| Plan::conns(model, &plan.steps[k], direction, dst),
    )
}

/// The trail and decision of one side for one port.
fn ordered_trace(
    model: &Model,
    subject: usize,
    direction: Direction,
    other: usize,
    protocol: Protocol,
    port: u16,
) -> (Vec<RuleRef>, Decision) {
    let plan = Plan::of(model, subject, direction);
    let dst = match direction {
        Direction::Ingress => model.pods(subject),
        Direction::Egress => model.pods(other),
    };
    plan.trace(
        model,
        direction,
        |k| hits(model, &plan, direction, k, other),
        |k| Plan::conns(model, &plan.steps[k], direction, dst).contains(protocol, port),
    )
}

impl Model {
    /// The connections allowed from `src` to `dst`, computed for this pair alone (the
    /// [`crate::matrix()`] computes every pair at once and agrees with this). `None` between
    /// two external classes, which no policy governs, and for unknown ids.
    pub fn connections(&self, src: EndpointId, dst: EndpointId) -> Option<ConnectionSet> {
        let (s, d) = (src.index(), dst.index());
        let n = self.endpoints().len();
        let pods = self.workload_count();
        if s >= n || d >= n || (s >= pods && d >= pods) {
            return None;
        }
        let egress = side_conns(self, s, Direction::Egress, d);
        let ingress = side_conns(self, d, Direction::Ingress, s);
        Some(egress.intersection(&ingress))
    }

    /// Explains whether `src` may open a connection to `dst` on `port`/`protocol`: each
    /// side's isolation, the policies isolating it, and the rules that allow it. `None`
    /// between two external classes and for unknown ids.
    pub fn explain(
        &self,
        src: EndpointId,
        dst: EndpointId,
        port: u16,
        protocol: Protocol,
    ) -> Option<Explanation> {
        let (s, d) = (src.index(), dst.index());
        self.connections(src, dst)?;
        let judge = |subject: usize, direction: Direction, other: usize| {
            let endpoint = EndpointId(subject as u32);
            match side(self, subject, direction, other) {
                None => SideExplanation {
                    direction,
                    endpoint,
                    governed: false,
                    isolated: false,
                    policies: Vec::new(),
                    allowed_by: Vec::new(),
                    allowed: true,
                    trail: Vec::new(),
                    decision: Decision::Default,
                },
                Some(Side { policies, rules }) => {
                    let allowed_by: Vec<RuleRef> = rules
                        .iter()
                        .filter(|r| r.conns.contains(protocol, port))
                        .map(|r| RuleRef {
                            tier: Tier::NetworkPolicy,
                            policy: PolicyId(r.policy),
                            direction,
                            index: r.index,
                            location: self.policies()[r.policy as usize].rules(direction)[r.index]
                                .location
                                .clone(),
                            action: Action::Allow,
                        })
                        .collect();
                    let isolated = !policies.is_empty();
                    let (trail, decision) =
                        ordered_trace(self, subject, direction, other, protocol, port);
                    SideExplanation {
                        direction,
                        endpoint,
                        governed: true,
                        isolated,
                        allowed: decision.allows(),
                        policies: policies.into_iter().map(PolicyId).collect(),
                        allowed_by,
                        trail,
                        decision,
                    }
                }
            }
        };
        let egress = judge(s, Direction::Egress, d);
        let ingress = judge(d, Direction::Ingress, s);
        Some(Explanation {
            src,
            dst,
            port,
            protocol,
            allowed: egress.allowed && ingress.allowed,
            egress,
            ingress,
        })
    }
}

/// Explains one connection; see [`Model::explain`].
pub fn explain(
    model: &Model,
    src: EndpointId,
    dst: EndpointId,
    port: u16,
    protocol: Protocol,
) -> Option<Explanation> {
    model.explain(src, dst, port, protocol)
}
