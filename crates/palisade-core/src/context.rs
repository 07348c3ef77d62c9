//! [`Context`]: what the inventory knows about an object's surroundings (its Namespace, its
//! ServiceAccount, the namespace's LimitRanges), for per-object rules.
//!
//! A per-object rule must also work on a lone object (an admission request with no cache),
//! so every lookup may answer "not known": [`Context::none`] knows nothing, and a rule then
//! judges the object as written.
//!
//! Namespaces are matched as written: an object without `metadata.namespace` is matched with
//! objects that also leave it out (a Helm chart or kustomization applied to one namespace),
//! never with a guessed `default`.
//!
//! A scan may judge an object before the inventory is complete, while its tree is still in
//! cache: with [`Context::recording`], which knows nothing and writes down every [`Lookup`].
//! When the complete context [`answers`](Context::answers) none of them either, the rules saw
//! exactly what they would have seen, and their findings stand.

use std::sync::Mutex;

use compact_str::CompactString;
use foldhash::HashMap;

use crate::inventory::{Inventory, Object};
use crate::yaml::Node;

/// Lookups into the objects around the one being judged.
#[derive(Debug, Default)]
pub struct Context<'a> {
    namespaces: HashMap<&'a str, &'a Object>,
    /// Namespace as written (`""` when left out) → name → object.
    service_accounts: HashMap<&'a str, HashMap<&'a str, &'a Object>>,
    /// Namespace as written (`""` when left out) → LimitRanges.
    limit_ranges: HashMap<&'a str, Vec<&'a Object>>,
    /// Where lookups are written down, for a context that knows nothing yet.
    log: Option<&'a Mutex<Vec<Lookup>>>,
}

/// One question a rule asked of a [`Context`] (namespaces as written, `""` when left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The `Namespace` object of this name.
    Namespace(CompactString),
    /// The ServiceAccount of this namespace and name.
    ServiceAccount(CompactString, CompactString),
    /// The LimitRanges of this namespace.
    LimitRanges(CompactString),
}

/// Map key of a namespace as written: `""` when left out (no real namespace is empty).
fn ns_key(namespace: Option<&str>) -> &str {
    namespace.unwrap_or("")
}

