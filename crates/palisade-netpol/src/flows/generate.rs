//! Least-privilege policies from observed flows: `networking.k8s.io/v1` NetworkPolicies
//! here, `cilium.io/v2` CiliumNetworkPolicies in [`super::cilium`].
//!
//! One policy per workload and direction it was seen in: an ingress policy for each
//! workload that accepted connections, an egress policy for each that opened some. Each
//! selects its workload by the pod template's labels and allows exactly the observed peers
//! on exactly the observed protocols and ports. Peers that share the same port set share a
//! rule (a rule allows every listed port to every listed peer, so only equal sets may be
//! merged without allowing more than was seen).

use std::collections::{BTreeMap, BTreeSet};

use crate::conn::Protocol;
use crate::endpoints::NAMESPACE_NAME_LABEL;
use crate::model::{EndpointId, Model};
use crate::policy::Direction;
use crate::Pods;

use super::mapping::{map_flows, Mapped};
use super::plan::{self, PeerKey, SidePlan};
use super::reader::Flows;
use super::yaml::{document, Yaml};

/// Output format of [`generate`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// `networking.k8s.io/v1` NetworkPolicy.
    #[default]
    NetworkPolicy,
    /// `cilium.io/v2` CiliumNetworkPolicy, with L7 HTTP rules where flows carried HTTP
    /// records and DNS rules where they carried DNS records.
    Cilium,
}

/// Options of [`generate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Output format.
    pub format: Format,
    /// Prefix length external IPv4 addresses are widened to (32: each address alone).
    pub ipv4_prefix: u8,
    /// Prefix length for IPv6 addresses (128: each address alone).
    pub ipv6_prefix: u8,
    /// Emit ingress policies.
    pub ingress: bool,
    /// Emit egress policies.
    pub egress: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            format: Format::NetworkPolicy,
            ipv4_prefix: 32,
            ipv6_prefix: 128,
            ingress: true,
            egress: true,
        }
    }
}

/// One generated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedPolicy {
    /// The workload it selects.
    pub workload: EndpointId,
    /// Its direction.
    pub direction: Direction,
    /// `metadata.namespace`
    pub namespace: String,
    /// `metadata.name`
    pub name: String,
    /// The YAML document (no `---`).
    pub yaml: String,
}

/// What [`generate`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The policies, by namespace, workload and direction (ingress first).
    pub policies: Vec<GeneratedPolicy>,
    /// Every policy as one multi-document YAML stream with a header comment, ready for
    /// `kubectl apply -f`.
    pub yaml: String,
    /// What could not be expressed, or may allow more than was seen.
    pub notes: Vec<String>,
    /// The flows mapped onto the model (what the policies were built from).
    pub mapped: Mapped,
}

/// `matchLabels` of `labels` (a workload's [`crate::LabelMap`], a peer's map).
pub(crate) fn pods_selector<K: AsRef<str>, V: AsRef<str>>(
    labels: impl IntoIterator<Item = (K, V)>,
) -> Yaml {
    Yaml::map([(
        "matchLabels",
        Yaml::map(
            labels
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_string(), Yaml::str(v.as_ref()))),
        ),
    )])
}

/// Policy names: `NAME-DIRECTION`, with the kind added when two workloads of one namespace
/// share a name.
pub(crate) fn policy_name(model: &Model, pods: &Pods, direction: Direction) -> String {
    let shared = model
        .endpoints()
        .iter()
        .filter_map(|e| e.as_pods())
        .filter(|p| p.namespace == pods.namespace && p.name() == pods.name())
        .count()
        > 1;
    let dir = direction.as_str().to_lowercase();
    if shared {
        format!("{}-{}-{dir}", pods.name(), pods.kind().to_lowercase())
    } else {
        format!("{}-{dir}", pods.name())
    }
}

