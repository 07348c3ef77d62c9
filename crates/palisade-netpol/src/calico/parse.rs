//! Parsing Calico policies and tiers, checking what Calico's v3 validator checks
//! (`validateRule`, `validateEntityRule`, selectors through `parser.Validate`, ports through
//! `numorstring.PortFromString`) and reporting every problem at its line.

use palisade_core::yaml::Node;
use palisade_core::Object;
use serde_json::Value as Json;

use super::{
    CalicoKind, CalicoPolicy, CalicoPort, CalicoRule, EntityRule, ProtocolMatch, Selector,
    ServiceAccountMatch, Tier, DEFAULT_TIER,
};
use crate::conn::{Protocol, MAX_PORT, MIN_PORT};
use crate::diag::{Diagnostic, DiagnosticKind};
use crate::eval::Action;
use crate::ip::{Cidr, Family, IpSet};
use crate::policy::{check_port_name, namespace_of, Direction};
use crate::reporter::Reporter;

type R<'a> = Reporter<'a>;

/// A selector string at `parent.key`; an unparsable one is a rejection. The empty string
/// is the same as leaving the field out (Calico's `getEndpointSelector` tests `!= ""`).
fn selector(r: &mut R, parent: &Node, key: &str, field: &str) -> Option<Selector> {
    let text = r.string(parent, key, field).filter(|t| !t.is_empty())?;
    match Selector::parse(&text) {
        Ok(s) => Some(s),
        Err(why) => {
            let node = parent.get(key).unwrap_or(parent);
            r.reject(
                DiagnosticKind::InvalidCalicoSelector,
                node,
                field,
                format!("selector `{text}` does not parse: {why}; the policy matches nothing"),
            );
            None
        }
    }
}

/// A number field (`order`).
fn number(r: &mut R, parent: &Node, key: &str, field: &str) -> Option<f64> {
    let node = R::child(parent, key)?;
    match node.to_json() {
        Json::Number(n) => n.as_f64(),
        other => {
            r.reject(
                DiagnosticKind::InvalidPriority,
                node,
                field,
                format!("`{key}` must be a number, not {other}"),
            );
            None
        }
    }
}

/// Parses a Calico `NetworkPolicy` or `GlobalNetworkPolicy`. `None` when Calico would
/// refuse it (problems go to `diags`) or when it can only apply to host endpoints.
pub fn parse_policy(obj: &Object, diags: &mut Vec<Diagnostic>) -> Option<CalicoPolicy> {
    let kind = if obj.is("GlobalNetworkPolicy") {
        CalicoKind::GlobalNetworkPolicy
    } else {
        CalicoKind::NetworkPolicy
    };
    let mut r = Reporter::new(obj, diags);
    let spec = obj.root.get("spec").unwrap_or(Node::null());
    if !spec.is_null() && spec.as_map().is_none() {
        r.reject(
            DiagnosticKind::Malformed,
            spec,
            "spec",
            "`spec` must be a mapping".into(),
        );
        return None;
    }
    let tier = r
        .string(spec, "tier", "spec.tier")
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| DEFAULT_TIER.to_string());
    let tier_location = obj.location_of(spec.get("tier").map_or(obj.root.pos, |n| n.pos));
    let order = number(&mut r, spec, "order", "spec.order");
    let sel = selector(&mut r, spec, "selector", "spec.selector").unwrap_or_else(Selector::all);
    let namespace_selector = match kind {
        CalicoKind::GlobalNetworkPolicy => {
            selector(&mut r, spec, "namespaceSelector", "spec.namespaceSelector")
        }
        CalicoKind::NetworkPolicy => None,
    };
    let service_account_selector = selector(
        &mut r,
        spec,
        "serviceAccountSelector",
        "spec.serviceAccountSelector",
    );
    let ingress = rules(&mut r, spec, Direction::Ingress);
    let egress = rules(&mut r, spec, Direction::Egress);
    let (affects_ingress, affects_egress) = types(&mut r, spec, &ingress, &egress);
    for flag in ["doNotTrack", "preDNAT"] {
        if let Some(node) = R::child(spec, flag).filter(|n| n.as_bool() == Some(true)) {
            r.warn(
                DiagnosticKind::NotModelled,
                node,
                &format!("spec.{flag}"),
                format!("`{flag}` policies apply to host endpoints only, which this model does not represent; the policy is left out"),
            );
            return None;
        }
    }
    if r.rejected {
        return None;
    }
    Some(CalicoPolicy {
        object: std::sync::Arc::clone(&obj.id),
        kind,
        namespace: (kind == CalicoKind::NetworkPolicy).then(|| namespace_of(obj)),
        name: obj.id.name.clone(),
        location: obj.location(),
        tier,
        tier_location,
        order,
        selector: sel,
        namespace_selector,
        service_account_selector,
        affects_ingress,
        affects_egress,
        ingress,
        egress,
    })
}

