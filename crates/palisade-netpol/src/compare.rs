//! What-if: the connections two snapshots allow, compared pair by pair, and the critical
//! flows a change would cut off.
//!
//! Workloads are matched by `Kind/namespace/name`; one that exists on one side only has
//! nothing allowed on the other. External address classes differ between snapshots (each
//! is cut by the ipBlocks its own policies mention), so they are compared on the common
//! refinement: every non-empty intersection of an old class with a new class, each judged
//! by the class it lies in on each side.

use std::collections::BTreeMap;

use palisade_core::inventory::LoadLimits;
use palisade_core::yaml::{self, Node};

use crate::conn::{ConnectionSet, Protocol};
use crate::ip::{parse_addr, IpSet};
use crate::matrix::Matrix;
use crate::model::{Endpoint, EndpointId, Model};

/// One snapshot: its model and matrix.
pub struct Snapshot<'a> {
    /// The model.
    pub model: &'a Model,
    /// Its matrix.
    pub matrix: &'a Matrix,
}

/// An end of a compared pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum End {
    /// A workload, `Kind/namespace/name`.
    Workload(String),
    /// Addresses outside the cluster that both snapshots treat alike.
    External(IpSet),
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Workload(w) => f.write_str(w),
            End::External(ips) => write!(f, "{ips}"),
        }
    }
}

/// A pair whose allowed connections differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Source.
    pub src: End,
    /// Destination.
    pub dst: End,
    /// Allowed before.
    pub before: ConnectionSet,
    /// Allowed after.
    pub after: ConnectionSet,
}

impl Change {
    /// What the new snapshot allows that the old did not.
    pub fn added(&self) -> ConnectionSet {
        self.after.difference(&self.before)
    }

    /// What the old snapshot allowed that the new does not.
    pub fn removed(&self) -> ConnectionSet {
        self.before.difference(&self.after)
    }
}

/// Every pair whose allowed connections differ, sorted by source then destination.
pub fn compare(old: &Snapshot<'_>, new: &Snapshot<'_>) -> Vec<Change> {
    let old_w = workloads(old.model);
    let new_w = workloads(new.model);
    let mut names: Vec<&String> = old_w.keys().chain(new_w.keys()).collect();
    names.sort();
    names.dedup();
    let pieces = refinement(old.model, new.model);
    let get = |s: &Snapshot<'_>, a: Option<EndpointId>, b: Option<EndpointId>| match (a, b) {
        (Some(a), Some(b)) => s
            .matrix
            .get(a, b)
            .cloned()
            .unwrap_or_else(ConnectionSet::none),
        _ => ConnectionSet::none(),
    };
    let mut changes = Vec::new();
    let mut push = |src: End, dst: End, before: ConnectionSet, after: ConnectionSet| {
        if before != after {
            changes.push(Change {
                src,
                dst,
                before,
                after,
            });
        }
    };
    for a in &names {
        let (oa, na) = (old_w.get(*a).copied(), new_w.get(*a).copied());
        for b in &names {
            let (ob, nb) = (old_w.get(*b).copied(), new_w.get(*b).copied());
            push(
                End::Workload((*a).clone()),
                End::Workload((*b).clone()),
                get(old, oa, ob),
                get(new, na, nb),
            );
        }
        for p in &pieces {
            push(
                End::Workload((*a).clone()),
                End::External(p.addresses.clone()),
                get(old, oa, Some(p.old)),
                get(new, na, Some(p.new)),
            );
            push(
                End::External(p.addresses.clone()),
                End::Workload((*a).clone()),
                get(old, Some(p.old), oa),
                get(new, Some(p.new), na),
            );
        }
    }
    changes.sort_by(|x, y| (&x.src, &x.dst).cmp(&(&y.src, &y.dst)));
    changes
}

/// Workload endpoints by `Kind/namespace/name`.
fn workloads(model: &Model) -> BTreeMap<String, EndpointId> {
    model
        .endpoints()
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.is_external())
        .map(|(i, e)| (e.to_string(), EndpointId(i as u32)))
        .collect()
}

/// A piece of the common refinement of both snapshots' external classes.
struct Piece {
    addresses: IpSet,
    old: EndpointId,
    new: EndpointId,
}

fn externals(model: &Model) -> Vec<(EndpointId, &IpSet)> {
    model
        .endpoints()
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Endpoint::External(ips) => Some((EndpointId(i as u32), ips)),
            Endpoint::Pods(_) => None,
        })
        .collect()
}

