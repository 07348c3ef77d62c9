//! Restricted controls: current pod hardening practice, on top of the baseline.
//!
//! Matches the Kubernetes v1.37 pod-security admission, restricted level, including:
//! - the `image` volume type, allowed since 1.33;
//! - Windows pods (`spec.os.name: windows`) exempt from allowPrivilegeEscalation, seccomp
//!   and capabilities, which do not exist on Windows (policy 1.25+);
//! - user-namespace pods (`hostUsers: false`) exempt from runAsNonRoot and runAsUser, and
//!   the restricted procMount control that still forbids them an unmasked /proc (policy
//!   1.35+, no feature gate).
//!
//! Where the admission's restricted check repeats a baseline one, the field is left to the
//! baseline rule (see the module documentation of `pod_security`): hostPath volumes
//! (PAL-POD-004), capabilities outside the baseline set (PAL-POD-003), explicitly
//! unconfined seccomp profiles (PAL-POD-009) and non-default procMount outside user
//! namespaces (PAL-POD-008).

use palisade_core::yaml::{Entry, Node};
use palisade_core::{cat, Container, Controls, Family, PssLevel, Rule, Severity, Workload};

use super::baseline::baseline_capability;
use super::{
    in_user_namespace, non_default_proc_mount, report, set, shown, with_evidence, PSS_REF,
};
use crate::Emitter;

pub(crate) static VOLUME_TYPES: Rule = Rule {
    id: "PAL-POD-020",
    title: "Volume type outside the restricted allow-list",
    severity: Severity::Low,
    family: Family::PodSecurity,
    description: "Inline volume sources such as nfs, iscsi, rbd, cephfs, flexVolume or gitRepo \
        are mounted by the node on the pod author's say, with node credentials and drivers; \
        gitRepo has even run code on the node. The restricted profile only allows volumes \
        that go through the API's own objects or a PersistentVolume.",
    remediation: "Use configMap, csi, downwardAPI, emptyDir, ephemeral, image, \
        persistentVolumeClaim, projected or secret volumes; reach network storage through a \
        PersistentVolume and a PersistentVolumeClaim.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Restricted),
        cis: &[],
        nsa: &["Pod security: Pod security enforcement"],
        mitre: &["T1611"],
    },
};

pub(crate) static PRIVILEGE_ESCALATION: Rule = Rule {
    id: "PAL-POD-021",
    title: "Privilege escalation not disabled",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "Unless allowPrivilegeEscalation is false, a process in the container can \
        gain privileges through setuid or setgid binaries and file capabilities \
        (no_new_privs is not set).",
    remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container, \
        init and ephemeral containers included.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Restricted),
        cis: &["5.2.6"],
        nsa: &["Pod security: non-root containers"],
        mitre: &["T1068"],
    },
};

pub(crate) static RUN_AS_NON_ROOT: Rule = Rule {
    id: "PAL-POD-022",
    title: "Container may run as root",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "Without runAsNonRoot: true the container runs as whatever user its image \
        names, often root, which is the node's root unless the pod has its own user \
        namespace. Root in a container turns any escape or misconfiguration into full \
        control of the node.",
    remediation: "Set `securityContext.runAsNonRoot: true` at pod level (inherited by every \
        container) or on each container, never false; build images with a non-root USER, \
        or run the pod with `hostUsers: false`.",
    references: &[
        PSS_REF,
        "https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/",
    ],
    controls: Controls {
        pss: Some(PssLevel::Restricted),
        cis: &["5.2.7"],
        nsa: &["Pod security: non-root containers"],
        mitre: &["T1611", "T1068"],
    },
};

