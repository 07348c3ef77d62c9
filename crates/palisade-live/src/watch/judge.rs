//! The watched cluster and its findings, kept current one change at a time.
//!
//! Per-object rules run again only on the objects a change touches: the changed object; and,
//! when a Namespace, ServiceAccount or LimitRange changes, every object of its namespace
//! (the [`Context`] those rules read); and objects that stop or start being set aside when
//! their controller comes or goes. Inventory-wide analyses (RBAC, network, cross-object
//! checks) are marked stale when an object they may read changes and re-run by the caller
//! when it chooses ([`Judge::rejudge_whole`]; the watcher debounces it). The report is
//! assembled from the kept findings by the engine ([`Engine::assemble`]), so it is the one a
//! full scan of the same objects gives (a test holds the two equal).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use palisade_core::inventory::{LoadError, LoadLimits, LoadNote};
use palisade_core::{Config, Context, Finding, Inventory, Object, Report, Workload};
use palisade_engine::{Analysis, Engine, ScanOptions};
use rayon::prelude::*;
use serde_json::Value;

use super::reflector::Update;
use crate::convert::{controller_uid, load_object};

/// Kinds no inventory-wide analysis reads: a change to one leaves their findings as they
/// are. (RBAC reads roles, bindings, service accounts and workloads; the network analysis
/// workloads, Services, Ingresses, routes, policies and Namespaces; the checks' cross-object
/// rules workloads, Namespaces and policies.)
const NOT_READ_WHOLE: &[&str] = &["ConfigMap", "Secret"];
/// Kinds the per-object rules read as context ([`Context::from_objects`]).
const CONTEXT_KINDS: &[&str] = &["Namespace", "ServiceAccount", "LimitRange"];
/// Objects per parallel work item when many are judged at once.
const JUDGE_CHUNK: usize = 64;

/// An object's key: its reported path (`cluster://Kind/NS/NAME`) and API group (two groups
/// may serve a kind of the same name: Calico's NetworkPolicy and Kubernetes'). Ordered by
/// path, which is the order findings are reported in.
type Key = (String, String);
/// Where an object sits in the inventory: (stream rank, namespace, name, key).
type Order = (usize, String, String, Key);

/// What is known of one object.
struct Entry {
    stream: usize,
    kind: String,
    name: String,
    namespace: Option<String>,
    version: Option<String>,
    uid: Option<String>,
    /// The uid of its controller (`ownerReferences[controller=true]`).
    owner: Option<String>,
    /// The object while set aside (its controller is watched); judged objects live in the
    /// inventory instead. `None` also when it could not be loaded.
    parked: Option<Object>,
    /// Whether it was loaded (an object that could not be is only its errors).
    loaded: bool,
    findings: Vec<Finding>,
    errors: Vec<LoadError>,
    notes: Vec<LoadNote>,
}

/// The watched objects and their findings.
pub struct Judge {
    engine: Arc<Engine>,
    config: Config,
    options: ScanOptions,
    limits: LoadLimits,
    streams: Vec<String>,
    entries: BTreeMap<Key, Entry>,
    /// Judged objects (controller-owned ones are parked in their entry).
    inventory: Inventory,
    /// Place of each object of `inventory.objects` (same index), in the order `scan
    /// --cluster` reads them: kind (the rank of its stream), namespace, name. The
    /// inventory-wide analyses see objects in that order (some messages list them in it).
    order: Vec<Order>,
    /// Rank of each stream (streams of one kind share one).
    ranks: Vec<usize>,
    /// Keys of each stream.
    by_stream: Vec<BTreeSet<Key>>,
    /// Keys of the objects of each namespace.
    by_namespace: HashMap<String, BTreeSet<Key>>,
    /// uid of every watched workload controller (non-Pod workloads) → its key.
    controllers: HashMap<String, Key>,
    /// Controller uid → keys of the objects it controls.
    owned: HashMap<String, BTreeSet<Key>>,
    /// Streams answered (listed, or refused): readiness.
    answered: Vec<bool>,
    /// Why a stream could not be read, while it cannot.
    stream_errors: BTreeMap<usize, LoadError>,
    pending: BTreeSet<Key>,
    pending_namespaces: BTreeSet<String>,
    whole_stale: bool,
    whole: Analysis,
    /// The report as last brought up to date.
    current: Option<Report>,
    /// Paths whose per-object findings changed since.
    dirty: BTreeSet<String>,
    /// The next report must be assembled whole (the inventory-wide findings, the errors or
    /// the set of streams changed).
    full: bool,
}

