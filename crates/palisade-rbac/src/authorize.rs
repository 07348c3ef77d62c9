//! The RBAC authorizer's decision for one request, mirroring
//! plugin/pkg/auth/authorizer/rbac/rbac.go (`Authorize`, `RuleAllows`),
//! pkg/registry/rbac/validation/rule.go (`VisitRulesFor`, `appliesTo`, `appliesToUser`) and
//! pkg/apis/rbac/v1/evaluation_helpers.go (`VerbMatches`, `APIGroupMatches`,
//! `ResourceMatches`, `ResourceNameMatches`, `NonResourceURLMatches`).
//!
//! The matching functions are public so that other analyses (and tests) use the very same
//! judgement.

use serde::Serialize;

use crate::model::{Binding, BindingSubject, Role, Rule, SubjectKind};

/// The authenticated user as the authenticator hands it to authorization: a name and
/// groups. Groups such as `system:authenticated` are *input*, not something RBAC derives;
/// [`crate::Subject::user_info`] adds the ones Kubernetes' authenticators add.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct UserInfo {
    /// User name (`alice`, `system:serviceaccount:NS:NAME`, `system:anonymous`); empty for a
    /// pure group query (an empty name matches no `User` subject).
    pub name: String,
    /// Groups.
    pub groups: Vec<String>,
}

/// What a resource request is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceAttributes {
    /// API group (`""` for the core group).
    pub api_group: String,
    /// Resource (plural, `pods`).
    pub resource: String,
    /// Subresource (`exec`), or empty.
    pub subresource: String,
    /// Object name, or empty (list, create, and requests for a whole collection).
    pub name: String,
}

/// The target of a request: a resource or a non-resource path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Target {
    /// A resource request.
    Resource(ResourceAttributes),
    /// A non-resource request (`/healthz`).
    NonResource {
        /// The path.
        path: String,
    },
}

/// A request's attributes apart from the user: verb, namespace and target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Attributes {
    /// Verb (`get`, `list`, `create`, `impersonate`, ...).
    pub verb: String,
    /// Namespace, or empty for cluster-scoped resources and non-resource requests
    /// (RoleBindings are consulted only when it is not empty).
    pub namespace: String,
    /// What is asked for.
    pub target: Target,
}

/// One authorization request: who, and what.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Request {
    /// The user.
    pub user: UserInfo,
    /// Verb, namespace, target.
    pub attributes: Attributes,
}

/// The decision, with what granted it.
#[derive(Debug, Clone, Copy)]
pub enum Decision<'p> {
    /// Allowed by this binding, role and rule (the first found in the authorizer's order:
    /// ClusterRoleBindings, then RoleBindings of the request's namespace).
    Allow {
        /// The binding.
        binding: &'p Binding,
        /// The subject of the binding that matched (the first, as `appliesTo` returns).
        subject: &'p BindingSubject,
        /// The role it refers to.
        role: &'p Role,
        /// Index of the rule in `role.rules`.
        rule: usize,
    },
    /// RBAC does not allow it (the authorizer answers "no opinion"; with RBAC as the last
    /// authorizer that is a denial).
    NoOpinion,
}

impl Decision<'_> {
    /// True when allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }
}

/// `RuleAllows`: does one rule allow the request's attributes? For a resource request the
/// resource is combined with the subresource as `resource/subresource`.
pub fn rule_allows(attrs: &Attributes, rule: &Rule) -> bool {
    match &attrs.target {
        Target::Resource(r) => {
            let combined;
            let resource = if r.subresource.is_empty() {
                r.resource.as_str()
            } else {
                combined = format!("{}/{}", r.resource, r.subresource);
                combined.as_str()
            };
            verb_matches(rule, &attrs.verb)
                && api_group_matches(rule, &r.api_group)
                && resource_matches(rule, resource, &r.subresource)
                && resource_name_matches(rule, &r.name)
        }
        Target::NonResource { path } => {
            verb_matches(rule, &attrs.verb) && non_resource_url_matches(rule, path)
        }
    }
}

