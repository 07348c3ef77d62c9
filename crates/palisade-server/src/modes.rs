//! Enforcement modes per rule and namespace exemptions: the `admission:` section of
//! `palisade.yaml`.
//!
//! ```yaml
//! admission:
//!   modes:                 # rule id or glob -> deny | warn | audit | off
//!     PAL-POD-001: deny
//!     "PAL-IMG-*": warn
//!   severityModes:         # the mode of a rule no entry names, by its severity
//!     medium: audit
//!   exemptNamespaces: [kube-system, cert-manager]
//!   policyFailure: deny    # what a policy that errors does: deny | allow
//! ```
//!
//! Defaults: critical and high deny, medium warns, low and info are audited (recorded in the
//! log and the audit annotations only). The line follows the severity scale: high and
//! critical are direct paths to compromise, which admission exists to stop, while medium
//! findings are weaknesses that need other steps and are worth telling the client without
//! breaking its deploy. `kube-system` is exempt by default, as Pod Security Admission's
//! usual configuration exempts it: its components are privileged by design and refusing
//! them can break the cluster. A policy error denies by default (never an allow by accident).

use palisade_core::glob::Glob;
use palisade_core::yaml::{self, Node};
use palisade_core::Severity;

/// What happens to a violation of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Not judged.
    Off,
    /// Recorded in the log line, the metrics and the audit annotations only.
    Audit,
    /// Allowed with a warning returned to the client.
    Warn,
    /// Refused.
    Deny,
}

impl Mode {
    /// Parses `deny`, `warn`, `audit` or `off`.
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "deny" => Some(Mode::Deny),
            "warn" => Some(Mode::Warn),
            "audit" => Some(Mode::Audit),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }

    /// The name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Deny => "deny",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
            Mode::Off => "off",
        }
    }
}

/// The `admission:` section, with defaults applied.
#[derive(Debug, Clone)]
pub struct AdmissionConfig {
    /// Modes by rule id or glob (`PAL-POD-*`), in the order written. An exact id wins over a
    /// glob; among globs the longest pattern wins.
    pub modes: Vec<(Glob, Mode)>,
    /// Mode by severity for the rules `modes` does not name.
    pub severity_modes: [(Severity, Mode); 5],
    /// Namespaces whose requests are allowed without judging.
    pub exempt_namespaces: Vec<String>,
    /// What a policy that fails to evaluate does: `true` denies the request.
    pub deny_on_policy_error: bool,
}

impl Default for AdmissionConfig {
    fn default() -> AdmissionConfig {
        AdmissionConfig {
            modes: Vec::new(),
            severity_modes: [
                (Severity::Info, Mode::Audit),
                (Severity::Low, Mode::Audit),
                (Severity::Medium, Mode::Warn),
                (Severity::High, Mode::Deny),
                (Severity::Critical, Mode::Deny),
            ],
            exempt_namespaces: vec!["kube-system".to_string()],
            deny_on_policy_error: true,
        }
    }
}

impl AdmissionConfig {
    /// The mode of a rule explicitly configured under `modes`, if any.
    pub fn configured_mode(&self, rule_id: &str) -> Option<Mode> {
        if let Some((_, m)) = self.modes.iter().find(|(g, _)| g.as_str() == rule_id) {
            return Some(*m);
        }
        self.modes
            .iter()
            .filter(|(g, _)| g.matches(rule_id))
            .max_by_key(|(g, _)| g.as_str().len())
            .map(|(_, m)| *m)
    }

    /// The mode of a built-in rule with its (configured) severity.
    pub fn mode_for(&self, rule_id: &str, severity: Severity) -> Mode {
        self.configured_mode(rule_id).unwrap_or_else(|| {
            self.severity_modes
                .iter()
                .find(|(s, _)| *s == severity)
                .map_or(Mode::Deny, |(_, m)| *m)
        })
    }

    /// Is the namespace exempt?
    pub fn is_exempt(&self, namespace: &str) -> bool {
        self.exempt_namespaces.iter().any(|n| n == namespace)
    }

