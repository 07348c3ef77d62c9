//! Host hardening beyond the benchmark: sshd basics, whether sshd is enabled, a Linux
//! security module, and kernel parameters that matter to containers. Check ids `host.N`.

pub mod sshd;
pub mod sysctl;

use palisade_core::Rule;

use crate::cis::rules::*;
use crate::result::{at, CheckResult, NodeAudit, Status};
use crate::root::{NodeRoot, ReadOutcome};

fn push(
    audit: &mut NodeAudit,
    check: &'static str,
    rule: &'static Rule,
    status: Status,
    message: String,
    evidence: Option<String>,
    location: palisade_core::Location,
) {
    audit.results.push(CheckResult {
        check,
        rule,
        status,
        component: "host",
        message,
        evidence,
        location,
    });
}

/// Runs the host checks. Run after the CIS checks: host.8 reads the kubelet's
/// protectKernelDefaults result.
pub fn run(root: &NodeRoot, audit: &mut NodeAudit) {
    ssh(root, audit);
    lsm(root, audit);
    sysctls(root, audit);
}

fn ssh(root: &NodeRoot, audit: &mut NodeAudit) {
    let anchor = at(sshd::SSHD_CONFIG, 1);
    match sshd::read(root, &["permitrootlogin", "passwordauthentication"]) {
        None => {
            for (id, rule) in [("host.1", &H_ROOT_LOGIN), ("host.2", &H_PASSWORD_AUTH)] {
                push(
                    audit,
                    id,
                    rule,
                    Status::Info,
                    format!("no {} on the node", sshd::SSHD_CONFIG),
                    None,
                    anchor.clone(),
                );
            }
        }
        Some(found) => {
            audit.inputs += 1;
            let get = |k: &str| found.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            // OpenSSH's defaults since 7.0: PermitRootLogin prohibit-password,
            // PasswordAuthentication yes.
            let (status, message, ev, loc) = match get("permitrootlogin") {
                Some(v) => (
                    if v.value == "yes" {
                        Status::Fail
                    } else {
                        Status::Pass
                    },
                    format!("PermitRootLogin {}", v.value),
                    Some(format!("PermitRootLogin {}", v.value)),
                    at(&v.path, v.line),
                ),
                None => (
                    Status::Pass,
                    "PermitRootLogin is not set (default prohibit-password)".into(),
                    None,
                    anchor.clone(),
                ),
            };
            push(audit, "host.1", &H_ROOT_LOGIN, status, message, ev, loc);
            let (status, message, ev, loc) = match get("passwordauthentication") {
                Some(v) => (
                    if v.value == "no" {
                        Status::Pass
                    } else {
                        Status::Fail
                    },
                    format!("PasswordAuthentication {}", v.value),
                    Some(format!("PasswordAuthentication {}", v.value)),
                    at(&v.path, v.line),
                ),
                None => (
                    Status::Fail,
                    "PasswordAuthentication is not set (default yes)".into(),
                    None,
                    anchor.clone(),
                ),
            };
            push(audit, "host.2", &H_PASSWORD_AUTH, status, message, ev, loc);
        }
    }
    let links = [
        "/etc/systemd/system/multi-user.target.wants/ssh.service",
        "/etc/systemd/system/multi-user.target.wants/sshd.service",
        "/etc/systemd/system/sockets.target.wants/ssh.socket",
    ];
    match links.iter().find(|l| root.exists_link(l)) {
        Some(l) => push(
            audit,
            "host.3",
            &H_SSHD_ENABLED,
            Status::Fail,
            format!("sshd is enabled ({l})"),
            Some((*l).to_string()),
            at(l, 1),
        ),
        None => push(
            audit,
            "host.3",
            &H_SSHD_ENABLED,
            Status::Pass,
            "sshd is not enabled in systemd".into(),
            None,
            at(links[0], 1),
        ),
    }
}

