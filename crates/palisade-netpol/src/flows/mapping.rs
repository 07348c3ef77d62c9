//! Mapping flows onto the model's endpoints, and folding them into observed connections.
//!
//! A flow's endpoint is found, in this order:
//!
//! 1. by its `workloads` entry (Hubble's controller name and kind) in its namespace;
//! 2. by its pod name: the longest workload name of the namespace that the pod name
//!    extends the way that kind's controller names its pods (a Deployment's
//!    `NAME-<template hash>-<suffix>`, a StatefulSet's `NAME-<ordinal>`, a DaemonSet's or
//!    Job's `NAME-<suffix>`, a CronJob's `NAME-<schedule time>-<suffix>`, a bare Pod's
//!    `NAME`), mirroring how `ReplicaSetController`/`StatefulSetControl` generate names;
//! 3. by labels: the workloads whose non-empty pod template labels are all among the
//!    flow's `k8s:` labels; the one with the most labels wins, a tie is left unresolved.
//!
//! Endpoints that are not pods: `reserved:world` (and `world-ipv4`/`world-ipv6`), `cidr:`
//! and `fqdn:` identities and identity 2 are external, identified by the flow's IP address;
//! other `reserved:` identities (host, remote-node, kube-apiserver, health, ingress) stay
//! as such, since a NetworkPolicy cannot name them. A pod the model does not hold (kube-dns
//! when the input is one application) keeps its namespace and labels.
//!
//! Replies are not new connections: `is_reply: true`, an L7 `RESPONSE`, or, when Hubble did
//! not know (`is_reply` absent), a TCP segment with SYN and ACK set.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::conn::Protocol;
use crate::endpoints::Pods;
use crate::ip::{self, Family};
use crate::model::{EndpointId, Model};

use super::reader::Flows;
use super::record::{Flow, FlowEndpoint, L7Type, Layer4};

/// The namespace label Cilium adds to every pod's identity.
pub const CILIUM_NAMESPACE_LABEL: &str = "io.kubernetes.pod.namespace";

/// What a flow's source or destination is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlowPeer {
    /// A workload of the model.
    Workload(EndpointId),
    /// A pod the model does not hold.
    Pod {
        /// Namespace.
        namespace: String,
        /// Its `k8s:` labels, without those Cilium or controllers add
        /// ([`stable_labels`]).
        labels: BTreeMap<String, String>,
        /// Workload name (from `workloads`) or pod name.
        name: String,
    },
    /// An address outside the cluster.
    External {
        /// The address as the flow gave it.
        address: String,
        /// Family.
        family: Family,
        /// The address as a number.
        value: u128,
    },
    /// A reserved Cilium identity other than world (`host`, `remote-node`,
    /// `kube-apiserver`, `health`, `ingress`, ...).
    Reserved(String),
    /// Nothing to go by.
    Unknown,
}

impl FlowPeer {
    /// `NS/NAME` (workloads), `NS/NAME (not in the input)`, the address, `reserved:X`.
    pub fn describe(&self, model: &Model) -> String {
        match self {
            FlowPeer::Workload(id) => model
                .endpoint(*id)
                .and_then(|e| e.as_pods())
                .map(|p| format!("{}/{}", p.namespace, p.name()))
                .unwrap_or_default(),
            FlowPeer::Pod {
                namespace, name, ..
            } => format!("{namespace}/{name} (not in the input)"),
            FlowPeer::External { address, .. } => address.clone(),
            FlowPeer::Reserved(r) => format!("reserved:{r}"),
            FlowPeer::Unknown => "unknown".into(),
        }
    }
}

/// The labels Hubble lists with source `k8s`, minus those that are no pod template's:
/// Cilium's own (`io.kubernetes.pod.namespace`, `io.cilium.k8s.*`) and the ones
/// controllers add to pods (`pod-template-hash`, `controller-revision-hash`,
/// `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index`, job labels).
pub fn stable_labels(labels: &[String]) -> BTreeMap<String, String> {
    const ADDED: [&str; 7] = [
        "pod-template-hash",
        "controller-revision-hash",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "controller-uid",
        "job-name",
        "pod-template-generation",
    ];
    labels
        .iter()
        .filter_map(|l| l.strip_prefix("k8s:"))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| {
            *k != CILIUM_NAMESPACE_LABEL
                && !k.starts_with("io.cilium.k8s.")
                && !k.starts_with("batch.kubernetes.io/")
                && !ADDED.contains(k)
        })
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn namespace_of(ep: &FlowEndpoint) -> Option<String> {
    ep.namespace.clone().or_else(|| {
        ep.labels.iter().find_map(|l| {
            l.strip_prefix("k8s:")?
                .strip_prefix(CILIUM_NAMESPACE_LABEL)?
                .strip_prefix('=')
                .map(str::to_string)
        })
    })
}

