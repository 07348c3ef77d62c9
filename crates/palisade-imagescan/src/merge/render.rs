//! Rendering a [`Merged`] view: a fixed-width text table and JSON.
//!
//! # JSON shape (`schema: "palisade.merge/v1"`)
//!
//! ```text
//! {
//!   "schema": "palisade.merge/v1",
//!   "scanners": [ { "label", "scanner", "version", "source", "kind": "scan"|"vex",
//!                   "target", "target_digest", "findings_read", "found", "unique",
//!                   "vex_applied", "warnings" } ],
//!   "rows": [ { "id", "aliases": [..],
//!               "package": { "ecosystem", "name", "source_name", "purl" },
//!               "installed_version", "severity": "critical"|"high"|"medium"|"low"|"negligible"|"unknown",
//!               "scanners": [ { "label", "found", "ids", "fixed_versions", "severity",
//!                               "fix_state", "locations", "layers" } ],
//!               "disagreements": [ { "kind": "presence", "found_by": [..], "missed_by": [..] }
//!                                | { "kind": "fixed_versions", "by_scanner": [[label, [versions]]] }
//!                                | { "kind": "severity", "by_scanner": [[label, severity]] } ],
//!               "vex": [ { "from", "id", "analysis": { "state", "justification",
//!                                                      "responses", "detail" } } ] } ],
//!   "unmatched_vex": [ { "from", "id", "package", "version", "analysis" } ],
//!   "notes": [ "…" ]
//! }
//! ```
//!
//! Absent optional values are `null`; rows are sorted by severity (most severe first), then
//! id (numbers compared as numbers), package name and installed version; `rows[].scanners`
//! has one cell per `scan`-kind report, in input order.

use std::fmt::Write as _;

use super::combine::{Disagreement, Merged, MergedRow, ScannerCell};
use super::model::ReportKind;

/// The merged view as pretty-printed JSON (shape in the module docs).
pub fn to_json(merged: &Merged) -> String {
    // Serialising plain structs of strings, numbers and vectors cannot fail.
    serde_json::to_string_pretty(merged).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The merged view as a text table: one line per row (severity, id, package, installed
/// version, one column per scanner, notes), then per-scanner counts.
///
/// A scanner cell reads `fix V1,V2` (found, with fixed versions), `no fix` (found, none
/// given) or `-` (not found). Notes: `only:A,B` (found by some), `fix≠`, `sev≠`, and
/// `vex:STATE` for VEX analyses.
pub fn to_table(merged: &Merged) -> String {
    let labels: Vec<&str> = merged
        .scanners
        .iter()
        .filter(|s| s.kind == ReportKind::Scan)
        .map(|s| s.label.as_str())
        .collect();
    let mut header = vec![
        "SEVERITY".to_string(),
        "ID".into(),
        "PACKAGE".into(),
        "INSTALLED".into(),
    ];
    header.extend(labels.iter().map(|l| l.to_uppercase()));
    header.push("NOTES".into());
    let mut lines: Vec<Vec<String>> = vec![header];
    for row in &merged.rows {
        lines.push(row_cells(row));
    }
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for l in &lines {
        let mut line = String::new();
        for (c, cell) in l.iter().enumerate() {
            if c + 1 == l.len() {
                line.push_str(cell);
            } else {
                let pad = widths[c] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    for s in &merged.scanners {
        let _ = match s.kind {
            ReportKind::Scan => writeln!(
                out,
                "{}: {} findings read, {} rows found, {} only by it{}",
                s.label,
                s.findings_read,
                s.found,
                s.unique,
                warn_suffix(s.warnings)
            ),
            ReportKind::Vex => writeln!(
                out,
                "{} (VEX): {} analyses, {} applied{}",
                s.label,
                s.findings_read,
                s.vex_applied,
                warn_suffix(s.warnings)
            ),
        };
    }
    if !merged.unmatched_vex.is_empty() {
        let _ = writeln!(
            out,
            "{} VEX analyses matched no row",
            merged.unmatched_vex.len()
        );
    }
    for n in &merged.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

fn warn_suffix(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} parts skipped)")
    }
}

fn row_cells(row: &MergedRow) -> Vec<String> {
    let mut cells = vec![
        row.severity.as_str().to_uppercase(),
        row.id.clone(),
        if row.package.name.is_empty() {
            "(product)".to_string()
        } else {
            row.package.name.clone()
        },
        row.installed_version.clone(),
    ];
    cells.extend(row.scanners.iter().map(scanner_cell));
    let mut notes: Vec<String> = Vec::new();
    for d in &row.disagreements {
        notes.push(match d {
            Disagreement::Presence { found_by, .. } => format!("only:{}", found_by.join(",")),
            Disagreement::FixedVersions { .. } => "fix≠".into(),
            Disagreement::Severity { .. } => "sev≠".into(),
        });
    }
    for m in &row.vex {
        let note = format!("vex:{}", m.analysis.state.as_str());
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    cells.push(notes.join(" "));
    cells
}

fn scanner_cell(c: &ScannerCell) -> String {
    if !c.found {
        "-".into()
    } else if c.fixed_versions.is_empty() {
        "no fix".into()
    } else {
        format!("fix {}", c.fixed_versions.join(","))
    }
}