pub(crate) static RUN_AS_ROOT_USER: Rule = Rule {
    id: "PAL-POD-023",
    title: "Runs as user 0 (root)",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "runAsUser: 0 explicitly runs the container as root, the node's root unless \
        the pod has its own user namespace.",
    remediation: "Set `runAsUser` to a non-zero UID (or remove it and rely on the image's \
        non-root USER), at pod and container level, or run the pod with `hostUsers: false`.",
    references: &[
        PSS_REF,
        "https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/",
    ],
    controls: Controls {
        pss: Some(PssLevel::Restricted),
        cis: &["5.2.7"],
        nsa: &["Pod security: non-root containers"],
        mitre: &["T1611", "T1068"],
    },
};

pub(crate) static SECCOMP_REQUIRED: Rule = Rule {
    id: "PAL-POD-024",
    title: "Seccomp profile not set",
    severity: Severity::Low,
    family: Family::PodSecurity,
    description: "Unless a seccomp profile is set, the container runs Unconfined on most nodes \
        (the kubelet's seccomp-by-default is opt-in), with every system call of the shared \
        kernel available to exploits.",
    remediation: "Set `spec.securityContext.seccompProfile.type: RuntimeDefault` (or \
        Localhost) once at pod level, or on every container.",
    references: &[
        PSS_REF,
        "https://kubernetes.io/docs/tutorials/security/seccomp/",
    ],
    controls: Controls {
        pss: Some(PssLevel::Restricted),
        cis: &["5.7.2"],
        nsa: &["Pod security: hardening container environments"],
        mitre: &["T1611", "T1068"],
    },
};

pub(crate) static CAPABILITIES_DROP_ALL: Rule = Rule {
    id: "PAL-POD-025",
    title: "Capabilities not dropped",
    severity: Severity::Low,
    family: Family::PodSecurity,
    description: "Containers start with the runtime's default capabilities (CHOWN, \
        DAC_OVERRIDE, SETUID, NET_RAW on some runtimes, ...), more than most applications \
        need. The restricted profile requires dropping them all and adding back at most \
        NET_BIND_SERVICE.",
    remediation: "Set `securityContext.capabilities.drop: [\"ALL\"]` (upper case) on every \
        container and add back only NET_BIND_SERVICE if the process binds a port below 1024.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Restricted),
        cis: &["5.2.8", "5.2.9", "5.2.10"],
        nsa: &["Pod security: Pod security enforcement"],
        mitre: &["T1611", "T1068"],
    },
};

pub(crate) static PROC_MOUNT_USER_NAMESPACE: Rule = Rule {
    id: "PAL-POD-026",
    title: "Unmasked /proc mount in a user-namespace pod",
    severity: Severity::Low,
    family: Family::PodSecurity,
    description: "Since Kubernetes 1.35 the baseline lets pods with their own user namespace \
        (`hostUsers: false`) unmask /proc, for nested containers; the restricted profile \
        still requires the default masked /proc, which keeps kernel interfaces away even \
        from a namespaced root.",
    remediation: "Remove `securityContext.procMount` or set it to Default, or run the \
        workload in a namespace that enforces baseline only.",
    references: &[
        PSS_REF,
        "https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/",
    ],
    controls: Controls {
        pss: Some(PssLevel::Restricted),
        cis: &["5.7.3"],
        nsa: &["Pod security: hardening container environments"],
        mitre: &["T1611"],
    },
};

/// Inline volume sources the restricted profile allows.
const ALLOWED_VOLUME_TYPES: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    // Allowed since 1.33 (an image volume is no riskier than running the image).
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

pub(super) fn check(w: &Workload, em: &mut Emitter) {
    volume_types(w, em);
    run_as_non_root(w, em);
    run_as_root_user(w, em);
    proc_mount_in_user_namespace(w, em);
    // The Linux-only controls: Windows pods cannot even set these fields.
    if w.is_windows() {
        return;
    }
    privilege_escalation(w, em);
    seccomp_required(w, em);
    capabilities_drop_all(w, em);
}

