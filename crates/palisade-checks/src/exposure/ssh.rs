//! PAL-NET-007: an SSH server inside a container. Containers are reached with `kubectl exec`
//! (authenticated, authorised and audited by the API server); an SSH daemon is a second door
//! with its own keys or passwords that none of those controls see. A Service that exposes
//! port 22 outside the cluster is reported by PAL-NET-004 as well, at high severity.

use palisade_core::yaml::{Node, Pos};
use palisade_core::{cat, Container, Controls, Family, Rule, Severity, Workload};

use crate::Emitter;

pub(crate) static SSH_IN_CONTAINER: Rule = Rule {
    id: "PAL-NET-007",
    title: "SSH server in a container",
    severity: Severity::Medium,
    family: Family::Exposure,
    description: "A container that declares port 22 (or a port named `ssh`) or starts an SSH \
        daemon (`sshd`, `dropbear`, `service ssh start`) accepts logins that bypass the API \
        server: no RBAC, no audit log, credentials of its own that are rarely rotated. It \
        is a classic way in for attackers (weak or leaked keys) and a way for people to \
        change running containers outside of any review.",
    remediation: "Remove the SSH server from the image and the port from the spec; use \
        `kubectl exec` or `kubectl debug` (ephemeral containers) for interactive access, \
        which RBAC controls and the audit log records.",
    references: &[
        "https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/",
        "https://kubernetes.io/docs/tasks/debug/debug-application/get-shell-running-container/",
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Network separation and hardening"],
        mitre: &["T1133"],
    },
};

pub(super) fn check(w: &Workload, em: &mut Emitter) {
    for c in w.containers() {
        for (i, port) in c
            .node
            .get("ports")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let number = port.get("containerPort").and_then(Node::as_i64);
            let name = port.get("name").and_then(Node::as_str);
            let named_ssh = name.is_some_and(|n| n.eq_ignore_ascii_case("ssh"));
            if number != Some(22) && !named_ssh {
                continue;
            }
            let message = match (number, named_ssh) {
                (Some(22), true) => cat!(c.describe(), " declares port 22 named `ssh`"),
                (Some(22), false) => cat!(c.describe(), " declares port 22 (SSH)"),
                _ => match number {
                    Some(n) => cat!(c.describe(), " declares a port named `ssh` (port ", n, ")"),
                    None => cat!(c.describe(), " declares a port named `ssh` (no number)"),
                },
            };
            em.emit(
                &SSH_IN_CONTAINER,
                w.object,
                port.entry("containerPort").map_or(port.pos, |e| e.key.pos),
                Some(c.field_path_of(&[&"ports[", &i, &"]"])),
                message,
            );
        }
        if let Some((pos, field, daemon)) = ssh_daemon(&c) {
            em.emit(
                &SSH_IN_CONTAINER,
                w.object,
                pos,
                Some(c.field_path(field)),
                cat!(c.describe(), " runs an SSH daemon (`", daemon, "`)"),
            );
        }
    }
}

/// The first SSH daemon that the container's command or args start, with where.
fn ssh_daemon<'a>(c: &Container<'a>) -> Option<(Pos, &'static str, &'a str)> {
    for field in ["command", "args"] {
        let Some(entry) = c.node.entry(field) else {
            continue;
        };
        for item in entry.value.items() {
            if let Some(daemon) = item.as_str().and_then(starts_daemon) {
                return Some((entry.key.pos, field, daemon));
            }
        }
    }
    None
}

/// The daemon a command line starts, if any: a word whose file name is `sshd` or
/// `dropbear`, or `service ssh[d] start` / `/etc/init.d/ssh[d] start`.
fn starts_daemon(line: &str) -> Option<&str> {
    let words: Vec<&str> = line
        .split(|ch: char| {
            ch.is_whitespace() || matches!(ch, ';' | '&' | '|' | '(' | ')' | '"' | '\'')
        })
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let base = w.rsplit('/').next().unwrap_or(w);
        if matches!(base, "sshd" | "dropbear") && !w.starts_with("/etc/") {
            return Some(w);
        }
        let is_ssh = |x: Option<&&str>| x.is_some_and(|x| matches!(*x, "ssh" | "sshd"));
        if *w == "service" && is_ssh(words.get(i + 1)) && words.get(i + 2) == Some(&"start") {
            return Some(w);
        }
        if w.starts_with("/etc/init.d/ssh") && words.get(i + 1) == Some(&"start") {
            return Some(w);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::starts_daemon;

    #[test]
    fn daemons_are_recognised_by_file_name() {
        assert_eq!(
            starts_daemon("/usr/sbin/sshd -D -e"),
            Some("/usr/sbin/sshd")
        );
        assert_eq!(starts_daemon("service ssh start && nginx"), Some("service"));
        assert_eq!(starts_daemon("dropbear -F -E"), Some("dropbear"));
        assert_eq!(
            starts_daemon("/etc/init.d/ssh start; sleep inf"),
            Some("/etc/init.d/ssh")
        );
        // Configuration paths and the client are not a daemon.
        assert_eq!(starts_daemon("cat /etc/ssh/sshd_config"), None);
        assert_eq!(starts_daemon("ssh -i key user@host"), None);
        assert_eq!(starts_daemon("/etc/sshd"), None);
        assert_eq!(starts_daemon("service ssh status"), None);
    }
}
