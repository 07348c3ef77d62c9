//! Exceptions, applied once after analysis for every entry point alike: config entries
//! (rule ids + kind/namespace/name globs + labels, a reason, an optional expiry) and the
//! `palisade.dev/ignore` annotation. Suppressed findings are kept and counted; an expired
//! exception suppresses nothing and is itself reported.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::config::{Config, Exception};
use crate::date::Date;
use crate::finding::{Finding, ObjectRef, Severity};
use crate::inventory::{Inventory, Object};
use crate::rule::{Controls, Family, Rule};

/// Annotation listing rule ids to ignore on an object (`PAL-POD-001,PAL-IMG-002`).
pub const IGNORE_ANNOTATION: &str = "palisade.dev/ignore";
/// Annotation giving the reason for [`IGNORE_ANNOTATION`].
pub const IGNORE_REASON_ANNOTATION: &str = "palisade.dev/ignore-reason";

/// The rule an expired exception is reported under.
pub static EXPIRED_EXCEPTION: Rule = Rule {
    id: "PAL-CFG-001",
    title: "Exception has expired",
    severity: Severity::Medium,
    family: Family::Configuration,
    description: "An exception in palisade.yaml is past its `expires` date. Expired exceptions \
        no longer suppress anything, so the findings they covered are reported again; the \
        exception itself is reported so that it is renewed with a fresh reason or removed.",
    remediation: "Fix the findings the exception covered and delete it, or, if the risk is \
        still accepted, set a new `expires` date and update the `reason`.",
    references: &[],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &[],
    },
};

/// Why a finding was suppressed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Suppression {
    /// A `palisade.yaml` exception.
    #[serde(rename_all = "camelCase")]
    Config {
        /// Where the exception is written (`palisade.yaml:12`).
        location: String,
        /// Its reason.
        reason: String,
        /// Its expiry, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
    },
    /// The object's `palisade.dev/ignore` annotation.
    Annotation {
        /// The `palisade.dev/ignore-reason` annotation, or a note that none was given.
        reason: String,
    },
}

/// A suppressed finding and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed {
    /// The finding as it would have been reported.
    pub finding: Finding,
    /// What suppressed it.
    pub by: Suppression,
}

/// The outcome of applying exceptions.
#[derive(Debug, Default)]
pub struct Applied {
    /// Findings still reported (expired-exception findings included).
    pub findings: Vec<Finding>,
    /// Findings suppressed.
    pub suppressed: Vec<Suppressed>,
}

/// What applying exceptions needs besides the findings: the exceptions in force and those
/// expired on the day, and the objects that can be suppressed ([`prepare`]).
pub struct Prepared<'a> {
    active: Vec<&'a Exception>,
    expired: Vec<&'a Exception>,
    objects: HashMap<&'a ObjectRef, &'a Object>,
}

/// Reads what [`apply_prepared`] needs, apart from the findings: a scan does it while its
/// findings are being merged.
pub fn prepare<'a>(inventory: &'a Inventory, config: &'a Config, today: Date) -> Prepared<'a> {
    prepare_among(inventory, config, today, None)
}

/// [`prepare`] told which objects carry the ignore annotation (`annotated`: their indexes
/// in the inventory, in order), as a scan reads it while each input's trees are in cache:
/// looking for it in every object again once the inventory is complete reads every tree
/// from memory. `None`: not known, every object is looked at.
pub fn prepare_among<'a>(
    inventory: &'a Inventory,
    config: &'a Config,
    today: Date,
    annotated: Option<&[usize]>,
) -> Prepared<'a> {
    let (active, expired): (Vec<&Exception>, Vec<&Exception>) = config
        .exceptions
        .iter()
        .partition(|e| e.expires.is_none_or(|d| d >= today));
    // Only objects that can matter are indexed: those with an ignore annotation, and all of
    // them only when an exception selects by labels. A plain scan indexes nothing.
    let need_all = active.iter().any(|e| !e.labels.is_empty());
    let objects: HashMap<&ObjectRef, &Object> = match annotated {
        Some(indexes) if !need_all => indexes
            .iter()
            .filter_map(|&i| inventory.objects.get(i))
            .map(|o| (&*o.id, o))
            .collect(),
        _ => inventory
            .objects
            .iter()
            .filter(|o| need_all || has_ignore_annotation(o))
            .map(|o| (&*o.id, o))
            .collect(),
    };
    Prepared {
        active,
        expired,
        objects,
    }
}

