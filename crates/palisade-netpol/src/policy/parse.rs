//! Parsing a NetworkPolicy object into its typed form, checking what
//! `ValidateNetworkPolicySpec` (pkg/apis/networking/validation) checks.

use std::sync::Arc;

use palisade_core::selector::LabelSelector;
use palisade_core::yaml::Node;
use palisade_core::Object;
use serde_json::Value as Json;

use super::{Direction, NetworkPolicy, Peer, PeerKind, PortMatch, PortSpec, Rule};
use crate::conn::{Protocol, MAX_PORT, MIN_PORT};
use crate::diag::{Diagnostic, DiagnosticKind, Level};
use crate::ip::Cidr;
use crate::labels;

struct Parser<'a> {
    obj: &'a Object,
    diags: &'a mut Vec<Diagnostic>,
    rejected: bool,
}

impl Parser<'_> {
    fn report(
        &mut self,
        level: Level,
        kind: DiagnosticKind,
        node: &Node,
        field: &str,
        message: String,
    ) {
        if level == Level::Rejected {
            self.rejected = true;
        }
        let pos = if node.pos.line == 0 {
            self.obj.root.pos
        } else {
            node.pos
        };
        self.diags.push(Diagnostic {
            level,
            kind,
            object: Arc::clone(&self.obj.id),
            location: self.obj.location_of(pos),
            field: field.to_string(),
            message,
        });
    }

    fn reject(&mut self, kind: DiagnosticKind, node: &Node, field: &str, message: String) {
        self.report(Level::Rejected, kind, node, field, message);
    }

    /// A list field: absent or null is empty; anything but a list is malformed.
    fn list<'n>(&mut self, parent: &'n Node, key: &str, field: &str) -> Option<&'n [Node]> {
        let node = parent.get(key).filter(|n| !n.is_null())?;
        match node.as_seq() {
            Some(items) => Some(items),
            None => {
                self.reject(
                    DiagnosticKind::Malformed,
                    node,
                    field,
                    format!("`{key}` must be a list"),
                );
                None
            }
        }
    }

    /// A label value must reach the API as a string: a plain `1` or `true` is a JSON number
    /// or bool there, which a `map[string]string` refuses to decode (null decodes as "").
    fn string_value(&mut self, node: &Node, field: &str) {
        match node.to_json() {
            Json::String(_) | Json::Null => {}
            other => self.reject(
                DiagnosticKind::Malformed,
                node,
                field,
                format!("{other} is not a string; quote it (\"{other}\")"),
            ),
        }
    }

    /// What `ValidateLabelSelector` checks, each problem at its own line: the shape of
    /// `matchLabels` and `matchExpressions`, label keys and values, operators.
    fn check_selector_syntax(&mut self, node: &Node, field: &str) {
        if node.as_map().is_none() {
            return; // `LabelSelector::parse` reports a selector that is not a mapping
        }
        let labels = node.get("matchLabels").filter(|n| !n.is_null());
        if let Some(labels) = labels.filter(|l| l.as_map().is_none()) {
            let f = format!("{field}.matchLabels");
            self.reject(
                DiagnosticKind::Malformed,
                labels,
                &f,
                "must be a mapping".into(),
            );
        }
        for e in labels.map(Node::entries).unwrap_or_default() {
            let key = e.key.scalar_text().unwrap_or("");
            let f = format!("{field}.matchLabels.{key}");
            self.string_value(&e.value, &f);
            let value = e.value.scalar_text().unwrap_or("");
            for problem in [labels::check_key(key), labels::check_value(value)] {
                if let Err(why) = problem {
                    self.reject(DiagnosticKind::InvalidSelector, &e.key, &f, why);
                }
            }
        }
        let exprs = node.get("matchExpressions").filter(|n| !n.is_null());
        if let Some(exprs) = exprs.filter(|l| l.as_seq().is_none()) {
            let f = format!("{field}.matchExpressions");
            self.reject(
                DiagnosticKind::Malformed,
                exprs,
                &f,
                "must be a list".into(),
            );
        }
        for (i, expr) in exprs
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let f = format!("{field}.matchExpressions[{i}]");
            if let Err(why) =
                labels::check_key(expr.get("key").and_then(Node::as_str).unwrap_or(""))
            {
                let at = expr.get("key").unwrap_or(expr);
                self.reject(
                    DiagnosticKind::InvalidSelector,
                    at,
                    &format!("{f}.key"),
                    why,
                );
            }
            let op = expr.get("operator");
            let text = op.and_then(Node::as_str);
            if !matches!(text, Some("In" | "NotIn" | "Exists" | "DoesNotExist")) {
                self.reject(
                    DiagnosticKind::InvalidSelector,
                    op.unwrap_or(expr),
                    &format!("{f}.operator"),
                    format!(
                        "unknown selector operator {}; use In, NotIn, Exists or DoesNotExist",
                        text.map_or("(missing)".to_string(), |t| format!("`{t}`"))
                    ),
                );
            }
            for (j, v) in expr
                .get("values")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                self.string_value(v, &format!("{f}.values[{j}]"));
                if let Err(why) = labels::check_value(v.scalar_text().unwrap_or("")) {
                    self.reject(
                        DiagnosticKind::InvalidSelector,
                        v,
                        &format!("{f}.values[{j}]"),
                        why,
                    );
                }
            }
        }
    }

    /// A label selector; `None` when absent or null (a nil pointer to the API).
    fn selector(&mut self, parent: &Node, key: &str, field: &str) -> Option<LabelSelector> {
        let node = parent.get(key).filter(|n| !n.is_null())?;
        let before = self.diags.len();
        self.check_selector_syntax(node, field);
        match LabelSelector::parse(node) {
            Ok(sel) if self.diags.len() == before => Some(sel),
            Ok(_) => None,
            Err(message) => {
                if self.diags.len() == before {
                    self.reject(DiagnosticKind::InvalidSelector, node, field, message);
                }
                None
            }
        }
    }
}

