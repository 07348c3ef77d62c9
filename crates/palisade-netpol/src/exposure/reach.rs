//! Who can reach one destination: every source (workload or external address class) whose
//! connection to it allows a given port, or anything at all.
//!
//! Equal to filtering a column of the [`crate::matrix()`], without computing the matrix: the
//! destination's ingress rules are turned into the set of sources they admit (their peers'
//! bit sets), and only sources whose own egress is isolated are then checked pair by pair
//! with [`Model::connections`]. A scan asks this for the few workloads with sensitive ports
//! or data classes, so the cost stays linear in the input.

use crate::conn::Protocol;
use crate::eval::rule_conns;
use crate::index::slot;
use crate::model::{EndpointId, Model};
use crate::policy::Direction;

/// What the connection must allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// This protocol and port.
    Port(Protocol, u16),
    /// Anything (any protocol, any port).
    Any,
}

impl Want {
    fn met_by(self, conns: &crate::ConnectionSet) -> bool {
        match self {
            Want::Port(proto, port) => conns.contains(proto, port),
            Want::Any => !conns.is_empty(),
        }
    }
}

/// The endpoints (workloads first, then external classes, in endpoint order) from which
/// `dst` can be reached as `want` says; empty when `dst` is not a workload. A workload
/// reaching itself (its replicas) is included when allowed.
pub fn reachers(model: &Model, dst: EndpointId, want: Want) -> Vec<EndpointId> {
    let d = dst.index();
    let Some(dst_pods) = model.pods(d) else {
        return Vec::new();
    };
    let n = model.endpoints().len();
    let pods = model.workload_count();
    let isolating = &model.index.isolating[d][slot(Direction::Ingress)];
    // Sources the destination's ingress admits as `want` says (all of them when no policy
    // isolates its ingress).
    let mut admitted = vec![isolating.is_empty(); n];
    for &p in isolating {
        let compiled = &model.index.policies[p as usize];
        let policy = &model.policies()[p as usize];
        for (ri, rule) in policy.ingress.iter().enumerate() {
            if !want.met_by(&rule_conns(rule, Some(dst_pods))) {
                continue;
            }
            let peers = &compiled.peers[slot(Direction::Ingress)][ri];
            for i in peers.pods.iter() {
                admitted[i] = true;
            }
            for c in peers.external.iter() {
                if let Some(slot) = admitted.get_mut(pods + c) {
                    *slot = true;
                }
            }
        }
    }
    (0..n)
        .filter(|&s| admitted[s])
        .filter(|&s| {
            // External addresses have no egress policy, nor do sources no policy isolates
            // for egress: the ingress side decided. The others need the exact pair (an
            // egress rule may allow a different port than the ingress rule).
            let egress_isolated =
                s < pods && !model.index.isolating[s][slot(Direction::Egress)].is_empty();
            !egress_isolated
                || model
                    .connections(EndpointId(s as u32), dst)
                    .is_some_and(|c| want.met_by(&c))
        })
        .map(|s| EndpointId(s as u32))
        .collect()
}
