//! Workload hardening beyond the Pod Security Standards: immutable root filesystems,
//! resource requests and limits, service-account tokens, dangerous host paths, and health
//! probes.
//!
//! Findings about a missing field point at the deepest part of its path that is written
//! (the container for a missing `resources`, `resources:` for a missing `limits`, ...), or
//! at the object's start for a missing pod-level field.

mod host_paths;
mod service_account;

use std::borrow::Cow;

use palisade_core::yaml::{Node, Pos, Value};
use palisade_core::{cat, Context};
use palisade_core::{ContainerKind, Controls, Family, Object, Rule, Severity, Workload};

use crate::{Checks, Emitter};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[
        &READ_ONLY_ROOT_FS,
        &CPU_RESOURCES,
        &MEMORY_RESOURCES,
        &SA_TOKEN_AUTOMOUNT,
        &DEFAULT_SERVICE_ACCOUNT,
        &host_paths::RUNTIME_SOCKET,
        &host_paths::SENSITIVE_HOST_PATH,
        &LIVENESS_PROBE,
        &READINESS_PROBE,
    ],
    object: Some(check),
    in_context: Some(check_in_context),
    inventory: None,
};

const SECURITY_CONTEXT_REF: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/";
const RESOURCES_REF: &str =
    "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/";
const SA_TASK_REF: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/";
const SA_CONCEPT_REF: &str = "https://kubernetes.io/docs/concepts/security/service-accounts/";
const PROBES_REF: &str = "https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/";
const SIDECAR_REF: &str = "https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/";

pub(crate) static READ_ONLY_ROOT_FS: Rule = Rule {
    id: "PAL-POD-030",
    title: "Root filesystem is not read-only",
    severity: Severity::Medium,
    family: Family::Hardening,
    description: "A writable root filesystem lets an intruder drop tools, modify binaries or \
        configuration of the running application, and persist until the container restarts. \
        A read-only root (with emptyDir volumes for the few paths that must be written) \
        makes the container image the only code that can run.",
    remediation: "Set `securityContext.readOnlyRootFilesystem: true` on every container and \
        mount an `emptyDir` where the application writes (`/tmp`, caches).",
    references: &[SECURITY_CONTEXT_REF],
    controls: Controls {
        pss: None,
        cis: &["5.7.3"],
        nsa: &["Pod security: immutable container file systems"],
        mitre: &[],
    },
};

pub(crate) static CPU_RESOURCES: Rule = Rule {
    id: "PAL-POD-031",
    title: "CPU request or limit missing",
    severity: Severity::Low,
    family: Family::Hardening,
    description: "Without a CPU request the scheduler places the pod blindly and it gets the \
        lowest share under contention; without a limit one compromised or runaway container \
        (a cryptominer, a busy loop) can take every core of the node from its neighbours.",
    remediation: "Set `resources.requests.cpu` and `resources.limits.cpu` (or pod-level \
        `resources`), or give the namespace a LimitRange with defaults.",
    references: &[RESOURCES_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Network separation and hardening: resource policies"],
        mitre: &["T1496", "T1499"],
    },
};

pub(crate) static MEMORY_RESOURCES: Rule = Rule {
    id: "PAL-POD-032",
    title: "Memory request or limit missing",
    severity: Severity::Medium,
    family: Family::Hardening,
    description: "Memory cannot be throttled: a container without a memory limit can exhaust \
        the node and get other pods evicted or OOM-killed, and without a request the \
        scheduler overcommits the node. Both make denial of service by one workload easy.",
    remediation: "Set `resources.requests.memory` and `resources.limits.memory` (or pod-level \
        `resources`), or give the namespace a LimitRange with defaults.",
    references: &[RESOURCES_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Network separation and hardening: resource policies"],
        mitre: &["T1496", "T1499"],
    },
};

