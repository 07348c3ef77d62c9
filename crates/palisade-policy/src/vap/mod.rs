//! Kubernetes ValidatingAdmissionPolicy (`admissionregistration.k8s.io/v1`): policies and
//! their bindings, evaluated with CEL over manifests (scan) or admission requests.
//!
//! [`VapSet::from_objects`] loads every ValidatingAdmissionPolicy and
//! ValidatingAdmissionPolicyBinding of an input, compiling each expression once, and keeps
//! the objects params may come from; [`VapSet::evaluate`] judges an inventory and returns
//! findings (rule id `VAP-<policy name>`, severity from the binding's strongest action:
//! Deny → high, Warn → medium, Audit → low); [`VapSet::evaluate_request`] judges one
//! AdmissionReview and returns a [`VapOutcome`] (denial message, warnings, audit
//! annotations). The dispatch mirrors `k8s.io/apiserver/pkg/admission/plugin/policy/generic`
//! `policyDispatcher.Dispatch` (policy match, binding match, `CollectParams`, configuration
//! errors through the failurePolicy) and `.../policy/validating` (`validator.Validate`).

mod cached;
mod cel;
mod eval;
mod library;
pub mod matcher;
mod outcome;
pub mod policy;
mod quantity;
mod reads;
mod request;
pub mod resources;
mod url;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use palisade_core::{Config, Finding, Inventory, Object, Severity};
use rayon::prelude::*;
use serde_json::Value as Json;

use crate::diag::Diagnostic;
use crate::{Evaluation, PolicyRule};
use matcher::Matched;
pub use policy::ValidationAction;
use policy::{Binding, FailurePolicy, Policy};

pub use self::cel::{DEFAULT_EVAL_TIME, MAX_NESTING};
pub use outcome::{rule_id, Cause, VapOutcome, VapViolation, VALIDATION_FAILURE_KEY};
pub use resources::ResourceMap;

/// Compiled policies and bindings, with the objects params and namespaces come from.
#[derive(Clone, Default)]
pub struct VapSet {
    policies: Vec<Policy>,
    /// Bindings, each with the index of its policy.
    bindings: Vec<(Binding, usize)>,
    /// Objects of any policy's paramKind.
    params: Vec<Json>,
    namespaces: HashMap<String, Json>,
    resources: ResourceMap,
    eval_time: Option<Duration>,
    /// Remembered decisions; renewed by every `&mut self` change.
    cache: cached::VapCache,
}

/// The default budget of a set's decision cache (a quarter of the policy set's).
pub const VAP_CACHE_BYTES: usize = crate::DEFAULT_CACHE_BYTES / 4;

/// The severity of a finding from a decision with these actions (strongest first).
pub fn severity(actions: &[ValidationAction]) -> Severity {
    match actions.first() {
        Some(ValidationAction::Deny) => Severity::High,
        Some(ValidationAction::Warn) => Severity::Medium,
        _ => Severity::Low,
    }
}

impl VapSet {
    /// Loads every policy and binding among `objects`. Problems become diagnostics; the rest
    /// still loads.
    pub fn from_objects(objects: &[Object]) -> (VapSet, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut set = VapSet::default();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for o in objects.iter().filter(|o| policy::is_policy(o)) {
            match policy::parse_policy(o, &mut diags) {
                Ok(p) => {
                    if let Some(&first) = by_name.get(&p.name) {
                        diags.push(Diagnostic::error(
                            Some(p.location.clone()),
                            format!(
                                "ValidatingAdmissionPolicy {} is defined again (first at {}); this one is ignored",
                                p.name, set.policies[first].location
                            ),
                        ));
                        continue;
                    }
                    by_name.insert(p.name.clone(), set.policies.len());
                    set.policies.push(p);
                }
                Err(d) => diags.push(d),
            }
        }
        for o in objects.iter().filter(|o| policy::is_binding(o)) {
            match policy::parse_binding(o, &mut diags) {
                Ok(b) => match by_name.get(&b.policy_name) {
                    Some(&i) => set.bindings.push((b, i)),
                    None => diags.push(Diagnostic::error(
                        Some(b.location.clone()),
                        format!(
                            "ValidatingAdmissionPolicyBinding {} names ValidatingAdmissionPolicy {}, which is not in the input; the binding is not evaluated",
                            b.name, b.policy_name
                        ),
                    )),
                },
                Err(d) => diags.push(d),
            }
        }
        let jsons: Vec<Json> = objects
            .iter()
            .filter(|o| o.id.kind == "Namespace" || set.is_param(&o.id.api_version, &o.id.kind))
            .map(|o| o.root.to_json())
            .collect();
        set.cache = cached::VapCache::new(&set.policies, set.bindings.len(), VAP_CACHE_BYTES);
        set.set_referential_json(&jsons);
        (set, diags)
    }