/// Notes for a workload whose labels also select other workloads of its namespace.
pub(crate) fn overlap_note(model: &Model, pods: &Pods, notes: &mut BTreeSet<String>) {
    let others: Vec<String> = model
        .endpoints()
        .iter()
        .filter_map(|e| e.as_pods())
        .filter(|p| p.namespace == pods.namespace && !std::ptr::eq(*p, pods))
        .filter(|p| pods.labels.iter().all(|(k, v)| p.labels.get(k) == Some(v)))
        .map(|p| format!("{}/{}", p.namespace, p.name()))
        .collect();
    if !others.is_empty() {
        notes.insert(format!(
            "the labels of {}/{} also select {}; a policy for it applies to them too",
            pods.namespace,
            pods.name(),
            others.join(", ")
        ));
    }
}

fn peer_yaml(peer: &PeerKey) -> Option<Yaml> {
    match peer {
        PeerKey::Pods { namespace, labels } => Some(Yaml::map([
            (
                "namespaceSelector",
                pods_selector(&BTreeMap::from([(
                    NAMESPACE_NAME_LABEL.to_string(),
                    namespace.clone(),
                )])),
            ),
            ("podSelector", pods_selector(labels)),
        ])),
        PeerKey::Cidr(c) => Some(Yaml::map([(
            "ipBlock",
            Yaml::map([("cidr", Yaml::str(c))]),
        )])),
        PeerKey::Entity(_) => None,
    }
}

fn ports_yaml(ports: &BTreeSet<(Protocol, u16)>) -> Yaml {
    Yaml::Seq(
        ports
            .iter()
            .map(|(proto, port)| {
                Yaml::map([
                    ("protocol", Yaml::str(proto.as_str())),
                    ("port", Yaml::Int(i64::from(*port))),
                ])
            })
            .collect(),
    )
}

fn network_policy(
    model: &Model,
    pods: &Pods,
    direction: Direction,
    side: &SidePlan,
    notes: &mut BTreeSet<String>,
) -> Option<(String, Yaml)> {
    let who = format!("{}/{}", pods.namespace, pods.name());
    let dir = direction.as_str().to_lowercase();
    // Peers grouped by their exact port sets.
    let mut groups: BTreeMap<BTreeSet<(Protocol, u16)>, Vec<Yaml>> = BTreeMap::new();
    for (peer, ports) in &side.peers {
        match peer_yaml(peer) {
            Some(y) => groups
                .entry(ports.keys().copied().collect())
                .or_default()
                .push(y),
            None => {
                if let PeerKey::Entity(e) = peer {
                    // The API reference for `ingress`: traffic from the pod's own node is
                    // allowed whatever the policies say (kubelet probes keep working).
                    let why = if e == "host" && direction == Direction::Ingress {
                        "the node's own traffic to its pods is allowed regardless"
                    } else {
                        "it is not allowed by the generated policy"
                    };
                    notes.insert(format!(
                        "{who}: {dir} with reserved:{e} observed; a NetworkPolicy cannot name \
                         it, and {why}"
                    ));
                }
            }
        }
    }
    if !side.icmp.is_empty() {
        notes.insert(format!(
            "{who}: ICMP {dir} observed; a NetworkPolicy allows ICMP only with a rule \
             without ports (all traffic), so it is not allowed"
        ));
    }
    if groups.is_empty() {
        notes.insert(format!(
            "{who}: no {dir} a NetworkPolicy can express; no {dir} policy generated"
        ));
        return None;
    }
    let peers_key = match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    };
    let rules: Vec<Yaml> = groups
        .into_iter()
        .map(|(ports, peers)| {
            Yaml::map([(peers_key, Yaml::Seq(peers)), ("ports", ports_yaml(&ports))])
        })
        .collect();
    let name = policy_name(model, pods, direction);
    let policy = Yaml::map([
        ("apiVersion", Yaml::str("networking.k8s.io/v1")),
        ("kind", Yaml::str("NetworkPolicy")),
        (
            "metadata",
            Yaml::map([
                ("name", Yaml::str(&name)),
                ("namespace", Yaml::str(pods.namespace.as_str())),
            ]),
        ),
        (
            "spec",
            Yaml::map([
                ("podSelector", pods_selector(&pods.labels)),
                (
                    "policyTypes",
                    Yaml::Seq(vec![Yaml::str(direction.as_str())]),
                ),
                (
                    match direction {
                        Direction::Ingress => "ingress",
                        Direction::Egress => "egress",
                    },
                    Yaml::Seq(rules),
                ),
            ]),
        ),
    ]);
    Some((name, policy))
}

