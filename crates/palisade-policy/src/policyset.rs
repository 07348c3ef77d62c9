//! [`PolicySet`]: the templates, constraints and plain Rego modules of an input, compiled
//! once, and their evaluation over an inventory (scan) or one admission request (webhook).

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use palisade_core::{Config, Finding, Inventory, Object};
use rayon::prelude::*;
use regorus::Value;
use serde_json::Value as Json;

use crate::action::{Action, POINT_AUDIT, POINT_VALIDATION};
use crate::constraint::{is_constraint, Constraint};
use crate::decision_cache::{CacheStats, DecisionCache, Keys, DEFAULT_CACHE_BYTES};
use crate::diag::Diagnostic;
use crate::input_reads::InputReads;
use crate::matching::Matched;
use crate::plain::PlainModules;
use crate::rego::{self, Limits};
use crate::review::{inventory_data, object_json, object_review, subject_of};
use crate::template::{is_template, Template};
use crate::violation::{gatekeeper_results, PolicyError, Source, Violation};
use crate::{schema, Evaluation, PolicyRule};

/// A constraint whose template is loaded.
#[derive(Clone)]
pub(crate) struct Bound {
    pub(crate) constraint: Constraint,
    pub(crate) template: usize,
    pub(crate) parameters: Value,
}

/// Compiled policies, ready to judge objects.
#[derive(Clone)]
pub struct PolicySet {
    pub(crate) templates: Vec<Template>,
    pub(crate) constraints: Vec<Bound>,
    pub(crate) plain: PlainModules,
    /// Namespace objects of the referential data, by name.
    namespaces: HashMap<String, Json>,
    limits: Limits,
    /// The enforcement point `evaluate` acts as (audit by default).
    scan_point: &'static str,
    /// ValidatingAdmissionPolicies and their bindings.
    pub(crate) vap: crate::vap::VapSet,
    /// Template answers by what they read; renewed by every `&mut self` change.
    cache: DecisionCache,
}

/// The rule id of a template's findings: `GK-<TemplateKind>`.
pub fn template_rule_id(kind: &str) -> String {
    format!("GK-{kind}")
}

impl PolicySet {
    /// Loads every ConstraintTemplate and Constraint of the inventory, with default limits;
    /// `data.inventory` is the whole inventory. What cannot be used becomes a diagnostic.
    pub fn from_inventory(inventory: &Inventory) -> (PolicySet, Vec<Diagnostic>) {
        PolicySet::from_objects(&inventory.objects, Limits::default())
    }

    /// [`PolicySet::from_inventory`] over a run of objects, with limits.
    pub fn from_objects(objects: &[Object], limits: Limits) -> (PolicySet, Vec<Diagnostic>) {
        PolicySet::from_sources(objects, &[], limits)
    }

    /// Templates and constraints from `objects`, plus plain Rego modules (`(path, text)`),
    /// with `data.inventory` built from `objects`. (Modules added later with
    /// [`PolicySet::add_rego_module`] see `data.inventory` only after the next
    /// [`PolicySet::set_referential_data`].)
    pub fn from_sources(
        objects: &[Object],
        modules: &[(&str, &str)],
        limits: Limits,
    ) -> (PolicySet, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let compiled: Vec<_> = objects
            .par_iter()
            .filter(|o| is_template(o))
            .map(|o| Template::compile(o, &limits))
            .collect();
        let mut templates: Vec<Template> = Vec::new();
        let mut by_kind: HashMap<String, usize> = HashMap::new();
        for result in compiled {
            match result {
                Ok((Some(t), _)) => {
                    if let Some(&first) = by_kind.get(&t.kind) {
                        diags.push(Diagnostic::error(
                            Some(t.location.clone()),
                            format!(
                                "ConstraintTemplate {} defines kind {} again (first at {}); this one is ignored",
                                t.object.name, t.kind, templates[first].location
                            ),
                        ));
                        continue;
                    }
                    by_kind.insert(t.kind.clone(), templates.len());
                    templates.push(t);
                }
                Ok((None, note)) => diags.extend(note),
                Err(d) => diags.push(d),
            }
        }
        let mut set = PolicySet {
            templates,
            constraints: Vec::new(),
            plain: PlainModules::new(&limits),
            namespaces: HashMap::new(),
            limits,
            scan_point: POINT_AUDIT,
            vap: Default::default(),
            cache: DecisionCache::new(0, DEFAULT_CACHE_BYTES - DEFAULT_CACHE_BYTES / 4),
        };
        let (vap, vap_diags) = crate::vap::VapSet::from_objects(objects);
        set.vap = vap;
        diags.extend(vap_diags);
        for o in objects.iter().filter(|o| is_constraint(o)) {
            match set.bind(o, &by_kind) {
                Ok(b) => set.constraints.push(b),
                Err(d) => diags.push(d),
            }
        }
        for (path, text) in modules {
            if let Err(d) = set.plain.add(path, text) {
                diags.push(d);
            }
        }
        diags.extend(set.set_referential_data(objects));
        (set, diags)
    }

