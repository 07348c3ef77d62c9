//! The typed RBAC model: roles with their rules, bindings with their subjects, each keeping
//! where it was written, and the problems found while reading them.
//!
//! The types mirror `k8s.io/api/rbac/v1` (`PolicyRule`, `RoleRef`, `Subject`), with two
//! additions: every piece keeps its source [`Location`], and every role and binding says
//! whether it came from the input or from the built-in bootstrap policy ([`Origin`]).

mod parse;
mod problem;

use std::fmt;
use std::sync::Arc;

use palisade_core::{Location, ObjectRef};
use serde::Serialize;

pub(crate) use parse::{is_rbac_object, parse_objects, Parsed};
pub use problem::{Problem, ProblemKind};

/// Namespace given to namespaced RBAC objects written without `metadata.namespace` (a Helm
/// chart or kustomization applied to one namespace). Such objects meet only each other,
/// never a guessed `default`; no real namespace can be spelled this way.
pub const UNSET_NAMESPACE: &str = "(unset)";

/// Where a role or binding comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Origin {
    /// Written in the input.
    Input {
        /// The object it was read from.
        object: Arc<ObjectRef>,
        /// The object's first line.
        location: Location,
    },
    /// Not in the input: the built-in default of this Kubernetes version
    /// ([`crate::BOOTSTRAP_VERSION`]), which every API server creates at start-up.
    Bootstrap {
        /// The Kubernetes version the default was read from.
        version: &'static str,
    },
}

impl Origin {
    /// True for a built-in default.
    pub fn is_bootstrap(&self) -> bool {
        matches!(self, Origin::Bootstrap { .. })
    }

    /// The place in the input, when it came from the input.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Origin::Input { location, .. } => Some(location),
            Origin::Bootstrap { .. } => None,
        }
    }
}

/// `Role` or `ClusterRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RoleKind {
    /// A namespaced `Role`.
    Role,
    /// A cluster-wide `ClusterRole`.
    ClusterRole,
}

impl RoleKind {
    /// The kind as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// `RoleBinding` or `ClusterRoleBinding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum BindingKind {
    /// A `ClusterRoleBinding` (sorted first: the authorizer visits them first).
    ClusterRoleBinding,
    /// A namespaced `RoleBinding`.
    RoleBinding,
}

impl BindingKind {
    /// The kind as Kubernetes spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }
}

/// One `PolicyRule`. Empty lists are kept empty (an empty `verbs` list allows nothing).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// `verbs` (`*` allows every verb).
    pub verbs: Vec<String>,
    /// `apiGroups` (`""` is the core group, `*` every group).
    pub api_groups: Vec<String>,
    /// `resources`, possibly `resource/subresource`, `*` or `*/subresource`.
    pub resources: Vec<String>,
    /// `resourceNames` (empty: every name).
    pub resource_names: Vec<String>,
    /// `nonResourceURLs` (`*` every path; a trailing `*` is a prefix match).
    pub non_resource_urls: Vec<String>,
    /// Where the rule was written (`None` for a bootstrap rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// For a rule an aggregated ClusterRole received: the ClusterRole it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregated_from: Option<Arc<str>>,
}

impl Rule {
    /// A resource rule with no place (for rules built in code and in tests).
    pub fn for_resources(
        verbs: &[&str],
        api_groups: &[&str],
        resources: &[&str],
        resource_names: &[&str],
    ) -> Rule {
        let owned = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        Rule {
            verbs: owned(verbs),
            api_groups: owned(api_groups),
            resources: owned(resources),
            resource_names: owned(resource_names),
            non_resource_urls: Vec::new(),
            location: None,
            aggregated_from: None,
        }
    }

    /// The rule's content, without where it came from: what the aggregation controller
    /// compares when it removes duplicate rules (`ruleExists`).
    pub fn content(&self) -> RuleContent<'_> {
        RuleContent {
            verbs: &self.verbs,
            api_groups: &self.api_groups,
            resources: &self.resources,
            resource_names: &self.resource_names,
            non_resource_urls: &self.non_resource_urls,
        }
    }
}

