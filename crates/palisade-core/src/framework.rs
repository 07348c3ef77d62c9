//! Compliance summaries: how a scan fares against an outside framework (Pod Security
//! Standards, CIS Kubernetes Benchmark, NSA/CISA hardening guide, MITRE ATT&CK), control by
//! control. The engine computes them (`palisade_engine::frameworks`); the [`Report`] carries
//! them in [`Report::frameworks`], and renderers only show them.
//!
//! [`Report`]: crate::Report
//! [`Report::frameworks`]: crate::Report::frameworks

use std::sync::Arc;

use crate::finding::ObjectRef;

/// How one control of a framework fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ControlStatus {
    /// At least one rule judges the control and none of them reported an (unsuppressed)
    /// finding.
    Pass,
    /// A rule that judges the control reported at least one finding.
    Fail,
    /// No rule judges the control: Palisade cannot say, from the inputs it reads, whether
    /// it is met. Never counted as a pass.
    NotCovered,
}

impl ControlStatus {
    /// `pass`, `fail`, `not-covered`.
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Pass => "pass",
            ControlStatus::Fail => "fail",
            ControlStatus::NotCovered => "not-covered",
        }
    }
}

/// One control of a framework, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlResult {
    /// The control's id within its framework (`5.2.2`, `host-namespaces`, `T1611`,
    /// `NSA-POD-4`).
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
    /// Pass, fail or not covered.
    pub status: ControlStatus,
    /// Ids of the rules that judge the control (the ones that ran), in catalog order.
    pub rules: Vec<&'static str>,
    /// The objects with a finding of one of those rules, sorted, each once.
    pub failing: Vec<Arc<ObjectRef>>,
    /// Why the control is not covered; `None` otherwise.
    pub reason: Option<&'static str>,
}

/// A framework's controls, judged, with a score.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkSummary {
    /// The id users pass to `--framework` (`cis`, `pss-restricted`, ...).
    pub id: &'static str,
    /// Human name, with the version the control list follows.
    pub title: &'static str,
    /// Where the framework is published.
    pub uri: &'static str,
    /// Share of the judged controls (pass or fail) that pass, in percent, rounded to one
    /// decimal; `None` when no control could be judged.
    pub score: Option<f64>,
    /// Every control of the framework, in the framework's order.
    pub controls: Vec<ControlResult>,
}

impl FrameworkSummary {
    /// Number of controls with `status`.
    pub fn count(&self, status: ControlStatus) -> usize {
        self.controls.iter().filter(|c| c.status == status).count()
    }
}

/// The score: passed / (passed + failed), in percent with one decimal; `None` when nothing
/// was judged. Not-covered controls are left out (they are neither met nor missed).
pub fn score(passed: usize, failed: usize) -> Option<f64> {
    let judged = passed + failed;
    if judged == 0 {
        return None;
    }
    // Integer tenths of a percent, rounded half up, so that every output shows the same
    // number. Counts are small (a framework has tens of controls): the casts are exact.
    let tenths = (passed * 1000 * 2 + judged) / (judged * 2);
    #[allow(clippy::cast_precision_loss)]
    Some(tenths as f64 / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_the_share_of_judged_controls_that_pass() {
        assert_eq!(score(0, 0), None);
        assert_eq!(score(3, 0), Some(100.0));
        assert_eq!(score(0, 4), Some(0.0));
        assert_eq!(score(1, 1), Some(50.0));
        assert_eq!(score(2, 1), Some(66.7));
        assert_eq!(score(1, 2), Some(33.3));
        assert_eq!(score(7, 9), Some(43.8));
    }
}
