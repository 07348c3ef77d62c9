//! What is written to and read from the store.

use palisade_core::Severity;
use serde::Serialize;

/// Seconds since 1970-01-01T00:00:00Z.
pub type Timestamp = i64;

/// Findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    /// Critical findings.
    pub critical: u64,
    /// High findings.
    pub high: u64,
    /// Medium findings.
    pub medium: u64,
    /// Low findings.
    pub low: u64,
    /// Info findings.
    pub info: u64,
}

impl SeverityCounts {
    /// Counts of a list of severities.
    pub fn of(severities: impl IntoIterator<Item = Severity>) -> SeverityCounts {
        let mut counts = SeverityCounts::default();
        for severity in severities {
            *counts.get_mut(severity) += 1;
        }
        counts
    }

    /// The count of one severity.
    pub fn get(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn get_mut(&mut self, severity: Severity) -> &mut u64 {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }

    /// All findings.
    pub fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

/// A finding as recorded: what the report said, minus the evidence (which may quote values),
/// plus its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFinding {
    /// Identity across scans of one target (see [`crate::fingerprint`]).
    pub fingerprint: String,
    /// Rule id.
    pub rule_id: String,
    /// Severity when recorded.
    pub severity: Severity,
    /// The object's `apiVersion`.
    pub api_version: String,
    /// The object's kind.
    pub kind: String,
    /// The object's namespace, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
    /// Reported path (file, Helm template, or `Kind/NS/NAME` for a cluster).
    pub path: String,
    /// 1-based line (0 when there is none).
    pub line: u32,
    /// 1-based column (0 when there is none).
    pub col: u32,
    /// The offending field's path inside the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The report's message.
    pub message: String,
}

impl StoredFinding {
    /// `Kind/NS/NAME` (or `Kind/NAME`).
    pub fn object(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

/// An inventory snapshot kept with a scan: a JSON document and the tag naming its format
/// (`palisade.dev/objects/v1`, or whatever model the live reader defines), so a later reader
/// knows how to read an old snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InventorySnapshot {
    /// Format tag.
    pub format: String,
    /// The document.
    pub body: serde_json::Value,
}

/// A scan to record.
#[derive(Debug, Clone)]
pub struct NewScan {
    /// What was scanned: a cluster context, a path set; scans of one target are compared with
    /// each other.
    pub target: String,
    /// When the scan ran.
    pub started_at: Timestamp,
    /// The Palisade version that ran it.
    pub tool_version: String,
    /// Inputs that could not be (fully) read: a scan with errors may miss findings.
    pub load_errors: u64,
    /// Its findings; fingerprints are unique (see [`crate::fingerprint::assign`]).
    pub findings: Vec<StoredFinding>,
    /// The inventory it judged, when the caller keeps one.
    pub inventory: Option<InventorySnapshot>,
}

/// A recorded scan and how it compares with the previous scan of its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanRecord {
    /// Id, increasing in recording order.
    pub id: i64,
    /// Target.
    pub target: String,
    /// When the scan ran.
    pub started_at: Timestamp,
    /// Palisade version.
    pub tool_version: String,
    /// Load errors of the scan.
    pub load_errors: u64,
    /// Findings per severity.
    pub counts: SeverityCounts,
    /// The scan of the same target recorded just before, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<i64>,
    /// Findings not in the previous scan (all of them for a first scan).
    pub appeared: u64,
    /// Findings of the previous scan that are gone.
    pub fixed: u64,
}

/// A finding tracked across the scans of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackedFinding {
    /// The finding as last seen.
    pub finding: StoredFinding,
    /// The first scan it was in.
    pub first_seen_scan: i64,
    /// When that scan ran.
    pub first_seen_at: Timestamp,
    /// The last scan it was in.
    pub last_seen_scan: i64,
    /// When that scan ran.
    pub last_seen_at: Timestamp,
    /// The first scan it was absent from after being present (cleared if it comes back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_scan: Option<i64>,
    /// When that scan ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_at: Option<Timestamp>,
}

/// Which scans to list.
#[derive(Debug, Clone, Default)]
pub struct ScanFilter {
    /// Only scans that ran at or after this time.
    pub since: Option<Timestamp>,
    /// Only scans of this target.
    pub target: Option<String>,
}

/// Two scans compared by fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanDiff {
    /// The older side (`A`).
    pub from: ScanRecord,
    /// The newer side (`B`).
    pub to: ScanRecord,
    /// In `B`, not in `A`.
    pub new: Vec<StoredFinding>,
    /// In `A`, not in `B`.
    pub fixed: Vec<StoredFinding>,
    /// In both (as `B` has them).
    pub unchanged: Vec<StoredFinding>,
}

impl ScanDiff {
    /// Compares two finding lists by fingerprint; each output list keeps its input's order.
    pub fn between(
        from: ScanRecord,
        to: ScanRecord,
        before: Vec<StoredFinding>,
        after: Vec<StoredFinding>,
    ) -> ScanDiff {
        let (new, fixed, unchanged) = compare(before, after);
        ScanDiff {
            from,
            to,
            new,
            fixed,
            unchanged,
        }
    }
}

/// `(new, fixed, unchanged)`: in `after` only, in `before` only, in both (as `after` has
/// them), compared by fingerprint.
pub(crate) fn compare(
    before: Vec<StoredFinding>,
    after: Vec<StoredFinding>,
) -> (Vec<StoredFinding>, Vec<StoredFinding>, Vec<StoredFinding>) {
    use std::collections::HashSet;
    let now: HashSet<String> = after.iter().map(|f| f.fingerprint.clone()).collect();
    let old: HashSet<String> = before.iter().map(|f| f.fingerprint.clone()).collect();
    let fixed = before
        .into_iter()
        .filter(|f| !now.contains(&f.fingerprint))
        .collect();
    let (unchanged, new) = after
        .into_iter()
        .partition(|f| old.contains(&f.fingerprint));
    (new, fixed, unchanged)
}
