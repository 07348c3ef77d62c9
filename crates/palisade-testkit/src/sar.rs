//! SubjectAccessReview questions and answers (`authorization.k8s.io/v1`).
//!
//! A [`Sar`] is one access question: who ([`Subject`]: a user name and the groups the authenticator
//! would have given it) asks to do what ([`Attributes`]: a resource or a non-resource request). The
//! API server answers it with the RBAC authorizer's decision ([`SarAnswer`]). The authorizer sees the
//! groups exactly as sent: the API server adds no implicit group to a review, so a question for an
//! authenticated user must list `system:authenticated` itself ([`Subject::user`] does).

use std::fmt;

use anyhow::{anyhow, Context as _};
use serde_json::{json, Value};

/// The group every authenticated request carries (`user.AllAuthenticated` upstream).
pub const AUTHENTICATED: &str = "system:authenticated";
/// The group of every service account (`serviceaccount.AllServiceAccountsGroup` upstream).
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";

/// Who asks: a user name and its groups, as the authenticator hands them to the authorizer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    /// The user name (`system:serviceaccount:NS:NAME` for a service account).
    pub user: String,
    /// Every group the request carries, implicit ones included.
    pub groups: Vec<String>,
}

impl Subject {
    /// An authenticated user: its own groups plus `system:authenticated`, as the API server's
    /// authentication chain hands them on (upstream's `group.AuthenticatedGroupAdder`).
    pub fn user(name: &str, groups: &[&str]) -> Subject {
        let mut all: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
        if !all.iter().any(|g| g == AUTHENTICATED) {
            all.push(AUTHENTICATED.to_owned());
        }
        Subject {
            user: name.to_owned(),
            groups: all,
        }
    }

    /// A service account as its token authenticates: user `system:serviceaccount:NS:NAME`, groups
    /// `system:serviceaccounts`, `system:serviceaccounts:NS` and `system:authenticated` (upstream's
    /// `serviceaccount.UserInfo` plus the authenticated-group adder).
    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject {
            user: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                ALL_SERVICE_ACCOUNTS.to_owned(),
                format!("{ALL_SERVICE_ACCOUNTS}:{namespace}"),
                AUTHENTICATED.to_owned(),
            ],
        }
    }
}

/// A request on an API resource (`ResourceAttributes`). Empty strings mean "not set": an empty
/// namespace is a cluster-scoped or all-namespaces request, an empty name a request on no single
/// object (list, create, watch), an empty group the core group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceAttributes {
    /// Namespace, or "" for cluster scope / all namespaces.
    pub namespace: String,
    /// Verb (`get`, `list`, `create`, ..., or any custom verb such as `use` or `escalate`).
    pub verb: String,
    /// API group ("" is the core group).
    pub group: String,
    /// Resource (plural), without the subresource.
    pub resource: String,
    /// Subresource (`exec`, `scale`, `status`), or "".
    pub subresource: String,
    /// Object name, or "".
    pub name: String,
}

/// A request on a path outside the resource API (`NonResourceAttributes`), e.g. `/metrics`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NonResourceAttributes {
    /// The URL path.
    pub path: String,
    /// The HTTP verb in lower case (`get`, `post`, ...).
    pub verb: String,
}

/// What is asked: a resource request or a non-resource request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attributes {
    /// A request on an API resource.
    Resource(ResourceAttributes),
    /// A request on a non-resource path.
    NonResource(NonResourceAttributes),
}

impl Attributes {
    /// A resource request: `verb` on `group`/`resource` in `namespace` ("" for cluster scope).
    /// Set `subresource` and `name` with [`Attributes::with_subresource`] and [`Attributes::named`].
    pub fn resource(namespace: &str, verb: &str, group: &str, resource: &str) -> Attributes {
        Attributes::Resource(ResourceAttributes {
            namespace: namespace.to_owned(),
            verb: verb.to_owned(),
            group: group.to_owned(),
            resource: resource.to_owned(),
            subresource: String::new(),
            name: String::new(),
        })
    }

    /// A non-resource request: `verb` on `path`.
    pub fn non_resource(verb: &str, path: &str) -> Attributes {
        Attributes::NonResource(NonResourceAttributes {
            path: path.to_owned(),
            verb: verb.to_owned(),
        })
    }

    /// The same resource request on a subresource (no effect on a non-resource request).
    pub fn with_subresource(mut self, subresource: &str) -> Attributes {
        if let Attributes::Resource(r) = &mut self {
            r.subresource = subresource.to_owned();
        }
        self
    }

    /// The same resource request on the object `name` (no effect on a non-resource request).
    pub fn named(mut self, name: &str) -> Attributes {
        if let Attributes::Resource(r) = &mut self {
            r.name = name.to_owned();
        }
        self
    }

    /// The verb of either kind of request.
    pub fn verb(&self) -> &str {
        match self {
            Attributes::Resource(r) => &r.verb,
            Attributes::NonResource(n) => &n.verb,
        }
    }
}

