//! Grant patterns: named classes of dangerous permissions (`cluster-admin`, `secrets-read`,
//! `exec`, ...) and literal `VERB:RESOURCE[.GROUP][/SUB]` specs, matched against a rule with
//! the authorizer's own [`rule_allows`], so that wildcards in the rule count.
//!
//! A pattern stands for a small set of requests; a rule matches when it allows any one of
//! them. A rule restricted by `resourceNames` still matches (it grants the verb on those
//! objects, and reading one secret is still reading secrets): the request is asked with the
//! rule's first name.

use std::fmt;

use serde::Serialize;

use crate::authorize::{rule_allows, Attributes, ResourceAttributes, Target};
use crate::model::Rule;
use crate::resource::{parse_resource_spec, ResourceSpec};

/// The RBAC API group.
pub(crate) const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Resources whose controllers create pods from a template: (group, resource).
pub const POD_CONTROLLERS: &[(&str, &str)] = &[
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "replicationcontrollers"),
];

/// A named class of dangerous permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskClass {
    /// Every verb on every resource of every group, cluster-wide (`*` in all three lists,
    /// held through a ClusterRoleBinding).
    ClusterAdmin,
    /// `get`, `list` or `watch` on secrets (list and watch return the contents too).
    SecretsRead,
    /// `create` (or, before Kubernetes 1.35, WebSocket `get`) on `pods/exec`.
    Exec,
    /// `get` or `create` on `nodes/proxy`: the kubelet API, including its `/exec` and `/run`.
    NodesProxy,
    /// `escalate` on roles or clusterroles: write rules one does not hold.
    Escalate,
    /// `bind` on roles or clusterroles: bind roles one does not hold.
    Bind,
    /// `impersonate` on users, groups, service accounts or uids.
    Impersonate,
    /// `create` on pods or on a controller that creates pods ([`POD_CONTROLLERS`]).
    CreatePods,
    /// `create` on `serviceaccounts/token`: mint a token of a service account.
    Token,
    /// Approving certificate signing requests (`update` on
    /// `certificatesigningrequests/approval`, or `approve` on `signers`).
    CsrApprove,
    /// Writing or deleting admission webhook configurations.
    Webhooks,
}

/// (verb, group, resource, subresource) requests of a class.
type Requests = &'static [(&'static str, &'static str, &'static str, &'static str)];

impl RiskClass {
    /// Every class, in documentation order.
    pub const ALL: [RiskClass; 11] = [
        RiskClass::ClusterAdmin,
        RiskClass::SecretsRead,
        RiskClass::Exec,
        RiskClass::NodesProxy,
        RiskClass::Escalate,
        RiskClass::Bind,
        RiskClass::Impersonate,
        RiskClass::CreatePods,
        RiskClass::Token,
        RiskClass::CsrApprove,
        RiskClass::Webhooks,
    ];

