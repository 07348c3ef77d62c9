//! Bad RBAC input as findings: bindings to roles that exist nowhere, and objects the API
//! server would reject or the authorizer can never use ([`crate::ProblemKind`]), each at
//! its file:line.

use palisade_core::{Controls, Emitter, Family, Rule, Severity};

use super::spec::{NSA_RBAC, RBAC_REF};
use crate::model::ProblemKind;
use crate::policy::Policy;

/// PAL-RBAC-025.
pub(crate) static ROLE_NOT_FOUND: Rule = Rule {
    id: "PAL-RBAC-025",
    title: "Binding refers to a role that exists nowhere",
    severity: Severity::Medium,
    family: Family::Rbac,
    description: "A binding whose role is neither in the input nor a Kubernetes default \
        grants nothing today, and the authorizer skips it. But the grant is latent: whoever \
        later creates a role of that name (in the binding's namespace, for a Role) gives \
        its permissions to the binding's subjects without touching the binding, which is \
        how renamed or deleted roles turn into surprise grants. The analysis never guesses \
        what the role would contain.",
    remediation: "Delete the binding, or point it at the role that replaced the old one.",
    references: &[RBAC_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_RBAC],
        mitre: &[],
    },
};

/// PAL-RBAC-026.
pub(crate) static MALFORMED: Rule = Rule {
    id: "PAL-RBAC-026",
    title: "Malformed RBAC object",
    severity: Severity::Medium,
    family: Family::Rbac,
    description: "An RBAC object the API server would reject, or that the authorizer can \
        never use as written: a binding without `roleRef` or with an invalid one, a \
        ClusterRoleBinding to a `Role`, a subject of unknown kind or without a name, a \
        ServiceAccount subject of a ClusterRoleBinding without a namespace, a rule without \
        verbs, mixing resources and nonResourceURLs, or missing apiGroups or resources, a \
        field that is not a list of strings, an invalid aggregation selector, an object \
        without a name. Medium when the API server rejects it or the grant silently does \
        nothing; low for duplicates (the later definition is analysed, as applying the files \
        in order would leave it), nonResourceURLs in a namespaced Role, and written rules an \
        aggregated ClusterRole's controller replaces. The rest of the input is analysed.",
    remediation: "Fix the object as the message says; `kubectl apply --dry-run=server` shows \
        what the API server rejects.",
    references: &[RBAC_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_RBAC],
        mitre: &[],
    },
};

/// Severity of a problem that is not a missing role.
fn severity(kind: ProblemKind) -> Severity {
    match kind {
        ProblemKind::Duplicate
        | ProblemKind::NonResourceUrlsInRole
        | ProblemKind::AggregatedRulesReplaced => Severity::Low,
        _ => Severity::Medium,
    }
}

/// PAL-RBAC-025 and PAL-RBAC-026 over the policy's problems.
pub(crate) fn check(policy: &Policy, em: &mut Emitter<'_>) {
    for p in policy.problems() {
        let (rule, sev) = match p.kind {
            ProblemKind::RoleNotFound => (&ROLE_NOT_FOUND, ROLE_NOT_FOUND.severity),
            kind => (&MALFORMED, severity(kind)),
        };
        let message = format!("{} ({})", p.message, p.kind.as_str());
        em.emit_graded_at(rule, sev, &p.object, p.location.clone(), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_low_and_rejections_medium() {
        assert_eq!(severity(ProblemKind::Duplicate), Severity::Low);
        assert_eq!(severity(ProblemKind::MissingRoleRef), Severity::Medium);
        assert_eq!(severity(ProblemKind::UnknownSubjectKind), Severity::Medium);
    }
}
