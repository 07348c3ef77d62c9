//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_rbac::{
    parse_resource_spec, Attributes, Options, Policy, Query, Request, ResourceSpec, Subject,
};

/// A policy from YAML text (bootstrap defaults included).
pub fn policy(text: &str) -> Policy {
    policy_with(text, &Options::default())
}

/// A policy from YAML text with options.
pub fn policy_with(text: &str, options: &Options) -> Policy {
    let loaded = load_str("rbac.yaml", text, &LoadLimits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Policy::from_objects(&loaded.objects, options)
}

/// A query.
pub fn query(verb: &str, resource: &str, namespace: Option<&str>, name: Option<&str>) -> Query {
    Query {
        verb: verb.into(),
        resource: parse_resource_spec(resource).unwrap(),
        namespace: namespace.map(str::to_string),
        name: name.map(str::to_string),
    }
}

/// Request attributes from the query spelling.
pub fn attrs(verb: &str, resource: &str, namespace: &str, name: &str) -> Attributes {
    let q = query(
        verb,
        resource,
        Some(namespace),
        (!name.is_empty()).then_some(name),
    );
    q.attributes(match q.resource {
        ResourceSpec::NonResource { .. } => "",
        _ => namespace,
    })
}

/// A request for a subject (`user:alice`, `sa:ns/x`, `group:g`).
pub fn request(subject: &str, verb: &str, resource: &str, namespace: &str, name: &str) -> Request {
    let s: Subject = palisade_rbac::parse_subject(subject).unwrap();
    Request {
        user: s.user_info(),
        attributes: attrs(verb, resource, namespace, name),
    }
}
