//! Hand-built reports: every kind of entry a renderer must handle, with awkward text (a
//! path with a space and non-ASCII letters, markup, an escape character, a newline).

use std::sync::Arc;

use palisade_core::exceptions::{Suppressed, Suppression, EXPIRED_EXCEPTION};
use palisade_core::{
    Controls, Family, Finding, LoadError, LoadNote, Location, ObjectRef, PssLevel, Report, Rule,
    Severity, Stats,
};
use palisade_report::{render, Format, Options};

pub static HOST_NAMESPACES: Rule = Rule {
    id: "PAL-POD-001",
    title: "Pod shares a host namespace",
    severity: Severity::High,
    family: Family::PodSecurity,
    description: "hostNetwork, hostPID or hostIPC puts the pod in the node's namespaces.",
    remediation: "Remove hostNetwork, hostPID and hostIPC.",
    references: &["https://kubernetes.io/docs/concepts/security/pod-security-standards/"],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.2", "5.2.3", "5.2.4"],
        nsa: &["Pod security: host namespaces"],
        mitre: &["T1611"],
    },
};

pub static PRIVILEGED: Rule = Rule {
    id: "PAL-POD-002",
    title: "Privileged container",
    severity: Severity::Critical,
    family: Family::PodSecurity,
    description: "A privileged container has every capability and all host devices.",
    remediation: "Remove `securityContext.privileged: true`.",
    references: &["https://kubernetes.io/docs/concepts/security/pod-security-standards/"],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.1"],
        nsa: &["Pod security: privileged containers"],
        mitre: &["T1611", "T1610"],
    },
};

pub static LATEST_TAG: Rule = Rule {
    id: "PAL-IMG-001",
    title: "Image without a pinned tag",
    severity: Severity::Medium,
    family: Family::Images,
    description: "`:latest` or no tag makes what runs change without a change to the manifest.",
    remediation: "Pin the image to a version tag or, better, a digest.",
    references: &[],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Supply chain: image provenance"],
        mitre: &[],
    },
};

pub static NO_LIMITS: Rule = Rule {
    id: "PAL-HARD-010",
    title: "Container without resource limits",
    severity: Severity::Low,
    family: Family::Hardening,
    description: "Without limits one container can starve its node.",
    remediation: "Set resources.limits.cpu and resources.limits.memory.",
    references: &[],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &[],
    },
};

pub const WEB_PATH: &str = "deploy/web app.yaml";
pub const POD_PATH: &str = "pods/ünï côdé.yaml";

pub fn object(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: namespace.map(Into::into),
        name: name.into(),
    }
}

pub fn location(path: &str, line: u32, col: u32) -> Location {
    Location {
        path: Arc::from(path),
        line,
        col,
    }
}

pub fn web() -> ObjectRef {
    object("apps/v1", "Deployment", Some("prod"), "web")
}

pub fn pod() -> ObjectRef {
    object("v1", "Pod", None, "ünïcödé")
}

pub fn finding(
    rule: &Rule,
    severity: Severity,
    object: ObjectRef,
    at: Location,
    field: Option<&str>,
    message: &str,
    evidence: Option<&str>,
) -> Finding {
    Finding {
        rule_id: palisade_core::RuleId::Borrowed(rule.id),
        severity,
        object: object.into(),
        location: at,
        field: field.map(Into::into),
        message: message.into(),
        evidence: evidence.map(Into::into),
    }
}

