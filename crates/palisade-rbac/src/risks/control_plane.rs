//! The control plane's own safeguards: admission webhooks, and the events an investigation
//! reads.

use palisade_core::{Controls, Family, Rule, Severity};

use super::grant::Probe;
use super::spec::{RiskSpec, GOOD_PRACTICES, NSA_RBAC};

/// PAL-RBAC-020.
pub(crate) static WEBHOOKS: Rule = Rule {
    id: "PAL-RBAC-020",
    title: "Binding grants changing admission webhook configurations",
    severity: Severity::High,
    family: Family::Rbac,
    description: "Validating and mutating webhook configurations decide which objects the \
        API server sends to which webhook. Whoever writes them can switch off the policy \
        engines that enforce security (delete, or narrow a rule), or send every object, \
        Secrets included, to a webhook of their own that reads or rewrites it (injecting a \
        privileged container into every new pod). A cluster-scoped resource: only \
        ClusterRoleBindings grant it.",
    remediation: "Leave webhook configurations to the operators that own them, and read \
        access to everyone else.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks",
        "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.12"],
        nsa: &[NSA_RBAC],
        mitre: &["T1098"],
    },
};

/// PAL-RBAC-021.
pub(crate) static EVENTS_DELETE: Rule = Rule {
    id: "PAL-RBAC-021",
    title: "Binding grants deleting events",
    severity: Severity::Medium,
    family: Family::Rbac,
    description: "Events record what happened to objects (failed mounts, image pulls, \
        evictions, who was denied). A subject that can delete them can remove the traces of \
        what it did from `kubectl get events` and from tools that read them. Medium through \
        a ClusterRoleBinding, low in one namespace.",
    remediation: "Leave event deletion to the API server's own expiry (`--event-ttl`); keep \
        audit logs outside the cluster.",
    references: &[GOOD_PRACTICES],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_RBAC],
        mitre: &[],
    },
};

const ADMISSION: &str = "admissionregistration.k8s.io";
const WEBHOOK_WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
const DELETE: &[&str] = &["delete", "deletecollection"];

pub(crate) static SPECS: &[RiskSpec] = &[
    RiskSpec {
        rule: &WEBHOOKS,
        what: "change admission webhook configurations",
        why: "it can switch off policy enforcement or intercept and rewrite every object",
        probes: &[
            Probe::cluster(WEBHOOK_WRITE, ADMISSION, "validatingwebhookconfigurations"),
            Probe::cluster(WEBHOOK_WRITE, ADMISSION, "mutatingwebhookconfigurations"),
        ],
        also: &[],
        also_full_names: &[],
        cluster: Severity::High,
        namespaced: None,
    },
    RiskSpec {
        rule: &EVENTS_DELETE,
        what: "delete events",
        why: "it can erase the record of what happened",
        probes: &[
            Probe::ns(DELETE, "", "events"),
            Probe::ns(DELETE, "events.k8s.io", "events"),
        ],
        also: &[],
        also_full_names: &[],
        cluster: Severity::Medium,
        namespaced: Some(Severity::Low),
    },
];
