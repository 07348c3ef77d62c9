//! The Pod Security Standards, baseline and restricted, with the field semantics of the
//! Kubernetes pod-security admission at policy version v1.37 (what `latest` resolves to on
//! a 1.37 API server).
//!
//! How the rules read a pod spec, as the admission does:
//! - every container kind is checked: regular, init (native sidecars included) and
//!   ephemeral;
//! - a pod-level `securityContext` setting is inherited by the containers that leave it
//!   unset, and an explicit `null` counts as unset (that is how the API decodes it);
//! - values are matched exactly: `CAP_SYS_ADMIN`, `all` or `net/ipv4/...` are not the
//!   spellings the policy allows.
//!
//! Feature gates behind the recent changes, all on by default at 1.37 and implemented:
//! - `UserNamespacesSupport` (`hostUsers`) and `ProcMountType` (`procMount`), both on by
//!   default since 1.33: the 1.35 user-namespace relaxations (see [`in_user_namespace`])
//!   have no gate of their own, since `UserNamespacesPodSecurityStandards` (alpha, off by
//!   default) was removed in 1.35;
//! - `ProbeHostPodSecurityStandards` gated the probe-host control in 1.34 only (GA, locked
//!   on) and was removed in 1.35;
//! - `ImageVolume` (beta on by default since 1.35): `image` volumes pass restricted.
//!
//! One finding per offending field: where a restricted control repeats a baseline one
//! (restricted volume types forbid hostPath, restricted capabilities forbid every
//! non-default capability, restricted seccomp forbids `Unconfined`, ...), the restricted rule
//! leaves that field to the baseline rule. Baseline plus restricted findings are then
//! exactly what a restricted namespace rejects, each offending field reported once, and an
//! exception granted for a baseline rule is not undone by its restricted twin.

mod baseline;
mod confinement;
mod restricted;

use std::sync::Arc;

use palisade_core::yaml::{Entry, Node, Pos};
use palisade_core::{cat, Container, Finding, Object, Workload};

use crate::{Checks, Emitter};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[
        &baseline::HOST_NAMESPACES,
        &baseline::PRIVILEGED,
        &baseline::CAPABILITIES,
        &baseline::HOST_PATH_VOLUMES,
        &baseline::HOST_PORTS,
        &confinement::APPARMOR,
        &confinement::SELINUX,
        &confinement::PROC_MOUNT,
        &confinement::SECCOMP,
        &confinement::SYSCTLS,
        &baseline::HOST_PROCESS,
        &baseline::PROBE_HOSTS,
        &restricted::VOLUME_TYPES,
        &restricted::PRIVILEGE_ESCALATION,
        &restricted::RUN_AS_NON_ROOT,
        &restricted::RUN_AS_ROOT_USER,
        &restricted::SECCOMP_REQUIRED,
        &restricted::CAPABILITIES_DROP_ALL,
        &restricted::PROC_MOUNT_USER_NAMESPACE,
    ],
    object: Some(check),
    in_context: None,
    inventory: None,
};

/// The Pod Security Standards page, the reference every rule of this family cites.
const PSS_REF: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

fn check(_object: &Object, workload: Option<&Workload>, em: &mut Emitter) {
    let Some(w) = workload.copied() else {
        return;
    };
    baseline::check(&w, em);
    confinement::check(&w, em);
    restricted::check(&w, em);
}

/// The entry for `key` when it holds a value: an explicit `null` reads as unset.
fn set<'a>(node: &'a Node, key: &str) -> Option<&'a Entry> {
    node.entry(key).filter(|e| !e.value.is_null())
}

/// Reports `rule` at `pos` in the workload's object.
fn report<'e>(
    em: &'e mut Emitter,
    rule: &'static palisade_core::Rule,
    w: &Workload,
    pos: Pos,
    field: Arc<str>,
    message: String,
) -> Option<&'e mut Finding> {
    em.emit(rule, w.object, pos, Some(field), message)
}

/// Attaches the offending value to a finding just reported.
fn with_evidence(found: Option<&mut Finding>, value: &str) {
    if let Some(finding) = found {
        finding.evidence = Some(Box::from(value));
    }
}

