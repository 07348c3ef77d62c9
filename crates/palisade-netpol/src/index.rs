//! The compiled form of the policies: which pods each policy selects, and which endpoints
//! each rule's peers match, as bit sets. Built once per model, shared by the matrix (per
//! pair of endpoints) and by explain.

use palisade_core::selector::LabelSelector;
use rayon::prelude::*;

use crate::bitset::BitSet;
use crate::endpoints::{Namespace, Pods};
use crate::ip::IpSet;
use crate::pod_index::PodIndex;
use crate::policy::{Direction, NetworkPolicy, PeerKind, Rule};

/// The endpoints one rule's peers match.
#[derive(Debug, Clone)]
pub(crate) struct RulePeers {
    /// Pods (by endpoint index).
    pub pods: BitSet,
    /// External address classes (by class index).
    pub external: BitSet,
}

/// One policy, compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy {
    /// Pods of the policy's namespace its podSelector picks.
    pub selected: BitSet,
    /// Peers of each rule, per direction (`[ingress, egress]`).
    pub peers: [Vec<RulePeers>; 2],
}

/// Everything the evaluators need, by index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    pub policies: Vec<CompiledPolicy>,
    /// Per pod, per direction (`[ingress, egress]`): the policies that select it and
    /// isolate it in that direction, ascending.
    pub isolating: Vec<[Vec<u32>; 2]>,
}

pub(crate) fn slot(direction: Direction) -> usize {
    match direction {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

fn matches(sel: &LabelSelector, labels: &crate::LabelMap) -> bool {
    sel.matches(|k| labels.get(k))
}

struct Lookup<'a> {
    pods: &'a [Pods],
    namespaces: &'a [Namespace],
    by_label: PodIndex<'a>,
    classes: &'a [IpSet],
}

impl Lookup<'_> {
    /// Pods of `ns` that `sel` picks (none: every pod of `ns`), each passed to `found`.
    fn select(&self, ns: &str, sel: Option<&LabelSelector>, mut found: impl FnMut(usize)) {
        match sel {
            None => self
                .by_label
                .in_namespace(ns)
                .iter()
                .for_each(|&i| found(i)),
            Some(sel) => {
                for i in self.by_label.candidates(ns, sel) {
                    if matches(sel, &self.pods[i].labels) {
                        found(i);
                    }
                }
            }
        }
    }

    fn rule_peers(&self, policy: &NetworkPolicy, rule: &Rule) -> RulePeers {
        let Some(peers) = &rule.peers else {
            // Missing or empty `from`/`to`: every source or destination, addresses included.
            return RulePeers {
                pods: BitSet::full(self.pods.len()),
                external: BitSet::full(self.classes.len()),
            };
        };
        let mut out = RulePeers {
            pods: BitSet::new(self.pods.len()),
            external: BitSet::new(self.classes.len()),
        };
        for peer in peers {
            match &peer.kind {
                PeerKind::Selectors { pods, namespaces } => {
                    // Mirrors np-guard's `ruleSelectsPeer`: no namespaceSelector means the
                    // policy's namespace; no podSelector means every pod of those namespaces.
                    let mut visit =
                        |ns: &str| self.select(ns, pods.as_ref(), |i| out.pods.insert(i));
                    match namespaces {
                        None => visit(&policy.namespace),
                        Some(sel) => {
                            for ns in self.namespaces.iter().filter(|n| matches(sel, &n.labels)) {
                                visit(&ns.name);
                            }
                        }
                    }
                }
                PeerKind::IpBlock { addresses, .. } => {
                    // Classes are atoms of every block: each lies wholly inside or outside.
                    for (c, class) in self.classes.iter().enumerate() {
                        if class.is_subset(addresses) {
                            out.external.insert(c);
                        }
                    }
                }
            }
        }
        out
    }

    fn compile(&self, policy: &NetworkPolicy) -> CompiledPolicy {
        let mut selected = BitSet::new(self.pods.len());
        self.select(&policy.namespace, Some(&policy.pod_selector), |i| {
            selected.insert(i)
        });
        let peers = [Direction::Ingress, Direction::Egress].map(|d| {
            policy
                .rules(d)
                .iter()
                .map(|r| self.rule_peers(policy, r))
                .collect()
        });
        CompiledPolicy { selected, peers }
    }
}

/// Compiles the policies against the endpoints and address classes.
pub(crate) fn build(
    policies: &[NetworkPolicy],
    pods: &[Pods],
    namespaces: &[Namespace],
    classes: &[IpSet],
) -> Index {
    let lookup = Lookup {
        pods,
        namespaces,
        by_label: PodIndex::new(pods.iter().enumerate()),
        classes,
    };
    let compiled: Vec<CompiledPolicy> = policies.par_iter().map(|p| lookup.compile(p)).collect();
    let mut isolating = vec![[Vec::new(), Vec::new()]; pods.len()];
    for (pi, (policy, c)) in policies.iter().zip(&compiled).enumerate() {
        for i in c.selected.iter() {
            for d in [Direction::Ingress, Direction::Egress] {
                if policy.affects(d) {
                    isolating[i][slot(d)].push(pi as u32);
                }
            }
        }
    }
    Index {
        policies: compiled,
        isolating,
    }
}
