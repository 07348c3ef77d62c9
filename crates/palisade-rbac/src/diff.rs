//! `diff`: the permissions each subject gains and loses between two snapshots of a policy,
//! and which gains match `--fail-on-grant` patterns.
//!
//! How access is flattened (per subject, per side): every binding that applies to the
//! subject ([`applies_to`], its implicit groups counted as [`crate::access`] does) gives,
//! for each rule of its role, one [`Permission`] per scope (`None` for a ClusterRoleBinding,
//! else the RoleBinding's namespace), API group × resource (as written: `*`, `pods/exec`,
//! `*/scale`) with the rule's `resourceNames`, or non-resource URL (ClusterRoleBindings
//! only, as the authorizer never consults RoleBindings for them), and verb. A `*` verb gives
//! the permission `*` itself (which also stands for verbs nobody lists) and one permission
//! per known verb ([`RESOURCE_VERBS`] or [`NON_RESOURCE_VERBS`]), each marked
//! `wildcard` when the side holds it only through `*`.
//!
//! Comparing: a permission of NEW is *added* when no permission of OLD covers it, and one of
//! OLD is *removed* when none of NEW covers it. A permission covers another when its verb is
//! `*` or the same, its scope is cluster-wide or the same, its group and resource are `*`
//! or the same (`*/sub` covers `any/sub`), its `resourceNames` are empty or include all of
//! the other's, and for URLs when it is `*`, the same, or a `prefix*` the other starts with.
//! So a role swapped for an equivalent one changes nothing; `*` replaced by `get, list` is
//! the removal of `*` and of every other known verb, and `get`/`list` stay; a ClusterRoleBinding
//! narrowed to a RoleBinding is only a removal.
//!
//! By default a subject's grants through its implicit groups (`system:authenticated`,
//! `system:serviceaccounts[:NS]`, `system:unauthenticated`) are reported once, under that
//! group, not again under every user ([`DiffOptions::inherited`] turns them back on).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::access::AccessTarget;
use crate::authorize::{applies_to_user, UserInfo};
use crate::grant_pattern::GrantPattern;
use crate::grants::binding_subjects;
use crate::model::{Rule, SubjectKind};
use crate::policy::Policy;
use crate::subject::{
    Subject, ALL_AUTHENTICATED, ALL_SERVICE_ACCOUNTS, ALL_UNAUTHENTICATED, ANONYMOUS,
};
use crate::who_can::Via;

/// The verbs a `*` stands for on resources: the API server's request verbs and the special
/// verbs the authorizer is asked about.
pub const RESOURCE_VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
    "use",
];

/// The verbs a `*` stands for on non-resource URLs (the lower-cased HTTP method).
pub const NON_RESOURCE_VERBS: &[&str] =
    &["get", "post", "put", "patch", "delete", "head", "options"];

/// How to diff.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Also report, under each subject, what it holds through its implicit groups.
    pub inherited: bool,
}

/// One flattened permission.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Permission {
    /// `None`: cluster-wide (ClusterRoleBinding); otherwise a RoleBinding's namespace.
    pub scope: Option<Arc<str>>,
    /// Resource (group, resource, names) or URL.
    pub target: AccessTarget,
    /// The verb (`*` kept as its own permission).
    pub verb: String,
}

/// A permission added or removed, with what grants it on the side where it exists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PermissionChange {
    /// The permission.
    pub permission: Permission,
    /// True when that side holds this verb only through a `*` verb.
    pub wildcard: bool,
    /// Bindings, roles and rules granting it, sorted.
    pub via: Vec<Via>,
}

/// The changes of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectDiff {
    /// The subject.
    pub subject: Subject,
    /// Permissions NEW grants that OLD did not, sorted.
    pub added: Vec<PermissionChange>,
    /// Permissions OLD granted that NEW does not, sorted.
    pub removed: Vec<PermissionChange>,
}

/// The changes between two policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDiff {
    /// Subjects with a change, sorted.
    pub subjects: Vec<SubjectDiff>,
    /// How many subjects were compared.
    pub compared: usize,
}