/// `VerbMatches`: `*` or the exact verb.
pub fn verb_matches(rule: &Rule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

/// `APIGroupMatches`: `*` or the exact group.
pub fn api_group_matches(rule: &Rule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

/// `ResourceMatches`: `*`, the exact combined `resource[/subresource]`, or, for a request
/// with a subresource, `*/subresource`. Nothing else is a pattern: `pods/*` matches only a
/// subresource literally named `*`.
pub fn resource_matches(rule: &Rule, combined: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        r == "*"
            || r == combined
            || (!subresource.is_empty()
                && r.len() == subresource.len() + 2
                && r.starts_with("*/")
                && r.ends_with(subresource))
    })
}

/// `ResourceNameMatches`: no `resourceNames` matches every name; otherwise the request's
/// name must be listed (so a request without a name, such as `list` or `create`, does not
/// match a rule restricted by name).
pub fn resource_name_matches(rule: &Rule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| n == name)
}

/// `NonResourceURLMatches`: `*`, the exact path, or a rule ending in `*` whose part before
/// the trailing stars is a prefix of the path.
pub fn non_resource_url_matches(rule: &Rule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == "*" || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
    })
}

/// `appliesToUser`: does one binding subject cover the user? `namespace` is the
/// RoleBinding's namespace (empty for a ClusterRoleBinding): a ServiceAccount subject
/// without a namespace defaults to it.
pub fn applies_to_user(user: &UserInfo, subject: &BindingSubject, namespace: &str) -> bool {
    match subject.kind {
        // A nameless User subject is rejected by validation and no authenticated user is
        // nameless; refusing it keeps a pure group query (empty user name) exact.
        SubjectKind::User => !subject.name.is_empty() && user.name == subject.name,
        SubjectKind::Group => user.groups.contains(&subject.name),
        SubjectKind::ServiceAccount => {
            let ns = subject.namespace.as_deref().unwrap_or(namespace);
            !ns.is_empty() && matches_service_account_username(ns, &subject.name, &user.name)
        }
        SubjectKind::Other(_) => false,
    }
}

/// The user name a ServiceAccount authenticates as.
pub const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

/// `serviceaccount.MatchesUsername`: is `username` exactly
/// `system:serviceaccount:<namespace>:<name>`?
pub fn matches_service_account_username(namespace: &str, name: &str, username: &str) -> bool {
    username
        .strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)
        .and_then(|rest| rest.strip_prefix(namespace))
        .and_then(|rest| rest.strip_prefix(':'))
        == Some(name)
}

/// `appliesTo`: the first subject of a binding that covers the user.
pub fn applies_to<'b>(
    user: &UserInfo,
    subjects: &'b [BindingSubject],
    namespace: &str,
) -> Option<&'b BindingSubject> {
    subjects
        .iter()
        .find(|s| applies_to_user(user, s, namespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> Rule {
        Rule::for_resources(verbs, groups, resources, names)
    }

    #[test]
    fn star_subresource_needs_exact_length_and_a_subresource() {
        let r = rule(&["get"], &[""], &["*/scale"], &[]);
        assert!(resource_matches(&r, "deployments/scale", "scale"));
        assert!(!resource_matches(&r, "deployments", ""));
        assert!(!resource_matches(&r, "deployments/xscale", "xscale"));
        let p = rule(&["get"], &[""], &["pods/*"], &[]);
        assert!(!resource_matches(&p, "pods/exec", "exec"));
    }

    #[test]
    fn service_account_usernames_match_exactly() {
        assert!(matches_service_account_username(
            "ns",
            "sa",
            "system:serviceaccount:ns:sa"
        ));
        assert!(!matches_service_account_username(
            "ns",
            "sa",
            "system:serviceaccount:ns:sab"
        ));
        assert!(!matches_service_account_username(
            "n",
            "s:sa",
            "system:serviceaccount:ns:sa"
        ));
        assert!(matches_service_account_username(
            "a:b",
            "c",
            "system:serviceaccount:a:b:c"
        ));
    }
}
