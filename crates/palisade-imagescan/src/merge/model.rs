//! The common model every reader produces: one [`ScannerReport`] per input file, holding
//! [`ReportedVuln`]s (one vulnerability in one installed package, as that scanner saw it).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest input a reader accepts, in bytes (real reports of large images are tens of MB).
pub const MAX_REPORT_BYTES: usize = 64 << 20;
/// Most JSON objects and arrays (counted as `{` and `[` bytes, strings included) an input
/// may hold. Parsed JSON takes far more memory than its text when it is made of many small
/// objects (measured in a debug build: 16 MB of two-level one-key objects, 2 million
/// containers, peaked at 1.4 GB), so this bounds memory where the byte limit alone does not
/// (about 0.7 GB at this limit). A Grype match holds about 25 containers, so real reports
/// of even very vulnerable images stay well below.
pub const MAX_JSON_CONTAINERS: usize = 1_000_000;
/// Most findings one report may hold; more is an error, not a truncation.
pub const MAX_FINDINGS: usize = 200_000;
/// Most entries kept in one finding's list (aliases, fixed versions, locations); the rest are
/// dropped with a warning.
pub const MAX_LIST: usize = 256;

/// Whether a report is a scanner's detections or only statements about them (VEX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// A scanner's findings: it counts in "found by / missed by".
    #[default]
    Scan,
    /// A VEX-only document (CycloneDX `vulnerabilities[]` with `analysis` and no components):
    /// it marks rows, it does not "find" or "miss" anything.
    Vex,
}

/// One scanner's report of one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannerReport {
    /// `trivy`, `grype`, `cyclonedx` or `palisade`.
    pub scanner: String,
    /// The producing tool's version (for CycloneDX: `TOOL VERSION` from `metadata.tools`).
    #[serde(default)]
    pub version: Option<String>,
    /// The image as the report names it (reference or name).
    #[serde(default)]
    pub target: Option<String>,
    /// The image digest (repo digest or image/config id) when the report gives one.
    #[serde(default)]
    pub target_digest: Option<String>,
    /// Where the report was read from (file name), for messages.
    #[serde(default)]
    pub source: String,
    /// Detections or VEX.
    #[serde(default)]
    pub kind: ReportKind,
    /// The findings, in input order.
    pub findings: Vec<ReportedVuln>,
    /// Parts of the input that were skipped (wrong types, missing ids), with their JSON path.
    #[serde(skip)]
    pub warnings: Vec<ReadWarning>,
}

/// One vulnerability in one package, as one scanner reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedVuln {
    /// The id the scanner used (`CVE-…`, `GHSA-…`, …).
    pub id: String,
    /// Other ids the scanner gave for the same vulnerability (aliases, related
    /// vulnerabilities, vendor ids, references), without `id` itself.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The affected package.
    pub package: ReportedPackage,
    /// Versions that fix it, as given (several for several release lines).
    #[serde(default)]
    pub fixed_versions: Vec<String>,
    /// Severity as the scanner rated it.
    #[serde(default)]
    pub severity: Severity,
    /// Fix state as the scanner spelled it (Trivy `Status`, Grype `fix.state`).
    #[serde(default)]
    pub fix_state: Option<String>,
    /// Digest of the layer that brought the package in (compressed blob digest).
    #[serde(default)]
    pub layer_digest: Option<String>,
    /// Diff id of that layer (digest of the uncompressed tar), as Grype and Trivy give it.
    #[serde(default)]
    pub layer_diff_id: Option<String>,
    /// File the package was found in, when given.
    #[serde(default)]
    pub path: Option<String>,
    /// A VEX analysis attached to the finding (CycloneDX `analysis`).
    #[serde(default)]
    pub vex: Option<VexAnalysis>,
}

