//! NSA/CISA Kubernetes Hardening Guide (version 1.2, August 2022): its sections'
//! recommendations as controls, with ids of Palisade's own (`NSA-<section>-<n>`), since the
//! guide numbers none.
//!
//! Rules name the guide in free text (`controls.nsa`, e.g. `Pod security: non-root
//! containers`). A control lists the texts that name it, compared after [`normalise`]
//! (case and spacing do not matter); a test fails when a rule names a text no control
//! lists, so a new mapping is never silently ignored.

use palisade_core::Rule;

use super::{normalise, Control, Framework, FrameworkId};

const CONTROLS: &[Control] = &[
    // Kubernetes Pod security
    Control::mapped(
        "NSA-POD-1",
        "Containers run as non-root users (or rootless engines)",
    ),
    Control::mapped("NSA-POD-2", "Container file systems are immutable"),
    Control::mapped(
        "NSA-POD-3",
        "Images are built securely and come from trusted sources",
    ),
    Control::mapped(
        "NSA-POD-4",
        "Pod security is enforced (no privileged or host-sharing pods)",
    ),
    Control::mapped("NSA-POD-5", "Service account tokens are protected"),
    Control::mapped(
        "NSA-POD-6",
        "Container environments are hardened (seccomp, AppArmor, SELinux)",
    ),
    // Network separation and hardening
    Control::mapped(
        "NSA-NET-1",
        "Namespaces separate teams, applications and data",
    ),
    Control::mapped(
        "NSA-NET-2",
        "Network policies and firewalls isolate and limit traffic",
    ),
    Control::mapped("NSA-NET-3", "Resource policies cap what workloads consume"),
    Control::outside(
        "NSA-NET-4",
        "The control plane is hardened (API server, etcd, kubeconfig files)",
        "needs the control plane's configuration and network, which manifests do not show",
    ),
    Control::outside(
        "NSA-NET-5",
        "Worker nodes are segmented from other networks",
        "a property of the node network, not of manifests",
    ),
    Control::mapped("NSA-NET-6", "Traffic and stored data are encrypted"),
    Control::mapped("NSA-NET-7", "Secrets are handled as secrets"),
    Control::outside(
        "NSA-NET-8",
        "Cloud infrastructure (metadata services) is protected",
        "needs the cloud network configuration; no rule judges metadata access yet",
    ),
    // Authentication and authorization
    Control::outside(
        "NSA-AUTH-1",
        "Users authenticate strongly; anonymous access is off",
        "needs the API server's authentication flags",
    ),
    Control::mapped(
        "NSA-AUTH-2",
        "RBAC grants least privilege to users and service accounts",
    ),
    // Audit logging and threat detection
    Control::outside(
        "NSA-LOG-1",
        "Audit logging is enabled and collected",
        "needs the API server's audit policy and the log pipeline",
    ),
    Control::outside(
        "NSA-LOG-2",
        "Threats are detected and alerted on",
        "a matter of runtime monitoring, not of manifests",
    ),
    // Upgrading and application security practices
    Control::outside(
        "NSA-UPG-1",
        "Kubernetes and its components are patched and upgraded promptly",
        "needs the versions running in the cluster",
    ),
];

/// The mapping texts (normalised) that name each control.
const NAMES: &[(&str, &[&str])] = &[
    ("NSA-POD-1", &["pod security: non-root containers"]),
    (
        "NSA-POD-2",
        &["pod security: immutable container file systems"],
    ),
    (
        "NSA-POD-3",
        &["pod security: building secure container images"],
    ),
    (
        "NSA-POD-4",
        &[
            "pod security: pod security enforcement",
            "pod security: host namespaces",
            "pod security: privileged containers",
            "kubernetes pod security",
        ],
    ),
    (
        "NSA-POD-5",
        &["pod security: protecting pod service account tokens"],
    ),
    (
        "NSA-POD-6",
        &["pod security: hardening container environments"],
    ),
    (
        "NSA-NET-1",
        &["network separation and hardening: namespaces"],
    ),
    (
        "NSA-NET-2",
        &[
            "network separation and hardening: network policies",
            "network separation and hardening",
        ],
    ),
    (
        "NSA-NET-3",
        &["network separation and hardening: resource policies"],
    ),
    (
        "NSA-NET-6",
        &["network separation and hardening: encryption"],
    ),
    ("NSA-NET-7", &["network separation and hardening: secrets"]),
    (
        "NSA-AUTH-2",
        &[
            "authentication and authorization: role-based access control",
            "authentication and authorization",
        ],
    ),
];

fn names(rule: &Rule, control: &str) -> bool {
    let Some((_, texts)) = NAMES.iter().find(|(id, _)| *id == control) else {
        return false;
    };
    rule.controls
        .nsa
        .iter()
        .any(|t| texts.contains(&normalise(t).as_str()))
}

pub(super) fn framework() -> Framework {
    Framework {
        id: FrameworkId::Nsa,
        title: "NSA/CISA Kubernetes Hardening Guide v1.2",
        uri: "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF",
        controls: CONTROLS.to_vec(),
        names,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frameworks::JudgedBy;

    #[test]
    fn every_nsa_text_a_rule_names_is_a_control() {
        for rule in crate::Engine::builtin().catalog() {
            for text in rule.controls.nsa {
                let n = normalise(text);
                assert!(
                    NAMES.iter().any(|(_, texts)| texts.contains(&n.as_str())),
                    "{} names NSA/CISA `{text}`, which no control in \
                     crates/palisade-engine/src/frameworks/nsa.rs lists",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn names_belong_to_mapped_controls() {
        for (id, texts) in NAMES {
            let control = CONTROLS.iter().find(|c| c.id == *id);
            assert!(
                matches!(control, Some(c) if c.judged_by == JudgedBy::Mappings),
                "{id}"
            );
            assert!(
                texts.iter().all(|t| normalise(t) == *t),
                "{id}: not normalised"
            );
        }
    }
}
