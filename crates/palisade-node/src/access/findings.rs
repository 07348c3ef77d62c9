//! The SSH access rules (`PAL-SSH-…`) and their findings on a node. Findings are judged
//! only where sshd runs (installed and not disabled); each points at the line that decided
//! it (the setting, or the key) in the node's files, shown under the analysed root.

use std::sync::Arc;

use palisade_core::{Config, Controls, Emitter, Family, Location, ObjectRef, Rule, Severity};

use super::login::{Factor, Login};
use super::node::{AccountAccess, NodeAccess};
use super::rootfs::RootFs;
use super::sshd_config::SSHD_CONFIG;

const LINUX_BENCHMARK: &str =
    "CIS Distribution Independent Linux Benchmark, section 5.2 (SSH Server Configuration)";

/// PAL-SSH-001.
pub static SSH_NOT_NEEDED: Rule = Rule {
    id: "PAL-SSH-001",
    title: "SSH server runs on a Kubernetes node",
    severity: Severity::Medium,
    family: Family::Node,
    description: "Kubernetes nodes are managed through the API server and their provisioning \
                  tooling; an SSH daemon on them is a standing way around RBAC, admission and \
                  audit logging, and a target for credential attacks.",
    remediation: "Disable and mask the ssh service on Kubernetes nodes (`systemctl disable --now \
                  ssh; systemctl mask ssh`) and use break-glass access through the provider \
                  console or a privileged debug pod. If the fleet needs SSH, say so with \
                  --ssh-expected.",
    references: &[
        LINUX_BENCHMARK,
        "NSA/CISA Kubernetes Hardening Guide: worker node protection",
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &["T1133"],
    },
};

/// PAL-SSH-002.
pub static ROOT_LOGIN: Rule = Rule {
    id: "PAL-SSH-002",
    title: "Root can log in over SSH",
    severity: Severity::High,
    family: Family::Node,
    description: "A root login leaves no trace of which person used it and gives the whole node \
                  (and its kubelet credentials) at once. With `PermitRootLogin yes` a guessed or \
                  leaked password is enough.",
    remediation: "Set `PermitRootLogin no` in /etc/ssh/sshd_config (before any Include that could \
                  set it first) and log in as a named user who escalates with sudo.",
    references: &[LINUX_BENCHMARK, "sshd_config(5): PermitRootLogin"],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &["T1078"],
    },
};

/// PAL-SSH-003.
pub static PASSWORD_NO_MFA: Rule = Rule {
    id: "PAL-SSH-003",
    title: "Password login without a second factor",
    severity: Severity::High,
    family: Family::Node,
    description: "An account can log in with its password alone (the password method, or PAM's \
                  keyboard-interactive without an enforced one-time code or security key): \
                  passwords are guessed, sprayed and phished.",
    remediation: "Set `PasswordAuthentication no` and `KbdInteractiveAuthentication no`, or \
                  require a second factor: `AuthenticationMethods publickey,keyboard-interactive` \
                  with a `required` pam_google_authenticator/pam_u2f/pam_oath line in \
                  /etc/pam.d/sshd.",
    references: &[LINUX_BENCHMARK, "sshd_config(5): AuthenticationMethods"],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &["T1110", "T1078"],
    },
};

/// PAL-SSH-004.
pub static EMPTY_PASSWORDS: Rule = Rule {
    id: "PAL-SSH-004",
    title: "Empty passwords are permitted",
    severity: Severity::High,
    family: Family::Node,
    description: "`PermitEmptyPasswords yes` lets an account whose password field is empty log \
                  in with no secret at all; critical when such an account exists.",
    remediation: "Set `PermitEmptyPasswords no` and lock or set a password on accounts with an \
                  empty one (`passwd -l NAME`).",
    references: &[LINUX_BENCHMARK, "sshd_config(5): PermitEmptyPasswords"],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &["T1078"],
    },
};

/// PAL-SSH-005.
pub static UNRESTRICTED_KEY: Rule = Rule {
    id: "PAL-SSH-005",
    title: "Authorized key without from= or command= restriction",
    severity: Severity::Low,
    family: Family::Node,
    description: "A key usable from anywhere for anything: whoever holds a copy of the private \
                  key (a laptop backup, a CI secret) has a shell on the node from any network.",
    remediation: "Prefix the key with `from=\"ADMIN-CIDR\"` and, for automation keys, \
                  `command=\"...\",restrict`.",
    references: &["sshd(8): AUTHORIZED_KEYS FILE FORMAT"],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &["T1078"],
    },
};

