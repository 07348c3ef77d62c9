//! `cilium.io/v2` CiliumNetworkPolicy rendering of a learned plan.
//!
//! Following Cilium's policy language reference:
//!
//! - `endpointSelector` selects the workload by its pod template labels; pods are peers by
//!   `fromEndpoints`/`toEndpoints` selectors whose `matchLabels` carry
//!   `k8s:io.kubernetes.pod.namespace` (the label Cilium gives every pod's identity), so a
//!   peer in another namespace is named explicitly;
//! - addresses are `fromCIDR`/`toCIDR`, Cilium's reserved identities (`host`,
//!   `remote-node`, `kube-apiserver`, ...) are `fromEntities`/`toEntities`, which
//!   NetworkPolicy cannot express;
//! - `toPorts` lists each observed port (`port` is a string, `protocol` upper case); a port
//!   whose ingress carried HTTP records gets `rules.http`, one entry per observed method
//!   and path, the path an anchored, escaped regex of the URL path (query stripped; Cilium
//!   matches `path` as an extended POSIX regex against the request path); a DNS port whose
//!   flows carried DNS records gets `rules.dns` with `matchName` per queried name;
//! - ICMP becomes `icmps` with the observed family and type, which CiliumNetworkPolicy can
//!   name alone (NetworkPolicy cannot).
//!
//! L7 rules are written on ingress only: the destination's proxy then admits exactly the
//! learned requests, and the source needs no second proxy hop.

use std::collections::{BTreeMap, BTreeSet};

use crate::ip::Family;
use crate::policy::Direction;
use crate::Pods;

use super::generate::{pods_selector, policy_name};
use super::mapping::CILIUM_NAMESPACE_LABEL;
use super::plan::{PeerKey, PortUse, SidePlan};
use super::yaml::Yaml;
use crate::model::Model;

/// Escapes what an extended regular expression treats specially, and anchors the path.
pub fn path_regex(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 2);
    out.push('^');
    for c in path.chars() {
        if matches!(
            c,
            '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '\\'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('$');
    out
}

fn endpoint_selector<'l>(
    namespace: &str,
    labels: impl IntoIterator<Item = (&'l String, &'l String)>,
) -> Yaml {
    let mut all = vec![(
        format!("k8s:{CILIUM_NAMESPACE_LABEL}"),
        Yaml::str(namespace),
    )];
    all.extend(labels.into_iter().map(|(k, v)| (k.clone(), Yaml::str(v))));
    Yaml::map([("matchLabels", Yaml::Map(all))])
}

fn port_rules(direction: Direction, used: &PortUse) -> Option<Yaml> {
    if direction == Direction::Ingress && !used.http.is_empty() {
        let http = used
            .http
            .iter()
            .map(|(method, path)| {
                Yaml::map([
                    ("method", Yaml::str(method)),
                    ("path", Yaml::str(path_regex(path))),
                ])
            })
            .collect();
        return Some(Yaml::map([("http", Yaml::Seq(http))]));
    }
    if direction == Direction::Egress && !used.dns.is_empty() {
        let dns = used
            .dns
            .iter()
            .map(|q| Yaml::map([("matchName", Yaml::str(q.strip_suffix('.').unwrap_or(q)))]))
            .collect();
        return Some(Yaml::map([("dns", Yaml::Seq(dns))]));
    }
    None
}

fn to_ports(direction: Direction, ports: &BTreeMap<(crate::Protocol, u16), PortUse>) -> Yaml {
    Yaml::Seq(
        ports
            .iter()
            .map(|((proto, port), used)| {
                let mut entry = vec![(
                    "ports".to_string(),
                    Yaml::Seq(vec![Yaml::map([
                        ("port", Yaml::str(port.to_string())),
                        ("protocol", Yaml::str(proto.as_str())),
                    ])]),
                )];
                if let Some(rules) = port_rules(direction, used) {
                    entry.push(("rules".to_string(), rules));
                }
                Yaml::Map(entry)
            })
            .collect(),
    )
}

