//! Merging several scanners' reports of one image into rows: one row per vulnerability
//! (alias group) per package (ecosystem, normalised name, installed version), with what each
//! scanner said about it, where they disagree, and the VEX analyses that mark it.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::alias::{preference, AliasGroups};
use super::ecosystem::{self, id_kind, IdKind};
use super::model::{ReportKind, ReportedVuln, ScannerReport, Severity, VexAnalysis};
use super::purl::Purl;

/// Version tag of the JSON shape ([`Merged`] serialised).
pub const MERGE_SCHEMA: &str = "palisade.merge/v1";

/// The merged view of several reports.
#[derive(Debug, Clone, Serialize)]
pub struct Merged {
    /// Always [`MERGE_SCHEMA`].
    pub schema: &'static str,
    /// One entry per input report, in input order.
    pub scanners: Vec<ScannerSummary>,
    /// The rows, sorted by severity (most severe first), then id (numbers as numbers),
    /// package and version.
    pub rows: Vec<MergedRow>,
    /// VEX analyses that matched no row.
    pub unmatched_vex: Vec<UnmatchedVex>,
    /// Remarks about the inputs as a whole (e.g. reports of different images).
    pub notes: Vec<String>,
}

/// One input report and its counts.
#[derive(Debug, Clone, Serialize)]
pub struct ScannerSummary {
    /// Column label: the scanner name, with `-2`, `-3`… when the same scanner appears twice.
    pub label: String,
    /// Scanner name from the report.
    pub scanner: String,
    /// Scanner version.
    pub version: Option<String>,
    /// File it was read from.
    pub source: String,
    /// Detections or VEX.
    pub kind: ReportKind,
    /// Image name as the report gives it.
    pub target: Option<String>,
    /// Image digest as the report gives it.
    pub target_digest: Option<String>,
    /// Findings read from the report.
    pub findings_read: usize,
    /// Rows this scanner found.
    pub found: usize,
    /// Rows only this scanner found.
    pub unique: usize,
    /// VEX analyses from this report that marked at least one row.
    pub vex_applied: usize,
    /// Parts of the input skipped while reading.
    pub warnings: usize,
}

/// The package of a row.
#[derive(Debug, Clone, Serialize)]
pub struct RowPackage {
    /// Ecosystem (purl type).
    pub ecosystem: String,
    /// Normalised name (PEP 503 for PyPI, `group:artifact` for Maven, module path for Go).
    pub name: String,
    /// Source package (Debian source, Alpine origin), when a scanner gave it; rows stay per
    /// binary package, as scanners report them.
    pub source_name: Option<String>,
    /// A purl one of the scanners gave.
    pub purl: Option<String>,
}

/// One vulnerability in one package, across scanners.
#[derive(Debug, Clone, Serialize)]
pub struct MergedRow {
    /// Canonical id: the group's CVE, else GHSA, PYSEC, GO, other ids, advisories.
    pub id: String,
    /// Every other id of the group, and advisories scanners listed for it.
    pub aliases: Vec<String>,
    /// The package.
    pub package: RowPackage,
    /// Installed version as the first scanner spelled it.
    pub installed_version: String,
    /// Highest severity any scanner gave.
    pub severity: Severity,
    /// One cell per detection report (same order as the `scan`-kind entries of `scanners`).
    pub scanners: Vec<ScannerCell>,
    /// Where the scanners disagree.
    pub disagreements: Vec<Disagreement>,
    /// VEX analyses that apply to the row.
    pub vex: Vec<VexMark>,
}

impl MergedRow {
    /// Whether a VEX analysis clears the row (not affected, false positive, resolved).
    pub fn cleared_by_vex(&self) -> bool {
        self.vex.iter().any(|m| m.analysis.state.clears())
    }
}

/// What one scanner said about a row.
#[derive(Debug, Clone, Serialize)]
pub struct ScannerCell {
    /// Scanner label.
    pub label: String,
    /// Whether it reported the vulnerability for this package.
    pub found: bool,
    /// Ids it used.
    pub ids: Vec<String>,
    /// Fixed versions it gave.
    pub fixed_versions: Vec<String>,
    /// Highest severity it gave.
    pub severity: Option<Severity>,
    /// Its fix state.
    pub fix_state: Option<String>,
    /// Paths it gave.
    pub locations: Vec<String>,
    /// Layers it gave (digest, else diff id).
    pub layers: Vec<String>,
}