fn refinement(old: &Model, new: &Model) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (o, oips) in externals(old) {
        for (n, nips) in externals(new) {
            let both = oips.difference(&oips.difference(nips));
            if !both.is_empty() {
                pieces.push(Piece {
                    addresses: both,
                    old: o,
                    new: n,
                });
            }
        }
    }
    pieces
}

/// A flow that must keep working (`--critical FILE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriticalFlow {
    /// Source: `NS/NAME`, `Kind/NS/NAME`, or an IP address outside the cluster.
    pub from: String,
    /// Destination, in the same forms.
    pub to: String,
    /// Port; `None`: any connection at all between the two.
    pub port: Option<u16>,
    /// Protocol (TCP when a port is given without one).
    pub protocol: Option<Protocol>,
    /// Why it matters.
    pub reason: String,
    /// Line in the file.
    pub line: u32,
}

impl CriticalFlow {
    /// Does a change cut this flow (remove what it needs)?
    pub fn cut_by(&self, change: &Change) -> bool {
        if !end_matches(&self.from, &change.src) || !end_matches(&self.to, &change.dst) {
            return false;
        }
        let removed = change.removed();
        match self.port {
            Some(port) => {
                removed.contains(self.protocol.unwrap_or(Protocol::Tcp), port)
                    && !change
                        .after
                        .contains(self.protocol.unwrap_or(Protocol::Tcp), port)
            }
            None => !removed.is_empty() && change.after.is_empty(),
        }
    }
}

/// `NS/NAME` matches any kind; `Kind/NS/NAME` matches exactly (kind in any case); an
/// address matches the external piece holding it.
fn end_matches(text: &str, end: &End) -> bool {
    match end {
        End::Workload(w) => {
            let Some((kind, rest)) = w.split_once('/') else {
                return false;
            };
            match text.matches('/').count() {
                1 => rest == text,
                2 => text
                    .split_once('/')
                    .is_some_and(|(k, r)| k.eq_ignore_ascii_case(kind) && r == rest),
                _ => false,
            }
        }
        End::External(ips) => {
            parse_addr(text).is_some_and(|(family, addr)| ips.contains(family, addr))
        }
    }
}

/// Reads a critical-flows file:
///
/// ```yaml
/// critical:
///   - from: shop/web
///     to: shop/db
///     port: 5432          # optional
///     protocol: TCP       # optional, TCP by default
///     reason: checkout reads orders
/// ```
///
/// Errors name the line.
pub fn parse_critical(path: &str, text: &str) -> Result<Vec<CriticalFlow>, Vec<String>> {
    let stream = yaml::parse_stream(text, &LoadLimits::default().yaml);
    if let Some(err) = stream.error {
        return Err(vec![format!("{path}:{}: {}", err.pos.line, err.message)]);
    }
    let mut flows = Vec::new();
    let mut errors = Vec::new();
    for doc in &stream.documents {
        let Some(list) = doc.root.get("critical") else {
            if !doc.root.is_null() {
                errors.push(format!(
                    "{path}:{}: expected a `critical:` list",
                    doc.root.pos.line
                ));
            }
            continue;
        };
        for item in list.items() {
            let line = item.pos.line;
            let text_of = |key: &str| {
                item.get(key)
                    .and_then(Node::scalar_text)
                    .map(str::to_string)
            };
            let (Some(from), Some(to)) = (text_of("from"), text_of("to")) else {
                errors.push(format!(
                    "{path}:{line}: a critical flow needs `from` and `to`"
                ));
                continue;
            };
            let port = match item.get("port") {
                None => None,
                Some(p) => match p
                    .as_i64()
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|&n| n > 0)
                {
                    Some(n) => Some(n),
                    None => {
                        errors.push(format!("{path}:{}: `port` must be 1-65535", p.pos.line));
                        continue;
                    }
                },
            };
            let protocol = match text_of("protocol") {
                None => None,
                Some(p) => match Protocol::parse_loose(&p) {
                    Some(p) => Some(p),
                    None => {
                        errors.push(format!("{path}:{line}: unknown protocol `{p}`"));
                        continue;
                    }
                },
            };
            flows.push(CriticalFlow {
                from,
                to,
                port,
                protocol,
                reason: text_of("reason").unwrap_or_default(),
                line,
            });
        }
    }
    if errors.is_empty() {
        Ok(flows)
    } else {
        Err(errors)
    }
}
