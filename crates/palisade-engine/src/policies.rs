//! The organisation's own policies as an analyzer: Gatekeeper ConstraintTemplates with their
//! Constraints, plain Rego modules and ValidatingAdmissionPolicies with their bindings
//! (`palisade-policy`), judged over the scanned inventory like the built-in rules, so one
//! report, one set of exceptions and one exit code cover both.

use palisade_core::{Config, Controls, Family, Finding, Inventory, Rule};
use palisade_policy::PolicySet;

use crate::analyzer::{Analysis, Analyzer};

/// A compiled policy set and its catalog entries.
pub struct PolicyAnalyzer {
    set: PolicySet,
    rules: Vec<&'static Rule>,
}

impl PolicyAnalyzer {
    /// Wraps `set`. Its referential data (`data.inventory`, the Namespaces that
    /// `namespaceSelector`s read) should be the scanned objects
    /// (`PolicySet::set_referential_data`), as Gatekeeper's audit reads the cluster.
    pub fn new(set: PolicySet) -> PolicyAnalyzer {
        // The catalog holds `&'static Rule`s: a policy set is loaded once per process, so
        // its few entries are leaked rather than making every catalog user generic.
        let rules = set
            .rules()
            .into_iter()
            .map(|r| {
                let description = if r.description.is_empty() {
                    format!("{}: a user policy given with --policies.", r.title)
                } else {
                    r.description
                };
                let rule: &'static Rule = Box::leak(Box::new(Rule {
                    id: Box::leak(r.id.into_boxed_str()),
                    title: Box::leak(r.title.into_boxed_str()),
                    severity: palisade_core::Severity::High,
                    family: Family::Policies,
                    description: Box::leak(description.into_boxed_str()),
                    remediation: "Change the object so the policy admits it, or agree an \
                                  exception with the policy's owners.",
                    references: &[],
                    controls: Controls::default(),
                }));
                rule
            })
            .collect();
        PolicyAnalyzer { set, rules }
    }
}

impl Analyzer for PolicyAnalyzer {
    fn name(&self) -> &'static str {
        "policies"
    }

    fn rules(&self) -> Vec<&'static Rule> {
        self.rules.clone()
    }

    fn check_inventory(&self, inventory: &Inventory, config: &Config) -> Vec<Finding> {
        self.analyze_inventory(inventory, config).findings
    }

    fn analyze_inventory(&self, inventory: &Inventory, config: &Config) -> Analysis {
        let evaluation = self.set.evaluate(inventory, config);
        let (errors, notes) = palisade_policy::into_load_problems(evaluation.diagnostics);
        Analysis {
            findings: evaluation.findings,
            errors,
            notes,
        }
    }
}
