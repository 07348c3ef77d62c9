//! Parsing admin policies, checking what the network-policy-api CRDs check: `priority`
//! 0..1000, exactly one subject field, `action` from the kind's list, `from`/`to` with at
//! least one peer and exactly one field per peer, `networks` as CIDRs, ports in 1..65535
//! with `start` < `end`, and the baseline object named `default`.

use palisade_core::selector::LabelSelector;
use palisade_core::yaml::Node;
use palisade_core::Object;
use serde_json::Value as Json;

use super::{AdminKind, AdminPeer, AdminPolicy, AdminPort, AdminRule, Subject, PRIORITY_RANGE};
use crate::conn::{Protocol, MAX_PORT, MIN_PORT};
use crate::diag::{Diagnostic, DiagnosticKind, Level};
use crate::eval::Action;
use crate::ip::{Cidr, IpSet};
use crate::policy::{check_port_name, label_selector, Direction};
use crate::reporter::Reporter;

type R<'a> = Reporter<'a>;

fn sel(r: &mut R, parent: &Node, key: &str, field: &str) -> Option<LabelSelector> {
    match label_selector(r.obj, r.diags, parent, key, field) {
        Ok(s) => Some(s.unwrap_or_default()),
        Err(()) => {
            r.rejected = true;
            None
        }
    }
}

/// Exactly one of `keys` set in `node`; its key, else a rejection.
fn one_of<'k>(r: &mut R, node: &Node, keys: &[&'k str], field: &str) -> Option<&'k str> {
    let set: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| R::child(node, k).is_some())
        .collect();
    match set.as_slice() {
        [one] => Some(one),
        _ => {
            r.reject(
                DiagnosticKind::InvalidPeer,
                node,
                field,
                format!("exactly one of {} must be set", keys.join(", ")),
            );
            None
        }
    }
}

fn pods_pair(r: &mut R, node: &Node, field: &str) -> Option<(LabelSelector, LabelSelector)> {
    let namespaces = sel(
        r,
        node,
        "namespaceSelector",
        &format!("{field}.namespaceSelector"),
    )?;
    let pods = sel(r, node, "podSelector", &format!("{field}.podSelector"))?;
    Some((namespaces, pods))
}

/// Parses an `AdminNetworkPolicy` or `BaselineAdminNetworkPolicy`.
pub fn parse(obj: &Object, diags: &mut Vec<Diagnostic>) -> Option<AdminPolicy> {
    let kind = if obj.is("BaselineAdminNetworkPolicy") {
        AdminKind::Baseline
    } else {
        AdminKind::Admin
    };
    let mut r = Reporter::new(obj, diags);
    let spec = obj.root.get("spec").unwrap_or(Node::null());
    if spec.as_map().is_none() {
        r.reject(
            DiagnosticKind::Malformed,
            spec,
            "spec",
            "`spec` must be a mapping".into(),
        );
        return None;
    }
    if kind == AdminKind::Baseline && obj.id.name != "default" {
        r.reject(
            DiagnosticKind::Malformed,
            obj.root.get("metadata").unwrap_or(&obj.root),
            "metadata.name",
            "a BaselineAdminNetworkPolicy must be named `default` (only one exists)".into(),
        );
    }
    let priority = match kind {
        AdminKind::Baseline => 0,
        AdminKind::Admin => priority(&mut r, spec).unwrap_or(0),
    };
    let subject = subject(&mut r, spec);
    let ingress = rules(&mut r, spec, kind, Direction::Ingress);
    let egress = rules(&mut r, spec, kind, Direction::Egress);
    if r.rejected {
        return None;
    }
    Some(AdminPolicy {
        object: std::sync::Arc::clone(&obj.id),
        kind,
        name: obj.id.name.clone(),
        location: obj.location(),
        priority,
        subject: subject?,
        ingress,
        egress,
    })
}

fn priority(r: &mut R, spec: &Node) -> Option<u32> {
    let node = R::child(spec, "priority");
    let value = node.map(Node::to_json);
    match value.as_ref().and_then(Json::as_i64) {
        Some(v) if PRIORITY_RANGE.contains(&v) => u32::try_from(v).ok(),
        _ => {
            let shown = value.map_or("(missing)".to_string(), |v| v.to_string());
            r.reject(
                DiagnosticKind::InvalidPriority,
                node.unwrap_or(spec),
                "spec.priority",
                format!("priority {shown} must be an integer from 0 to 1000"),
            );
            None
        }
    }
}

