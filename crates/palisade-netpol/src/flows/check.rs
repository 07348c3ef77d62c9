//! Observed traffic against the current policies: flows they would deny, and allowed
//! paths nobody used.

use std::collections::BTreeSet;

use crate::conn::{ConnectionSet, Protocol};
use crate::matrix::{matrix, Matrix};
use crate::model::{EndpointId, Model, PolicyId};
use crate::policy::Direction;

use super::mapping::{map_flows, FlowPeer, Mapped, Transport};
use super::reader::Flows;

/// An observed connection the policies would deny.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeniedFlow {
    /// Source endpoint (a workload or the external class of its address).
    pub src: EndpointId,
    /// Destination endpoint.
    pub dst: EndpointId,
    /// What it used: a protocol and port, or ICMP.
    pub transport: Transport,
    /// Flows folded into it.
    pub count: usize,
    /// The first line that showed it.
    pub first_line: usize,
    /// The sides that deny it: `Egress` (the source's policies) and/or `Ingress` (the
    /// destination's).
    pub denied_by: Vec<Direction>,
    /// The policies isolating the denying sides (none of their rules allows the flow).
    pub policies: Vec<PolicyId>,
}

/// A pair of workloads the policies allow something between, with no traffic observed;
/// what they allow is [`FlowCheck::allowed_on`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnusedPath {
    /// Source workload.
    pub src: EndpointId,
    /// Destination workload.
    pub dst: EndpointId,
}

/// What [`check_flows`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowCheck {
    /// Observed (passed) connections the policies would deny, in the order of
    /// [`Mapped::passed`].
    pub denied: Vec<DeniedFlow>,
    /// Observed connections the policies allow.
    pub allowed: usize,
    /// Observed connections with an endpoint the model cannot place (a pod not in the
    /// input, a reserved identity, an unknown address): not judged.
    pub unjudged: usize,
    /// Pairs of distinct workloads the policies allow something between and no observed
    /// connection used, in matrix order.
    pub unused: Vec<UnusedPath>,
    /// The flows mapped onto the model.
    pub mapped: Mapped,
    /// The model's matrix (each distinct connection set stored once, which keeps the
    /// unused paths of a wide-open cluster small).
    pub matrix: Matrix,
}

impl FlowCheck {
    /// What the policies allow on an unused path.
    pub fn allowed_on(&self, path: &UnusedPath) -> Option<&ConnectionSet> {
        self.matrix.get(path.src, path.dst)
    }
}

/// The model endpoint standing for a flow peer: a workload, or the external class of an
/// address.
fn endpoint_of(model: &Model, peer: &FlowPeer) -> Option<EndpointId> {
    match peer {
        FlowPeer::Workload(id) => Some(*id),
        FlowPeer::External { address, .. } => model.lookup(address).ok(),
        _ => None,
    }
}

/// Checks the observed traffic against the model's policies.
pub fn check_flows(model: &Model, flows: &Flows) -> FlowCheck {
    let mapped = map_flows(model, flows);
    let mut denied = Vec::new();
    let mut allowed = 0;
    let mut unjudged = 0;
    let mut used: BTreeSet<(EndpointId, EndpointId)> = BTreeSet::new();
    for obs in &mapped.passed {
        let (Some(src), Some(dst)) = (endpoint_of(model, &obs.src), endpoint_of(model, &obs.dst))
        else {
            unjudged += 1;
            continue;
        };
        used.insert((src, dst));
        let verdict = match obs.transport {
            Transport::Port(protocol, port) => model.explain(src, dst, port, protocol).map(|e| {
                let mut sides = Vec::new();
                let mut policies = Vec::new();
                for side in [&e.egress, &e.ingress] {
                    if !side.allowed {
                        sides.push(side.direction);
                        policies.extend(side.policies.iter().copied());
                    }
                }
                (e.allowed, sides, policies)
            }),
            // Only rules without ports allow ICMP; see `icmp_verdict`.
            Transport::Icmp(..) => icmp_verdict(model, src, dst),
        };
        let Some((ok, denied_by, policies)) = verdict else {
            unjudged += 1;
            continue;
        };
        if ok {
            allowed += 1;
        } else {
            denied.push(DeniedFlow {
                src,
                dst,
                transport: obs.transport,
                count: obs.count,
                first_line: obs.first_line,
                denied_by,
                policies,
            });
        }
    }
    let m = matrix(model);
    let workloads = model.workload_count();
    let unused = m
        .allowed()
        .filter(|c| c.src != c.dst && c.src.index() < workloads && c.dst.index() < workloads)
        .filter(|c| !used.contains(&(c.src, c.dst)))
        .map(|c| UnusedPath {
            src: c.src,
            dst: c.dst,
        })
        .collect();
    FlowCheck {
        denied,
        allowed,
        unjudged,
        unused,
        mapped,
        matrix: m,
    }
}

/// ICMP between two endpoints. Only a rule without `ports` allows protocols other than
/// TCP, UDP and SCTP; such a rule allows every TCP port too, so it is among the rules that
/// explain any TCP port. A side allows ICMP iff it is not isolated or one of those rules
/// has no ports.
fn icmp_verdict(
    model: &Model,
    src: EndpointId,
    dst: EndpointId,
) -> Option<(bool, Vec<Direction>, Vec<PolicyId>)> {
    let e = model.explain(src, dst, 1, Protocol::Tcp)?;
    let mut sides = Vec::new();
    let mut policies = Vec::new();
    for side in [&e.egress, &e.ingress] {
        let portless = side.allowed_by.iter().any(|r| {
            model
                .policy(r.policy)
                .and_then(|p| p.rules(r.direction).get(r.index))
                .is_some_and(|rule| rule.ports.as_ref().is_none_or(Vec::is_empty))
        });
        if side.isolated && !portless {
            sides.push(side.direction);
            policies.extend(side.policies.iter().copied());
        }
    }
    Some((sides.is_empty(), sides, policies))
}
