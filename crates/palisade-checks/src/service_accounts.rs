//! Service accounts (CIS 5.1.5, 5.1.6): the `default` account that every pod without a
//! `serviceAccountName` runs as, bindings that grant it (or every account) permissions, and
//! legacy long-lived token Secrets. The `palisade-rbac` crate follows grants further; these
//! rules judge one object at a time.

use palisade_core::yaml::Node;
use palisade_core::{Controls, Family, Object, Rule, Severity, Workload};

use crate::util::key_pos;
use crate::{Checks, Emitter};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[
        &DEFAULT_ACCOUNT_AUTOMOUNT,
        &DEFAULT_ACCOUNT_BOUND,
        &LEGACY_TOKEN,
    ],
    object: Some(check),
    in_context: None,
    inventory: None,
};

const SA_CONFIG_REF: &str =
    "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/";
const SA_ADMIN_REF: &str =
    "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/";
const RBAC_SA_REF: &str =
    "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#service-account-permissions";

pub(crate) static DEFAULT_ACCOUNT_AUTOMOUNT: Rule = Rule {
    id: "PAL-SA-001",
    title: "`default` ServiceAccount mounts its token",
    severity: Severity::Low,
    family: Family::ServiceAccounts,
    description: "Every pod that names no service account runs as its namespace's `default` \
        account, and gets its API token mounted unless the pod or the account opts out. \
        Setting `automountServiceAccountToken: false` on the `default` account makes \
        \"no API access\" the default for every such pod; workloads that need the API then \
        get an account of their own.",
    remediation: "Set `automountServiceAccountToken: false` on the namespace's `default` \
        ServiceAccount, and give workloads that call the API their own ServiceAccount.",
    references: &[SA_CONFIG_REF, SA_ADMIN_REF],
    controls: Controls {
        pss: None,
        cis: &["5.1.5"],
        nsa: &["Pod security: protecting pod service account tokens"],
        mitre: &["T1528"],
    },
};

pub(crate) static DEFAULT_ACCOUNT_BOUND: Rule = Rule {
    id: "PAL-SA-002",
    title: "Role bound to a `default` service account",
    severity: Severity::Medium,
    family: Family::ServiceAccounts,
    description: "A namespace's `default` ServiceAccount is shared by every pod there that \
        names no account, so a role bound to it is a role given to all of them, including \
        pods added later by anyone who may create pods. The subjects `Group \
        system:serviceaccounts` and `system:serviceaccounts:<ns>` include every account, \
        `default` among them. In a RoleBinding a ServiceAccount subject without a namespace \
        means the binding's own namespace, as the RBAC authorizer reads it.",
    remediation: "Create a ServiceAccount for the workload that needs the permissions, bind \
        the role to it, and set `serviceAccountName` on that workload only.",
    references: &[RBAC_SA_REF, SA_CONFIG_REF],
    controls: Controls {
        pss: None,
        cis: &["5.1.5"],
        nsa: &["Authentication and authorization: role-based access control"],
        mitre: &["T1078.001"],
    },
};

pub(crate) static LEGACY_TOKEN: Rule = Rule {
    id: "PAL-SA-003",
    title: "Long-lived service-account token Secret",
    severity: Severity::Medium,
    family: Family::ServiceAccounts,
    description: "A Secret of type `kubernetes.io/service-account-token` makes the control \
        plane mint a token that never expires and is not bound to a pod: whoever reads the \
        Secret (or any copy of it) can act as the account until the Secret is deleted. \
        Since Kubernetes 1.22 pods get short-lived, audience-bound projected tokens instead, \
        and since 1.24 such Secrets are no longer created automatically; unused ones are \
        cleaned up from 1.29.",
    remediation: "Delete the Secret and use projected tokens (the default for pods), or \
        `kubectl create token` / the TokenRequest API for clients outside the cluster.",
    references: &[SA_ADMIN_REF, SA_CONFIG_REF],
    controls: Controls {
        pss: None,
        cis: &["5.1.5"],
        nsa: &["Pod security: protecting pod service account tokens"],
        mitre: &["T1528", "T1552.007"],
    },
};

fn check(obj: &Object, _workload: Option<&Workload>, em: &mut Emitter) {
    match obj.id.kind.as_str() {
        "ServiceAccount" if obj.id.name == "default" => default_account(obj, em),
        "RoleBinding" | "ClusterRoleBinding" => bindings(obj, em),
        "Secret" => legacy_token(obj, em),
        _ => {}
    }
}

