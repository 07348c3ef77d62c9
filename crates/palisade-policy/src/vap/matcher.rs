//! `matchConstraints` of a policy and `matchResources` of a binding: which requests they
//! apply to.
//!
//! Mirrors `k8s.io/apiserver/pkg/admission/plugin/policy/matching` `Matcher.Matches`
//! (namespaceSelector via the namespace matcher's `MatchNamespaceSelector`, objectSelector
//! via the object matcher's `MatchObjectSelector`, then `excludeResourceRules`, then
//! `resourceRules`) and the webhook rules matcher `rules.Matcher.Matches` (operation, group,
//! version, resource with subresource, scope), plus `resourceNames`.

use palisade_core::selector::LabelSelector;
use palisade_core::yaml::Node;
use serde_json::Value as Json;

use super::resources::EQUIVALENT_GROUPS;

/// One `resourceRules` / `excludeResourceRules` entry.
#[derive(Debug, Clone, Default)]
struct Rule {
    operations: Vec<String>,
    groups: Vec<String>,
    versions: Vec<String>,
    resources: Vec<String>,
    resource_names: Vec<String>,
    scope: String,
}

/// A parsed `matchConstraints` / `matchResources`.
#[derive(Debug, Clone, Default)]
pub struct MatchResources {
    rules: Vec<Rule>,
    excluded: Vec<Rule>,
    namespace_selector: Option<LabelSelector>,
    object_selector: Option<LabelSelector>,
    /// `matchPolicy: Exact` (the default is `Equivalent`).
    exact: bool,
}

/// The request attributes matching reads.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
    pub operation: &'a str,
    /// Resource group.
    pub group: &'a str,
    /// Resource version.
    pub version: &'a str,
    /// Plural resource.
    pub resource: &'a str,
    /// Subresource (`""` for none).
    pub subresource: &'a str,
    /// Object name.
    pub name: &'a str,
    /// Namespace (`""` for cluster-scoped requests).
    pub namespace: &'a str,
    /// `object` (null on DELETE).
    pub object: &'a Json,
    /// `oldObject` (null on CREATE).
    pub old_object: &'a Json,
}

/// Outcome of matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    /// Applies.
    Yes,
    /// Does not apply.
    No,
    /// A namespaceSelector needs a Namespace that is not known.
    MissingNamespace(String),
}

fn strings(node: Option<&Node>, what: &str) -> Result<Vec<String>, String> {
    let Some(node) = node.filter(|n| !n.is_null()) else {
        return Ok(Vec::new());
    };
    let items = node
        .as_seq()
        .ok_or_else(|| format!("{what} must be a list"))?;
    items
        .iter()
        .map(|i| {
            i.scalar_text()
                .map(str::to_string)
                .ok_or_else(|| format!("{what} entries must be strings"))
        })
        .collect()
}

fn rules(node: Option<&Node>, what: &str) -> Result<Vec<Rule>, String> {
    let Some(node) = node.filter(|n| !n.is_null()) else {
        return Ok(Vec::new());
    };
    let items = node
        .as_seq()
        .ok_or_else(|| format!("{what} must be a list"))?;
    items
        .iter()
        .map(|r| {
            Ok(Rule {
                operations: strings(r.get("operations"), "operations")?,
                groups: strings(r.get("apiGroups"), "apiGroups")?,
                versions: strings(r.get("apiVersions"), "apiVersions")?,
                resources: strings(r.get("resources"), "resources")?,
                resource_names: strings(r.get("resourceNames"), "resourceNames")?,
                scope: r
                    .get("scope")
                    .and_then(Node::as_str)
                    .unwrap_or("*")
                    .to_string(),
            })
        })
        .collect()
}

fn selector(node: Option<&Node>, what: &str) -> Result<Option<LabelSelector>, String> {
    match node {
        Some(n) if !n.is_null() => LabelSelector::parse(n)
            .map(Some)
            .map_err(|e| format!("{what}: {e}")),
        _ => Ok(None),
    }
}

fn any(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x == "*" || x == value)
}

