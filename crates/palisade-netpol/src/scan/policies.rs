//! Rules about the policies themselves: default-deny coverage (PAL-NET-008/009), policies
//! selecting nothing (010), allow-all ingress (011), egress anywhere (012), and the model's
//! diagnostics (016 rejected, 017 warnings).

use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt, HashSet};
use palisade_core::{Emitter, Object, Severity};

use super::rules::*;
use super::{Objects, SYSTEM_NAMESPACES};
use crate::diag::Level;
use crate::ip::{Family, IpSet};
use crate::model::{Model, PolicyId};
use crate::policy::{namespace_of, Direction, NetworkPolicy, PeerKind, Rule as PolicyRule};

pub(super) fn check(model: &Model, all: &[Object], objects: &Objects, em: &mut Emitter) {
    let with_workloads = namespaces_with_workloads(model);
    default_deny(model, all, &with_workloads, em);
    selects_nothing(model, objects, &with_workloads, em);
    wide_rules(model, em);
    diagnostics(model, em);
}

/// The namespaces the model's workloads are in, sorted: gathered by hashing (thousands of
/// workloads, a few namespaces), then put in order.
fn namespaces_with_workloads(model: &Model) -> Vec<&str> {
    let set: HashSet<&str> = model.endpoints()[..model.workload_count()]
        .iter()
        .filter_map(|e| e.as_pods())
        .map(|p| p.namespace.as_str())
        .collect();
    let mut sorted: Vec<&str> = set.into_iter().collect();
    sorted.sort_unstable();
    sorted
}

/// A rule with no peers and no ports: it allows all traffic.
fn allows_all(rule: &PolicyRule) -> bool {
    rule.peers.is_none() && rule.ports.is_none()
}

/// Selects every pod of its namespace, isolates `direction`, and has no rule allowing all
/// (allowing some traffic is fine: the policy still denies the rest by default).
fn is_default_deny(policy: &NetworkPolicy, direction: Direction) -> bool {
    policy.pod_selector.is_empty()
        && policy.affects(direction)
        && !policy.rules(direction).iter().any(allows_all)
}

fn default_deny(model: &Model, all: &[Object], with_workloads: &[&str], em: &mut Emitter) {
    let rules = [
        (Direction::Ingress, &NO_DEFAULT_DENY_INGRESS),
        (Direction::Egress, &NO_DEFAULT_DENY_EGRESS),
    ];
    if !rules.iter().any(|(_, r)| em.enabled(r)) {
        return;
    }
    // Namespaces with a policy object in the input (PAL-NET-005 counts the same kinds);
    // the first one, to report on when the Namespace object is not in the input.
    let mut with_policy: BTreeMap<String, &Object> = BTreeMap::new();
    let mut namespace_objects: BTreeMap<&str, &Object> = BTreeMap::new();
    for o in all {
        if o.is("NetworkPolicy") || o.is("CiliumNetworkPolicy") {
            with_policy.entry(namespace_of(o)).or_insert(o);
        } else if o.is("Namespace") && o.id.api_version == "v1" {
            namespace_objects.insert(o.id.name.as_str(), o);
        }
    }
    // Per namespace, whether some policy denies each direction by default: one pass over
    // the policies, not one per namespace.
    let mut denied: HashMap<&str, [bool; 2]> = HashMap::new();
    for p in model.policies() {
        let d = denied.entry(p.namespace.as_str()).or_default();
        d[0] |= is_default_deny(p, Direction::Ingress);
        d[1] |= is_default_deny(p, Direction::Egress);
    }
    for &ns in with_workloads {
        if SYSTEM_NAMESPACES.contains(&ns) {
            continue;
        }
        let Some(first_policy) = with_policy.get(ns) else {
            continue; // PAL-NET-005's case
        };
        let target = namespace_objects.get(ns).copied().unwrap_or(first_policy);
        for (at, (direction, rule)) in rules.into_iter().enumerate() {
            let covered = denied
                .get(ns)
                .and_then(|d| d.get(at))
                .copied()
                .unwrap_or(false);
            if covered {
                continue;
            }
            let what = direction.as_str().to_lowercase();
            let effect = match direction {
                Direction::Ingress => "accept traffic from every pod in the cluster",
                Direction::Egress => "may connect to any address, in the cluster or outside",
            };
            em.emit_at(
                rule,
                &target.id,
                target.location(),
                None,
                format!(
                    "namespace `{ns}` has NetworkPolicies but none denies all {what} by \
                     default (podSelector: {{}}, policyType {}, no allow-all rule): pods \
                     no {what} policy selects {effect}",
                    direction.as_str()
                ),
            );
        }
    }
}

