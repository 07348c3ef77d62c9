//! Privilege escalation through RBAC itself: roles equal to cluster-admin, the `escalate`,
//! `bind` and `impersonate` verbs, and writing roles and bindings.
//!
//! The API server prevents escalation when a role or binding is written
//! (`ConfirmNoEscalation` and `BindingAuthorized` in pkg/registry/rbac/escalation_check.go):
//! `escalate` on roles lifts the first check, `bind` on roles the second, and
//! `impersonate` makes every check run as someone else (the impersonation filter in
//! staging/src/k8s.io/apiserver/pkg/endpoints/filters/impersonation.go).

use palisade_core::{Controls, Family, Rule, Severity};

use super::grant::Probe;
use super::spec::{RiskSpec, GOOD_PRACTICES, NSA_RBAC, RBAC_REF};

const RBAC: &str = "rbac.authorization.k8s.io";

/// PAL-RBAC-010.
pub(crate) static ADMIN_EQUIVALENT: Rule = Rule {
    id: "PAL-RBAC-010",
    title: "Binding grants a cluster-admin equivalent (`*` verbs on `*` resources in `*` groups)",
    severity: Severity::Critical,
    family: Family::Rbac,
    description: "A role with a rule granting every verb on every resource of every API group \
        (and no resourceNames) is cluster-admin under another name: it includes reading every \
        Secret, exec into every pod, creating privileged pods, and escalate, bind and \
        impersonate, so its holder can grant itself anything else. Reported on each binding \
        that grants such a role, per subject: critical through a ClusterRoleBinding, high \
        through a RoleBinding (full control of the namespace, its Secrets and its RBAC). \
        Bindings to the built-in cluster-admin, admin and edit roles by name are PAL-RBAC-002's \
        and are not reported again; when a role is this broad, the narrower risks \
        (PAL-RBAC-011 to PAL-RBAC-021) are not reported for the same binding.",
    remediation: "Replace the role with one listing the API groups, resources and verbs the \
        subject needs; keep full access for break-glass identities with short-lived \
        credentials.",
    references: &[
        GOOD_PRACTICES,
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.1", "5.1.3"],
        nsa: &[NSA_RBAC],
        mitre: &["T1078", "T1098.006"],
    },
};

/// PAL-RBAC-011.
pub(crate) static ESCALATION_VERBS: Rule = Rule {
    id: "PAL-RBAC-011",
    title: "Binding grants escalate, bind or impersonate",
    severity: Severity::Critical,
    family: Family::Rbac,
    description: "`escalate` on roles lets a subject write a role with permissions it does \
        not hold; `bind` on roles lets it bind any role, cluster-admin included, to itself; \
        `impersonate` on users, groups or service accounts lets it send requests as them \
        (`system:masters` included, through a group). Each is a path to every other \
        permission, and a `*` verb grants all three. Critical through a ClusterRoleBinding; \
        high through a RoleBinding, where only namespaced targets are reachable (roles of \
        the namespace, impersonating its service accounts, and binding ClusterRoles in the \
        namespace: the API server asks for `bind` in the namespace of the RoleBinding being \
        written). A grant limited by \
        resourceNames (binding only named roles, the documented way to delegate) is one step \
        lower.",
    remediation: "Remove these verbs, or restrict `bind` and `escalate` to the named roles \
        the subject may hand out and `impersonate` to named identities.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#bind-verb",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#impersonate-verb",
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.8"],
        nsa: &[NSA_RBAC],
        mitre: &["T1098.006", "T1078"],
    },
};

/// PAL-RBAC-012.
pub(crate) static RBAC_WRITE: Rule = Rule {
    id: "PAL-RBAC-012",
    title: "Binding grants writing roles or bindings",
    severity: Severity::High,
    family: Family::Rbac,
    description: "create, update or patch of Roles, ClusterRoles, RoleBindings or \
        ClusterRoleBindings lets a subject hand its own permissions to anyone (a service \
        account it controls, `system:anonymous`) and change roles other subjects hold. \
        Escalation prevention stops it from granting more than it has, unless it also holds \
        escalate or bind (PAL-RBAC-011). High through a ClusterRoleBinding, medium in one \
        namespace.",
    remediation: "Leave RBAC changes to a reviewed pipeline; give people read access to RBAC \
        objects, and delegate namespace administration with the built-in `admin` role only \
        where it is meant.",
    references: &[GOOD_PRACTICES, RBAC_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_RBAC],
        mitre: &["T1098.006"],
    },
};

pub(crate) static SPECS: &[RiskSpec] = &[
    RiskSpec {
        rule: &ESCALATION_VERBS,
        what: "escalate, bind or impersonate",
        why: "a path to every other permission",
        probes: &[
            Probe::ns(&["escalate", "bind"], RBAC, "roles"),
            // `BindingAuthorized` asks for `bind` on the ClusterRole in the namespace of the
            // RoleBinding being written, so a RoleBinding's `bind` on clusterroles lets its
            // subject bind any ClusterRole (cluster-admin included) in that namespace;
            // `escalate` on a ClusterRole is asked with no namespace.
            Probe::ns(&["bind"], RBAC, "clusterroles"),
            Probe::cluster(&["escalate"], RBAC, "clusterroles"),
            Probe::cluster(&["impersonate"], "", "users"),
            Probe::cluster(&["impersonate"], "", "groups"),
            Probe::ns(&["impersonate"], "", "serviceaccounts"),
        ],
        also: &[],
        also_full_names: &[],
        cluster: Severity::Critical,
        namespaced: Some(Severity::High),
    },
    RiskSpec {
        rule: &RBAC_WRITE,
        what: "write roles or bindings",
        why: "it can hand its permissions to any subject and change what others hold",
        probes: &[
            Probe::ns(&["create", "update", "patch"], RBAC, "roles"),
            Probe::ns(&["create", "update", "patch"], RBAC, "rolebindings"),
            Probe::cluster(&["create", "update", "patch"], RBAC, "clusterroles"),
            Probe::cluster(&["create", "update", "patch"], RBAC, "clusterrolebindings"),
        ],
        also: &[],
        also_full_names: &[],
        cluster: Severity::High,
        namespaced: Some(Severity::Medium),
    },
];