/// The package a finding is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedPackage {
    /// Name as the scanner spelled it (binary package name for dpkg/apk/rpm).
    pub name: String,
    /// Installed version as given.
    pub version: String,
    /// Ecosystem as a purl type (`deb`, `apk`, `rpm`, `pypi`, `npm`, `golang`, `maven`, …);
    /// `unknown` when nothing tells.
    pub ecosystem: String,
    /// Package URL, when given.
    #[serde(default)]
    pub purl: Option<String>,
    /// Source package (Debian `Source`, Alpine origin, the purl's `upstream`), when known.
    #[serde(default)]
    pub source_name: Option<String>,
}

/// Severity on one scale for all scanners. Mapping: Trivy `CRITICAL…LOW`, `UNKNOWN`; Grype
/// `Critical…Low`, `Negligible`, `Unknown`; CycloneDX `critical…low`, `info` and `none`
/// become [`Severity::Negligible`], `unknown` [`Severity::Unknown`]. Ordered from least to
/// most severe.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not rated, or a label no mapping knows.
    #[default]
    Unknown,
    /// Negligible / informational / none.
    Negligible,
    /// Low.
    Low,
    /// Medium (also `moderate`).
    Medium,
    /// High (also `important`).
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Reads any scanner's label, case-insensitively; unknown labels are [`Severity::Unknown`].
    pub fn parse(label: &str) -> Severity {
        match label.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" => Severity::Low,
            "negligible" | "info" | "informational" | "none" => Severity::Negligible,
            _ => Severity::Unknown,
        }
    }

    /// From a CVSS base score (CVSS v3 qualitative scale).
    pub fn from_cvss_score(score: f64) -> Severity {
        if !score.is_finite() || score < 0.0 {
            Severity::Unknown
        } else if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Negligible
        }
    }

    /// The lower-case label.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Negligible => "negligible",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CycloneDX impact analysis state (`vulnerabilities[].analysis.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexState {
    /// Remediated.
    Resolved,
    /// Remediated, with pedigree evidence.
    ResolvedWithPedigree,
    /// Exploitable.
    Exploitable,
    /// Being analysed.
    InTriage,
    /// The scanner's finding is wrong.
    FalsePositive,
    /// Present but not exploitable.
    NotAffected,
}

impl VexState {
    /// Reads the schema's enum value.
    pub fn parse(s: &str) -> Option<VexState> {
        Some(match s {
            "resolved" => VexState::Resolved,
            "resolved_with_pedigree" => VexState::ResolvedWithPedigree,
            "exploitable" => VexState::Exploitable,
            "in_triage" => VexState::InTriage,
            "false_positive" => VexState::FalsePositive,
            "not_affected" => VexState::NotAffected,
            _ => return None,
        })
    }

    /// Whether the state clears the finding (not affected, false positive, fixed).
    pub fn clears(self) -> bool {
        matches!(
            self,
            VexState::NotAffected
                | VexState::FalsePositive
                | VexState::Resolved
                | VexState::ResolvedWithPedigree
        )
    }

    /// The schema's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VexState::Resolved => "resolved",
            VexState::ResolvedWithPedigree => "resolved_with_pedigree",
            VexState::Exploitable => "exploitable",
            VexState::InTriage => "in_triage",
            VexState::FalsePositive => "false_positive",
            VexState::NotAffected => "not_affected",
        }
    }
}

/// A VEX analysis of one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexAnalysis {
    /// The state.
    pub state: VexState,
    /// Justification label (`code_not_reachable`, …), when given.
    #[serde(default)]
    pub justification: Option<String>,
    /// Responses (`will_not_fix`, `update`, …).
    #[serde(default)]
    pub responses: Vec<String>,
    /// Free-text detail.
    #[serde(default)]
    pub detail: Option<String>,
}

/// A piece of a report that was skipped; the rest was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWarning {
    /// The file.
    pub source: String,
    /// JSON path of the skipped value (`$.Results[0].Vulnerabilities[3]`).
    pub json_path: String,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ReadWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.source, self.json_path, self.message)
    }
}
