//! Baseline controls that keep the kernel's confinement in place: AppArmor, SELinux, the
//! masked /proc mount, seccomp and sysctls.
//!
//! Matches the Kubernetes v1.37 pod-security admission, baseline level, including:
//! - AppArmor: both the `appArmorProfile` fields (GA since 1.31) and the deprecated
//!   `container.apparmor.security.beta.kubernetes.io/*` annotations, which the admission
//!   still checks;
//! - SELinux: `container_engine_t` allowed since policy 1.31;
//! - procMount: relaxed for user-namespace pods since policy 1.35 (see
//!   [`super::in_user_namespace`]);
//! - seccomp: only the `seccompProfile` fields; the alpha annotations are policy < 1.19;
//! - sysctls: the safe set of policy 1.37 (additions in 1.27, 1.29, 1.32 and 1.37).
//!
//! None of these controls exempts Windows pods.

use palisade_core::yaml::{Node, Pos};
use palisade_core::{cat, Controls, Family, PssLevel, Rule, Severity, Workload};

use super::{
    in_user_namespace, non_default_proc_mount, pod_metadata_path, profile_type_text, report, set,
    shown, unconfined_profile, with_evidence, PSS_REF,
};
use crate::Emitter;

pub(crate) static APPARMOR: Rule = Rule {
    id: "PAL-POD-006",
    title: "AppArmor profile disabled or overridden",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "On nodes with AppArmor the runtime confines every container with its \
        default profile. Setting the profile to Unconfined (or any other value than the \
        runtime default or a profile loaded on the node) removes that layer, which stops \
        many container escapes.",
    remediation: "Set `securityContext.appArmorProfile.type` to RuntimeDefault or Localhost \
        (or leave it unset), and remove `container.apparmor.security.beta.kubernetes.io/*` \
        annotations whose value is not `runtime/default` or `localhost/<profile>`.",
    references: &[
        PSS_REF,
        "https://kubernetes.io/docs/tutorials/security/apparmor/",
    ],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.7.3"],
        nsa: &["Pod security: hardening container environments"],
        mitre: &["T1611"],
    },
};

pub(crate) static SELINUX: Rule = Rule {
    id: "PAL-POD-007",
    title: "Custom SELinux options",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "SELinux labels decide what a container process may touch on the node. A \
        custom type such as spc_t, or any user or role, can lift the container out of the \
        container domain and give it the access of a host process.",
    remediation: "Leave `seLinuxOptions.user` and `.role` unset and set `.type` only to \
        container_t, container_init_t, container_kvm_t or container_engine_t (or leave it \
        unset); `level` may be set.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.7.3"],
        nsa: &["Pod security: hardening container environments"],
        mitre: &["T1611"],
    },
};

pub(crate) static PROC_MOUNT: Rule = Rule {
    id: "PAL-POD-008",
    title: "Unmasked /proc mount",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "The runtime masks and makes read-only sensitive parts of /proc (kernel \
        keys, sysrq-trigger, timer lists, ...). An Unmasked procMount exposes them to the \
        container. Since Kubernetes 1.35 the baseline allows it for pods in their own user \
        namespace (`hostUsers: false`), whose root is not the node's root.",
    remediation: "Remove `securityContext.procMount` or set it to Default; a pod that needs \
        an unmasked /proc (nested containers) should run with `hostUsers: false`.",
    references: &[
        PSS_REF,
        "https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/",
    ],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.7.3"],
        nsa: &["Pod security: hardening container environments"],
        mitre: &["T1611"],
    },
};

pub(crate) static SECCOMP: Rule = Rule {
    id: "PAL-POD-009",
    title: "Seccomp disabled",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "Seccomp filters the system calls a container may make; the runtime default \
        profile blocks the rarely needed ones behind many kernel exploits. An Unconfined \
        profile lets the container use every system call of the shared kernel.",
    remediation: "Set `securityContext.seccompProfile.type` to RuntimeDefault (or Localhost \
        with a profile loaded on the node), at pod level or on each container.",
    references: &[
        PSS_REF,
        "https://kubernetes.io/docs/tutorials/security/seccomp/",
    ],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.7.2"],
        nsa: &["Pod security: hardening container environments"],
        mitre: &["T1611", "T1068"],
    },
};