impl fmt::Display for Attributes {
    /// In the words of `kubectl auth can-i`: `get pods/exec/NAME -n NS`, `get /metrics`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attributes::NonResource(n) => write!(f, "{} {}", n.verb, n.path),
            Attributes::Resource(r) => {
                write!(f, "{} {}", r.verb, r.resource)?;
                if !r.group.is_empty() {
                    write!(f, ".{}", r.group)?;
                }
                if !r.subresource.is_empty() {
                    write!(f, "/{}", r.subresource)?;
                }
                if !r.name.is_empty() {
                    write!(f, " name={}", r.name)?;
                }
                if r.namespace.is_empty() {
                    write!(f, " (cluster)")
                } else {
                    write!(f, " -n {}", r.namespace)
                }
            }
        }
    }
}

/// One access question for the authorizer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sar {
    /// Who asks.
    pub subject: Subject,
    /// What is asked.
    pub attributes: Attributes,
}

impl Sar {
    /// The question `subject` asks `attributes`.
    pub fn new(subject: Subject, attributes: Attributes) -> Sar {
        Sar {
            subject,
            attributes,
        }
    }

    /// The `SubjectAccessReview` object to POST.
    pub fn to_json(&self) -> Value {
        let mut spec = json!({ "user": self.subject.user, "groups": self.subject.groups });
        match &self.attributes {
            Attributes::Resource(r) => {
                spec["resourceAttributes"] = json!({
                    "namespace": r.namespace, "verb": r.verb, "group": r.group,
                    "resource": r.resource, "subresource": r.subresource, "name": r.name,
                });
            }
            Attributes::NonResource(n) => {
                spec["nonResourceAttributes"] = json!({ "path": n.path, "verb": n.verb });
            }
        }
        json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": spec,
        })
    }
}

impl fmt::Display for Sar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}]: {}",
            self.subject.user,
            self.subject.groups.join(","),
            self.attributes
        )
    }
}

/// The authorizer's answer (`SubjectAccessReviewStatus`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SarAnswer {
    /// The request is allowed.
    pub allowed: bool,
    /// The request is explicitly denied (RBAC never denies explicitly: it allows or has no opinion).
    pub denied: bool,
    /// Why. For an RBAC allow, the first granting binding upstream's `rbacAuthorizer.Authorize`
    /// met, e.g. `RBAC: allowed by RoleBinding "read/team-a" of Role "reader" to User "alice"`; for
    /// no decision, the errors met on the way (e.g. `RBAC: role.rbac.authorization.k8s.io "x"
    /// not found`), or "" when there were none.
    pub reason: String,
    /// An error of the authorizer itself (RBAC reports its lookup errors in `reason` instead).
    pub evaluation_error: String,
}

impl SarAnswer {
    /// Reads the answer from the `SubjectAccessReview` the API server returned.
    pub fn from_json(review: &Value) -> anyhow::Result<SarAnswer> {
        let status = review
            .get("status")
            .ok_or_else(|| anyhow!("SubjectAccessReview answer without status: {review}"))?;
        let text = |key: &str| {
            status
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let flag = |key: &str| status.get(key).and_then(Value::as_bool).unwrap_or(false);
        let answer = SarAnswer {
            allowed: flag("allowed"),
            denied: flag("denied"),
            reason: text("reason"),
            evaluation_error: text("evaluationError"),
        };
        // `allowed` is required in the schema; a status without it is not an answer.
        status
            .get("allowed")
            .and_then(Value::as_bool)
            .context("SubjectAccessReview status without `allowed`")?;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_account_subject_carries_the_implicit_groups() {
        let s = Subject::service_account("team-a", "builder");
        assert_eq!(s.user, "system:serviceaccount:team-a:builder");
        assert_eq!(
            s.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:team-a",
                "system:authenticated"
            ]
        );
        let u = Subject::user("alice", &["devs", AUTHENTICATED]);
        assert_eq!(u.groups, ["devs", AUTHENTICATED]);
    }

    #[test]
    fn review_body_has_exactly_one_kind_of_attributes() {
        let sar = Sar::new(
            Subject::user("alice", &["devs"]),
            Attributes::resource("team-a", "create", "", "pods")
                .with_subresource("exec")
                .named("web"),
        );
        let body = sar.to_json();
        assert_eq!(body["spec"]["resourceAttributes"]["subresource"], "exec");
        assert_eq!(body["spec"]["resourceAttributes"]["name"], "web");
        assert!(body["spec"].get("nonResourceAttributes").is_none());
        assert_eq!(
            sar.to_string(),
            "alice [devs,system:authenticated]: create pods/exec name=web -n team-a"
        );
        let nr = Sar::new(
            sar.subject.clone(),
            Attributes::non_resource("get", "/metrics"),
        );
        assert_eq!(
            nr.to_json()["spec"]["nonResourceAttributes"]["path"],
            "/metrics"
        );
        assert!(nr.to_json()["spec"].get("resourceAttributes").is_none());
    }

    #[test]
    fn answer_requires_allowed() {
        let ok = SarAnswer::from_json(&json!({"status": {"allowed": true, "reason": "r"}}));
        assert_eq!(
            ok.map(|a| (a.allowed, a.reason)).ok(),
            Some((true, "r".into()))
        );
        assert!(SarAnswer::from_json(&json!({"status": {}})).is_err());
        assert!(SarAnswer::from_json(&json!({})).is_err());
    }
}