/// AppArmor from the kernel module parameter (only on a live root: an image has no /sys),
/// SELinux from /etc/selinux/config.
fn lsm(root: &NodeRoot, audit: &mut NodeAudit) {
    const APPARMOR: &str = "/sys/module/apparmor/parameters/enabled";
    const SELINUX: &str = "/etc/selinux/config";
    let apparmor = match root.read(APPARMOR) {
        ReadOutcome::Text(t) => Some(t.trim().eq_ignore_ascii_case("y")),
        _ => None,
    };
    let selinux = match root.read(SELINUX) {
        ReadOutcome::Text(t) => t.lines().enumerate().find_map(|(i, l)| {
            let v = l.trim().strip_prefix("SELINUX=")?;
            Some((v.trim().to_ascii_lowercase(), i as u32 + 1))
        }),
        _ => None,
    };
    let (status, message, ev, loc) = match (apparmor, &selinux) {
        (Some(true), _) => (
            Status::Pass,
            "AppArmor is enabled".to_string(),
            Some(format!("{APPARMOR}: Y")),
            at(APPARMOR, 1),
        ),
        (_, Some((mode, line))) if mode == "enforcing" => (
            Status::Pass,
            "SELinux is enforcing".into(),
            Some(format!("SELINUX={mode}")),
            at(SELINUX, *line),
        ),
        (_, Some((mode, line))) => (
            Status::Fail,
            format!("SELinux is {mode}, not enforcing"),
            Some(format!("SELINUX={mode}")),
            at(SELINUX, *line),
        ),
        (Some(false), None) => (
            Status::Fail,
            "AppArmor is disabled and SELinux is not configured".into(),
            Some(format!("{APPARMOR}: N")),
            at(APPARMOR, 1),
        ),
        (None, None) => (
            Status::Manual,
            format!("cannot tell: no {APPARMOR} (a mounted image has no /sys) and no {SELINUX}"),
            None,
            at(APPARMOR, 1),
        ),
    };
    push(audit, "host.4", &H_LSM, status, message, ev, loc);
}

/// The tunables the kubelet's `setupKernelTunables` requires when protectKernelDefaults is
/// on (component-helpers `sysctl` constants).
const KUBELET_TUNABLES: &[(&str, &str)] = &[
    ("vm.overcommit_memory", "1"),
    ("vm.panic_on_oom", "0"),
    ("kernel.panic", "10"),
    ("kernel.panic_on_oops", "1"),
    ("kernel.keys.root_maxkeys", "1000000"),
    ("kernel.keys.root_maxbytes", "25000000"),
];

fn sysctls(root: &NodeRoot, audit: &mut NodeAudit) {
    let params = sysctl::read(root);
    let anchor = at("/etc/sysctl.conf", 1);
    let simple: [(&'static str, &'static Rule, &str, &[&str]); 3] = [
        (
            "host.5",
            &H_SYSCTL_USERNS,
            "kernel.unprivileged_userns_clone",
            &["0"],
        ),
        (
            "host.6",
            &H_SYSCTL_KPTR,
            "kernel.kptr_restrict",
            &["1", "2"],
        ),
        ("host.7", &H_SYSCTL_DMESG, "kernel.dmesg_restrict", &["1"]),
    ];
    for (id, rule, key, good) in simple {
        match sysctl::effective(root, &params, key) {
            Some(p) => push(
                audit,
                id,
                rule,
                if good.contains(&p.value.as_str()) { Status::Pass } else { Status::Fail },
                format!("{key} = {}", p.value),
                Some(format!("{key}={}", p.value)),
                at(&p.path, p.line),
            ),
            None => push(
                audit,
                id,
                rule,
                Status::Manual,
                format!("{key} is set neither in the sysctl files nor in /proc/sys under the root: the kernel's build default applies; check it on the running node"),
                None,
                anchor.clone(),
            ),
        }
    }
    let protected = audit
        .result("kubelet.protectKernelDefaults")
        .is_some_and(|r| r.status == crate::result::Status::Pass);
    let wrong: Vec<String> = KUBELET_TUNABLES
        .iter()
        .filter(|(k, v)| sysctl::effective(root, &params, k).is_none_or(|p| p.value != *v))
        .map(|(k, v)| match sysctl::effective(root, &params, k) {
            Some(p) => format!("{k}={} (needs {v})", p.value),
            None => format!("{k} unset (needs {v})"),
        })
        .collect();
    let (status, message) = match (protected, wrong.is_empty()) {
        (_, true) => (Status::Pass, "the sysctl files set every tunable the kubelet needs".to_string()),
        (true, false) => (
            Status::Fail,
            format!("protectKernelDefaults is on, and the kubelet will refuse to start unless: {}", wrong.join(", ")),
        ),
        (false, false) => (
            Status::Info,
            format!("not set in the sysctl files (the kubelet sets them itself without protectKernelDefaults): {}", wrong.join(", ")),
        ),
    };
    push(
        audit,
        "host.8",
        &H_SYSCTL_KUBELET,
        status,
        message,
        None,
        anchor.clone(),
    );
    match sysctl::effective(root, &params, "net.ipv4.ip_forward") {
        Some(p) if p.value == "1" => push(
            audit,
            "host.9",
            &H_IP_FORWARD,
            Status::Info,
            "IP forwarding is on (pod networking needs it)".into(),
            Some("net.ipv4.ip_forward=1".into()),
            at(&p.path, p.line),
        ),
        Some(p) => push(
            audit,
            "host.9",
            &H_IP_FORWARD,
            Status::Info,
            format!("net.ipv4.ip_forward = {}", p.value),
            None,
            at(&p.path, p.line),
        ),
        None => push(
            audit,
            "host.9",
            &H_IP_FORWARD,
            Status::Info,
            "net.ipv4.ip_forward is not set in the sysctl files".into(),
            None,
            anchor,
        ),
    }
}