    /// Is an object of this kind a param of some policy?
    pub(crate) fn is_param(&self, api_version: &str, kind: &str) -> bool {
        self.policies.iter().any(|p| {
            p.param_kind
                .as_ref()
                .is_some_and(|(v, k)| v == api_version && k == kind)
        })
    }

    /// Replaces the Namespaces (for `namespaceSelector` and `namespaceObject`) and the
    /// param objects with these (an admission server's cache). Other objects are ignored.
    pub fn set_referential_json(&mut self, objects: &[Json]) {
        let field = |o: &Json, k: &str| o.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        self.namespaces = objects
            .iter()
            .filter(|o| field(o, "kind") == "Namespace" && field(o, "apiVersion") == "v1")
            .filter_map(|o| {
                Some((
                    o.get("metadata")?.get("name")?.as_str()?.to_string(),
                    o.clone(),
                ))
            })
            .collect();
        self.params = objects
            .iter()
            .filter(|o| self.is_param(&field(o, "apiVersion"), &field(o, "kind")))
            .cloned()
            .collect();
        self.set_cache_bytes(self.cache.budget());
    }

    /// Sets the decision cache's budget in bytes (0: none) and empties it.
    pub fn set_cache_bytes(&mut self, bytes: usize) {
        self.cache = self.cache.renewed(self.bindings.len(), bytes);
    }

    /// Hits and misses of the decision cache so far.
    pub fn cache_stats(&self) -> crate::CacheStats {
        self.cache.stats()
    }

    /// Kinds the built-in table does not know (CRDs): their resources and scope.
    pub fn set_resource_map(&mut self, map: ResourceMap) {
        self.resources = map;
        self.set_cache_bytes(self.cache.budget());
    }

    /// The evaluation time bound per expression (default [`DEFAULT_EVAL_TIME`]).
    pub fn set_eval_time(&mut self, bound: Duration) {
        self.eval_time = Some(bound);
        self.set_cache_bytes(self.cache.budget());
    }

    fn bound(&self) -> Duration {
        self.eval_time.unwrap_or(DEFAULT_EVAL_TIME)
    }

    /// True when no binding is loaded (nothing can be evaluated).
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    /// One rule per policy: `VAP-<name>`.
    pub fn rules(&self) -> Vec<PolicyRule> {
        self.policies
            .iter()
            .map(|p| PolicyRule {
                id: rule_id(&p.name),
                title: format!("ValidatingAdmissionPolicy {}", p.name),
                description: String::new(),
            })
            .collect()
    }

    /// Judges every object of the inventory (policies and bindings excepted) as a CREATE of
    /// it; see [`request`](self) for what `request` holds then.
    pub fn evaluate(&self, inventory: &Inventory, config: &Config) -> Evaluation {
        let judged: Vec<&Object> = inventory
            .objects
            .iter()
            .filter(|o| !policy::is_policy(o) && !policy::is_binding(o))
            .collect();
        let parts: Vec<Evaluation> = judged
            .par_chunks(64)
            .map(|chunk| {
                let mut out = Evaluation::default();
                for o in chunk {
                    self.evaluate_one(o, config, &mut out);
                }
                out
            })
            .collect();
        let mut out = Evaluation::default();
        let mut seen = BTreeSet::new();
        for p in parts {
            out.findings.extend(p.findings);
            // One note per policy and missing Namespace is enough.
            out.diagnostics.extend(
                p.diagnostics
                    .into_iter()
                    .filter(|d| seen.insert(d.to_string())),
            );
        }
        out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out
    }

