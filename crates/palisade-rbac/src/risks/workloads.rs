//! Workloads whose service account holds a risky permission: pod spec →
//! `serviceAccountName` (default `default`) in the workload's namespace → every binding
//! that covers that account (its name, `system:serviceaccounts`,
//! `system:serviceaccounts:NS`, `system:authenticated`) → the risks its roles grant.
//! Whether the token is in the pod follows the kubelet's and the ServiceAccount admission
//! plugin's reading (`automountServiceAccountToken` on the pod wins over the account's;
//! unset means mounted), and a projected `serviceAccountToken` volume mounts one anyway.

use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};
use palisade_core::yaml::Node;
use palisade_core::{Controls, Emitter, Family, Inventory, Object, Rule, Severity, Workload};

use super::accounts::WorkloadAccounts;
use super::grant::Scope;
use super::judge::{describe_role, describe_rule, describe_scope, Judge};
use super::spec::NSA_RBAC;
use crate::authorize::{applies_to, UserInfo, SERVICE_ACCOUNT_USER_PREFIX};
use crate::model::{BindingKind, UNSET_NAMESPACE};
use crate::policy::Policy;
use crate::subject::{ALL_AUTHENTICATED, ALL_SERVICE_ACCOUNTS};

/// PAL-RBAC-024.
pub(crate) static WORKLOAD_ACCOUNT: Rule = Rule {
    id: "PAL-RBAC-024",
    title: "Workload runs as a service account with a risky permission",
    severity: Severity::High,
    family: Family::Rbac,
    description: "A pod's service-account token is in its file system: whoever gets code \
        running in the container (a vulnerable dependency, an exposed debug endpoint) gets \
        the account's permissions. Reported on the workload when its account (the \
        `serviceAccountName`, or the namespace's `default` account) holds a permission of \
        the PAL-RBAC-010 to PAL-RBAC-021 kinds through any binding, built-in ones included, \
        with the severity of the riskiest one, and the bindings that grant them. When \
        neither the pod nor the account mounts the token (`automountServiceAccountToken: \
        false`, and no projected serviceAccountToken volume), the finding is low: the \
        permission is still granted, but the pod does not carry it.",
    remediation: "Give the workload an account of its own with only the permissions it \
        uses, and set `automountServiceAccountToken: false` on workloads that do not call \
        the API.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/service-accounts/",
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.6"],
        nsa: &[
            NSA_RBAC,
            "Pod security: protecting pod service account tokens",
        ],
        mitre: &["T1528", "T1552.007"],
    },
};

/// One risk an account holds, through one binding.
struct Held {
    what: &'static str,
    severity: Severity,
    via: String,
}

/// What a service account holds, strongest per risk, riskiest first.
fn held(policy: &Policy, judge: &Judge<'_>, ns: &str, name: &str) -> Vec<Held> {
    let user = UserInfo {
        name: format!("{SERVICE_ACCOUNT_USER_PREFIX}{ns}:{name}"),
        groups: vec![
            ALL_SERVICE_ACCOUNTS.to_string(),
            format!("{ALL_SERVICE_ACCOUNTS}:{ns}"),
            ALL_AUTHENTICATED.to_string(),
        ],
    };
    let mut out: Vec<Held> = Vec::new();
    let mut keep = |what: &'static str, severity: Severity, via: String| match out
        .iter_mut()
        .find(|h| h.what == what)
    {
        Some(h) if h.severity >= severity => {}
        Some(h) => {
            h.severity = severity;
            h.via = via;
        }
        None => out.push(Held {
            what,
            severity,
            via,
        }),
    };
    for id in policy.candidate_bindings(&user) {
        let b = &policy.bindings()[id];
        let b_ns = b.namespace.as_deref().unwrap_or("");
        if applies_to(&user, &b.subjects, b_ns).is_none() {
            continue;
        }
        let Some(role_id) = policy.resolved_role(id) else {
            continue;
        };
        let role = &policy.roles()[role_id];
        let scope = match b.kind {
            BindingKind::ClusterRoleBinding => Scope::Cluster,
            BindingKind::RoleBinding => Scope::Namespace,
        };
        let risks = judge.risks(role_id, scope);
        let via = |rule: usize| {
            format!(
                "{} `{}` → {} ({}) {}",
                b.kind.as_str(),
                b.name,
                describe_role(role),
                describe_rule(role, rule),
                describe_scope(scope, b.namespace.as_deref())
            )
        };
        if let Some((rule, severity)) = risks.admin {
            keep(
                "do everything (cluster-admin equivalent)",
                severity,
                via(rule),
            );
            continue;
        }
        for f in &risks.found {
            keep(f.spec.what, f.severity, via(f.grant.rule));
        }
    }
    out.sort_by_key(|h| std::cmp::Reverse(h.severity));
    out
}