pub(crate) static SA_TOKEN_AUTOMOUNT: Rule = Rule {
    id: "PAL-POD-033",
    title: "Service-account token automounted",
    severity: Severity::Medium,
    family: Family::Hardening,
    description: "Unless told otherwise, Kubernetes mounts an API token for the pod's service \
        account into every container. Most applications never call the API, but anyone who \
        gets code execution in the container can read the token and act with the service \
        account's permissions. The pod's own setting wins over the ServiceAccount's; when the \
        pod leaves it unset and the ServiceAccount is in the scanned input with \
        `automountServiceAccountToken: false`, the token is not mounted and nothing is \
        reported.",
    remediation: "Set `automountServiceAccountToken: false` in the pod spec; workloads that \
        need the API can mount a projected, short-lived token explicitly.",
    references: &[SA_TASK_REF, SA_CONCEPT_REF],
    controls: Controls {
        pss: None,
        cis: &["5.1.6"],
        nsa: &["Pod security: protecting pod service account tokens"],
        mitre: &["T1528", "T1552.007"],
    },
};

pub(crate) static DEFAULT_SERVICE_ACCOUNT: Rule = Rule {
    id: "PAL-POD-034",
    title: "Default service account used",
    severity: Severity::Low,
    family: Family::Hardening,
    description: "Every pod that names no service account runs as the namespace's `default` \
        one, so they all share one identity: permissions granted to it for one workload \
        apply to all, and audit logs cannot tell them apart.",
    remediation: "Create a ServiceAccount per workload, reference it with \
        `serviceAccountName`, and grant it only what the workload needs.",
    references: &[SA_TASK_REF, SA_CONCEPT_REF],
    controls: Controls {
        pss: None,
        cis: &["5.1.5"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1078.001"],
    },
};

pub(crate) static LIVENESS_PROBE: Rule = Rule {
    id: "PAL-POD-037",
    title: "Liveness probe missing",
    severity: Severity::Low,
    family: Family::Hardening,
    description: "Without a liveness probe a deadlocked or wedged process keeps its container \
        running forever: the service degrades silently instead of being restarted. Checked \
        on the regular and sidecar containers of long-running workloads only (not Jobs, \
        CronJobs, or pods whose restartPolicy is Never or OnFailure).",
    remediation: "Add a `livenessProbe` (httpGet, tcpSocket, grpc or exec) that fails only \
        when a restart would help.",
    references: &[PROBES_REF, SIDECAR_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &[],
    },
};

pub(crate) static READINESS_PROBE: Rule = Rule {
    id: "PAL-POD-038",
    title: "Readiness probe missing",
    severity: Severity::Low,
    family: Family::Hardening,
    description: "Without a readiness probe a pod receives traffic as soon as its processes \
        start, before it can serve, and keeps receiving it when it can no longer serve; \
        rolling updates also proceed without knowing whether new pods work. Checked on the \
        regular and sidecar containers of long-running workloads only.",
    remediation: "Add a `readinessProbe` that succeeds only when the container can serve \
        requests.",
    references: &[PROBES_REF, SIDECAR_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &[],
    },
};

fn check(_object: &Object, workload: Option<&Workload>, em: &mut Emitter) {
    let Some(w) = workload.copied() else {
        return;
    };
    read_only_root_fs(&w, em);
    service_account::default_service_account(&w, em);
    host_paths::check(&w, em);
    probes(&w, em);
}

/// The rules whose answer depends on the object's surroundings: a LimitRange default fills
/// missing resources, a ServiceAccount may opt out of token mounting.
fn check_in_context(
    _object: &Object,
    workload: Option<&Workload>,
    ctx: &Context,
    em: &mut Emitter,
) {
    let Some(w) = workload.copied() else {
        return;
    };
    resources(&w, ctx, em);
    service_account::token_automount(&w, ctx, em);
}

fn read_only_root_fs(w: &Workload, em: &mut Emitter) {
    // Windows containers cannot have a read-only root filesystem (the API rejects the field
    // for `os.name: windows`), so asking for one would be noise.
    if w.is_windows() {
        return;
    }
    for c in w.containers() {
        let value = c.security_context().get("readOnlyRootFilesystem");
        if value.and_then(Node::as_bool) == Some(true) {
            continue;
        }
        let who = c.describe();
        let message = match value.filter(|v| !v.is_null()) {
            Some(v) => cat!(who, " sets readOnlyRootFilesystem to ", spelled(v)),
            None => cat!(who, " does not set readOnlyRootFilesystem: true"),
        };
        em.emit(
            &READ_ONLY_ROOT_FS,
            w.object,
            nearest_key_pos(c.node, &["securityContext", "readOnlyRootFilesystem"]),
            Some(c.field_path("securityContext.readOnlyRootFilesystem")),
            message,
        );
    }
}

/// One finding per missing request or limit. A container whose limit is set but request is
/// not gets the limit as its request (Kubernetes copies it), so only the limit counts
/// then. Pod-level `resources` (which bound all containers together) satisfy the check, and
/// so does a default that a LimitRange of the namespace gives (the API server fills it in at
/// admission). Ephemeral containers cannot have resources, so they are not checked.
fn resources(w: &Workload, ctx: &Context, em: &mut Emitter) {
    let ns = w.object.id.namespace.as_deref();
    let pod = w.get("resources");
    for c in w
        .containers()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
    {
        for (rule, resource, label) in [
            (&CPU_RESOURCES, "cpu", "CPU"),
            (&MEMORY_RESOURCES, "memory", "memory"),
        ] {
            let set = |kind: &str| {
                is_set(c.node.get_path(&["resources", kind, resource]))
                    || is_set(pod.and_then(|p| p.get_path(&[kind, resource])))
            };
            let has_limit = set("limits");
            let has_request = has_limit || set("requests");
            for (kind, what, present) in [
                ("requests", "request", has_request),
                ("limits", "limit", has_limit),
            ] {
                if present || ctx.limit_range_default(ns, kind, resource).is_some() {
                    continue;
                }
                em.emit(
                    rule,
                    w.object,
                    nearest_key_pos(c.node, &["resources", kind, resource]),
                    Some(c.field_path_of(&[&"resources.", &kind, &".", &resource])),
                    cat!(
                        c.describe(),
                        " has no ",
                        label,
                        " ",
                        what,
                        limit_range_note(ctx, ns, what, label)
                    ),
                );
            }
        }
    }
}

/// What the namespace's LimitRanges say, for the message: which were read, or that none
/// is in the input.
fn limit_range_note(ctx: &Context, ns: Option<&str>, what: &str, label: &str) -> Cow<'static, str> {
    match ctx.limit_ranges(ns) {
        [] => Cow::Borrowed(", and no LimitRange of its namespace in the input gives a default"),
        ranges => {
            let names: Vec<&str> = ranges.iter().map(|r| r.id.name.as_str()).collect();
            Cow::Owned(format!(
                ", and LimitRange {} of its namespace gives no default {label} {what}",
                names.join(", ")
            ))
        }
    }
}