    fn evaluate_one(&self, object: &Object, config: &Config, out: &mut Evaluation) {
        let json = object.root.to_json();
        let req = request::from_manifest(&json, &self.resources);
        let namespace = self.namespaces.get(&req.namespace);
        let mut missing = Vec::new();
        let outcome = self.judge(&req, namespace, None, Some(&mut missing));
        for (policy, ns) in missing {
            out.diagnostics.push(Diagnostic::note(
                Some(policy.location.clone()),
                format!(
                    "ValidatingAdmissionPolicy {}: its namespaceSelector needs Namespace {ns}, which is not in the input; objects in {ns} are not judged by it",
                    policy.name
                ),
            ));
        }
        for e in outcome.ignored_errors {
            out.diagnostics.push(Diagnostic::note(
                Some(object.location()),
                format!("{e} (on {}; ignored: failurePolicy Ignore)", object.id),
            ));
        }
        for v in outcome.violations {
            if !config.rule_enabled(&v.rule_id) {
                continue;
            }
            let actions: Vec<&str> = v.actions.iter().map(|a| a.as_str()).collect();
            let params = v
                .params
                .as_deref()
                .map(|p| format!(", params {p}"))
                .unwrap_or_default();
            out.findings.push(Finding {
                severity: config.severity_for(&v.rule_id, severity(&v.actions)),
                rule_id: palisade_core::RuleId::owned(v.rule_id.clone()),
                object: object.id.clone(),
                location: object.location(),
                field: None,
                message: format!(
                    "{} (binding {}{params}, {})",
                    v.message,
                    v.binding,
                    actions.join("+")
                )
                .into(),
                evidence: None,
            });
        }
    }

    /// Judges one admission request. `review` is an `AdmissionReview` (its `request` is
    /// used) or an `AdmissionRequest`. Namespaces and params are the ones last set.
    pub fn evaluate_request(&self, review: &Json) -> Result<VapOutcome, String> {
        self.evaluate_request_in(review, None)
    }

    /// [`VapSet::evaluate_request`] with the request namespace's Namespace as the cluster
    /// has it (a webhook's cache): it is `namespaceObject` and what namespaceSelectors read,
    /// in place of any Namespace of that name the set was given.
    pub fn evaluate_request_in(
        &self,
        review: &Json,
        cluster_namespace: Option<&Json>,
    ) -> Result<VapOutcome, String> {
        let req = request::from_review(review, &self.resources)?;
        let namespace = self.namespace_named(&req.namespace, cluster_namespace);
        Ok(self.judge(&req, namespace, cluster_namespace, None))
    }

    /// The Namespace called `name`: `cluster`'s when it is that one, else the set's.
    fn namespace_named<'a>(&'a self, name: &str, cluster: Option<&'a Json>) -> Option<&'a Json> {
        crate::review::cluster_copy(cluster, name).or_else(|| self.namespaces.get(name))
    }

    /// The dispatch: every policy whose constraints match, every binding of it that matches,
    /// every param; `missing` (scan) collects namespaceSelectors that could not be decided,
    /// which in a request are configuration errors.
    fn judge<'s>(
        &'s self,
        req: &request::Request,
        input_namespace: Option<&Json>,
        cluster_namespace: Option<&Json>,
        mut missing: Option<&mut Vec<(&'s Policy, String)>>,
    ) -> VapOutcome {
        let mut out = VapOutcome::default();
        let attrs = req.attributes();
        // Built on the first policy that runs: most requests match none.
        let scope = std::cell::OnceCell::new();
        let labels = |ns: &str| {
            self.namespace_named(ns, cluster_namespace)
                .map(crate::review::labels_of)
        };
        for (pi, policy) in self.policies.iter().enumerate() {
            let bindings = self
                .bindings
                .iter()
                .enumerate()
                .filter(|(_, (_, i))| *i == pi)
                .map(|(bi, (b, _))| (bi, b));
            let policy_match = policy.match_constraints.matches(&attrs, &labels);
            for (bi, binding) in bindings {
                let matched = match (&policy_match, &binding.match_resources) {
                    (Matched::Yes, None) => Matched::Yes,
                    (Matched::Yes, Some(m)) => m.matches(&attrs, &labels),
                    (other, _) => other.clone(),
                };
                match matched {
                    Matched::No => continue,
                    Matched::MissingNamespace(ns) => {
                        match missing.as_deref_mut() {
                            Some(list) => list.push((policy, ns)),
                            None => config_error(
                                policy,
                                binding,
                                format!("namespace \"{ns}\" not found"),
                                Cause::Config,
                                &mut out,
                            ),
                        }
                        continue;
                    }
                    Matched::Yes => {}
                }
                let params = match self.collect_params(policy, binding, &req.namespace) {
                    Ok(p) => p,
                    Err(e) => {
                        let message = format!("failed to configure binding: {e}");
                        config_error(policy, binding, message, Cause::Params, &mut out);
                        continue;
                    }
                };
                for param in params {
                    let label = param.as_ref().map(|(l, _)| l.as_str());
                    let keys = self.cache.keys(pi, req, input_namespace, label);
                    if let Some(hit) = keys.as_ref().and_then(|k| self.cache.lookup(bi, k)) {
                        cached::merge(&mut out, &hit);
                        continue;
                    }
                    let p = param.map(|(label, json)| (label, self::cel::value(&json)));
                    let p = p.as_ref().map(|(l, v)| (l.as_str(), v.clone()));
                    // The request in CEL's values, made only when a run needs it.
                    let scope = scope.get_or_init(|| request::input(req, input_namespace).scope());
                    let mut run = VapOutcome::default();
                    eval::validate(policy, binding, p, scope, self.bound(), &mut run);
                    if let Some(keys) = keys {
                        self.cache.remember(bi, keys, &run);
                    }
                    cached::merge(&mut out, &run);
                }
            }
        }
        out
    }