fn selects_nothing(model: &Model, objects: &Objects, with_workloads: &[&str], em: &mut Emitter) {
    if !em.enabled(&SELECTS_NOTHING) {
        return;
    }
    for (i, policy) in model.policies().iter().enumerate() {
        if with_workloads
            .binary_search(&policy.namespace.as_str())
            .is_err()
            || !model.selected_by(PolicyId(i as u32)).is_empty()
        {
            continue;
        }
        let (location, field) = objects
            .get(&policy.object)
            .and_then(|o| {
                let entry = o.root.get("spec")?.entry("podSelector")?;
                Some((
                    o.location_of(entry.key.pos),
                    Some(Arc::from("spec.podSelector")),
                ))
            })
            .unwrap_or_else(|| (policy.location.clone(), None));
        em.emit_at(
            &SELECTS_NOTHING,
            &policy.object,
            location,
            field,
            format!(
                "NetworkPolicy `{}` selects no workload of namespace `{}` in the input: it \
                 isolates and allows nothing there",
                policy.full_name(),
                policy.namespace
            ),
        );
    }
}

/// Number of addresses of one family in a set, saturating.
fn size(set: &IpSet, family: Family) -> u128 {
    set.intervals(family).iter().fold(0u128, |acc, (s, e)| {
        acc.saturating_add(e - s).saturating_add(1)
    })
}

/// At least half of an address family: the Internet, whatever small parts are excepted.
fn is_wide(set: &IpSet) -> Option<Family> {
    if size(set, Family::V4) >= 1u128 << 31 {
        Some(Family::V4)
    } else if size(set, Family::V6) >= 1u128 << 127 {
        Some(Family::V6)
    } else {
        None
    }
}

fn wide_rules(model: &Model, em: &mut Emitter) {
    for policy in model.policies() {
        for direction in [Direction::Ingress, Direction::Egress] {
            let rule_meta = match direction {
                Direction::Ingress => &ALLOWS_ALL_INGRESS,
                Direction::Egress => &EGRESS_ANYWHERE,
            };
            if !policy.affects(direction) || !em.enabled(rule_meta) {
                continue;
            }
            let list = direction.as_str().to_lowercase();
            let (peer_word, prep) = match direction {
                Direction::Ingress => ("from", "from"),
                Direction::Egress => ("to", "to"),
            };
            for (ri, rule) in policy.rules(direction).iter().enumerate() {
                let ports = if rule.ports.is_some() {
                    "on the listed ports"
                } else {
                    "on every port and protocol"
                };
                let severity = if rule.ports.is_some() {
                    Severity::Low
                } else {
                    rule_meta.severity
                };
                let mut hits: Vec<(palisade_core::Location, String)> = Vec::new();
                match &rule.peers {
                    None => hits.push((
                        rule.location.clone(),
                        format!(
                            "`{list}[{ri}]` has no `{peer_word}` peers: it allows traffic \
                             {prep} every pod and every address, {ports}"
                        ),
                    )),
                    Some(peers) => {
                        for (pi, peer) in peers.iter().enumerate() {
                            match &peer.kind {
                                PeerKind::Selectors {
                                    pods,
                                    namespaces: Some(ns),
                                } if direction == Direction::Ingress
                                    && ns.is_empty()
                                    && pods.as_ref().is_none_or(|p| p.is_empty()) =>
                                {
                                    hits.push((
                                        peer.location.clone(),
                                        format!(
                                            "`{list}[{ri}].{peer_word}[{pi}]` selects every \
                                             pod of every namespace, {ports}"
                                        ),
                                    ));
                                }
                                PeerKind::IpBlock {
                                    cidr, addresses, ..
                                } => {
                                    if let Some(f) = is_wide(addresses) {
                                        let half = match f {
                                            Family::V4 => "IPv4",
                                            Family::V6 => "IPv6",
                                        };
                                        hits.push((
                                            peer.location.clone(),
                                            format!(
                                                "`{list}[{ri}].{peer_word}[{pi}]` ipBlock \
                                                 `{cidr}` covers at least half of the {half} \
                                                 addresses (the Internet), {ports}"
                                            ),
                                        ));
                                    }
                                }
                                PeerKind::Selectors { .. } => {}
                            }
                        }
                    }
                }
                for (location, detail) in hits {
                    em.emit_graded_at(
                        rule_meta,
                        severity,
                        &policy.object,
                        location,
                        format!("NetworkPolicy `{}`: {detail}", policy.full_name()),
                    );
                }
            }
        }
    }
}

fn diagnostics(model: &Model, em: &mut Emitter) {
    for d in model.diagnostics() {
        let rule = match d.level {
            Level::Rejected => &POLICY_REJECTED,
            Level::Warning => &POLICY_PART_INERT,
        };
        em.emit_at(
            rule,
            &d.object,
            d.location.clone(),
            Some(Arc::from(d.field.as_str())),
            d.message.clone(),
        );
    }
}
