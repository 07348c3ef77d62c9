//! Cluster hygiene: objects in the `default` namespace, and a first cut of RBAC (wildcards,
//! cluster-admin bindings, a few well-known risky grants). The `palisade-rbac` crate will
//! compute effective permissions; these rules judge one Role or binding at a time.

use palisade_core::yaml::{Entry, Node};
use palisade_core::{Controls, Family, Object, Rule, Severity, Workload};

use crate::util::key_pos;
use crate::{Checks, Emitter};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[
        &DEFAULT_NAMESPACE,
        &RBAC_WILDCARD,
        &CLUSTER_ADMIN_BINDING,
        &RISKY_GRANT,
    ],
    object: Some(check),
    in_context: None,
    inventory: None,
};

const RBAC_GOOD_PRACTICES: &str =
    "https://kubernetes.io/docs/concepts/security/rbac-good-practices/";
const RBAC_REF: &str = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/";

pub(crate) static DEFAULT_NAMESPACE: Rule = Rule {
    id: "PAL-NS-001",
    title: "Object in the default namespace",
    severity: Severity::Low,
    family: Family::Hygiene,
    description: "The `default` namespace is where everything lands that was not placed \
        deliberately, so it mixes unrelated workloads and tends to receive broad RBAC grants \
        and no NetworkPolicies, ResourceQuotas or Pod Security labels. Namespaces are the unit \
        those controls are scoped to. Reported at low severity for `namespace: default`, and \
        at info for namespaced kinds with no `metadata.namespace`: kubectl and Helm create \
        those in the namespace of the current context or of --namespace, which is `default` \
        unless set. Objects Kubernetes itself keeps in `default` (the `kubernetes` Service and \
        its endpoints, the `default` ServiceAccount, `kube-root-ca.crt`) are not reported, nor \
        cluster-scoped kinds. Custom resources are reported only for an explicit \
        `namespace: default`, as their scope is not known from the object alone.",
    remediation: "Create a namespace per application or team and set `metadata.namespace` in \
        every manifest (or `namespace:` in the kustomization), so where an object lands does \
        not depend on the caller's context.",
    references: &[
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
        "https://kubernetes.io/docs/concepts/security/multi-tenancy/",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.7.1", "5.7.4"],
        nsa: &["Network separation and hardening: namespaces"],
        mitre: &[],
    },
};

pub(crate) static RBAC_WILDCARD: Rule = Rule {
    id: "PAL-RBAC-001",
    title: "RBAC rule uses a wildcard",
    severity: Severity::High,
    family: Family::Hygiene,
    description: "`*` in a Role or ClusterRole rule grants every verb, resource, API group or \
        non-resource URL, including ones added later by upgrades and CRDs: `*` verbs include \
        escalate, bind and impersonate, `*` resources include secrets and pods/exec. The \
        grant cannot be reviewed, because what it allows keeps changing. Critical for a \
        ClusterRole rule with `*` verbs on `*` resources in `*` API groups, which is \
        cluster-admin under another name. Roles the API server bootstraps and reconciles \
        (`system:*`, cluster-admin, admin, edit, view, with the rbac-defaults label) are not \
        reported; PAL-RBAC-002 reports who is bound to cluster-admin.",
    remediation: "List the API groups, resources and verbs the subject needs explicitly; \
        `kubectl auth can-i --list --as <subject>` and audit logs show what is actually used.",
    references: &[RBAC_GOOD_PRACTICES, RBAC_REF],
    controls: Controls {
        pss: None,
        cis: &["5.1.3"],
        nsa: &["Authentication and authorization: role-based access control"],
        mitre: &["T1078", "T1098.006"],
    },
};

