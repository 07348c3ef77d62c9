//! Known vulnerabilities of an image's packages as findings (PAL-VULN-001).
//!
//! Each cataloged package becomes an OSV query ([`query_of`]): OS packages by the release's
//! ecosystem (`Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS`) and their source package
//! (Debian, Ubuntu) or origin (Alpine), language packages by their ecosystem. The records a
//! package matches are grouped by alias (a CVE, its GHSA and the distribution's DSA are one
//! vulnerability), so each vulnerability is one finding per package, named by its CVE when
//! it has one.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use palisade_core::exceptions::{Suppressed, Suppression};
use palisade_core::{Config, Controls, Emitter, Family, Finding, ObjectRef, Rule, Severity};
use palisade_image::Layer;
use palisade_sbom::{OsRelease, Package, PackageKind};
use palisade_vulndb::{names, Db, DbError, Match, Query};

use crate::place;
use crate::vex::{Statement, VexIndex};
use crate::ImageScanError;

/// PAL-VULN-001.
pub static VULNERABLE_PACKAGE: Rule = Rule {
    id: "PAL-VULN-001",
    title: "Package with a known vulnerability",
    severity: Severity::High,
    family: Family::Images,
    description: "A package in the image (an OS package or a language dependency) is at a \
        version an OSV advisory lists as affected. The finding names the vulnerability (its \
        CVE when it has one, with every alias), the package and installed version, the \
        versions that fix it, and the layer that brought the package in. Its severity is the \
        advisory's: computed from its CVSS v3 vector, else the severity the database gives; \
        medium when neither is known. Debian and Ubuntu packages are matched by source \
        package, Alpine packages by origin, as their advisories are written.",
    remediation: "Upgrade the package to a fixed version (rebuild the image on an updated \
        base for OS packages, bump the dependency for language packages). When no fix exists \
        or the vulnerable code is not reachable, record the decision in an OpenVEX document \
        (`--vex`) or an exception, with a reason and an expiry.",
    references: &[
        "https://ossf.github.io/osv-schema/",
        "https://openvex.dev/",
        "https://www.cisecurity.org/benchmark/docker",
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1190", "T1525"],
    },
};

/// The vulnerability rules.
pub fn catalog() -> Vec<&'static Rule> {
    vec![&VULNERABLE_PACKAGE]
}

/// The database to match against: `path` (which must exist), else the default one when it
/// exists. Without one, vulnerabilities are not looked up and `warn` is told how to get the
/// data; `warn` is also told which ecosystems' data is older than `max_age_days`. The
/// warnings name `palisade db` commands: they are worded for the command line.
pub fn open_db(
    path: Option<&Path>,
    max_age_days: u64,
    mut warn: impl FnMut(&str),
) -> Result<Option<Db>, ImageScanError> {
    let path = match path {
        Some(path) => {
            if !path.is_file() {
                return Err(ImageScanError::NoDatabase(path.to_path_buf()));
            }
            path.to_path_buf()
        }
        None => match Db::default_path().filter(|p| p.is_file()) {
            Some(path) => path,
            None => {
                warn(
                    "no vulnerability database; vulnerabilities are not looked up \
                     (fill one with `palisade db import PATH` or `palisade db update`)",
                );
                return Ok(None);
            }
        },
    };
    let db = Db::open(&path).map_err(|source| ImageScanError::OpenDatabase {
        path: path.clone(),
        source,
    })?;
    let max_age = Duration::from_secs(max_age_days.saturating_mul(86_400));
    let stale = db.stale(max_age).map_err(ImageScanError::DatabaseStatus)?;
    if !stale.is_empty() {
        warn(&format!(
            "vulnerability data older than {} days for {} (run `palisade db update`)",
            max_age_days,
            stale.join(", ")
        ));
    }
    Ok(Some(db))
}

/// How vulnerabilities are matched and reported.
#[derive(Debug, Clone, Copy, Default)]
pub struct VulnOptions {
    /// Leave out vulnerabilities with no fixed version (`--ignore-unfixed`).
    pub ignore_unfixed: bool,
}

/// The OSV query of a package, or `None` when no OSV ecosystem covers it (rpm packages:
/// their distributions' OSV ecosystems are not imported here; Go binaries without a module
/// version).
pub fn query_of(pkg: &Package, os: Option<&OsRelease>) -> Option<Query> {
    match pkg.kind {
        PackageKind::Deb | PackageKind::Apk => {
            let os = os?;
            let ecosystem = names::os_ecosystem(&os.id, os.version_id.as_deref()?)?;
            // Advisories name the source package (Debian, Ubuntu) or origin (Alpine).
            let name = pkg.source_name.as_deref().unwrap_or(&pkg.name);
            Some(Query::new(ecosystem, name, &pkg.version))
        }
        PackageKind::Python => Some(Query::new("PyPI", &pkg.name, &pkg.version)),
        PackageKind::Npm => Some(Query::new("npm", &pkg.name, &pkg.version)),
        PackageKind::Java => Some(Query::new("Maven", &pkg.name, &pkg.version)),
        PackageKind::Go => {
            if pkg.version.is_empty() || pkg.version == "(devel)" {
                return None;
            }
            Some(Query::new("Go", &pkg.name, &pkg.version))
        }
        PackageKind::Rpm => None,
    }
}