impl Rule {
    /// `rules.Matcher.Matches`: operation, group, version, resource, scope; then names.
    fn matches(&self, a: &Attributes<'_>, group: &str, version: &str) -> bool {
        any(&self.operations, a.operation)
            && any(&self.groups, group)
            && any(&self.versions, version)
            && self.resource_matches(a)
            && self.scope_matches(a)
            && (self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == a.name))
    }

    /// `rules.Matcher.resource`: `*` is every resource without subresource, `*/*` every
    /// resource and subresource, `pods/*` every subresource of pods (and pods itself).
    fn resource_matches(&self, a: &Attributes<'_>) -> bool {
        self.resources.iter().any(|r| {
            let (res, sub) = r.split_once('/').unwrap_or((r.as_str(), ""));
            (res == "*" || res == a.resource) && (sub == "*" || sub == a.subresource)
        })
    }

    /// `rules.Matcher.scope`: Namespaces themselves are cluster-scoped.
    fn scope_matches(&self, a: &Attributes<'_>) -> bool {
        let is_namespace = a.group.is_empty() && a.resource == "namespaces";
        match self.scope.as_str() {
            "Cluster" => a.namespace.is_empty() || is_namespace,
            "Namespaced" => !a.namespace.is_empty() && !is_namespace,
            _ => true,
        }
    }
}

fn labels(object: &Json) -> &Json {
    object
        .get("metadata")
        .and_then(|m| m.get("labels"))
        .unwrap_or(&Json::Null)
}

fn selects(sel: &LabelSelector, labels: &Json) -> bool {
    sel.matches(|k| labels.get(k).and_then(Json::as_str))
}

