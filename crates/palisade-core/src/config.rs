//! `palisade.yaml`: exceptions, data classes and environments, approved registries and
//! images, and per-rule settings. Parsing is strict: an unknown key or a value of the wrong
//! shape is an error at its file:line, never silently ignored.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::date::Date;
use crate::finding::{Location, Severity};
use crate::glob::Glob;
use crate::inventory::{LoadError, LoadLimits};
use crate::yaml::{self, Node, Pos};

/// The only config `apiVersion` understood.
pub const API_VERSION: &str = "palisade.dev/v1";

/// The parsed configuration. `Config::default()` is "no configuration".
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from.
    pub path: Option<Arc<str>>,
    /// The environment scanned (`environment:`; the CLI's `--environment` overrides).
    pub environment: Option<String>,
    /// Environments and which data classes each allows.
    pub environments: BTreeMap<String, Environment>,
    /// Data classes and what each requires.
    pub data_classes: BTreeMap<String, DataClass>,
    /// Registries images may come from (`host` or `host/path` prefixes).
    pub approved_registries: Vec<String>,
    /// Image globs that are approved whatever their registry.
    pub approved_images: Vec<Glob>,
    /// Exceptions.
    pub exceptions: Vec<Exception>,
    /// Per-rule settings by rule id.
    pub rules: BTreeMap<String, RuleSetting>,
}

/// One environment of the data workload guide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// Data classes allowed to run here.
    pub allowed_data_classes: Vec<String>,
}

/// One data class and the controls it requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataClass {
    /// Required controls.
    pub requires: Vec<Requirement>,
}

/// A control a data class can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Requirement {
    /// The namespace has a NetworkPolicy that denies all ingress by default.
    DefaultDenyNetworkPolicy,
    /// Every container runs as non-root.
    RunAsNonRoot,
    /// Every container has a read-only root filesystem.
    ReadOnlyRootFilesystem,
    /// Every container sets `allowPrivilegeEscalation: false`.
    NoPrivilegeEscalation,
    /// Every container sets CPU and memory limits.
    ResourceLimits,
    /// Every image is pinned by digest.
    ImageDigest,
}

impl Requirement {
    /// Every requirement with its config name.
    pub const ALL: [(Requirement, &'static str); 6] = [
        (
            Requirement::DefaultDenyNetworkPolicy,
            "default-deny-network-policy",
        ),
        (Requirement::RunAsNonRoot, "run-as-non-root"),
        (
            Requirement::ReadOnlyRootFilesystem,
            "read-only-root-filesystem",
        ),
        (
            Requirement::NoPrivilegeEscalation,
            "no-privilege-escalation",
        ),
        (Requirement::ResourceLimits, "resource-limits"),
        (Requirement::ImageDigest, "image-digest"),
    ];

    /// The config name (`run-as-non-root`).
    pub fn name(self) -> &'static str {
        Requirement::ALL
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("", |(_, n)| n)
    }
}

/// An exception: findings of these rules on matching objects are suppressed (and counted).
#[derive(Debug, Clone)]
pub struct Exception {
    /// Rule ids; `*` matches every rule.
    pub rules: Vec<String>,
    /// Kind glob.
    pub kind: Option<Glob>,
    /// Namespace glob.
    pub namespace: Option<Glob>,
    /// Name glob.
    pub name: Option<Glob>,
    /// Labels the object must all have.
    pub labels: BTreeMap<String, String>,
    /// Why (required).
    pub reason: String,
    /// Last day the exception holds.
    pub expires: Option<Date>,
    /// Where it is written.
    pub location: Location,
}

/// Settings for one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSetting {
    /// `false` turns the rule off.
    pub enabled: Option<bool>,
    /// Severity override.
    pub severity: Option<Severity>,
}

/// The data classes Palisade knows when `palisade.yaml` defines none, from least to most
/// sensitive. Each class requires what the one before it does, and more.
pub const BUILTIN_DATA_CLASSES: [(&str, &[Requirement]); 4] = [
    ("public", &[]),
    ("internal", &[Requirement::NoPrivilegeEscalation]),
    (
        "confidential",
        &[
            Requirement::DefaultDenyNetworkPolicy,
            Requirement::RunAsNonRoot,
            Requirement::NoPrivilegeEscalation,
            Requirement::ReadOnlyRootFilesystem,
        ],
    ),
    (
        "restricted",
        &[
            Requirement::DefaultDenyNetworkPolicy,
            Requirement::RunAsNonRoot,
            Requirement::NoPrivilegeEscalation,
            Requirement::ReadOnlyRootFilesystem,
            Requirement::ResourceLimits,
            Requirement::ImageDigest,
        ],
    ),
];