/// Dotted path of the pod metadata matching the workload's pod spec
/// (`spec.template.metadata` for `spec.template.spec`).
fn pod_metadata_path(w: &Workload) -> String {
    match w.spec_path.strip_suffix("spec") {
        Some(prefix) => cat!(prefix, "metadata"),
        None => "metadata".to_string(),
    }
}

/// `spec.hostUsers: false`: the pod runs in its own user namespace, so its root is not the
/// node's root. Since policy v1.35 the admission relaxes baseline procMount and restricted
/// runAsNonRoot / runAsUser for such pods, unconditionally: the alpha feature gate that
/// guarded this (UserNamespacesPodSecurityStandards) was removed in 1.35.
fn in_user_namespace(w: &Workload) -> bool {
    w.get("hostUsers").and_then(Node::as_bool) == Some(false)
}

/// The profile types that keep a container confined, for both `seccompProfile` and
/// `appArmorProfile`.
fn confining_profile(kind: &str) -> bool {
    matches!(kind, "RuntimeDefault" | "Localhost")
}

/// A `seccompProfile` / `appArmorProfile` set in `security_context` with any other type
/// (`Unconfined`, or no type at all): where to point and the type found.
fn unconfined_profile<'a>(security_context: &'a Node, field: &str) -> Option<(Pos, &'a str)> {
    let profile = set(security_context, field)?;
    match profile.value.entry("type") {
        Some(kind) => {
            let value = kind.value.as_str().unwrap_or("");
            (!confining_profile(value)).then_some((kind.key.pos, value))
        }
        None => Some((profile.key.pos, "")),
    }
}

/// How a message shows a profile type, including a missing one.
fn profile_type_text(value: &str) -> String {
    if value.is_empty() {
        "no type".to_string()
    } else {
        cat!("type ", value)
    }
}

/// How a message shows a string value: in backticks, or "an empty value".
fn shown(value: &str) -> String {
    if value.is_empty() {
        "an empty value".to_string()
    } else {
        cat!("`", value, "`")
    }
}

/// A container `procMount` other than `Default` (`Unmasked`, or an empty string).
fn non_default_proc_mount<'a>(c: &Container<'a>) -> Option<(&'a Entry, &'a str)> {
    let entry = set(c.security_context(), "procMount")?;
    let value = entry.value.as_str().unwrap_or("");
    (value != "Default").then_some((entry, value))
}

#[cfg(test)]
mod tests {
    use palisade_core::Finding;

    fn findings(text: &str) -> Vec<Finding> {
        crate::test_support::findings_of(text, &super::CHECKS)
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        let odd = [
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: 3\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 1, volumes: x, securityContext: [1]}\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: [a]}\nspec:\n  securityContext: {sysctls: {a: b}, seLinuxOptions: [x], seccompProfile: 1, appArmorProfile: {type: [x]}}\n  containers:\n  - 7\n  - {securityContext: 1}\n  - {securityContext: {capabilities: {add: {a: 1}, drop: 3}, procMount: [1]}, ports: [1, {hostPort: x}], livenessProbe: {httpGet: 1}}\n  volumes: [1, {name: [x], nfs: {}}]\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, securityContext: {seLinuxOptions: {type: ~, user: ~}, capabilities: {add: [~, 12]}}}\n",
        ];
        crate::test_support::survives_odd_shapes(&super::CHECKS, &odd);
    }

    #[test]
    fn messages_name_the_container_and_value() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  initContainers:\n  - name: setup\n    securityContext:\n      capabilities: {add: [SYS_ADMIN]}\n  containers: [{name: app}]\n";
        let all = findings(text);
        let cap = all.iter().find(|f| f.rule_id == "PAL-POD-003");
        let cap = cap.map(|f| (&*f.message, f.evidence.as_deref()));
        assert_eq!(
            cap,
            Some((
                "init container `setup` adds capability SYS_ADMIN",
                Some("SYS_ADMIN")
            ))
        );
    }

    #[test]
    fn catalog_is_in_id_order() {
        let ids: Vec<&str> = super::CHECKS.rules.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
    }
}