/// A way scanners disagree about one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Disagreement {
    /// Some scanners found it, others did not.
    Presence {
        /// Scanners that found it.
        found_by: Vec<String>,
        /// Scanners that did not.
        missed_by: Vec<String>,
    },
    /// Scanners that found it give different fixed versions (including none vs some).
    FixedVersions {
        /// Each scanner's list.
        by_scanner: Vec<(String, Vec<String>)>,
    },
    /// Scanners that found it rate it differently.
    Severity {
        /// Each scanner's rating.
        by_scanner: Vec<(String, Severity)>,
    },
}

/// A VEX analysis applied to a row.
#[derive(Debug, Clone, Serialize)]
pub struct VexMark {
    /// Label of the report it came from.
    pub from: String,
    /// The id the analysis used.
    pub id: String,
    /// The analysis.
    pub analysis: VexAnalysis,
}

/// A VEX analysis that matched no row.
#[derive(Debug, Clone, Serialize)]
pub struct UnmatchedVex {
    /// Label of the report it came from.
    pub from: String,
    /// Its id.
    pub id: String,
    /// Its package name (empty: about the product).
    pub package: String,
    /// Its package version.
    pub version: String,
    /// The analysis.
    pub analysis: VexAnalysis,
}

type RowKey = (usize, String, String, String);

struct RowAcc {
    root: usize,
    package: RowPackage,
    installed_version: String,
    cells: Vec<ScannerCell>,
    advisories: Vec<String>,
    vex: Vec<VexMark>,
}

/// Merges reports of one image. Reports of kind [`ReportKind::Vex`], and findings whose VEX
/// analysis clears them, do not make rows: they mark the rows of the same alias group and
/// package (a version, when given, must match; no package means the whole product).
pub fn merge(reports: &[ScannerReport]) -> Merged {
    let labels = labels(reports);
    let mut groups = AliasGroups::default();
    for r in reports {
        for f in &r.findings {
            let id = f.id.trim();
            if id.is_empty() {
                continue;
            }
            groups.intern(id);
            for a in f.aliases.iter().filter(|a| ecosystem::looks_like_id(a)) {
                groups.intern(a);
                groups.join(id, a);
            }
        }
    }

    let columns: Vec<usize> = (0..reports.len())
        .filter(|&i| reports[i].kind == ReportKind::Scan)
        .collect();
    let column_of: HashMap<usize, usize> =
        columns.iter().enumerate().map(|(c, &r)| (r, c)).collect();
    let mut rows: Vec<RowAcc> = Vec::new();
    let mut by_key: HashMap<RowKey, usize> = HashMap::new();
    let mut deferred: Vec<(usize, &ReportedVuln)> = Vec::new();

    for (ri, r) in reports.iter().enumerate() {
        for f in &r.findings {
            if f.id.trim().is_empty() {
                continue;
            }
            let clears = f.vex.as_ref().is_some_and(|v| v.state.clears());
            let Some(&col) = column_of.get(&ri).filter(|_| !clears) else {
                deferred.push((ri, f));
                continue;
            };
            let key = row_key(&mut groups, f);
            let n = *by_key.entry(key.clone()).or_insert_with(|| {
                rows.push(new_row(key.0, &key, f, &columns, &labels));
                rows.len() - 1
            });
            let row = &mut rows[n];
            add_detection(&mut row.cells[col], f);
            for a in f.aliases.iter().filter(|a| id_kind(a) == IdKind::Advisory) {
                push_unique(&mut row.advisories, ecosystem::canonical_id(a));
            }
            if row.package.source_name.is_none() {
                row.package.source_name = f.package.source_name.clone();
            }
            if row.package.purl.is_none() {
                row.package.purl = f.package.purl.clone();
            }
            if let Some(v) = &f.vex {
                row.vex.push(VexMark {
                    from: labels[ri].clone(),
                    id: f.id.clone(),
                    analysis: v.clone(),
                });
            }
        }
    }

    let mut by_root: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_root.entry(row.root).or_default().push(i);
    }
    let mut vex_applied = vec![0usize; reports.len()];
    let mut unmatched_vex = Vec::new();
    for (ri, f) in deferred {
        let Some(analysis) = &f.vex else { continue };
        let (root, eco, name, version) = row_key(&mut groups, f);
        let targets: Vec<usize> = by_root
            .get(&root)
            .map(|list| {
                list.iter()
                    .copied()
                    .filter(|&i| {
                        let (_, reco, rname, rversion) = key_of(&rows[i]);
                        name.is_empty()
                            || ((eco == "unknown" || eco == reco)
                                && name == rname
                                && (version.is_empty() || version == rversion))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if targets.is_empty() {
            unmatched_vex.push(UnmatchedVex {
                from: labels[ri].clone(),
                id: f.id.clone(),
                package: f.package.name.clone(),
                version: f.package.version.clone(),
                analysis: analysis.clone(),
            });
            continue;
        }
        vex_applied[ri] += 1;
        for i in targets {
            rows[i].vex.push(VexMark {
                from: labels[ri].clone(),
                id: f.id.clone(),
                analysis: analysis.clone(),
            });
        }
    }

    let members = groups.members();
    let mut out_rows: Vec<MergedRow> = rows
        .into_iter()
        .map(|row| finish_row(row, &members, &groups))
        .collect();
    out_rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| natural_cmp(&a.id, &b.id))
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.installed_version.cmp(&b.installed_version))
    });

    let scanners = reports
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            let col = column_of.get(&ri).copied();
            let found = col.map_or(0, |c| {
                out_rows.iter().filter(|row| row.scanners[c].found).count()
            });
            let unique = col.map_or(0, |c| {
                out_rows
                    .iter()
                    .filter(|row| {
                        row.scanners[c].found
                            && row.scanners.iter().filter(|cell| cell.found).count() == 1
                    })
                    .count()
            });
            ScannerSummary {
                label: labels[ri].clone(),
                scanner: r.scanner.clone(),
                version: r.version.clone(),
                source: r.source.clone(),
                kind: r.kind,
                target: r.target.clone(),
                target_digest: r.target_digest.clone(),
                findings_read: r.findings.len(),
                found,
                unique,
                vex_applied: vex_applied[ri],
                warnings: r.warnings.len(),
            }
        })
        .collect();

    Merged {
        schema: MERGE_SCHEMA,
        scanners,
        rows: out_rows,
        unmatched_vex,
        notes: notes(reports, &labels),
    }
}

