//! Other scanners' reports of one image, merged (`palisade image merge`).
//!
//! Readers turn Trivy JSON ([`read_trivy`]), Grype JSON ([`read_grype`]), CycloneDX with
//! vulnerabilities and VEX ([`read_cyclonedx`]) and Palisade's own findings
//! ([`read_palisade`], or a [`ScannerReport`] built directly) into one model;
//! [`read_report`] detects the format. [`merge`] deduplicates findings by alias group and
//! package and reports which scanner found what and where they disagree; [`to_table`] and
//! [`to_json`] render the result.
//!
//! ```
//! use palisade_imagescan::merge::{merge, read_report, to_table};
//!
//! let trivy = br#"{"SchemaVersion":2,"ArtifactName":"app:1","Results":[{"Target":"app","Type":"python-pkg",
//!   "Vulnerabilities":[{"VulnerabilityID":"CVE-2024-1","PkgName":"Flask","InstalledVersion":"2.0.0",
//!   "FixedVersion":"2.2.5","Severity":"HIGH"}]}]}"#;
//! let grype = br#"{"matches":[{"vulnerability":{"id":"GHSA-m2qf-hxjv-5gpq","severity":"High",
//!   "fix":{"versions":["2.2.5"],"state":"fixed"}},"relatedVulnerabilities":[{"id":"CVE-2024-1"}],
//!   "artifact":{"name":"flask","version":"2.0.0","type":"python"}}],"descriptor":{"name":"grype"}}"#;
//! let reports = [read_report("trivy.json", trivy)?, read_report("grype.json", grype)?];
//! let merged = merge(&reports);
//! assert_eq!(merged.rows.len(), 1);
//! assert_eq!(merged.rows[0].id, "CVE-2024-1");
//! assert!(to_table(&merged).contains("CVE-2024-1"));
//! # Ok::<(), palisade_imagescan::merge::ReadError>(())
//! ```

mod alias;
mod combine;
mod cyclonedx;
pub mod ecosystem;
mod error;
mod grype;
pub(crate) mod json;
mod model;
pub mod purl;
mod read;
mod render;
mod trivy;

pub use combine::{
    merge, Disagreement, Merged, MergedRow, RowPackage, ScannerCell, ScannerSummary, UnmatchedVex,
    VexMark, MERGE_SCHEMA,
};
pub use cyclonedx::read_cyclonedx;
pub use error::{ReadError, ReadErrorKind};
pub use grype::read_grype;
pub use model::{
    ReadWarning, ReportKind, ReportedPackage, ReportedVuln, ScannerReport, Severity, VexAnalysis,
    VexState, MAX_FINDINGS, MAX_JSON_CONTAINERS, MAX_LIST, MAX_REPORT_BYTES,
};
pub use read::{detect, read_palisade, read_report, read_report_file, Format};
pub use render::{to_json, to_table};
pub use trivy::read_trivy;

/// Harness for the `scanner_reports` fuzz target; not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    type Reader = fn(&str, &serde_json::Value) -> Result<super::ScannerReport, super::ReadError>;

    /// Feeds arbitrary bytes to every reader (detected, and each one forced), then merges
    /// and renders whatever was read. Must never panic.
    pub fn scanner_reports(data: &[u8]) {
        let mut reports = Vec::new();
        if let Ok(r) = super::read_report("fuzz", data) {
            reports.push(r);
        }
        if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) {
            let readers: [Reader; 4] = [
                super::read_trivy,
                super::read_grype,
                super::read_cyclonedx,
                super::read_palisade,
            ];
            for read in readers {
                if let Ok(r) = read("fuzz", &doc) {
                    reports.push(r);
                }
            }
        }
        let merged = super::merge(&reports);
        let _ = super::to_table(&merged);
        let _ = super::to_json(&merged);
    }
}
