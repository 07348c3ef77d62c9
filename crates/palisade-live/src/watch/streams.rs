//! What a watcher watches: one stream per kind and scope, as `scan --cluster` lists them
//! (the same discovery, the same kinds), with Secrets split by type so their type is known
//! though only their metadata is fetched.

use crate::discover::Target;
use crate::kinds::{Fetch, SECRET_TYPES};

/// One list+watch: a kind, in a namespace or across all, maybe narrowed by a field selector.
#[derive(Debug, Clone)]
pub struct Stream {
    /// The kind, at the version discovery chose.
    pub target: Target,
    /// The namespace watched; `None`: all namespaces (or a cluster-scoped kind).
    pub namespace: Option<String>,
    /// The field selector of the list and the watch.
    pub field_selector: Option<String>,
    /// For a metadata-only Secret stream filtered by type: the type its objects have.
    pub secret_type: Option<&'static str>,
}

impl Stream {
    /// `Kind` or `Kind in NS`, for messages.
    pub fn describe(&self) -> String {
        let kind = &self.target.resource.kind;
        let mut text = match &self.namespace {
            Some(ns) if self.target.namespaced => format!("{kind} in namespace {ns}"),
            _ => kind.clone(),
        };
        if let Some(selector) = &self.field_selector {
            text.push_str(&format!(" ({selector})"));
        }
        text
    }
}

/// The streams that keep `targets` current in `namespace` (all namespaces when `None`).
///
/// In one namespace, cluster-scoped kinds are not watched except the Namespace itself (by a
/// `metadata.name` field selector), as `scan --cluster -n` reads it. Secrets are watched as
/// metadata in one stream per known type (`type=T`) and one for every other type
/// (`type!=T1,type!=T2,...`): field selectors of Secrets take `type`
/// (`SelectableFields` in pkg/registry/core/secret/strategy.go), and a Secret's type is
/// immutable (`ValidateSecretUpdate` in pkg/apis/core/validation), so each Secret lives in
/// exactly one stream for its whole life.
pub fn streams(targets: &[Target], namespace: Option<&str>) -> Vec<Stream> {
    let mut out = Vec::new();
    for target in targets {
        let stream = |field_selector: Option<String>, secret_type, ns: Option<&str>| Stream {
            target: target.clone(),
            namespace: ns.map(str::to_string),
            field_selector,
            secret_type,
        };
        match (namespace, target.namespaced) {
            (Some(ns), false) if target.resource.kind == "Namespace" => {
                out.push(stream(Some(format!("metadata.name={ns}")), None, None));
            }
            (Some(_), false) => {}
            _ if target.wanted.fetch == Fetch::MetadataOnly => {
                for t in SECRET_TYPES {
                    out.push(stream(Some(format!("type={t}")), Some(*t), namespace));
                }
                let others: Vec<String> =
                    SECRET_TYPES.iter().map(|t| format!("type!={t}")).collect();
                out.push(stream(Some(others.join(",")), None, namespace));
            }
            _ => out.push(stream(None, None, namespace)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: &str, namespaced: bool) -> Target {
        Target::core(kind, namespaced).unwrap()
    }

    #[test]
    fn secrets_are_split_by_type_into_disjoint_streams() {
        let all = streams(&[target("Secret", true)], None);
        assert_eq!(all.len(), SECRET_TYPES.len() + 1);
        let typed: Vec<_> = all.iter().filter_map(|s| s.secret_type).collect();
        assert_eq!(typed, SECRET_TYPES);
        let rest = all.last().unwrap();
        assert_eq!(rest.secret_type, None);
        let selector = rest.field_selector.as_deref().unwrap();
        for t in SECRET_TYPES {
            assert!(selector.contains(&format!("type!={t}")), "{selector}");
        }
    }

    #[test]
    fn one_namespace_watches_its_namespace_by_name_and_no_other_cluster_kind() {
        let targets = [
            target("Namespace", false),
            target("Node", false),
            target("Pod", true),
        ];
        let got = streams(&targets, Some("shop"));
        let described: Vec<String> = got.iter().map(Stream::describe).collect();
        assert_eq!(
            described,
            ["Namespace (metadata.name=shop)", "Pod in namespace shop"]
        );
        assert_eq!(streams(&targets, None).len(), 3);
    }
}