static BUILTIN_CLASSES: std::sync::LazyLock<BTreeMap<String, DataClass>> =
    std::sync::LazyLock::new(|| {
        BUILTIN_DATA_CLASSES
            .iter()
            .map(|(name, requires)| {
                (
                    (*name).to_string(),
                    DataClass {
                        requires: requires.to_vec(),
                    },
                )
            })
            .collect()
    });

impl Config {
    /// The data classes in force: the configured ones, or the built-in `public`, `internal`,
    /// `confidential` and `restricted` ([`BUILTIN_DATA_CLASSES`]) when the config defines
    /// none. A config that defines any class replaces all the built-in ones.
    pub fn data_classes(&self) -> &BTreeMap<String, DataClass> {
        if self.data_classes.is_empty() {
            &BUILTIN_CLASSES
        } else {
            &self.data_classes
        }
    }

    /// True when the data classes in force are the built-in ones.
    pub fn builtin_data_classes(&self) -> bool {
        self.data_classes.is_empty()
    }

    /// Is this rule turned on?
    pub fn rule_enabled(&self, id: &str) -> bool {
        self.rules.get(id).and_then(|s| s.enabled).unwrap_or(true)
    }

    /// The severity to report for this rule.
    pub fn severity_for(&self, id: &str, default: Severity) -> Severity {
        self.rules
            .get(id)
            .and_then(|s| s.severity)
            .unwrap_or(default)
    }

    /// The environment in force, if it is configured.
    pub fn current_environment(&self) -> Option<(&str, &Environment)> {
        let name = self.environment.as_deref()?;
        self.environments
            .get_key_value(name)
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Parses a config file. Returns every error found, not just the first.
    pub fn parse(path: &str, text: &str) -> Result<Config, Vec<LoadError>> {
        let path: Arc<str> = Arc::from(path);
        let stream = yaml::parse_stream(text, &LoadLimits::default().yaml);
        let mut p = ConfigParser {
            path: Arc::clone(&path),
            errors: Vec::new(),
        };
        if let Some(err) = stream.error {
            return Err(vec![LoadError::at(&path, err.pos, err.message)]);
        }
        let docs: Vec<_> = stream
            .documents
            .iter()
            .filter(|d| !d.root.is_null())
            .collect();
        let mut config = Config {
            path: Some(Arc::clone(&path)),
            ..Config::default()
        };
        match docs.as_slice() {
            [] => {}
            [doc] => p.config(&doc.root, &mut config),
            [_, second, ..] => p.error(second.root.pos, "a config file holds one YAML document"),
        }
        if p.errors.is_empty() {
            Ok(config)
        } else {
            Err(p.errors)
        }
    }

    /// Errors for rule ids the catalog does not know (typos would silently do nothing).
    pub fn check_rule_ids(&self, known: impl Fn(&str) -> bool) -> Vec<String> {
        let mut bad = Vec::new();
        for e in &self.exceptions {
            for id in e.rules.iter().filter(|id| *id != "*" && !known(id)) {
                bad.push(format!(
                    "{}: unknown rule id `{id}` in exception",
                    e.location
                ));
            }
        }
        for id in self.rules.keys().filter(|id| !known(id)) {
            let path = self.path.as_deref().unwrap_or("config");
            bad.push(format!("{path}: unknown rule id `{id}` under rules"));
        }
        bad
    }
}

struct ConfigParser {
    path: Arc<str>,
    errors: Vec<LoadError>,
}

impl ConfigParser {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.errors.push(LoadError::at(&self.path, pos, message));
    }