/// Whether `pod` is a name the controller `kind`/`name` would give one of its pods.
fn pod_of(kind: &str, name: &str, pod: &str) -> bool {
    if kind == "Pod" {
        return pod == name;
    }
    let Some(rest) = pod.strip_prefix(name).and_then(|r| r.strip_prefix('-')) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    let alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (kind, parts.as_slice()) {
        ("Deployment", [hash, suffix]) => alnum(hash) && alnum(suffix),
        ("StatefulSet", [ordinal]) => digits(ordinal),
        ("CronJob", [time, suffix]) => digits(time) && alnum(suffix),
        ("DaemonSet" | "ReplicaSet" | "ReplicationController" | "Job", [suffix]) => alnum(suffix),
        (_, [a]) => alnum(a),
        (_, [a, b]) => alnum(a) && alnum(b),
        _ => false,
    }
}

/// Finds what a flow endpoint is; `address` is the flow's IP on that side.
pub fn resolve(model: &Model, ep: &FlowEndpoint, address: Option<&str>) -> FlowPeer {
    Resolver::new(model).find(ep, address)
}

/// Resolves flow endpoints with the model's workloads indexed by namespace, remembering
/// each answer (a flow file names the same few hundred pods over and over).
struct Resolver<'m> {
    by_namespace: HashMap<&'m str, Vec<(EndpointId, &'m Pods)>>,
    cache: HashMap<(Arc<FlowEndpoint>, Option<String>), FlowPeer>,
}

impl<'m> Resolver<'m> {
    fn new(model: &'m Model) -> Self {
        let mut by_namespace: HashMap<&str, Vec<(EndpointId, &Pods)>> = HashMap::new();
        for (i, e) in model.endpoints().iter().enumerate() {
            if let Some(p) = e.as_pods() {
                by_namespace
                    .entry(p.namespace.as_str())
                    .or_default()
                    .push((EndpointId(i as u32), p));
            }
        }
        Resolver {
            by_namespace,
            cache: HashMap::new(),
        }
    }

    fn resolve(&mut self, ep: &Arc<FlowEndpoint>, address: Option<&str>) -> FlowPeer {
        // The address matters only for endpoints that are no pod.
        let key_addr = if ep.namespace.is_some() && ep.labels.iter().all(|l| l.starts_with("k8s:"))
        {
            None
        } else {
            address.map(str::to_string)
        };
        let key = (Arc::clone(ep), key_addr);
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone();
        }
        let found = self.find(ep, address);
        self.cache.insert(key, found.clone());
        found
    }

    fn find(&self, ep: &FlowEndpoint, address: Option<&str>) -> FlowPeer {
        let mut reserved: Vec<&str> = ep
            .labels
            .iter()
            .filter_map(|l| l.strip_prefix("reserved:"))
            .collect();
        // Without labels (a field mask left them out), the reserved identity numbers still
        // tell; Cilium's `ReservedIdentity*` constants.
        if ep.labels.is_empty() {
            reserved.extend(ep.identity.and_then(reserved_identity));
        }
        let world = reserved.iter().any(|r| r.starts_with("world"))
            || ep
                .labels
                .iter()
                .any(|l| l.starts_with("cidr:") || l.starts_with("fqdn:"));
        if world {
            return external(address).unwrap_or(FlowPeer::Reserved("world".into()));
        }
        if let Some(r) = reserved.first() {
            return FlowPeer::Reserved((*r).to_string());
        }
        let Some(namespace) = namespace_of(ep) else {
            // No identity, no namespace: an address Cilium knows nothing of is outside.
            return address
                .and_then(|a| external(Some(a)))
                .unwrap_or(FlowPeer::Unknown);
        };
        let pods: &[(EndpointId, &Pods)] = self
            .by_namespace
            .get(namespace.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        for w in &ep.workloads {
            let hit = pods.iter().find(|(_, p)| {
                p.name() == w.name && (w.kind.is_empty() || p.kind().eq_ignore_ascii_case(&w.kind))
            });
            if let Some((id, _)) = hit {
                return FlowPeer::Workload(*id);
            }
        }
        if let Some(pod) = &ep.pod_name {
            let best = pods
                .iter()
                .filter(|(_, p)| pod_of(p.kind(), p.name(), pod))
                .max_by_key(|(_, p)| p.name().len());
            if let Some((id, _)) = best {
                return FlowPeer::Workload(*id);
            }
        }
        let labels = stable_labels(&ep.labels);
        let mut fits: Vec<(usize, EndpointId)> = pods
            .iter()
            .filter(|(_, p)| {
                !p.labels.is_empty()
                    && p.labels
                        .iter()
                        .all(|(k, v)| labels.get(k).is_some_and(|x| x == v))
            })
            .map(|(id, p)| (p.labels.len(), *id))
            .collect();
        fits.sort_unstable_by(|a, b| b.cmp(a));
        match fits.as_slice() {
            [(n, id), rest @ ..] if rest.first().is_none_or(|(m, _)| m < n) => {
                return FlowPeer::Workload(*id)
            }
            _ => {}
        }
        let name = ep
            .workloads
            .first()
            .map(|w| w.name.clone())
            .or_else(|| ep.pod_name.clone())
            .unwrap_or_default();
        FlowPeer::Pod {
            namespace,
            labels,
            name,
        }
    }
}