pub(crate) static SYSCTLS: Rule = Rule {
    id: "PAL-POD-010",
    title: "Unsafe sysctl",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "Sysctls tune the kernel. Only a small set is namespaced per pod and isolated \
        from other pods; any other sysctl changes the node for every workload or can turn \
        off security mechanisms.",
    remediation: "Remove the sysctl from `spec.securityContext.sysctls`, or tune it on the \
        node. The safe set is kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, \
        net.ipv4.ip_local_reserved_ports, net.ipv4.ip_unprivileged_port_start, \
        net.ipv4.ping_group_range, net.ipv4.tcp_syncookies, net.ipv4.tcp_keepalive_time, \
        net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, \
        net.ipv4.tcp_fin_timeout, net.ipv4.tcp_rmem, net.ipv4.tcp_wmem, \
        net.ipv4.tcp_slow_start_after_idle and net.ipv4.tcp_notsent_lowat.",
    references: &[
        PSS_REF,
        "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/",
    ],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.7.3"],
        nsa: &["Pod security: Pod security enforcement"],
        mitre: &["T1611"],
    },
};

/// Prefix of the deprecated per-container AppArmor annotations; the key's suffix is the
/// container name.
const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// SELinux types a container may ask for; empty means "the runtime's default".
const SELINUX_TYPES: [&str; 5] = [
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    // Allowed from policy 1.31 (for nested container engines).
    "container_engine_t",
];

/// Sysctls that are namespaced per pod and isolated from other pods. Matched exactly: the
/// slash spelling (`net/ipv4/...`) that the kubelet also accepts is not on the list.
const SAFE_SYSCTLS: [&str; 14] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    // policy 1.27
    "net.ipv4.ip_local_reserved_ports",
    // policy 1.29
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    // policy 1.32
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    // policy 1.37
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

pub(super) fn check(w: &Workload, em: &mut Emitter) {
    apparmor_fields(w, em);
    apparmor_annotations(w, em);
    selinux(w, em);
    proc_mount(w, em);
    seccomp(w, em);
    sysctls(w, em);
}

fn apparmor_fields(w: &Workload, em: &mut Emitter) {
    const FIELD: &str = "securityContext.appArmorProfile.type";
    if let Some((pos, value)) = unconfined_profile(w.pod_security_context(), "appArmorProfile") {
        let message = cat!(
            "pod securityContext sets appArmorProfile with ",
            profile_type_text(value)
        );
        let found = report(em, &APPARMOR, w, pos, w.field_path(FIELD), message);
        with_evidence(found, value);
    }
    for c in w.containers() {
        if let Some((pos, value)) = unconfined_profile(c.security_context(), "appArmorProfile") {
            let message = cat!(
                c.describe(),
                " sets appArmorProfile with ",
                profile_type_text(value)
            );
            let found = report(em, &APPARMOR, w, pos, c.field_path(FIELD), message);
            with_evidence(found, value);
        }
    }
}

/// An annotation value the admission accepts: empty, the runtime default, or a profile
/// loaded on the node.
fn allowed_apparmor_annotation(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

fn apparmor_annotations(w: &Workload, em: &mut Emitter) {
    for entry in w.pod_annotations() {
        let Some(container) = entry
            .key_str()
            .and_then(|k| k.strip_prefix(APPARMOR_ANNOTATION_PREFIX))
        else {
            continue;
        };
        let value = entry.value.as_str().unwrap_or("");
        if allowed_apparmor_annotation(value) {
            continue;
        }
        let key = entry.key_str().unwrap_or("");
        let field = cat!(pod_metadata_path(w), ".annotations['", key, "']");
        let message = cat!(
            "annotation sets AppArmor profile `",
            value,
            "` for container `",
            container,
            "`"
        );
        let found = report(em, &APPARMOR, w, entry.key.pos, field.into(), message);
        with_evidence(found, value);
    }
}

/// One forbidden SELinux option: the option's key line, its name and value.
struct SelinuxProblem<'a> {
    pos: Pos,
    option: &'static str,
    value: &'a str,
}

