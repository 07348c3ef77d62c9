//! Judging one admission request: the built-in rules through the scan engine (with the
//! request namespace's Namespace, ServiceAccounts and LimitRanges from the [`ContextCache`]
//! when a watcher keeps one; alone, [`Context::none`], otherwise), the user policies,
//! exceptions exactly as in scan, then the enforcement mode of each rule.
//!
//! Which requests the built-in rules judge: CREATE and UPDATE of a main resource, and of the
//! `ephemeralcontainers` subresource (it adds containers to a running pod). Other
//! subresources (`status`, `scale`, `binding`, `eviction`, `exec`, ...) and DELETE and
//! CONNECT go to the user policies only: a kubelet's status update of a pod admitted long
//! ago must not be refused for the pod's spec.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_core::inventory::load_json;
use palisade_core::{
    exceptions, Config, Context, Date, Finding, Inventory, Location, Rule, Severity,
};
use palisade_engine::Engine;
use palisade_policy::vap::{self, ValidationAction};
use palisade_policy::{Action, PolicySet};
use serde_json::Value as Json;

use crate::cache::ContextCache;
use crate::modes::{AdmissionConfig, Mode};
use crate::review::{Answer, Request};

/// One rule that fired, with the mode it is enforced in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Rule id (`PAL-POD-001`, `GK-K8sRequiredLabels`).
    pub rule_id: String,
    /// Its mode.
    pub mode: Mode,
    /// What it says, with the field and the fix.
    pub text: String,
}

/// The decision on one request.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// The answer to send.
    pub answer: Answer,
    /// Rules that fired (mode `off` excluded), in place order.
    pub hits: Vec<Hit>,
    /// The namespace is exempt: nothing was judged.
    pub exempt: bool,
    /// Policies that failed on the request (already turned into hits per the failure mode).
    pub policy_errors: Vec<String>,
    /// ValidatingAdmissionPolicy errors their `failurePolicy: Ignore` swallowed: logged,
    /// never a hit.
    pub ignored_errors: Vec<String>,
}

/// Everything a decision reads; shared by all requests.
pub struct Judge {
    engine: Engine,
    config: Config,
    admission: AdmissionConfig,
    policies: Option<PolicySet>,
    rules: HashMap<&'static str, &'static Rule>,
    cache: Option<Arc<ContextCache>>,
}

impl Judge {
    /// A judge over an engine, the scan config (exceptions, rule settings), the admission
    /// modes and the user policies.
    pub fn new(
        engine: Engine,
        config: Config,
        admission: AdmissionConfig,
        policies: Option<PolicySet>,
    ) -> Judge {
        let rules = engine.catalog().into_iter().map(|r| (r.id, r)).collect();
        Judge {
            engine,
            config,
            admission,
            policies: policies.filter(|p| !p.is_empty()),
            rules,
            cache: None,
        }
    }

    /// The same judge, reading the cluster context from `cache`.
    #[must_use]
    pub fn with_cache(mut self, cache: Option<Arc<ContextCache>>) -> Judge {
        self.cache = cache;
        self
    }

    /// Whether the cluster context is ready (always, without a cache).
    pub fn context_synced(&self) -> bool {
        self.cache.as_ref().is_none_or(|c| c.is_synced())
    }

    /// The user policies' decision cache counters, when there are policies.
    pub fn policy_cache_stats(&self) -> Option<palisade_policy::CacheStats> {
        self.policies.as_ref().map(PolicySet::decision_cache_stats)
    }

