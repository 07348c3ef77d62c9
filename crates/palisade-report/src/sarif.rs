//! SARIF 2.1.0, shaped for GitHub code scanning: every rule that ran is a
//! `reportingDescriptor` with `security-severity` (which is what makes GitHub show
//! critical/high/medium/low), each finding is a result with a relative `uri`, a region and
//! a `partialFingerprints` entry, suppressed findings are results carrying `suppressions`,
//! and load errors are tool execution notifications.
//!
//! Rules carry `properties.tags` (`security`, the family, and the controls they map to:
//! `PSS-baseline`, `CIS-5.2.2`, `MITRE-T1611`, `NSA-CISA`), which GitHub shows on an alert
//! and filters by.
//!
//! The frameworks asked for with `--framework` are SARIF *taxonomies* (§3.19.3): one
//! `toolComponent` per framework in `runs[0].taxonomies`, one taxon per control, and each
//! rule names the controls it judges in `relationships`, the way SARIF links rules to CWE.
//! What SARIF has no field for (a control's status, its failing objects, the score) is in
//! the taxa's and the taxonomy's property bags.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use palisade_core::exceptions::{Suppressed, Suppression};
use palisade_core::{ControlStatus, Finding, FrameworkSummary, Report, Rule, Severity};
use serde_json::{json, Map, Value};

use crate::common::{controls_line, object_label};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");
/// The base id relative URIs are resolved against: the checkout root for GitHub.
const SRCROOT: &str = "%SRCROOT%";
/// Name of our fingerprint in `partialFingerprints`; versioned so that a change of the
/// recipe does not match old alerts to new results wrongly.
const FINGERPRINT_KEY: &str = "palisadeFinding/v1";

pub(crate) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report))?;
    writeln!(out)
}

fn log(report: &Report) -> Value {
    let rule_index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();
    let severities = effective_severities(report);
    let judged = judged_controls(report);
    let mut fingerprints = Fingerprints::default();
    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(&rule_index, &mut fingerprints, f))
        .collect();
    results.extend(
        report
            .suppressed
            .iter()
            .map(|s| suppressed_result(&rule_index, &mut fingerprints, s)),
    );

    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| notification("error", &e.message, &e.path, e.line, e.col))
        .chain(report.notes.iter().map(|n| {
            notification(
                "note",
                &n.message,
                &n.location.path,
                Some(n.location.line),
                Some(n.location.col),
            )
        }))
        .collect();

    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "palisade",
                    "version": report.version,
                    "semanticVersion": report.version,
                    "informationUri": INFORMATION_URI,
                    "rules": report
                        .rules
                        .iter()
                        .map(|r| {
                            let severity = severities.get(r.id).copied().unwrap_or(r.severity);
                            let mut descriptor = rule(r, severity);
                            if let Some(targets) = judged.get(r.id) {
                                descriptor["relationships"] = json!(targets);
                            }
                            descriptor
                        })
                        .collect::<Vec<_>>(),
                }
            },
            "invocations": [{
                // Inputs that could not be read mean the scan did not see everything.
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            // Our columns count characters, not UTF-16 code units (SARIF's default).
            "columnKind": "unicodeCodePoints",
            "results": results,
            "taxonomies": report.frameworks.iter().map(taxonomy).collect::<Vec<_>>(),
            "properties": {
                "objects": report.stats.objects,
                "dockerfiles": report.stats.dockerfiles,
                "inputs": report.stats.inputs,
            },
        }]
    })
}

/// One framework as a taxonomy: its controls are the taxa, their status in properties.
fn taxonomy(f: &FrameworkSummary) -> Value {
    let taxa: Vec<Value> = f
        .controls
        .iter()
        .map(|c| {
            let mut properties = Map::new();
            properties.insert("status".into(), json!(c.status.as_str()));
            properties.insert("rules".into(), json!(c.rules));
            properties.insert(
                "failing".into(),
                json!(c
                    .failing
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()),
            );
            if let Some(reason) = c.reason {
                properties.insert("reason".into(), json!(reason));
            }
            json!({
                "id": c.id,
                "shortDescription": { "text": c.title },
                "properties": properties,
            })
        })
        .collect();
    json!({
        "name": f.id,
        "fullName": f.title,
        "informationUri": f.uri,
        "shortDescription": { "text": f.title },
        "isComprehensive": true,
        "taxa": taxa,
        "properties": {
            "score": f.score,
            "passed": f.count(ControlStatus::Pass),
            "failed": f.count(ControlStatus::Fail),
            "notCovered": f.count(ControlStatus::NotCovered),
        },
    })
}