fn default_account(obj: &Object, em: &mut Emitter) {
    let entry = obj.root.entry("automountServiceAccountToken");
    if entry.and_then(|e| e.value.as_bool()) == Some(false) {
        return;
    }
    let message = match entry {
        Some(e) if !e.value.is_null() => format!(
            "the `default` ServiceAccount sets automountServiceAccountToken to `{}`: every \
             pod of the namespace that names no account gets its token",
            e.value.scalar_text().unwrap_or("a non-boolean")
        ),
        _ => "the `default` ServiceAccount does not set automountServiceAccountToken: false: \
              every pod of the namespace that names no account gets its token"
            .to_string(),
    };
    em.emit(
        &DEFAULT_ACCOUNT_AUTOMOUNT,
        obj,
        entry.map_or(obj.root.pos, |e| e.key.pos),
        Some("automountServiceAccountToken".into()),
        message,
    );
}

/// What a subject grants to a namespace's `default` account: a description, or `None`.
fn covers_default(subject: &Node, binding_ns: Option<&str>, cluster_wide: bool) -> Option<String> {
    let kind = subject.get("kind").and_then(Node::as_str)?;
    let name = subject.get("name").and_then(Node::as_str)?;
    match kind {
        "ServiceAccount" if name == "default" => {
            let ns = subject
                .get("namespace")
                .and_then(Node::as_str)
                .filter(|n| !n.is_empty())
                .or(if cluster_wide { None } else { binding_ns });
            Some(match ns {
                Some(ns) => format!("ServiceAccount `{ns}/default`"),
                None => "ServiceAccount `default`".to_string(),
            })
        }
        // The form a service account authenticates as.
        "User" => {
            let rest = name.strip_prefix("system:serviceaccount:")?;
            let (ns, account) = rest.split_once(':')?;
            (account == "default").then(|| format!("User `{name}` (ServiceAccount `{ns}/default`)"))
        }
        "Group" if name == "system:serviceaccounts" => {
            Some("Group `system:serviceaccounts` (every service account of every namespace)".into())
        }
        "Group" => {
            let ns = name.strip_prefix("system:serviceaccounts:")?;
            Some(format!(
                "Group `{name}` (every service account of namespace `{ns}`)"
            ))
        }
        _ => None,
    }
}

fn bindings(obj: &Object, em: &mut Emitter) {
    let cluster_wide = obj.is("ClusterRoleBinding");
    let Some(subjects) = obj.root.entry("subjects") else {
        return;
    };
    let role = obj
        .root
        .get("roleRef")
        .map(|r| {
            format!(
                "{} `{}`",
                r.get("kind").and_then(Node::as_str).unwrap_or("role"),
                r.get("name").and_then(Node::as_str).unwrap_or("?")
            )
        })
        .unwrap_or_else(|| "its role".into());
    for (i, subject) in subjects.value.items().iter().enumerate() {
        let Some(who) = covers_default(subject, obj.id.namespace.as_deref(), cluster_wide) else {
            continue;
        };
        let scope = if cluster_wide {
            "in every namespace"
        } else {
            "in its namespace"
        };
        em.emit(
            &DEFAULT_ACCOUNT_BOUND,
            obj,
            key_pos(subject, "name", subject.pos),
            Some(format!("subjects[{i}]").into()),
            format!(
                "{} `{}` grants {role} {scope} to {who}, so every pod running as a namespace's \
                 `default` account holds it",
                obj.id.kind, obj.id.name
            ),
        );
    }
}

fn legacy_token(obj: &Object, em: &mut Emitter) {
    let Some(entry) = obj.root.entry("type") else {
        return;
    };
    if entry.value.as_str() != Some("kubernetes.io/service-account-token") {
        return;
    }
    let account = obj
        .annotation("kubernetes.io/service-account.name")
        .map_or_else(
            || "a service account".to_string(),
            |a| format!("ServiceAccount `{a}`"),
        );
    em.emit(
        &LEGACY_TOKEN,
        obj,
        entry.key.pos,
        Some("type".into()),
        format!(
            "Secret `{}` asks for a non-expiring API token of {account}; use projected or \
             TokenRequest tokens instead",
            obj.id.name
        ),
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn odd_shapes_do_not_panic() {
        let odd = [
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}\nautomountServiceAccountToken: [x]\n",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\nsubjects: [1, null, {kind: [x], name: default}, {kind: User, name: 'system:serviceaccount:'}, {kind: Group, name: 'system:serviceaccounts:'}]\nroleRef: 3\n",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nsubjects: {kind: ServiceAccount}\n",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s, annotations: [x]}\ntype: [1]\n",
        ];
        crate::test_support::survives_odd_shapes(&super::CHECKS, &odd);
    }

    #[test]
    fn user_form_of_the_default_account_is_recognised() {
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: app}\nroleRef: {kind: Role, name: r}\nsubjects:\n- {kind: User, name: 'system:serviceaccount:app:default'}\n- {kind: User, name: 'system:serviceaccount:app:web'}\n- {kind: ServiceAccount, name: default}\n";
        let found = crate::test_support::findings_of(text, &super::CHECKS);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].message.contains("ServiceAccount `app/default`"));
        assert!(found[1].message.contains("ServiceAccount `app/default`"));
    }
}