impl MatchResources {
    /// Parses a `matchConstraints` / `matchResources` node (absent: matches everything).
    pub fn parse(node: Option<&Node>) -> Result<MatchResources, String> {
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return Ok(MatchResources::default());
        };
        if node.as_map().is_none() {
            return Err("matchResources must be a mapping".into());
        }
        Ok(MatchResources {
            rules: rules(node.get("resourceRules"), "resourceRules")?,
            excluded: rules(node.get("excludeResourceRules"), "excludeResourceRules")?,
            namespace_selector: selector(node.get("namespaceSelector"), "namespaceSelector")?,
            object_selector: selector(node.get("objectSelector"), "objectSelector")?,
            exact: node.get("matchPolicy").and_then(Node::as_str) == Some("Exact"),
        })
    }

    /// Does it apply to the request? `namespace_labels(ns)` gives a known Namespace's labels.
    pub fn matches<'n>(
        &self,
        a: &Attributes<'_>,
        namespace_labels: &dyn Fn(&str) -> Option<&'n Json>,
    ) -> Matched {
        // `MatchObjectSelector`: the object or the old object; an absent one (`matchObject`
        // on nil) never matches, even a selector of only NotIn/DoesNotExist terms.
        if let Some(sel) = self.object_selector.as_ref().filter(|s| !s.is_empty()) {
            let select = |o: &Json| !o.is_null() && selects(sel, labels(o));
            if !select(a.object) && !select(a.old_object) {
                return Matched::No;
            }
        }
        if self.excluded.iter().any(|r| self.rule_matches(r, a)) {
            return Matched::No;
        }
        // An empty rule list matches everything (a binding that narrows nothing).
        if !self.rules.is_empty() && !self.rules.iter().any(|r| self.rule_matches(r, a)) {
            return Matched::No;
        }
        self.namespace_matches(a, namespace_labels)
    }

    /// A rule against the request's resource, or under `Equivalent`, against the same
    /// resource in any version or in an equivalent group.
    fn rule_matches(&self, r: &Rule, a: &Attributes<'_>) -> bool {
        if r.matches(a, a.group, a.version) {
            return true;
        }
        if self.exact {
            return false;
        }
        let groups = EQUIVALENT_GROUPS
            .iter()
            .filter(|(res, g1, g2)| *res == a.resource && (*g1 == a.group || *g2 == a.group))
            .flat_map(|(_, g1, g2)| [*g1, *g2]);
        std::iter::once(a.group)
            .chain(groups)
            .any(|g| r.versions.iter().any(|v| r.matches(a, g, v)))
    }

    /// `MatchNamespaceSelector`: cluster-scoped requests match (a Namespace by its own
    /// labels); namespaced ones need their Namespace's labels.
    fn namespace_matches<'n>(
        &self,
        a: &Attributes<'_>,
        namespace_labels: &dyn Fn(&str) -> Option<&'n Json>,
    ) -> Matched {
        let Some(sel) = &self.namespace_selector else {
            return Matched::Yes;
        };
        let verdict = |ok| if ok { Matched::Yes } else { Matched::No };
        if a.group.is_empty() && a.resource == "namespaces" {
            let own = if a.object.is_null() {
                a.old_object
            } else {
                a.object
            };
            return verdict(selects(sel, labels(own)));
        }
        if a.namespace.is_empty() {
            return Matched::Yes;
        }
        if sel.is_empty() {
            return Matched::Yes;
        }
        match namespace_labels(a.namespace) {
            Some(l) => verdict(selects(sel, l)),
            None => Matched::MissingNamespace(a.namespace.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::yaml::{parse_stream, Limits};
    use serde_json::json;

    fn parse(text: &str) -> MatchResources {
        let root = parse_stream(text, &Limits::default())
            .documents
            .remove(0)
            .root;
        MatchResources::parse(Some(&root)).unwrap()
    }

    fn attrs<'a>(
        group: &'a str,
        version: &'a str,
        resource: &'a str,
        sub: &'a str,
        ns: &'a str,
        obj: &'a Json,
    ) -> Attributes<'a> {
        Attributes {
            operation: "CREATE",
            group,
            version,
            resource,
            subresource: sub,
            name: "x",
            namespace: ns,
            object: obj,
            old_object: &Json::Null,
        }
    }

    fn none(_: &str) -> Option<&'static Json> {
        None
    }

    #[test]
    fn subresources_and_wildcards() {
        let obj = json!({});
        let star = parse("resourceRules: [{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*']}]");
        assert_eq!(
            star.matches(&attrs("", "v1", "pods", "", "a", &obj), &none),
            Matched::Yes
        );
        assert_eq!(
            star.matches(&attrs("", "v1", "pods", "exec", "a", &obj), &none),
            Matched::No
        );
        let all = parse("resourceRules: [{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*/*']}]");
        assert_eq!(
            all.matches(&attrs("", "v1", "pods", "exec", "a", &obj), &none),
            Matched::Yes
        );
        let pods = parse("resourceRules: [{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: ['pods/*']}]");
        assert_eq!(
            pods.matches(&attrs("", "v1", "pods", "status", "a", &obj), &none),
            Matched::Yes
        );
        assert_eq!(
            pods.matches(&attrs("", "v1", "services", "status", "a", &obj), &none),
            Matched::No
        );
    }

    #[test]
    fn match_policy_equivalent_and_exact() {
        let obj = json!({});
        let rule = "resourceRules: [{apiGroups: [extensions], apiVersions: [v1beta1], operations: [CREATE], resources: [deployments]}]";
        let equivalent = parse(rule);
        assert_eq!(
            equivalent.matches(&attrs("apps", "v1", "deployments", "", "a", &obj), &none),
            Matched::Yes
        );
        let exact = parse(&format!("{rule}\nmatchPolicy: Exact"));
        assert_eq!(
            exact.matches(&attrs("apps", "v1", "deployments", "", "a", &obj), &none),
            Matched::No
        );
        // Another version of the same group is equivalent too.
        let v1beta1 = parse("resourceRules: [{apiGroups: [batch], apiVersions: [v1beta1], operations: [CREATE], resources: [cronjobs]}]");
        assert_eq!(
            v1beta1.matches(&attrs("batch", "v1", "cronjobs", "", "a", &obj), &none),
            Matched::Yes
        );
    }

    #[test]
    fn namespace_selector_on_namespaces_and_cluster_objects() {
        let m = parse("namespaceSelector: {matchLabels: {env: prod}}");
        let prod = json!({"metadata": {"labels": {"env": "prod"}}});
        assert_eq!(
            m.matches(&attrs("", "v1", "namespaces", "", "", &prod), &none),
            Matched::Yes
        );
        let dev = json!({"metadata": {"labels": {"env": "dev"}}});
        assert_eq!(
            m.matches(&attrs("", "v1", "namespaces", "", "", &dev), &none),
            Matched::No
        );
        assert_eq!(
            m.matches(
                &attrs(
                    "rbac.authorization.k8s.io",
                    "v1",
                    "clusterroles",
                    "",
                    "",
                    &dev
                ),
                &none
            ),
            Matched::Yes
        );
        assert_eq!(
            m.matches(&attrs("", "v1", "pods", "", "web", &dev), &none),
            Matched::MissingNamespace("web".into())
        );
        let labels = json!({"env": "prod"});
        let known = |ns: &str| (ns == "web").then_some(&labels);
        assert_eq!(
            m.matches(&attrs("", "v1", "pods", "", "web", &dev), &known),
            Matched::Yes
        );
        let scoped = parse("resourceRules: [{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'], scope: Cluster}]");
        assert_eq!(
            scoped.matches(&attrs("", "v1", "namespaces", "", "", &dev), &none),
            Matched::Yes
        );
        assert_eq!(
            scoped.matches(&attrs("", "v1", "pods", "", "web", &dev), &none),
            Matched::No
        );
    }
}