pub(crate) static CLUSTER_ADMIN_BINDING: Rule = Rule {
    id: "PAL-RBAC-002",
    title: "Binding grants cluster-admin (or admin/edit cluster-wide)",
    severity: Severity::Critical,
    family: Family::Hygiene,
    description: "cluster-admin allows every action on every resource. Bound by a \
        ClusterRoleBinding it is total control of the cluster, and of every node through it; \
        bound by a RoleBinding (high severity) it is full control of the namespace, its \
        Secrets and its RBAC. A stolen token of any subject bound to it is a cluster \
        compromise. The built-in admin and edit roles bound by a ClusterRoleBinding (high) \
        give every namespace's Secrets, pods/exec and workloads, kube-system's included; bound \
        in one namespace they are ordinary delegation and not reported. Bindings whose only subject is the built-in `system:masters` group are \
        not reported: that group bypasses authorization whatever is bound to it.",
    remediation: "Bind a role granting only what the subject needs; keep cluster-admin for \
        break-glass accounts, and prefer short-lived credentials for them.",
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
        RBAC_GOOD_PRACTICES,
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.1"],
        nsa: &["Authentication and authorization: role-based access control"],
        mitre: &["T1078", "T1098.006"],
    },
};

pub(crate) static RISKY_GRANT: Rule = Rule {
    id: "PAL-RBAC-003",
    title: "RBAC rule grants a privilege-escalation permission",
    severity: Severity::High,
    family: Family::Hygiene,
    description: "Some grants are worth more than they look: reading Secrets (get, list or \
        watch without resourceNames) yields every service-account token and credential stored \
        in them (high on ClusterRoles, which can be bound cluster-wide; medium on a namespaced \
        Role); pods/exec and pods/attach run \
        commands in any pod in scope, with its identity (`get` is enough over WebSocket on \
        API servers before 1.35); nodes/proxy reaches the kubelet API of every node; and the \
        escalate, bind and impersonate verbs let a subject grant itself, or act as, anything. \
        A first cut: explicit grants only (wildcards are PAL-RBAC-001's), rules limited by \
        resourceNames are not reported, and built-in roles (`system:*`, admin, edit, view, \
        cluster-admin with the rbac-defaults label) are left alone.",
    remediation: "Remove the permission or narrow it with resourceNames; give Secret access \
        to the workloads that need it through a namespaced Role; use `kubectl debug` or \
        ephemeral access instead of standing exec rights.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
        RBAC_REF,
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.2", "5.1.4", "5.1.8"],
        nsa: &["Authentication and authorization: role-based access control"],
        mitre: &["T1552.007", "T1609", "T1098.006"],
    },
};

/// Cluster-scoped built-in kinds: they never have a namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// Namespaced built-in kinds that people write manifests for: a missing namespace on these
/// depends on the caller's context.
const NAMESPACED: &[&str] = &[
    "ConfigMap",
    "CronJob",
    "DaemonSet",
    "Deployment",
    "Endpoints",
    "EndpointSlice",
    "HorizontalPodAutoscaler",
    "Ingress",
    "Job",
    "LimitRange",
    "NetworkPolicy",
    "PersistentVolumeClaim",
    "Pod",
    "PodDisruptionBudget",
    "PodTemplate",
    "ReplicaSet",
    "ReplicationController",
    "ResourceQuota",
    "Role",
    "RoleBinding",
    "Secret",
    "Service",
    "ServiceAccount",
    "StatefulSet",
];

/// Objects Kubernetes itself creates in `default` (kind, name).
const BUILT_IN_DEFAULT_OBJECTS: &[(&str, &str)] = &[
    ("Service", "kubernetes"),
    ("Endpoints", "kubernetes"),
    ("EndpointSlice", "kubernetes"),
    ("ServiceAccount", "default"),
    ("ConfigMap", "kube-root-ca.crt"),
];

fn check(obj: &Object, _workload: Option<&Workload>, em: &mut Emitter) {
    default_namespace(obj, em);
    let rbac = obj.id.api_version.starts_with("rbac.authorization.k8s.io/");
    if !rbac {
        return;
    }
    match obj.id.kind.as_str() {
        "Role" | "ClusterRole" if !is_built_in_role(obj) => role_rules(obj, em),
        "RoleBinding" | "ClusterRoleBinding" => cluster_admin_binding(obj, em),
        _ => {}
    }
}