    /// The name patterns use (`secrets-read`).
    pub fn name(self) -> &'static str {
        match self {
            RiskClass::ClusterAdmin => "cluster-admin",
            RiskClass::SecretsRead => "secrets-read",
            RiskClass::Exec => "exec",
            RiskClass::NodesProxy => "nodes-proxy",
            RiskClass::Escalate => "escalate",
            RiskClass::Bind => "bind",
            RiskClass::Impersonate => "impersonate",
            RiskClass::CreatePods => "create-pods",
            RiskClass::Token => "token",
            RiskClass::CsrApprove => "csr-approve",
            RiskClass::Webhooks => "webhooks",
        }
    }

    /// The class of a name.
    pub fn from_name(name: &str) -> Option<RiskClass> {
        RiskClass::ALL.into_iter().find(|c| c.name() == name)
    }

    fn requests(self) -> Requests {
        const R: &str = RBAC_GROUP;
        const ADM: &str = "admissionregistration.k8s.io";
        const CERT: &str = "certificates.k8s.io";
        match self {
            RiskClass::ClusterAdmin => &[("*", "*", "*", "")],
            RiskClass::SecretsRead => &[
                ("get", "", "secrets", ""),
                ("list", "", "secrets", ""),
                ("watch", "", "secrets", ""),
            ],
            RiskClass::Exec => &[("create", "", "pods", "exec"), ("get", "", "pods", "exec")],
            RiskClass::NodesProxy => &[
                ("get", "", "nodes", "proxy"),
                ("create", "", "nodes", "proxy"),
            ],
            RiskClass::Escalate => &[
                ("escalate", R, "roles", ""),
                ("escalate", R, "clusterroles", ""),
            ],
            RiskClass::Bind => &[("bind", R, "roles", ""), ("bind", R, "clusterroles", "")],
            RiskClass::Impersonate => &[
                ("impersonate", "", "users", ""),
                ("impersonate", "", "groups", ""),
                ("impersonate", "", "serviceaccounts", ""),
                ("impersonate", "authentication.k8s.io", "uids", ""),
            ],
            RiskClass::CreatePods => &[
                ("create", "", "pods", ""),
                ("create", "apps", "deployments", ""),
                ("create", "apps", "daemonsets", ""),
                ("create", "apps", "statefulsets", ""),
                ("create", "apps", "replicasets", ""),
                ("create", "batch", "jobs", ""),
                ("create", "batch", "cronjobs", ""),
                ("create", "", "replicationcontrollers", ""),
            ],
            RiskClass::Token => &[("create", "", "serviceaccounts", "token")],
            RiskClass::CsrApprove => &[
                ("update", CERT, "certificatesigningrequests", "approval"),
                ("patch", CERT, "certificatesigningrequests", "approval"),
                ("approve", CERT, "signers", ""),
            ],
            RiskClass::Webhooks => &[
                ("create", ADM, "validatingwebhookconfigurations", ""),
                ("update", ADM, "validatingwebhookconfigurations", ""),
                ("patch", ADM, "validatingwebhookconfigurations", ""),
                ("delete", ADM, "validatingwebhookconfigurations", ""),
                ("create", ADM, "mutatingwebhookconfigurations", ""),
                ("update", ADM, "mutatingwebhookconfigurations", ""),
                ("patch", ADM, "mutatingwebhookconfigurations", ""),
                ("delete", ADM, "mutatingwebhookconfigurations", ""),
            ],
        }
    }

    /// Does the rule allow a request of this class? `cluster_wide` says whether the rule
    /// holds cluster-wide (through a ClusterRoleBinding); only `cluster-admin` needs it.
    pub fn matches_rule(self, rule: &Rule, cluster_wide: bool) -> bool {
        if self == RiskClass::ClusterAdmin && !cluster_wide {
            return false;
        }
        self.requests().iter().any(|&(verb, group, resource, sub)| {
            rule_allows(&resource_attrs(verb, group, resource, sub, rule), rule)
        })
    }
}

/// Attributes of a resource request, named after the rule's first `resourceNames` entry.
fn resource_attrs(verb: &str, group: &str, resource: &str, sub: &str, rule: &Rule) -> Attributes {
    Attributes {
        verb: verb.to_string(),
        namespace: String::new(),
        target: Target::Resource(ResourceAttributes {
            api_group: group.to_string(),
            resource: resource.to_string(),
            subresource: sub.to_string(),
            name: rule.resource_names.first().cloned().unwrap_or_default(),
        }),
    }
}

/// A `--fail-on-grant` pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum GrantPattern {
    /// A named class.
    Class {
        /// The class.
        class: RiskClass,
    },
    /// `VERB:RESOURCE[.GROUP][/SUB]` or `VERB:/url`: one request, asked as
    /// `kubectl auth can-i VERB RESOURCE` would (a `*` verb or resource must be granted as
    /// `*`; `*.*` is every resource of every group).
    Spec {
        /// The verb.
        verb: String,
        /// The resource or URL.
        resource: ResourceSpec,
    },
}

impl fmt::Display for GrantPattern {
    /// The form [`parse_grant_pattern`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantPattern::Class { class } => f.write_str(class.name()),
            GrantPattern::Spec { verb, resource } => write!(f, "{verb}:{resource}"),
        }
    }
}

