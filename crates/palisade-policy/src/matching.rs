//! A Constraint's `spec.match`: which objects it judges.
//!
//! Mirrors Gatekeeper's `pkg/mutation/match` `Matches` (every top-level matcher must agree:
//! `kindsMatch`, `scopeMatch`, `namespacesMatch`, `excludedNamespacesMatch`,
//! `labelSelectorMatch`, `namespaceSelectorMatch`, `namesMatch`) and `util.Wildcard`'s
//! `Matches` (a `*` at the start, the end or both is a suffix, prefix or substring glob;
//! otherwise the name must be equal). As in gator, an object's namespace is the one it
//! declares (`metadata.namespace`); an object that declares none counts as cluster-scoped.

use palisade_core::selector::LabelSelector;
use palisade_core::yaml::Node;
use serde_json::Value as Json;

/// One `kinds` entry: API groups and kinds (`*` or an empty list: any).
#[derive(Debug, Clone, PartialEq, Eq)]
struct KindSelector {
    groups: Vec<String>,
    kinds: Vec<String>,
}

/// `spec.match.scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// `*`, absent, or anything Gatekeeper does not recognize (its `scopeMatch` default).
    Any,
    /// `Cluster`: cluster-scoped objects and Namespaces.
    Cluster,
    /// `Namespaced`: objects in a namespace (not Namespaces themselves).
    Namespaced,
}

/// A parsed `spec.match`.
#[derive(Debug, Clone, Default)]
pub struct Match {
    kinds: Vec<KindSelector>,
    scope: Option<Scope>,
    namespaces: Vec<String>,
    excluded_namespaces: Vec<String>,
    label_selector: Option<LabelSelector>,
    namespace_selector: Option<LabelSelector>,
    name: Option<String>,
}

/// The object a Constraint may judge, as its match reads it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// API group (`""` for the core group).
    pub group: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// `metadata.name`.
    pub name: &'a str,
    /// `metadata.namespace` (or the review's namespace), when set.
    pub namespace: Option<&'a str>,
    /// `metadata.labels` (an object, or anything else for none).
    pub labels: &'a Json,
}

impl Subject<'_> {
    fn is_namespace(&self) -> bool {
        self.kind == "Namespace" && self.group.is_empty()
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).and_then(Json::as_str)
    }
}

/// The outcome of matching one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    /// The Constraint judges the object.
    Yes,
    /// It does not.
    No,
    /// A `namespaceSelector` must read the labels of a Namespace that is not known. Gatekeeper
    /// answers this with an error ("namespace selector for namespace-scoped object but
    /// missing Namespace"), not with a guess; so do we.
    MissingNamespace(String),
}

/// `util.Wildcard.Matches`.
pub fn wildcard_matches(pattern: &str, candidate: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(_), Some(_)) if pattern.len() >= 2 => {
            candidate.contains(&pattern[1..pattern.len() - 1])
        }
        (Some(_), Some(_)) => true, // the pattern `*` alone
        (Some(suffix), None) => candidate.ends_with(suffix),
        (None, Some(prefix)) => candidate.starts_with(prefix),
        (None, None) => pattern == candidate,
    }
}

fn strings(node: Option<&Node>, what: &str) -> Result<Vec<String>, String> {
    let Some(node) = node.filter(|n| !n.is_null()) else {
        return Ok(Vec::new());
    };
    let items = node
        .as_seq()
        .ok_or_else(|| format!("spec.match.{what} must be a list"))?;
    items
        .iter()
        .map(|i| {
            i.scalar_text()
                .map(str::to_string)
                .ok_or_else(|| format!("spec.match.{what} entries must be strings"))
        })
        .collect()
}

impl Match {
    /// Parses `spec.match` (absent or null: match everything, as Gatekeeper's no-op matcher).
    pub fn parse(node: Option<&Node>) -> Result<Match, String> {
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return Ok(Match::default());
        };
        if node.as_map().is_none() {
            return Err("spec.match must be a mapping".into());
        }
        let mut m = Match::default();
        for entry in node.get("kinds").map(Node::items).unwrap_or_default() {
            m.kinds.push(KindSelector {
                groups: strings(entry.get("apiGroups"), "kinds[].apiGroups")?,
                kinds: strings(entry.get("kinds"), "kinds[].kinds")?,
            });
        }
        m.scope = node.get("scope").and_then(Node::as_str).map(|s| match s {
            "Cluster" => Scope::Cluster,
            "Namespaced" => Scope::Namespaced,
            _ => Scope::Any,
        });
        m.namespaces = strings(node.get("namespaces"), "namespaces")?;
        m.excluded_namespaces = strings(node.get("excludedNamespaces"), "excludedNamespaces")?;
        let selector = |key: &str| -> Result<Option<LabelSelector>, String> {
            match node.get(key) {
                Some(n) if !n.is_null() => LabelSelector::parse(n)
                    .map(Some)
                    .map_err(|e| format!("spec.match.{key}: {e}")),
                _ => Ok(None),
            }
        };
        m.label_selector = selector("labelSelector")?;
        m.namespace_selector = selector("namespaceSelector")?;
        m.name = node
            .get("name")
            .and_then(Node::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        Ok(m)
    }

