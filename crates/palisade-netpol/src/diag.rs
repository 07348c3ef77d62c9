//! Diagnostics: what in the input the API server would reject, or what silently matches
//! nothing, each with its place.

use std::fmt;
use std::sync::Arc;

use palisade_core::{Location, ObjectRef};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The API server would reject the object: the policy is left out of the analysis, as it
    /// could never exist in a cluster.
    Rejected,
    /// Accepted by the API server but probably not what was meant (a part that matches
    /// nothing); the policy is analysed as written.
    Warning,
}

/// What a diagnostic is about. New kinds may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// `cidr` or an `except` entry is not a CIDR.
    InvalidCidr,
    /// An `except` entry is not a strict subset of its `cidr`.
    ExceptOutsideCidr,
    /// A CIDR with bits set past its prefix (`10.0.0.1/8`): accepted, means its network.
    CidrHostBits,
    /// A label selector the API server rejects (unknown operator, values where none belong).
    InvalidSelector,
    /// `port` or `endPort` outside 1..65535.
    PortOutOfRange,
    /// `endPort` below `port`, with a named port, or without a port.
    InvalidEndPort,
    /// A named port that is not a valid port name (IANA service name syntax).
    InvalidPortName,
    /// A named port no selected destination container defines (with that protocol): the
    /// port entry matches nothing.
    UnmatchedNamedPort,
    /// `protocol` is not `TCP`, `UDP` or `SCTP`.
    InvalidProtocol,
    /// A peer with no selector and no ipBlock, or an ipBlock together with a selector.
    InvalidPeer,
    /// `policyTypes` holds something other than `Ingress`/`Egress`, or more than two.
    InvalidPolicyType,
    /// The same NetworkPolicy (namespace and name) defined again later in the input: the
    /// later definition replaces this one, as `kubectl apply` would.
    Duplicate,
    /// A field of the wrong shape (a list where a mapping belongs, text where a number does).
    Malformed,
    /// A Calico selector that does not parse (the policy is left out: it matches nothing).
    InvalidCalicoSelector,
    /// A rule `action` the API does not know (Calico: Allow, Deny, Log, Pass; admin
    /// policies: Allow, Deny, Pass; baseline: Allow, Deny).
    InvalidAction,
    /// An AdminNetworkPolicy `priority` outside 0..1000, or a Calico `order` that is not a
    /// number.
    InvalidPriority,
    /// Two AdminNetworkPolicies with the same priority whose rules may overlap: the API
    /// leaves their relative order undefined (this crate orders them by name).
    SamePriority,
    /// A Calico policy in a tier no `Tier` object of the input defines (assumed to exist,
    /// ordered last, with the default `Deny`).
    UnknownTier,
    /// Something this model does not represent (nodes, host endpoints, source ports, HTTP
    /// matches); what it means for the analysis is in the message.
    NotModelled,
}

/// One diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Rejected or warning.
    pub level: Level,
    /// What kind of problem.
    pub kind: DiagnosticKind,
    /// The object it is about.
    pub object: Arc<ObjectRef>,
    /// Where in the input.
    pub location: Location,
    /// Dotted path of the field (`spec.ingress[0].ports[1].endPort`).
    pub field: String,
    /// What is wrong, and what it means for the analysis.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Rejected => "rejected",
            Level::Warning => "warning",
        };
        write!(
            f,
            "{}: {level}: {} {}: {}",
            self.location, self.object, self.field, self.message
        )
    }
}