fn labels(reports: &[ScannerReport]) -> Vec<String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    reports
        .iter()
        .map(|r| {
            let n = seen.entry(r.scanner.as_str()).or_insert(0);
            *n += 1;
            if *n == 1 {
                r.scanner.clone()
            } else {
                format!("{}-{}", r.scanner, n)
            }
        })
        .collect()
}

fn row_key(groups: &mut AliasGroups, f: &ReportedVuln) -> RowKey {
    let node = groups.intern(f.id.trim());
    let root = groups.find(node);
    let purl = f.package.purl.as_deref().and_then(Purl::parse);
    let mut eco = f.package.ecosystem.trim().to_ascii_lowercase();
    if eco.is_empty() {
        eco = "unknown".into();
    }
    if let (Some(p), "unknown") = (&purl, eco.as_str()) {
        eco = p.ty.clone();
    }
    let name = if f.package.name.trim().is_empty() && purl.is_none() {
        String::new()
    } else {
        ecosystem::key_name(&eco, &f.package.name, purl.as_ref())
    };
    let raw_version = match (f.package.version.trim(), &purl) {
        ("", Some(p)) => p.version.as_str(),
        (v, _) => v,
    };
    let version = ecosystem::key_version(&eco, raw_version);
    (root, eco, name, version)
}

fn key_of(row: &RowAcc) -> (usize, &str, &str, String) {
    (
        row.root,
        row.package.ecosystem.as_str(),
        row.package.name.as_str(),
        ecosystem::key_version(&row.package.ecosystem, &row.installed_version),
    )
}

fn new_row(
    root: usize,
    key: &RowKey,
    f: &ReportedVuln,
    columns: &[usize],
    labels: &[String],
) -> RowAcc {
    RowAcc {
        root,
        package: RowPackage {
            ecosystem: key.1.clone(),
            name: key.2.clone(),
            source_name: None,
            purl: None,
        },
        installed_version: if f.package.version.trim().is_empty() {
            key.3.clone()
        } else {
            f.package.version.trim().to_string()
        },
        cells: columns
            .iter()
            .map(|&r| ScannerCell {
                label: labels[r].clone(),
                found: false,
                ids: Vec::new(),
                fixed_versions: Vec::new(),
                severity: None,
                fix_state: None,
                locations: Vec::new(),
                layers: Vec::new(),
            })
            .collect(),
        advisories: Vec::new(),
        vex: Vec::new(),
    }
}

fn add_detection(cell: &mut ScannerCell, f: &ReportedVuln) {
    cell.found = true;
    push_unique(&mut cell.ids, ecosystem::canonical_id(&f.id));
    for v in &f.fixed_versions {
        push_unique(&mut cell.fixed_versions, v.trim().to_string());
    }
    cell.severity = Some(cell.severity.map_or(f.severity, |s| s.max(f.severity)));
    if cell.fix_state.is_none() {
        cell.fix_state = f.fix_state.clone();
    }
    if let Some(p) = &f.path {
        push_unique(&mut cell.locations, p.clone());
    }
    if let Some(l) = f.layer_digest.as_ref().or(f.layer_diff_id.as_ref()) {
        push_unique(&mut cell.layers, l.clone());
    }
}