/// Whether the pod carries the account's token, and why.
fn token_state(w: &Workload<'_>, account: Option<&Object>) -> (bool, &'static str) {
    let projected = w.volumes().iter().any(|v| {
        v.get_path(&["projected", "sources"])
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|s| s.get("serviceAccountToken").is_some())
    });
    if projected {
        return (true, "a projected serviceAccountToken volume mounts it");
    }
    let pod = w
        .get("automountServiceAccountToken")
        .and_then(Node::as_bool);
    let sa = account
        .and_then(|a| a.root.get("automountServiceAccountToken"))
        .and_then(Node::as_bool);
    match (pod, sa) {
        (Some(true), _) => (true, "the pod sets automountServiceAccountToken: true"),
        (Some(false), _) => (false, "the pod sets automountServiceAccountToken: false"),
        (None, Some(true)) => (true, "the account sets automountServiceAccountToken: true"),
        (None, Some(false)) => (
            false,
            "the account sets automountServiceAccountToken: false",
        ),
        (None, None) if account.is_some() => (
            true,
            "neither the pod nor the account disables automounting",
        ),
        (None, None) => (
            true,
            "the pod does not disable automounting, and the account is not in the input",
        ),
    }
}

/// PAL-RBAC-024 over every workload of the inventory; `read`: each object's account, read
/// ahead ([`WorkloadAccounts`], one record per object in order).
pub(crate) fn check(
    policy: &Policy,
    judge: &Judge<'_>,
    inv: &Inventory,
    read: &WorkloadAccounts,
    em: &mut Emitter<'_>,
) {
    let mut accounts: HashMap<(&str, &str), &Object> =
        HashMap::with_capacity(read.accounts().len());
    for o in read.accounts().iter().filter_map(|&i| inv.objects.get(i)) {
        let ns = o.id.namespace.as_deref().unwrap_or(UNSET_NAMESPACE);
        accounts.insert((ns, o.id.name.as_str()), o);
    }
    // Keyed by borrowed names: most workloads share an account already judged.
    let mut cache: HashMap<(&str, &str), Arc<Vec<Held>>> = HashMap::new();
    let workloads = read
        .records()
        .iter()
        .filter_map(|(i, account)| Some((inv.objects.get(*i)?, account)));
    for (obj, account) in workloads {
        let ns = obj.id.namespace.as_deref().unwrap_or(UNSET_NAMESPACE);
        let name = account.name();
        let risks = Arc::clone(
            cache
                .entry((ns, name))
                .or_insert_with(|| Arc::new(held(policy, judge, ns, name))),
        );
        let Some(top) = risks.first() else { continue };
        // A finding: the tree is read again for the token and the field, for this one only.
        let Some(w) = Workload::of(obj) else { continue };
        let named = account.named.as_ref();
        let (mounted, why) = token_state(&w, accounts.get(&(ns, name)).copied());
        let severity = if mounted { top.severity } else { Severity::Low };
        let pos = named.map_or(w.spec.pos, |(_, pos)| *pos);
        let listed: Vec<String> = risks
            .iter()
            .take(3)
            .map(|h| format!("{} (through {})", h.what, h.via))
            .collect();
        let more = match risks.len() {
            n if n > 3 => format!(", and {} more", n - 3),
            _ => String::new(),
        };
        let runs_as = match named {
            Some(_) => format!("ServiceAccount `{ns}/{name}`"),
            None => format!("ServiceAccount `{ns}/default` (no serviceAccountName)"),
        };
        let token = if mounted {
            format!("its token is mounted ({why})")
        } else {
            format!("its token is not mounted ({why})")
        };
        let message = format!(
            "{} `{}` runs as {runs_as}, which can {}{more}; {token}",
            obj.id.kind,
            obj.id.name,
            listed.join("; ")
        );
        let field = w.field_path("serviceAccountName");
        em.emit_graded(&WORKLOAD_ACCOUNT, severity, obj, pos, field, message);
    }
}