/// For each rule, the controls it judges in the frameworks of the report, as SARIF
/// relationships to the taxa (`toolComponent` names the taxonomy, and gives its index in
/// `runs[0].taxonomies`).
fn judged_controls(report: &Report) -> HashMap<&str, Vec<Value>> {
    let mut out: HashMap<&str, Vec<Value>> = HashMap::new();
    for (index, f) in report.frameworks.iter().enumerate() {
        for c in &f.controls {
            for rule in &c.rules {
                out.entry(rule).or_default().push(json!({
                    "target": {
                        "id": c.id,
                        "toolComponent": { "name": f.id, "index": index },
                    },
                    "kinds": ["relevant"],
                }));
            }
        }
    }
    out
}

/// The severity findings of each rule carry: a `palisade.yaml` override applies to a rule
/// as a whole, and GitHub takes `security-severity` from the rule, not the result, so the
/// descriptor must say what the findings say (the catalog default when nothing fired).
fn effective_severities(report: &Report) -> HashMap<&str, Severity> {
    let mut out: HashMap<&str, Severity> = HashMap::new();
    for f in report
        .findings
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.finding))
    {
        let entry = out.entry(&f.rule_id).or_insert(f.severity);
        *entry = (*entry).max(f.severity);
    }
    out
}

fn rule(r: &Rule, severity: Severity) -> Value {
    let tags = tags(r);
    let mut descriptor = json!({
        "id": r.id,
        "name": pascal_case(r.title),
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": r.description },
        "help": { "text": help_text(r), "markdown": help_markdown(r) },
        "defaultConfiguration": { "level": level(severity) },
        "properties": {
            "tags": tags,
            "precision": "very-high",
            "security-severity": security_severity(severity),
            "problem.severity": problem_severity(severity),
        },
    });
    // GitHub links "Learn more" to helpUri; only an absolute http(s) URL is a valid one.
    if let Some(uri) = r
        .references
        .iter()
        .find(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        descriptor["helpUri"] = json!(uri);
    }
    descriptor
}

/// GitHub keeps at most this many tags of a rule.
const MAX_TAGS: usize = 10;

/// `security` first (GitHub treats a rule as a security rule, and reads its
/// `security-severity`, only with it), then what the rule is about and which controls it
/// maps to, most specific frameworks first, at most [`MAX_TAGS`].
fn tags(r: &Rule) -> Vec<String> {
    let c = &r.controls;
    let mut tags = vec![
        "security".to_string(),
        "kubernetes".to_string(),
        family_tag(r),
    ];
    if let Some(level) = c.pss {
        tags.push(format!("PSS-{}", level.as_str()));
    }
    tags.extend(c.cis.iter().map(|id| format!("CIS-{id}")));
    tags.extend(c.mitre.iter().map(|id| format!("MITRE-{id}")));
    if !c.nsa.is_empty() {
        tags.push("NSA-CISA".to_string());
    }
    tags.truncate(MAX_TAGS);
    tags
}

fn family_tag(r: &Rule) -> String {
    serde_json::to_value(r.family)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "other".to_string())
}

/// SARIF level: what blocks a pull request (error) versus what to look at.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub reads this string as a CVSS-like score: 9.0+ critical, 7.0–8.9 high, 4.0–6.9
/// medium, 0.1–3.9 low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// GitHub's severity for tools whose alerts are not security ones; set too, for viewers
/// that ignore `security-severity`.
fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "recommendation",
    }
}

