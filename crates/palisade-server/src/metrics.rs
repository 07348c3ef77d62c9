//! Prometheus metrics in the text exposition format (version 0.0.4), written by hand: a few
//! counters and one histogram do not need a metrics crate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds: 100 µs to 5 s, dense around the
/// issue's 2 ms target and the API server's default 10 s webhook timeout far above.
pub const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.0035, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, &'static str), u64>>,
    decisions: Mutex<BTreeMap<(String, &'static str), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
    in_flight: AtomicI64,
    policy_errors: AtomicU64,
    cert_reloads: Mutex<BTreeMap<&'static str, u64>>,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    if let Ok(mut m) = map.lock() {
        *m.entry(key).or_insert(0) += 1;
    }
}

impl Metrics {
    /// Counts a request to `/validate` by operation and result (`allowed`, `denied`,
    /// `exempt`, `bad_request`, `too_large`, `timeout`, `overloaded`, `unavailable`), and its
    /// latency.
    pub fn request(&self, operation: &str, result: &'static str, took: Duration) {
        bump(&self.requests, (operation.to_string(), result));
        let secs = took.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Counts one rule firing in one mode.
    pub fn decision(&self, rule: &str, mode: &'static str) {
        bump(&self.decisions, (rule.to_string(), mode));
    }

    /// Counts a policy that failed on a request.
    pub fn policy_error(&self) {
        self.policy_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a certificate reload (`ok` or `error`).
    pub fn cert_reload(&self, result: &'static str) {
        bump(&self.cert_reloads, result);
    }

    /// Moves the in-flight gauge.
    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// The requests counter for one operation and result (for tests and the load tool).
    pub fn requests_of(&self, operation: &str, result: &str) -> u64 {
        self.requests.lock().map_or(0, |m| {
            m.iter()
                .filter(|((o, r), _)| o == operation && *r == result)
                .map(|(_, n)| *n)
                .sum()
        })
    }

    /// The exposition text; `cache`: the user policies' decision cache counters, when
    /// there are user policies.
    pub fn render(&self, cache: Option<palisade_policy::CacheStats>) -> String {
        let mut out = String::new();
        out.push_str("# HELP palisade_admission_requests_total Admission requests by operation and result.\n# TYPE palisade_admission_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((op, result), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "palisade_admission_requests_total{{operation=\"{}\",result=\"{result}\"}} {n}",
                    escape(op)
                );
            }
        }
        out.push_str("# HELP palisade_admission_decisions_total Rules that fired, by rule and enforcement mode.\n# TYPE palisade_admission_decisions_total counter\n");
        if let Ok(m) = self.decisions.lock() {
            for ((rule, mode), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "palisade_admission_decisions_total{{rule=\"{}\",mode=\"{mode}\"}} {n}",
                    escape(rule)
                );
            }
        }
        out.push_str("# HELP palisade_admission_request_duration_seconds Time from the request's headers to its answer.\n# TYPE palisade_admission_request_duration_seconds histogram\n");
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "palisade_admission_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(
            out,
            "palisade_admission_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\npalisade_admission_request_duration_seconds_sum {sum}\npalisade_admission_request_duration_seconds_count {count}"
        );
        let _ = writeln!(
            out,
            "# HELP palisade_admission_in_flight Requests being judged now.\n# TYPE palisade_admission_in_flight gauge\npalisade_admission_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP palisade_admission_policy_errors_total Policies that failed on a request.\n# TYPE palisade_admission_policy_errors_total counter\npalisade_admission_policy_errors_total {}",
            self.policy_errors.load(Ordering::Relaxed)
        );
        if let Some(c) = cache {
            let _ = writeln!(
                out,
                "# HELP palisade_admission_policy_cache_total Policy evaluations (a Gatekeeper constraint, a ValidatingAdmissionPolicy binding) answered from the decision cache (hit) or run (miss).\n# TYPE palisade_admission_policy_cache_total counter\npalisade_admission_policy_cache_total{{result=\"hit\"}} {}\npalisade_admission_policy_cache_total{{result=\"miss\"}} {}",
                c.hits, c.misses
            );
        }
        out.push_str("# HELP palisade_admission_cert_reloads_total Certificate reloads by result.\n# TYPE palisade_admission_cert_reloads_total counter\n");
        if let Ok(m) = self.cert_reloads.lock() {
            for (result, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "palisade_admission_cert_reloads_total{{result=\"{result}\"}} {n}"
                );
            }
        }
        out
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        m.request("CREATE", "allowed", Duration::from_micros(300));
        m.request("CREATE", "denied", Duration::from_millis(3));
        m.decision("a\"b", "deny");
        let text = m.render(None);
        assert!(
            text.contains("palisade_admission_request_duration_seconds_bucket{le=\"0.0005\"} 1\n")
        );
        assert!(
            text.contains("palisade_admission_request_duration_seconds_bucket{le=\"0.005\"} 2\n")
        );
        assert!(text.contains("palisade_admission_request_duration_seconds_count 2\n"));
        assert!(text.contains("rule=\"a\\\"b\",mode=\"deny\"} 1"));
        assert_eq!(m.requests_of("CREATE", "denied"), 1);
    }
}
