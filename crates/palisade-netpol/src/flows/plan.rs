//! What each workload was seen doing, per direction: the peers it exchanged traffic with
//! and, per peer, the protocols and ports (and L7 requests) observed. Both output formats
//! are rendered from this plan.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::conn::Protocol;
use crate::ip::Family;
use crate::model::{EndpointId, Model};
use crate::policy::Direction;

use super::mapping::{FlowPeer, Mapped, Observed, Transport};
use super::GenerateOptions;

/// A peer as a policy can name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PeerKey {
    /// Pods with these labels in this namespace.
    Pods {
        namespace: String,
        labels: BTreeMap<String, String>,
    },
    /// An address block (`a.b.c.d/32` or aggregated).
    Cidr(String),
    /// A Cilium entity (`host`, `remote-node`, `kube-apiserver`, ...); NetworkPolicy has
    /// no way to name it.
    Entity(String),
}

/// What was seen on one port toward or from one peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PortUse {
    /// HTTP requests (method, path).
    pub http: BTreeSet<(String, String)>,
    /// DNS names queried.
    pub dns: BTreeSet<String>,
}

/// Everything one workload did in one direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SidePlan {
    /// Peer → (protocol, port) → L7 detail.
    pub peers: BTreeMap<PeerKey, BTreeMap<(Protocol, u16), PortUse>>,
    /// ICMP seen per peer: (family, type).
    pub icmp: BTreeMap<PeerKey, BTreeSet<(Family, u32)>>,
}

/// The plan: per workload and direction.
pub(crate) type Plan = BTreeMap<(EndpointId, Direction), SidePlan>;

/// `a.b.c.d/p` of the network of `value` with that prefix.
pub(crate) fn cidr(family: Family, value: u128, prefix: u8) -> String {
    match family {
        Family::V4 => {
            let p = u32::from(prefix.min(32));
            let v = u32::try_from(value).unwrap_or(0);
            let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
            format!("{}/{p}", Ipv4Addr::from(v & mask))
        }
        Family::V6 => {
            let p = u32::from(prefix.min(128));
            let mask = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            format!("{}/{p}", Ipv6Addr::from(value & mask))
        }
    }
}

fn peer_key(
    model: &Model,
    peer: &FlowPeer,
    options: &GenerateOptions,
    notes: &mut BTreeSet<String>,
) -> Option<PeerKey> {
    match peer {
        FlowPeer::Workload(id) => {
            let pods = model.endpoint(*id)?.as_pods()?;
            if pods.labels.is_empty() {
                notes.insert(format!(
                    "{}/{} has no pod labels, so no selector can name it as a peer; its \
                     traffic is left out",
                    pods.namespace,
                    pods.name()
                ));
                return None;
            }
            Some(PeerKey::Pods {
                namespace: pods.namespace.to_string(),
                labels: pods.labels.to_btree_map(),
            })
        }
        FlowPeer::Pod {
            namespace,
            labels,
            name,
        } => {
            if labels.is_empty() {
                notes.insert(format!(
                    "{namespace}/{name} (not in the input) carries no labels a selector could \
                     use; its traffic is left out"
                ));
                return None;
            }
            Some(PeerKey::Pods {
                namespace: namespace.clone(),
                labels: labels.clone(),
            })
        }
        FlowPeer::External { family, value, .. } => {
            let prefix = match family {
                Family::V4 => options.ipv4_prefix,
                Family::V6 => options.ipv6_prefix,
            };
            Some(PeerKey::Cidr(cidr(*family, *value, prefix)))
        }
        FlowPeer::Reserved(r) => Some(PeerKey::Entity(r.clone())),
        FlowPeer::Unknown => None,
    }
}

fn record(
    plan: &mut Plan,
    subject: EndpointId,
    direction: Direction,
    peer: PeerKey,
    obs: &Observed,
) {
    let side = plan.entry((subject, direction)).or_default();
    match obs.transport {
        Transport::Port(protocol, port) => {
            let used = side
                .peers
                .entry(peer)
                .or_default()
                .entry((protocol, port))
                .or_default();
            used.http.extend(obs.http.iter().cloned());
            used.dns.extend(obs.dns.iter().cloned());
        }
        Transport::Icmp(family, icmp_type) => {
            side.icmp
                .entry(peer)
                .or_default()
                .insert((family, icmp_type));
        }
    }
}

/// Builds the plan from the connections that passed; `notes` collects what cannot be
/// expressed.
pub(crate) fn build(
    model: &Model,
    mapped: &Mapped,
    options: &GenerateOptions,
    notes: &mut BTreeSet<String>,
) -> Plan {
    let mut plan = Plan::new();
    for obs in &mapped.passed {
        if let (FlowPeer::Workload(dst), true) = (&obs.dst, options.ingress) {
            if let Some(peer) = peer_key(model, &obs.src, options, notes) {
                record(&mut plan, *dst, Direction::Ingress, peer, obs);
            }
        }
        if let (FlowPeer::Workload(src), true) = (&obs.src, options.egress) {
            if let Some(peer) = peer_key(model, &obs.dst, options, notes) {
                record(&mut plan, *src, Direction::Egress, peer, obs);
            }
        }
        if matches!(obs.src, FlowPeer::Unknown) || matches!(obs.dst, FlowPeer::Unknown) {
            notes.insert(format!(
                "line {}: an endpoint of this flow could not be identified; left out",
                obs.first_line
            ));
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_keep_the_network_of_the_prefix() {
        assert_eq!(cidr(Family::V4, 0xC633_6414, 32), "198.51.100.20/32");
        assert_eq!(cidr(Family::V4, 0xC633_6414, 24), "198.51.100.0/24");
        assert_eq!(cidr(Family::V4, 0xC633_6414, 0), "0.0.0.0/0");
        let v6 = u128::from(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10));
        assert_eq!(cidr(Family::V6, v6, 128), "2001:db8::10/128");
        assert_eq!(cidr(Family::V6, v6, 64), "2001:db8::/64");
    }
}
