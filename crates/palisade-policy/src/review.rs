//! The documents a template's Rego reads: `input.review` (AdmissionRequest-shaped) and
//! `data.inventory` (Gatekeeper's referential-data sync).
//!
//! For an object from the manifests, the review is what Gatekeeper's target handler makes of
//! an object outside admission (`unstructuredToAdmissionRequest`, used by gator and audit):
//! `kind` {group, version, kind}, `name`, `namespace` (as the object declares it) and
//! `object`; no `operation`, `userInfo` or `oldObject`, which only an admission request has.
//! When the object's Namespace is known, it rides along as `_unstable.namespace`, as audit
//! does.
//!
//! `data.inventory` is keyed as Gatekeeper's `processUnstructured` keys synced objects:
//! `cluster[<groupVersion>][<Kind>][<name>]` for objects without a namespace and
//! `namespace[<ns>][<groupVersion>][<Kind>][<name>]` for the others.

use palisade_core::Object;
use serde_json::{json, Map, Value as Json};

use crate::matching::Subject;

/// Splits an `apiVersion` into group and version (`v1` → `("", "v1")`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// The review of an object read from manifests. `namespace` is its Namespace object, when
/// known.
pub fn object_review(object: &Json, namespace: Option<&Json>) -> Json {
    let api_version = object
        .get("apiVersion")
        .and_then(Json::as_str)
        .unwrap_or("");
    let (group, version) = split_api_version(api_version);
    let kind = object.get("kind").and_then(Json::as_str).unwrap_or("");
    let meta = object.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Json::as_str)
        .unwrap_or("");
    let mut review = Map::new();
    review.insert(
        "kind".into(),
        json!({"group": group, "version": version, "kind": kind}),
    );
    review.insert("name".into(), Json::String(name.into()));
    if let Some(ns) = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Json::as_str)
        .filter(|n| !n.is_empty())
    {
        review.insert("namespace".into(), Json::String(ns.into()));
    }
    review.insert("object".into(), object.clone());
    if let Some(ns) = namespace {
        review.insert("_unstable".into(), json!({ "namespace": ns }));
    }
    Json::Object(review)
}

/// What a Constraint's match reads of a JSON object.
pub fn subject_of(object: &Json) -> Subject<'_> {
    let api_version = object
        .get("apiVersion")
        .and_then(Json::as_str)
        .unwrap_or("");
    let (group, _) = split_api_version(api_version);
    let meta = object.get("metadata");
    let text = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
    };
    Subject {
        group,
        kind: object.get("kind").and_then(Json::as_str).unwrap_or(""),
        name: text("name").unwrap_or(""),
        namespace: text("namespace"),
        labels: meta.and_then(|m| m.get("labels")).unwrap_or(&Json::Null),
    }
}

/// Builds `data.inventory` from objects (their JSON forms, in order; a later object with
/// the same key replaces an earlier one, as a later sync event would).
pub fn inventory_data<'a>(objects: impl IntoIterator<Item = &'a Json>) -> Json {
    let mut cluster = Map::new();
    let mut namespaced = Map::new();
    for object in objects {
        let Some(api_version) = object.get("apiVersion").and_then(Json::as_str) else {
            continue;
        };
        let Some(kind) = object.get("kind").and_then(Json::as_str) else {
            continue;
        };
        // processUnstructured refuses objects without a version or kind.
        if api_version.is_empty() || kind.is_empty() || api_version.ends_with('/') {
            continue;
        }
        let meta = object.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Json::as_str)
            .unwrap_or("");
        let ns = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Json::as_str)
            .filter(|n| !n.is_empty());
        let root = match ns {
            None => &mut cluster,
            Some(ns) => entry(&mut namespaced, ns),
        };
        entry(entry(root, api_version), kind).insert(name.to_string(), object.clone());
    }
    json!({"cluster": cluster, "namespace": namespaced})
}

fn entry<'m>(map: &'m mut Map<String, Json>, key: &str) -> &'m mut Map<String, Json> {
    let slot = map
        .entry(key.to_string())
        .or_insert_with(|| Json::Object(Map::new()));
    if !slot.is_object() {
        *slot = Json::Object(Map::new());
    }
    match slot {
        Json::Object(m) => m,
        // Just made an object above.
        _ => unreachable!("slot is an object"),
    }
}

/// The JSON form of an inventory object (plain scalars resolved as kubectl would).
pub fn object_json(object: &Object) -> Json {
    object.root.to_json()
}

/// `cluster` when it is the Namespace called `name`: a webhook's cached copy of the request's
/// Namespace, which takes the place of one of that name given with the policies.
pub(crate) fn cluster_copy<'a>(cluster: Option<&'a Json>, name: &str) -> Option<&'a Json> {
    cluster.filter(|n| n.pointer("/metadata/name").and_then(Json::as_str) == Some(name))
}

/// A Namespace's labels (`null` when it has none), as selectors read them.
pub(crate) fn labels_of(namespace: &Json) -> &Json {
    static NONE: Json = Json::Null;
    namespace.pointer("/metadata/labels").unwrap_or(&NONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_has_gvk_name_namespace_object() {
        let pod =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "n"}});
        let r = object_review(&pod, None);
        assert_eq!(
            r["kind"],
            json!({"group": "", "version": "v1", "kind": "Pod"})
        );
        assert_eq!(r["namespace"], "n");
        assert_eq!(r["object"], pod);
        assert!(r.get("operation").is_none());
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}});
        let r = object_review(&d, Some(&json!({"kind": "Namespace"})));
        assert_eq!(r["kind"]["group"], "apps");
        assert!(r.get("namespace").is_none());
        assert_eq!(r["_unstable"]["namespace"]["kind"], "Namespace");
    }

    #[test]
    fn inventory_is_keyed_like_gatekeeper() {
        let objs = [
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p", "namespace": "n"}}),
            json!({"kind": "NoVersion", "metadata": {"name": "x"}}),
        ];
        let inv = inventory_data(objs.iter());
        assert_eq!(inv["cluster"]["v1"]["Namespace"]["n"], objs[0]);
        assert_eq!(
            inv["namespace"]["n"]["policy/v1"]["PodDisruptionBudget"]["p"],
            objs[1]
        );
        assert_eq!(inv["cluster"].as_object().unwrap().len(), 1);
    }
}