/// The name of a reserved security identity (`pkg/identity` numbering).
fn reserved_identity(id: u32) -> Option<&'static str> {
    Some(match id {
        1 => "host",
        2 => "world",
        3 => "unmanaged",
        4 => "health",
        5 => "init",
        6 => "remote-node",
        7 => "kube-apiserver",
        8 => "ingress",
        9 => "world-ipv4",
        10 => "world-ipv6",
        _ => return None,
    })
}

fn external(address: Option<&str>) -> Option<FlowPeer> {
    let address = address?;
    let (family, value) = ip::parse_addr(address)?;
    Some(FlowPeer::External {
        address: address.to_string(),
        family,
        value,
    })
}

/// What a connection used: a protocol NetworkPolicy can name with its destination port,
/// or ICMP (which only a rule without `ports` allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    /// TCP, UDP or SCTP to a port.
    Port(Protocol, u16),
    /// ICMPv4 or ICMPv6, with the ICMP type.
    Icmp(Family, u32),
}

/// One observed connection: source, destination and transport, with how often and where
/// it was seen, and the L7 requests it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// Who opened it.
    pub src: FlowPeer,
    /// Who accepted it.
    pub dst: FlowPeer,
    /// Protocol and destination port.
    pub transport: Transport,
    /// Flows folded into this one.
    pub count: usize,
    /// The first line that showed it.
    pub first_line: usize,
    /// HTTP requests seen: (method, URL path without query).
    pub http: BTreeSet<(String, String)>,
    /// DNS names queried.
    pub dns: BTreeSet<String>,
}

/// The flows mapped onto the model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    /// Connections that passed (`FORWARDED`, `REDIRECTED`, `AUDIT`), sorted by source,
    /// destination and transport.
    pub passed: Vec<Observed>,
    /// Connections the cluster dropped (`DROPPED`), same order.
    pub dropped: Vec<Observed>,
    /// Flows in the reply direction (not new connections).
    pub replies: usize,
    /// Flows of no use here: other verdicts, socket-level (`SOCK`) events, flows without a
    /// transport.
    pub ignored: usize,
}

/// The URL's path: scheme and authority dropped, query and fragment stripped.
pub fn url_path(url: &str) -> String {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            after.find('/').map_or("/", |j| &after[j..])
        }
        None => url,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let path = &rest[..end];
    // Cilium's HTTP rules require paths that begin with `/`.
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

fn transport(flow: &Flow) -> Option<Transport> {
    Some(match flow.l4.as_ref()? {
        Layer4::Tcp {
            destination_port, ..
        } => Transport::Port(Protocol::Tcp, *destination_port),
        Layer4::Udp {
            destination_port, ..
        } => Transport::Port(Protocol::Udp, *destination_port),
        Layer4::Sctp {
            destination_port, ..
        } => Transport::Port(Protocol::Sctp, *destination_port),
        Layer4::IcmpV4 { icmp_type, .. } => Transport::Icmp(Family::V4, *icmp_type),
        Layer4::IcmpV6 { icmp_type, .. } => Transport::Icmp(Family::V6, *icmp_type),
    })
}

