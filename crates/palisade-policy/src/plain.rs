//! Plain Rego modules (`*.rego` files given to a scan), judged with conftest's conventions.
//!
//! Contract: `input` is the object (its JSON form). In every package, the rules named
//! `deny`, `violation` or `warn`, or starting with `deny_`, `violation_` or `warn_`, report
//! problems: each member of such a set is a message string or an object with `msg` (and
//! optional `details`); a rule that is simply `true` reports one problem. `deny*` and
//! `violation*` deny, `warn*` warns. `data.inventory` is the referential data, as in
//! templates. All modules share one engine, so a package may import another's helpers.

use std::collections::BTreeSet;

use regorus::{Engine, Value};
use serde_json::Value as Json;

use crate::action::Action;
use crate::diag::Diagnostic;
use crate::rego::{self, Limits, Module};
use crate::violation::{plain_results, Source, Violation};

/// The plain Rego modules of a policy set.
#[derive(Clone)]
pub struct PlainModules {
    pub(crate) engine: Engine,
    /// Package paths (`data.main`).
    pub(crate) packages: BTreeSet<String>,
    /// Does any module mention `inventory`?
    pub(crate) uses_inventory: bool,
}

/// The rule id of a plain module's findings: `REGO-<package>` (`REGO-main`).
pub fn rule_id(package: &str) -> String {
    format!("REGO-{}", package.strip_prefix("data.").unwrap_or(package))
}

/// The action of a rule, by conftest's naming, or `None` for a helper rule.
pub fn rule_action(rule: &str) -> Option<Action> {
    let is = |prefix: &str| rule == prefix || rule.starts_with(&format!("{prefix}_"));
    if is("deny") || is("violation") {
        Some(Action::Deny)
    } else if is("warn") {
        Some(Action::Warn)
    } else {
        None
    }
}

impl PlainModules {
    /// No modules yet.
    pub fn new(limits: &Limits) -> PlainModules {
        PlainModules {
            engine: rego::new_engine(limits),
            packages: BTreeSet::new(),
            uses_inventory: false,
        }
    }

    /// Adds one module file; a module that does not compile is a diagnostic at its line.
    pub fn add(&mut self, path: &str, text: &str) -> Result<(), Diagnostic> {
        let location = palisade_core::Location {
            path: path.into(),
            line: 1,
            col: 1,
        };
        let module = Module {
            name: path.to_string(),
            text,
            first_line: Some(location),
        };
        // Keep the engine unchanged when a module fails, so the others still evaluate.
        let mut engine = self.engine.clone();
        let package = rego::add_module(&mut engine, &module).map_err(|e| {
            Diagnostic::error(
                e.location,
                format!("Rego module does not compile: {}", e.message),
            )
        })?;
        self.engine = engine;
        self.packages.insert(package);
        self.uses_inventory |= text.contains("inventory");
        Ok(())
    }

    /// Judges one object (set as the engine's input by the caller).
    pub(crate) fn judge(
        &self,
        engine: &mut Engine,
        object: &Value,
    ) -> (Vec<Violation>, Vec<(String, String)>) {
        let mut found = Vec::new();
        let mut errors = Vec::new();
        engine.set_input(object.clone());
        for package in &self.packages {
            let id = rule_id(package);
            let value = match engine.eval_query(package.clone(), false) {
                Ok(r) => r
                    .result
                    .first()
                    .and_then(|r| r.expressions.first())
                    .map(|e| rego::to_json(&e.value))
                    .unwrap_or(Json::Null),
                Err(e) => {
                    errors.push((id, rego::first_lines(&e.to_string(), 4)));
                    continue;
                }
            };
            let Some(rules) = value.as_object() else {
                continue;
            };
            for (rule, result) in rules {
                let Some(action) = rule_action(rule) else {
                    continue;
                };
                for (message, details) in plain_results(rule, result) {
                    found.push(Violation {
                        rule_id: id.clone(),
                        source: Source::Module {
                            package: package.trim_start_matches("data.").to_string(),
                            rule: rule.clone(),
                        },
                        actions: vec![action.clone()],
                        message,
                        details,
                    });
                }
            }
        }
        (found, errors)
    }
}
