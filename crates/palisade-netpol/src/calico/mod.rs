//! Calico `projectcalico.org/v3` NetworkPolicy, GlobalNetworkPolicy and Tier, in typed
//! form. Parsing ([`parse_policy`], [`parse_tier`]) checks what Calico's validator
//! (`libcalico-go/lib/validator/v3`) would refuse (selectors, actions, ports, protocols,
//! nets) and leaves such a policy out, with a diagnostic per problem.

use std::sync::Arc;

use palisade_core::{Location, ObjectRef};

use crate::conn::{ConnectionSet, PortSet, Protocol};
use crate::endpoints::Pods;
use crate::eval::Action;
use crate::ip::{Family, IpSet};
use crate::policy::Direction;

mod parse;
pub mod selector;

pub use parse::{parse_policy, parse_tier};
pub use selector::Selector;

/// The name of the tier every policy without `tier` is in (and Kubernetes NetworkPolicies).
pub const DEFAULT_TIER: &str = "default";

/// The default tier's `order` (Calico's `DefaultTierOrder`, 1,000,000: after the tiers a
/// user typically orders before it).
pub const DEFAULT_TIER_ORDER: f64 = 1_000_000.0;

/// Calico's order for the Kubernetes NetworkPolicies it converts
/// (`K8sNetworkPolicyToCalico`: `knp.default.<name>` in the default tier, order 1000).
pub const K8S_POLICY_ORDER: f64 = 1000.0;

/// Which Calico kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CalicoKind {
    /// Namespaced `NetworkPolicy`.
    NetworkPolicy,
    /// Cluster-wide `GlobalNetworkPolicy`.
    GlobalNetworkPolicy,
}

/// A Calico policy as admitted.
#[derive(Debug, Clone)]
pub struct CalicoPolicy {
    /// The object.
    pub object: Arc<ObjectRef>,
    /// Kind.
    pub kind: CalicoKind,
    /// Namespace for `NetworkPolicy`; `None` for global ones.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Where it starts.
    pub location: Location,
    /// `spec.tier` (`default` when missing).
    pub tier: String,
    /// Where `spec.tier` is (the policy's start when missing).
    pub tier_location: Location,
    /// `spec.order`; `None` (missing) sorts after every ordered policy of the tier.
    pub order: Option<f64>,
    /// `spec.selector` (missing: `all()`); for `NetworkPolicy` within its namespace only.
    pub selector: Selector,
    /// `spec.namespaceSelector` (GlobalNetworkPolicy): the selected endpoints' namespaces.
    pub namespace_selector: Option<Selector>,
    /// `spec.serviceAccountSelector`: the selected endpoints' service accounts.
    pub service_account_selector: Option<Selector>,
    /// Does the policy apply to ingress (`spec.types`, defaulted)?
    pub affects_ingress: bool,
    /// To egress?
    pub affects_egress: bool,
    /// `spec.ingress`.
    pub ingress: Vec<CalicoRule>,
    /// `spec.egress`.
    pub egress: Vec<CalicoRule>,
}

impl CalicoPolicy {
    /// `namespace/name` or `name`.
    pub fn full_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The rules of one direction.
    pub fn rules(&self, direction: Direction) -> &[CalicoRule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// Does it apply in this direction?
    pub fn affects(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.affects_ingress,
            Direction::Egress => self.affects_egress,
        }
    }
}

/// A protocol a Calico rule names: one of the three the matrix tracks port by port, or any
/// other (ICMP, a number, ...), which the matrix folds into its single "other protocols"
/// flag (naming one of them is read as naming all of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolMatch {
    /// TCP, UDP or SCTP (also by number: 6, 17, 132).
    Known(Protocol),
    /// Anything else, as written.
    Other(String),
}

impl ProtocolMatch {
    fn set(&self) -> ConnectionSet {
        match self {
            ProtocolMatch::Known(p) => ConnectionSet::of(*p, PortSet::all()),
            ProtocolMatch::Other(_) => ConnectionSet::all().difference(&tcp_udp_sctp()),
        }
    }
}

fn tcp_udp_sctp() -> ConnectionSet {
    let mut set = ConnectionSet::none();
    for p in Protocol::ALL {
        set.add(p, &PortSet::all());
    }
    set
}

/// One entry of `ports`/`notPorts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalicoPort {
    /// A number (`80`) or range (`"1000:2000"`), inclusive.
    Range(u16, u16),
    /// A named port, resolved against the destination pod's container ports with the
    /// rule's protocol.
    Named(String),
}

/// `serviceAccounts` of an entity rule.
#[derive(Debug, Clone, Default)]
pub struct ServiceAccountMatch {
    /// `names` (empty: any name).
    pub names: Vec<String>,
    /// `selector` over the service account's labels.
    pub selector: Option<Selector>,
}

