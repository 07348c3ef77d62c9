//! `who-can`: every subject a request would be allowed for, and through what.
//!
//! A rule's verdict does not depend on the namespace (rules name no namespace), so each
//! role is judged once per query; the namespace only chooses which bindings count, as
//! `VisitRulesFor` does: ClusterRoleBindings always, RoleBindings of the request's
//! namespace when it has one. Without a namespace the query runs over every namespace at
//! once: a ClusterRoleBinding's grant holds everywhere, a RoleBinding's only in its
//! namespace, which each [`Via`] states. Non-resource URLs have no namespace, so only
//! ClusterRoleBindings grant them; the same holds, in a query across namespaces, for the
//! built-in cluster-scoped resources ([`crate::CLUSTER_SCOPED`]: `nodes`,
//! `nodes/proxy`, `namespaces`, ...). With an explicit namespace the query is answered as a
//! SubjectAccessReview with that namespace would be, literally.
//!
//! Groups are reported as groups (`system:authenticated` is one grant, not every user).

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::Location;
use serde::Serialize;

use crate::authorize::{rule_allows, Attributes, ResourceAttributes, Target};
use crate::model::{BindingKind, Key, SubjectKind};
use crate::policy::{BindingId, Policy};
use crate::resource::ResourceSpec;

/// A who-can question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Verb.
    pub verb: String,
    /// Resource or non-resource URL.
    pub resource: ResourceSpec,
    /// Namespace; `None` asks across every namespace (and cluster-wide).
    pub namespace: Option<String>,
    /// Object name; `None` asks about the whole collection, which a rule restricted by
    /// `resourceNames` does not grant.
    pub name: Option<String>,
}

impl Query {
    /// The request attributes, with the given namespace.
    pub fn attributes(&self, namespace: &str) -> Attributes {
        let target = match &self.resource {
            ResourceSpec::NonResource { path } => Target::NonResource { path: path.clone() },
            ResourceSpec::Resource {
                api_group,
                resource,
                subresource,
                ..
            } => Target::Resource(ResourceAttributes {
                api_group: api_group.clone(),
                resource: resource.clone(),
                subresource: subresource.clone(),
                name: self.name.clone().unwrap_or_default(),
            }),
        };
        let namespace = match target {
            Target::NonResource { .. } => String::new(),
            Target::Resource(_) => namespace.to_string(),
        };
        Attributes {
            verb: self.verb.clone(),
            namespace,
            target,
        }
    }
}

/// A subject as a binding names it (a ServiceAccount's namespace filled in from its
/// RoleBinding when left out, as `appliesToUser` does).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct GrantSubject {
    /// `User`, `Group` or `ServiceAccount` (sorted in that order).
    pub kind: GrantSubjectKind,
    /// Namespace of a ServiceAccount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

/// Kind of a [`GrantSubject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum GrantSubjectKind {
    /// `User`.
    User,
    /// `Group`.
    Group,
    /// `ServiceAccount`.
    ServiceAccount,
}

impl GrantSubjectKind {
    /// The kind as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantSubjectKind::User => "User",
            GrantSubjectKind::Group => "Group",
            GrantSubjectKind::ServiceAccount => "ServiceAccount",
        }
    }
}

/// One path by which a permission is held: binding, role, rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Via {
    /// Where the grant holds: `None` for a ClusterRoleBinding (every namespace and
    /// cluster-scoped resources), the namespace of a RoleBinding.
    pub namespace: Option<Arc<str>>,
    /// The binding.
    pub binding: Key,
    /// The role it refers to.
    pub role: Key,
    /// Index of the granting rule in the role's effective rules.
    pub rule: usize,
    /// Where that rule was written (for an aggregated rule: in the role it came from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_location: Option<Location>,
}

/// A subject and every way it holds the permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// Who.
    pub subject: GrantSubject,
    /// Through what, sorted.
    pub via: Vec<Via>,
}

impl Policy {
    /// The [`Via`] of a binding and one rule of its role.
    pub(crate) fn via(&self, binding: BindingId, rule: usize) -> Option<Via> {
        let b = &self.bindings()[binding];
        let role = self.role_of(binding)?;
        Some(Via {
            namespace: b.namespace.clone(),
            binding: b.key(),
            role: role.key(),
            rule,
            rule_location: role.rules.get(rule).and_then(|r| r.location.clone()),
        })
    }
}

/// Every subject that may do what the query asks, with each binding, role and rule that
/// grants it; subjects sorted by kind, namespace, name.
pub fn who_can(policy: &Policy, query: &Query) -> Vec<Grant> {
    let non_resource = matches!(query.resource, ResourceSpec::NonResource { .. });
    let cluster_scoped = query.resource.is_cluster_scoped();
    let attrs = query.attributes(query.namespace.as_deref().unwrap_or(""));
    // Per role: the first rule allowing the request, judged once.
    let mut verdict: Vec<Option<Option<usize>>> = vec![None; policy.roles().len()];
    let mut judge = |role: usize| -> Option<usize> {
        *verdict[role].get_or_insert_with(|| {
            policy.roles()[role]
                .rules
                .iter()
                .position(|r| rule_allows(&attrs, r))
        })
    };
    let mut bindings: Vec<BindingId> = policy.cluster_binding_ids().to_vec();
    if !non_resource {
        match &query.namespace {
            Some(ns) => {
                if let Some(ids) = policy.role_binding_ids().get(ns.as_str()) {
                    bindings.extend(ids);
                }
            }
            None if cluster_scoped => {}
            None => bindings.extend(policy.role_binding_ids().values().flatten()),
        }
    }
    let mut grants: BTreeMap<GrantSubject, Vec<Via>> = BTreeMap::new();
    for id in bindings {
        let Some(role) = policy.resolved_role(id) else {
            continue;
        };
        let Some(rule) = judge(role) else { continue };
        let Some(via) = policy.via(id, rule) else {
            continue;
        };
        let b = &policy.bindings()[id];
        for s in &b.subjects {
            if let Some(subject) = grant_subject(s, b.kind, b.namespace.as_deref()) {
                grants.entry(subject).or_default().push(via.clone());
            }
        }
    }
    grants
        .into_iter()
        .map(|(subject, mut via)| {
            via.sort();
            via.dedup();
            Grant { subject, via }
        })
        .collect()
}

/// The subject a binding entry grants to, or `None` when it can match no one.
pub(crate) fn grant_subject(
    s: &crate::model::BindingSubject,
    kind: BindingKind,
    binding_namespace: Option<&str>,
) -> Option<GrantSubject> {
    if s.name.is_empty() {
        return None;
    }
    let (kind, namespace) = match s.kind {
        SubjectKind::User => (GrantSubjectKind::User, None),
        SubjectKind::Group => (GrantSubjectKind::Group, None),
        SubjectKind::ServiceAccount => {
            let ns = s.namespace.as_deref().or(match kind {
                BindingKind::RoleBinding => binding_namespace,
                BindingKind::ClusterRoleBinding => None,
            })?;
            (GrantSubjectKind::ServiceAccount, Some(ns.to_string()))
        }
        SubjectKind::Other(_) => return None,
    };
    Some(GrantSubject {
        kind,
        namespace,
        name: s.name.clone(),
    })
}
