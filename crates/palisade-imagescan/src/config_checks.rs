//! PAL-IMAGE-003..006: how the image is configured to run (user, SSH, healthcheck) and
//! where it comes from (approved registries). A root filesystem directory has no
//! configuration, so only the SSH check (from its files) applies to it.

use std::sync::Arc;

use palisade_core::{Emitter, ObjectRef};
use palisade_image::{FinalView, Image, SourceKind};
use palisade_sbom::Package;

use crate::place::{at_reference, describe_layer, in_config, in_layer};
use crate::rules::{NO_HEALTHCHECK, RUNS_AS_ROOT, SSH_SERVER, UNAPPROVED_SOURCE};

/// SSH server binaries, as paths of the final filesystem (merged `/usr` or not).
const SSH_BINARIES: &[&str] = &[
    "usr/sbin/sshd",
    "sbin/sshd",
    "usr/bin/sshd",
    "usr/sbin/dropbear",
    "sbin/dropbear",
    "usr/bin/dropbear",
];

/// Packages that install an SSH server (Debian/Ubuntu, Alpine, RHEL family names).
const SSH_PACKAGES: &[&str] = &[
    "openssh-server",
    "openssh-server-pam",
    "openssh-sshd",
    "dropbear",
    "dropbear-bin",
    "tinysshd",
];

/// Everything the configuration checks read.
pub(crate) struct Inputs<'a> {
    pub image: &'a Image,
    pub subject: &'a str,
    pub object: &'a Arc<ObjectRef>,
    pub view: &'a FinalView,
    pub packages: Option<&'a [Package]>,
    pub reference: Option<&'a str>,
}

/// Runs PAL-IMAGE-003..006.
pub(crate) fn check(input: &Inputs, em: &mut Emitter) {
    let has_config = input.image.source != SourceKind::Rootfs;
    if has_config {
        root_user(input, em);
        healthcheck(input, em);
    }
    ssh(input, em);
    if let Some(reference) = input.reference {
        approval(input, reference, em);
    }
}

/// The user part of `config.User` (`user[:group]`) is root: empty, `root` or `0`.
pub(crate) fn is_root_user(user: Option<&str>) -> bool {
    let user = user.unwrap_or("").trim();
    let name = user.split_once(':').map_or(user, |(u, _)| u);
    matches!(name, "" | "root" | "0")
}

fn root_user(input: &Inputs, em: &mut Emitter) {
    let user = input.image.config.user.as_deref();
    if !is_root_user(user) {
        return;
    }
    let message = match user.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => format!("the image runs as root: `config.User` is `{u}`"),
        None => "the image runs as root: `config.User` is not set (no USER instruction)".into(),
    };
    let location = in_config(input.subject);
    if let Some(f) = em.emit_at(&RUNS_AS_ROOT, input.object, location, None, message) {
        f.field = Some("config.User".into());
    }
}

fn healthcheck(input: &Inputs, em: &mut Emitter) {
    if input.image.config.healthcheck {
        return;
    }
    let location = in_config(input.subject);
    let message = "the image configuration has no `Healthcheck`";
    if let Some(f) = em.emit_at(&NO_HEALTHCHECK, input.object, location, None, message) {
        f.field = Some("config.Healthcheck".into());
    }
}

fn ssh(input: &Inputs, em: &mut Emitter) {
    if !em.enabled(&SSH_SERVER) {
        return;
    }
    for port in &input.image.config.exposed_ports {
        if is_port_22(port) {
            let message = format!("the image exposes port `{port}` (SSH)");
            let location = in_config(input.subject);
            if let Some(f) = em.emit_at(&SSH_SERVER, input.object, location, None, message) {
                f.field = Some(format!("config.ExposedPorts[{port:?}]").into());
            }
        }
    }
    let packages: Vec<&Package> = input
        .packages
        .unwrap_or_default()
        .iter()
        .filter(|p| SSH_PACKAGES.contains(&p.name.as_str()))
        .collect();
    for p in &packages {
        let message = format!(
            "the image installs the SSH server package `{}` {} (from {})",
            p.name, p.version, p.found_in
        );
        let location = in_config(input.subject);
        em.emit_at(&SSH_SERVER, input.object, location, None, message);
    }
    if !packages.is_empty() {
        return; // the binary is that package's
    }
    for path in SSH_BINARIES {
        let Some(node) = input.view.nodes.get(*path) else {
            continue;
        };
        let Some(layer) = input.image.layers.get(node.layer) else {
            continue;
        };
        let message = format!(
            "the image ships an SSH server binary `/{path}` (added by {})",
            describe_layer(layer)
        );
        let location = in_layer(input.subject, layer, path, 1);
        em.emit_at(&SSH_SERVER, input.object, location, None, message);
        return; // one binary is enough to say it
    }
}

/// `22`, `22/tcp` (ports in `ExposedPorts` are `port/proto`, proto defaulting to tcp).
fn is_port_22(port: &str) -> bool {
    let (number, proto) = port.split_once('/').unwrap_or((port, "tcp"));
    number.trim() == "22" && proto.trim().eq_ignore_ascii_case("tcp")
}

fn approval(input: &Inputs, reference: &str, em: &mut Emitter) {
    let Some(verdict) = palisade_checks::unapproved_image(reference, em.config()) else {
        return;
    };
    let message = format!("image `{reference}`{}", verdict.why);
    let location = at_reference(input.subject);
    if let Some(f) = em.emit_at(&UNAPPROVED_SOURCE, input.object, location, None, message) {
        f.evidence = Some(verdict.evidence.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_users() {
        for u in [
            None,
            Some(""),
            Some("root"),
            Some("0"),
            Some("0:0"),
            Some("root:root"),
            Some(" 0 "),
        ] {
            assert!(is_root_user(u), "{u:?}");
        }
        for u in ["app", "1000", "1000:0", "nobody:nogroup", "10001:10001"] {
            assert!(!is_root_user(Some(u)), "{u}");
        }
    }

    #[test]
    fn ssh_ports() {
        assert!(is_port_22("22/tcp"));
        assert!(is_port_22("22"));
        assert!(!is_port_22("22/udp"));
        assert!(!is_port_22("2222/tcp"));
        assert!(!is_port_22("220/tcp"));
    }
}