/// Probes matter for containers that are meant to keep running: the regular containers and
/// native sidecars (init containers with `restartPolicy: Always`) of workloads that restart
/// them. Jobs, CronJobs and pods with `restartPolicy: Never`/`OnFailure` run to completion,
/// plain init containers must exit, and ephemeral containers cannot have probes.
fn probes(w: &Workload, em: &mut Emitter) {
    if matches!(w.object.id.kind.as_str(), "Job" | "CronJob") {
        return;
    }
    if matches!(
        w.get("restartPolicy").and_then(Node::as_str),
        Some("Never" | "OnFailure")
    ) {
        return;
    }
    let long_running = w.containers().filter(|c| match c.kind {
        ContainerKind::Regular => true,
        ContainerKind::Init => c.node.get("restartPolicy").and_then(Node::as_str) == Some("Always"),
        ContainerKind::Ephemeral => false,
    });
    for c in long_running {
        for (rule, field) in [
            (&LIVENESS_PROBE, "livenessProbe"),
            (&READINESS_PROBE, "readinessProbe"),
        ] {
            // An empty probe (`livenessProbe: {}` or a null) has no handler: it is no probe.
            let message = match c.node.get(field) {
                Some(p) if p.as_map().is_some_and(|m| !m.is_empty()) => continue,
                Some(_) => cat!(c.describe(), " has an empty ", field, " (no handler)"),
                None => cat!(c.describe(), " has no ", field),
            };
            em.emit(
                rule,
                w.object,
                nearest_key_pos(c.node, &[field]),
                Some(c.field_path(field)),
                message,
            );
        }
    }
}

