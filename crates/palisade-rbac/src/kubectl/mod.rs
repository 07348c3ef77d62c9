//! `kubectl`: which kubectl commands a subject can run, and where. The commands and the API
//! requests each makes are in [`COMMANDS`] (see `table.rs` for how they were read).
//!
//! A command runs in a namespace when every step has an allowed request there. It runs in
//! *every* namespace when ClusterRoleBindings alone allow it: that is judged with a
//! namespace name no RoleBinding can have, so only ClusterRoleBindings answer. Steps made
//! without a namespace (nodes, CSRs, a list across all namespaces) are judged once.

mod table;

use std::collections::BTreeSet;

use serde::Serialize;

pub use table::{Call, CallScope, Command, On, Step, COMMANDS, COMMON_RESOURCES, RES};

use crate::authorize::{Attributes, Decision, Request, ResourceAttributes, Target, UserInfo};
use crate::policy::Policy;
use crate::resource::spell_resource;
use crate::subject::Subject;
use crate::who_can::Via;

/// Stands for "any namespace" when asking whether ClusterRoleBindings alone allow a request:
/// not a valid namespace name, so no RoleBinding is in it.
const ANY_NAMESPACE: &str = "*any*";

/// Where a command runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", content = "namespaces", rename_all = "camelCase")]
pub enum Where {
    /// Every namespace (ClusterRoleBindings grant it).
    EveryNamespace,
    /// These namespaces only.
    Namespaces(Vec<String>),
    /// A command without a namespace (nodes, CSRs, reviews), allowed.
    Cluster,
}

/// One command the subject can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandAccess {
    /// The command (`exec`, `rollout restart`).
    pub command: &'static str,
    /// Usage line.
    pub usage: &'static str,
    /// The resource it runs on (`deployments.apps`), for per-resource commands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Where.
    #[serde(rename = "where")]
    pub place: Where,
    /// The requests that made it possible, each with its grant, in the first place it runs.
    pub requests: Vec<AllowedRequest>,
}

/// A request of a command and the grant that allows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllowedRequest {
    /// `verb resource[.group][/subresource]`.
    pub request: String,
    /// Binding, role, rule.
    pub via: Via,
}

/// Every command of [`COMMANDS`] the subject can run somewhere (or in `namespace` only),
/// over the given namespaces (those the input knows), in table order.
pub fn kubectl_commands(
    policy: &Policy,
    subject: &Subject,
    namespaces: &[String],
    namespace: Option<&str>,
) -> Vec<CommandAccess> {
    let user = subject.user_info();
    let mut out = Vec::new();
    for command in COMMANDS {
        let resources: Vec<Option<&str>> = match command.on {
            On::Fixed => vec![None],
            On::Resources([]) => COMMON_RESOURCES.iter().map(|r| Some(*r)).collect(),
            On::Resources(list) => list.iter().map(|r| Some(*r)).collect(),
        };
        for resource in resources {
            if let Some(found) = judge(policy, &user, command, resource, namespaces, namespace) {
                out.push(found);
            }
        }
    }
    out
}

/// Judges one command on one resource.
fn judge(
    policy: &Policy,
    user: &UserInfo,
    command: &Command,
    resource: Option<&str>,
    namespaces: &[String],
    only: Option<&str>,
) -> Option<CommandAccess> {
    let resource_name = resource.map(display_resource);
    let cluster_only = command
        .steps
        .iter()
        .all(|step| step.iter().all(|c| c.scope == CallScope::Cluster));
    let make = |place: Where, requests: Vec<AllowedRequest>| CommandAccess {
        command: command.name,
        usage: command.usage,
        resource: resource_name.clone(),
        place,
        requests,
    };
    if cluster_only {
        return allowed_in(policy, user, command, resource, "").map(|r| make(Where::Cluster, r));
    }
    if let Some(ns) = only {
        return allowed_in(policy, user, command, resource, ns)
            .map(|r| make(Where::Namespaces(vec![ns.to_string()]), r));
    }
    if let Some(requests) = allowed_in(policy, user, command, resource, ANY_NAMESPACE) {
        return Some(make(Where::EveryNamespace, requests));
    }
    let mut places = Vec::new();
    let mut first = None;
    for ns in namespaces {
        if let Some(requests) = allowed_in(policy, user, command, resource, ns) {
            places.push(ns.clone());
            first.get_or_insert(requests);
        }
    }
    first.map(|requests| make(Where::Namespaces(places), requests))
}

/// The grants of every step in `namespace`, or `None` when a step is denied.
fn allowed_in(
    policy: &Policy,
    user: &UserInfo,
    command: &Command,
    resource: Option<&str>,
    namespace: &str,
) -> Option<Vec<AllowedRequest>> {
    let mut requests = Vec::new();
    for step in command.steps {
        let granted = step.iter().find_map(|call| {
            let attrs = attributes(call, resource, namespace);
            let request = Request {
                user: user.clone(),
                attributes: attrs,
            };
            match policy.allows(&request) {
                Decision::Allow {
                    binding,
                    role,
                    rule,
                    ..
                } => Some(AllowedRequest {
                    request: describe(&request.attributes),
                    via: Via {
                        namespace: binding.namespace.clone(),
                        binding: binding.key(),
                        role: role.key(),
                        rule,
                        rule_location: role.rules.get(rule).and_then(|r| r.location.clone()),
                    },
                }),
                Decision::NoOpinion => None,
            }
        })?;
        requests.push(granted);
    }
    Some(requests)
}

/// The request a call makes, with [`RES`] replaced by `resource` (`group/resource`).
fn attributes(call: &Call, resource: Option<&str>, namespace: &str) -> Attributes {
    let (mut group, mut name) = (call.group, call.resource);
    if call.resource == RES {
        let r = resource.unwrap_or("");
        (group, name) = r.rsplit_once('/').unwrap_or(("", r));
    }
    Attributes {
        verb: call.verb.to_string(),
        namespace: match call.scope {
            CallScope::Namespace => namespace.to_string(),
            CallScope::Cluster => String::new(),
        },
        target: Target::Resource(ResourceAttributes {
            api_group: group.to_string(),
            resource: name.to_string(),
            subresource: call.subresource.to_string(),
            name: call.name.to_string(),
        }),
    }
}

/// `group/resource` (the table's form) as kubectl spells it: `resource.group`.
fn display_resource(r: &str) -> String {
    let (group, name) = r.rsplit_once('/').unwrap_or(("", r));
    spell_resource(group, name, "")
}

/// `verb resource[.group][/subresource]`.
fn describe(attrs: &Attributes) -> String {
    match &attrs.target {
        Target::NonResource { path } => format!("{} {path}", attrs.verb),
        Target::Resource(r) => {
            let mut s = format!(
                "{} {}",
                attrs.verb,
                spell_resource(&r.api_group, &r.resource, &r.subresource)
            );
            if !r.name.is_empty() {
                s.push_str(&format!(" (name {})", r.name));
            }
            s
        }
    }
}

/// The namespaces an inventory knows: declared, named by objects, and those of RoleBindings.
pub fn known_namespaces(policy: &Policy, inventory: &palisade_core::Inventory) -> Vec<String> {
    let mut set: BTreeSet<String> = inventory
        .namespaces()
        .into_iter()
        .map(str::to_string)
        .collect();
    set.extend(policy.binding_namespaces().map(str::to_string));
    set.into_iter().collect()
}