impl Judge {
    /// A judge of the objects of `streams` (their descriptions, for messages).
    pub fn new(
        engine: Arc<Engine>,
        config: Config,
        options: ScanOptions,
        streams: Vec<String>,
    ) -> Judge {
        let n = streams.len();
        Judge {
            engine,
            config,
            options,
            limits: LoadLimits::default(),
            streams,
            entries: BTreeMap::new(),
            inventory: Inventory::default(),
            order: Vec::new(),
            ranks: (0..n).collect(),
            by_stream: vec![BTreeSet::new(); n],
            by_namespace: HashMap::new(),
            controllers: HashMap::new(),
            owned: HashMap::new(),
            answered: vec![false; n],
            stream_errors: BTreeMap::new(),
            pending: BTreeSet::new(),
            pending_namespaces: BTreeSet::new(),
            whole_stale: true,
            whole: Analysis::default(),
            current: None,
            dirty: BTreeSet::new(),
            full: true,
        }
    }

    /// Takes one update in. Nothing is judged yet: [`Judge::settle`] judges what changed.
    pub fn apply(&mut self, update: Update) {
        let refused = update.is_refusal();
        match update {
            Update::Listed { stream, items } => {
                self.full = true;
                if let Some(a) = self.answered.get_mut(stream) {
                    *a = true;
                }
                self.stream_errors.remove(&stream);
                let mut seen = BTreeSet::new();
                for item in items {
                    if let Some(key) = self.upsert(stream, item) {
                        seen.insert(key);
                    }
                }
                let gone: Vec<Key> = self
                    .by_stream
                    .get(stream)
                    .map(|keys| keys.difference(&seen).cloned().collect())
                    .unwrap_or_default();
                for key in gone {
                    self.remove(&key);
                }
            }
            Update::Applied { stream, item } => {
                self.upsert(stream, item);
            }
            Update::Deleted { item, .. } => {
                if let Some(key) = key_of(&item) {
                    self.remove(&key);
                }
            }
            Update::Failed {
                stream,
                message,
                status,
            } => {
                self.full = true;
                let what = self.streams.get(stream).cloned().unwrap_or_default();
                let text = match status {
                    Some(403) => format!("forbidden: cannot list and watch {what}; findings about them are missing: {message}"),
                    Some(404) => format!("not served: cannot list {what} (retrying): {message}"),
                    _ => format!("cannot list {what} (retrying): {message}"),
                };
                if refused {
                    if let Some(a) = self.answered.get_mut(stream) {
                        *a = true;
                    }
                }
                let path: Arc<str> = Arc::from(format!("cluster://{what}"));
                self.stream_errors
                    .insert(stream, LoadError::whole(&path, text));
            }
        }
    }

    /// Makes streams of one kind share a rank (the first stream's index), so their objects
    /// are ordered together by namespace and name, as one list returns them.
    pub fn set_rank(&mut self, stream: usize, rank: usize) {
        if let Some(r) = self.ranks.get_mut(stream) {
            *r = rank;
        }
    }

    /// Whether every stream has been listed (or refused) once.
    pub fn synced(&self) -> bool {
        self.answered.iter().all(|a| *a)
    }

    /// Re-judges, with the per-object rules, every object a change since the last call
    /// touched; returns how many were judged.
    pub fn settle(&mut self) -> usize {
        let mut keys = std::mem::take(&mut self.pending);
        for ns in std::mem::take(&mut self.pending_namespaces) {
            if let Some(in_ns) = self.by_namespace.get(&ns) {
                keys.extend(in_ns.iter().cloned());
            }
        }
        // Each namespace's context is gathered once; the objects are judged in parallel
        // (a first sync or a namespace-wide change judges thousands).
        let mut contexts: BTreeMap<Option<String>, Vec<Object>> = BTreeMap::new();
        let mut work: Vec<(Key, usize, Option<String>)> = Vec::with_capacity(keys.len());
        for key in keys {
            let Some(at) = self.position(&key) else {
                continue;
            };
            let ns = self.inventory.objects[at].id.namespace.clone();
            if !contexts.contains_key(&ns) {
                let objects = self.context_objects(ns.as_deref());
                contexts.insert(ns.clone(), objects);
            }
            work.push((key, at, ns));
        }
        let (engine, config, objects) = (&self.engine, &self.config, &self.inventory.objects);
        let judged: Vec<(Key, Vec<Finding>)> = work
            .par_chunks(JUDGE_CHUNK)
            .flat_map_iter(|chunk| {
                chunk.iter().map(|(key, at, ns)| {
                    let around = contexts.get(ns).map(Vec::as_slice).unwrap_or(&[]);
                    let context = Context::from_objects(around);
                    let findings = engine.check_objects(&objects[*at..=*at], &context, config);
                    (key.clone(), findings)
                })
            })
            .collect();
        let count = judged.len();
        for (key, findings) in judged {
            if let Some(entry) = self.entries.get_mut(&key) {
                entry.findings = findings;
            }
            self.dirty.insert(key.0);
        }
        count
    }

