//! The [`Report`]: everything a renderer needs, already computed.

use serde::Serialize;

use crate::exceptions::Suppressed;
use crate::finding::{Finding, Severity};
use crate::framework::FrameworkSummary;
use crate::inventory::{LoadError, LoadNote};
use crate::rule::Rule;

/// The result of one scan.
#[derive(Debug, Clone)]
pub struct Report {
    /// Tool version.
    pub version: &'static str,
    /// Findings, sorted by place.
    pub findings: Vec<Finding>,
    /// Suppressed findings.
    pub suppressed: Vec<Suppressed>,
    /// Inputs that could not be (fully) loaded.
    pub errors: Vec<LoadError>,
    /// Notes about the inputs.
    pub notes: Vec<LoadNote>,
    /// Every rule that ran (the catalog, less disabled rules), for rule metadata.
    pub rules: Vec<&'static Rule>,
    /// Counters.
    pub stats: Stats,
    /// Compliance summaries of the frameworks the scan was asked for (`--framework`), in
    /// the order asked; empty when none was.
    pub frameworks: Vec<FrameworkSummary>,
}

/// Counters for the summary.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Inputs read (files, stdin).
    pub inputs: usize,
    /// Objects loaded.
    pub objects: usize,
    /// Dockerfiles loaded.
    pub dockerfiles: usize,
}

impl Report {
    /// Metadata of a rule that ran.
    pub fn rule(&self, id: &str) -> Option<&'static Rule> {
        self.rules.iter().copied().find(|r| r.id == id)
    }

    /// Number of findings per severity, `Info` first.
    pub fn counts(&self) -> [(Severity, usize); 5] {
        Severity::ALL.map(|s| (s, self.findings.iter().filter(|f| f.severity == s).count()))
    }

    /// Highest severity reported, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}