/// Parses one NetworkPolicy object. Problems go to `diags`; `None` when the API server
/// would reject the policy.
pub fn parse(obj: &Object, diags: &mut Vec<Diagnostic>) -> Option<NetworkPolicy> {
    let mut p = Parser {
        obj,
        diags,
        rejected: false,
    };
    let spec = obj.root.get("spec").unwrap_or(Node::null());
    if !spec.is_null() && spec.as_map().is_none() {
        p.reject(
            DiagnosticKind::Malformed,
            spec,
            "spec",
            "`spec` must be a mapping".into(),
        );
        return None;
    }
    // `spec.podSelector` is not a pointer: missing and null both decode to `{}`.
    let pod_selector = p
        .selector(spec, "podSelector", "spec.podSelector")
        .unwrap_or_default();
    let ingress = rules(&mut p, spec, Direction::Ingress);
    let egress = rules(&mut p, spec, Direction::Egress);
    let (affects_ingress, affects_egress) = policy_types(&mut p, spec, !egress.is_empty());
    if p.rejected {
        return None;
    }
    Some(NetworkPolicy {
        object: Arc::clone(&obj.id),
        namespace: super::namespace_of(obj),
        name: obj.id.name.clone(),
        location: obj.location(),
        pod_selector,
        affects_ingress,
        affects_egress,
        ingress,
        egress,
    })
}

