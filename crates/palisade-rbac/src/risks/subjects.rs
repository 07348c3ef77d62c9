//! Who receives a grant: everyone (`system:anonymous`, `system:unauthenticated`,
//! `system:authenticated`), and a namespace's `default` service account, which every pod
//! that names no account runs as.

use palisade_core::{Controls, Emitter, Family, Rule, Severity};

use super::judge::RoleRisks;
use super::spec::{GOOD_PRACTICES, NSA_RBAC, RBAC_REF};
use super::At;
use crate::model::SubjectKind;
use crate::subject::{ALL_AUTHENTICATED, ALL_SERVICE_ACCOUNTS, ALL_UNAUTHENTICATED, ANONYMOUS};

/// PAL-RBAC-022.
pub(crate) static PUBLIC_GROUPS: Rule = Rule {
    id: "PAL-RBAC-022",
    title: "Binding grants a role to anonymous or all authenticated users",
    severity: Severity::High,
    family: Family::Rbac,
    description: "The subjects `User system:anonymous` and `Group system:unauthenticated` are \
        every request without credentials (when anonymous authentication is on, the \
        default); `Group system:authenticated` is every identity the cluster accepts, every \
        service account of every namespace included. A role bound to them is granted to \
        everyone who can reach the API server, or to any stolen token. Critical when the \
        role grants a risky permission (the PAL-RBAC-010 to PAL-RBAC-021 kinds), else high \
        for unauthenticated subjects and medium for `system:authenticated`. Bindings to the \
        built-in discovery roles (system:discovery, system:basic-user, \
        system:public-info-viewer) are what Kubernetes itself grants and are not reported.",
    remediation: "Bind the role to the groups or service accounts that need it; keep the \
        public groups bound to the discovery roles only.",
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles",
        GOOD_PRACTICES,
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_RBAC],
        mitre: &["T1078", "T1190"],
    },
};

/// PAL-RBAC-023.
pub(crate) static DEFAULT_ACCOUNT: Rule = Rule {
    id: "PAL-RBAC-023",
    title: "A `default` service account holds permissions",
    severity: Severity::Low,
    family: Family::Rbac,
    description: "Every pod that names no service account runs as its namespace's `default` \
        account, so what that account holds, every such pod holds, including pods created \
        later by anyone allowed to create pods. Reported on each binding subject that covers \
        a `default` account (`ServiceAccount default`, its user name \
        `system:serviceaccount:NS:default`, or the groups `system:serviceaccounts` and \
        `system:serviceaccounts:NS`) when the bound role exists and grants something, with \
        the severity of the riskiest permission it grants (low when none is risky). This \
        complements PAL-SA-002, which judges the binding alone (also at admission, without \
        the role): this rule reads what the role actually grants, wildcards and aggregation \
        included, and stays silent when the role is missing (PAL-RBAC-025) or grants \
        nothing.",
    remediation: "Create a ServiceAccount for the workload that needs the permissions, bind \
        the role to it, and set `serviceAccountName` on that workload only.",
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#service-account-permissions",
        RBAC_REF,
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.5"],
        nsa: &[NSA_RBAC],
        mitre: &["T1078.001"],
    },
};

/// Built-in roles the public groups are bound to by every cluster.
const DISCOVERY_ROLES: &[&str] = &[
    "system:discovery",
    "system:basic-user",
    "system:public-info-viewer",
];

/// Who a public subject is, or `None` when the subject is not public.
fn public(kind: &SubjectKind, name: &str) -> Option<(&'static str, bool)> {
    match (kind, name) {
        (SubjectKind::User, ANONYMOUS) => Some(("every unauthenticated request", true)),
        (SubjectKind::Group, ALL_UNAUTHENTICATED) => Some(("every unauthenticated request", true)),
        (SubjectKind::Group, ALL_AUTHENTICATED) => {
            Some(("every authenticated user and every service account", false))
        }
        _ => None,
    }
}

/// `edit, read Secrets` style summary of what a role grants, for one-line messages.
pub(crate) fn summary(risks: &RoleRisks) -> String {
    if risks.admin.is_some() {
        return "every verb on every resource (cluster-admin equivalent)".to_string();
    }
    let names: Vec<&str> = risks.found.iter().map(|f| f.spec.what).collect();
    names.join("; ")
}

/// PAL-RBAC-022 on one subject.
pub(crate) fn public_groups(at: &At<'_>, risks: &RoleRisks, em: &mut Emitter<'_>) {
    let Some((meaning, unauthenticated)) = public(&at.subject.kind, &at.subject.name) else {
        return;
    };
    let built_in = at.role.origin.is_bootstrap()
        || at.role.label("kubernetes.io/bootstrapping") == Some("rbac-defaults");
    if built_in && DISCOVERY_ROLES.contains(&&*at.role.name) {
        return;
    }
    let (severity, what) = if risks.is_empty() {
        let s = if unauthenticated {
            Severity::High
        } else {
            Severity::Medium
        };
        (
            s,
            format!("{} rule(s), none of the risky kinds", at.role.rules.len()),
        )
    } else {
        (Severity::Critical, summary(risks))
    };
    at.emit(
        em,
        &PUBLIC_GROUPS,
        severity,
        format!(
            "{} ({meaning}) is granted {} {}: {what}",
            at.who, at.role_text, at.scope_text
        ),
    );
}

/// The `default` accounts a subject covers, described; `None` when it covers none.
fn default_accounts(at: &At<'_>) -> Option<String> {
    let s = at.subject;
    match s.kind {
        SubjectKind::ServiceAccount if s.name == "default" => Some(at.who.clone()),
        SubjectKind::User => {
            let rest = s.name.strip_prefix(crate::SERVICE_ACCOUNT_USER_PREFIX)?;
            let (ns, name) = rest.rsplit_once(':')?;
            (name == "default").then(|| format!("{} (ServiceAccount `{ns}/default`)", at.who))
        }
        SubjectKind::Group if s.name == ALL_SERVICE_ACCOUNTS => Some(format!(
            "{} (the `default` account of every namespace among them)",
            at.who
        )),
        SubjectKind::Group => {
            let ns = s
                .name
                .strip_prefix(ALL_SERVICE_ACCOUNTS)?
                .strip_prefix(':')?;
            Some(format!(
                "{} (ServiceAccount `{ns}/default` among them)",
                at.who
            ))
        }
        _ => None,
    }
}

/// PAL-RBAC-023 on one subject.
pub(crate) fn default_account(at: &At<'_>, risks: &RoleRisks, em: &mut Emitter<'_>) {
    let Some(who) = default_accounts(at) else {
        return;
    };
    let granting = at.role.rules.iter().filter(|r| !r.verbs.is_empty()).count();
    if granting == 0 {
        return;
    }
    let (severity, risky) = match risks.max_severity() {
        Some(s) => (s, format!("; among them: {}", summary(risks))),
        None => (Severity::Low, String::new()),
    };
    at.emit(
        em,
        &DEFAULT_ACCOUNT,
        severity,
        format!(
            "{who} holds {} {} ({granting} rule(s){risky}): every pod of the namespace that \
             names no service account runs with it",
            at.role_text, at.scope_text
        ),
    );
}