/// Where a finding about `path` below `node` points: the key of the deepest part of the
/// path that is written, or `node` itself when none is.
fn nearest_key_pos(node: &Node, path: &[&str]) -> Pos {
    let mut pos = node.pos;
    let mut current = node;
    for key in path {
        match current.entry(key) {
            Some(e) => {
                pos = e.key.pos;
                current = &e.value;
            }
            None => break,
        }
    }
    pos
}

/// A value as a message shows it: `false`, or `the string "false"` when quoted (a string
/// where the API expects a bool is not that bool).
fn spelled(node: &Node) -> String {
    match &node.value {
        Value::Quoted(s) => cat!("the string \"", s, "\""),
        Value::Plain(s) => cat!("`", s, "`"),
        Value::Seq(_) | Value::Map(_) => "a collection".to_string(),
    }
}

/// A resource quantity that is written and not empty.
fn is_set(node: Option<&Node>) -> bool {
    node.is_some_and(|n| !n.is_null() && n.scalar_text().is_some_and(|t| !t.trim().is_empty()))
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
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: 1, volumes: x, resources: [1], automountServiceAccountToken: {a: 1}, serviceAccountName: [x]}\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  restartPolicy: [x]\n  containers:\n  - 7\n  - {securityContext: 1, resources: {limits: 3, requests: {cpu: [1]}}, livenessProbe: 1}\n  - {volumeMounts: [1, {name: [x], subPath: {a: b}}], readinessProbe: []}\n  initContainers: [{restartPolicy: 1}]\n  volumes: [1, {name: v, hostPath: 3}, {name: w, hostPath: {path: [1]}}, {hostPath: {path: ''}}, {hostPath: {path: '/../..//./'}}]\n",
        ];
        crate::test_support::survives_odd_shapes(&super::CHECKS, &odd);
    }

    #[test]
    fn a_container_without_a_name_is_named_by_index() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  containers: [{image: x}]\n";
        let all = findings(text);
        let ro = all.iter().find(|f| f.rule_id == "PAL-POD-030");
        assert_eq!(
            ro.map(|f| &*f.message),
            Some("container #0 does not set readOnlyRootFilesystem: true")
        );
    }

    /// The messages say which context was read: the ServiceAccount and the LimitRanges, or
    /// that the input has none.
    #[test]
    fn messages_name_the_context_that_was_read() {
        use palisade_core::inventory::{load_str, LoadLimits};
        use palisade_core::{Config, Context, Inventory};
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  serviceAccountName: web\n  containers: [{name: c, image: x, resources: {requests: {cpu: 1}}}]\n";
        let with = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: app}\n---\napiVersion: v1\nkind: LimitRange\nmetadata: {name: lr, namespace: app}\nspec: {limits: [{type: Container, default: {memory: 1Gi}}]}\n---\n";
        let message = |text: &str, lone: bool, rule: &str| {
            let mut inv = Inventory::default();
            inv.add(load_str("t.yaml", text, &LoadLimits::default()));
            let ctx = if lone {
                Context::none()
            } else {
                Context::of(&inv)
            };
            let obj = inv.objects.iter().find(|o| o.is("Pod")).unwrap();
            crate::check_object(obj, &ctx, &Config::default())
                .into_iter()
                .filter(|f| f.rule_id == rule)
                .map(|f| f.message.into_string())
                .collect::<Vec<_>>()
        };
        let lone = message(pod, true, "PAL-POD-033");
        assert!(lone[0].contains("`web` is not in the input"), "{lone:?}");
        let known = message(&format!("{with}{pod}"), false, "PAL-POD-033");
        assert!(
            known[0].contains("`web` (in the input) does not opt out"),
            "{known:?}"
        );
        // CPU limit missing: the LimitRange gives only a memory default, and is named.
        let cpu = message(&format!("{with}{pod}"), false, "PAL-POD-031");
        assert_eq!(cpu.len(), 1, "{cpu:?}");
        assert!(cpu[0].contains("LimitRange lr of its namespace gives no default CPU limit"));
        // Memory: the LimitRange default covers both request and limit.
        assert!(message(&format!("{with}{pod}"), false, "PAL-POD-032").is_empty());
        assert_eq!(message(pod, true, "PAL-POD-032").len(), 2);
    }

    #[test]
    fn catalog_is_in_id_order() {
        let ids: Vec<&str> = super::CHECKS.rules.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
    }
}