/// The forbidden options in one `seLinuxOptions`: a type off the list, any user, any role.
fn selinux_problems(options: &Node) -> Vec<SelinuxProblem<'_>> {
    let mut problems = Vec::new();
    for option in ["type", "user", "role"] {
        let Some(entry) = options.entry(option) else {
            continue;
        };
        let value = entry.value.as_str().unwrap_or("");
        let allowed = match option {
            "type" => SELINUX_TYPES.contains(&value),
            _ => value.is_empty(),
        };
        if !allowed {
            problems.push(SelinuxProblem {
                pos: entry.key.pos,
                option,
                value,
            });
        }
    }
    problems
}

fn selinux(w: &Workload, em: &mut Emitter) {
    if let Some(options) = set(w.pod_security_context(), "seLinuxOptions") {
        for p in selinux_problems(&options.value) {
            let field = w.field_path_of(&[&"securityContext.seLinuxOptions.", &p.option]);
            let message = cat!(
                "pod securityContext sets SELinux ",
                p.option,
                " `",
                p.value,
                "`"
            );
            let found = report(em, &SELINUX, w, p.pos, field, message);
            with_evidence(found, p.value);
        }
    }
    for c in w.containers() {
        let Some(options) = set(c.security_context(), "seLinuxOptions") else {
            continue;
        };
        for p in selinux_problems(&options.value) {
            let field = c.field_path_of(&[&"securityContext.seLinuxOptions.", &p.option]);
            let message = cat!(c.describe(), " sets SELinux ", p.option, " `", p.value, "`");
            let found = report(em, &SELINUX, w, p.pos, field, message);
            with_evidence(found, p.value);
        }
    }
}

fn proc_mount(w: &Workload, em: &mut Emitter) {
    // Policy 1.35+: a user-namespace pod may unmask /proc under baseline; restricted still
    // forbids it (PAL-POD-026).
    if in_user_namespace(w) {
        return;
    }
    for c in w.containers() {
        if let Some((entry, value)) = non_default_proc_mount(&c) {
            let field = c.field_path("securityContext.procMount");
            let message = cat!(c.describe(), " sets procMount to ", shown(value));
            let found = report(em, &PROC_MOUNT, w, entry.key.pos, field, message);
            with_evidence(found, value);
        }
    }
}

fn seccomp(w: &Workload, em: &mut Emitter) {
    const FIELD: &str = "securityContext.seccompProfile.type";
    if let Some((pos, value)) = unconfined_profile(w.pod_security_context(), "seccompProfile") {
        let message = cat!(
            "pod securityContext sets seccompProfile with ",
            profile_type_text(value)
        );
        let found = report(em, &SECCOMP, w, pos, w.field_path(FIELD), message);
        with_evidence(found, value);
    }
    for c in w.containers() {
        if let Some((pos, value)) = unconfined_profile(c.security_context(), "seccompProfile") {
            let message = cat!(
                c.describe(),
                " sets seccompProfile with ",
                profile_type_text(value)
            );
            let found = report(em, &SECCOMP, w, pos, c.field_path(FIELD), message);
            with_evidence(found, value);
        }
    }
}

fn sysctls(w: &Workload, em: &mut Emitter) {
    // Sysctls exist only at pod level in the API.
    let list = w.pod_security_context().get("sysctls").map(Node::items);
    for (i, item) in list.unwrap_or_default().iter().enumerate() {
        let (pos, name) = match item.entry("name") {
            Some(entry) => (entry.key.pos, entry.value.as_str().unwrap_or("")),
            None => (item.pos, ""),
        };
        if SAFE_SYSCTLS.contains(&name) {
            continue;
        }
        let field = w.field_path_of(&[&"securityContext.sysctls[", &i, &"].name"]);
        let message = cat!(
            "pod sets sysctl ",
            shown(name),
            ", which is not in the safe set"
        );
        let found = report(em, &SYSCTLS, w, pos, field, message);
        with_evidence(found, name);
    }
}
