//! `access`: everything one subject holds, per namespace, as the rules say it (wildcards
//! kept as `*`, never expanded), each entry attributed to the bindings and roles granting it.
//!
//! The bindings that count are those `appliesTo` matches for the subject's user name and
//! groups ([`crate::Subject::user_info`], implicit groups included). A ClusterRoleBinding's
//! entries are listed once under the cluster-wide scope (they hold in every namespace and
//! for cluster-scoped resources); a RoleBinding's under its namespace. Non-resource URLs in
//! a rule reached through a RoleBinding are left out: a non-resource request has no
//! namespace, so the authorizer never consults RoleBindings for it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::authorize::{applies_to, UserInfo};
use crate::policy::Policy;
use crate::subject::Subject;
use crate::who_can::Via;

/// What an entry is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum AccessTarget {
    /// Resources of a group (`*` kept as written).
    #[serde(rename_all = "camelCase")]
    Resource {
        /// API group (`""` core, `*` all).
        api_group: String,
        /// Resource, `resource/subresource`, `*` or `*/subresource`.
        resource: String,
        /// The `resourceNames` restriction, sorted (empty: every name).
        resource_names: Vec<String>,
    },
    /// A non-resource URL pattern.
    NonResource {
        /// The URL pattern.
        url: String,
    },
}

/// Verbs held on one target, and what grants them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    /// Target.
    pub target: AccessTarget,
    /// Every verb held, sorted (`*` kept as written).
    pub verbs: Vec<String>,
    /// Each binding/role/rule and the verbs it gives, sorted.
    pub grants: Vec<VerbGrant>,
}

/// The verbs one rule gives on a target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VerbGrant {
    /// Verbs of the rule.
    pub verbs: Vec<String>,
    /// Binding, role, rule.
    pub via: Via,
}

/// The entries of one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeAccess {
    /// `None`: cluster-wide (ClusterRoleBindings); otherwise a RoleBinding namespace.
    pub namespace: Option<Arc<str>>,
    /// Entries sorted by target.
    pub entries: Vec<AccessEntry>,
}

/// What a subject holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessMatrix {
    /// The subject asked about.
    pub subject: Subject,
    /// The user name and groups it was judged as.
    pub user: UserInfo,
    /// The cluster-wide scope first (when any), then namespaces sorted.
    pub scopes: Vec<ScopeAccess>,
}

type Entries = BTreeMap<AccessTarget, (BTreeSet<String>, Vec<VerbGrant>)>;

/// Everything the subject may do, per scope.
pub fn access(policy: &Policy, subject: &Subject) -> AccessMatrix {
    let user = subject.user_info();
    let mut scopes: BTreeMap<Option<Arc<str>>, Entries> = BTreeMap::new();
    for id in policy.candidate_bindings(&user) {
        let b = &policy.bindings()[id];
        if applies_to(&user, &b.subjects, b.namespace.as_deref().unwrap_or("")).is_none() {
            continue;
        }
        let Some(role) = policy.role_of(id) else {
            continue;
        };
        let entries = scopes.entry(b.namespace.clone()).or_default();
        for (index, rule) in role.rules.iter().enumerate() {
            if rule.verbs.is_empty() {
                continue;
            }
            let Some(via) = policy.via(id, index) else {
                continue;
            };
            let mut add = |target: AccessTarget| {
                let (verbs, grants) = entries.entry(target).or_default();
                verbs.extend(rule.verbs.iter().cloned());
                grants.push(VerbGrant {
                    verbs: rule.verbs.clone(),
                    via: via.clone(),
                });
            };
            let mut names = rule.resource_names.clone();
            names.sort();
            names.dedup();
            for group in &rule.api_groups {
                for resource in &rule.resources {
                    add(AccessTarget::Resource {
                        api_group: group.clone(),
                        resource: resource.clone(),
                        resource_names: names.clone(),
                    });
                }
            }
            if b.namespace.is_none() {
                for url in &rule.non_resource_urls {
                    add(AccessTarget::NonResource { url: url.clone() });
                }
            }
        }
    }
    let scopes = scopes
        .into_iter()
        .filter(|(_, e)| !e.is_empty())
        .map(|(namespace, entries)| ScopeAccess {
            namespace,
            entries: entries
                .into_iter()
                .map(|(target, (verbs, mut grants))| {
                    grants.sort();
                    grants.dedup();
                    AccessEntry {
                        target,
                        verbs: verbs.into_iter().collect(),
                        grants,
                    }
                })
                .collect(),
        })
        .collect();
    AccessMatrix {
        subject: subject.clone(),
        user,
        scopes,
    }
}