    fn bind(&self, o: &Object, by_kind: &HashMap<String, usize>) -> Result<Bound, Diagnostic> {
        let err = |loc, msg: String| {
            Diagnostic::error(Some(loc), format!("{} {}: {msg}", o.id.kind, o.id.name))
        };
        let constraint = Constraint::parse(o).map_err(|m| err(o.location(), m))?;
        let Some(&template) = by_kind.get(&constraint.kind) else {
            return Err(err(
                o.location(),
                format!(
                    "no ConstraintTemplate in the input defines kind {}; the constraint is not evaluated",
                    constraint.kind
                ),
            ));
        };
        if let Some(schema) = &self.templates[template].schema {
            let problems = schema::check(schema, &constraint.parameters);
            if !problems.is_empty() {
                return Err(err(
                    constraint.parameters_location.clone(),
                    format!(
                        "parameters do not match the template's schema ({}); the API server would reject this constraint",
                        problems.join("; ")
                    ),
                ));
            }
        }
        let parameters = rego::value(&constraint.parameters);
        Ok(Bound {
            constraint,
            template,
            parameters,
        })
    }

    /// Replaces the referential data (`data.inventory`, and the Namespaces that
    /// `namespaceSelector`s read) with these objects, and prepares every engine. A template
    /// whose Rego fails analysis is dropped with a diagnostic.
    pub fn set_referential_data(&mut self, objects: &[Object]) -> Vec<Diagnostic> {
        // Only Namespaces are needed unless a policy reads `data.inventory`: building the
        // inventory document costs a JSON copy of every object.
        let jsons: Vec<Json> = if self.uses_inventory() {
            objects.iter().map(object_json).collect()
        } else {
            objects
                .iter()
                .filter(|o| {
                    o.id.kind == "Namespace" || self.vap.is_param(&o.id.api_version, &o.id.kind)
                })
                .map(object_json)
                .collect()
        };
        self.set_referential_json(&jsons)
    }

    /// Does any template or plain module mention `inventory`?
    fn uses_inventory(&self) -> bool {
        self.plain.uses_inventory || self.templates.iter().any(|t| t.uses_inventory)
    }

    /// [`PolicySet::set_referential_data`] from JSON objects (an admission server's cache).
    pub fn set_referential_json(&mut self, objects: &[Json]) -> Vec<Diagnostic> {
        let diags = self.replace_referential_json(objects);
        self.renew_cache(self.cache.total_budget());
        diags
    }

    fn replace_referential_json(&mut self, objects: &[Json]) -> Vec<Diagnostic> {
        self.vap.set_referential_json(objects);
        self.namespaces = objects
            .iter()
            .filter(|o| {
                o.get("kind").and_then(Json::as_str) == Some("Namespace")
                    && o.get("apiVersion").and_then(Json::as_str) == Some("v1")
            })
            .filter_map(|o| {
                let name = o.get("metadata")?.get("name")?.as_str()?;
                Some((name.to_string(), o.clone()))
            })
            .collect();
        let mut data = BTreeMap::new();
        data.insert(
            Value::from("inventory"),
            rego::value(&inventory_data(objects)),
        );
        let data = Value::from(data);
        let mut diags = Vec::new();
        let mut broken = BTreeSet::new();
        for (i, t) in self.templates.iter_mut().enumerate() {
            t.engine.clear_data();
            // Analysis (unsafe variables, unknown functions, recursion) happens when an
            // engine is first prepared; doing it here, without evaluating anything, turns
            // its errors into load diagnostics and leaves a prepared engine to clone.
            let entry: regorus::Rc<str> = t.entry.as_str().into();
            let prepared = t
                .engine
                .add_data(data.clone())
                .and_then(|_| t.engine.compile_with_entrypoint(&entry).map(|_| ()));
            if let Err(e) = prepared {
                diags.push(Diagnostic::error(
                    Some(t.location.clone()),
                    format!(
                        "ConstraintTemplate {}: Rego does not compile: {}",
                        t.object.name,
                        rego::first_lines(&e.to_string(), 6)
                    ),
                ));
                broken.insert(i);
            }
        }
        self.plain.engine.clear_data();
        let _ = self.plain.engine.add_data(data);
        if !broken.is_empty() {
            self.drop_templates(&broken, &mut diags);
        }
        diags
    }

