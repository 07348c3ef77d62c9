//! What the webhook knows of the cluster beside the request: Namespaces (their labels),
//! ServiceAccounts and LimitRanges, the objects per-object rules consult through
//! [`Context`](palisade_core::Context) (PAL-POD-033 reads the ServiceAccount's
//! `automountServiceAccountToken`, the resources rules a LimitRange default).
//!
//! The cache is filled from the API server by a watcher outside this crate (`palisade-live`
//! when the server runs in a cluster): [`ContextCache::replace`] after each (re)list,
//! [`ContextCache::apply`] per watch event. Without a watcher it stays empty and unsynced, and
//! requests are judged alone ([`Context::none`](palisade_core::Context::none)): absent, never
//! guessed. Only these three kinds are kept, and only the fields rules read are needed, so
//! its size is bounded by the cluster's namespaces and service accounts.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::Object;
use serde_json::Value as Json;

/// The kinds the cache keeps.
pub const CACHED_KINDS: [&str; 3] = ["Namespace", "ServiceAccount", "LimitRange"];

/// A watch event's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// ADDED or MODIFIED.
    Upsert,
    /// DELETED.
    Delete,
}

#[derive(Default)]
struct State {
    /// Namespace name → the Namespace.
    namespaces: HashMap<String, Object>,
    /// (kind, namespace) → name → object.
    namespaced: HashMap<(String, String), BTreeMap<String, Object>>,
}

/// The cluster context of admission requests; shared by all requests (read-mostly).
#[derive(Default)]
pub struct ContextCache {
    state: RwLock<State>,
    synced: AtomicBool,
}

/// Why an object was not taken into the cache.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CacheError(String);

impl ContextCache {
    /// An empty, unsynced cache.
    pub fn new() -> ContextCache {
        ContextCache::default()
    }

    /// Whether every kind has been listed once (the server reports ready only then).
    pub fn is_synced(&self) -> bool {
        self.synced.load(Ordering::Acquire)
    }

    /// Marks the cache as listed (or not, while a relist is under way).
    pub fn set_synced(&self, synced: bool) {
        self.synced.store(synced, Ordering::Release);
    }

    /// Replaces every object of `kind` with `objects` (a full list).
    pub fn replace(&self, kind: &str, objects: &[Json]) -> Result<(), CacheError> {
        let mut parsed = Vec::with_capacity(objects.len());
        for o in objects {
            parsed.push(parse(kind, o)?);
        }
        let mut state = self.write();
        if kind == "Namespace" {
            state.namespaces.clear();
        } else {
            state.namespaced.retain(|(k, _), _| k != kind);
        }
        for (ns, name, object) in parsed {
            insert(&mut state, kind, ns, name, object);
        }
        Ok(())
    }

    /// Applies one watch event for an object of `kind`.
    pub fn apply(&self, kind: &str, change: Change, object: &Json) -> Result<(), CacheError> {
        let (ns, name, parsed) = parse(kind, object)?;
        let mut state = self.write();
        match change {
            Change::Upsert => insert(&mut state, kind, ns, name, parsed),
            Change::Delete if kind == "Namespace" => {
                state.namespaces.remove(&name);
            }
            Change::Delete => {
                if let Some(names) = state.namespaced.get_mut(&(kind.to_string(), ns)) {
                    names.remove(&name);
                }
            }
        }
        Ok(())
    }

    /// Copies of the objects that form the context of a request in `namespace`: the
    /// Namespace, its ServiceAccounts and its LimitRanges.
    pub fn objects_for(&self, namespace: &str) -> Vec<Object> {
        if namespace.is_empty() {
            return Vec::new();
        }
        let state = self.read();
        let mut out = Vec::new();
        if let Some(ns) = state.namespaces.get(namespace) {
            out.push(ns.clone());
        }
        for kind in &CACHED_KINDS[1..] {
            if let Some(names) = state
                .namespaced
                .get(&((*kind).to_string(), namespace.to_string()))
            {
                out.extend(names.values().cloned());
            }
        }
        out
    }