fn help_text(r: &Rule) -> String {
    let mut text = format!("{}\n\nRemediation: {}", r.description, r.remediation);
    let controls = controls_line(&r.controls);
    if !controls.is_empty() {
        let _ = write!(text, "\n\nControls: {controls}");
    }
    if !r.references.is_empty() {
        let _ = write!(text, "\n\nReferences:\n{}", r.references.join("\n"));
    }
    text
}

fn help_markdown(r: &Rule) -> String {
    let mut md = format!(
        "**{}** ({})\n\n{}\n\n**Remediation:** {}",
        r.title, r.id, r.description, r.remediation
    );
    let controls = controls_line(&r.controls);
    if !controls.is_empty() {
        let _ = write!(md, "\n\n**Controls:** {controls}");
    }
    if !r.references.is_empty() {
        md.push_str("\n\n**References:**\n");
        for u in r.references {
            let _ = write!(md, "\n- <{u}>");
        }
    }
    md
}

/// `Pod shares a host namespace` -> `PodSharesAHostNamespace`: SARIF wants `name` to be an
/// identifier-like string.
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

fn result(
    rule_index: &HashMap<&str, usize>,
    fingerprints: &mut Fingerprints,
    f: &Finding,
) -> Value {
    // A file can hold many objects: say which one, and which field.
    let mut message = format!("{}: {}", object_label(&f.object), f.message);
    if let Some(field) = &f.field {
        let _ = write!(message, " ({field})");
    }
    let mut properties = Map::new();
    properties.insert("severity".into(), json!(f.severity));
    properties.insert("object".into(), json!(f.object));
    if let Some(field) = &f.field {
        properties.insert("field".into(), json!(field));
    }
    if let Some(evidence) = &f.evidence {
        properties.insert("evidence".into(), json!(evidence));
    }
    let mut result = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": physical_location(&f.location.path, Some(f.location.line), Some(f.location.col)),
        }],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprints.next(f) },
        "properties": properties,
    });
    if let Some(&i) = rule_index.get(&*f.rule_id) {
        result["ruleIndex"] = json!(i);
    }
    result
}

fn suppressed_result(
    rule_index: &HashMap<&str, usize>,
    fingerprints: &mut Fingerprints,
    s: &Suppressed,
) -> Value {
    let mut value = result(rule_index, fingerprints, &s.finding);
    let suppression = match &s.by {
        Suppression::Config {
            location,
            reason,
            expires,
        } => {
            let mut properties = Map::new();
            properties.insert("exception".into(), json!(location));
            if let Some(expires) = expires {
                properties.insert("expires".into(), json!(expires));
            }
            json!({
                "kind": "external",
                "status": "accepted",
                "justification": reason,
                "properties": properties,
            })
        }
        Suppression::Annotation { reason } => json!({
            "kind": "inSource",
            "status": "accepted",
            "justification": reason,
        }),
    };
    value["suppressions"] = json!([suppression]);
    value
}

fn notification(
    level: &str,
    message: &str,
    path: &str,
    line: Option<u32>,
    col: Option<u32>,
) -> Value {
    json!({
        "level": level,
        "message": { "text": message },
        "locations": [{ "physicalLocation": physical_location(path, line, col) }],
    })
}

fn physical_location(path: &str, line: Option<u32>, col: Option<u32>) -> Value {
    let mut location = json!({ "artifactLocation": artifact_location(path) });
    if let Some(line) = line {
        let mut region = json!({ "startLine": line.max(1) });
        if let Some(col) = col {
            region["startColumn"] = json!(col.max(1));
        }
        location["region"] = region;
    }
    location
}

