//! Remembered ValidatingAdmissionPolicy decisions (see [`crate::decision_cache`]): one
//! policy run through one binding with one param object is a function of the request's
//! values at the paths its CEL reads ([`super::reads`]), so a request that agrees with an
//! earlier one there gets the earlier decisions. Runs with an error (which may be a time
//! budget running out) are never remembered.

use std::sync::Arc;

use serde_json::Value as Json;

use super::outcome::{Cause, VapOutcome};
use super::policy::Policy;
use super::reads::{policy_reads, PolicyReads};
use super::request::Request;
use crate::decision_cache::{part, CacheStats, DecisionCache, Remembered, TemplateKeys};

impl Remembered for VapOutcome {
    fn weight(&self) -> usize {
        let violations: usize = self.violations.iter().map(|v| v.message.len() + 256).sum();
        let annotations: usize = self
            .audit_annotations
            .iter()
            .map(|(k, v)| k.len() + v.len() + 64)
            .sum();
        violations + annotations
    }

    fn is_nothing(&self) -> bool {
        self.violations.is_empty()
            && self.audit_annotations.is_empty()
            && self.ignored_errors.is_empty()
    }
}

/// The cache of a [`super::VapSet`]: a shard per binding.
#[derive(Clone)]
pub(super) struct VapCache {
    cache: DecisionCache<VapOutcome>,
    /// Per policy: the paths its CEL reads (`None`: not cached).
    reads: Vec<Option<PolicyReads>>,
}

impl Default for VapCache {
    fn default() -> VapCache {
        VapCache {
            cache: DecisionCache::new(0, 0),
            reads: Vec::new(),
        }
    }
}

impl VapCache {
    pub(super) fn new(policies: &[Policy], bindings: usize, bytes: usize) -> VapCache {
        VapCache {
            cache: DecisionCache::new(bindings, bytes),
            reads: policies.iter().map(policy_reads).collect(),
        }
    }

    /// An empty cache of `bytes` over `bindings` bindings, for the same policies (their
    /// reads are found once, when the set is loaded).
    pub(super) fn renewed(&self, bindings: usize, bytes: usize) -> VapCache {
        VapCache {
            cache: DecisionCache::new(bindings, bytes),
            reads: self.reads.clone(),
        }
    }

    pub(super) fn budget(&self) -> usize {
        self.cache.total_budget()
    }

    pub(super) fn stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// The keys of policy `policy` on this request with this param object (`namespace`:
    /// the Namespace `namespaceObject` was made from): the full key (`f`, every value
    /// read), and with message-only reads a coarse one (`c`, without them) that serves runs
    /// that decided nothing.
    pub(super) fn keys(
        &self,
        policy: usize,
        req: &Request,
        namespace: Option<&Json>,
        param: Option<&str>,
    ) -> Option<TemplateKeys> {
        if !self.cache.enabled() {
            return None;
        }
        let reads = self.reads.get(policy)?.as_ref()?;
        let label = param.unwrap_or("");
        let mut full = vec![b'f'];
        full.extend_from_slice(&(label.len() as u64).to_le_bytes());
        full.extend_from_slice(label.as_bytes());
        let null = Json::Null;
        let namespace = if req.namespace.is_empty() {
            &null
        } else {
            namespace.unwrap_or(&null)
        };
        let append = |paths: &[Vec<String>], out: &mut Vec<u8>| {
            for path in paths {
                let Some((root, rest)) = path.split_first() else {
                    continue;
                };
                let value = match root.as_str() {
                    "object" => &req.object,
                    "oldObject" => &req.old_object,
                    "request" => &req.request,
                    "namespaceObject" => namespace,
                    _ => &null,
                };
                out.extend_from_slice(&part(value, rest));
            }
        };
        append(&reads.paths, &mut full);
        let coarse = (!reads.message_only.is_empty()).then(|| {
            let mut coarse = full.clone();
            coarse[0] = b'c';
            append(&reads.message_only, &mut full);
            coarse
        });
        Some(TemplateKeys { full, coarse })
    }

    pub(super) fn lookup(&self, binding: usize, keys: &TemplateKeys) -> Option<Arc<VapOutcome>> {
        self.cache.lookup(binding, keys)
    }

    /// Remembers a run's decisions unless it had an error.
    pub(super) fn remember(&self, binding: usize, keys: TemplateKeys, run: &VapOutcome) {
        let failed = !run.ignored_errors.is_empty()
            || run.violations.iter().any(|v| v.cause == Cause::Error);
        if !failed {
            self.cache.remember(binding, keys, Arc::new(run.clone()));
        }
    }
}

/// Appends a run's decisions to the request's.
pub(super) fn merge(out: &mut VapOutcome, run: &VapOutcome) {
    out.violations.extend(run.violations.iter().cloned());
    out.audit_annotations
        .extend(run.audit_annotations.iter().cloned());
    out.ignored_errors
        .extend(run.ignored_errors.iter().cloned());
}