/// An added permission matching a `--fail-on-grant` pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantMatch {
    /// Who gains it.
    pub subject: Subject,
    /// The permission and its grants.
    pub grant: PermissionChange,
    /// The pattern it matches.
    pub pattern: GrantPattern,
}

/// Every permission of one side: (explicitly held, grants).
type Flat = BTreeMap<Permission, (bool, Vec<Via>)>;

/// The subjects compared: everyone named in a binding on either side, the implicit groups
/// (`system:serviceaccounts:NS` for each namespace with a service account subject) and
/// `system:anonymous`.
pub fn diff_subjects(old: &Policy, new: &Policy) -> Vec<Subject> {
    let mut set: BTreeSet<Subject> = binding_subjects(old).into_iter().collect();
    set.extend(binding_subjects(new));
    let namespaces: BTreeSet<String> = set
        .iter()
        .filter_map(|s| match s {
            Subject::ServiceAccount { namespace, .. } => Some(namespace.clone()),
            _ => None,
        })
        .collect();
    for ns in namespaces {
        set.insert(Subject::Group {
            name: format!("{ALL_SERVICE_ACCOUNTS}:{ns}"),
        });
    }
    for g in [ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ALL_SERVICE_ACCOUNTS] {
        set.insert(Subject::Group { name: g.into() });
    }
    set.insert(Subject::User {
        name: ANONYMOUS.into(),
    });
    set.into_iter().collect()
}

/// The changes of every subject ([`diff_subjects`]) between OLD and NEW.
pub fn diff(old: &Policy, new: &Policy, options: &DiffOptions) -> PolicyDiff {
    let subjects = diff_subjects(old, new);
    let compared = subjects.len();
    let subjects = subjects
        .into_iter()
        .map(|s| diff_subject(old, new, &s, options))
        .filter(|d| !d.added.is_empty() || !d.removed.is_empty())
        .collect();
    PolicyDiff { subjects, compared }
}

/// The changes of one subject between OLD and NEW.
pub fn diff_subject(
    old: &Policy,
    new: &Policy,
    subject: &Subject,
    options: &DiffOptions,
) -> SubjectDiff {
    let before = flatten(old, subject, options);
    let after = flatten(new, subject, options);
    SubjectDiff {
        subject: subject.clone(),
        added: uncovered(&after, &before),
        removed: uncovered(&before, &after),
    }
}

/// The permissions of `side` that `other` does not cover.
fn uncovered(side: &Flat, other: &Flat) -> Vec<PermissionChange> {
    side.iter()
        .filter(|(p, _)| !other.keys().any(|o| covers(o, p)))
        .map(|(p, (explicit, via))| PermissionChange {
            permission: p.clone(),
            wildcard: !explicit,
            via: via.clone(),
        })
        .collect()
}

/// Does `a` allow everything `b` allows?
fn covers(a: &Permission, b: &Permission) -> bool {
    let scope = a.scope.is_none() || a.scope == b.scope;
    let verb = a.verb == "*" || a.verb == b.verb;
    let target = match (&a.target, &b.target) {
        (
            AccessTarget::Resource {
                api_group: ga,
                resource: ra,
                resource_names: na,
            },
            AccessTarget::Resource {
                api_group: gb,
                resource: rb,
                resource_names: nb,
            },
        ) => {
            let group = ga == "*" || ga == gb;
            let resource = ra == "*"
                || ra == rb
                || ra
                    .strip_prefix("*/")
                    .is_some_and(|sub| rb.split_once('/').is_some_and(|(_, s)| s == sub));
            let names = na.is_empty() || (!nb.is_empty() && nb.iter().all(|n| na.contains(n)));
            group && resource && names
        }
        (AccessTarget::NonResource { url: ua }, AccessTarget::NonResource { url: ub }) => {
            ua == "*" || ua == ub || (ua.ends_with('*') && ub.starts_with(ua.trim_end_matches('*')))
        }
        _ => false,
    };
    scope && verb && target
}