impl<'a> Context<'a> {
    /// A context that knows nothing (a lone object).
    pub fn none() -> Context<'static> {
        Context::default()
    }

    /// A context that knows nothing and writes every lookup into `log`: for judging an
    /// object before the inventory is complete (see the module docs).
    pub fn recording(log: &'a Mutex<Vec<Lookup>>) -> Context<'a> {
        Context {
            log: Some(log),
            ..Context::default()
        }
    }

    /// True when this context knows something for `lookup`, so that a rule asking it would
    /// get another answer than from [`Context::none`].
    pub fn answers(&self, lookup: &Lookup) -> bool {
        match lookup {
            Lookup::Namespace(name) => self.namespaces.contains_key(name.as_str()),
            Lookup::ServiceAccount(namespace, name) => self
                .service_accounts
                .get(namespace.as_str())
                .is_some_and(|names| names.contains_key(name.as_str())),
            Lookup::LimitRanges(namespace) => self
                .limit_ranges
                .get(namespace.as_str())
                .is_some_and(|l| !l.is_empty()),
        }
    }

    fn note(&self, lookup: impl FnOnce() -> Lookup) {
        if let Some(log) = self.log {
            let lookup = lookup();
            // A poisoned log only means another rule panicked; the entry is still wanted.
            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
            // Each question once: the rules ask the same one again and again (every request
            // and limit of every container asks for the namespace's LimitRanges), and a scan
            // keeps each object's questions until the inventory is complete.
            if !log.contains(&lookup) {
                log.push(lookup);
            }
        }
    }

    /// Indexes the objects of an inventory. Cheap: one pass comparing kinds.
    pub fn of(inventory: &'a Inventory) -> Context<'a> {
        Context::from_objects(&inventory.objects)
    }

    /// Indexes a run of objects (what an admission server keeps in its cache).
    pub fn from_objects(objects: &'a [Object]) -> Context<'a> {
        let mut ctx = Context::default();
        for o in objects {
            match o.id.kind.as_str() {
                "Namespace" => {
                    ctx.namespaces.insert(o.id.name.as_str(), o);
                }
                "ServiceAccount" => {
                    ctx.service_accounts
                        .entry(ns_key(o.id.namespace.as_deref()))
                        .or_default()
                        .insert(o.id.name.as_str(), o);
                }
                "LimitRange" => ctx
                    .limit_ranges
                    .entry(ns_key(o.id.namespace.as_deref()))
                    .or_default()
                    .push(o),
                _ => {}
            }
        }
        ctx
    }

    /// The `Namespace` object an object lives in, when the input has it.
    pub fn namespace_of(&self, object: &Object) -> Option<&'a Object> {
        let name = object.id.namespace.as_deref()?;
        self.note(|| Lookup::Namespace(name.into()));
        self.namespaces.get(name).copied()
    }

    /// The ServiceAccount a workload runs as (`serviceAccountName`, else `default`), in the
    /// workload's namespace, when the input has it.
    pub fn service_account(&self, namespace: Option<&str>, name: &str) -> Option<&'a Object> {
        self.note(|| Lookup::ServiceAccount(ns_key(namespace).into(), name.into()));
        self.service_accounts
            .get(ns_key(namespace))?
            .get(name)
            .copied()
    }

    /// The LimitRanges of a namespace (as written; see the module docs).
    pub fn limit_ranges(&self, namespace: Option<&str>) -> &[&'a Object] {
        self.note(|| Lookup::LimitRanges(ns_key(namespace).into()));
        self.limit_ranges
            .get(ns_key(namespace))
            .map_or(&[], Vec::as_slice)
    }

    /// The first LimitRange of the namespace that gives containers a default for
    /// `resources.<section>.<resource>` (`section` is `limits` or `requests`). A LimitRange's
    /// `default` fills missing limits and `defaultRequest` missing requests; when only
    /// `default` is set, the API server also uses it as the request.
    pub fn limit_range_default(
        &self,
        namespace: Option<&str>,
        section: &str,
        resource: &str,
    ) -> Option<&'a Object> {
        let keys: &[&str] = if section == "requests" {
            &["defaultRequest", "default"]
        } else {
            &["default"]
        };
        self.limit_ranges(namespace).iter().copied().find(|lr| {
            lr.root
                .get_path(&["spec", "limits"])
                .and_then(Node::as_seq)
                .is_some_and(|items| {
                    items.iter().any(|item| {
                        item.get("type").and_then(Node::as_str) == Some("Container")
                            && keys.iter().any(|k| {
                                item.get(k)
                                    .and_then(|d| d.get(resource))
                                    .is_some_and(|v| !v.is_null())
                            })
                    })
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{load_str, LoadLimits};

    fn inventory(text: &str) -> Inventory {
        let mut inv = Inventory::default();
        inv.add(load_str("t.yaml", text, &LoadLimits::default()));
        inv
    }

    #[test]
    fn finds_service_account_and_namespace_as_written() {
        let inv = inventory(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: a}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: t}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n",
        );
        let ctx = Context::of(&inv);
        let pod = &inv.objects[3];
        assert_eq!(ctx.namespace_of(pod).map(|n| n.id.name.as_str()), Some("a"));
        assert!(ctx.service_account(Some("a"), "s").is_some());
        assert!(ctx.service_account(Some("a"), "t").is_none());
        assert!(ctx.service_account(None, "t").is_some());
        assert!(Context::none().service_account(Some("a"), "s").is_none());
    }

    #[test]
    fn a_recording_context_knows_nothing_and_notes_every_question_once() {
        let inv = inventory(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n",
        );
        let log = Mutex::new(Vec::new());
        let recording = Context::recording(&log);
        assert!(recording.service_account(Some("a"), "s").is_none());
        assert!(recording.namespace_of(&inv.objects[1]).is_none());
        assert!(recording
            .limit_range_default(None, "limits", "cpu")
            .is_none());
        // Asked again: noted once.
        assert!(recording.service_account(Some("a"), "s").is_none());
        assert!(recording
            .limit_range_default(None, "requests", "memory")
            .is_none());
        let asked = log.into_inner().unwrap_or_default();
        assert_eq!(
            asked,
            vec![
                Lookup::ServiceAccount("a".into(), "s".into()),
                Lookup::Namespace("a".into()),
                Lookup::LimitRanges("".into()),
            ]
        );
        let ctx = Context::of(&inv);
        let answered: Vec<bool> = asked.iter().map(|l| ctx.answers(l)).collect();
        assert_eq!(answered, vec![true, false, false]);
        assert!(!ctx.answers(&Lookup::ServiceAccount("".into(), "s".into())));
    }

    #[test]
    fn limit_range_defaults_by_section() {
        let inv = inventory(
            "apiVersion: v1\nkind: LimitRange\nmetadata: {name: l, namespace: a}\nspec:\n  limits:\n  - type: Container\n    default: {memory: 512Mi}\n    defaultRequest: {cpu: 100m}\n",
        );
        let ctx = Context::of(&inv);
        assert!(ctx
            .limit_range_default(Some("a"), "limits", "memory")
            .is_some());
        assert!(ctx
            .limit_range_default(Some("a"), "requests", "memory")
            .is_some());
        assert!(ctx
            .limit_range_default(Some("a"), "requests", "cpu")
            .is_some());
        assert!(ctx
            .limit_range_default(Some("a"), "limits", "cpu")
            .is_none());
        assert!(ctx
            .limit_range_default(Some("b"), "limits", "memory")
            .is_none());
    }
}
