//! Remembered decisions of Gatekeeper templates, keyed by what the template can read (the
//! ValidatingAdmissionPolicies' use the same store, see [`crate::vap`]'s `cached`).
//!
//! A template's answer is a function of `input` and `data` (its Rego is deterministic once
//! the impure built-ins are excluded, see [`crate::input_reads`]). `input` is the review
//! and the constraint's parameters; the parameters are fixed per constraint, and `data`
//! only changes through `&mut PolicySet` (which starts a new cache). So two reviews that
//! agree on every path the template may read get the same answer, and the second can be
//! served from the first. That is common at admission: the replicas of a Deployment differ
//! in names, uids and owner references, which the pod-security templates never read.
//!
//! Bounded: each constraint has a byte budget (keys and answers); a shard over it is
//! emptied. Errors (and time-outs) are never remembered.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use foldhash::fast::RandomState;
use serde_json::Value as Json;

use crate::input_reads::ReadSet;

/// What a cache can hold: its approximate size, and whether it is an empty answer (the only
/// kind a coarse key may serve).
pub(crate) trait Remembered {
    fn weight(&self) -> usize;
    fn is_nothing(&self) -> bool;
}

impl Remembered for Vec<(String, Json)> {
    fn weight(&self) -> usize {
        self.iter().map(|(m, _)| m.len() + 256).sum()
    }

    fn is_nothing(&self) -> bool {
        self.is_empty()
    }
}

/// Default budget of a policy set's cache, in bytes.
pub const DEFAULT_CACHE_BYTES: usize = 16 << 20;

/// Counters of a cache, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Evaluations answered from the cache.
    pub hits: u64,
    /// Cacheable evaluations that ran the template.
    pub misses: u64,
}

struct Shard<A> {
    answers: HashMap<Vec<u8>, Arc<A>, RandomState>,
    bytes: usize,
}

impl<A> Default for Shard<A> {
    fn default() -> Shard<A> {
        Shard {
            answers: HashMap::default(),
            bytes: 0,
        }
    }
}

