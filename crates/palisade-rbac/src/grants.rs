//! Requests and their grants: every binding, role and rule allowing a request (what
//! [`crate::Policy::allows`] decides, with all its reasons), and the subjects bindings name.

use std::collections::BTreeSet;

use crate::authorize::{
    api_group_matches, applies_to, resource_matches, rule_allows, verb_matches, Attributes,
    ResourceAttributes, Target, UserInfo,
};
use crate::model::Role;
use crate::policy::{BindingId, Policy};
use crate::subject::Subject;
use crate::who_can::{grant_subject, GrantSubjectKind, Via};

/// Every binding, role and rule that allows the request: the bindings `VisitRulesFor`
/// visits (ClusterRoleBindings; RoleBindings of the request's namespace), each with its first
/// allowing rule. Empty exactly when [`Policy::allows`] says no.
pub fn grants(policy: &Policy, user: &UserInfo, attrs: &Attributes) -> Vec<Via> {
    Held::of(policy, user).grants(attrs)
}

/// The bindings that apply to one user, with their roles: found once, then asked many
/// requests (the `nodes` query asks hundreds per subject).
pub(crate) struct Held<'p> {
    policy: &'p Policy,
    /// (binding, its namespace, its role), in binding order.
    pub(crate) entries: Vec<(BindingId, Option<&'p str>, &'p Role)>,
}

impl<'p> Held<'p> {
    /// What applies to the user (`appliesTo`), bindings to missing roles left out.
    pub(crate) fn of(policy: &'p Policy, user: &UserInfo) -> Held<'p> {
        let entries = policy
            .candidate_bindings(user)
            .into_iter()
            .filter_map(|id| {
                let b = &policy.bindings()[id];
                let ns = b.namespace.as_deref();
                applies_to(user, &b.subjects, ns.unwrap_or(""))?;
                Some((id, ns, policy.role_of(id)?))
            })
            .collect();
        Held { policy, entries }
    }

    /// [`grants`] for this user.
    pub(crate) fn grants(&self, attrs: &Attributes) -> Vec<Via> {
        let mut out = Vec::new();
        for &(id, ns, role) in &self.entries {
            let visited = match ns {
                None => true,
                Some(ns) => !attrs.namespace.is_empty() && ns == attrs.namespace,
            };
            if !visited {
                continue;
            }
            if let Some(rule) = role.rules.iter().position(|r| rule_allows(attrs, r)) {
                out.extend(self.policy.via(id, rule));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Could any held rule, in some namespace and for some object name, allow the verb on
    /// the resource? A cheap test that spares asking about every namespace.
    pub(crate) fn could(&self, verb: &str, group: &str, resource: &str, sub: &str) -> bool {
        let combined = if sub.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}/{sub}")
        };
        self.entries.iter().any(|(_, _, role)| {
            role.rules.iter().any(|r| {
                verb_matches(r, verb)
                    && api_group_matches(r, group)
                    && resource_matches(r, &combined, sub)
            })
        })
    }
}

/// A resource request's attributes.
pub(crate) fn request(
    verb: &str,
    group: &str,
    resource: &str,
    sub: &str,
    ns: &str,
    name: &str,
) -> Attributes {
    Attributes {
        verb: verb.to_string(),
        namespace: ns.to_string(),
        target: Target::Resource(ResourceAttributes {
            api_group: group.to_string(),
            resource: resource.to_string(),
            subresource: sub.to_string(),
            name: name.to_string(),
        }),
    }
}

/// `resource[.group][/sub]`.
pub(crate) fn spell(group: &str, resource: &str, sub: &str) -> String {
    crate::resource::spell_resource(group, resource, sub)
}

/// Every subject named in a binding (ServiceAccounts with their effective namespace),
/// sorted and deduplicated.
pub fn binding_subjects(policy: &Policy) -> Vec<Subject> {
    let mut set = BTreeSet::new();
    for b in policy.bindings() {
        for s in &b.subjects {
            let Some(g) = grant_subject(s, b.kind, b.namespace.as_deref()) else {
                continue;
            };
            set.insert(match g.kind {
                GrantSubjectKind::User => Subject::User { name: g.name },
                GrantSubjectKind::Group => Subject::Group { name: g.name },
                GrantSubjectKind::ServiceAccount => Subject::ServiceAccount {
                    namespace: g.namespace.unwrap_or_default(),
                    name: g.name,
                },
            });
        }
    }
    set.into_iter().collect()
}

/// The grants of two requests together, sorted.
pub(crate) fn merge(mut a: Vec<Via>, b: &[Via]) -> Vec<Via> {
    a.extend(b.iter().cloned());
    a.sort();
    a.dedup();
    a
}