/// `policyTypes`, defaulted as `SetDefaults_NetworkPolicy` does: Ingress always, Egress
/// when the policy has egress rules.
fn policy_types(p: &mut Parser, spec: &Node, has_egress_rules: bool) -> (bool, bool) {
    let Some(items) = p.list(spec, "policyTypes", "spec.policyTypes") else {
        return (true, has_egress_rules);
    };
    if items.is_empty() {
        return (true, has_egress_rules);
    }
    if items.len() > 2 {
        let node = spec.get("policyTypes").unwrap_or(spec);
        p.reject(
            DiagnosticKind::InvalidPolicyType,
            node,
            "spec.policyTypes",
            "may not specify more than two policyTypes".into(),
        );
    }
    let (mut ingress, mut egress) = (false, false);
    for (i, item) in items.iter().enumerate() {
        match item.to_json() {
            Json::String(s) if s == "Ingress" => ingress = true,
            Json::String(s) if s == "Egress" => egress = true,
            other => p.reject(
                DiagnosticKind::InvalidPolicyType,
                item,
                &format!("spec.policyTypes[{i}]"),
                format!("unsupported policy type {other}; use Ingress or Egress"),
            ),
        }
    }
    (ingress, egress)
}

fn rules(p: &mut Parser, spec: &Node, direction: Direction) -> Vec<Rule> {
    let (key, peers_key) = match direction {
        Direction::Ingress => ("ingress", "from"),
        Direction::Egress => ("egress", "to"),
    };
    let Some(items) = p.list(spec, key, &format!("spec.{key}")) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = format!("spec.{key}[{i}]");
        if !item.is_null() && item.as_map().is_none() {
            p.reject(
                DiagnosticKind::Malformed,
                item,
                &field,
                "a rule must be a mapping".into(),
            );
            continue;
        }
        let peers = p
            .list(item, peers_key, &format!("{field}.{peers_key}"))
            .filter(|l| !l.is_empty())
            .map(|list| {
                list.iter()
                    .enumerate()
                    .filter_map(|(j, n)| peer(p, n, &format!("{field}.{peers_key}[{j}]")))
                    .collect()
            });
        let ports = p
            .list(item, "ports", &format!("{field}.ports"))
            .filter(|l| !l.is_empty())
            .map(|list| {
                list.iter()
                    .enumerate()
                    .filter_map(|(j, n)| port(p, n, &format!("{field}.ports[{j}]")))
                    .collect()
            });
        out.push(Rule {
            location: p.obj.location_of(item.pos),
            peers,
            ports,
        });
    }
    out
}

/// One peer, as `ValidateNetworkPolicyPeer` and `ValidateIPBlock` check it.
fn peer(p: &mut Parser, node: &Node, field: &str) -> Option<Peer> {
    if node.as_map().is_none() {
        p.reject(
            DiagnosticKind::InvalidPeer,
            node,
            field,
            "must specify a peer".into(),
        );
        return None;
    }
    let has = |k: &str| node.get(k).is_some_and(|n| !n.is_null());
    let location = p.obj.location_of(node.pos);
    let ip_block = node.get("ipBlock").filter(|n| !n.is_null());
    if let Some(ip) = ip_block {
        if has("podSelector") || has("namespaceSelector") {
            p.reject(
                DiagnosticKind::InvalidPeer,
                node,
                field,
                "may not specify both ipBlock and another peer".into(),
            );
        }
        let kind = ip_block_peer(p, ip, &format!("{field}.ipBlock"))?;
        return Some(Peer { location, kind });
    }
    let pods_present = has("podSelector");
    let namespaces_present = has("namespaceSelector");
    if !pods_present && !namespaces_present {
        p.reject(
            DiagnosticKind::InvalidPeer,
            node,
            field,
            "must specify a peer".into(),
        );
        return None;
    }
    let pods = p.selector(node, "podSelector", &format!("{field}.podSelector"));
    let namespaces = p.selector(
        node,
        "namespaceSelector",
        &format!("{field}.namespaceSelector"),
    );
    if pods_present != pods.is_some() || namespaces_present != namespaces.is_some() {
        return None; // an invalid selector, already reported
    }
    Some(Peer {
        location,
        kind: PeerKind::Selectors { pods, namespaces },
    })
}