    /// `CollectParams`: `[None]` when the policy has no paramKind or the binding no paramRef;
    /// the matching param objects otherwise (sorted by namespace and name); an error for a
    /// misconfiguration or for no params under `parameterNotFoundAction: Deny`.
    #[allow(clippy::type_complexity)]
    fn collect_params(
        &self,
        policy: &Policy,
        binding: &Binding,
        namespace: &str,
    ) -> Result<Vec<Option<(String, Json)>>, String> {
        let (Some((api_version, kind)), Some(r)) = (&policy.param_kind, &binding.param_ref) else {
            return Ok(vec![None]);
        };
        let (group, _) = crate::review::split_api_version(api_version);
        let candidates: Vec<&Json> = self
            .params
            .iter()
            .filter(|o| {
                o.get("apiVersion").and_then(Json::as_str) == Some(api_version.as_str())
                    && o.get("kind").and_then(Json::as_str) == Some(kind.as_str())
            })
            .collect();
        let meta = |o: &Json, k: &str| {
            o.get("metadata")
                .and_then(|m| m.get(k))
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string()
        };
        let namespaced = self.resources.namespaced(group, kind).unwrap_or_else(|| {
            r.namespace.is_some() || candidates.iter().any(|o| !meta(o, "namespace").is_empty())
        });
        let wanted_ns = if namespaced {
            match (&r.namespace, namespace) {
                (Some(ns), _) => ns.clone(),
                (None, "") => return Err("cannot use namespaced paramRef in policy binding that matches cluster-scoped resources".into()),
                (None, ns) => ns.to_string(),
            }
        } else if r.namespace.is_some() {
            return Err(
                "paramRef.namespace must not be provided for a cluster-scoped `paramKind`".into(),
            );
        } else {
            String::new()
        };
        // A manifest without a namespace lands in `default` when applied.
        let ns_of = |o: &Json| match meta(o, "namespace") {
            n if n.is_empty() && namespaced => "default".to_string(),
            n => n,
        };
        let mut found: Vec<(String, Json)> = candidates
            .into_iter()
            .filter(|o| ns_of(o) == wanted_ns)
            .filter(|o| match (&r.name, &r.selector) {
                (Some(name), _) => meta(o, "name") == *name,
                (None, Some(sel)) => {
                    let labels = o.get("metadata").and_then(|m| m.get("labels"));
                    sel.matches(|k| labels.and_then(|l| l.get(k)).and_then(Json::as_str))
                }
                (None, None) => false,
            })
            .map(|o| {
                let label = if namespaced {
                    format!("{}/{}", ns_of(o), meta(o, "name"))
                } else {
                    meta(o, "name")
                };
                (label, o.clone())
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        if found.is_empty() && r.deny_if_missing {
            return Err(
                "no params found for policy binding with `Deny` parameterNotFoundAction".into(),
            );
        }
        Ok(found.into_iter().map(Some).collect())
    }
}

/// `addConfigError`: ignored under `Ignore`, a denial under `Fail` whatever the actions.
fn config_error(
    policy: &Policy,
    binding: &Binding,
    message: String,
    cause: Cause,
    out: &mut VapOutcome,
) {
    match policy.failure_policy {
        FailurePolicy::Ignore => out.ignored_errors.push(format!(
            "policy '{}' with binding '{}': {message}",
            policy.name, binding.name
        )),
        FailurePolicy::Fail => out.violations.push(VapViolation {
            rule_id: rule_id(&policy.name),
            policy: policy.name.clone(),
            binding: binding.name.clone(),
            params: None,
            actions: vec![ValidationAction::Deny],
            message,
            reason: match cause {
                Cause::Params => "Invalid".to_string(),
                _ => String::new(),
            },
            expression_index: None,
            cause,
        }),
    }
}