    /// Checks that `node` is a mapping whose keys are all in `allowed`.
    fn fields<'a>(&mut self, node: &'a Node, what: &str, allowed: &[&str]) -> &'a [yaml::Entry] {
        let Some(entries) = node.as_map() else {
            self.error(node.pos, format!("{what} must be a mapping"));
            return &[];
        };
        for e in entries {
            match e.key.as_str() {
                Some(k) if allowed.contains(&k) => {}
                Some(k) => self.error(
                    e.key.pos,
                    format!(
                        "unknown key `{k}` in {what} (expected one of: {})",
                        allowed.join(", ")
                    ),
                ),
                None => self.error(e.key.pos, format!("{what} keys must be strings")),
            }
        }
        entries
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match node.as_str() {
            Some(s) if node.as_map().is_none() && node.as_seq().is_none() => Some(s.to_string()),
            _ => {
                self.error(node.pos, format!("{what} must be a string"));
                None
            }
        }
    }

    fn strings(&mut self, node: &Node, what: &str) -> Vec<String> {
        let Some(items) = node.as_seq() else {
            self.error(node.pos, format!("{what} must be a list of strings"));
            return Vec::new();
        };
        items.iter().filter_map(|i| self.string(i, what)).collect()
    }

    fn config(&mut self, root: &Node, config: &mut Config) {
        let entries = self.fields(
            root,
            "the config",
            &[
                "apiVersion",
                "kind",
                "environment",
                "environments",
                "dataClasses",
                "approvedRegistries",
                "approvedImages",
                "exceptions",
                "rules",
                // Read by the admission server (palisade-server), which checks it strictly.
                "admission",
            ],
        );
        match root.get("apiVersion") {
            Some(v) if v.as_str() == Some(API_VERSION) => {}
            Some(v) => self.error(v.pos, format!("apiVersion must be `{API_VERSION}`")),
            None => self.error(root.pos, format!("missing `apiVersion: {API_VERSION}`")),
        }
        for e in entries {
            let v = &e.value;
            match e.key.as_str().unwrap_or("") {
                "kind" if v.as_str() != Some("Config") => {
                    self.error(v.pos, "kind must be `Config`");
                }
                "environment" => config.environment = self.string(v, "environment"),
                "environments" => {
                    for env in self.fields_any(v, "environments") {
                        let name = env.key.as_str().unwrap_or("").to_string();
                        let fields =
                            self.fields(&env.value, "an environment", &["allowedDataClasses"]);
                        let mut environment = Environment::default();
                        for f in fields {
                            environment.allowed_data_classes =
                                self.strings(&f.value, "allowedDataClasses");
                        }
                        config.environments.insert(name, environment);
                    }
                }
                "dataClasses" => {
                    for class in self.fields_any(v, "dataClasses") {
                        let name = class.key.as_str().unwrap_or("").to_string();
                        let fields = self.fields(&class.value, "a data class", &["requires"]);
                        let mut dc = DataClass::default();
                        for f in fields {
                            for item in f.value.items() {
                                match Requirement::ALL
                                    .iter()
                                    .find(|(_, n)| item.as_str() == Some(n))
                                {
                                    Some((r, _)) => dc.requires.push(*r),
                                    None => {
                                        let names: Vec<_> =
                                            Requirement::ALL.iter().map(|(_, n)| *n).collect();
                                        self.error(
                                            item.pos,
                                            format!(
                                                "unknown requirement (expected one of: {})",
                                                names.join(", ")
                                            ),
                                        );
                                    }
                                }
                            }
                            if f.value.as_seq().is_none() {
                                self.error(f.value.pos, "requires must be a list");
                            }
                        }
                        config.data_classes.insert(name, dc);
                    }
                }
                "approvedRegistries" => {
                    config.approved_registries = self.strings(v, "approvedRegistries")
                }
                "approvedImages" => {
                    config.approved_images = self
                        .strings(v, "approvedImages")
                        .iter()
                        .map(|s| Glob::new(s))
                        .collect();
                }
                "exceptions" => {
                    let Some(items) = v.as_seq() else {
                        self.error(v.pos, "exceptions must be a list");
                        continue;
                    };
                    for item in items {
                        if let Some(ex) = self.exception(item) {
                            config.exceptions.push(ex);
                        }
                    }
                }
                "rules" => {
                    for rule in self.fields_any(v, "rules") {
                        let id = rule.key.as_str().unwrap_or("").to_string();
                        let fields =
                            self.fields(&rule.value, "a rule setting", &["enabled", "severity"]);
                        let mut setting = RuleSetting::default();
                        for f in fields {
                            match f.key.as_str() {
                                Some("enabled") => match f.value.as_bool() {
                                    Some(b) => setting.enabled = Some(b),
                                    None => self.error(f.value.pos, "enabled must be true or false"),
                                },
                                Some("severity") => match f.value.as_str().and_then(Severity::parse) {
                                    Some(s) => setting.severity = Some(s),
                                    None => self.error(
                                        f.value.pos,
                                        "severity must be one of: info, low, medium, high, critical",
                                    ),
                                },
                                _ => {}
                            }
                        }
                        config.rules.insert(id, setting);
                    }
                }
                _ => {}
            }
        }
    }

    /// A mapping whose keys are free-form names.
    fn fields_any<'a>(&mut self, node: &'a Node, what: &str) -> &'a [yaml::Entry] {
        if node.is_null() {
            return &[];
        }
        match node.as_map() {
            Some(entries) => entries,
            None => {
                self.error(node.pos, format!("{what} must be a mapping"));
                &[]
            }
        }
    }

    fn exception(&mut self, node: &Node) -> Option<Exception> {
        let fields = self.fields(
            node,
            "an exception",
            &[
                "rules",
                "rule",
                "kind",
                "namespace",
                "name",
                "labels",
                "reason",
                "expires",
            ],
        );
        let location = Location {
            path: Arc::clone(&self.path),
            line: node.pos.line,
            col: node.pos.col,
        };
        let mut ex = Exception {
            rules: Vec::new(),
            kind: None,
            namespace: None,
            name: None,
            labels: BTreeMap::new(),
            reason: String::new(),
            expires: None,
            location,
        };
        for f in fields {
            let v = &f.value;
            match f.key.as_str().unwrap_or("") {
                "rules" => ex.rules.extend(self.strings(v, "rules")),
                "rule" => ex.rules.extend(self.string(v, "rule")),
                "kind" => ex.kind = self.string(v, "kind").map(|s| Glob::new(&s)),
                "namespace" => ex.namespace = self.string(v, "namespace").map(|s| Glob::new(&s)),
                "name" => ex.name = self.string(v, "name").map(|s| Glob::new(&s)),
                "labels" => {
                    for l in self.fields_any(v, "labels") {
                        if let (Some(k), Some(val)) = (l.key.as_str(), l.value.scalar_text()) {
                            ex.labels.insert(k.to_string(), val.to_string());
                        }
                    }
                }
                "reason" => ex.reason = self.string(v, "reason").unwrap_or_default(),
                "expires" => match v.scalar_text().and_then(Date::parse) {
                    Some(d) => ex.expires = Some(d),
                    None => self.error(v.pos, "expires must be a date written YYYY-MM-DD"),
                },
                _ => {}
            }
        }
        if ex.rules.is_empty() {
            self.error(
                node.pos,
                "an exception needs `rules:` (a list of rule ids, or [\"*\"])",
            );
            return None;
        }
        if ex.reason.trim().is_empty() {
            self.error(node.pos, "an exception needs a `reason:`");
            return None;
        }
        Some(ex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let text = "apiVersion: palisade.dev/v1\nenvironment: prod\nenvironments:\n  prod:\n    allowedDataClasses: [public, confidential]\ndataClasses:\n  confidential:\n    requires: [default-deny-network-policy, run-as-non-root]\napprovedRegistries: [registry.corp.test]\nexceptions:\n  - rules: [PAL-POD-002]\n    kind: DaemonSet\n    namespace: kube-*\n    reason: node agent\n    expires: 2030-01-01\nrules:\n  PAL-POD-037: {enabled: false}\n  PAL-IMG-002: {severity: low}\n";
        let c = Config::parse("palisade.yaml", text).unwrap();
        assert_eq!(
            c.current_environment()
                .unwrap()
                .1
                .allowed_data_classes
                .len(),
            2
        );
        assert_eq!(
            c.data_classes["confidential"].requires,
            vec![
                Requirement::DefaultDenyNetworkPolicy,
                Requirement::RunAsNonRoot
            ]
        );
        assert_eq!(c.exceptions[0].location.line, 11);
        assert!(!c.rule_enabled("PAL-POD-037"));
        assert_eq!(c.severity_for("PAL-IMG-002", Severity::High), Severity::Low);
    }

    #[test]
    fn the_admission_section_is_left_to_the_server() {
        let text = "apiVersion: palisade.dev/v1\nadmission:\n  modes: {PAL-POD-001: warn}\n";
        assert!(Config::parse("p.yaml", text).is_ok());
    }

    #[test]
    fn unknown_keys_are_errors_with_lines() {
        let text = "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [X]\n    reason: r\n    namesapce: prod\nfoo: 1\n";
        let errs = Config::parse("p.yaml", text).unwrap_err();
        let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("p.yaml:5:5: unknown key `namesapce`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("p.yaml:6:1: unknown key `foo`")),
            "{msgs:?}"
        );
    }

    #[test]
    fn exceptions_need_rules_and_reason() {
        let text = "apiVersion: palisade.dev/v1\nexceptions:\n  - kind: Pod\n";
        let errs = Config::parse("p.yaml", text).unwrap_err();
        assert!(errs[0].message.contains("rules"));
    }
}
