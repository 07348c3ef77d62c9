//! Judging one admission request: the review is the `AdmissionRequest` itself, as
//! Gatekeeper's webhook hands it to the Rego (`input.review`: `kind`, `name`, `namespace`,
//! `operation`, `userInfo`, `object`, `oldObject`, `dryRun`, ...).
//!
//! Mirrors Gatekeeper's `util.SetObjectOnDelete` (a DELETE's `object` is its `oldObject`) and
//! the target matcher's `matchAny` (a constraint applies when the object or the old object
//! matches; a request with neither is an error).

use std::cell::OnceCell;

use regorus::Value;
use serde_json::{json, Value as Json};

use crate::decision_cache::Keys;
use crate::matching::Matched;
use crate::policyset::{constraint_violation, PolicySet, ReviewOutcome};
use crate::review::{cluster_copy, labels_of, subject_of};
use crate::violation::PolicyError;

/// The request inside an AdmissionReview, or the value itself when it is a request.
fn request(review: &Json) -> Result<&Json, String> {
    if !review.is_object() {
        return Err("an AdmissionReview or AdmissionRequest must be a JSON object".into());
    }
    let req = match review.get("kind").and_then(Json::as_str) {
        Some("AdmissionReview") => review
            .get("request")
            .filter(|r| r.is_object())
            .ok_or("the AdmissionReview has no request")?,
        _ => review,
    };
    if !present(req.get("object")) && !present(req.get("oldObject")) {
        return Err("the request has neither object nor oldObject".into());
    }
    Ok(req)
}

fn present(v: Option<&Json>) -> bool {
    v.is_some_and(|o| !o.is_null())
}

pub(crate) fn evaluate(
    set: &PolicySet,
    review: &Json,
    point: &str,
    cluster_namespace: Option<&Json>,
) -> Result<ReviewOutcome, String> {
    let given = request(review)?;
    let namespace = given
        .get("namespace")
        .and_then(Json::as_str)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    let known = Known {
        set,
        cluster: cluster_namespace,
    };
    let ns_object = namespace.as_deref().and_then(|n| known.namespace(n));
    let old_as_object = given.get("operation").and_then(Json::as_str) == Some("DELETE")
        && !present(given.get("object"));
    // The review the policies read: the request itself, or (copied only when needed) with
    // a DELETE's oldObject as its object and the namespace as `_unstable.namespace`.
    let owned;
    let req = if old_as_object || ns_object.is_some() {
        let mut copy = given.clone();
        if let Some(map) = copy.as_object_mut() {
            if old_as_object {
                let old = given.get("oldObject").cloned().unwrap_or(Json::Null);
                map.insert("object".into(), old);
            }
            if let Some(ns) = ns_object {
                map.insert("_unstable".into(), json!({ "namespace": ns }));
            }
        }
        owned = copy;
        &owned
    } else {
        given
    };
    let objects: Vec<&Json> = ["object", "oldObject"]
        .iter()
        .filter_map(|k| req.get(*k).filter(|o| o.is_object()))
        .collect();
    let judged = req.get("object").filter(|o| o.is_object());
    Ok(judge(
        &known,
        req,
        &objects,
        namespace.as_deref(),
        judged,
        point,
    ))
}

/// The Namespaces a request is judged with: the cluster's copy of the request's own (a
/// webhook's cache) first, then those the set was given.
struct Known<'a> {
    set: &'a PolicySet,
    cluster: Option<&'a Json>,
}

impl<'a> Known<'a> {
    fn namespace(&self, name: &str) -> Option<&'a Json> {
        cluster_copy(self.cluster, name).or_else(|| self.set.namespace_for_review(name))
    }

    fn labels(&self, name: &str) -> Option<&'a Json> {
        self.namespace(name).map(labels_of)
    }
}

/// Judges an object read from manifests, with the review gator and audit make of it.
pub(crate) fn evaluate_object(set: &PolicySet, object: &Json, point: &str) -> ReviewOutcome {
    let subject = subject_of(object);
    let ns = subject.namespace.and_then(|n| set.namespace_for_review(n));
    let review = crate::review::object_review(object, ns);
    let known = Known { set, cluster: None };
    judge(
        &known,
        &review,
        &[object],
        subject.namespace,
        Some(object),
        point,
    )
}

/// Runs every constraint whose match accepts one of `objects` on `review`, and the plain
/// modules on `judged`.
fn judge(
    known: &Known,
    review: &Json,
    objects: &[&Json],
    namespace: Option<&str>,
    judged: Option<&Json>,
    point: &str,
) -> ReviewOutcome {
    let set = known.set;
    let review_value = OnceCell::new();
    let keys = Keys::new(review);
    let lookup = |ns: &str| known.labels(ns);
    let mut out = ReviewOutcome::default();
    for (index, bound) in set.constraints.iter().enumerate() {
        let c = &bound.constraint;
        let actions = c.enforcement.actions_at(point);
        if actions.is_empty() {
            continue;
        }
        let mut missing = None;
        let mut matched = false;
        for obj in objects {
            let mut subject = subject_of(obj);
            // The request's namespace is authoritative (objects often omit it on CREATE).
            if subject.namespace.is_none() {
                subject.namespace = namespace;
            }
            match c.matcher.matches(&subject, &lookup) {
                Matched::Yes => matched = true,
                Matched::MissingNamespace(ns) => missing = Some(ns),
                Matched::No => {}
            }
        }
        if !matched {
            if let Some(ns) = missing {
                out.errors.push(PolicyError {
                    rule_id: crate::policyset::template_rule_id(&c.kind),
                    message: format!(
                        "{} {}: namespace selector for namespace-scoped object but Namespace {ns} is not known",
                        c.kind, c.name
                    ),
                });
            }
            continue;
        }
        match set.judge(index, &keys, &review_value) {
            Ok(results) => {
                out.violations
                    .extend(results.into_iter().map(|(msg, details)| {
                        constraint_violation(bound, actions.clone(), msg, details)
                    }))
            }
            Err(e) => out.errors.push(PolicyError {
                rule_id: crate::policyset::template_rule_id(&c.kind),
                message: format!("{} {}: {e}", c.kind, c.name),
            }),
        }
    }
    if let Some(obj) = judged.filter(|_| !set.plain.packages.is_empty()) {
        let mut engine = set.plain.engine.clone();
        let (violations, errors) = set.plain.judge(&mut engine, &Value::from(obj.clone()));
        out.violations.extend(violations);
        out.errors.extend(
            errors
                .into_iter()
                .map(|(rule_id, message)| PolicyError { rule_id, message }),
        );
    }
    out
}
