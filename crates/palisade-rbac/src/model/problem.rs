//! Problems found while reading RBAC objects: what the API server's validation would reject,
//! what the authorizer can never use, and what cannot be resolved. Each has its place; the
//! rest of the input is still analysed.

use std::fmt;
use std::sync::Arc;

use palisade_core::{Location, ObjectRef};
use serde::Serialize;

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// A binding without `roleRef`, or with one that is not a mapping.
    MissingRoleRef,
    /// `roleRef` without `name` or `kind`, or with an `apiGroup` other than
    /// `rbac.authorization.k8s.io` (rejected by `ValidateRoleBinding`).
    InvalidRoleRef,
    /// `roleRef.kind` other than `Role` or `ClusterRole` (`GetRoleReferenceRules` refuses it).
    UnsupportedRoleRefKind,
    /// A ClusterRoleBinding whose `roleRef` is a `Role` (rejected by
    /// `ValidateClusterRoleBinding`; the authorizer would look for it in no namespace).
    ClusterBindingToRole,
    /// A binding whose role exists neither in the input nor in the bootstrap policy.
    RoleNotFound,
    /// A subject whose kind is not `User`, `Group` or `ServiceAccount`: it never matches.
    UnknownSubjectKind,
    /// A subject without a name, or a subject entry that is not a mapping.
    InvalidSubject,
    /// A ServiceAccount subject of a ClusterRoleBinding without `namespace`: validation
    /// requires it, and `appliesToUser` never matches it.
    ServiceAccountWithoutNamespace,
    /// A rule without verbs: it allows nothing.
    RuleWithoutVerbs,
    /// A rule with both resources (or apiGroups, resourceNames) and nonResourceURLs.
    RuleMixesResourcesAndUrls,
    /// `nonResourceURLs` in a namespaced Role: never matched (non-resource requests have no
    /// namespace).
    NonResourceUrlsInRole,
    /// A resource rule without `apiGroups` or without `resources`: it matches nothing.
    IncompleteResourceRule,
    /// A field that should be a list of strings is not.
    MalformedRule,
    /// Two objects with the same kind, namespace and name; the later one is used, as
    /// applying the inputs in order would leave it.
    Duplicate,
    /// An `aggregationRule` selector that does not parse (the controller would fail).
    InvalidAggregationSelector,
    /// An aggregated ClusterRole whose written rules include rules the aggregation
    /// controller would remove (it replaces them with the union of the selected roles).
    AggregatedRulesReplaced,
    /// An RBAC object without `metadata.name`.
    MissingName,
}

impl ProblemKind {
    /// A stable kebab-case name (`missing-role-ref`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::MissingRoleRef => "missing-role-ref",
            ProblemKind::InvalidRoleRef => "invalid-role-ref",
            ProblemKind::UnsupportedRoleRefKind => "unsupported-role-ref-kind",
            ProblemKind::ClusterBindingToRole => "cluster-binding-to-role",
            ProblemKind::RoleNotFound => "role-not-found",
            ProblemKind::UnknownSubjectKind => "unknown-subject-kind",
            ProblemKind::InvalidSubject => "invalid-subject",
            ProblemKind::ServiceAccountWithoutNamespace => "service-account-without-namespace",
            ProblemKind::RuleWithoutVerbs => "rule-without-verbs",
            ProblemKind::RuleMixesResourcesAndUrls => "rule-mixes-resources-and-urls",
            ProblemKind::NonResourceUrlsInRole => "non-resource-urls-in-role",
            ProblemKind::IncompleteResourceRule => "incomplete-resource-rule",
            ProblemKind::MalformedRule => "malformed-rule",
            ProblemKind::Duplicate => "duplicate",
            ProblemKind::InvalidAggregationSelector => "invalid-aggregation-selector",
            ProblemKind::AggregatedRulesReplaced => "aggregated-rules-replaced",
            ProblemKind::MissingName => "missing-name",
        }
    }
}

/// One problem, with its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where (the offending field, else the object).
    pub location: Location,
    /// The object it is about.
    pub object: Arc<ObjectRef>,
    /// What kind.
    pub kind: ProblemKind,
    /// What is wrong and what it means for the analysis.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.object, self.message)
    }
}