/// `spec.types`, defaulted as the Calico docs say: Ingress when only ingress rules (or
/// none at all), Egress when only egress rules, both when both.
fn types(r: &mut R, spec: &Node, ingress: &[CalicoRule], egress: &[CalicoRule]) -> (bool, bool) {
    let items = r.list(spec, "types", "spec.types");
    if items.is_empty() {
        let has_egress = !egress.is_empty();
        return (!ingress.is_empty() || !has_egress, has_egress);
    }
    let (mut i, mut e) = (false, false);
    for (k, item) in items.iter().enumerate() {
        match item.as_str() {
            Some("Ingress") => i = true,
            Some("Egress") => e = true,
            _ => r.reject(
                DiagnosticKind::InvalidPolicyType,
                item,
                &format!("spec.types[{k}]"),
                "a policy type is `Ingress` or `Egress`".into(),
            ),
        }
    }
    (i, e)
}

fn rules(r: &mut R, spec: &Node, direction: Direction) -> Vec<CalicoRule> {
    let key = match direction {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    };
    let mut out = Vec::new();
    for (i, item) in r.list(spec, key, &format!("spec.{key}")).iter().enumerate() {
        let field = format!("spec.{key}[{i}]");
        if item.as_map().is_none() {
            r.reject(
                DiagnosticKind::Malformed,
                item,
                &field,
                "a rule must be a mapping".into(),
            );
            continue;
        }
        if let Some(rule) = rule(r, item, &field) {
            out.push(rule);
        }
    }
    out
}

fn action(r: &mut R, item: &Node, field: &str, allowed: &[(&str, Action)]) -> Option<Action> {
    let node = item.get("action").unwrap_or(item);
    let text = node.as_str().unwrap_or("");
    match allowed.iter().find(|(name, _)| *name == text) {
        Some((_, a)) => Some(*a),
        None => {
            let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
            let shown = if text.is_empty() {
                "(missing)".to_string()
            } else {
                format!("`{text}`")
            };
            r.reject(
                DiagnosticKind::InvalidAction,
                node,
                &format!("{field}.action"),
                format!("unknown action {shown}; use {}", names.join(", ")),
            );
            None
        }
    }
}

/// The actions a Calico rule may take.
const CALICO_ACTIONS: &[(&str, Action)] = &[
    ("Allow", Action::Allow),
    ("Deny", Action::Deny),
    ("Log", Action::Log),
    ("Pass", Action::Pass),
];