    /// Does the Constraint judge `subject`? `namespace_labels(ns)` gives the labels of a
    /// Namespace known to the caller (`None`: not known).
    pub fn matches<'n>(
        &self,
        subject: &Subject<'_>,
        namespace_labels: &dyn Fn(&str) -> Option<&'n Json>,
    ) -> Matched {
        let checks = self.kinds_match(subject)
            && self.scope_match(subject)
            && self.namespaces_match(subject)
            && self.excluded_namespaces_match(subject)
            && self.label_selector_match(subject)
            && self.name_match(subject);
        if !checks {
            return Matched::No;
        }
        self.namespace_selector_match(subject, namespace_labels)
    }

    /// `kindsMatch`: any entry whose kinds and groups both accept the object.
    fn kinds_match(&self, s: &Subject<'_>) -> bool {
        let any = |list: &[String], value: &str| {
            list.is_empty() || list.iter().any(|x| x == "*" || x == value)
        };
        self.kinds.is_empty()
            || self
                .kinds
                .iter()
                .any(|k| any(&k.kinds, s.kind) && any(&k.groups, s.group))
    }

    /// `scopeMatch`.
    fn scope_match(&self, s: &Subject<'_>) -> bool {
        let has_namespace = s.namespace.is_some_and(|n| !n.is_empty());
        match self.scope {
            Some(Scope::Cluster) => s.is_namespace() || !has_namespace,
            Some(Scope::Namespaced) => !s.is_namespace() && has_namespace,
            Some(Scope::Any) | None => true,
        }
    }

    /// The namespace the namespace matchers read: a Namespace's own name, else the object's.
    fn effective_namespace<'s>(s: &Subject<'s>) -> Option<&'s str> {
        if s.is_namespace() {
            Some(s.name)
        } else {
            s.namespace.filter(|n| !n.is_empty())
        }
    }

    /// `namespacesMatch`: a cluster-scoped object cannot be disqualified.
    fn namespaces_match(&self, s: &Subject<'_>) -> bool {
        if self.namespaces.is_empty() {
            return true;
        }
        match Self::effective_namespace(s) {
            Some(ns) => self.namespaces.iter().any(|p| wildcard_matches(p, ns)),
            None => true,
        }
    }

    /// `excludedNamespacesMatch`.
    fn excluded_namespaces_match(&self, s: &Subject<'_>) -> bool {
        match Self::effective_namespace(s) {
            Some(ns) => !self
                .excluded_namespaces
                .iter()
                .any(|p| wildcard_matches(p, ns)),
            None => true,
        }
    }

    /// `labelSelectorMatch`.
    fn label_selector_match(&self, s: &Subject<'_>) -> bool {
        self.label_selector
            .as_ref()
            .is_none_or(|sel| sel.matches(|k| s.label(k)))
    }

    /// `namesMatch`: an empty name matches any.
    fn name_match(&self, s: &Subject<'_>) -> bool {
        self.name
            .as_deref()
            .is_none_or(|p| wildcard_matches(p, s.name))
    }

    /// `namespaceSelectorMatch`: a Namespace is judged by its own labels; a cluster-scoped
    /// object always matches; a namespaced one needs its Namespace's labels.
    fn namespace_selector_match<'n>(
        &self,
        s: &Subject<'_>,
        namespace_labels: &dyn Fn(&str) -> Option<&'n Json>,
    ) -> Matched {
        let Some(sel) = &self.namespace_selector else {
            return Matched::Yes;
        };
        let verdict = |ok: bool| if ok { Matched::Yes } else { Matched::No };
        if s.is_namespace() {
            return verdict(sel.matches(|k| s.label(k)));
        }
        let Some(ns) = s.namespace.filter(|n| !n.is_empty()) else {
            return Matched::Yes;
        };
        match namespace_labels(ns) {
            Some(labels) => verdict(sel.matches(|k| labels.get(k).and_then(Json::as_str))),
            None => Matched::MissingNamespace(ns.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::yaml::{parse_stream, Limits};
    use serde_json::json;

    fn parse(text: &str) -> Match {
        let root = parse_stream(text, &Limits::default())
            .documents
            .remove(0)
            .root;
        Match::parse(Some(&root)).unwrap()
    }

    fn subject<'a>(kind: &'a str, ns: Option<&'a str>, labels: &'a Json) -> Subject<'a> {
        Subject {
            group: if kind == "Deployment" { "apps" } else { "" },
            kind,
            name: "web-1",
            namespace: ns,
            labels,
        }
    }

    fn none(_: &str) -> Option<&'static Json> {
        None
    }

    #[test]
    fn wildcards_are_prefix_suffix_or_substring() {
        assert!(wildcard_matches("kube-*", "kube-system"));
        assert!(wildcard_matches("*-system", "gatekeeper-system"));
        assert!(wildcard_matches("*sys*", "kube-system"));
        assert!(!wildcard_matches("kube-*", "default"));
        assert!(wildcard_matches("*", "anything"));
        assert!(!wildcard_matches("prod", "production"));
    }

    #[test]
    fn kinds_with_groups_and_stars() {
        let empty = json!({});
        let m = parse(
            "kinds: [{apiGroups: [''], kinds: [Pod]}, {apiGroups: ['*'], kinds: [Deployment]}]",
        );
        assert_eq!(
            m.matches(&subject("Pod", None, &empty), &none),
            Matched::Yes
        );
        assert_eq!(
            m.matches(&subject("Deployment", None, &empty), &none),
            Matched::Yes
        );
        assert_eq!(
            m.matches(&subject("Service", None, &empty), &none),
            Matched::No
        );
        let any = parse("kinds: [{apiGroups: ['*'], kinds: ['*']}]");
        assert_eq!(
            any.matches(&subject("Service", None, &empty), &none),
            Matched::Yes
        );
        // A core-group entry does not accept an `apps` Deployment.
        let core = parse("kinds: [{apiGroups: [''], kinds: [Deployment]}]");
        assert_eq!(
            core.matches(&subject("Deployment", None, &empty), &none),
            Matched::No
        );
    }

    #[test]
    fn namespaces_excluded_and_scope() {
        let empty = json!({});
        let m = parse("namespaces: ['prod-*']\nexcludedNamespaces: ['*-tmp']");
        assert_eq!(
            m.matches(&subject("Pod", Some("prod-a"), &empty), &none),
            Matched::Yes
        );
        assert_eq!(
            m.matches(&subject("Pod", Some("prod-tmp"), &empty), &none),
            Matched::No
        );
        assert_eq!(
            m.matches(&subject("Pod", Some("dev"), &empty), &none),
            Matched::No
        );
        // Cluster-scoped objects are not disqualified by namespace lists.
        assert_eq!(
            m.matches(&subject("ClusterRole", None, &empty), &none),
            Matched::Yes
        );
        // A Namespace is matched by its own name.
        let ns = Subject {
            name: "dev",
            ..subject("Namespace", None, &empty)
        };
        assert_eq!(m.matches(&ns, &none), Matched::No);

        let namespaced = parse("scope: Namespaced");
        assert_eq!(
            namespaced.matches(&subject("Pod", Some("a"), &empty), &none),
            Matched::Yes
        );
        assert_eq!(
            namespaced.matches(&subject("Pod", None, &empty), &none),
            Matched::No
        );
        assert_eq!(namespaced.matches(&ns, &none), Matched::No);
        let cluster = parse("scope: Cluster");
        assert_eq!(cluster.matches(&ns, &none), Matched::Yes);
        assert_eq!(
            cluster.matches(&subject("Pod", Some("a"), &empty), &none),
            Matched::No
        );
        let typo = parse("scope: cluster");
        assert_eq!(
            typo.matches(&subject("Pod", Some("a"), &empty), &none),
            Matched::Yes
        );
    }

    #[test]
    fn label_and_namespace_selectors_and_name() {
        let labels = json!({"app": "web"});
        let m = parse("labelSelector: {matchLabels: {app: web}}\nname: 'web-*'");
        assert_eq!(
            m.matches(&subject("Pod", None, &labels), &none),
            Matched::Yes
        );
        assert_eq!(
            m.matches(&subject("Pod", None, &json!({})), &none),
            Matched::No
        );

        let m = parse("namespaceSelector: {matchLabels: {env: prod}}");
        let prod = json!({"env": "prod"});
        let lookup = |ns: &str| if ns == "p" { Some(&prod) } else { None };
        assert_eq!(
            m.matches(&subject("Pod", Some("p"), &labels), &lookup),
            Matched::Yes
        );
        assert_eq!(
            m.matches(&subject("Pod", Some("q"), &labels), &lookup),
            Matched::MissingNamespace("q".into())
        );
        // Cluster-scoped objects always pass a namespaceSelector; Namespaces use their own labels.
        assert_eq!(
            m.matches(&subject("ClusterRole", None, &labels), &lookup),
            Matched::Yes
        );
        let ns = Subject {
            name: "x",
            ..subject("Namespace", None, &prod)
        };
        assert_eq!(m.matches(&ns, &lookup), Matched::Yes);
    }

    #[test]
    fn bad_match_is_an_error() {
        let root = parse_stream("namespaces: prod", &Limits::default())
            .documents
            .remove(0)
            .root;
        assert!(Match::parse(Some(&root)).is_err());
        let root = parse_stream(
            "labelSelector: {matchExpressions: [{key: a, operator: Is}]}",
            &Limits::default(),
        )
        .documents
        .remove(0)
        .root;
        assert!(Match::parse(Some(&root)).is_err());
    }
}