fn finish_row(
    row: RowAcc,
    members: &HashMap<usize, Vec<usize>>,
    groups: &AliasGroups,
) -> MergedRow {
    let mut ids: Vec<&str> = members
        .get(&row.root)
        .map(|m| m.iter().map(|&n| groups.id(n)).collect())
        .unwrap_or_default();
    ids.sort_by_key(|id| preference(id));
    let id = ids.first().map(|s| s.to_string()).unwrap_or_default();
    let mut aliases: Vec<String> = ids.iter().skip(1).map(|s| s.to_string()).collect();
    for a in row.advisories {
        if a != id {
            push_unique(&mut aliases, a);
        }
    }
    let severity = row
        .cells
        .iter()
        .filter_map(|c| c.severity)
        .max()
        .unwrap_or_default();
    let disagreements = disagreements(&row.cells, &row.package.ecosystem);
    MergedRow {
        id,
        aliases,
        package: row.package,
        installed_version: row.installed_version,
        severity,
        scanners: row.cells,
        disagreements,
        vex: row.vex,
    }
}

fn disagreements(cells: &[ScannerCell], eco: &str) -> Vec<Disagreement> {
    let mut out = Vec::new();
    let found: Vec<&ScannerCell> = cells.iter().filter(|c| c.found).collect();
    if found.len() < cells.len() {
        out.push(Disagreement::Presence {
            found_by: found.iter().map(|c| c.label.clone()).collect(),
            missed_by: cells
                .iter()
                .filter(|c| !c.found)
                .map(|c| c.label.clone())
                .collect(),
        });
    }
    if found.len() >= 2 {
        let sets: Vec<BTreeSet<String>> = found
            .iter()
            .map(|c| {
                c.fixed_versions
                    .iter()
                    .map(|v| ecosystem::key_version(eco, v))
                    .collect()
            })
            .collect();
        if sets.windows(2).any(|w| w[0] != w[1]) {
            out.push(Disagreement::FixedVersions {
                by_scanner: found
                    .iter()
                    .map(|c| (c.label.clone(), c.fixed_versions.clone()))
                    .collect(),
            });
        }
        let sev: Vec<(String, Severity)> = found
            .iter()
            .map(|c| (c.label.clone(), c.severity.unwrap_or_default()))
            .collect();
        if sev.windows(2).any(|w| w[0].1 != w[1].1) {
            out.push(Disagreement::Severity { by_scanner: sev });
        }
    }
    out
}

fn notes(reports: &[ScannerReport], labels: &[String]) -> Vec<String> {
    let digests: BTreeSet<&str> = reports
        .iter()
        .filter_map(|r| r.target_digest.as_deref())
        .collect();
    if digests.len() > 1 {
        let list: Vec<String> = reports
            .iter()
            .zip(labels)
            .filter_map(|(r, l)| r.target_digest.as_deref().map(|d| format!("{l}: {d}")))
            .collect();
        vec![format!(
            "the reports name different image digests ({}); check that they describe the same image",
            list.join(", ")
        )]
    } else {
        Vec::new()
    }
}

/// Orders ids with their numbers compared as numbers (`CVE-2023-5363` before
/// `CVE-2023-45288`).
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (pa, pb) = (parts(a), parts(b));
    for ((da, x), (db, y)) in pa.iter().zip(pb.iter()) {
        let o = if *da && *db {
            let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        } else {
            x.cmp(y)
        };
        if o != std::cmp::Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len()).then_with(|| a.cmp(b))
}

fn push_unique(list: &mut Vec<String>, s: String) {
    if !s.is_empty() && !list.contains(&s) {
        list.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering;

    #[test]
    fn ids_sort_by_number() {
        assert_eq!(
            natural_cmp("CVE-2023-5363", "CVE-2023-45288"),
            Ordering::Less
        );
        assert_eq!(natural_cmp("CVE-2022-9", "CVE-2023-1"), Ordering::Less);
        assert_eq!(natural_cmp("GHSA-a", "CVE-1"), Ordering::Greater);
        assert_eq!(natural_cmp("", "CVE-1"), Ordering::Less);
        assert_eq!(
            natural_cmp("CVE-01", "CVE-1"),
            Ordering::Less,
            "total order"
        );
    }
}