    /// Reads the `admission:` section of a `palisade.yaml` text (defaults when it has none).
    /// Errors are `path:line:col: message`, every one found.
    pub fn parse(path: &str, text: &str) -> Result<AdmissionConfig, Vec<String>> {
        let stream = yaml::parse_stream(text, &yaml::Limits::default());
        if let Some(e) = stream.error {
            return Err(vec![format!(
                "{path}:{}:{}: {}",
                e.pos.line, e.pos.col, e.message
            )]);
        }
        let mut config = AdmissionConfig::default();
        let Some(section) = stream
            .documents
            .first()
            .and_then(|d| d.root.get("admission"))
        else {
            return Ok(config);
        };
        let mut errors = Vec::new();
        let mut error = |node: &Node, msg: String| {
            errors.push(format!("{path}:{}:{}: {msg}", node.pos.line, node.pos.col));
        };
        if section.as_map().is_none() && !section.is_null() {
            error(section, "admission must be a mapping".into());
        }
        for e in section.entries() {
            let v = &e.value;
            match e.key.as_str().unwrap_or("") {
                "modes" => {
                    if v.as_map().is_none() {
                        error(v, "admission.modes must be a mapping".into());
                    }
                    for m in v.entries() {
                        let rule = m.key.as_str().unwrap_or("");
                        match m.value.as_str().and_then(Mode::parse) {
                            Some(mode) if !rule.is_empty() => {
                                config.modes.push((Glob::new(rule), mode))
                            }
                            _ => error(
                                &m.value,
                                format!("mode of `{rule}` must be one of: deny, warn, audit, off"),
                            ),
                        }
                    }
                }
                "severityModes" => {
                    if v.as_map().is_none() {
                        error(v, "admission.severityModes must be a mapping".into());
                    }
                    for m in v.entries() {
                        let sev = m.key.as_str().and_then(Severity::parse);
                        let mode = m.value.as_str().and_then(Mode::parse);
                        match (sev, mode) {
                            (Some(s), Some(mode)) => {
                                for slot in config.severity_modes.iter_mut() {
                                    if slot.0 == s {
                                        slot.1 = mode;
                                    }
                                }
                            }
                            (None, _) => error(
                                &m.key,
                                "severity must be one of: info, low, medium, high, critical".into(),
                            ),
                            (_, None) => error(
                                &m.value,
                                "mode must be one of: deny, warn, audit, off".into(),
                            ),
                        }
                    }
                }
                "exemptNamespaces" => match v.as_seq() {
                    Some(items) => {
                        config.exempt_namespaces.clear();
                        for i in items {
                            match i.as_str() {
                                Some(ns) => config.exempt_namespaces.push(ns.to_string()),
                                None => error(i, "exemptNamespaces holds strings".into()),
                            }
                        }
                    }
                    None => error(v, "exemptNamespaces must be a list of strings".into()),
                },
                "policyFailure" => match v.as_str() {
                    Some("deny") => config.deny_on_policy_error = true,
                    Some("allow") => config.deny_on_policy_error = false,
                    _ => error(v, "policyFailure must be `deny` or `allow`".into()),
                },
                other => error(
                    &e.key,
                    format!(
                        "unknown key `{other}` in admission (expected one of: modes, \
                         severityModes, exemptNamespaces, policyFailure)"
                    ),
                ),
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_severity() {
        let c = AdmissionConfig::default();
        assert_eq!(c.mode_for("PAL-POD-001", Severity::High), Mode::Deny);
        assert_eq!(c.mode_for("X", Severity::Medium), Mode::Warn);
        assert_eq!(c.mode_for("X", Severity::Low), Mode::Audit);
        assert!(c.is_exempt("kube-system"));
        assert!(!c.is_exempt("default"));
    }

    #[test]
    fn parses_modes_exact_beats_glob_and_longest_glob_wins() {
        let text = "apiVersion: palisade.dev/v1\nadmission:\n  modes:\n    PAL-*: audit\n    PAL-POD-*: warn\n    PAL-POD-001: off\n  severityModes: {medium: audit}\n  exemptNamespaces: [ops]\n  policyFailure: allow\n";
        let c = AdmissionConfig::parse("p.yaml", text).unwrap();
        assert_eq!(c.mode_for("PAL-POD-001", Severity::High), Mode::Off);
        assert_eq!(c.mode_for("PAL-POD-002", Severity::High), Mode::Warn);
        assert_eq!(c.mode_for("PAL-IMG-001", Severity::High), Mode::Audit);
        assert_eq!(c.mode_for("GK-X", Severity::Medium), Mode::Audit);
        assert_eq!(c.exempt_namespaces, vec!["ops"]);
        assert!(!c.deny_on_policy_error);
    }

    #[test]
    fn bad_values_are_errors_with_places() {
        let text = "admission:\n  modes: {PAL-POD-001: block}\n  colour: red\n";
        let errs = AdmissionConfig::parse("p.yaml", text).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].starts_with("p.yaml:2:"), "{errs:?}");
        assert!(errs[1].contains("unknown key `colour`"), "{errs:?}");
    }
}