/// PAL-SSH-006.
pub static WEAK_KEY: Rule = Rule {
    id: "PAL-SSH-006",
    title: "Weak authorized key (DSA, or RSA under 2048 bits)",
    severity: Severity::High,
    family: Family::Node,
    description: "DSA keys are 1024-bit and broken; RSA keys under 2048 bits are within reach of \
                  factoring. Either lets the key be forged.",
    remediation: "Replace the key with an Ed25519 key (`ssh-keygen -t ed25519`) and remove the \
                  old line.",
    references: &[
        "NIST SP 800-131A Rev. 2",
        "OpenSSH 7.0 release notes (ssh-dss disabled)",
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &["T1078"],
    },
};

/// PAL-SSH-007.
pub static WRITABLE_KEYS: Rule = Rule {
    id: "PAL-SSH-007",
    title: "authorized_keys writable by others",
    severity: Severity::High,
    family: Family::Node,
    description: "When the file or a directory above it is group- or world-writable, another \
                  user can add a key and log in as the account (sshd's StrictModes refuses such \
                  files, which then also locks the owner out).",
    remediation: "`chmod go-w` the home directory, `~/.ssh` (700) and `authorized_keys` (600), \
                  owned by the account.",
    references: &["sshd(8): FILES", "sshd_config(5): StrictModes"],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &["T1098.004"],
    },
};

/// Every rule of node access.
pub static RULES: &[&Rule] = &[
    &SSH_NOT_NEEDED,
    &ROOT_LOGIN,
    &PASSWORD_NO_MFA,
    &EMPTY_PASSWORDS,
    &UNRESTRICTED_KEY,
    &WEAK_KEY,
    &WRITABLE_KEYS,
];

/// The findings of one node.
pub fn check(node: &NodeAccess, config: &Config) -> Vec<palisade_core::Finding> {
    let mut em = Emitter::new(config);
    if !node.sshd.runs() {
        return em.into_findings();
    }
    let fs = RootFs::new(std::path::Path::new(&node.root), 0);
    let object = Arc::new(ObjectRef {
        api_version: "v1".to_string(),
        kind: "Node".to_string(),
        namespace: None,
        name: node.node.clone(),
    });
    let at = |file: &str, line: u32| Location {
        path: Arc::from(fs.display(file)),
        line,
        col: 1,
    };
    let setting_at = |keyword: &str| {
        let v = node.global.get(keyword);
        match v.source {
            Some(s) => at(&s.file, s.line),
            None => at(SSHD_CONFIG, 1),
        }
    };

    if !node.role.needs_ssh {
        let evidence = node.sshd.evidence.join(", ");
        em.emit_at(
            &SSH_NOT_NEEDED,
            &object,
            at(SSHD_CONFIG, 1),
            None,
            format!(
                "sshd runs on {} node {} ({}; role from {})",
                node.role.name,
                node.node,
                if evidence.is_empty() {
                    "enabled state unknown".to_string()
                } else {
                    evidence
                },
                node.role.evidence.as_deref().unwrap_or("-")
            ),
        );
    }

    empty_password_finding(&mut em, node, &object, &at, &setting_at);

    for access in &node.accounts {
        account_findings(&mut em, &object, access, &at);
    }
    em.into_findings()
}

/// PAL-SSH-004: critical when an account with an empty password gets in with it (under
/// any variant: `PermitEmptyPasswords` may come from a `Match` block), high when the global
/// setting permits empty passwords though no account has one now.
fn empty_password_finding(
    em: &mut Emitter<'_>,
    node: &NodeAccess,
    object: &Arc<ObjectRef>,
    at: &dyn Fn(&str, u32) -> Location,
    setting_at: &dyn Fn(&str) -> Location,
) {
    let mut users = Vec::new();
    let mut place = None;
    for a in node
        .accounts
        .iter()
        .filter(|a| super::node::empty_password(&a.account))
    {
        let logins = std::iter::once(&a.login).chain(a.conditional.iter().map(|c| &c.login));
        for login in logins {
            let by_password = login
                .paths
                .iter()
                .any(|p| p.factors.contains(&Factor::Password));
            let permitted = login
                .settings
                .iter()
                .find(|s| s.keyword == "PermitEmptyPasswords")
                .filter(|s| s.value.eq_ignore_ascii_case("yes"));
            if let (true, Some(setting)) = (by_password, permitted) {
                users.push(a.account.name.as_str());
                if place.is_none() {
                    place = setting.source.as_ref().map(|s| at(&s.file, s.line));
                }
                break;
            }
        }
    }
    if !users.is_empty() {
        let location = place.unwrap_or_else(|| setting_at("permitemptypasswords"));
        em.emit_graded_at(
            &EMPTY_PASSWORDS,
            Severity::Critical,
            object,
            location,
            format!(
                "PermitEmptyPasswords yes and {} can log in with no password",
                users.join(", ")
            ),
        );
    } else if node.global.flag("permitemptypasswords") {
        em.emit_graded_at(
            &EMPTY_PASSWORDS,
            Severity::High,
            object,
            setting_at("permitemptypasswords"),
            "PermitEmptyPasswords yes (no account has an empty password now)",
        );
    }
}