impl GrantPattern {
    /// Does the rule allow a request of the pattern?
    pub fn matches_rule(&self, rule: &Rule, cluster_wide: bool) -> bool {
        match self {
            GrantPattern::Class { class } => class.matches_rule(rule, cluster_wide),
            GrantPattern::Spec { verb, resource } => {
                let target = match resource {
                    ResourceSpec::NonResource { path } => {
                        Target::NonResource { path: path.clone() }
                    }
                    ResourceSpec::Resource {
                        api_group,
                        resource,
                        subresource,
                        ..
                    } => {
                        let attrs = resource_attrs(verb, api_group, resource, subresource, rule);
                        attrs.target
                    }
                };
                let attrs = Attributes {
                    verb: verb.clone(),
                    namespace: String::new(),
                    target,
                };
                rule_allows(&attrs, rule)
            }
        }
    }
}

/// A pattern that does not parse; its message lists the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantPatternError {
    /// The text given.
    pub input: String,
}

impl fmt::Display for GrantPatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = RiskClass::ALL.iter().map(|c| c.name()).collect();
        write!(
            f,
            "cannot read grant pattern `{}`; write one of {} or VERB:RESOURCE[.GROUP][/SUB] \
             (get:secrets, create:pods/exec, *:*.*)",
            self.input,
            names.join(", ")
        )
    }
}

impl std::error::Error for GrantPatternError {}

/// Reads a class name (`secrets-read`) or a spec (`get:secrets`, `create:pods/exec`).
pub fn parse_grant_pattern(text: &str) -> Result<GrantPattern, GrantPatternError> {
    let err = || GrantPatternError {
        input: text.to_string(),
    };
    let text = text.trim();
    if let Some(class) = RiskClass::from_name(&text.to_ascii_lowercase()) {
        return Ok(GrantPattern::Class { class });
    }
    let (verb, resource) = text.split_once(':').ok_or_else(err)?;
    if verb.is_empty() || verb.contains(char::is_whitespace) {
        return Err(err());
    }
    let resource = parse_resource_spec(resource).map_err(|_| err())?;
    Ok(GrantPattern::Spec {
        verb: verb.to_string(),
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> Rule {
        Rule::for_resources(verbs, groups, resources, names)
    }

    #[test]
    fn classes_match_through_wildcards_and_names() {
        let star = rule(&["*"], &["*"], &["*"], &[]);
        for class in RiskClass::ALL {
            assert!(class.matches_rule(&star, true), "{}", class.name());
        }
        assert!(!RiskClass::ClusterAdmin.matches_rule(&star, false));
        let one_secret = rule(&["get"], &[""], &["secrets"], &["db"]);
        assert!(RiskClass::SecretsRead.matches_rule(&one_secret, false));
        assert!(!RiskClass::Exec.matches_rule(&one_secret, false));
        let scale = rule(&["*"], &["apps"], &["*/scale"], &[]);
        assert!(!RiskClass::CreatePods.matches_rule(&scale, true));
        let deploy = rule(&["create"], &["apps"], &["deployments"], &[]);
        assert!(RiskClass::CreatePods.matches_rule(&deploy, true));
    }

    #[test]
    fn specs_parse_and_match() {
        let p = parse_grant_pattern("create:pods/exec").unwrap();
        assert!(p.matches_rule(&rule(&["create"], &[""], &["pods/exec"], &[]), false));
        assert!(p.matches_rule(&rule(&["*"], &[""], &["*/exec"], &[]), false));
        assert!(!p.matches_rule(&rule(&["get"], &[""], &["pods/exec"], &[]), false));
        let all = parse_grant_pattern("*:*.*").unwrap();
        assert!(all.matches_rule(&rule(&["*"], &["*"], &["*"], &[]), false));
        assert!(!all.matches_rule(&rule(&["get"], &["*"], &["*"], &[]), false));
        assert_eq!(
            parse_grant_pattern("Secrets-Read").unwrap(),
            GrantPattern::Class {
                class: RiskClass::SecretsRead
            }
        );
        for bad in ["nope", ":pods", "get:", "get pods"] {
            let e = parse_grant_pattern(bad).unwrap_err().to_string();
            assert!(e.contains("secrets-read") && e.contains(bad), "{e}");
        }
    }
}