/// One vulnerability of one package: the matches of its alias group, merged.
#[derive(Debug, Clone)]
pub struct Vulnerability {
    /// Index of the package in the slice given to [`match_packages`].
    pub package: usize,
    /// The id reported: the group's CVE when it has one, else its first record's id.
    pub id: String,
    /// Every other id of the group (records and their aliases), sorted.
    pub aliases: Vec<String>,
    /// A summary from one of the records.
    pub summary: Option<String>,
    /// The highest severity among the records.
    pub severity: Severity,
    /// The CVSS v3 base score behind it, when one was computed.
    pub score: Option<f64>,
    /// Fixed versions, sorted (empty: no fix known).
    pub fixed: Vec<String>,
}

/// Matches every package against the database and groups the matches per package and
/// alias group.
pub fn match_packages(
    db: &Db,
    packages: &[Package],
    os: Option<&OsRelease>,
    options: VulnOptions,
) -> Result<Vec<Vulnerability>, DbError> {
    let mut queries = Vec::new();
    let mut owner = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        if let Some(q) = query_of(p, os) {
            queries.push(q);
            owner.push(i);
        }
    }
    let matches = db.matches(&queries)?;
    let mut by_package: HashMap<usize, Vec<&Match>> = HashMap::new();
    for m in &matches {
        if let Some(&pkg) = owner.get(m.query) {
            by_package.entry(pkg).or_default().push(m);
        }
    }
    let mut out = Vec::new();
    let mut packages_sorted: Vec<usize> = by_package.keys().copied().collect();
    packages_sorted.sort_unstable();
    for pkg in packages_sorted {
        for group in alias_groups(&by_package[&pkg]) {
            let v = merge_group(pkg, &group);
            if options.ignore_unfixed && v.fixed.is_empty() {
                continue;
            }
            out.push(v);
        }
    }
    Ok(out)
}

/// The ids a match is known by: its record, the record's aliases and upstream ids.
fn ids_of(m: &Match) -> impl Iterator<Item = &str> {
    std::iter::once(m.advisory.id.as_str())
        .chain(m.advisory.aliases.iter().map(String::as_str))
        .chain(m.advisory.upstream.iter().map(String::as_str))
}

/// Groups matches that share an id (union-find over ids), in first-seen order.
fn alias_groups<'m>(matches: &[&'m Match]) -> Vec<Vec<&'m Match>> {
    let mut parent: Vec<usize> = (0..matches.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_with: HashMap<&str, usize> = HashMap::new();
    for (i, m) in matches.iter().enumerate() {
        for id in ids_of(m) {
            match first_with.get(id) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
                None => {
                    first_with.insert(id, i);
                }
            }
        }
    }
    let mut groups: Vec<Vec<&Match>> = Vec::new();
    let mut slot: HashMap<usize, usize> = HashMap::new();
    for (i, m) in matches.iter().enumerate() {
        let r = root(&mut parent, i);
        let g = *slot.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(*m);
    }
    groups
}

fn severity_of(m: &Match) -> (Severity, Option<f64>) {
    let s = &m.advisory.severity;
    if let Some(score) = s.cvss3_score {
        // CVSS v3 qualitative ratings (FIRST's specification, section 5).
        let sev = if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        };
        return (sev, Some(score));
    }
    let rating = s
        .rating
        .as_deref()
        .or(s.database.as_deref())
        .unwrap_or("")
        .to_ascii_lowercase();
    let sev = match rating.as_str() {
        "critical" => Severity::Critical,
        "high" | "important" => Severity::High,
        "moderate" | "medium" => Severity::Medium,
        "low" | "negligible" | "unimportant" => Severity::Low,
        _ => Severity::Medium,
    };
    (sev, None)
}

fn merge_group(package: usize, group: &[&Match]) -> Vulnerability {
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    let mut fixed: BTreeSet<&str> = BTreeSet::new();
    let (mut severity, mut score, mut summary) = (Severity::Info, None, None);
    for m in group {
        ids.extend(ids_of(m));
        fixed.extend(m.fixed.iter().map(String::as_str));
        let (s, sc) = severity_of(m);
        if s > severity || (s == severity && sc > score) {
            severity = s;
            score = sc;
        }
        if summary.is_none() {
            summary = m.advisory.summary.clone().filter(|s| !s.trim().is_empty());
        }
    }
    let id = ids
        .iter()
        .find(|i| i.starts_with("CVE-"))
        .map(|i| i.to_string())
        .or_else(|| group.first().map(|m| m.advisory.id.clone()))
        .unwrap_or_default();
    let aliases = ids
        .into_iter()
        .filter(|i| *i != id)
        .map(str::to_string)
        .collect();
    Vulnerability {
        package,
        id,
        aliases,
        summary,
        severity,
        score,
        fixed: fixed.into_iter().map(str::to_string).collect(),
    }
}