    /// Objects held, per kind (for metrics and logs).
    pub fn counts(&self) -> [(&'static str, usize); 3] {
        let state = self.read();
        let count = |kind: &str| {
            state
                .namespaced
                .iter()
                .filter(|((k, _), _)| k == kind)
                .map(|(_, names)| names.len())
                .sum()
        };
        [
            ("Namespace", state.namespaces.len()),
            ("ServiceAccount", count("ServiceAccount")),
            ("LimitRange", count("LimitRange")),
        ]
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated (each update is
        // one insert or remove), so a poisoned lock is still usable.
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }
}

fn insert(state: &mut State, kind: &str, ns: String, name: String, object: Object) {
    if kind == "Namespace" {
        state.namespaces.insert(name, object);
    } else {
        state
            .namespaced
            .entry((kind.to_string(), ns))
            .or_default()
            .insert(name, object);
    }
}

/// The object as the core's loader reads it (JSON is YAML), with its namespace and name.
fn parse(kind: &str, object: &Json) -> Result<(String, String, Object), CacheError> {
    if !CACHED_KINDS.contains(&kind) {
        return Err(CacheError(format!(
            "the context cache does not keep {kind}"
        )));
    }
    let name = object
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| CacheError(format!("{kind} without metadata.name")))?
        .to_string();
    let ns = object
        .pointer("/metadata/namespace")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    if kind != "Namespace" && ns.is_empty() {
        return Err(CacheError(format!(
            "{kind} {name} without metadata.namespace"
        )));
    }
    // Listed objects may lack apiVersion/kind (list items); the loader needs them.
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.insert("apiVersion".into(), Json::String("v1".into()));
        map.insert("kind".into(), Json::String(kind.into()));
    }
    let place = if ns.is_empty() {
        format!("cluster:{kind}/{name}")
    } else {
        format!("cluster:{kind}/{ns}/{name}")
    };
    let loaded = load_str(&place, &object.to_string(), &LoadLimits::default());
    let parsed = loaded
        .objects
        .into_iter()
        .next()
        .ok_or_else(|| CacheError(format!("{place}: not an object")))?;
    Ok((ns, name, parsed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(objects: &[Object]) -> Vec<String> {
        objects
            .iter()
            .map(|o| format!("{}/{}", o.id.kind, o.id.name))
            .collect()
    }

    #[test]
    fn a_namespace_context_is_its_namespace_service_accounts_and_limit_ranges() {
        let cache = ContextCache::new();
        cache
            .replace(
                "Namespace",
                &[
                    json!({"metadata": {"name": "shop", "labels": {"team": "a"}}}),
                    json!({"metadata": {"name": "other"}}),
                ],
            )
            .unwrap();
        cache
            .replace(
                "ServiceAccount",
                &[
                    json!({"metadata": {"name": "default", "namespace": "shop"},
                           "automountServiceAccountToken": false}),
                    json!({"metadata": {"name": "default", "namespace": "other"}}),
                ],
            )
            .unwrap();
        cache
            .apply(
                "LimitRange",
                Change::Upsert,
                &json!({"metadata": {"name": "limits", "namespace": "shop"}, "spec": {"limits": []}}),
            )
            .unwrap();
        let shop = cache.objects_for("shop");
        assert_eq!(
            names(&shop),
            vec![
                "Namespace/shop",
                "ServiceAccount/default",
                "LimitRange/limits"
            ]
        );
        assert_eq!(shop[0].label("team"), Some("a"));
        assert_eq!(names(&cache.objects_for("other")).len(), 2);
        assert!(cache.objects_for("").is_empty());
        assert!(cache.objects_for("absent").is_empty());

        cache
            .apply(
                "ServiceAccount",
                Change::Delete,
                &json!({"metadata": {"name": "default", "namespace": "shop"}}),
            )
            .unwrap();
        assert_eq!(
            names(&cache.objects_for("shop")),
            vec!["Namespace/shop", "LimitRange/limits"]
        );
        // A relist replaces everything of its kind.
        cache.replace("Namespace", &[]).unwrap();
        assert_eq!(names(&cache.objects_for("shop")), vec!["LimitRange/limits"]);
        assert_eq!(cache.counts()[2], ("LimitRange", 1));
    }

    #[test]
    fn other_kinds_and_nameless_objects_are_refused() {
        let cache = ContextCache::new();
        assert!(cache
            .apply(
                "Secret",
                Change::Upsert,
                &json!({"metadata": {"name": "s", "namespace": "a"}})
            )
            .is_err());
        assert!(cache
            .apply(
                "ServiceAccount",
                Change::Upsert,
                &json!({"metadata": {"name": "s"}})
            )
            .is_err());
        assert!(cache
            .replace("Namespace", &[json!({"metadata": {}})])
            .is_err());
        assert!(!cache.is_synced());
    }
}