/// A peer with no HTTP record on a port where other peers have some gets a rule without
/// L7 rules, which allows it every request: say so.
fn l4_only_note(pods: &Pods, side: &SidePlan, notes: &mut BTreeSet<String>) {
    let http_ports: BTreeSet<(crate::Protocol, u16)> = side
        .peers
        .values()
        .flat_map(|ports| ports.iter())
        .filter(|(_, used)| !used.http.is_empty())
        .map(|(port, _)| *port)
        .collect();
    for (peer, ports) in &side.peers {
        for (port, used) in ports {
            if used.http.is_empty() && http_ports.contains(port) {
                let who = match peer {
                    PeerKey::Pods { namespace, labels } => format!(
                        "{namespace}/{}",
                        labels
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                    PeerKey::Cidr(c) => c.clone(),
                    PeerKey::Entity(e) => e.clone(),
                };
                notes.insert(format!(
                    "{}/{}: {who} reached {} {} with no HTTP record observed; its rule has no \
                     L7 rules, so any HTTP request from it is allowed",
                    pods.namespace,
                    pods.name(),
                    port.0,
                    port.1
                ));
            }
        }
    }
}

/// One CiliumNetworkPolicy for `pods` in `direction`.
pub(crate) fn policy(
    model: &Model,
    pods: &Pods,
    direction: Direction,
    side: &SidePlan,
    notes: &mut BTreeSet<String>,
) -> Option<(String, Yaml)> {
    if direction == Direction::Ingress {
        l4_only_note(pods, side, notes);
    }
    let (endpoints, cidr, entities, section) = match direction {
        Direction::Ingress => ("fromEndpoints", "fromCIDR", "fromEntities", "ingress"),
        Direction::Egress => ("toEndpoints", "toCIDR", "toEntities", "egress"),
    };
    let mut rules = Vec::new();
    for (peer, ports) in &side.peers {
        let (key, value) = match peer {
            PeerKey::Pods { namespace, labels } => {
                (endpoints, endpoint_selector(namespace, labels))
            }
            PeerKey::Cidr(c) => (cidr, Yaml::str(c)),
            PeerKey::Entity(e) => (entities, Yaml::str(e)),
        };
        rules.push(Yaml::map([
            (key, Yaml::Seq(vec![value])),
            ("toPorts", to_ports(direction, ports)),
        ]));
    }
    for (peer, kinds) in &side.icmp {
        let (key, value) = match peer {
            PeerKey::Pods { namespace, labels } => {
                (endpoints, endpoint_selector(namespace, labels))
            }
            PeerKey::Cidr(c) => (cidr, Yaml::str(c)),
            PeerKey::Entity(e) => (entities, Yaml::str(e)),
        };
        let fields = kinds
            .iter()
            .map(|(family, icmp_type)| {
                Yaml::map([
                    ("type", Yaml::Int(i64::from(*icmp_type))),
                    (
                        "family",
                        Yaml::str(match family {
                            Family::V4 => "IPv4",
                            Family::V6 => "IPv6",
                        }),
                    ),
                ])
            })
            .collect();
        rules.push(Yaml::map([
            (key, Yaml::Seq(vec![value])),
            (
                "icmps",
                Yaml::Seq(vec![Yaml::map([("fields", Yaml::Seq(fields))])]),
            ),
        ]));
    }
    if rules.is_empty() {
        return None;
    }
    let name = policy_name(model, pods, direction);
    let doc = Yaml::map([
        ("apiVersion", Yaml::str("cilium.io/v2")),
        ("kind", Yaml::str("CiliumNetworkPolicy")),
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
                ("endpointSelector", pods_selector(&pods.labels)),
                (section, Yaml::Seq(rules)),
            ]),
        ),
    ]);
    Some((name, doc))
}

#[cfg(test)]
mod tests {
    use super::path_regex;

    #[test]
    fn paths_become_anchored_literal_regexes() {
        assert_eq!(path_regex("/v1/items"), "^/v1/items$");
        assert_eq!(path_regex("/a.b/(c)+[d]|e$"), r"^/a\.b/\(c\)\+\[d\]\|e\$$");
    }
}