    /// Decides one request (`review` is the whole AdmissionReview, `req` what was read of it).
    pub fn decide(&self, review: &Json, req: &Request, today: Date) -> Verdict {
        let mut verdict = Verdict::default();
        if !req.namespace.is_empty() && self.admission.is_exempt(&req.namespace) {
            verdict.exempt = true;
            verdict.answer.allowed = true;
            verdict
                .answer
                .audit_annotations
                .push(("decision".into(), "exempt".into()));
            return verdict;
        }
        let request = review.get("request").unwrap_or(&Json::Null);
        let builtin = matches!(req.operation.as_str(), "CREATE" | "UPDATE")
            && (req.sub_resource.is_empty() || req.sub_resource == "ephemeralcontainers");
        // The object the findings are about: the new one, or on DELETE the old one.
        let subject = match request.get("object").filter(|o| o.is_object()) {
            Some(o) => Some(o),
            None => request.get("oldObject").filter(|o| o.is_object()),
        };
        let inventory = subject.map(|o| inventory_of(o, req));
        // The request's surroundings, copied out of the cache (a few small objects).
        let context_objects = match &self.cache {
            Some(cache) => cache.objects_for(&req.namespace),
            None => Vec::new(),
        };
        let mut findings: Vec<Finding> = Vec::new();
        let mut policy_modes: HashMap<String, Mode> = HashMap::new();
        if builtin {
            match &inventory {
                Some(inv) if !inv.objects.is_empty() => {
                    let context = Context::from_objects(&context_objects);
                    findings = self
                        .engine
                        .check_objects(&inv.objects, &context, &self.config);
                    findings.retain(|f| self.config.rule_enabled(&f.rule_id));
                }
                Some(inv) => {
                    let why = inv
                        .errors
                        .first()
                        .map_or("no object".to_string(), |e| e.message.clone());
                    verdict
                        .policy_errors
                        .push(format!("the object could not be read: {why}"));
                }
                None => verdict
                    .policy_errors
                    .push(format!("{} request without an object", req.operation)),
            }
        }
        let mut policy_annotations = Vec::new();
        if let Some(policies) = &self.policies {
            // Policies read the request's Namespace as the cluster has it, when cached.
            let namespace = context_objects
                .iter()
                .find(|o| o.is("Namespace") && o.id.name == req.namespace)
                .map(palisade_policy::review::object_json);
            match policies.evaluate_review_in(review, namespace.as_ref()) {
                Ok(outcome) => {
                    let object = inventory.as_ref().and_then(|i| i.objects.first());
                    let mut decided = |rule_id: String, action: Mode, severity, message| {
                        let mode = self.admission.configured_mode(&rule_id).unwrap_or(action);
                        policy_modes
                            .entry(rule_id.clone())
                            .and_modify(|m| *m = (*m).max(mode))
                            .or_insert(mode);
                        findings.push(policy_finding(object, req, rule_id, severity, message));
                    };
                    for v in outcome.violations {
                        let action = match v.action() {
                            Action::Deny => Mode::Deny,
                            Action::Warn => Mode::Warn,
                            _ => Mode::Audit,
                        };
                        let severity = v.actions[0].severity();
                        decided(v.rule_id, action, severity, v.message);
                    }
                    // A ValidatingAdmissionPolicy decision acts as its binding's strongest
                    // validationAction (Deny, then Warn, then Audit).
                    for v in outcome.vap.violations {
                        let action = match v.actions.first() {
                            Some(ValidationAction::Deny) => Mode::Deny,
                            Some(ValidationAction::Warn) => Mode::Warn,
                            _ => Mode::Audit,
                        };
                        let message = format!(
                            "ValidatingAdmissionPolicy '{}' with binding '{}': {}",
                            v.policy, v.binding, v.message
                        );
                        decided(v.rule_id, action, vap::severity(&v.actions), message);
                    }
                    // The policies' auditAnnotations (`<policy>/<key>`): the API server
                    // prefixes a webhook's keys with its name, so the `/` becomes a `.`.
                    verdict.ignored_errors = outcome.vap.ignored_errors;
                    policy_annotations = outcome
                        .vap
                        .audit_annotations
                        .into_iter()
                        .map(|(key, value)| (key.replacen('/', ".", 1), value))
                        .collect();
                    verdict.policy_errors.extend(
                        outcome
                            .errors
                            .into_iter()
                            .map(|e| format!("{}: {}", e.rule_id, e.message)),
                    );
                }
                Err(e) => verdict.policy_errors.push(format!("policies: {e}")),
            }
        }
        let applied = match inventory {
            Some(mut inv) => {
                // Exceptions that select by namespace labels read the cached Namespace.
                inv.objects.extend(context_objects);
                exceptions::apply(findings, &inv, &self.config, today).findings
            }
            None => findings,
        };
        for f in applied {
            let (mode, text) = match policy_modes.get(f.rule_id.as_ref()) {
                Some(mode) => (*mode, format!("{}: {}", f.rule_id, f.message)),
                None => (
                    self.admission.mode_for(&f.rule_id, f.severity),
                    self.describe(&f),
                ),
            };
            if mode != Mode::Off {
                verdict.hits.push(Hit {
                    rule_id: f.rule_id.to_string(),
                    mode,
                    text,
                });
            }
        }
        let failure = if self.admission.deny_on_policy_error {
            Mode::Deny
        } else {
            Mode::Audit
        };
        for e in &verdict.policy_errors {
            verdict.hits.push(Hit {
                rule_id: "policy-error".into(),
                mode: failure,
                text: format!("Palisade could not judge the request: {e}"),
            });
        }
        verdict.answer = answer(&verdict.hits, req);
        verdict.answer.audit_annotations.extend(policy_annotations);
        verdict
    }

