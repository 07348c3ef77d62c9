//! Rules about who can reach what: entry points without isolation (PAL-NET-014), sensitive
//! ports reachable from outside or other namespaces (013), classified workloads reachable
//! from lower classes or from outside (015).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt, HashSet};
use palisade_core::text::Piece;
use palisade_core::{Emitter, Location, Object, Severity};
use rayon::prelude::*;

use super::ports::PortPlaces;
use super::rules::*;
use super::Objects;
use crate::endpoints::{Pods, DATA_CLASS_LABEL};
use crate::exposure::{self, EntryPoint, PortClass, Reacher, Summary, Want};
use crate::model::{Endpoint, EndpointId, Model};

/// The built-in classes, lowest first: the order "a lower class" follows.
const CLASS_ORDER: &[&str] = &["public", "internal", "confidential", "restricted"];

/// Rank of the classes this rule protects (confidential and above).
const PROTECTED_RANK: i32 = 2;

pub(super) fn check(
    model: &Model,
    all: &[Object],
    objects: &Objects,
    places: &PortPlaces,
    read: Option<super::EntryRead>,
    em: &mut Emitter,
) {
    let wanted = [
        &SENSITIVE_REACHABLE,
        &ENTRY_UNPROTECTED,
        &CLASSIFIED_REACHABLE,
    ];
    if !wanted.iter().any(|r| em.enabled(r)) {
        return;
    }
    // The Services read ahead, when they were.
    let entries = match read {
        Some((services, others)) => exposure::entry_points_read(model, all, others, services),
        None => exposure::entry_points(model, all),
    };
    // The three rules only read the model and the entry points: side by side, each with its
    // own emitter, so the scan's other core is not left idle while one of them runs.
    let config = em.config();
    let (mut open, mut sensitive_em, mut classified_em) = (
        Emitter::new(config),
        Emitter::new(config),
        Emitter::new(config),
    );
    rayon::join(
        || {
            if open.enabled(&ENTRY_UNPROTECTED) {
                unprotected(model, &entries, &mut open);
            }
        },
        || {
            rayon::join(
                || {
                    if sensitive_em.enabled(&SENSITIVE_REACHABLE) {
                        sensitive(model, &entries, objects, places, &mut sensitive_em);
                    }
                },
                || {
                    if classified_em.enabled(&CLASSIFIED_REACHABLE) {
                        classified(model, &entries, &mut classified_em);
                    }
                },
            )
        },
    );
    for part in [open, sensitive_em, classified_em] {
        em.append(part);
    }
}

fn name(model: &Model, id: EndpointId) -> String {
    model
        .endpoint(id)
        .map_or_else(String::new, Endpoint::to_string)
}

fn entry_name(e: &EntryPoint) -> String {
    format!(
        "{} `{}`",
        e.via,
        e.object.namespace.as_deref().map_or_else(
            || e.object.name.clone(),
            |ns| format!("{ns}/{}", e.object.name)
        )
    )
}

fn unprotected(model: &Model, entries: &[EntryPoint], em: &mut Emitter) {
    // One finding per entry point object, mechanism and workload, at its first place.
    let mut groups: BTreeMap<(String, u32, String, EndpointId), Vec<&EntryPoint>> = BTreeMap::new();
    let mut order = Vec::new();
    for e in entries.iter().filter(|e| !e.isolated) {
        let key = (e.object.to_string(), 0, e.via.to_string(), e.workload);
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(e);
    }
    for key in order {
        let Some(group) = groups.get(&key) else {
            continue;
        };
        let Some(first) = group.first() else {
            continue;
        };
        let ports: BTreeSet<String> = group
            .iter()
            .map(|e| format!("{} {}", e.protocol, e.port))
            .collect();
        em.emit_at(
            &ENTRY_UNPROTECTED,
            &first.object,
            first.location.clone(),
            None,
            format!(
                "{} sends outside traffic (via Service `{}`, to {}) to {}, whose ingress no \
                 NetworkPolicy isolates: every port of its pods is open",
                entry_name(first),
                first.service,
                ports.into_iter().collect::<Vec<_>>().join(", "),
                name(model, first.workload)
            ),
        );
    }
}

fn list(items: &[String]) -> String {
    if items.len() > 3 {
        format!("{} and {} more", items[..3].join(", "), items.len() - 3)
    } else {
        items.join(", ")
    }
}