/// Notes about the input's own policies: one with the generated name would be replaced
/// on apply; NetworkPolicies that already isolate the workload keep allowing what they
/// allow, since NetworkPolicies add up.
fn existing_notes(
    model: &Model,
    id: EndpointId,
    pods: &Pods,
    direction: Direction,
    name: &str,
    format: Format,
    notes: &mut BTreeSet<String>,
) {
    if format == Format::NetworkPolicy
        && model
            .policies()
            .iter()
            .any(|p| p.namespace == pods.namespace && p.name == name)
    {
        notes.insert(format!(
            "the input already has NetworkPolicy {}/{name}; applying the generated one \
             replaces it",
            pods.namespace
        ));
    }
    let others: Vec<String> = model
        .isolating(id, direction)
        .into_iter()
        .filter_map(|p| model.policy(p))
        .filter(|p| p.name != name || format != Format::NetworkPolicy)
        .map(|p| p.full_name())
        .collect();
    if !others.is_empty() {
        notes.insert(format!(
            "{}/{} is already isolated for {} by {}; policies add up, so what those allow \
             stays allowed",
            pods.namespace,
            pods.name(),
            direction.as_str().to_lowercase(),
            others.join(", ")
        ));
    }
}

/// The header of the YAML stream.
pub(crate) fn header(kind: &str, mapped: &Mapped) -> String {
    format!(
        "# Least-privilege {kind} objects learned from {} observed connection(s) by palisade.\n\
         # Default deny is implied: a pod selected by a policy of a direction is isolated in\n\
         # that direction, so everything these policies do not allow (everything not seen in\n\
         # the flows) is denied for the workloads they select.\n",
        mapped.passed.len()
    )
}

/// Generates least-privilege policies for the traffic in `flows` (see the module docs).
pub fn generate(model: &Model, flows: &Flows, options: &GenerateOptions) -> Generated {
    let mapped = map_flows(model, flows);
    let mut notes = BTreeSet::new();
    let plan = plan::build(model, &mapped, options, &mut notes);
    let mut policies = Vec::new();
    for (&(id, direction), side) in &plan {
        let Some(pods) = model.endpoint(id).and_then(|e| e.as_pods()) else {
            continue;
        };
        if pods.labels.is_empty() {
            notes.insert(format!(
                "{}/{} has no pod labels; a podSelector for it would select the whole \
                 namespace, so no policy is generated for it",
                pods.namespace,
                pods.name()
            ));
            continue;
        }
        overlap_note(model, pods, &mut notes);
        let made = match options.format {
            Format::NetworkPolicy => network_policy(model, pods, direction, side, &mut notes),
            Format::Cilium => super::cilium::policy(model, pods, direction, side, &mut notes),
        };
        if let Some((name, doc)) = made {
            existing_notes(
                model,
                id,
                pods,
                direction,
                &name,
                options.format,
                &mut notes,
            );
            policies.push(GeneratedPolicy {
                workload: id,
                direction,
                namespace: pods.namespace.to_string(),
                name,
                yaml: document(&doc),
            });
        }
    }
    let kind = match options.format {
        Format::NetworkPolicy => "NetworkPolicy",
        Format::Cilium => "CiliumNetworkPolicy",
    };
    let mut yaml = header(kind, &mapped);
    for p in &policies {
        yaml.push_str("---\n");
        yaml.push_str(&p.yaml);
    }
    Generated {
        policies,
        yaml,
        notes: notes.into_iter().collect(),
        mapped,
    }
}