    fn drop_templates(&mut self, broken: &BTreeSet<usize>, diags: &mut Vec<Diagnostic>) {
        let mut remap = HashMap::new();
        let mut kept = Vec::new();
        for (i, t) in std::mem::take(&mut self.templates).into_iter().enumerate() {
            if !broken.contains(&i) {
                remap.insert(i, kept.len());
                kept.push(t);
            }
        }
        self.templates = kept;
        let mut bound = Vec::new();
        for mut b in std::mem::take(&mut self.constraints) {
            match remap.get(&b.template) {
                Some(&j) => {
                    b.template = j;
                    bound.push(b);
                }
                None => diags.push(Diagnostic::error(
                    Some(b.constraint.location.clone()),
                    format!(
                        "{} {}: its template does not compile; the constraint is not evaluated",
                        b.constraint.kind, b.constraint.name
                    ),
                )),
            }
        }
        self.constraints = bound;
    }

    /// Adds a plain Rego module (a `*.rego` file); see [`crate::plain`] for the contract.
    /// Prefer [`PolicySet::from_sources`] for a module that reads `data.inventory`.
    pub fn add_rego_module(&mut self, path: &str, text: &str) -> Result<(), Diagnostic> {
        self.plain.add(path, text)
    }

    /// The enforcement point [`PolicySet::evaluate`] acts as, for scoped enforcement actions
    /// (default: Gatekeeper's audit point).
    pub fn set_scan_point(&mut self, point: &'static str) {
        self.scan_point = point;
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// True when there is nothing to evaluate.
    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty() && self.plain.packages.is_empty() && self.vap.is_empty()
    }

    /// The rules this set may report: one per template (`GK-<Kind>`) and one per plain
    /// package (`REGO-<package>`).
    pub fn rules(&self) -> Vec<PolicyRule> {
        let mut rules: Vec<PolicyRule> = self
            .templates
            .iter()
            .map(|t| PolicyRule {
                id: template_rule_id(&t.kind),
                title: format!("Gatekeeper {} ({})", t.kind, t.object.name),
                description: t.description.clone().unwrap_or_default(),
            })
            .collect();
        rules.extend(self.plain.packages.iter().map(|p| PolicyRule {
            id: crate::plain::rule_id(p),
            title: format!("Rego package {}", p.trim_start_matches("data.")),
            description: String::new(),
        }));
        rules.extend(self.vap.rules());
        rules
    }

    fn namespace(&self, name: &str) -> Option<&Json> {
        self.namespaces.get(name)
    }

    fn namespace_labels(&self, name: &str) -> Option<&Json> {
        self.namespace(name).map(crate::review::labels_of)
    }

    /// Runs one constraint's template on one review (`review_value`: the same review as a
    /// regorus value, converted on the first evaluation that needs it), from the decision
    /// cache when the template's reads of this review were judged before.
    pub(crate) fn judge(
        &self,
        constraint: usize,
        keys: &Keys<'_>,
        review_value: &OnceCell<Value>,
    ) -> Result<Vec<(String, Json)>, String> {
        let review = keys.review();
        let Some(bound) = self.constraints.get(constraint) else {
            return Ok(Vec::new());
        };
        let template = &self.templates[bound.template];
        let key = match &template.reads {
            InputReads::Paths(read) if self.cache.enabled() => Some(keys.for_reads(read)),
            _ => None,
        };
        if let Some(answer) = key.as_ref().and_then(|k| self.cache.lookup(constraint, k)) {
            return Ok(answer.as_ref().clone());
        }
        // A fresh clone per evaluation: reusing one engine across many inputs was measured
        // slower (its evaluation state grows), and a clone is cheap.
        let mut engine = template.engine.clone();
        let mut input = BTreeMap::new();
        let review_value = review_value.get_or_init(|| rego::value(review));
        input.insert(Value::from("review"), review_value.clone());
        input.insert(Value::from("parameters"), bound.parameters.clone());
        engine.set_input(Value::from(input));
        let result = engine
            .eval_rule(template.entry.clone())
            .map_err(|e| rego::first_lines(&e.to_string(), 12))?;
        let answer = gatekeeper_results(&rego::to_json(&result));
        if let Some(key) = key {
            self.cache
                .remember(constraint, key, Arc::new(answer.clone()));
        }
        Ok(answer)
    }

