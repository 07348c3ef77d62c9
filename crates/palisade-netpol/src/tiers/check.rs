//! Warnings about Calico and admin rules that name ports no destination pod defines: such a
//! port entry matches nothing (as with NetworkPolicy named ports).

use std::sync::Arc;

use crate::admin::AdminPort;
use crate::bitset::BitSet;
use crate::calico::{CalicoPort, ProtocolMatch};
use crate::conn::Protocol;
use crate::diag::{Diagnostic, DiagnosticKind, Level};
use crate::index::slot;
use crate::model::Model;
use crate::policy::Direction;

/// Does some pod of `dests` define `name` (with `protocol`, when given)?
fn defined(model: &Model, dests: &BitSet, name: &str, protocol: Option<Protocol>) -> bool {
    dests.iter().any(|i| {
        model
            .pods(i)
            .and_then(|p| p.named_port(name))
            .is_some_and(|(proto, _)| protocol.is_none_or(|want| want == proto))
    })
}

fn warning(
    object: &Arc<palisade_core::ObjectRef>,
    location: &palisade_core::Location,
    field: String,
    name: &str,
    count: usize,
) -> Diagnostic {
    Diagnostic {
        level: Level::Warning,
        kind: DiagnosticKind::UnmatchedNamedPort,
        object: Arc::clone(object),
        location: location.clone(),
        field,
        message: format!(
            "named port `{name}` is defined by no container of the {count} pod(s) this rule \
             reaches; it matches nothing"
        ),
    }
}

/// The warnings, for rules that reach at least one pod.
pub(crate) fn named_ports(model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let t = &model.tier_index;
    for direction in [Direction::Ingress, Direction::Egress] {
        let d = slot(direction);
        let key = direction.as_str().to_lowercase();
        for (pi, policy) in model.calico_policies().iter().enumerate() {
            let compiled = &t.calico[pi];
            for (ri, rule) in policy.rules(direction).iter().enumerate() {
                let c = &compiled.rules[d][ri];
                let dests = match direction {
                    Direction::Ingress => intersect(&compiled.selected, &c.subject),
                    Direction::Egress => c.peers.pods.clone(),
                };
                let count = dests.iter().count();
                let protocol = match &rule.protocol {
                    Some(ProtocolMatch::Known(p)) => Some(*p),
                    _ => None,
                };
                let d = &rule.destination;
                for (list, what) in [(&d.ports, "ports"), (&d.not_ports, "notPorts")] {
                    for (j, port) in list.iter().enumerate() {
                        if let CalicoPort::Named(name) = port {
                            if count > 0 && !defined(model, &dests, name, protocol) {
                                let field = format!("spec.{key}[{ri}].destination.{what}[{j}]");
                                out.push(warning(
                                    &policy.object,
                                    &rule.location,
                                    field,
                                    name,
                                    count,
                                ));
                            }
                        }
                    }
                }
            }
        }
        for (pi, policy) in model.admin_policies().iter().enumerate() {
            let compiled = &t.admin[pi];
            for (ri, rule) in policy.rules(direction).iter().enumerate() {
                let dests = match direction {
                    Direction::Ingress => compiled.selected.clone(),
                    Direction::Egress => compiled.rules[d][ri].pods.clone(),
                };
                let count = dests.iter().count();
                for (j, port) in rule.ports.iter().flatten().enumerate() {
                    if let AdminPort::Named(name) = port {
                        if count > 0 && !defined(model, &dests, name, None) {
                            let field = format!("spec.{key}[{ri}].ports[{j}].namedPort");
                            out.push(warning(&policy.object, &rule.location, field, name, count));
                        }
                    }
                }
            }
        }
    }
    out
}

fn intersect(a: &BitSet, b: &BitSet) -> BitSet {
    let mut out = a.clone();
    for i in a.iter() {
        if !b.contains(i) {
            out.remove(i);
        }
    }
    out
}
