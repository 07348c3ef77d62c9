//! [`Violation`]: what one policy said about one object, before it becomes a finding or an
//! admission answer; and reading violations out of a Rego result.

use serde::Serialize;
use serde_json::Value as Json;

use crate::action::Action;

/// Which policy a violation comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Source {
    /// A Gatekeeper Constraint.
    Constraint {
        /// Its kind (the template's).
        kind: String,
        /// Its name.
        name: String,
    },
    /// A plain Rego module's rule.
    Module {
        /// The package (`main`).
        package: String,
        /// The rule (`deny`, `warn_latest`, ...).
        rule: String,
    },
}

/// One violation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// The rule id its finding carries (`GK-K8sRequiredLabels`, `REGO-main`).
    pub rule_id: String,
    /// Where it comes from.
    pub source: Source,
    /// What to do with it, strongest first (never empty).
    pub actions: Vec<Action>,
    /// The policy's message.
    pub message: String,
    /// The policy's `details` (`{}` when none).
    pub details: Json,
}

impl Violation {
    /// The strongest action.
    pub fn action(&self) -> &Action {
        self.actions.first().unwrap_or(&Action::Dryrun)
    }
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A policy that failed while judging an object (a runtime error, the time budget,
/// `external_data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyError {
    /// The rule id of the policy.
    pub rule_id: String,
    /// What went wrong.
    pub message: String,
}

/// Reads Gatekeeper's `violation[{"msg": msg, "details": ...}]` results, as the frameworks'
/// hook does: each member needs a `msg` (members without one are dropped, as `r.msg` is
/// undefined there); `details` defaults to `{}`. A msg that is not a string is shown as JSON.
pub fn gatekeeper_results(set: &Json) -> Vec<(String, Json)> {
    members(set)
        .filter_map(|r| {
            let msg = r.get("msg")?;
            let details = r
                .get("details")
                .cloned()
                .unwrap_or_else(|| Json::Object(Default::default()));
            Some((text(msg), details))
        })
        .collect()
}

/// Reads a plain Rego rule's results as conftest does: each member is a message string, or
/// an object with `msg` (and optional `details`); a rule that is simply `true` is one
/// violation named after the rule.
pub fn plain_results(rule: &str, value: &Json) -> Vec<(String, Json)> {
    let empty = || Json::Object(Default::default());
    match value {
        Json::Bool(true) => vec![(format!("{rule} is true"), empty())],
        Json::Bool(false) | Json::Null => Vec::new(),
        Json::String(s) => vec![(s.clone(), empty())],
        _ => members(value)
            .map(|r| match r {
                Json::Object(o) => (
                    o.get("msg").map(text).unwrap_or_else(|| r.to_string()),
                    o.get("details").cloned().unwrap_or_else(empty),
                ),
                other => (text(other), empty()),
            })
            .collect(),
    }
}

fn members(value: &Json) -> impl Iterator<Item = &Json> {
    value.as_array().map(|a| a.iter()).into_iter().flatten()
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}