    /// Whether an object the inventory-wide analyses may read changed since they last ran.
    pub fn whole_stale(&self) -> bool {
        self.whole_stale
    }

    /// Runs the inventory-wide analyses again.
    pub fn rejudge_whole(&mut self) {
        self.refresh_errors();
        self.whole = self.engine.analyze_whole(&self.inventory, &self.config);
        self.whole_stale = false;
        self.full = true;
    }

    /// Objects judged, per kind (controller-owned ones not counted).
    pub fn objects_per_kind(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for o in &self.inventory.objects {
            *counts.entry(o.id.kind.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// The judged objects (what a full scan would be given).
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// Copies of the context objects of `namespace`.
    fn context_objects(&self, namespace: Option<&str>) -> Vec<Object> {
        let Some(ns) = namespace else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let namespace_key = (format!("cluster://Namespace/{ns}"), String::new());
        if let Some(at) = self.position(&namespace_key) {
            out.push(self.inventory.objects[at].clone());
        }
        if let Some(keys) = self.by_namespace.get(ns) {
            for key in keys {
                let Some(entry) = self.entries.get(key) else {
                    continue;
                };
                if !CONTEXT_KINDS[1..].contains(&entry.kind.as_str()) {
                    continue;
                }
                if let Some(at) = self.position(key) {
                    out.push(self.inventory.objects[at].clone());
                }
            }
        }
        out
    }

    /// Adds or replaces an object; returns its key.
    fn upsert(&mut self, stream: usize, item: Value) -> Option<Key> {
        let key = key_of(&item)?;
        let version = text(&item, "resourceVersion");
        if let Some(old) = self.entries.get(&key) {
            // A relist hands back every object: unchanged ones need no new judgement.
            if old.version.is_some() && old.version == version && old.stream == stream {
                return Some(key);
            }
            self.remove(&key);
        }
        let mut loaded = load_object(item, &self.limits);
        let object = loaded.objects.pop();
        let kind = object
            .as_ref()
            .map(|o| o.id.kind.clone())
            .unwrap_or_default();
        let namespace = object.as_ref().and_then(|o| o.id.namespace.clone());
        let uid = object.as_ref().and_then(|o| {
            o.metadata()
                .get("uid")
                .and_then(|u| u.as_str())
                .map(str::to_string)
        });
        let owner = object
            .as_ref()
            .and_then(|o| controller_uid(o).map(str::to_string));
        let is_controller = object
            .as_ref()
            .is_some_and(|o| !o.is("Pod") && Workload::of(o).is_some());
        let name = object
            .as_ref()
            .map(|o| o.id.name.clone())
            .unwrap_or_default();
        self.touch(&kind, namespace.as_deref(), &name);
        if !loaded.errors.is_empty() || !loaded.notes.is_empty() {
            self.full = true;
        }
        let mut entry = Entry {
            stream,
            kind,
            name,
            namespace: namespace.clone(),
            version,
            uid: uid.clone(),
            owner: owner.clone(),
            parked: None,
            loaded: object.is_some(),
            findings: Vec::new(),
            errors: loaded.errors,
            notes: loaded.notes,
        };
        let controlled = owner
            .as_ref()
            .is_some_and(|o| self.controllers.contains_key(o));
        let mut judged = None;
        match object {
            Some(object) if controlled => entry.parked = Some(object),
            Some(object) => judged = Some(object),
            None => {}
        }
        if let Some(o) = &owner {
            self.owned.entry(o.clone()).or_default().insert(key.clone());
        }
        if let Some(ns) = &namespace {
            self.by_namespace
                .entry(ns.clone())
                .or_default()
                .insert(key.clone());
        }
        if let Some(keys) = self.by_stream.get_mut(stream) {
            keys.insert(key.clone());
        }
        self.entries.insert(key.clone(), entry);
        if let Some(object) = judged {
            self.place(key.clone(), object);
            self.pending.insert(key.clone());
        }
        if let (true, Some(uid)) = (is_controller, uid) {
            self.controllers.insert(uid.clone(), key.clone());
            self.reparent(&uid, true);
        }
        Some(key)
    }

    /// Forgets an object.
    fn remove(&mut self, key: &Key) {
        let judged = self
            .entries
            .get(key)
            .is_some_and(|e| e.loaded && e.parked.is_none());
        if judged {
            self.unplace(key);
        }
        let Some(entry) = self.entries.remove(key) else {
            return;
        };
        self.dirty.insert(key.0.clone());
        if !entry.errors.is_empty() || !entry.notes.is_empty() {
            self.full = true;
        }
        self.touch(&entry.kind, entry.namespace.as_deref(), &entry.name);
        if let Some(o) = &entry.owner {
            if let Some(set) = self.owned.get_mut(o) {
                set.remove(key);
            }
        }
        if let Some(ns) = &entry.namespace {
            if let Some(set) = self.by_namespace.get_mut(ns) {
                set.remove(key);
            }
        }
        if let Some(keys) = self.by_stream.get_mut(entry.stream) {
            keys.remove(key);
        }
        self.pending.remove(key);
        if let Some(uid) = &entry.uid {
            if self.controllers.get(uid) == Some(key) {
                self.controllers.remove(uid);
                self.reparent(uid, false);
            }
        }
    }

    /// What a change of an object of `kind` in `namespace` makes stale.
    fn touch(&mut self, kind: &str, namespace: Option<&str>, name: &str) {
        if !NOT_READ_WHOLE.contains(&kind) {
            self.whole_stale = true;
        }
        if kind == "Namespace" {
            self.pending_namespaces.insert(name.to_string());
        } else if CONTEXT_KINDS.contains(&kind) {
            if let Some(ns) = namespace {
                self.pending_namespaces.insert(ns.to_string());
            }
        }
    }

    /// A controller came (`present`) or went: the objects it controls are set aside, or
    /// judged again on their own.
    fn reparent(&mut self, uid: &str, present: bool) {
        let keys: Vec<Key> = self
            .owned
            .get(uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for key in keys {
            let Some(entry) = self.entries.get_mut(&key) else {
                continue;
            };
            if !entry.loaded {
                continue;
            }
            match (present, entry.parked.is_some()) {
                (true, false) => {
                    entry.findings.clear();
                    self.dirty.insert(key.0.clone());
                    if let Some(object) = self.unplace(&key) {
                        if let Some(entry) = self.entries.get_mut(&key) {
                            entry.parked = Some(object);
                        }
                    }
                }
                (false, true) => {
                    if let Some(object) = entry.parked.take() {
                        self.place(key.clone(), object);
                        self.pending.insert(key);
                    }
                }
                _ => {}
            }
        }
    }

    /// The inventory index of a judged object.
    fn position(&self, key: &Key) -> Option<usize> {
        let order = self.order_of(key)?;
        self.order.binary_search(&order).ok()
    }

    fn order_of(&self, key: &Key) -> Option<Order> {
        let e = self.entries.get(key)?;
        let rank = self.ranks.get(e.stream).copied().unwrap_or(e.stream);
        let ns = e.namespace.clone().unwrap_or_default();
        Some((rank, ns, e.name.clone(), key.clone()))
    }

    /// Puts a judged object in the inventory, in order (its entry must exist).
    fn place(&mut self, key: Key, object: Object) {
        let Some(order) = self.order_of(&key) else {
            return;
        };
        // A shift of at most the inventory's length: tens of microseconds for 10,000 objects.
        let at = self.order.binary_search(&order).unwrap_or_else(|i| i);
        self.order.insert(at, order);
        self.inventory.objects.insert(at, object);
    }

    /// Takes a judged object out of the inventory (before its entry goes).
    fn unplace(&mut self, key: &Key) -> Option<Object> {
        let at = self.position(key)?;
        self.order.remove(at);
        Some(self.inventory.objects.remove(at))
    }
}

/// An object's key from its JSON (kind and apiVersion stamped by the stream).
fn key_of(item: &Value) -> Option<Key> {
    let kind = item.get("kind")?.as_str()?;
    let name = text(item, "name")?;
    let namespace = text(item, "namespace");
    let group = item
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.rsplit_once('/'))
        .map(|(g, _)| g.to_string())
        .unwrap_or_default();
    let path = crate::convert::cluster_path(kind, namespace.as_deref(), &name);
    Some((path, group))
}

fn text(item: &Value, key: &str) -> Option<String> {
    item.get("metadata")?.get(key)?.as_str().map(str::to_string)
}

#[path = "judge_report.rs"]
mod report;

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