fn default_namespace(obj: &Object, em: &mut Emitter) {
    let kind = obj.id.kind.as_str();
    if CLUSTER_SCOPED.contains(&kind) {
        return;
    }
    if BUILT_IN_DEFAULT_OBJECTS.contains(&(kind, obj.id.name.as_str())) {
        return;
    }
    let metadata = obj.root.entry("metadata");
    let namespace = metadata.and_then(|m| m.value.entry("namespace"));
    match namespace.and_then(|e| e.value.as_str().map(|ns| (e, ns))) {
        Some((e, "default")) => {
            em.emit(
                &DEFAULT_NAMESPACE,
                obj,
                e.key.pos,
                Some("metadata.namespace".into()),
                format!("{kind} `{}` is in the default namespace", obj.id.name),
            );
        }
        Some((_, ns)) if !ns.is_empty() => {}
        // No namespace (or an empty one): only for kinds known to be namespaced.
        _ if NAMESPACED.contains(&kind) => {
            let pos = metadata.map_or(obj.root.pos, |m| m.key.pos);
            em.emit_graded(
                &DEFAULT_NAMESPACE,
                Severity::Info,
                obj,
                pos,
                "metadata.namespace".into(),
                format!(
                    "{kind} `{}` has no metadata.namespace: it is created in the namespace of \
                     the current kubectl context (or --namespace), which is `default` unless set",
                    obj.id.name
                ),
            );
        }
        _ => {}
    }
}

/// Roles the API server bootstraps and reconciles: reviewing them is not the user's job.
fn is_built_in_role(obj: &Object) -> bool {
    obj.label("kubernetes.io/bootstrapping") == Some("rbac-defaults")
        && (obj.id.name.starts_with("system:")
            || matches!(
                obj.id.name.as_str(),
                "cluster-admin" | "admin" | "edit" | "view"
            ))
}

/// The strings of a rule field (`verbs`, `resources`, ...), with the field's entry.
fn field<'a>(rule: &'a Node, key: &str) -> Option<(&'a Entry, Vec<&'a str>)> {
    let entry = rule.entry(key)?;
    let values = entry
        .value
        .items()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    Some((entry, values))
}

/// Is this value a wildcard for this field, as the RBAC authorizer reads it? In `resources`,
/// `*/scale` matches that subresource of every resource, while `pods/*` is a literal name.
fn is_wildcard(key: &str, value: &str) -> bool {
    value == "*" || (key == "resources" && value.starts_with("*/"))
}

fn role_rules(obj: &Object, em: &mut Emitter) {
    let cluster_wide = obj.is("ClusterRole");
    let Some(rules) = obj.root.get("rules") else {
        return;
    };
    for (i, rule) in rules.items().iter().enumerate() {
        let all = |key: &str| field(rule, key).is_some_and(|(_, v)| v.contains(&"*"));
        let admin_equivalent = cluster_wide && all("verbs") && all("resources") && all("apiGroups");
        for key in ["apiGroups", "resources", "verbs", "nonResourceURLs"] {
            let Some((entry, values)) = field(rule, key) else {
                continue;
            };
            let wild: Vec<&str> = values.into_iter().filter(|v| is_wildcard(key, v)).collect();
            if wild.is_empty() {
                continue;
            }
            let meaning = match key {
                "verbs" => "every verb, including escalate, bind and impersonate",
                "resources" if wild.contains(&"*") => {
                    "every resource, including secrets and pods/exec"
                }
                "resources" => "that subresource of every resource",
                "apiGroups" => "every API group, including those of CRDs added later",
                _ => "every non-resource URL",
            };
            let severity = if admin_equivalent {
                Severity::Critical
            } else {
                RBAC_WILDCARD.severity
            };
            em.emit_graded(
                &RBAC_WILDCARD,
                severity,
                obj,
                entry.key.pos,
                format!("rules[{i}].{key}").into(),
                format!(
                    "rule {i} of {} `{}` grants `{}` in {key} ({meaning})",
                    obj.id.kind,
                    obj.id.name,
                    wild.join("`, `")
                ),
            );
        }
        risky_grants(obj, rule, i, cluster_wide, em);
    }
}