/// Whether `object` carries the ignore annotation: the objects [`prepare_among`] is told of.
pub fn has_ignore_annotation(object: &Object) -> bool {
    object.annotation(IGNORE_ANNOTATION).is_some()
}

/// Applies config exceptions and ignore annotations.
pub fn apply(
    findings: Vec<Finding>,
    inventory: &Inventory,
    config: &Config,
    today: Date,
) -> Applied {
    apply_prepared(findings, prepare(inventory, config, today), config)
}

/// [`apply`] with what [`prepare`] read.
pub fn apply_prepared(findings: Vec<Finding>, prepared: Prepared, config: &Config) -> Applied {
    let Prepared {
        active,
        expired,
        objects,
    } = prepared;
    let mut out = Applied::default();
    if objects.is_empty() && active.is_empty() {
        // Nothing can suppress anything: keep the findings as they are.
        out.findings = findings;
    } else {
        out.findings.reserve(findings.len());
        for finding in findings {
            let object = objects.get(&*finding.object).copied();
            if let Some(by) = annotation_suppression(&finding, object) {
                out.suppressed.push(Suppressed { finding, by });
            } else if let Some(ex) = active
                .iter()
                .find(|e| exception_matches(e, &finding, object))
            {
                let by = Suppression::Config {
                    location: format!("{}:{}", ex.location.path, ex.location.line),
                    reason: ex.reason.clone(),
                    expires: ex.expires.map(|d| d.to_string()),
                };
                out.suppressed.push(Suppressed { finding, by });
            } else {
                out.findings.push(finding);
            }
        }
    }
    for ex in expired {
        if !config.rule_enabled(EXPIRED_EXCEPTION.id) {
            break;
        }
        let expires = ex.expires.map(|d| d.to_string()).unwrap_or_default();
        out.findings.push(Finding {
            rule_id: crate::RuleId::Borrowed(EXPIRED_EXCEPTION.id),
            severity: config.severity_for(EXPIRED_EXCEPTION.id, EXPIRED_EXCEPTION.severity),
            object: Arc::new(ObjectRef {
                api_version: crate::config::API_VERSION.into(),
                kind: "Config".into(),
                namespace: None,
                name: ex.location.path.to_string(),
            }),
            location: ex.location.clone(),
            field: None,
            message: format!(
                "exception for {} expired on {expires} (reason was: {}); it no longer suppresses \
                 anything",
                ex.rules.join(", "),
                ex.reason
            )
            .into(),
            evidence: Some(format!("expires: {expires}").into()),
        });
    }
    out
}

fn annotation_suppression(finding: &Finding, object: Option<&Object>) -> Option<Suppression> {
    let object = object?;
    let ids = object.annotation(IGNORE_ANNOTATION)?;
    let listed = ids
        .split(',')
        .map(str::trim)
        .any(|id| id == finding.rule_id);
    listed.then(|| Suppression::Annotation {
        reason: object.annotation(IGNORE_REASON_ANNOTATION).map_or_else(
            || format!("(no {IGNORE_REASON_ANNOTATION} given)"),
            str::to_string,
        ),
    })
}

fn exception_matches(ex: &Exception, finding: &Finding, object: Option<&Object>) -> bool {
    let o = &finding.object;
    ex.rules.iter().any(|r| r == "*" || *r == finding.rule_id)
        && ex.kind.as_ref().is_none_or(|g| g.matches(&o.kind))
        && ex
            .namespace
            .as_ref()
            .is_none_or(|g| g.matches(o.namespace.as_deref().unwrap_or("")))
        && ex.name.as_ref().is_none_or(|g| g.matches(&o.name))
        && ex
            .labels
            .iter()
            .all(|(k, v)| object.and_then(|obj| obj.label(k)) == Some(v.as_str()))
}
