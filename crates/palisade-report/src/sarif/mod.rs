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

mod results;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use palisade_core::{ControlStatus, FrameworkSummary, Report, Rule, Severity};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::common::controls_line;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// Writes the log. It is pretty-printed, except the results: one compact result per line,
/// rendered in parallel, since a large scan has hundreds of thousands.
pub(crate) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rule_index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();
    let items = results::items(&report.findings, &report.suppressed);
    // The run's keys in alphabetical order, as serde_json writes the maps around them.
    const RUN: &str = "      ";
    out.write_all(b"{\n")?;
    pretty_field(out, "  ", "$schema", &SCHEMA, false)?;
    out.write_all(b"  \"runs\": [\n    {\n")?;
    pretty_field(out, RUN, "columnKind", &"unicodeCodePoints", false)?;
    pretty_field(out, RUN, "invocations", &invocations(report), false)?;
    pretty_field(out, RUN, "properties", &run_properties(report), false)?;
    if items.is_empty() {
        out.write_all(b"      \"results\": [],\n")?;
    } else {
        out.write_all(b"      \"results\": [\n")?;
        crate::lines::write_lines(out, b"        ", &items, |buf, item, _: &mut ()| {
            results::write(buf, item, &rule_index)
        })?;
        out.write_all(b"      ],\n")?;
    }
    let taxonomies: Vec<Value> = report.frameworks.iter().map(taxonomy).collect();
    pretty_field(out, RUN, "taxonomies", &taxonomies, false)?;
    pretty_field(out, RUN, "tool", &tool(report), true)?;
    out.write_all(b"    }\n  ],\n")?;
    pretty_field(out, "  ", "version", &"2.1.0", true)?;
    out.write_all(b"}\n")
}

/// `indent"name": value` with the value pretty-printed at that depth, then `,` unless
/// `last`. JSON text holds no raw newline inside a string, so indenting every line after the
/// first is exact.
fn pretty_field<T: Serialize>(
    out: &mut dyn Write,
    indent: &str,
    name: &str,
    value: &T,
    last: bool,
) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    let text = text.replace('\n', &format!("\n{indent}"));
    writeln!(
        out,
        "{indent}\"{name}\": {text}{}",
        if last { "" } else { "," }
    )
}

/// Whether the scan saw everything, and what went wrong where.
fn invocations(report: &Report) -> Value {
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
    json!([{
        // Inputs that could not be read mean the scan did not see everything.
        "executionSuccessful": report.errors.is_empty(),
        "toolExecutionNotifications": notifications,
    }])
}

fn run_properties(report: &Report) -> Value {
    json!({
        "objects": report.stats.objects,
        "dockerfiles": report.stats.dockerfiles,
        "inputs": report.stats.inputs,
    })
}

/// The driver, with every rule that ran.
fn tool(report: &Report) -> Value {
    let severities = effective_severities(report);
    let judged = judged_controls(report);
    json!({
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
        "locations": [{ "physicalLocation": results::physical_location(path, line, col) }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