fn ip_block_peer(p: &mut Parser, node: &Node, field: &str) -> Option<PeerKind> {
    let cidr_node = node.get("cidr").unwrap_or(node);
    let cidr_text = cidr_node.as_str().unwrap_or("").to_string();
    if cidr_text.is_empty() {
        p.reject(
            DiagnosticKind::InvalidCidr,
            cidr_node,
            &format!("{field}.cidr"),
            "`cidr` is required".into(),
        );
        return None;
    }
    let cidr = match Cidr::parse(&cidr_text) {
        Ok(c) => c,
        Err(message) => {
            p.reject(
                DiagnosticKind::InvalidCidr,
                cidr_node,
                &format!("{field}.cidr"),
                message,
            );
            return None;
        }
    };
    host_bits_warning(p, cidr_node, &format!("{field}.cidr"), &cidr, &cidr_text);
    let mut addresses = cidr.to_set();
    let mut except = Vec::new();
    let mut ok = true;
    for (i, e) in p
        .list(node, "except", &format!("{field}.except"))
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let efield = format!("{field}.except[{i}]");
        let text = e.as_str().unwrap_or("").to_string();
        match Cidr::parse(&text) {
            Err(message) => {
                p.reject(DiagnosticKind::InvalidCidr, e, &efield, message);
                ok = false;
            }
            // `ValidateIPBlock`: the except must lie inside the cidr and be strictly smaller.
            Ok(ex) if !cidr.contains(&ex) || ex.prefix <= cidr.prefix => {
                p.reject(
                    DiagnosticKind::ExceptOutsideCidr,
                    e,
                    &efield,
                    format!("`{text}` must be a strict subset of `cidr` `{cidr_text}`"),
                );
                ok = false;
            }
            Ok(ex) => {
                host_bits_warning(p, e, &efield, &ex, &text);
                addresses = addresses.difference(&ex.to_set());
                except.push(text);
            }
        }
    }
    ok.then_some(PeerKind::IpBlock {
        cidr: cidr_text,
        except,
        addresses,
    })
}

fn host_bits_warning(p: &mut Parser, node: &Node, field: &str, cidr: &Cidr, text: &str) {
    if cidr.had_host_bits {
        p.report(
            Level::Warning,
            DiagnosticKind::CidrHostBits,
            node,
            field,
            format!(
                "`{text}` has bits set past its prefix; it means {} (strict CIDR validation \
                 would reject it)",
                cidr.to_set()
            ),
        );
    }
}