    /// Sets the decision cache's budget in bytes (0: no cache) and empties it: three
    /// quarters for the templates, a quarter for the ValidatingAdmissionPolicies. Default
    /// [`crate::DEFAULT_CACHE_BYTES`].
    pub fn set_decision_cache_bytes(&mut self, bytes: usize) {
        self.renew_cache(bytes - bytes / 4);
        self.vap.set_cache_bytes(bytes / 4);
    }

    /// What each template may read of `input`, by Constraint kind (the decision cache's
    /// keys; [`InputReads::Anything`]: the template's answers are not cached).
    pub fn template_reads(&self) -> Vec<(&str, &InputReads)> {
        self.templates
            .iter()
            .map(|t| (t.kind.as_str(), &t.reads))
            .collect()
    }

    /// Hits and misses of the decision cache so far (templates and ValidatingAdmissionPolicies).
    pub fn decision_cache_stats(&self) -> CacheStats {
        let (gk, vap) = (self.cache.stats(), self.vap.cache_stats());
        CacheStats {
            hits: gk.hits + vap.hits,
            misses: gk.misses + vap.misses,
        }
    }

    fn renew_cache(&mut self, bytes: usize) {
        self.cache = DecisionCache::new(self.constraints.len(), bytes);
    }

    /// Judges every object of the inventory (ConstraintTemplates and Constraints excepted)
    /// with every constraint that matches it and every plain module. Findings honour the
    /// configured rule settings (disabled rules, severity overrides).
    pub fn evaluate(&self, inventory: &Inventory, config: &Config) -> Evaluation {
        let judged: Vec<&Object> = inventory
            .objects
            .iter()
            .filter(|o| !is_template(o) && !is_constraint(o))
            .collect();
        let parts: Vec<Evaluation> = judged
            .par_chunks(64)
            .map(|chunk| self.evaluate_chunk(chunk, config))
            .collect();
        let mut out = Evaluation::default();
        let vap = self.vap.evaluate(inventory, config);
        out.findings.extend(vap.findings);
        out.diagnostics.extend(vap.diagnostics);
        let mut missing_ns = BTreeSet::new();
        for p in parts {
            out.findings.extend(p.findings);
            for d in p.diagnostics {
                // One note per constraint and missing Namespace is enough.
                if d.message.contains("namespaceSelector") && !missing_ns.insert(d.message.clone())
                {
                    continue;
                }
                out.diagnostics.push(d);
            }
        }
        out.findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out
    }

    fn evaluate_chunk(&self, objects: &[&Object], config: &Config) -> Evaluation {
        let mut out = Evaluation::default();
        for object in objects {
            let json = object_json(object);
            let subject = subject_of(&json);
            let namespace = subject.namespace.and_then(|ns| self.namespace(ns));
            let review = object_review(&json, namespace);
            let review_value = OnceCell::new();
            let keys = Keys::new(&review);
            let lookup = |ns: &str| self.namespace_labels(ns);
            for (index, bound) in self.constraints.iter().enumerate() {
                let c = &bound.constraint;
                let actions = c.enforcement.actions_at(self.scan_point);
                if actions.is_empty() {
                    continue;
                }
                let id = template_rule_id(&c.kind);
                if !config.rule_enabled(&id) {
                    continue;
                }
                match c.matcher.matches(&subject, &lookup) {
                    Matched::No => continue,
                    Matched::MissingNamespace(ns) => {
                        out.diagnostics.push(Diagnostic::note(
                            Some(c.location.clone()),
                            format!(
                                "{} {}: its namespaceSelector needs Namespace {ns}, which is not in the input; Gatekeeper fails such a match, so objects in {ns} are not judged by it",
                                c.kind, c.name
                            ),
                        ));
                        continue;
                    }
                    Matched::Yes => {}
                }
                match self.judge(index, &keys, &review_value) {
                    Ok(results) => {
                        for (msg, _) in results {
                            let action = &actions[0];
                            out.findings.push(Finding {
                                rule_id: palisade_core::RuleId::owned(id.clone()),
                                severity: config.severity_for(&id, action.severity()),
                                object: object.id.clone(),
                                location: object.location(),
                                field: None,
                                message: format!(
                                    "{msg} (constraint {}, {})",
                                    c.name,
                                    action.as_str()
                                )
                                .into(),
                                evidence: None,
                            });
                        }
                    }
                    Err(e) => out.diagnostics.push(Diagnostic::error(
                        Some(object.location()),
                        format!("{} {} failed on {}: {e}", c.kind, c.name, object.id),
                    )),
                }
            }
            if !self.plain.packages.is_empty() {
                let mut engine = self.plain.engine.clone();
                let (violations, errors) = self.plain.judge(&mut engine, &rego::value(&json));
                for v in violations {
                    if !config.rule_enabled(&v.rule_id) {
                        continue;
                    }
                    out.findings.push(Finding {
                        severity: config.severity_for(&v.rule_id, v.action().severity()),
                        rule_id: palisade_core::RuleId::owned(v.rule_id),
                        object: object.id.clone(),
                        location: object.location(),
                        field: None,
                        message: v.message.into(),
                        evidence: None,
                    });
                }
                for (id, e) in errors {
                    out.diagnostics.push(Diagnostic::error(
                        Some(object.location()),
                        format!("{id} failed on {}: {e}", object.id),
                    ));
                }
            }
        }
        out
    }