/// Namespaces in backquotes, the first three named (a large cluster reaches a database from
/// a hundred namespaces: formatting them all for each finding cost more than finding them),
/// written at the end of `out`.
fn push_namespace_list(out: &mut String, names: &[&str]) {
    for (n, name) in names.iter().take(3).enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        out.push('`');
        out.push_str(name);
        out.push('`');
    }
    if names.len() > 3 {
        let _ = write!(out, " and {} more", names.len() - 3);
    }
}

fn sensitive(
    model: &Model,
    entries: &[EntryPoint],
    objects: &Objects,
    places: &PortPlaces,
    em: &mut Emitter,
) {
    // A namespace with no policy of any kind is PAL-NET-005's finding (every pod accepts
    // everything); here it counts only when an entry point publishes the port.
    let governed: HashSet<&str> = model
        .policies()
        .iter()
        .map(|p| p.namespace.as_str())
        .collect();
    let tiered = !model.calico_policies().is_empty() || !model.admin_policies().is_empty();
    // Described as they are found, in parallel (each finds its port's line, read ahead or
    // from the workload's tree), reported in order; the exposures themselves, each with its
    // list of namespaces, are not kept.
    let described: Vec<_> = exposure::sensitive_exposures_with(model, entries, |s| {
        let pods = model.endpoint(s.workload).and_then(Endpoint::as_pods)?;
        if s.entry_points.is_empty() && !tiered && !governed.contains(pods.namespace.as_str()) {
            return None;
        }
        Some((
            pods,
            describe_sensitive(model, entries, objects, places, &s, pods),
        ))
    });
    for (pods, (severity, location, field, message)) in described {
        if let Some(f) = em.emit_graded_at(
            &SENSITIVE_REACHABLE,
            severity,
            &pods.object,
            location,
            message,
        ) {
            f.field = field;
        }
    }
}

/// One sensitive exposure's severity, place, field and message.
fn describe_sensitive(
    model: &Model,
    entries: &[EntryPoint],
    objects: &Objects,
    places: &PortPlaces,
    s: &exposure::SensitiveExposure,
    pods: &Pods,
) -> (Severity, Location, Option<Arc<str>>, String) {
    // Written into one buffer: a large inventory has thousands of these findings, and a
    // string per part and per join cost more than finding them.
    let mut message = String::with_capacity(256);
    message.push_str(s.port.service);
    message.push_str(" port ");
    s.port.port.push_to(&mut message);
    message.push_str(" of ");
    if let Some(e) = model.endpoint(s.workload) {
        let _ = write!(message, "{e}");
    }
    message.push_str(" is reachable ");
    let mut parts = 0;
    let mut next_part = |message: &mut String| {
        if parts > 0 {
            message.push_str("; ");
        }
        parts += 1;
    };
    if !s.entry_points.is_empty() {
        next_part(&mut message);
        message.push_str("from outside the cluster through ");
        let vias = s.entry_points.iter().filter_map(|&i| entries.get(i));
        let count = vias.clone().count();
        for (n, e) in vias.take(3).enumerate() {
            if n > 0 {
                message.push_str(", ");
            }
            let _ = write!(message, "{} ({})", entry_name(e), e.location);
        }
        if count > 3 {
            let _ = write!(message, " and {} more", count - 3);
        }
    }
    if !s.external.is_empty() {
        next_part(&mut message);
        let _ = write!(
            message,
            "directly from external addresses {} (where pod addresses are routable)",
            exposure::addresses(model, &s.external)
        );
    }
    if !s.namespaces.is_empty() {
        next_part(&mut message);
        message.push_str("from workloads of namespaces ");
        push_namespace_list(&mut message, &s.namespaces);
    }
    // Through a published entry point it is reachable for sure; pod addresses are
    // routable from outside only on some networks, and other namespaces are inside.
    let severity = if !s.entry_points.is_empty() {
        if s.port.class == PortClass::ControlPlane {
            Severity::Critical
        } else {
            Severity::High
        }
    } else {
        Severity::Medium
    };
    let (location, field) = places
        .find(objects, &pods.object, s.port.port)
        .map_or_else(|| (pods.location.clone(), None), |(l, f)| (l, Some(f)));
    (severity, location, field, message)
}

/// A class's rank (`None`: a class of another name, not compared).
fn rank(class: Option<&str>) -> Option<i32> {
    match class {
        None => Some(-1),
        Some(c) => CLASS_ORDER.iter().position(|x| *x == c).map(|i| i as i32),
    }
}