fn subject(r: &mut R, spec: &Node) -> Option<Subject> {
    let Some(node) = r.mapping(spec, "subject", "spec.subject") else {
        r.reject(
            DiagnosticKind::InvalidPeer,
            spec,
            "spec.subject",
            "`subject` is required".into(),
        );
        return None;
    };
    match one_of(r, node, &["namespaces", "pods"], "spec.subject")? {
        "namespaces" => {
            sel(r, node, "namespaces", "spec.subject.namespaces").map(Subject::Namespaces)
        }
        _ => {
            let pods = r.mapping(node, "pods", "spec.subject.pods")?;
            let (namespaces, pods) = pods_pair(r, pods, "spec.subject.pods")?;
            Some(Subject::Pods { namespaces, pods })
        }
    }
}

fn rules(r: &mut R, spec: &Node, kind: AdminKind, direction: Direction) -> Vec<AdminRule> {
    let (key, peers_key) = match direction {
        Direction::Ingress => ("ingress", "from"),
        Direction::Egress => ("egress", "to"),
    };
    let actions: &[(&str, Action)] = match kind {
        AdminKind::Admin => &[
            ("Allow", Action::Allow),
            ("Deny", Action::Deny),
            ("Pass", Action::Pass),
        ],
        AdminKind::Baseline => &[("Allow", Action::Allow), ("Deny", Action::Deny)],
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
        let action_node = item.get("action").unwrap_or(item);
        let text = action_node.as_str().unwrap_or("");
        let action = actions.iter().find(|(n, _)| *n == text).map(|(_, a)| *a);
        if action.is_none() {
            let names: Vec<&str> = actions.iter().map(|(n, _)| *n).collect();
            r.reject(
                DiagnosticKind::InvalidAction,
                action_node,
                &format!("{field}.action"),
                format!("unknown action `{text}`; use {}", names.join(", ")),
            );
        }
        let list = r.list(item, peers_key, &format!("{field}.{peers_key}"));
        if list.is_empty() {
            r.reject(
                DiagnosticKind::InvalidPeer,
                item,
                &format!("{field}.{peers_key}"),
                format!("`{peers_key}` needs at least one peer"),
            );
        }
        let peers: Vec<AdminPeer> = list
            .iter()
            .enumerate()
            .filter_map(|(j, n)| peer(r, n, direction, &format!("{field}.{peers_key}[{j}]")))
            .collect();
        let ports = R::child(item, "ports").map(|_| {
            r.list(item, "ports", &format!("{field}.ports"))
                .iter()
                .enumerate()
                .filter_map(|(j, n)| port(r, n, &format!("{field}.ports[{j}]")))
                .collect()
        });
        if let Some(action) = action {
            out.push(AdminRule {
                location: r.obj.location_of(item.pos),
                name: item.get("name").and_then(Node::as_str).map(str::to_string),
                action,
                peers,
                ports,
            });
        }
    }
    out
}

fn peer(r: &mut R, node: &Node, direction: Direction, field: &str) -> Option<AdminPeer> {
    let keys: &[&str] = match direction {
        Direction::Ingress => &["namespaces", "pods"],
        Direction::Egress => &["namespaces", "pods", "nodes", "networks"],
    };
    match one_of(r, node, keys, field)? {
        "namespaces" => {
            sel(r, node, "namespaces", &format!("{field}.namespaces")).map(AdminPeer::Namespaces)
        }
        "pods" => {
            let f = format!("{field}.pods");
            let inner = r.mapping(node, "pods", &f)?;
            let (namespaces, pods) = pods_pair(r, inner, &f)?;
            Some(AdminPeer::Pods { namespaces, pods })
        }
        "nodes" => {
            sel(r, node, "nodes", &format!("{field}.nodes"))?;
            r.report(
                Level::Warning,
                DiagnosticKind::NotModelled,
                node,
                &format!("{field}.nodes"),
                "nodes are not modelled; this peer matches nothing".into(),
            );
            Some(AdminPeer::Nodes)
        }
        _ => {
            let mut set = IpSet::empty();
            for (i, n) in r
                .list(node, "networks", &format!("{field}.networks"))
                .iter()
                .enumerate()
            {
                let text = n.as_str().unwrap_or("");
                match Cidr::parse(text) {
                    Ok(c) => set = set.union(&c.to_set()),
                    Err(why) => r.reject(
                        DiagnosticKind::InvalidCidr,
                        n,
                        &format!("{field}.networks[{i}]"),
                        why,
                    ),
                }
            }
            Some(AdminPeer::Networks(set))
        }
    }
}

