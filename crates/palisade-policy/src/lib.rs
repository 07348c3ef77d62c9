//! User policies for Palisade: OPA Gatekeeper ConstraintTemplates and Constraints, and
//! plain Rego modules, evaluated with the `regorus` interpreter.
//!
//! [`PolicySet::from_inventory`] compiles every template of an inventory once (one engine
//! per template) and binds its Constraints; [`PolicySet::evaluate`] judges every object of
//! an inventory and returns [`Finding`](palisade_core::Finding)s (rule id `GK-<Kind>` per
//! template, `REGO-<package>` per plain package; severity from the enforcement action);
//! [`PolicySet::evaluate_review`] judges one admission request and returns
//! [`Violation`]s; [`suite::run_dir`] runs `gator verify` suites. What cannot be loaded or
//! evaluated is a [`Diagnostic`] with its place, and the rest still runs.
//!
//! ```
//! use palisade_core::{inventory, Config, Inventory};
//! use palisade_policy::PolicySet;
//!
//! let text = r#"
//! apiVersion: templates.gatekeeper.sh/v1
//! kind: ConstraintTemplate
//! metadata: {name: nolatest}
//! spec:
//!   crd: {spec: {names: {kind: NoLatest}}}
//!   targets:
//!   - target: admission.k8s.gatekeeper.sh
//!     rego: |
//!       package nolatest
//!       violation[{"msg": msg}] {
//!         endswith(input.review.object.spec.containers[_].image, ":latest")
//!         msg := "image uses :latest"
//!       }
//! ---
//! apiVersion: constraints.gatekeeper.sh/v1beta1
//! kind: NoLatest
//! metadata: {name: no-latest}
//! ---
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: web}
//! spec: {containers: [{name: app, image: "nginx:latest"}]}
//! "#;
//! let mut inv = Inventory::default();
//! inv.add(inventory::load_str("all.yaml", text, &Default::default()));
//! let (policies, diagnostics) = PolicySet::from_inventory(&inv);
//! assert!(diagnostics.is_empty());
//! let result = policies.evaluate(&inv, &Config::default());
//! assert_eq!(result.findings.len(), 1);
//! assert_eq!(result.findings[0].rule_id, "GK-NoLatest");
//! ```

pub mod action;
mod admission;
pub mod constraint;
mod decision_cache;
mod diag;
#[doc(hidden)]
pub mod fuzzing;
pub mod input_reads;
pub mod matching;
pub mod plain;
mod policyset;
pub mod rego;
pub mod review;
pub mod schema;
pub mod suite;
pub mod template;
pub mod vap;
mod violation;

pub use action::{Action, Enforcement};
pub use decision_cache::{CacheStats, DEFAULT_CACHE_BYTES};
pub use diag::{into_load_problems, Diagnostic, Level};
pub use policyset::{template_rule_id, PolicySet, ReviewOutcome};
pub use rego::Limits;
pub use violation::{PolicyError, Source, Violation};

/// What evaluating an inventory produced.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Findings, sorted by place.
    pub findings: Vec<palisade_core::Finding>,
    /// Evaluations that failed, and constraints that could not judge an object.
    pub diagnostics: Vec<Diagnostic>,
}

/// A rule a policy set may report (the catalog entry of a template or plain package).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRule {
    /// `GK-<Kind>` or `REGO-<package>`.
    pub id: String,
    /// Short title.
    pub title: String,
    /// The template's `description` annotation, when it has one.
    pub description: String,
}
