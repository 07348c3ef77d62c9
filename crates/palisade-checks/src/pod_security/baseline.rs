//! Baseline controls: they stop known privilege escalations.

use palisade_core::{Controls, Family, PssLevel, Rule, Severity, Workload};

use crate::Emitter;

const PSS_REF: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

pub(crate) static HOST_NAMESPACES: Rule = Rule {
    id: "PAL-POD-001",
    title: "Pod shares a host namespace",
    severity: Severity::High,
    family: Family::PodSecurity,
    description: "hostNetwork, hostPID or hostIPC puts the pod in the node's network, process \
        or IPC namespace: it can see and talk to every process and interface on the node, \
        sniff traffic and reach services bound to localhost.",
    remediation: "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.2", "5.2.3", "5.2.4"],
        nsa: &["Pod security: host namespaces"],
        mitre: &["T1611"],
    },
};

pub(crate) static PRIVILEGED: Rule = Rule {
    id: "PAL-POD-002",
    title: "Privileged container",
    severity: Severity::Critical,
    family: Family::PodSecurity,
    description: "A privileged container has every capability and all host devices; it can \
        mount the host's disks and load kernel modules, which makes escaping to the node \
        trivial.",
    remediation: "Remove `securityContext.privileged: true`; grant the specific capability \
        needed instead.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.1"],
        nsa: &["Pod security: privileged containers"],
        mitre: &["T1611", "T1610"],
    },
};

pub(super) fn check(w: &Workload, em: &mut Emitter) {
    let obj = w.object;
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if let Some(entry) = w.spec.entry(field) {
            if entry.value.as_bool() == Some(true) {
                em.emit(
                    &HOST_NAMESPACES,
                    obj,
                    entry.key.pos,
                    Some(w.field_path(field)),
                    format!("{field} is true"),
                );
            }
        }
    }
    for c in w.containers() {
        if let Some(entry) = c.security_context().entry("privileged") {
            if entry.value.as_bool() == Some(true) {
                em.emit(
                    &PRIVILEGED,
                    obj,
                    entry.key.pos,
                    Some(c.field_path("securityContext.privileged")),
                    format!("container `{}` is privileged", c.name()),
                );
            }
        }
    }
}