/// The cache of one policy set: a shard per constraint (or per binding).
pub(crate) struct DecisionCache<A = Vec<(String, Json)>> {
    shard_budget: usize,
    total_budget: usize,
    shards: Vec<Mutex<Shard<A>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<A: Remembered> DecisionCache<A> {
    /// A cache of `total_budget` bytes over `constraints` constraints (0: off).
    pub(crate) fn new(constraints: usize, total_budget: usize) -> DecisionCache<A> {
        DecisionCache {
            shard_budget: total_budget / constraints.max(1),
            total_budget,
            shards: (0..constraints).map(|_| Mutex::default()).collect(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub(crate) fn total_budget(&self) -> usize {
        self.total_budget
    }

    pub(crate) fn enabled(&self) -> bool {
        self.shard_budget > 0
    }

    /// The answer under `key` alone, counted.
    #[cfg(test)]
    pub(crate) fn get(&self, constraint: usize, key: &[u8]) -> Option<Arc<A>> {
        self.lookup(
            constraint,
            &TemplateKeys {
                full: key.to_vec(),
                coarse: None,
            },
        )
    }

    /// The answer remembered under the review's keys (the coarse one first), counted as one
    /// hit or one miss.
    pub(crate) fn lookup(&self, constraint: usize, keys: &TemplateKeys) -> Option<Arc<A>> {
        let shard = self.shards.get(constraint)?.lock().ok()?;
        let found = keys
            .coarse
            .as_ref()
            .and_then(|c| shard.answers.get(c))
            .or_else(|| shard.answers.get(&keys.full))
            .cloned();
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Remembers an answer: an empty one under the coarse key when there is one (it holds for
    /// every value of the message-only reads), any other under the full key.
    pub(crate) fn remember(&self, constraint: usize, keys: TemplateKeys, answer: Arc<A>) {
        let key = match keys.coarse {
            Some(coarse) if answer.is_nothing() => coarse,
            _ => keys.full,
        };
        self.put(constraint, key, answer);
    }

    fn put(&self, constraint: usize, key: Vec<u8>, answer: Arc<A>) {
        let cost = key.len() + answer.weight() + 64;
        if cost > self.shard_budget {
            return;
        }
        let Some(Ok(mut shard)) = self.shards.get(constraint).map(Mutex::lock) else {
            return;
        };
        if shard.bytes + cost > self.shard_budget {
            shard.answers.clear();
            shard.bytes = 0;
        }
        if shard.answers.insert(key, answer).is_none() {
            shard.bytes += cost;
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

/// A clone starts empty (a cloned set may be changed and must not share answers).
impl<A: Remembered> Clone for DecisionCache<A> {
    fn clone(&self) -> DecisionCache<A> {
        DecisionCache::new(self.shards.len(), self.total_budget)
    }
}

/// The key of a review for a template that reads `paths` of `input` (`{review,
/// parameters}`): the value at each `review` path, in order, or its absence. Parameters
/// are fixed per constraint and not part of the key; `input` has no other field.
///
/// Each value is written as `1` + its JSON, an absent one as `0`: JSON text never holds
/// these bytes, so the key is unambiguous.
#[cfg(test)]
pub(crate) fn key(paths: &[Vec<String>], review: &Json) -> Vec<u8> {
    Keys::new(review).key(paths)
}

/// A review's keys for one template.
pub(crate) struct TemplateKeys {
    /// Every read value (`f` + the values of the paths, then of the message-only reads).
    pub(crate) full: Vec<u8>,
    /// With message-only reads: `c` + the values of the paths, then whether each
    /// message-only read is defined. Serves empty answers only.
    pub(crate) coarse: Option<Vec<u8>>,
}

/// The parts of one review's keys, each written once however many templates read it
/// (most pod templates read `spec.containers`).
pub(crate) struct Keys<'r> {
    review: &'r Json,
    parts: RefCell<HashMap<Vec<String>, Rc<[u8]>, RandomState>>,
}

impl<'r> Keys<'r> {
    pub(crate) fn new(review: &'r Json) -> Keys<'r> {
        Keys {
            review,
            parts: RefCell::default(),
        }
    }

    pub(crate) fn review(&self) -> &'r Json {
        self.review
    }

    /// The keys for a template that reads `read`.
    pub(crate) fn for_reads(&self, read: &ReadSet) -> TemplateKeys {
        let mut full = vec![b'f'];
        self.append(&read.paths, &mut full);
        let coarse = (!read.message_only.is_empty()).then(|| {
            let mut coarse = full.clone();
            coarse[0] = b'c';
            for m in &read.message_only {
                let part = self.part_of(m);
                // Each part starts with its defined byte; only that byte goes in the coarse key.
                coarse.push(part.first().copied().unwrap_or(0));
                full.extend_from_slice(&part);
            }
            coarse
        });
        TemplateKeys { full, coarse }
    }

    /// The key for a template reading `paths` (see [`key`]).
    #[cfg(test)]
    pub(crate) fn key(&self, paths: &[Vec<String>]) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.append(paths, &mut out);
        out
    }

    fn part_of(&self, path: &[String]) -> Rc<[u8]> {
        match path.split_first() {
            Some((root, rest)) if root == "review" => {
                let known = self.parts.borrow().get(rest).cloned();
                known.unwrap_or_else(|| {
                    let part = part(self.review, rest);
                    self.parts
                        .borrow_mut()
                        .insert(rest.to_vec(), Rc::clone(&part));
                    part
                })
            }
            // Parameters are fixed per constraint; `input` has no other field.
            _ => Rc::from(&[][..]),
        }
    }

    fn append(&self, paths: &[Vec<String>], out: &mut Vec<u8>) {
        for path in paths {
            out.extend_from_slice(&self.part_of(path));
        }
    }
}

/// The key part of the value at `path` below `review`: `1` + its JSON, or `0` when absent.
pub(crate) fn part(review: &Json, path: &[String]) -> Rc<[u8]> {
    let value = path
        .iter()
        .try_fold(review, |v, field| v.as_object()?.get(field.as_str()));
    match value {
        Some(v) => {
            let mut out = vec![1];
            // Writing into a Vec cannot fail, and a Value always serializes.
            let _ = serde_json::to_writer(&mut out, v);
            out.into()
        }
        None => Rc::from(&[0u8][..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    #[test]
    fn keys_hold_only_the_read_paths() {
        let paths = [p("review.object.spec"), p("parameters.x")];
        let a = json!({"name": "a", "uid": "1", "object": {"metadata": {"name": "a"}, "spec": {"x": 1}}});
        let b = json!({"name": "b", "uid": "2", "object": {"metadata": {"name": "b"}, "spec": {"x": 1}}});
        let c = json!({"name": "a", "uid": "1", "object": {"metadata": {"name": "a"}, "spec": {"x": 2}}});
        assert_eq!(key(&paths, &a), key(&paths, &b));
        assert_ne!(key(&paths, &a), key(&paths, &c));
    }

    #[test]
    fn absent_and_null_and_empty_differ() {
        let paths = [p("review.object.spec"), p("review.object.status")];
        let keys: Vec<Vec<u8>> = [
            json!({"object": {}}),
            json!({"object": {"spec": null}}),
            json!({"object": {"spec": {}}}),
            json!({"object": {"status": {}}}),
            json!({"object": 5}),
        ]
        .iter()
        .map(|r| key(&paths, r))
        .collect();
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                if a == b {
                    // `{"object": {}}` and `{"object": 5}` read the same: both paths absent.
                    assert_eq!(a, &[0, 0]);
                }
            }
        }
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[1], keys[2]);
        assert_ne!(keys[2], keys[3]);
    }

    #[test]
    fn a_shard_over_budget_is_emptied_and_errors_stay_out() {
        let cache: DecisionCache = DecisionCache::new(2, 2 * 200);
        let answer: Arc<Vec<(String, Json)>> = Arc::new(vec![]);
        cache.put(0, vec![1; 100], answer.clone());
        assert!(cache.get(0, &[1; 100]).is_some());
        assert!(
            cache.get(1, &[1; 100]).is_none(),
            "shards are per constraint"
        );
        cache.put(0, vec![2; 100], answer.clone());
        assert!(cache.get(0, &[1; 100]).is_none(), "emptied to make room");
        assert!(cache.get(0, &[2; 100]).is_some());
        cache.put(0, vec![3; 1000], answer);
        assert!(cache.get(0, &[3; 1000]).is_none(), "larger than the budget");
        assert_eq!(cache.stats(), CacheStats { hits: 2, misses: 3 });
        assert!(!DecisionCache::<Vec<(String, Json)>>::new(3, 0).enabled());
        assert_eq!(cache.clone().stats(), CacheStats::default());
    }
}