fn volume_types(w: &Workload, em: &mut Emitter) {
    for (i, volume) in w.volumes().iter().enumerate() {
        // Every key but `name` is a volume source. A volume without any is defaulted to an
        // emptyDir by the API, so it passes.
        let sources: Vec<&Entry> = volume
            .entries()
            .iter()
            .filter(|e| e.key_str() != Some("name") && !e.value.is_null())
            .collect();
        let allowed = |e: &&Entry| {
            e.key_str()
                .is_some_and(|k| ALLOWED_VOLUME_TYPES.contains(&k))
        };
        if sources.iter().any(allowed) {
            continue;
        }
        let name = volume.get("name").and_then(Node::as_str).unwrap_or("");
        for source in sources {
            let kind = source.key_str().unwrap_or("");
            if kind == "hostPath" {
                continue; // PAL-POD-004
            }
            let field = w.field_path_of(&[&"volumes[", &i, &"].", &kind]);
            let message = cat!("volume `", name, "` uses restricted volume type ", kind);
            let found = report(em, &VOLUME_TYPES, w, source.key.pos, field, message);
            with_evidence(found, kind);
        }
    }
}

fn privilege_escalation(w: &Workload, em: &mut Emitter) {
    const FIELD: &str = "securityContext.allowPrivilegeEscalation";
    for c in w.containers() {
        let entry = c.security_context().entry("allowPrivilegeEscalation");
        let message = match entry.map(|e| e.value.as_bool()) {
            Some(Some(false)) => continue,
            Some(Some(true)) => cat!(c.describe(), " sets allowPrivilegeEscalation: true"),
            _ => cat!(
                c.describe(),
                " does not set allowPrivilegeEscalation: false"
            ),
        };
        let pos = entry.map_or(c.node.pos, |e| e.key.pos);
        let field = c.field_path(FIELD);
        report(em, &PRIVILEGE_ESCALATION, w, pos, field, message);
    }
}

fn run_as_non_root(w: &Workload, em: &mut Emitter) {
    const FIELD: &str = "securityContext.runAsNonRoot";
    if in_user_namespace(w) {
        return;
    }
    let pod_entry = set(w.pod_security_context(), "runAsNonRoot");
    let pod_value = pod_entry.and_then(|e| e.value.as_bool());
    if let (Some(entry), Some(false)) = (pod_entry, pod_value) {
        let message = "pod securityContext sets runAsNonRoot: false".to_string();
        let field = w.field_path(FIELD);
        report(em, &RUN_AS_NON_ROOT, w, entry.key.pos, field, message);
    }
    for c in w.containers() {
        let own = set(c.security_context(), "runAsNonRoot").map(|e| (e, e.value.as_bool()));
        match own {
            Some((_, Some(true))) => {}
            Some((entry, Some(false))) => {
                let message = cat!(c.describe(), " sets runAsNonRoot: false");
                let field = c.field_path(FIELD);
                report(em, &RUN_AS_NON_ROOT, w, entry.key.pos, field, message);
            }
            // Unset (or not a boolean): the pod-level value decides. An explicit pod-level
            // false is reported once, above, not again for every container inheriting it.
            _ if pod_value.is_some() => {}
            _ => {
                let message = cat!(
                    c.describe(),
                    " may run as root: neither it nor the pod sets runAsNonRoot: true"
                );
                let field = c.field_path(FIELD);
                report(em, &RUN_AS_NON_ROOT, w, c.node.pos, field, message);
            }
        }
    }
}

/// `runAsUser: 0` in a security context.
fn root_user(security_context: &Node) -> Option<&Entry> {
    security_context
        .entry("runAsUser")
        .filter(|e| e.value.as_i64() == Some(0))
}

