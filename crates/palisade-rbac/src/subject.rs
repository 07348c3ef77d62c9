//! Who a query is about: a user, a group or a service account, and the name and groups the
//! authenticator would hand the authorizer for them.
//!
//! Groups are the authenticator's output, not RBAC's: RBAC only compares them. Kubernetes'
//! authenticators add these, and so does [`Subject::user_info`]:
//! - every authenticated user is in `system:authenticated`;
//! - a service account `NS/NAME` authenticates as `system:serviceaccount:NS:NAME` in the
//!   groups `system:serviceaccounts`, `system:serviceaccounts:NS` and
//!   `system:authenticated` (k8s.io/apiserver serviceaccount `UserInfo`);
//! - an unauthenticated request is user `system:anonymous` in `system:unauthenticated`
//!   (the anonymous authenticator).
//!
//! A group query asks what *a member of that group* holds through the group, plus
//! `system:authenticated` (every member of a real group is authenticated); the groups
//! `system:unauthenticated` and `system:authenticated` stand for themselves alone.

use std::fmt;

use serde::Serialize;

use crate::authorize::{UserInfo, SERVICE_ACCOUNT_USER_PREFIX};

/// `system:authenticated`.
pub const ALL_AUTHENTICATED: &str = "system:authenticated";
/// `system:unauthenticated`.
pub const ALL_UNAUTHENTICATED: &str = "system:unauthenticated";
/// `system:anonymous`.
pub const ANONYMOUS: &str = "system:anonymous";
/// `system:serviceaccounts`.
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";

/// A subject of a query.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "PascalCase")]
pub enum Subject {
    /// A user.
    User {
        /// Name.
        name: String,
    },
    /// A group.
    Group {
        /// Name.
        name: String,
    },
    /// A service account.
    ServiceAccount {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
}

impl Subject {
    /// The user name and groups the authorizer would see for this subject (see the module
    /// documentation for the implicit groups).
    pub fn user_info(&self) -> UserInfo {
        match self {
            Subject::User { name } if name == ANONYMOUS => UserInfo {
                name: name.clone(),
                groups: vec![ALL_UNAUTHENTICATED.into()],
            },
            Subject::User { name } => {
                // A service account named as a user gets a service account's groups.
                if let Some(sa) = service_account_of(name) {
                    return sa.user_info();
                }
                UserInfo {
                    name: name.clone(),
                    groups: vec![ALL_AUTHENTICATED.into()],
                }
            }
            Subject::Group { name } => {
                let mut groups = vec![name.clone()];
                if name != ALL_UNAUTHENTICATED && name != ALL_AUTHENTICATED {
                    groups.push(ALL_AUTHENTICATED.into());
                }
                UserInfo {
                    name: String::new(),
                    groups,
                }
            }
            Subject::ServiceAccount { namespace, name } => UserInfo {
                name: format!("{SERVICE_ACCOUNT_USER_PREFIX}{namespace}:{name}"),
                groups: vec![
                    ALL_SERVICE_ACCOUNTS.into(),
                    format!("{ALL_SERVICE_ACCOUNTS}:{namespace}"),
                    ALL_AUTHENTICATED.into(),
                ],
            },
        }
    }
}

/// `system:serviceaccount:NS:NAME` as a service account (namespaces have no colon).
fn service_account_of(user: &str) -> Option<Subject> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)?;
    let (namespace, name) = rest.split_once(':')?;
    (!namespace.is_empty() && !name.is_empty()).then(|| Subject::ServiceAccount {
        namespace: namespace.into(),
        name: name.into(),
    })
}

impl fmt::Display for Subject {
    /// The form [`parse_subject`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User { name } => write!(f, "user:{name}"),
            Subject::Group { name } => write!(f, "group:{name}"),
            Subject::ServiceAccount { namespace, name } => write!(f, "sa:{namespace}/{name}"),
        }
    }
}

/// A subject that does not parse. Its message lists the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectError {
    /// The text given.
    pub input: String,
}

/// The accepted subject forms, for messages.
pub const SUBJECT_FORMS: &str =
    "user:NAME, group:NAME, sa:NAMESPACE/NAME (also serviceaccount:NAMESPACE/NAME)";

impl fmt::Display for SubjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read subject `{}`; accepted forms: {SUBJECT_FORMS}",
            self.input
        )
    }
}

impl std::error::Error for SubjectError {}

/// Parses `user:alice`, `group:devs` or `sa:NS/NAME` (`serviceaccount:` is accepted too,
/// and a user named `system:serviceaccount:NS:NAME` is that service account). The prefix
/// is case-insensitive; names are kept as written.
pub fn parse_subject(text: &str) -> Result<Subject, SubjectError> {
    let err = || SubjectError {
        input: text.to_string(),
    };
    let (prefix, rest) = text.split_once(':').ok_or_else(err)?;
    if rest.is_empty() {
        return Err(err());
    }
    match prefix.to_ascii_lowercase().as_str() {
        "user" | "u" => Ok(service_account_of(rest).unwrap_or(Subject::User { name: rest.into() })),
        "group" | "g" => Ok(Subject::Group { name: rest.into() }),
        "sa" | "serviceaccount" => {
            let (namespace, name) = rest.split_once('/').ok_or_else(err)?;
            if namespace.is_empty() || name.is_empty() || name.contains('/') {
                return Err(err());
            }
            Ok(Subject::ServiceAccount {
                namespace: namespace.into(),
                name: name.into(),
            })
        }
        _ => Err(err()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_parse_and_errors_list_the_forms() {
        assert_eq!(
            parse_subject("sa:ci/deployer").unwrap().to_string(),
            "sa:ci/deployer"
        );
        assert_eq!(
            parse_subject("user:system:serviceaccount:a:b").unwrap(),
            Subject::ServiceAccount {
                namespace: "a".into(),
                name: "b".into()
            }
        );
        for bad in ["userr:bob", "bob", "user:", "sa:ns", "sa:/x", "sa:a/b/c"] {
            let e = parse_subject(bad).unwrap_err().to_string();
            assert!(e.contains("user:NAME") && e.contains(bad), "{e}");
        }
    }

    #[test]
    fn implicit_groups() {
        let sa = parse_subject("sa:ns/x").unwrap().user_info();
        assert_eq!(sa.name, "system:serviceaccount:ns:x");
        assert!(sa.groups.contains(&"system:serviceaccounts:ns".to_string()));
        let anon = parse_subject("user:system:anonymous").unwrap().user_info();
        assert_eq!(anon.groups, vec!["system:unauthenticated".to_string()]);
        let g = parse_subject("group:devs").unwrap().user_info();
        assert_eq!(g.groups, vec!["devs".to_string(), ALL_AUTHENTICATED.into()]);
    }
}