/// A small report with one of everything.
pub fn report() -> Report {
    let findings = vec![
        finding(
            &HOST_NAMESPACES,
            Severity::High,
            web(),
            location(WEB_PATH, 10, 7),
            Some("spec.template.spec.hostNetwork"),
            "hostNetwork is true",
            Some("true"),
        ),
        finding(
            &PRIVILEGED,
            Severity::Critical,
            web(),
            location(WEB_PATH, 14, 11),
            Some("spec.template.spec.containers[0].securityContext.privileged"),
            "container \"app\" runs privileged",
            Some("true"),
        ),
        finding(
            &LATEST_TAG,
            Severity::Medium,
            pod(),
            location(POD_PATH, 7, 12),
            Some("spec.containers[0].image"),
            // Markup, an ANSI escape and a newline, as a hostile manifest could carry.
            "image <nginx> & \"friends\" \u{1b}[2Juses :latest\nsecond line",
            Some("nginx:latest"),
        ),
        finding(
            &NO_LIMITS,
            Severity::Low,
            pod(),
            location(POD_PATH, 5, 3),
            None,
            "container \"app\" has no limits",
            None,
        ),
        finding(
            &EXPIRED_EXCEPTION,
            Severity::Medium,
            object("palisade.dev/v1", "Config", None, "palisade.yaml"),
            location("palisade.yaml", 3, 5),
            None,
            "exception for PAL-POD-001 expired on 2024-01-31",
            Some("expires: 2024-01-31"),
        ),
    ];
    let suppressed = vec![
        Suppressed {
            finding: finding(
                &HOST_NAMESPACES,
                Severity::High,
                object("apps/v1", "DaemonSet", Some("kube-system"), "node-agent"),
                location("deploy/agent.yaml", 9, 5),
                Some("spec.template.spec.hostPID"),
                "hostPID is true",
                Some("true"),
            ),
            by: Suppression::Config {
                location: "palisade.yaml:12".into(),
                reason: "node agent needs the host PID namespace".into(),
                expires: Some("2030-06-30".into()),
            },
        },
        Suppressed {
            finding: finding(
                &LATEST_TAG,
                Severity::Medium,
                pod(),
                location(POD_PATH, 9, 12),
                Some("spec.containers[1].image"),
                "image busybox uses :latest",
                Some("busybox"),
            ),
            by: Suppression::Annotation {
                reason: "debug sidecar, removed before release".into(),
            },
        },
    ];
    let bad: Arc<str> = Arc::from("broken dir/bad.yaml");
    Report {
        version: "0.1.0",
        findings,
        suppressed,
        errors: vec![
            LoadError {
                path: Arc::clone(&bad),
                line: Some(3),
                col: Some(7),
                message: "mapping values are not allowed here".into(),
            },
            LoadError {
                path: Arc::from("missing.yaml"),
                line: None,
                col: None,
                message: "cannot read: No such file or directory".into(),
            },
        ],
        notes: vec![LoadNote {
            location: location(WEB_PATH, 22, 3),
            message: "duplicate key `image`: the last value is used".into(),
        }],
        rules: vec![
            &HOST_NAMESPACES,
            &PRIVILEGED,
            &LATEST_TAG,
            &NO_LIMITS,
            &EXPIRED_EXCEPTION,
        ],
        stats: Stats {
            inputs: 5,
            objects: 6,
            dockerfiles: 0,
        },
        frameworks: vec![],
    }
}

/// A scan that found nothing.
pub fn empty() -> Report {
    Report {
        version: "0.1.0",
        findings: vec![],
        suppressed: vec![],
        errors: vec![],
        notes: vec![],
        rules: vec![&HOST_NAMESPACES, &PRIVILEGED],
        stats: Stats {
            inputs: 1,
            objects: 1,
            dockerfiles: 0,
        },
        frameworks: vec![],
    }
}

pub fn rendered(report: &Report, format: Format, color: bool) -> String {
    let mut out = Vec::new();
    let options = Options { color };
    match render(report, format, &options, &mut out) {
        Ok(()) => {}
        Err(e) => panic!("render {format:?} failed: {e}"),
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => panic!("render {format:?} wrote invalid UTF-8: {e}"),
    }
}

/// [`report`] with two framework summaries, built by hand: every control status, a control
/// failing on several objects (one with hostile text in its name), a framework nothing
/// could be judged in.
pub fn with_frameworks() -> Report {
    use palisade_core::{ControlResult, ControlStatus, FrameworkSummary};
    let mut report = report();
    let many: Vec<Arc<ObjectRef>> = ["a", "b", "c", "d\u{1b}[2J"]
        .iter()
        .map(|n| Arc::new(object("v1", "Pod", Some("prod"), n)))
        .collect();
    report.frameworks = vec![
        FrameworkSummary {
            id: "cis",
            title: "CIS Kubernetes Benchmark, section 5: Policies",
            uri: "https://www.cisecurity.org/benchmark/kubernetes",
            score: Some(33.3),
            controls: vec![
                ControlResult {
                    id: "5.2.2",
                    title: "Privileged containers kept out",
                    status: ControlStatus::Fail,
                    rules: vec!["PAL-POD-002"],
                    failing: vec![Arc::new(web())],
                    reason: None,
                },
                ControlResult {
                    id: "5.2.5",
                    title: "Containers sharing the host network kept out",
                    status: ControlStatus::Fail,
                    rules: vec!["PAL-POD-001"],
                    failing: many,
                    reason: None,
                },
                ControlResult {
                    id: "5.2.11",
                    title: "Windows HostProcess containers kept out",
                    status: ControlStatus::Pass,
                    rules: vec!["PAL-POD-002"],
                    failing: vec![],
                    reason: None,
                },
                ControlResult {
                    id: "5.5.1",
                    title: "Image provenance enforced by the ImagePolicyWebhook",
                    status: ControlStatus::NotCovered,
                    rules: vec![],
                    failing: vec![],
                    reason: Some("needs the API server's admission configuration"),
                },
            ],
        },
        FrameworkSummary {
            id: "mitre",
            title: "MITRE ATT&CK for Containers",
            uri: "https://attack.mitre.org/matrices/enterprise/containers/",
            score: None,
            controls: vec![ControlResult {
                id: "T1612",
                title: "Build Image on Host",
                status: ControlStatus::NotCovered,
                rules: vec![],
                failing: vec![],
                reason: Some("happens on a node's container daemon, not in manifests"),
            }],
        },
    ];
    report
}