fn run_as_root_user(w: &Workload, em: &mut Emitter) {
    const FIELD: &str = "securityContext.runAsUser";
    if in_user_namespace(w) {
        return;
    }
    // A pod-level 0 is reported even when every container overrides it, as the admission
    // does: the next container added would inherit it.
    if let Some(entry) = root_user(w.pod_security_context()) {
        let message = "pod securityContext sets runAsUser: 0".to_string();
        let field = w.field_path(FIELD);
        report(em, &RUN_AS_ROOT_USER, w, entry.key.pos, field, message);
    }
    for c in w.containers() {
        if let Some(entry) = root_user(c.security_context()) {
            let message = cat!(c.describe(), " sets runAsUser: 0");
            let field = c.field_path(FIELD);
            report(em, &RUN_AS_ROOT_USER, w, entry.key.pos, field, message);
        }
    }
}

fn seccomp_required(w: &Workload, em: &mut Emitter) {
    // Any pod-level profile settles the containers without their own: a confining one
    // covers them, an unconfining one is already PAL-POD-009's finding.
    if set(w.pod_security_context(), "seccompProfile").is_some() {
        return;
    }
    for c in w.containers() {
        // A container's own profile is either confining or PAL-POD-009's finding.
        if set(c.security_context(), "seccompProfile").is_some() {
            continue;
        }
        let message = cat!(
            c.describe(),
            " has no seccomp profile: set seccompProfile.type RuntimeDefault on the pod or the \
             container"
        );
        let field = c.field_path("securityContext.seccompProfile.type");
        report(em, &SECCOMP_REQUIRED, w, c.node.pos, field, message);
    }
}

fn capabilities_drop_all(w: &Workload, em: &mut Emitter) {
    for c in w.containers() {
        let capabilities = c.security_context().get("capabilities");
        missing_drop_all(w, em, &c, capabilities);
        let added = capabilities
            .and_then(|caps| caps.get("add"))
            .map(Node::items);
        for (i, item) in added.unwrap_or_default().iter().enumerate() {
            let capability = item.as_str().unwrap_or("");
            // Capabilities outside the baseline set are PAL-POD-003's findings.
            if capability == "NET_BIND_SERVICE" || !baseline_capability(capability) {
                continue;
            }
            let field = c.field_path_of(&[&"securityContext.capabilities.add[", &i, &"]"]);
            let message = cat!(
                c.describe(),
                " adds capability ",
                capability,
                "; only NET_BIND_SERVICE may be added"
            );
            let found = report(em, &CAPABILITIES_DROP_ALL, w, item.pos, field, message);
            with_evidence(found, capability);
        }
    }
}

/// Reports a container whose `capabilities.drop` lacks `ALL`, at the drop list when there
/// is one, else at the container.
fn missing_drop_all(w: &Workload, em: &mut Emitter, c: &Container, capabilities: Option<&Node>) {
    let drop = capabilities.and_then(|caps| caps.entry("drop"));
    let dropped = drop.map(|e| e.value.items()).unwrap_or_default();
    if dropped.iter().any(|d| d.as_str() == Some("ALL")) {
        return;
    }
    let lower_case = dropped.iter().any(|d| d.as_str() == Some("all"));
    let message = if lower_case {
        cat!(
            c.describe(),
            " drops `all`: the policy only accepts upper-case ALL"
        )
    } else {
        cat!(c.describe(), " does not drop ALL capabilities")
    };
    let pos = drop.map_or(c.node.pos, |e| e.key.pos);
    let field = c.field_path("securityContext.capabilities.drop");
    report(em, &CAPABILITIES_DROP_ALL, w, pos, field, message);
}

fn proc_mount_in_user_namespace(w: &Workload, em: &mut Emitter) {
    // Outside a user namespace a non-default procMount is the baseline's finding.
    if !in_user_namespace(w) {
        return;
    }
    for c in w.containers() {
        if let Some((entry, value)) = non_default_proc_mount(&c) {
            let field = c.field_path("securityContext.procMount");
            let message = cat!(
                c.describe(),
                " sets procMount to ",
                shown(value),
                "; restricted forbids it even with hostUsers: false"
            );
            let rule = &PROC_MOUNT_USER_NAMESPACE;
            let found = report(em, rule, w, entry.key.pos, field, message);
            with_evidence(found, value);
        }
    }
}
