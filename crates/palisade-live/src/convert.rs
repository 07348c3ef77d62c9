//! From the API's JSON to the core's objects: noise removed, each object loaded by the same
//! loader files go through (JSON is YAML), under a `cluster://Kind/NS/NAME` path; and the
//! objects a controller in the inventory owns set aside, so each finding is reported once,
//! on the object a user edits.

use std::collections::HashSet;

use palisade_core::inventory::{load_str, LoadLimits, Loaded};
use palisade_core::{Object, Workload};
use serde_json::Value;

/// The annotation `kubectl apply` (client-side) keeps: a copy of the whole applied object,
/// which for a Secret holds its values. Never kept.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The reported path of a live object: `cluster://Kind/NS/NAME`, or `cluster://Kind/NAME`
/// for a cluster-scoped one (the object's own `Kind/NS/NAME` spelling, as findings print it).
pub fn cluster_path(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("cluster://{kind}/{ns}/{name}"),
        None => format!("cluster://{kind}/{name}"),
    }
}

/// Removes what is noise or may hold secrets: `metadata.managedFields` (server-side apply
/// bookkeeping) and the last-applied annotation (dropping `annotations` when nothing else is
/// left in it).
pub fn strip(object: &mut Value) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    metadata.remove("managedFields");
    if let Some(annotations) = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
    {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            metadata.remove("annotations");
        }
    }
}

/// Loads one API object (already given its kind and apiVersion) into the core's tree. Its
/// positions are those of its pretty-printed JSON (keys sorted, two-space indent), which is
/// what a finding's line and column then count in; the field path names the field.
pub fn load_object(mut object: Value, limits: &LoadLimits) -> Loaded {
    strip(&mut object);
    let text_of = |key: &str| {
        object
            .get("metadata")
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("Unknown")
        .to_string();
    let name = text_of("name").unwrap_or_default();
    let path = cluster_path(&kind, text_of("namespace").as_deref(), &name);
    // Serialising a `Value` cannot fail (its keys are strings); the fallback keeps it total.
    let text = serde_json::to_string_pretty(&object).unwrap_or_default();
    load_str(&path, &text, limits)
}

/// Splits objects into those to judge and those a workload controller in the same list
/// controls (an `ownerReferences` entry with `controller: true` whose uid is a Deployment,
/// ReplicaSet, StatefulSet, DaemonSet, Job, CronJob or ReplicationController read here):
/// their pod template is judged on the owner, so judging them again would repeat every
/// finding. Pods a Node owns (static pods' mirrors) and objects whose owner was not read stay.
pub fn split_controlled(objects: Vec<Object>) -> (Vec<Object>, Vec<Object>) {
    let controllers: HashSet<String> = objects
        .iter()
        .filter(|o| !o.is("Pod") && Workload::of(o).is_some())
        .filter_map(|o| o.metadata().get("uid")?.as_str().map(str::to_string))
        .collect();
    objects
        .into_iter()
        .partition(|o| controller_uid(o).is_none_or(|uid| !controllers.contains(uid)))
}

/// The uid of the object's managing controller (`metav1.GetControllerOf`: the owner
/// reference with `controller: true`).
pub fn controller_uid(object: &Object) -> Option<&str> {
    object
        .metadata()
        .get("ownerReferences")?
        .items()
        .iter()
        .find(|r| r.get("controller").and_then(|c| c.as_bool()) == Some(true))?
        .get("uid")?
        .as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn objects(values: Vec<Value>) -> Vec<Object> {
        values
            .into_iter()
            .flat_map(|v| load_object(v, &LoadLimits::default()).objects)
            .collect()
    }

    #[test]
    fn managed_fields_and_last_applied_are_removed() {
        let secret_copy = "{\"data\":{\"password\":\"aHVudGVyMg==\"}}";
        let mut v = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "a", "managedFields": [{"manager": "kubectl"}],
                         "annotations": {LAST_APPLIED: secret_copy}}
        });
        strip(&mut v);
        assert_eq!(v["metadata"].get("managedFields"), None);
        assert_eq!(v["metadata"].get("annotations"), None);
        let loaded = load_object(v, &LoadLimits::default());
        assert_eq!(loaded.objects.len(), 1);
        assert_eq!(loaded.objects[0].annotation(LAST_APPLIED), None);
    }

    #[test]
    fn other_annotations_are_kept() {
        let mut v = json!({"metadata": {"annotations": {LAST_APPLIED: "{}", "team": "web"}}});
        strip(&mut v);
        assert_eq!(v["metadata"]["annotations"], json!({"team": "web"}));
    }

    #[test]
    fn objects_are_placed_by_kind_namespace_and_name() {
        let loaded = load_object(
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "web", "namespace": "app"}, "spec": {"replicas": 1}}),
            &LoadLimits::default(),
        );
        let o = &loaded.objects[0];
        assert_eq!(&*o.origin.path, "cluster://Deployment/app/web");
        assert_eq!(o.id.namespace.as_deref(), Some("app"));
        let replicas = o.root.get_path(&["spec", "replicas"]).unwrap();
        assert!(o.location_of(replicas.pos).line > 1);
        let ns = load_object(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}),
            &LoadLimits::default(),
        );
        assert_eq!(&*ns.objects[0].origin.path, "cluster://Namespace/app");
    }

    fn owned(kind: &str, name: &str, uid: &str, owner: Option<(&str, bool)>) -> Value {
        let mut v = json!({"apiVersion": "v1", "kind": kind,
            "metadata": {"name": name, "namespace": "a", "uid": uid},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}},
                     "containers": [{"name": "c", "image": "i"}]}});
        if let Some((owner_uid, controller)) = owner {
            v["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "X", "name": "o", "uid": owner_uid,
                        "controller": controller}]);
        }
        v
    }

    #[test]
    fn pods_and_replica_sets_under_a_deployment_are_set_aside() {
        let all = objects(vec![
            owned("Deployment", "web", "d1", None),
            owned("ReplicaSet", "web-1", "r1", Some(("d1", true))),
            owned("Pod", "web-1-x", "p1", Some(("r1", true))),
            // Not a controller reference: stays.
            owned("Pod", "adopted", "p2", Some(("r1", false))),
            // Owner not read: stays.
            owned("Pod", "orphan", "p3", Some(("gone", true))),
            // Owned by a Node (mirror pod): a Node is no workload, stays.
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "uid": "n1"}}),
            owned("Pod", "static", "p4", Some(("n1", true))),
        ]);
        let (kept, controlled) = split_controlled(all);
        let names = |v: &[Object]| v.iter().map(|o| o.id.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&controlled), ["web-1", "web-1-x"]);
        assert_eq!(names(&kept), ["web", "adopted", "orphan", "n1", "static"]);
    }
}