fn risky_grants(obj: &Object, rule: &Node, i: usize, cluster_wide: bool, em: &mut Emitter) {
    // Rules narrowed to named objects are a deliberate, reviewable grant.
    if rule
        .get("resourceNames")
        .is_some_and(|r| !r.items().is_empty())
    {
        return;
    }
    let (Some((verbs_entry, verbs)), Some(groups)) =
        (field(rule, "verbs"), field(rule, "apiGroups"))
    else {
        return;
    };
    let core = groups.1.iter().any(|g| g.is_empty() || *g == "*");
    let has_verb = |wanted: &[&str]| -> Vec<&str> {
        verbs
            .iter()
            .copied()
            .filter(|v| *v == "*" || wanted.contains(v))
            .collect()
    };
    let kind_name = format!("{} `{}`", obj.id.kind, obj.id.name);

    if let (true, Some((res_entry, resources))) = (core, field(rule, "resources")) {
        let mut grants: Vec<String> = Vec::new();
        // A namespaced Role reading every Secret of its namespace is less than a ClusterRole
        // doing so everywhere, but still every credential stored there: medium on its own.
        let mut only_namespaced_secrets = false;
        if resources.contains(&"secrets") {
            let v = has_verb(&["get", "list", "watch"]);
            if !v.is_empty() {
                grants.push(if cluster_wide {
                    format!(
                        "{} on secrets (the content of every Secret in scope, all namespaces \
                         when bound by a ClusterRoleBinding)",
                        v.join("/")
                    )
                } else {
                    format!(
                        "{} on secrets (every Secret of the namespace, not just the ones the \
                         workload needs)",
                        v.join("/")
                    )
                });
                only_namespaced_secrets = !cluster_wide;
            }
        }
        for sub in ["pods/exec", "pods/attach"] {
            if resources.contains(&sub) {
                let v = has_verb(&["create", "get"]);
                if !v.is_empty() {
                    grants.push(format!("{} on {sub} (run commands in pods)", v.join("/")));
                }
            }
        }
        if resources.contains(&"nodes/proxy") {
            let v = has_verb(&["get", "create"]);
            if !v.is_empty() {
                grants.push(format!("{} on nodes/proxy (the kubelet API)", v.join("/")));
            }
        }
        if !grants.is_empty() {
            let severity = if only_namespaced_secrets && grants.len() == 1 {
                Severity::Medium
            } else {
                RISKY_GRANT.severity
            };
            em.emit_graded(
                &RISKY_GRANT,
                severity,
                obj,
                res_entry.key.pos,
                format!("rules[{i}].resources").into(),
                format!("rule {i} of {kind_name} grants {}", grants.join("; ")),
            );
        }
    }

    let escalation: Vec<&str> = verbs
        .iter()
        .copied()
        .filter(|v| matches!(*v, "escalate" | "bind" | "impersonate"))
        .collect();
    if !escalation.is_empty() {
        em.emit(
            &RISKY_GRANT,
            obj,
            verbs_entry.key.pos,
            Some(format!("rules[{i}].verbs").into()),
            format!(
                "rule {i} of {kind_name} grants the `{}` verb(s): the subject can raise its own \
                 permissions or act as another identity",
                escalation.join("`, `")
            ),
        );
    }
}

