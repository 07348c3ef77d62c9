//! Typed `networking.k8s.io/v1` NetworkPolicies, parsed from positioned YAML.
//!
//! Parsing checks what the API server's `ValidateNetworkPolicySpec` checks (ports, endPort,
//! protocols, peers, ipBlocks, label selectors, policyTypes) and reports every problem found,
//! not just the first. A policy with any such problem is rejected: it is returned as `None`
//! and left out of the analysis, because the API server would never admit it. Values are
//! read as kubectl's decoder reads them (`Node::to_json`): `port: 80` is a number,
//! `port: "80"` a (here invalid) port name, `podSelector: null` an absent selector.

use std::sync::Arc;

use palisade_core::selector::LabelSelector;
use palisade_core::{Location, ObjectRef};

use crate::conn::Protocol;
use crate::ip::IpSet;

mod parse;

pub(crate) use parse::label_selector;
pub use parse::{check_port_name, parse};

/// The namespace of a namespaced object written without one. np-guard's netpol-analyzer
/// (`insertNetworkPolicy`) and `kubectl apply` without `-n` both use `default`.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The namespace an object lands in: as written, or `default` when left out or empty.
pub fn namespace_of(obj: &palisade_core::Object) -> String {
    namespace_str(obj).to_string()
}

/// [`namespace_of`] as a [`Text`](palisade_core::yaml::Text), kept inline when short (as
/// namespace names mostly are): no allocation for each workload and Service read.
pub(crate) fn namespace_text(obj: &palisade_core::Object) -> palisade_core::yaml::Text {
    namespace_str(obj).into()
}

fn namespace_str(obj: &palisade_core::Object) -> &str {
    match obj.id.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => ns,
        _ => DEFAULT_NAMESPACE,
    }
}

/// Traffic direction, from the policy's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Traffic into the selected pods.
    Ingress,
    /// Traffic out of the selected pods.
    Egress,
}

impl Direction {
    /// `Ingress` / `Egress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// A parsed NetworkPolicy the API server would admit.
#[derive(Debug, Clone)]
pub struct NetworkPolicy {
    /// The object.
    pub object: Arc<ObjectRef>,
    /// Namespace (`default` when the manifest leaves it out).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Where the object starts.
    pub location: Location,
    /// `spec.podSelector` (missing or null: selects every pod of the namespace).
    pub pod_selector: LabelSelector,
    /// Does the policy isolate its pods for ingress (`policyTypes`, defaulted)?
    pub affects_ingress: bool,
    /// Does it isolate them for egress?
    pub affects_egress: bool,
    /// `spec.ingress` rules (ignored for isolation when `affects_ingress` is false).
    pub ingress: Vec<Rule>,
    /// `spec.egress` rules.
    pub egress: Vec<Rule>,
}

impl NetworkPolicy {
    /// `namespace/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Does the policy isolate its pods in this direction?
    pub fn affects(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.affects_ingress,
            Direction::Egress => self.affects_egress,
        }
    }

    /// The rules of one direction.
    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

/// One ingress or egress rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Where the rule starts.
    pub location: Location,
    /// `from`/`to` peers; `None` when the list is missing or empty, which matches every
    /// peer, external addresses included.
    pub peers: Option<Vec<Peer>>,
    /// `ports`; `None` when missing or empty, which matches all traffic (every protocol).
    pub ports: Option<Vec<PortSpec>>,
}

/// One `from`/`to` entry.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Where it starts.
    pub location: Location,
    /// What it selects.
    pub kind: PeerKind,
}

/// What a peer selects.
#[derive(Debug, Clone)]
pub enum PeerKind {
    /// Pods by labels. `pods: None` means every pod of the selected namespaces;
    /// `namespaces: None` means the policy's own namespace. At least one is present.
    Selectors {
        /// `podSelector`
        pods: Option<LabelSelector>,
        /// `namespaceSelector`
        namespaces: Option<LabelSelector>,
    },
    /// Addresses outside the cluster (pods are never matched by ipBlocks; see the crate
    /// docs).
    IpBlock {
        /// `cidr` as written.
        cidr: String,
        /// `except` as written.
        except: Vec<String>,
        /// The addresses: `cidr` minus every `except`.
        addresses: IpSet,
    },
}

/// One `ports` entry.
#[derive(Debug, Clone)]
pub struct PortSpec {
    /// Where it starts.
    pub location: Location,
    /// Dotted field path, for diagnostics.
    pub field: String,
    /// `protocol` (default TCP).
    pub protocol: Protocol,
    /// Which ports.
    pub port: PortMatch,
}

/// The port part of a `ports` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortMatch {
    /// No `port`: every port of the protocol.
    Any,
    /// `port` (and `endPort`): an inclusive range.
    Range(u16, u16),
    /// A named port, resolved against each destination pod's container ports.
    Named(String),
}
