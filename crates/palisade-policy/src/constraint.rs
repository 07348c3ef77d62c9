//! Constraints (`constraints.gatekeeper.sh/*`): an instance of a template's kind with its
//! match, enforcement and parameters.
//!
//! Mirrors frameworks' `AddConstraint` (only `spec.parameters` reaches the Rego, defaulted to
//! `{}`) and Gatekeeper's `ValidateConstraint` (a label or namespace selector that is not
//! valid makes the constraint invalid).

use std::sync::Arc;

use palisade_core::yaml::Node;
use palisade_core::{Location, Object, ObjectRef};

use crate::action::Enforcement;
use crate::matching::Match;

/// The API group of Constraints.
pub const CONSTRAINT_GROUP: &str = "constraints.gatekeeper.sh";

/// A loaded Constraint.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// Its kind (the template's `spec.crd.spec.names.kind`).
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The constraint object.
    pub object: Arc<ObjectRef>,
    /// Where it starts.
    pub location: Location,
    /// `spec.enforcementAction` (and the scoped form).
    pub enforcement: Enforcement,
    /// `spec.match`.
    pub matcher: Match,
    /// `spec.parameters` (`{}` when absent).
    pub parameters: serde_json::Value,
    /// Where `spec.parameters` is, for diagnostics about it.
    pub parameters_location: Location,
}

/// Is this object a Constraint (any kind in the constraints group)?
pub fn is_constraint(object: &Object) -> bool {
    object
        .id
        .api_version
        .split_once('/')
        .is_some_and(|(g, _)| g == CONSTRAINT_GROUP)
}

impl Constraint {
    /// Reads a Constraint; what makes it unusable is an error message.
    pub fn parse(object: &Object) -> Result<Constraint, String> {
        let spec = object.root.get("spec").unwrap_or(Node::null());
        if !spec.is_null() && spec.as_map().is_none() {
            return Err("spec must be a mapping".into());
        }
        let enforcement = Enforcement::parse(spec)?;
        let matcher = Match::parse(spec.get("match"))?;
        let params_node = spec.get("parameters").filter(|p| !p.is_null());
        let parameters = params_node
            .map(Node::to_json)
            .unwrap_or_else(|| serde_json::json!({}));
        let parameters_location = params_node
            .map(|p| object.location_of(p.pos))
            .unwrap_or_else(|| object.location());
        Ok(Constraint {
            kind: object.id.kind.clone(),
            name: object.id.name.clone(),
            object: Arc::clone(&object.id),
            location: object.location(),
            enforcement,
            matcher,
            parameters,
            parameters_location,
        })
    }
}