fn cluster_admin_binding(obj: &Object, em: &mut Emitter) {
    let Some(role_ref) = obj.root.get("roleRef") else {
        return;
    };
    let cluster_wide = obj.is("ClusterRoleBinding");
    let role = match role_ref.get("name").and_then(Node::as_str) {
        Some(r @ "cluster-admin") => r,
        // admin and edit bound cluster-wide give every namespace's Secrets, pods/exec and
        // workloads (kube-system's included); in one namespace they are ordinary delegation.
        Some(r @ ("admin" | "edit")) if cluster_wide => r,
        _ => return,
    };
    if role_ref.get("kind").and_then(Node::as_str) != Some("ClusterRole") {
        return;
    }
    let subjects = obj
        .root
        .get("subjects")
        .map(Node::items)
        .unwrap_or_default();
    let is_masters = |s: &Node| {
        s.get("kind").and_then(Node::as_str) == Some("Group")
            && s.get("name").and_then(Node::as_str) == Some("system:masters")
    };
    // No subject grants nothing; system:masters bypasses authorization anyway.
    if subjects.iter().all(is_masters) {
        return;
    }
    let subjects: Vec<String> = subjects.iter().map(describe_subject).collect();
    let pos = key_pos(role_ref, "name", obj.root.pos);
    let (severity, scope) = if role != "cluster-admin" {
        (
            Severity::High,
            "in every namespace, kube-system included".to_string(),
        )
    } else if cluster_wide {
        (Severity::Critical, "in every namespace".to_string())
    } else {
        let scope = match obj.id.namespace.as_deref() {
            Some(ns) => format!("in namespace `{ns}`"),
            None => "in its namespace".to_string(),
        };
        (Severity::High, scope)
    };
    em.emit_graded(
        &CLUSTER_ADMIN_BINDING,
        severity,
        obj,
        pos,
        "roleRef.name".into(),
        format!(
            "{} `{}` grants {role} ({} {scope}) to {}",
            obj.id.kind,
            obj.id.name,
            if role == "cluster-admin" {
                "every action on every resource"
            } else {
                "reading Secrets, exec into pods and changing workloads"
            },
            subjects.join(", ")
        ),
    );
}

fn describe_subject(subject: &Node) -> String {
    let kind = subject
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or("subject");
    let name = subject.get("name").and_then(Node::as_str).unwrap_or("?");
    match subject.get("namespace").and_then(Node::as_str) {
        Some(ns) if kind == "ServiceAccount" => format!("{kind} `{ns}/{name}`"),
        _ => format!("{kind} `{name}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::inventory::{load_str, LoadLimits};
    use palisade_core::Config;

    /// (rule id, line, severity) of this family's findings on `text`.
    fn run(text: &str) -> Vec<(String, u32, Severity)> {
        let config = Config::default();
        let mut em = Emitter::new(&config);
        for obj in load_str("t.yaml", text, &LoadLimits::default()).objects {
            check(&obj, None, &mut em);
        }
        em.into_findings()
            .into_iter()
            .map(|f| (f.rule_id.into_owned(), f.location.line, f.severity))
            .collect()
    }

    #[test]
    fn severities_follow_scope() {
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: a}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: u}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n";
        let got = run(text);
        assert_eq!(
            got,
            [
                ("PAL-RBAC-001".into(), 5, Severity::High),
                ("PAL-RBAC-001".into(), 6, Severity::High),
                ("PAL-RBAC-001".into(), 7, Severity::High),
                ("PAL-RBAC-002".into(), 12, Severity::High),
                ("PAL-NS-001".into(), 17, Severity::Info),
            ]
        );
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        let docs = [
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [null, 3, {verbs: x, resources: {a: b}}, {apiGroups: [[x]], verbs: ['*', null], resources: [secrets], resourceNames: 5}]\n",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: [x]\nsubjects: 3\n",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: cluster-admin}\nsubjects: [null, 1, {kind: [x]}]\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: [x]\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: [default]}\n",
        ];
        for d in docs {
            let _ = run(d);
        }
    }

    #[test]
    fn wildcards_as_the_authorizer_reads_them() {
        assert!(is_wildcard("verbs", "*"));
        assert!(is_wildcard("resources", "*/scale"));
        assert!(!is_wildcard("resources", "pods/*"));
        assert!(!is_wildcard("verbs", "*/scale"));
        assert!(!is_wildcard("apiGroups", ""));
    }
}
