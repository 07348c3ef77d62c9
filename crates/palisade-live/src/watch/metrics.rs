//! The watcher's Prometheus metrics, in the text exposition format (version 0.0.4): findings
//! by severity and by rule, objects watched per kind, the last full sync, what the streams
//! did, and how long re-judging a change took.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use palisade_core::{Report, Severity};

use super::reflector::Counters;

/// Upper bounds (seconds) of the re-judge latency histogram's buckets.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A cumulative histogram of durations, as Prometheus reads it.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    counts: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    /// Counts one observation (seconds).
    pub fn observe(&mut self, seconds: f64) {
        for (bound, n) in LATENCY_BUCKETS.iter().zip(self.counts.iter_mut()) {
            if seconds <= *bound {
                *n += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// What the metrics are made of, besides the stream counters.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Findings per severity (every severity present, zero or not).
    pub by_severity: BTreeMap<&'static str, u64>,
    /// (rule id, severity) → findings.
    pub by_rule: BTreeMap<(String, &'static str), u64>,
    /// Kind → objects judged.
    pub objects: BTreeMap<String, usize>,
    /// Unix time of the last full list: the first sync of every stream, or a later relist of
    /// one (after 410 Gone); 0 before the first.
    pub last_full_sync: f64,
    /// Whether the first full list is done.
    pub ready: bool,
    /// Re-judge latency: from an update's arrival to the updated report.
    pub latency: Histogram,
    /// Inventory-wide re-runs.
    pub whole_runs: u64,
}

impl Snapshot {
    /// Sets the finding counts from a report.
    pub fn count_findings(&mut self, report: &Report) {
        self.by_severity = Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        self.by_rule.clear();
        for f in &report.findings {
            let severity = f.severity.as_str();
            *self.by_severity.entry(severity).or_insert(0) += 1;
            *self
                .by_rule
                .entry((f.rule_id.to_string(), severity))
                .or_insert(0) += 1;
        }
    }
}

/// The metrics page.
pub fn render(snapshot: &Snapshot, counters: &Counters) -> String {
    let mut text = String::new();
    let add = |text: &mut String, name: &str, kind: &str, help: &str, rows: Vec<String>| {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for r in rows {
            let _ = writeln!(text, "{name}{r}");
        }
    };
    let rows = snapshot
        .by_severity
        .iter()
        .map(|(severity, count)| format!("{{severity=\"{severity}\"}} {count}"))
        .collect();
    add(
        &mut text,
        "palisade_watch_findings",
        "gauge",
        "Current findings by severity.",
        rows,
    );
    let rows = snapshot
        .by_rule
        .iter()
        .map(|((rule, severity), count)| {
            format!(
                "{{rule=\"{}\",severity=\"{severity}\"}} {count}",
                escape(rule)
            )
        })
        .collect();
    add(
        &mut text,
        "palisade_watch_findings_by_rule",
        "gauge",
        "Current findings by rule.",
        rows,
    );
    let rows = snapshot
        .objects
        .iter()
        .map(|(kind, count)| format!("{{kind=\"{}\"}} {count}", escape(kind)))
        .collect();
    add(
        &mut text,
        "palisade_watch_objects",
        "gauge",
        "Objects watched and judged, per kind (controller-owned objects are not counted).",
        rows,
    );
    let one = |v: String| vec![format!(" {v}")];
    add(
        &mut text,
        "palisade_watch_last_full_sync_timestamp_seconds",
        "gauge",
        "Unix time of the last full list: the first sync of every kind, or a relist of one after 410 Gone.",
        one(format!("{}", snapshot.last_full_sync)),
    );
    add(
        &mut text,
        "palisade_watch_ready",
        "gauge",
        "1 once every kind has been listed.",
        one(u8::from(snapshot.ready).to_string()),
    );
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed).to_string();
    add(
        &mut text,
        "palisade_watch_events_total",
        "counter",
        "Watch events processed (added, modified, deleted).",
        one(load(&counters.events)),
    );
    add(
        &mut text,
        "palisade_watch_lists_total",
        "counter",
        "Full lists of one kind (the first included).",
        one(load(&counters.lists)),
    );
    add(
        &mut text,
        "palisade_watch_expired_total",
        "counter",
        "Relists after 410 Gone.",
        one(load(&counters.expired)),
    );
    add(
        &mut text,
        "palisade_watch_reconnects_total",
        "counter",
        "Watches that failed (connection or server error), resumed after a pause.",
        one(load(&counters.reconnects)),
    );
    add(
        &mut text,
        "palisade_watch_resumes_total",
        "counter",
        "Watches started again from the last resourceVersion (after the server's timeout or a cut), without a relist.",
        one(load(&counters.resumes)),
    );
    add(
        &mut text,
        "palisade_watch_bookmarks_total",
        "counter",
        "Bookmarks received.",
        one(load(&counters.bookmarks)),
    );
    add(
        &mut text,
        "palisade_watch_whole_runs_total",
        "counter",
        "Runs of the inventory-wide analyses (RBAC, network).",
        one(snapshot.whole_runs.to_string()),
    );
    let h = &snapshot.latency;
    let mut rows: Vec<String> = LATENCY_BUCKETS
        .iter()
        .zip(h.counts.iter())
        .map(|(bound, n)| format!("_bucket{{le=\"{bound}\"}} {n}"))
        .collect();
    rows.push(format!("_bucket{{le=\"+Inf\"}} {}", h.count));
    rows.push(format!("_sum {}", h.sum));
    rows.push(format!("_count {}", h.count));
    add(
        &mut text,
        "palisade_watch_rejudge_seconds",
        "histogram",
        "Time from a change's arrival to the updated report.",
        rows,
    );
    text
}

/// A label value with `\`, `"` and newlines escaped, as the format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative() {
        let mut h = Histogram::default();
        h.observe(0.0007);
        h.observe(0.02);
        let page = render(
            &Snapshot {
                latency: h,
                ..Snapshot::default()
            },
            &Counters::default(),
        );
        assert!(
            page.contains("palisade_watch_rejudge_seconds_bucket{le=\"0.001\"} 1\n"),
            "{page}"
        );
        assert!(page.contains("palisade_watch_rejudge_seconds_bucket{le=\"0.025\"} 2\n"));
        assert!(page.contains("palisade_watch_rejudge_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(page.contains("palisade_watch_rejudge_seconds_count 2\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