/// Does the binding subject reach the user only through one of its implicit groups?
fn implicit_only(
    user: &UserInfo,
    subject: &Subject,
    matched: &crate::model::BindingSubject,
) -> bool {
    let own_group = match subject {
        Subject::Group { name } => Some(name.as_str()),
        _ => None,
    };
    matched.kind == SubjectKind::Group
        && Some(matched.name.as_str()) != own_group
        && user.groups.contains(&matched.name)
}

/// The flattened access of a subject (see the module documentation).
fn flatten(policy: &Policy, subject: &Subject, options: &DiffOptions) -> Flat {
    let user = subject.user_info();
    let mut flat = Flat::new();
    for id in policy.candidate_bindings(&user) {
        let b = &policy.bindings()[id];
        let ns = b.namespace.as_deref().unwrap_or("");
        let counts = b.subjects.iter().any(|s| {
            applies_to_user(&user, s, ns)
                && (options.inherited || !implicit_only(&user, subject, s))
        });
        let Some(role) = policy.role_of(id).filter(|_| counts) else {
            continue;
        };
        for (index, rule) in role.rules.iter().enumerate() {
            let Some(via) = policy.via(id, index) else {
                continue;
            };
            for (target, known) in targets(rule, b.namespace.is_none()) {
                for verb in &rule.verbs {
                    let expanded: &[&str] = if verb == "*" { known } else { &[] };
                    let explicit = std::iter::once((verb.as_str(), true));
                    for (v, explicit) in explicit.chain(expanded.iter().map(|v| (*v, false))) {
                        let key = Permission {
                            scope: b.namespace.clone(),
                            target: target.clone(),
                            verb: v.to_string(),
                        };
                        let entry = flat.entry(key).or_default();
                        entry.0 |= explicit;
                        if !entry.1.contains(&via) {
                            entry.1.push(via.clone());
                        }
                    }
                }
            }
        }
    }
    for (_, via) in flat.values_mut() {
        via.sort();
    }
    flat
}

/// The targets of a rule, each with the verbs a `*` stands for on it.
fn targets(rule: &Rule, cluster_wide: bool) -> Vec<(AccessTarget, &'static [&'static str])> {
    let mut names = rule.resource_names.clone();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for group in &rule.api_groups {
        for resource in &rule.resources {
            let t = AccessTarget::Resource {
                api_group: group.clone(),
                resource: resource.clone(),
                resource_names: names.clone(),
            };
            out.push((t, RESOURCE_VERBS));
        }
    }
    if cluster_wide {
        for url in &rule.non_resource_urls {
            out.push((
                AccessTarget::NonResource { url: url.clone() },
                NON_RESOURCE_VERBS,
            ));
        }
    }
    out
}

/// The rule that grants exactly one permission (for pattern matching).
fn rule_of(p: &Permission) -> Rule {
    let (api_groups, resources, resource_names, non_resource_urls) = match &p.target {
        AccessTarget::Resource {
            api_group,
            resource,
            resource_names,
        } => (
            vec![api_group.clone()],
            vec![resource.clone()],
            resource_names.clone(),
            vec![],
        ),
        AccessTarget::NonResource { url } => (vec![], vec![], vec![], vec![url.clone()]),
    };
    Rule {
        verbs: vec![p.verb.clone()],
        api_groups,
        resources,
        resource_names,
        non_resource_urls,
        location: None,
        aggregated_from: None,
    }
}

/// Every added permission that allows a request of a pattern (as a rule granting just that
/// permission would: wildcards added count), with the pattern; in diff order, then pattern
/// order.
pub fn fail_on_grant(diff: &PolicyDiff, patterns: &[GrantPattern]) -> Vec<GrantMatch> {
    let mut out = Vec::new();
    for s in &diff.subjects {
        for change in &s.added {
            let rule = rule_of(&change.permission);
            let cluster_wide = change.permission.scope.is_none();
            for pattern in patterns {
                if pattern.matches_rule(&rule, cluster_wide) {
                    out.push(GrantMatch {
                        subject: s.subject.clone(),
                        grant: change.clone(),
                        pattern: pattern.clone(),
                    });
                }
            }
        }
    }
    out
}