    /// `PAL-POD-001 (Title) at spec.hostNetwork: message. Fix: remediation`
    fn describe(&self, f: &Finding) -> String {
        let rule = self.rules.get(f.rule_id.as_ref());
        let title = rule.map(|r| format!(" ({})", r.title)).unwrap_or_default();
        let at = f
            .field
            .as_deref()
            .map(|p| format!(" at {p}"))
            .unwrap_or_default();
        let fix = rule
            .map(|r| format!(" Fix: {}", r.remediation))
            .unwrap_or_default();
        format!(
            "{}{title}{at}: {}.{fix}",
            f.rule_id,
            f.message.trim_end_matches('.')
        )
    }
}

/// The answer: denied when any hit is in deny mode; warnings for warn-mode hits; audit
/// annotations listing each mode's rules.
fn answer(hits: &[Hit], req: &Request) -> Answer {
    let of = |mode: Mode| hits.iter().filter(move |h| h.mode == mode);
    let denies: Vec<&Hit> = of(Mode::Deny).collect();
    let mut answer = Answer {
        allowed: denies.is_empty(),
        ..Answer::default()
    };
    if !answer.allowed {
        let subject = if req.namespace.is_empty() {
            format!("{} {}", req.kind, req.name)
        } else {
            format!("{} {}/{}", req.kind, req.namespace, req.name)
        };
        let lines: Vec<&str> = denies.iter().map(|h| h.text.as_str()).collect();
        answer.message = format!(
            "Palisade denied {}: {} violation(s):\n- {}",
            subject.trim_end_matches('/'),
            denies.len(),
            lines.join("\n- ")
        );
    }
    answer.warnings = of(Mode::Warn).map(|h| h.text.clone()).collect();
    let decision = if answer.allowed { "allow" } else { "deny" };
    answer
        .audit_annotations
        .push(("decision".into(), decision.into()));
    for mode in [Mode::Deny, Mode::Warn, Mode::Audit] {
        let mut ids: Vec<&str> = of(mode).map(|h| h.rule_id.as_str()).collect();
        ids.dedup();
        if !ids.is_empty() {
            answer
                .audit_annotations
                .push((format!("{}-rules", mode.as_str()), ids.join(",")));
        }
    }
    answer
}

/// The object as an inventory of one, located at `Kind/NS/NAME` (no file: findings carry
/// the field path). The request's namespace fills a missing `metadata.namespace`, as the API
/// server's create handler does before admission.
fn inventory_of(object: &Json, req: &Request) -> Inventory {
    let mut object = object.clone();
    if !req.namespace.is_empty() {
        if let Some(meta) = object.get_mut("metadata").and_then(Json::as_object_mut) {
            meta.entry("namespace")
                .or_insert_with(|| Json::String(req.namespace.clone()));
        }
    }
    let name = object
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .filter(|n| !n.is_empty())
        .or_else(|| {
            object
                .pointer("/metadata/generateName")
                .and_then(Json::as_str)
        })
        .unwrap_or(&req.name);
    let place = if req.namespace.is_empty() {
        format!("{}/{}", req.kind, name)
    } else {
        format!("{}/{}/{}", req.kind, req.namespace, name)
    };
    // The core's loader builds the same Object a manifest would give (without printing the
    // JSON and parsing it again as YAML, which took a tenth of a decision).
    let mut inventory = Inventory::default();
    inventory.add(load_json(&place, &object));
    inventory
}

/// A user policy's decision as a finding on the request's object (or, without one, on the
/// request's kind and name).
fn policy_finding(
    object: Option<&palisade_core::Object>,
    req: &Request,
    rule_id: String,
    severity: Severity,
    message: String,
) -> Finding {
    Finding {
        rule_id: rule_id.into(),
        severity,
        object: object.map_or_else(|| Arc::new(fallback_ref(req)), |o| Arc::clone(&o.id)),
        location: object.map_or_else(
            || Location {
                path: Arc::from(req.kind.as_str()),
                line: 1,
                col: 1,
            },
            |o| o.location(),
        ),
        field: None,
        message: message.into(),
        evidence: None,
    }
}

fn fallback_ref(req: &Request) -> palisade_core::ObjectRef {
    palisade_core::ObjectRef {
        api_version: String::new(),
        kind: req.kind.clone(),
        namespace: Some(req.namespace.clone()).filter(|n| !n.is_empty()),
        name: req.name.clone(),
    }
}