/// A relative path becomes a relative URI against `%SRCROOT%` (what GitHub wants: the
/// path from the repository root, with forward slashes); an absolute one a `file:` URI.
fn artifact_location(path: &str) -> Value {
    let mut slashed = path.replace('\\', "/");
    while let Some(rest) = slashed.strip_prefix("./") {
        slashed = rest.to_string();
    }
    let bytes = slashed.as_bytes();
    let windows_drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    if slashed.starts_with('/') {
        json!({ "uri": format!("file://{}", percent_encode(&slashed)) })
    } else if windows_drive {
        let (drive, rest) = slashed.split_at(2);
        json!({ "uri": format!("file:///{drive}{}", percent_encode(rest)) })
    } else {
        json!({ "uri": percent_encode(&slashed), "uriBaseId": SRCROOT })
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`. `:` is encoded
/// too, so that `a:b.yaml` cannot read as a URI with scheme `a`.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Fingerprints that survive edits that move lines: a hash of the rule, the object (kind,
/// namespace, name; not apiVersion, so `v1beta1` -> `v1` keeps the alert) and the field,
/// plus an occurrence number for findings that share all of those. Findings on something
/// other than a Kubernetes object (a Dockerfile stage: no apiVersion) add the file's path,
/// since stage names repeat from one Dockerfile to the next.
#[derive(Default)]
struct Fingerprints {
    seen: HashMap<u128, usize>,
}

impl Fingerprints {
    fn next(&mut self, f: &Finding) -> String {
        let parts: [&str; 5] = [
            &f.rule_id,
            &f.object.kind,
            f.object.namespace.as_deref().unwrap_or(""),
            &f.object.name,
            f.field.as_deref().unwrap_or(""),
        ];
        let hash = if f.object.api_version.is_empty() {
            fnv1a_128(&[&parts[..], &[&*f.location.path]].concat())
        } else {
            fnv1a_128(&parts)
        };
        let n = self.seen.entry(hash).or_insert(0);
        *n += 1;
        format!("{hash:032x}:{n}")
    }
}

/// FNV-1a (128-bit) over length-prefixed parts: tiny, and fixed forever, unlike std's
/// hasher, which may change between Rust releases.
fn fnv1a_128(parts: &[&str]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut hash = OFFSET;
    for part in parts {
        let len = u64::try_from(part.len()).unwrap_or(u64::MAX);
        for b in len.to_le_bytes().iter().chain(part.as_bytes()) {
            hash ^= u128::from(*b);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_slashed_and_encoded() {
        assert_eq!(
            artifact_location("./deploy/my app/ü.yaml"),
            json!({ "uri": "deploy/my%20app/%C3%BC.yaml", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact_location("k8s\\web#1.yaml"),
            json!({ "uri": "k8s/web%231.yaml", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact_location("a:b.yaml"),
            json!({ "uri": "a%3Ab.yaml", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact_location("/srv/k 8s/x.yaml"),
            json!({ "uri": "file:///srv/k%208s/x.yaml" })
        );
        assert_eq!(
            artifact_location("C:\\k8s\\x.yaml"),
            json!({ "uri": "file:///C:/k8s/x.yaml" })
        );
    }

    #[test]
    fn tags_keep_security_and_stop_at_ten() {
        let mut r = palisade_core::exceptions::EXPIRED_EXCEPTION.clone();
        r.controls.cis = &["5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.1.6"];
        r.controls.mitre = &["T1611", "T1610", "T1609"];
        r.controls.nsa = &["Authentication and authorization"];
        let t = tags(&r);
        assert_eq!(t.len(), MAX_TAGS);
        assert_eq!(t[0], "security");
        assert_eq!(t[3], "CIS-5.1.1");
        assert_eq!(t[9], "MITRE-T1611");
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(
            pascal_case("Pod shares a host namespace"),
            "PodSharesAHostNamespace"
        );
        assert_eq!(pascal_case("Image uses :latest"), "ImageUsesLatest");
    }

    #[test]
    fn fnv_matches_an_independent_implementation() {
        // Expected values computed with a separate Python FNV-1a 128 over the same
        // length-prefixed bytes: fingerprints must never change by accident.
        assert_eq!(fnv1a_128(&[]), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        assert_eq!(fnv1a_128(&["a"]), 0x426d56754e03ad9adb79f299c730f21f);
        assert_eq!(
            fnv1a_128(&["PAL-POD-002", "Deployment", "prod", "web", "spec.x"]),
            0x6763d4531f3097559b9cc3e3c844e8ea
        );
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        assert_ne!(fnv1a_128(&["ab", "c"]), fnv1a_128(&["a", "bc"]));
    }
}