fn number(r: &mut R, node: &Node, key: &str, field: &str) -> Option<u16> {
    let n = R::child(node, key);
    match n.map(Node::to_json).as_ref().and_then(Json::as_i64) {
        Some(v) if (i64::from(MIN_PORT)..=i64::from(MAX_PORT)).contains(&v) => {
            u16::try_from(v).ok()
        }
        other => {
            r.reject(
                DiagnosticKind::PortOutOfRange,
                n.unwrap_or(node),
                field,
                format!(
                    "{} is not a port number: must be between 1 and 65535, inclusive",
                    other.map_or("(missing)".to_string(), |v| v.to_string())
                ),
            );
            None
        }
    }
}

fn proto(r: &mut R, node: &Node, field: &str) -> Option<Protocol> {
    match R::child(node, "protocol") {
        None => Some(Protocol::Tcp),
        Some(n) => {
            let p = n.as_str().and_then(Protocol::parse);
            if p.is_none() {
                r.reject(
                    DiagnosticKind::InvalidProtocol,
                    n,
                    &format!("{field}.protocol"),
                    "protocol must be TCP, UDP or SCTP".into(),
                );
            }
            p
        }
    }
}

fn port(r: &mut R, node: &Node, field: &str) -> Option<AdminPort> {
    match one_of(r, node, &["portNumber", "namedPort", "portRange"], field)? {
        "portNumber" => {
            let f = format!("{field}.portNumber");
            let inner = r.mapping(node, "portNumber", &f)?;
            let p = proto(r, inner, &f);
            let n = number(r, inner, "port", &format!("{f}.port"));
            Some(AdminPort::Number(p?, n?))
        }
        "namedPort" => {
            let name = r.string(node, "namedPort", &format!("{field}.namedPort"))?;
            if let Err(why) = check_port_name(&name) {
                r.reject(
                    DiagnosticKind::InvalidPortName,
                    node.get("namedPort").unwrap_or(node),
                    &format!("{field}.namedPort"),
                    format!("`{name}` is not a valid port name: {why}"),
                );
                return None;
            }
            Some(AdminPort::Named(name))
        }
        _ => {
            let f = format!("{field}.portRange");
            let inner = r.mapping(node, "portRange", &f)?;
            let p = proto(r, inner, &f);
            let start = number(r, inner, "start", &format!("{f}.start"));
            let end = number(r, inner, "end", &format!("{f}.end"));
            let (p, start, end) = (p?, start?, end?);
            // The CRD's CEL rule: `self.start < self.end`.
            if start >= end {
                r.reject(
                    DiagnosticKind::InvalidEndPort,
                    inner,
                    &f,
                    format!("start {start} must be less than end {end}"),
                );
                return None;
            }
            Some(AdminPort::Range(p, start, end))
        }
    }
}

/// Warnings for AdminNetworkPolicies sharing a priority: the API leaves their order
/// undefined ("conflicting behavior is undefined"); this model orders them by name.
pub fn same_priority_warnings(policies: &[AdminPolicy]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, p) in policies.iter().enumerate() {
        let earlier = policies[..i]
            .iter()
            .find(|q| q.kind == AdminKind::Admin && q.priority == p.priority);
        if let (AdminKind::Admin, Some(q)) = (p.kind, earlier) {
            out.push(Diagnostic {
                level: Level::Warning,
                kind: DiagnosticKind::SamePriority,
                object: std::sync::Arc::clone(&p.object),
                location: p.location.clone(),
                field: "spec.priority".into(),
                message: format!(
                    "priority {} is also {}'s; the API leaves their order undefined, this \
                     analysis evaluates them by name",
                    p.priority, q.name
                ),
            });
        }
    }
    out
}
