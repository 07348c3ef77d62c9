//! [`Emitter`]: how a rule reports a finding. It applies the configured rule settings
//! (disabled rules, severity overrides) in one place, so rules never look at them.

use std::sync::Arc;

use crate::yaml::Pos;
use crate::{Config, Finding, Location, Object, ObjectRef, Rule, Severity};

/// Collects findings for one run of the rules.
pub struct Emitter<'a> {
    config: &'a Config,
    findings: Vec<Finding>,
}

impl<'a> Emitter<'a> {
    /// An emitter honouring `config`'s rule settings.
    pub fn new(config: &'a Config) -> Emitter<'a> {
        Emitter {
            config,
            findings: Vec::new(),
        }
    }

    /// An emitter with room for `capacity` findings (growing a vector of findings one
    /// reallocation at a time showed up as a tenth of a large scan's time).
    pub fn with_capacity(config: &'a Config, capacity: usize) -> Emitter<'a> {
        Emitter {
            config,
            findings: Vec::with_capacity(capacity),
        }
    }

    /// The configuration (approved registries, data classes, ...).
    pub fn config(&self) -> &'a Config {
        self.config
    }

    /// Is the rule turned on? Rules call this before doing expensive work.
    pub fn enabled(&self, rule: &Rule) -> bool {
        self.config.rule_enabled(rule.id)
    }

    /// Reports a finding of `rule` on `object` at `pos` (the offending field's key, or the
    /// object's start when the field is missing). Returns the finding so the caller can add
    /// evidence; `None` when the rule is turned off.
    pub fn emit(
        &mut self,
        rule: &'static Rule,
        object: &Object,
        pos: Pos,
        field: Option<Arc<str>>,
        message: impl Into<String>,
    ) -> Option<&mut Finding> {
        if !self.enabled(rule) {
            return None;
        }
        self.emit_at(rule, &object.id, object.location_of(pos), field, message)
    }

    /// Reports a finding that is not about a YAML object (a Dockerfile stage, ...): the
    /// caller names the object and the place.
    pub fn emit_at(
        &mut self,
        rule: &'static Rule,
        object: &Arc<ObjectRef>,
        location: Location,
        field: Option<Arc<str>>,
        message: impl Into<String>,
    ) -> Option<&mut Finding> {
        if !self.enabled(rule) {
            return None;
        }
        self.findings.push(Finding {
            rule_id: crate::RuleId::Borrowed(rule.id),
            severity: self.config.severity_for(rule.id, rule.severity),
            object: Arc::clone(object),
            location,
            field,
            message: message.into().into_boxed_str(),
            evidence: None,
        });
        self.findings.last_mut()
    }

    /// [`Emitter::emit_at`] with a severity of this finding's own, as
    /// [`Emitter::emit_graded`].
    pub fn emit_graded_at(
        &mut self,
        rule: &'static Rule,
        severity: Severity,
        object: &Arc<ObjectRef>,
        location: Location,
        message: impl Into<String>,
    ) -> Option<&mut Finding> {
        let overridden = self.overridden(rule);
        let finding = self.emit_at(rule, object, location, None, message)?;
        if !overridden {
            finding.severity = severity;
        }
        Some(finding)
    }

    fn overridden(&self, rule: &Rule) -> bool {
        self.config
            .rules
            .get(rule.id)
            .is_some_and(|s| s.severity.is_some())
    }

    /// Like [`Emitter::emit`], with a severity of this finding's own (rules whose risk depends
    /// on the case, e.g. a port exposed on a NodePort vs. an internal load balancer). A
    /// severity the user configured for the rule still wins.
    pub fn emit_graded(
        &mut self,
        rule: &'static Rule,
        severity: Severity,
        object: &Object,
        pos: Pos,
        field: Arc<str>,
        message: impl Into<String>,
    ) -> Option<&mut Finding> {
        let overridden = self.overridden(rule);
        let finding = self.emit(rule, object, pos, Some(field), message)?;
        if !overridden {
            finding.severity = severity;
        }
        Some(finding)
    }

    /// Takes over the findings of another emitter (rules judged side by side, each with its
    /// own), after this one's.
    pub fn append(&mut self, other: Emitter<'_>) {
        self.findings.extend(other.findings);
    }

    /// The findings collected.
    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}