/// The five lists of a rule, for comparing rules by what they grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub struct RuleContent<'a> {
    pub verbs: &'a [String],
    pub api_groups: &'a [String],
    pub resources: &'a [String],
    pub resource_names: &'a [String],
    pub non_resource_urls: &'a [String],
}

/// A Role or ClusterRole.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// Role or ClusterRole.
    pub kind: RoleKind,
    /// The namespace of a Role ([`UNSET_NAMESPACE`] when not written); `None` for a
    /// ClusterRole.
    pub namespace: Option<Arc<str>>,
    /// `metadata.name`.
    pub name: Arc<str>,
    /// `metadata.labels` (what aggregation selectors read), in source order.
    pub labels: Vec<(String, String)>,
    /// The effective rules: as written, or for an aggregated ClusterRole the union the
    /// aggregation controller computes (replacing the written ones, as the controller does).
    pub rules: Vec<Arc<Rule>>,
    /// The aggregation rule of a ClusterRole, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<Aggregation>,
    /// Input or bootstrap.
    pub origin: Origin,
}

impl Role {
    /// The identity of the role.
    pub fn key(&self) -> Key {
        Key {
            kind: self.kind.as_str(),
            namespace: self.namespace.clone(),
            name: Arc::clone(&self.name),
            bootstrap: self.origin.is_bootstrap(),
        }
    }

    /// A label value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `aggregationRule.clusterRoleSelectors`.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregation {
    /// The selectors; a ClusterRole matching any of them contributes its rules.
    #[serde(skip)]
    pub selectors: Vec<palisade_core::selector::LabelSelector>,
    /// Where `aggregationRule` was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The rules written in the object itself, which the controller replaces.
    pub written_rules: usize,
}

/// `roleRef` of a binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRef {
    /// `kind` as written.
    pub kind: String,
    /// `name`.
    pub name: String,
    /// `apiGroup` (defaulted to `rbac.authorization.k8s.io` when empty, as the API server's
    /// `SetDefaults_RoleBinding` does).
    pub api_group: String,
    /// Where `roleRef` was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// The kind of a binding subject.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum SubjectKind {
    /// `User`.
    User,
    /// `Group`.
    Group,
    /// `ServiceAccount`.
    ServiceAccount,
    /// Any other kind: reported, and never matches (as in `appliesToUser`).
    Other(String),
}

impl SubjectKind {
    /// The kind as written.
    pub fn as_str(&self) -> &str {
        match self {
            SubjectKind::User => "User",
            SubjectKind::Group => "Group",
            SubjectKind::ServiceAccount => "ServiceAccount",
            SubjectKind::Other(s) => s,
        }
    }
}

/// One entry of a binding's `subjects`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingSubject {
    /// Kind.
    pub kind: SubjectKind,
    /// `name`.
    pub name: String,
    /// `namespace` as written (ServiceAccounts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Where the subject was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// RoleBinding or ClusterRoleBinding.
    pub kind: BindingKind,
    /// Namespace of a RoleBinding ([`UNSET_NAMESPACE`] when not written); `None` for a
    /// ClusterRoleBinding.
    pub namespace: Option<Arc<str>>,
    /// `metadata.name`.
    pub name: Arc<str>,
    /// `roleRef`, when present and readable.
    pub role_ref: Option<RoleRef>,
    /// `subjects`, in source order.
    pub subjects: Vec<BindingSubject>,
    /// Input or bootstrap.
    pub origin: Origin,
}

impl Binding {
    /// The identity of the binding.
    pub fn key(&self) -> Key {
        Key {
            kind: self.kind.as_str(),
            namespace: self.namespace.clone(),
            name: Arc::clone(&self.name),
            bootstrap: self.origin.is_bootstrap(),
        }
    }
}

/// The identity of a role or binding in query results: `Kind`, namespace, name, and
/// whether it is a bootstrap default.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Key {
    /// `Role`, `ClusterRole`, `RoleBinding` or `ClusterRoleBinding`.
    pub kind: &'static str,
    /// Namespace, for namespaced kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Arc<str>>,
    /// Name.
    pub name: Arc<str>,
    /// True when not in the input but taken from the bootstrap policy.
    pub bootstrap: bool,
}

impl fmt::Display for Key {
    /// `Kind/name` or `Kind/namespace/name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}