fn account_findings(
    em: &mut Emitter<'_>,
    object: &Arc<ObjectRef>,
    access: &AccountAccess,
    at: &dyn Fn(&str, u32) -> Location,
) {
    let name = &access.account.name;
    let logins: Vec<(&Login, String)> = std::iter::once((&access.login, String::new()))
        .chain(
            access
                .conditional
                .iter()
                .map(|c| (&c.login, format!(" (when {})", c.when))),
        )
        .collect();
    let setting = |l: &Login, keyword: &str| {
        l.settings
            .iter()
            .find(|s| s.keyword.eq_ignore_ascii_case(keyword))
            .and_then(|s| s.source.clone())
            .map_or_else(|| at(SSHD_CONFIG, 1), |s| at(&s.file, s.line))
    };

    if let Some((login, when)) = logins.iter().find(|(l, _)| l.root && l.allowed) {
        let with_password = login
            .paths
            .iter()
            .any(|p| p.factors == vec![Factor::Password]);
        let how: Vec<String> = login.paths.iter().map(path_text).collect();
        let (severity, extra) = if with_password {
            (Severity::Critical, "with a password alone")
        } else {
            (Severity::High, "")
        };
        em.emit_graded_at(
            &ROOT_LOGIN,
            severity,
            object,
            setting(login, "PermitRootLogin"),
            format!(
                "{name} (uid 0) can log in {extra} via {}{when}",
                how.join(" | ")
            )
            .replace("  ", " "),
        );
    }

    if let Some((login, when)) = logins
        .iter()
        .find(|(l, _)| l.paths.iter().any(|p| p.factors == vec![Factor::Password]))
    {
        let methods: Vec<&str> = login
            .paths
            .iter()
            .filter(|p| p.factors == vec![Factor::Password])
            .flat_map(|p| p.methods.iter().map(|m| m.as_str()))
            .collect();
        let keyword = if methods.contains(&"password") {
            "PasswordAuthentication"
        } else {
            "KbdInteractiveAuthentication"
        };
        em.emit_at(
            &PASSWORD_NO_MFA,
            object,
            setting(login, keyword),
            Some(format!("user {name}").into()),
            format!(
                "{name} can log in with a password alone ({}){when}",
                methods.join(", ")
            ),
        );
    }

    let usable: Vec<usize> = logins
        .iter()
        .flat_map(|(l, _)| l.usable_keys.iter().copied())
        .collect();
    for (i, key) in access.keys.iter().enumerate() {
        if !usable.contains(&i) {
            continue;
        }
        let loc = at(&key.file, key.line);
        let label = format!(
            "{} {} {}",
            key.key_type,
            key.info.fingerprint,
            if key.comment.is_empty() {
                "(no comment)"
            } else {
                &key.comment
            }
        );
        if let Some(weak) = &key.weak {
            em.emit_at(
                &WEAK_KEY,
                object,
                loc.clone(),
                Some(format!("user {name}").into()),
                format!("{name}: {weak}: {label}"),
            );
        }
        if !key.restricted() && !key.has("cert-authority") {
            em.emit_at(
                &UNRESTRICTED_KEY,
                object,
                loc,
                Some(format!("user {name}").into()),
                format!("{name}: key usable from anywhere for anything: {label}"),
            );
        }
    }
    for file in &access.key_files {
        if let Some(why) = &file.writable_by_others {
            em.emit_at(
                &WRITABLE_KEYS,
                object,
                at(&file.path, 1),
                Some(format!("user {name}").into()),
                format!(
                    "{name}'s {}: {why} (sshd ignores it under StrictModes; with StrictModes \
                     no, whoever can write it can add a key)",
                    file.path
                ),
            );
        }
    }
}

/// `publickey+keyboard-interactive [key, second-factor]`.
pub fn path_text(p: &super::login::LoginPath) -> String {
    let methods: Vec<&str> = p.methods.iter().map(|m| m.as_str()).collect();
    methods.join("+")
}
