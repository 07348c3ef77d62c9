//! AdminNetworkPolicy and BaselineAdminNetworkPolicy (`policy.networking.k8s.io/v1alpha1`,
//! kubernetes-sigs/network-policy-api: `AdminNetworkPolicySpec`,
//! `BaselineAdminNetworkPolicySpec`, `AdminNetworkPolicySubject`,
//! `AdminNetworkPolicyIngressPeer`/`EgressPeer`, `AdminNetworkPolicyPort`), in typed form.
//! [`parse`] checks what the CRD's schema and CEL rules check and leaves a refused object
//! out with a diagnostic per problem.

use std::sync::Arc;

use palisade_core::selector::LabelSelector;
use palisade_core::{Location, ObjectRef};

use crate::conn::{ConnectionSet, PortSet, Protocol};
use crate::endpoints::Pods;
use crate::eval::Action;
use crate::ip::IpSet;
use crate::policy::Direction;

mod parse;

pub use parse::{parse, same_priority_warnings};

/// The lowest and highest ANP priority the CRD admits (`Minimum=0`, `Maximum=1000`).
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i64> = 0..=1000;

/// Admin or baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdminKind {
    /// `AdminNetworkPolicy`: evaluated before every other policy, by priority.
    Admin,
    /// `BaselineAdminNetworkPolicy` (the single object named `default`): evaluated after
    /// every other policy, for traffic nothing else decided.
    Baseline,
}

/// Which pods a policy applies to.
#[derive(Debug, Clone)]
pub enum Subject {
    /// `subject.namespaces`: every pod of the matching namespaces.
    Namespaces(LabelSelector),
    /// `subject.pods`: matching pods of matching namespaces.
    Pods {
        /// `namespaceSelector`.
        namespaces: LabelSelector,
        /// `podSelector`.
        pods: LabelSelector,
    },
}

/// One peer of a rule.
#[derive(Debug, Clone)]
pub enum AdminPeer {
    /// `namespaces`: every pod of the matching namespaces.
    Namespaces(LabelSelector),
    /// `pods`: matching pods of matching namespaces.
    Pods {
        /// `namespaceSelector`.
        namespaces: LabelSelector,
        /// `podSelector`.
        pods: LabelSelector,
    },
    /// `networks` (egress): addresses outside the cluster (pods are never matched by
    /// addresses in this model; see the crate docs).
    Networks(IpSet),
    /// `nodes` (egress): nodes are not modelled, so this peer matches nothing.
    Nodes,
}

/// One `ports` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminPort {
    /// `portNumber`.
    Number(Protocol, u16),
    /// `namedPort`: the destination pod's container port of that name (its protocol).
    Named(String),
    /// `portRange` (inclusive).
    Range(Protocol, u16, u16),
}

/// One ingress or egress rule.
#[derive(Debug, Clone)]
pub struct AdminRule {
    /// Where it starts.
    pub location: Location,
    /// `name`.
    pub name: Option<String>,
    /// `action`.
    pub action: Action,
    /// `from`/`to`.
    pub peers: Vec<AdminPeer>,
    /// `ports`; `None`: every port of every protocol.
    pub ports: Option<Vec<AdminPort>>,
}

impl AdminRule {
    /// What the rule matches toward `dst` (`None`: an external address).
    pub fn conns(&self, dst: Option<&Pods>) -> ConnectionSet {
        let Some(ports) = &self.ports else {
            return ConnectionSet::all();
        };
        let mut out = ConnectionSet::none();
        for p in ports {
            match p {
                AdminPort::Number(proto, n) => out.add(*proto, &PortSet::single(*n)),
                AdminPort::Range(proto, a, b) => out.add(*proto, &PortSet::range(*a, *b)),
                AdminPort::Named(name) => {
                    if let Some((proto, n)) = dst.and_then(|d| d.named_port(name)) {
                        out.add(proto, &PortSet::single(n));
                    }
                }
            }
        }
        out
    }
}

/// An admitted AdminNetworkPolicy or BaselineAdminNetworkPolicy.
#[derive(Debug, Clone)]
pub struct AdminPolicy {
    /// The object.
    pub object: Arc<ObjectRef>,
    /// Admin or baseline.
    pub kind: AdminKind,
    /// Name.
    pub name: String,
    /// Where it starts.
    pub location: Location,
    /// `spec.priority` (0 for the baseline policy).
    pub priority: u32,
    /// `spec.subject`.
    pub subject: Subject,
    /// `spec.ingress`.
    pub ingress: Vec<AdminRule>,
    /// `spec.egress`.
    pub egress: Vec<AdminRule>,
}

impl AdminPolicy {
    /// The rules of one direction.
    pub fn rules(&self, direction: Direction) -> &[AdminRule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}
