//! The generated RBAC objects, as plain data, and their YAML form.
//!
//! The YAML is written by hand rather than through a serializer: every string is a double-quoted
//! JSON string (a valid YAML double-quoted scalar, so `*`, `""` and `:` need no thought), lists are
//! flow sequences, and the layout stays what a person would write, so a failing comparison points
//! at readable lines.

use std::fmt::Write as _;

/// One `PolicyRule`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

/// One `LabelSelectorRequirement`.
#[derive(Clone, Debug)]
pub(crate) struct Requirement {
    pub key: String,
    pub operator: &'static str,
    pub values: Vec<String>,
}

/// One entry of `aggregationRule.clusterRoleSelectors` (its parts are ANDed; entries are ORed).
#[derive(Clone, Debug, Default)]
pub(crate) struct Selector {
    pub match_labels: Vec<(String, String)>,
    pub match_expressions: Vec<Requirement>,
}

/// A Role (`namespace` set) or a ClusterRole.
#[derive(Clone, Debug, Default)]
pub(crate) struct RoleObj {
    pub namespace: Option<String>,
    pub name: String,
    pub labels: Vec<(String, String)>,
    /// `None` leaves the `rules` key out (valid: no rules).
    pub rules: Option<Vec<Rule>>,
    /// ClusterRoles only: `Some` makes it an aggregated role.
    pub aggregation: Option<Vec<Selector>>,
}

/// `roleRef`: kind and name.
#[derive(Clone, Debug)]
pub(crate) struct RoleRef {
    pub cluster: bool,
    pub name: String,
}

/// One binding subject.
#[derive(Clone, Debug)]
pub(crate) struct BindingSubject {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
}

/// A RoleBinding (`namespace` set) or a ClusterRoleBinding.
#[derive(Clone, Debug)]
pub(crate) struct BindingObj {
    pub namespace: Option<String>,
    pub name: String,
    pub role_ref: RoleRef,
    pub subjects: Vec<BindingSubject>,
}

const RBAC: &str = "rbac.authorization.k8s.io";

/// A YAML double-quoted scalar (JSON string syntax is a subset of it).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn flow(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", parts.join(", "))
}

fn metadata(out: &mut String, name: &str, namespace: Option<&str>, labels: &[(String, String)]) {
    let _ = writeln!(out, "metadata:\n  name: {}", q(name));
    if let Some(ns) = namespace {
        let _ = writeln!(out, "  namespace: {}", q(ns));
    }
    if !labels.is_empty() {
        out.push_str("  labels:\n");
        for (k, v) in labels {
            let _ = writeln!(out, "    {}: {}", q(k), q(v));
        }
    }
}

/// `---`, a Namespace.
pub(crate) fn namespace_yaml(out: &mut String, name: &str) {
    let _ = writeln!(out, "---\napiVersion: v1\nkind: Namespace");
    metadata(out, name, None, &[]);
}

/// `---`, a ServiceAccount.
pub(crate) fn service_account_yaml(out: &mut String, namespace: &str, name: &str) {
    let _ = writeln!(out, "---\napiVersion: v1\nkind: ServiceAccount");
    metadata(out, name, Some(namespace), &[]);
}

impl RoleObj {
    /// `---`, the Role or ClusterRole.
    pub(crate) fn write_yaml(&self, out: &mut String) {
        let kind = if self.namespace.is_some() {
            "Role"
        } else {
            "ClusterRole"
        };
        let _ = writeln!(out, "---\napiVersion: {RBAC}/v1\nkind: {kind}");
        metadata(out, &self.name, self.namespace.as_deref(), &self.labels);
        if let Some(selectors) = &self.aggregation {
            out.push_str("aggregationRule:\n  clusterRoleSelectors:\n");
            for s in selectors {
                write_selector(out, s);
            }
        }
        match &self.rules {
            None => {}
            Some(rules) if rules.is_empty() => out.push_str("rules: []\n"),
            Some(rules) => {
                out.push_str("rules:\n");
                for rule in rules {
                    write_rule(out, rule);
                }
            }
        }
    }
}

fn write_selector(out: &mut String, s: &Selector) {
    let mut lead = "  - ";
    if !s.match_labels.is_empty() {
        let _ = writeln!(out, "{lead}matchLabels:");
        for (k, v) in &s.match_labels {
            let _ = writeln!(out, "      {}: {}", q(k), q(v));
        }
        lead = "    ";
    }
    if !s.match_expressions.is_empty() {
        let _ = writeln!(out, "{lead}matchExpressions:");
        for r in &s.match_expressions {
            let _ = writeln!(
                out,
                "      - key: {}\n        operator: {}",
                q(&r.key),
                r.operator
            );
            if !r.values.is_empty() {
                let _ = writeln!(out, "        values: {}", flow(&r.values));
            }
        }
    }
}

fn write_rule(out: &mut String, rule: &Rule) {
    let mut lead = "- ";
    let fields = [
        ("apiGroups", &rule.api_groups),
        ("resources", &rule.resources),
        ("resourceNames", &rule.resource_names),
        ("nonResourceURLs", &rule.non_resource_urls),
        ("verbs", &rule.verbs),
    ];
    for (key, values) in fields {
        if !values.is_empty() {
            let _ = writeln!(out, "{lead}{key}: {}", flow(values));
            lead = "  ";
        }
    }
}

impl BindingObj {
    /// `---`, the RoleBinding or ClusterRoleBinding.
    pub(crate) fn write_yaml(&self, out: &mut String) {
        let kind = if self.namespace.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        };
        let _ = writeln!(out, "---\napiVersion: {RBAC}/v1\nkind: {kind}");
        metadata(out, &self.name, self.namespace.as_deref(), &[]);
        let ref_kind = if self.role_ref.cluster {
            "ClusterRole"
        } else {
            "Role"
        };
        let _ = writeln!(
            out,
            "roleRef:\n  apiGroup: {RBAC}\n  kind: {ref_kind}\n  name: {}",
            q(&self.role_ref.name)
        );
        out.push_str("subjects:\n");
        for s in &self.subjects {
            let _ = writeln!(out, "- kind: {}\n  name: {}", s.kind, q(&s.name));
            if s.kind != "ServiceAccount" {
                let _ = writeln!(out, "  apiGroup: {RBAC}");
            }
            if let Some(ns) = &s.namespace {
                let _ = writeln!(out, "  namespace: {}", q(ns));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_quotes_every_string_and_keeps_rule_keys_together() {
        let role = RoleObj {
            namespace: None,
            name: "gen-agg-0".into(),
            labels: vec![("palisade.test/tier".into(), "gold".into())],
            rules: Some(vec![Rule {
                non_resource_urls: vec!["/logs/*".into()],
                verbs: vec!["*".into()],
                ..Rule::default()
            }]),
            aggregation: Some(vec![Selector {
                match_labels: vec![("k".into(), "true".into())],
                match_expressions: vec![Requirement {
                    key: "t".into(),
                    operator: "NotIn",
                    values: vec!["x".into()],
                }],
            }]),
        };
        let mut out = String::new();
        role.write_yaml(&mut out);
        assert!(out.contains("kind: ClusterRole\n"), "{out}");
        assert!(
            out.contains("- nonResourceURLs: [\"/logs/*\"]\n  verbs: [\"*\"]\n"),
            "{out}"
        );
        assert!(
            out.contains("  - matchLabels:\n      \"k\": \"true\"\n    matchExpressions:\n"),
            "{out}"
        );
        assert!(!out.contains("namespace:"), "{out}");
    }
}