fn rule(r: &mut R, item: &Node, field: &str) -> Option<CalicoRule> {
    let action = action(r, item, field, CALICO_ACTIONS);
    let protocol = protocol(r, item, "protocol", &format!("{field}.protocol"));
    let not_protocol = protocol_of(r, item, "notProtocol", &format!("{field}.notProtocol"));
    let ip_version = match R::child(item, "ipVersion").map(|n| (n, n.as_i64())) {
        None => None,
        Some((_, Some(4))) => Some(Family::V4),
        Some((_, Some(6))) => Some(Family::V6),
        Some((n, _)) => {
            r.reject(
                DiagnosticKind::Malformed,
                n,
                &format!("{field}.ipVersion"),
                "`ipVersion` is 4 or 6".into(),
            );
            None
        }
    };
    let source = entity(r, item, "source", &format!("{field}.source"));
    let destination = entity(r, item, "destination", &format!("{field}.destination"));
    let mut unmodelled = false;
    // `validateRule`: ports need a protocol that has ports.
    let has_ports = [&source, &destination]
        .iter()
        .any(|e| !e.ports.is_empty() || !e.not_ports.is_empty());
    if has_ports && !matches!(protocol, Some(ProtocolMatch::Known(_))) {
        r.reject(
            DiagnosticKind::InvalidProtocol,
            item.get("protocol").unwrap_or(item),
            &format!("{field}.protocol"),
            "ports may only be used with protocol TCP, UDP or SCTP".into(),
        );
    }
    if !source.ports.is_empty() || !source.not_ports.is_empty() {
        unmodelled = true;
        r.warn(
            DiagnosticKind::NotModelled,
            item.get("source").unwrap_or(item),
            &format!("{field}.source.ports"),
            "source ports are not modelled (connections are judged by destination port); \
             this rule is treated as matching nothing"
                .into(),
        );
    }
    if let Some(http) = R::child(item, "http") {
        unmodelled = true;
        r.warn(
            DiagnosticKind::NotModelled,
            http,
            &format!("{field}.http"),
            "HTTP matches are not modelled; this rule is treated as matching nothing".into(),
        );
    }
    Some(CalicoRule {
        location: r.obj.location_of(item.pos),
        action: action?,
        protocol,
        not_protocol,
        ip_version,
        source,
        destination,
        unmodelled,
    })
}

fn protocol(r: &mut R, item: &Node, key: &str, field: &str) -> Option<ProtocolMatch> {
    protocol_of(r, item, key, field)
}

/// A protocol as `numorstring.Protocol` accepts it: a name (TCP, UDP, ICMP, ICMPv6, SCTP,
/// UDPLite; any case) or a number 1..255.
fn protocol_of(r: &mut R, item: &Node, key: &str, field: &str) -> Option<ProtocolMatch> {
    let node = R::child(item, key)?;
    let by_number = |n: i64| match n {
        6 => Some(ProtocolMatch::Known(Protocol::Tcp)),
        17 => Some(ProtocolMatch::Known(Protocol::Udp)),
        132 => Some(ProtocolMatch::Known(Protocol::Sctp)),
        1..=255 => Some(ProtocolMatch::Other(n.to_string())),
        _ => None,
    };
    let parsed = match node.to_json() {
        Json::Number(n) => n.as_i64().and_then(by_number),
        Json::String(s) => match Protocol::parse_loose(&s) {
            Some(p) => Some(ProtocolMatch::Known(p)),
            None if ["ICMP", "ICMPv6", "UDPLite"]
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&s)) =>
            {
                Some(ProtocolMatch::Other(s))
            }
            None => s.parse::<i64>().ok().and_then(by_number),
        },
        _ => None,
    };
    if parsed.is_none() {
        r.reject(
            DiagnosticKind::InvalidProtocol,
            node,
            field,
            "unsupported protocol; use TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number 1-255"
                .into(),
        );
    }
    parsed
}

fn entity(r: &mut R, item: &Node, key: &str, field: &str) -> EntityRule {
    let Some(node) = r.mapping(item, key, field) else {
        return EntityRule::default();
    };
    let service_accounts = r
        .mapping(node, "serviceAccounts", &format!("{field}.serviceAccounts"))
        .map(|sa| ServiceAccountMatch {
            names: r
                .list(sa, "names", &format!("{field}.serviceAccounts.names"))
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect(),
            selector: selector(
                r,
                sa,
                "selector",
                &format!("{field}.serviceAccounts.selector"),
            ),
        });
    EntityRule {
        selector: selector(r, node, "selector", &format!("{field}.selector")),
        not_selector: selector(r, node, "notSelector", &format!("{field}.notSelector")),
        namespace_selector: selector(
            r,
            node,
            "namespaceSelector",
            &format!("{field}.namespaceSelector"),
        ),
        service_accounts,
        nets: nets(r, node, "nets", &format!("{field}.nets")),
        not_nets: nets(r, node, "notNets", &format!("{field}.notNets")),
        ports: ports(r, node, "ports", &format!("{field}.ports")),
        not_ports: ports(r, node, "notPorts", &format!("{field}.notPorts")),
    }
}