/// `source` or `destination` of a rule.
#[derive(Debug, Clone, Default)]
pub struct EntityRule {
    /// `selector`.
    pub selector: Option<Selector>,
    /// `notSelector`.
    pub not_selector: Option<Selector>,
    /// `namespaceSelector`.
    pub namespace_selector: Option<Selector>,
    /// `serviceAccounts`.
    pub service_accounts: Option<ServiceAccountMatch>,
    /// `nets` (union); `None` when missing or empty.
    pub nets: Option<IpSet>,
    /// `notNets` (union).
    pub not_nets: Option<IpSet>,
    /// `ports`.
    pub ports: Vec<CalicoPort>,
    /// `notPorts`.
    pub not_ports: Vec<CalicoPort>,
}

impl EntityRule {
    /// Uses any endpoint selector field (which makes a namespaced policy's rule local to
    /// its namespace, per Calico's `getEndpointSelector`).
    pub fn has_selector(&self) -> bool {
        self.selector.is_some()
            || self.not_selector.is_some()
            || self.namespace_selector.is_some()
            || self.service_accounts.is_some()
    }
}

/// One Calico rule.
#[derive(Debug, Clone)]
pub struct CalicoRule {
    /// Where it starts.
    pub location: Location,
    /// `action`.
    pub action: Action,
    /// `protocol`.
    pub protocol: Option<ProtocolMatch>,
    /// `notProtocol`.
    pub not_protocol: Option<ProtocolMatch>,
    /// `ipVersion` (4 or 6): only addresses of that family match.
    pub ip_version: Option<Family>,
    /// `source`.
    pub source: EntityRule,
    /// `destination`.
    pub destination: EntityRule,
    /// True when the rule uses a match this model does not represent (`source.ports`,
    /// `http`): it is treated as matching nothing (see the diagnostics).
    pub unmodelled: bool,
}

impl CalicoRule {
    /// What the rule matches toward the destination `dst` (`None`: an external address,
    /// where named ports resolve to nothing). Felix's rule matching: protocol and not
    /// protocol, then destination ports and not ports (resolved per protocol).
    pub fn conns(&self, dst: Option<&Pods>) -> ConnectionSet {
        if self.unmodelled {
            return ConnectionSet::none();
        }
        let mut set = self
            .protocol
            .as_ref()
            .map_or_else(ConnectionSet::all, ProtocolMatch::set);
        if let Some(np) = &self.not_protocol {
            set = set.difference(&np.set());
        }
        let ports = |list: &[CalicoPort]| {
            let mut out = ConnectionSet::none();
            for p in Protocol::ALL {
                for entry in list {
                    match entry {
                        CalicoPort::Range(a, b) => out.add(p, &PortSet::range(*a, *b)),
                        CalicoPort::Named(name) => {
                            if let Some((proto, n)) = dst.and_then(|d| d.named_port(name)) {
                                if proto == p {
                                    out.add(p, &PortSet::single(n));
                                }
                            }
                        }
                    }
                }
            }
            out
        };
        let d = &self.destination;
        if !d.ports.is_empty() {
            set = set.intersection(&ports(&d.ports));
        }
        if !d.not_ports.is_empty() {
            set = set.difference(&ports(&d.not_ports));
        }
        set
    }
}

/// A tier: `projectcalico.org/v3` `Tier`, or one a policy names that the input does not
/// define, or the default tier.
#[derive(Debug, Clone)]
pub struct Tier {
    /// Name.
    pub name: String,
    /// `spec.order` (`None` sorts after every ordered tier).
    pub order: Option<f64>,
    /// `spec.defaultAction`: what happens to traffic of an endpoint some policy of the
    /// tier selects when no rule of the tier decided it (`Deny`, the default, or `Pass`).
    pub default_action: Action,
    /// Where the Tier object is (`None` for the implicit default tier and assumed tiers).
    pub location: Option<Location>,
}

/// Sorts by order (missing last), then by name, as Felix orders tiers and policies.
pub(crate) fn order_key(order: Option<f64>) -> (bool, f64) {
    (order.is_none(), order.unwrap_or(0.0))
}

/// `true` when `a` sorts before `b` by (order, name).
pub(crate) fn cmp_order(a: (Option<f64>, &str), b: (Option<f64>, &str)) -> std::cmp::Ordering {
    let (ka, kb) = (order_key(a.0), order_key(b.0));
    ka.0.cmp(&kb.0)
        .then(ka.1.total_cmp(&kb.1))
        .then_with(|| a.1.cmp(b.1))
}
