//! Check results: every check yields one [`CheckResult`] (pass, fail, manual or info, with its
//! evidence), failures become [`Finding`]s, and [`NodeAudit::summary`] counts them per
//! benchmark section as the benchmark's own report does.

use std::sync::Arc;

use palisade_core::{Config, Emitter, Finding, LoadError, LoadNote, Location, ObjectRef, Rule};
use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The recommendation holds.
    Pass,
    /// It does not: a finding.
    Fail,
    /// It cannot be decided from files (a file is missing or unreadable, or the benchmark
    /// asks a person to judge): review by hand.
    Manual,
    /// Not applicable here (no such component on this node), or informational.
    Info,
}

impl Status {
    /// Upper-case label (`PASS`).
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Manual => "MANUAL",
            Status::Info => "INFO",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// The CIS id (`1.2.1`), or `host.N` for host checks.
    pub check: &'static str,
    /// The rule a failure is reported under.
    #[serde(serialize_with = "rule_id")]
    pub rule: &'static Rule,
    /// Outcome.
    pub status: Status,
    /// The component judged (`kube-apiserver`, `kubelet`, `etcd`, `host`, ...).
    pub component: &'static str,
    /// What was found, specific to this node.
    pub message: String,
    /// The value that decided (`--anonymous-auth=true`, `mode 0644`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Where: the flag's line, or the file judged.
    pub location: Location,
}

fn rule_id<S: serde::Serializer>(rule: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.id)
}

impl CheckResult {
    /// The benchmark section of this check (`1.2`, `2`, `4.1`, `host`).
    pub fn section(&self) -> &'static str {
        section_of(self.check)
    }
}

/// The section a check id belongs to.
pub fn section_of(check: &str) -> &'static str {
    const SECTIONS: &[&str] = &["1.1", "1.2", "1.3", "1.4", "3.1", "3.2", "4.1", "4.2"];
    if check.starts_with("host") {
        return "host";
    }
    if check.starts_with("kubelet.") {
        return "4.2";
    }
    if check.starts_with("2.") {
        return "2";
    }
    SECTIONS
        .iter()
        .find(|s| check.starts_with(&format!("{s}.")[..]))
        .copied()
        .unwrap_or("other")
}

/// Human title of a section.
pub fn section_title(section: &str) -> &'static str {
    match section {
        "1.1" => "Control Plane Node Configuration Files",
        "1.2" => "API Server",
        "1.3" => "Controller Manager",
        "1.4" => "Scheduler",
        "2" => "etcd",
        "3.2" => "Logging",
        "4.1" => "Worker Node Configuration Files",
        "4.2" => "Kubelet",
        "host" => "Host hardening",
        _ => "Other",
    }
}

/// Which install layout the root has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// kubeadm: static pods under /etc/kubernetes/manifests, kubelet under systemd.
    Kubeadm,
    /// k3s: one binary, configured by /etc/rancher/k3s/config.yaml.
    K3s,
    /// Neither found: only host checks and whatever kubelet files exist.
    Unknown,
}

/// Counts of one section.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SectionSummary {
    /// Section id (`1.2`).
    pub section: &'static str,
    /// Its title.
    pub title: &'static str,
    /// Passed checks.
    pub pass: usize,
    /// Failed checks.
    pub fail: usize,
    /// Checks to review by hand.
    pub manual: usize,
    /// Not applicable or informational.
    pub info: usize,
}

/// Everything the node audit found.
#[derive(Debug, Clone, Default)]
pub struct NodeAudit {
    /// Layout detected (`None` only before the audit ran).
    pub layout: Option<Layout>,
    /// Every check's result, in benchmark order.
    pub results: Vec<CheckResult>,
    /// Files that exist but could not be used (unreadable, oversized, invalid YAML).
    pub errors: Vec<LoadError>,
    /// Oddities worth telling (flags given twice, stray arguments, duplicate YAML keys).
    pub notes: Vec<LoadNote>,
    /// Files read.
    pub inputs: usize,
}

impl NodeAudit {
    /// Pass/fail/manual/info counts per section, in benchmark order.
    pub fn summary(&self) -> Vec<SectionSummary> {
        let mut out: Vec<SectionSummary> = Vec::new();
        for r in &self.results {
            let section = r.section();
            let idx = match out.iter().position(|s| s.section == section) {
                Some(i) => i,
                None => {
                    out.push(SectionSummary {
                        section,
                        title: section_title(section),
                        pass: 0,
                        fail: 0,
                        manual: 0,
                        info: 0,
                    });
                    out.len() - 1
                }
            };
            let s = &mut out[idx];
            match r.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Manual => s.manual += 1,
                Status::Info => s.info += 1,
            }
        }
        out
    }

    /// The result of one check (the first, for checks run once per file).
    pub fn result(&self, check: &str) -> Option<&CheckResult> {
        self.results.iter().find(|r| r.check == check)
    }

    /// Failures as findings, honouring the configured rule settings (disabled rules,
    /// severity overrides). The message starts with the CIS id.
    pub fn findings(&self, config: &Config) -> Vec<Finding> {
        let mut emitter = Emitter::new(config);
        let mut objects: Vec<Arc<ObjectRef>> = Vec::new();
        for r in self.results.iter().filter(|r| r.status == Status::Fail) {
            let object = match objects.iter().find(|o| o.name == r.component) {
                Some(o) => Arc::clone(o),
                None => {
                    let o = Arc::new(component_ref(r.component));
                    objects.push(Arc::clone(&o));
                    o
                }
            };
            let prefix = match r.rule.controls.cis.first() {
                Some(id) => format!("CIS {id}"),
                None if r.component == "host" => "Host".to_string(),
                None => format!("{} ({})", r.component, r.check),
            };
            if let Some(f) = emitter.emit_at(
                r.rule,
                &object,
                r.location.clone(),
                None,
                format!("{prefix}: {}", r.message),
            ) {
                f.evidence = r.evidence.as_deref().map(Box::from);
            }
        }
        let mut findings = emitter.into_findings();
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings
    }
}

/// The object a node finding is about: the component on this node.
pub fn component_ref(component: &str) -> ObjectRef {
    ObjectRef {
        api_version: "palisade.dev/v1".into(),
        kind: "NodeComponent".into(),
        namespace: None,
        name: component.into(),
    }
}

/// A place: a node path and a line.
pub fn at(path: &str, line: u32) -> Location {
    Location {
        path: Arc::from(path),
        line: line.max(1),
        col: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_follow_the_benchmark_numbering() {
        assert_eq!(section_of("1.1.21"), "1.1");
        assert_eq!(section_of("1.2.3"), "1.2");
        assert_eq!(section_of("2.7"), "2");
        assert_eq!(section_of("4.2.10"), "4.2");
        assert_eq!(section_of("host.1"), "host");
        assert_eq!(section_of("kubelet.protectKernelDefaults"), "4.2");
    }
}