/// `nets`: CIDRs or plain addresses (`ParseCIDROrIP`); `None` when empty.
fn nets(r: &mut R, node: &Node, key: &str, field: &str) -> Option<IpSet> {
    let mut out: Option<IpSet> = None;
    for (i, n) in r.list(node, key, field).iter().enumerate() {
        let text = n.as_str().unwrap_or("");
        let full = if text.contains('/') {
            text.to_string()
        } else if text.contains(':') {
            format!("{text}/128")
        } else {
            format!("{text}/32")
        };
        match Cidr::parse(&full) {
            Ok(c) => out = Some(out.unwrap_or_default().union(&c.to_set())),
            Err(why) => r.reject(
                DiagnosticKind::InvalidCidr,
                n,
                &format!("{field}[{i}]"),
                format!("`{text}` is not a CIDR or address: {why}"),
            ),
        }
    }
    out
}

fn port_number(r: &mut R, n: &Node, field: &str, v: i64) -> Option<u16> {
    if (i64::from(MIN_PORT)..=i64::from(MAX_PORT)).contains(&v) {
        u16::try_from(v).ok()
    } else {
        r.reject(
            DiagnosticKind::PortOutOfRange,
            n,
            field,
            format!("{v} is not a port number: must be between 1 and 65535, inclusive"),
        );
        None
    }
}

/// `ports`: numbers, `"first:last"` ranges and named ports (`numorstring.PortFromString`).
fn ports(r: &mut R, node: &Node, key: &str, field: &str) -> Vec<CalicoPort> {
    let mut out = Vec::new();
    for (i, n) in r.list(node, key, field).iter().enumerate() {
        let f = format!("{field}[{i}]");
        let entry = match n.to_json() {
            Json::Number(num) => num
                .as_i64()
                .and_then(|v| port_number(r, n, &f, v))
                .map(|p| CalicoPort::Range(p, p)),
            Json::String(s) => {
                if let Some((a, b)) = s.split_once(':') {
                    match (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
                        (Ok(a), Ok(b)) => {
                            let (a, b) = (port_number(r, n, &f, a), port_number(r, n, &f, b));
                            match (a, b) {
                                (Some(a), Some(b)) if a <= b => Some(CalicoPort::Range(a, b)),
                                (Some(a), Some(b)) => {
                                    r.reject(
                                        DiagnosticKind::PortOutOfRange,
                                        n,
                                        &f,
                                        format!("range `{s}` ends ({b}) before it starts ({a})"),
                                    );
                                    None
                                }
                                _ => None,
                            }
                        }
                        _ => {
                            r.reject(
                                DiagnosticKind::Malformed,
                                n,
                                &f,
                                format!("`{s}` is not a port range `first:last`"),
                            );
                            None
                        }
                    }
                } else if let Ok(v) = s.parse::<i64>() {
                    port_number(r, n, &f, v).map(|p| CalicoPort::Range(p, p))
                } else {
                    match check_port_name(&s) {
                        Ok(()) => Some(CalicoPort::Named(s)),
                        Err(why) => {
                            r.reject(
                                DiagnosticKind::InvalidPortName,
                                n,
                                &f,
                                format!("`{s}` is not a valid port name: {why}"),
                            );
                            None
                        }
                    }
                }
            }
            other => {
                r.reject(
                    DiagnosticKind::Malformed,
                    n,
                    &f,
                    format!("a port is a number, a range or a name, not {other}"),
                );
                None
            }
        };
        out.extend(entry);
    }
    out
}

/// Parses a `projectcalico.org/v3` `Tier`.
pub fn parse_tier(obj: &Object, diags: &mut Vec<Diagnostic>) -> Option<Tier> {
    let mut r = Reporter::new(obj, diags);
    let spec = obj.root.get("spec").unwrap_or(Node::null());
    let order = number(&mut r, spec, "order", "spec.order");
    let default_action = match R::child(spec, "defaultAction") {
        None => Some(Action::Deny),
        Some(n) => match n.as_str() {
            Some("Deny") => Some(Action::Deny),
            Some("Pass") => Some(Action::Pass),
            _ => {
                r.reject(
                    DiagnosticKind::InvalidAction,
                    n,
                    "spec.defaultAction",
                    "a tier's defaultAction is `Deny` or `Pass`".into(),
                );
                None
            }
        },
    };
    if r.rejected {
        return None;
    }
    Some(Tier {
        name: obj.id.name.clone(),
        order,
        default_action: default_action?,
        location: Some(obj.location()),
    })
}