/// The image a vulnerability report is about.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The path or reference as given (the findings' object name).
    pub name: &'a str,
    /// The manifest digest, when known (OpenVEX products may name the image by it).
    pub digest: Option<&'a str>,
    /// The image's layers, to name the one that brought each package in.
    pub layers: &'a [Layer],
}

/// The findings of [`findings`]: reported, and suppressed by an OpenVEX statement.
#[derive(Debug, Default)]
pub struct VulnFindings {
    /// Findings to report.
    pub findings: Vec<Finding>,
    /// Findings a `not_affected` or `fixed` statement covers, with the statement as reason.
    pub suppressed: Vec<Suppressed>,
}

/// The findings of `vulns` on the image: one per vulnerability and package, at the package
/// database (or metadata file) in the layer that brought it in. A vulnerability an OpenVEX
/// statement in `vex` declares `not_affected` or `fixed` for the image (its name or digest)
/// and the package's purl is suppressed, like an exception.
pub fn findings(
    vulns: &[Vulnerability],
    packages: &[Package],
    subject: Subject<'_>,
    vex: &VexIndex,
    config: &Config,
) -> VulnFindings {
    let object: Arc<ObjectRef> = place::object(subject.name);
    let products: Vec<&str> = std::iter::once(subject.name)
        .chain(subject.digest)
        .collect();
    let mut out = VulnFindings::default();
    for v in vulns {
        let Some(pkg) = packages.get(v.package) else {
            continue;
        };
        let Some(finding) = finding(v, pkg, subject, &object, config) else {
            continue;
        };
        let ids: Vec<&str> = std::iter::once(v.id.as_str())
            .chain(v.aliases.iter().map(String::as_str))
            .collect();
        let statement = products
            .iter()
            .find_map(|product| vex.verdict(&ids, product, Some(&pkg.purl)))
            .filter(|st| st.suppresses());
        match statement {
            Some(st) => out.suppressed.push(Suppressed {
                finding,
                by: Suppression::Config {
                    location: format!("{} {}", st.source, st.json_path),
                    reason: vex_reason(st),
                    expires: None,
                },
            }),
            None => out.findings.push(finding),
        }
    }
    out
}

/// `OpenVEX not_affected (vulnerable_code_not_in_execute_path): …`.
fn vex_reason(st: &Statement) -> String {
    let mut reason = format!("OpenVEX {}", st.status.as_str());
    if let Some(j) = &st.justification {
        reason.push_str(&format!(" ({j})"));
    }
    if let Some(text) = st.impact_statement.as_ref().or(st.status_notes.as_ref()) {
        reason.push_str(": ");
        reason.push_str(text);
    }
    reason
}

/// The finding of one vulnerability of one package (`None` when the rule is turned off).
fn finding(
    v: &Vulnerability,
    pkg: &Package,
    subject: Subject<'_>,
    object: &Arc<ObjectRef>,
    config: &Config,
) -> Option<Finding> {
    let layer = pkg
        .layer_digest
        .as_deref()
        .and_then(|d| subject.layers.iter().find(|l| l.digest == d));
    let location = match layer {
        Some(l) => place::in_layer(subject.name, l, &pkg.found_in, 1),
        None => palisade_core::Location {
            path: format!("{}!{}", subject.name, pkg.found_in).into(),
            line: 1,
            col: 1,
        },
    };
    let fix = if v.fixed.is_empty() {
        "no fixed version is known".to_string()
    } else {
        format!("fixed in {}", v.fixed.join(", "))
    };
    let source = match (&pkg.source_name, pkg.kind) {
        (Some(src), PackageKind::Deb | PackageKind::Apk) if *src != pkg.name => {
            format!(", source package `{src}`")
        }
        _ => String::new(),
    };
    let also = if v.aliases.is_empty() {
        String::new()
    } else {
        format!(" (also {})", v.aliases.join(", "))
    };
    let summary = v
        .summary
        .as_deref()
        .map(|s| format!(": {}", place::shorten(s, 160)))
        .unwrap_or_default();
    let brought = layer
        .map(|l| format!("; brought in by {}", place::describe_layer(l)))
        .unwrap_or_default();
    let message = format!(
        "{} package `{}` {}{source} is affected by {}{also}{summary}; {fix}{brought}",
        kind_name(pkg.kind),
        pkg.name,
        pkg.version,
        v.id,
    );
    let mut em = Emitter::new(config);
    let f = em.emit_graded_at(&VULNERABLE_PACKAGE, v.severity, object, location, message)?;
    f.field = Some(pkg.purl.as_str().into());
    f.evidence = Some(match v.score {
        Some(score) => format!("{} CVSS {score:.1}", v.id).into(),
        None => v.id.clone().into(),
    });
    em.into_findings().pop()
}

fn kind_name(kind: PackageKind) -> &'static str {
    match kind {
        PackageKind::Deb => "Debian",
        PackageKind::Apk => "Alpine",
        PackageKind::Rpm => "RPM",
        PackageKind::Python => "Python",
        PackageKind::Npm => "npm",
        PackageKind::Java => "Java",
        PackageKind::Go => "Go",
    }
}