/// True when the flow travels in the reply direction of its connection.
pub fn is_reply(flow: &Flow) -> bool {
    if let Some(r) = flow.is_reply {
        return r;
    }
    if flow.l7.as_ref().is_some_and(|l| l.kind == L7Type::Response) {
        return true;
    }
    matches!(flow.l4, Some(Layer4::Tcp { flags, .. }) if flags.syn && flags.ack)
}

/// Maps every flow and folds them into connections.
pub fn map_flows(model: &Model, flows: &Flows) -> Mapped {
    type Key = (FlowPeer, FlowPeer, Transport);
    let mut passed: BTreeMap<Key, Observed> = BTreeMap::new();
    let mut dropped: BTreeMap<Key, Observed> = BTreeMap::new();
    let mut out = Mapped::default();
    let mut resolver = Resolver::new(model);
    for flow in &flows.flows {
        let Some(t) = transport(flow) else {
            out.ignored += 1;
            continue;
        };
        if flow.flow_type.as_deref() == Some("SOCK")
            || matches!(t, Transport::Port(_, 0))
            || !(flow.verdict.passed() || flow.verdict == super::record::Verdict::Dropped)
        {
            out.ignored += 1;
            continue;
        }
        if is_reply(flow) {
            out.replies += 1;
            continue;
        }
        let src = resolver.resolve(&flow.source, flow.source_ip.as_deref());
        let dst = resolver.resolve(&flow.destination, flow.destination_ip.as_deref());
        let into = if flow.verdict.passed() {
            &mut passed
        } else {
            &mut dropped
        };
        let entry = into
            .entry((src.clone(), dst.clone(), t))
            .or_insert_with(|| Observed {
                src,
                dst,
                transport: t,
                count: 0,
                first_line: flow.line,
                http: BTreeSet::new(),
                dns: BTreeSet::new(),
            });
        entry.count += 1;
        if let Some(l7) = &flow.l7 {
            if let Some(h) = l7.http.as_ref().filter(|h| !h.method.is_empty()) {
                entry.http.insert((h.method.clone(), url_path(&h.url)));
            }
            if let Some(d) = l7.dns.as_ref().filter(|d| !d.query.is_empty()) {
                entry.dns.insert(d.query.clone());
            }
        }
    }
    out.passed = passed.into_values().collect();
    out.dropped = dropped.into_values().collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths_drop_scheme_host_query_and_fragment() {
        assert_eq!(
            url_path("http://api.shop:8080/v1/items?page=2"),
            "/v1/items"
        );
        assert_eq!(url_path("https://h/"), "/");
        assert_eq!(url_path("http://h"), "/");
        assert_eq!(url_path("/healthz#x"), "/healthz");
        assert_eq!(url_path("status"), "/status");
    }

    #[test]
    fn reserved_identities_are_known_without_labels() {
        let m = Model::default();
        let ep = |identity| FlowEndpoint {
            identity: Some(identity),
            ..Default::default()
        };
        assert_eq!(
            resolve(&m, &ep(4), Some("10.0.0.1")),
            FlowPeer::Reserved("health".into())
        );
        assert_eq!(
            resolve(&m, &ep(7), None),
            FlowPeer::Reserved("kube-apiserver".into())
        );
        assert!(matches!(
            resolve(&m, &ep(2), Some("192.0.2.1")),
            FlowPeer::External { .. }
        ));
        assert!(matches!(
            resolve(&m, &ep(9), Some("192.0.2.1")),
            FlowPeer::External { .. }
        ));
    }

    #[test]
    fn stable_labels_drop_what_cilium_and_controllers_add() {
        let l = stable_labels(&[
            "k8s:app=db".into(),
            "k8s:io.kubernetes.pod.namespace=shop".into(),
            "k8s:io.cilium.k8s.policy.serviceaccount=default".into(),
            "k8s:controller-revision-hash=db-5c".into(),
            "k8s:statefulset.kubernetes.io/pod-name=db-0".into(),
            "reserved:host".into(),
        ]);
        assert_eq!(l, BTreeMap::from([("app".to_string(), "db".to_string())]));
    }
}