fn namespace_class<'m>(model: &'m Model, ns: &str) -> Option<&'m str> {
    // Namespaces are sorted by name.
    let all = model.namespaces();
    all.binary_search_by(|n| n.name.as_str().cmp(ns))
        .ok()
        .and_then(|i| all[i].labels.get(DATA_CLASS_LABEL))
}

/// A workload's class, read as `palisade-checks` reads it: the pod template's label, then
/// the object's own, else its namespace's.
fn workload_class<'m>(model: &'m Model, pods: &'m Pods) -> Option<&'m str> {
    pods.labels
        .get(DATA_CLASS_LABEL)
        .or(pods.own_data_class.as_deref())
        .or_else(|| namespace_class(model, &pods.namespace))
}

/// Each namespace's class rank. Hashed: it is asked once per namespace that reaches each
/// classified workload, which in a large open cluster is every namespace each time.
type NamespaceRanks<'m> = HashMap<&'m str, Option<i32>>;

/// What makes a classified workload reachable where it should not be.
struct Reach {
    id: EndpointId,
    class: String,
    via: Vec<String>,
    external: Vec<EndpointId>,
    /// Sorted and distinct, as the summary's namespaces are.
    lower: Vec<String>,
}

fn classified_reach(
    reacher: &Reacher,
    model: &Model,
    entries_of: &HashMap<EndpointId, Vec<&EntryPoint>>,
    ns_rank: &NamespaceRanks,
    id: EndpointId,
) -> Option<Reach> {
    let pods = model.endpoint(id).and_then(Endpoint::as_pods)?;
    let class = workload_class(model, pods)?;
    let target_rank = rank(Some(class)).filter(|r| *r >= PROTECTED_RANK)?;
    let Summary {
        external,
        namespaces,
    } = reacher.summary(id, Want::Any);
    let lower: Vec<String> = namespaces
        .into_iter()
        .filter(|n| *n != pods.namespace)
        .filter(|n| {
            let r = ns_rank.get(n).copied().flatten();
            r.is_some_and(|r| r < target_rank)
        })
        .map(str::to_string)
        .collect();
    let via: Vec<String> = entries_of
        .get(&id)
        .into_iter()
        .flatten()
        .map(|e| entry_name(e))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Some(Reach {
        id,
        class: class.to_string(),
        via,
        external,
        lower,
    })
}

fn classified(model: &Model, entries: &[EntryPoint], em: &mut Emitter) {
    let ns_rank: NamespaceRanks = model
        .namespaces()
        .iter()
        .map(|n| (n.name.as_str(), rank(n.labels.get(DATA_CLASS_LABEL))))
        .collect();
    // The allowed entry points of each workload, found once (a scan over every entry point
    // per workload grew with the square of the inventory).
    let mut entries_of: HashMap<EndpointId, Vec<&EntryPoint>> = HashMap::new();
    for e in entries.iter().filter(|e| e.allowed) {
        entries_of.entry(e.workload).or_default().push(e);
    }
    // Judged in parallel, reported in endpoint order.
    let reacher = Reacher::new(model);
    let found: Vec<Reach> = (0..model.workload_count())
        .into_par_iter()
        .filter_map(|w| {
            classified_reach(&reacher, model, &entries_of, &ns_rank, EndpointId(w as u32))
        })
        .collect();
    for r in found {
        let Some(pods) = model.endpoint(r.id).and_then(Endpoint::as_pods) else {
            continue;
        };
        let mut how = Vec::new();
        if !r.via.is_empty() {
            how.push(format!("from outside the cluster through {}", list(&r.via)));
        }
        if !r.external.is_empty() {
            how.push(format!(
                "from external addresses {} (where pod addresses are routable)",
                exposure::addresses(model, &r.external)
            ));
        }
        if !r.lower.is_empty() {
            let shown: Vec<String> = r
                .lower
                .iter()
                .map(|n| {
                    let c = namespace_class(model, n).unwrap_or("no class");
                    format!("`{n}` ({c})")
                })
                .collect();
            how.push(format!(
                "from namespaces of a lower class: {}",
                list(&shown)
            ));
        }
        if how.is_empty() {
            continue;
        }
        em.emit_at(
            &CLASSIFIED_REACHABLE,
            &pods.object,
            pods.location.clone(),
            None,
            format!(
                "{} holds {} data and is reachable {}",
                name(model, r.id),
                r.class,
                how.join("; ")
            ),
        );
    }
}