/// One ports entry, as `ValidateNetworkPolicyPort` checks it.
fn port(p: &mut Parser, node: &Node, field: &str) -> Option<PortSpec> {
    if node.as_map().is_none() && !node.is_null() {
        p.reject(
            DiagnosticKind::Malformed,
            node,
            field,
            "a ports entry must be a mapping".into(),
        );
        return None;
    }
    let before = p.rejected;
    p.rejected = false;
    let protocol = match node.get("protocol").filter(|n| !n.is_null()) {
        None => Protocol::Tcp,
        Some(n) => {
            let json = n.to_json();
            match json.as_str().and_then(Protocol::parse) {
                Some(protocol) => protocol,
                None => {
                    p.reject(
                        DiagnosticKind::InvalidProtocol,
                        n,
                        &format!("{field}.protocol"),
                        format!("unsupported protocol {json}; use TCP, UDP or SCTP (case matters)"),
                    );
                    Protocol::Tcp
                }
            }
        }
    };
    let port_node = node.get("port").filter(|n| !n.is_null());
    let end_node = node.get("endPort").filter(|n| !n.is_null());
    let port = match port_node.map(|n| (n, n.to_json())) {
        None => PortMatch::Any,
        Some((n, Json::String(name))) => {
            if let Err(why) = check_port_name(&name) {
                p.reject(
                    DiagnosticKind::InvalidPortName,
                    n,
                    &format!("{field}.port"),
                    format!("`{name}` is not a valid port name: {why}"),
                );
            }
            PortMatch::Named(name)
        }
        Some((n, Json::Number(num))) => match port_number(p, n, &num, &format!("{field}.port")) {
            Some(v) => PortMatch::Range(v, v),
            None => PortMatch::Any,
        },
        Some((n, other)) => {
            p.reject(
                DiagnosticKind::Malformed,
                n,
                &format!("{field}.port"),
                format!("`port` must be a number or a port name, not {other}"),
            );
            PortMatch::Any
        }
    };
    let port = match (end_node, port) {
        (None, port) => port,
        (Some(n), PortMatch::Range(start, _)) => match n.to_json() {
            Json::Number(num) => match port_number(p, n, &num, &format!("{field}.endPort")) {
                Some(end) if end < start => {
                    p.reject(
                        DiagnosticKind::InvalidEndPort,
                        n,
                        &format!("{field}.endPort"),
                        format!("endPort {end} must be greater than or equal to port {start}"),
                    );
                    PortMatch::Range(start, start)
                }
                Some(end) => PortMatch::Range(start, end),
                None => PortMatch::Range(start, start),
            },
            other => {
                p.reject(
                    DiagnosticKind::Malformed,
                    n,
                    &format!("{field}.endPort"),
                    format!("`endPort` must be a number, not {other}"),
                );
                PortMatch::Range(start, start)
            }
        },
        (Some(n), port) => {
            let why = match port {
                PortMatch::Named(_) => "may not be specified when `port` is non-numeric",
                _ => "may not be specified when `port` is not specified",
            };
            p.reject(
                DiagnosticKind::InvalidEndPort,
                n,
                &format!("{field}.endPort"),
                why.into(),
            );
            port
        }
    };
    let this_rejected = p.rejected;
    p.rejected = before || this_rejected;
    (!this_rejected).then(|| PortSpec {
        location: p.obj.location_of(node.pos),
        field: field.to_string(),
        protocol,
        port,
    })
}

/// A port number in 1..65535 (`IsValidPortNum`), else a diagnostic.
fn port_number(p: &mut Parser, node: &Node, num: &serde_json::Number, field: &str) -> Option<u16> {
    match num.as_i64() {
        Some(v) if (i64::from(MIN_PORT)..=i64::from(MAX_PORT)).contains(&v) => {
            u16::try_from(v).ok()
        }
        Some(v) => {
            p.reject(
                DiagnosticKind::PortOutOfRange,
                node,
                field,
                format!("{v} is not a port number: must be between 1 and 65535, inclusive"),
            );
            None
        }
        None => {
            p.reject(
                DiagnosticKind::Malformed,
                node,
                field,
                format!("{num} is not an integer"),
            );
            None
        }
    }
}

/// `IsValidPortName`: an IANA service name, 1-15 characters of `a-z`, `0-9` and `-`, with a
/// letter, no leading, trailing or doubled hyphen.
pub fn check_port_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 15 {
        return Err("must be no more than 15 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("must contain only lowercase alphanumeric characters or '-'");
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        return Err("must contain at least one letter");
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Err("must not start or end with '-' or contain '--'");
    }
    Ok(())
}

/// A Kubernetes label selector at `parent.key` checked as `ValidateLabelSelector` checks it,
/// for the other policy kinds that embed one (AdminNetworkPolicy). `Ok(None)` when absent
/// or null; `Err(())` when invalid, with the problems pushed to `diags` as rejections.
pub(crate) fn label_selector(
    obj: &Object,
    diags: &mut Vec<Diagnostic>,
    parent: &Node,
    key: &str,
    field: &str,
) -> Result<Option<LabelSelector>, ()> {
    let mut p = Parser {
        obj,
        diags,
        rejected: false,
    };
    let present = parent.get(key).is_some_and(|n| !n.is_null());
    let sel = p.selector(parent, key, field);
    if p.rejected || (present && sel.is_none()) {
        Err(())
    } else {
        Ok(sel)
    }
}