    /// Judges one admission request as Gatekeeper's webhook does (enforcement point
    /// `validation.gatekeeper.sh`). `review` is an `AdmissionReview` (its `request` is used)
    /// or an `AdmissionRequest`. The referential data is the one last set.
    pub fn evaluate_review(&self, review: &Json) -> Result<ReviewOutcome, String> {
        self.evaluate_review_in(review, None)
    }

    /// [`PolicySet::evaluate_review`] with the request namespace's Namespace as the cluster
    /// has it (a webhook's cache): constraints' `namespaceSelector`s, Gatekeeper's
    /// `input.review._unstable.namespace`, and ValidatingAdmissionPolicies' `namespaceObject`
    /// and `namespaceSelector`s read it in place of any Namespace of that name the set was
    /// given.
    pub fn evaluate_review_in(
        &self,
        review: &Json,
        cluster_namespace: Option<&Json>,
    ) -> Result<ReviewOutcome, String> {
        let mut out =
            crate::admission::evaluate(self, review, POINT_VALIDATION, cluster_namespace)?;
        if !self.vap.is_empty() {
            out.vap = self.vap.evaluate_request_in(review, cluster_namespace)?;
        }
        Ok(out)
    }

    /// The ValidatingAdmissionPolicies of the set.
    pub fn vap(&self) -> &crate::vap::VapSet {
        &self.vap
    }

    /// Mutable access, to set a resource map or an evaluation time bound.
    pub fn vap_mut(&mut self) -> &mut crate::vap::VapSet {
        &mut self.vap
    }

    /// [`PolicySet::evaluate_review`] at another enforcement point (gator's, for suites).
    pub fn evaluate_review_at(&self, review: &Json, point: &str) -> Result<ReviewOutcome, String> {
        crate::admission::evaluate(self, review, point, None)
    }

    /// Judges one object as read from manifests (the review gator and audit make of it) at
    /// an enforcement point, returning violations rather than findings.
    pub fn evaluate_object_at(&self, object: &Json, point: &str) -> ReviewOutcome {
        crate::admission::evaluate_object(self, object, point)
    }

    pub(crate) fn namespace_for_review(&self, name: &str) -> Option<&Json> {
        self.namespace(name)
    }
}

/// What one admission request got.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ReviewOutcome {
    /// Violations, each with its actions at the enforcement point.
    pub violations: Vec<Violation>,
    /// Policies that failed on the request (the server applies its failure mode).
    pub errors: Vec<PolicyError>,
    /// What the ValidatingAdmissionPolicies decided (their failurePolicy already applied).
    pub vap: crate::vap::VapOutcome,
}

impl ReviewOutcome {
    /// True when a violation denies the request.
    pub fn denied(&self) -> bool {
        self.violations.iter().any(|v| v.action() == &Action::Deny) || self.vap.denied()
    }
}

pub(crate) fn constraint_violation(
    bound: &Bound,
    actions: Vec<Action>,
    msg: String,
    details: Json,
) -> Violation {
    Violation {
        rule_id: template_rule_id(&bound.constraint.kind),
        source: Source::Constraint {
            kind: bound.constraint.kind.clone(),
            name: bound.constraint.name.clone(),
        },
        actions,
        message: msg,
        details,
    }
}
