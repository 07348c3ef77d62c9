//! The request a policy judges, from an AdmissionReview or from a manifest.
//!
//! The CEL `request` variable holds the AdmissionRequest's fields as
//! `cel.CreateAdmissionRequest` exposes them (`kind`, `resource`, `subResource`,
//! `requestKind`, `requestResource`, `requestSubResource`, `name`, `namespace`, `operation`,
//! `userInfo`, `dryRun`, `options`), without `object`/`oldObject`, which are variables of
//! their own. `namespaceObject` is the request's Namespace (`cel.CreateNamespaceObject`:
//! metadata, spec and status, without `managedFields`), or null.
//!
//! A manifest is judged as its CREATE: `operation: CREATE`, `oldObject: null`, an empty
//! `userInfo` (`username: ""`, `groups: []`), `dryRun: false`; `resource` comes from the
//! kind ([`ResourceMap`]); a namespaced object without `metadata.namespace` is in `default`,
//! where kubectl would create it.

use serde_json::{json, Map, Value as Json};

use super::eval::Input;
use super::matcher::Attributes;
use super::resources::ResourceMap;
use crate::review::split_api_version;

/// A request's attributes.
#[derive(Debug, Clone)]
pub struct Request {
    pub operation: String,
    pub group: String,
    pub version: String,
    pub resource: String,
    pub subresource: String,
    pub name: String,
    pub namespace: String,
    pub object: Json,
    pub old_object: Json,
    /// The `request` variable.
    pub request: Json,
}

impl Request {
    /// What matching reads.
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes {
            operation: &self.operation,
            group: &self.group,
            version: &self.version,
            resource: &self.resource,
            subresource: &self.subresource,
            name: &self.name,
            namespace: &self.namespace,
            object: &self.object,
            old_object: &self.old_object,
        }
    }
}

fn str_at<'a>(v: &'a Json, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        match cur.get(p) {
            Some(next) => cur = next,
            None => return "",
        }
    }
    cur.as_str().unwrap_or("")
}

/// The request of a manifest's CREATE.
pub fn from_manifest(object: &Json, resources: &ResourceMap) -> Request {
    let (group, version) = split_api_version(str_at(object, &["apiVersion"]));
    let kind = str_at(object, &["kind"]);
    let resource = resources.resource(group, kind);
    let declared = str_at(object, &["metadata", "namespace"]);
    let namespace = match (declared, resources.namespaced(group, kind)) {
        ("", Some(true)) => "default",
        (ns, Some(false)) if !ns.is_empty() => "",
        (ns, _) => ns,
    };
    let name = str_at(object, &["metadata", "name"]);
    let gvk = json!({"group": group, "version": version, "kind": kind});
    let gvr = json!({"group": group, "version": version, "resource": resource});
    let request = json!({
        "uid": "",
        "kind": gvk, "resource": gvr, "subResource": "",
        "requestKind": gvk, "requestResource": gvr, "requestSubResource": "",
        "name": name, "namespace": namespace, "operation": "CREATE",
        "userInfo": {"username": "", "groups": []},
        "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    });
    Request {
        operation: "CREATE".into(),
        group: group.into(),
        version: version.into(),
        resource,
        subresource: String::new(),
        name: name.into(),
        namespace: namespace.into(),
        object: object.clone(),
        old_object: Json::Null,
        request,
    }
}

/// The request inside an AdmissionReview (or the AdmissionRequest itself).
pub fn from_review(review: &Json, resources: &ResourceMap) -> Result<Request, String> {
    let req = match review.get("kind").and_then(Json::as_str) {
        Some("AdmissionReview") => review
            .get("request")
            .filter(|r| r.is_object())
            .ok_or("the AdmissionReview has no request")?,
        _ if review.is_object() => review,
        _ => return Err("an AdmissionReview or AdmissionRequest must be a JSON object".into()),
    };
    let operation = str_at(req, &["operation"]);
    if operation.is_empty() {
        return Err("the request has no operation".into());
    }
    let object = req.get("object").cloned().unwrap_or(Json::Null);
    let old_object = req.get("oldObject").cloned().unwrap_or(Json::Null);
    let group = str_at(req, &["kind", "group"]);
    let kind = str_at(req, &["kind", "kind"]);
    let mut resource = str_at(req, &["resource", "resource"]).to_string();
    let (mut r_group, mut r_version) = (
        str_at(req, &["resource", "group"]).to_string(),
        str_at(req, &["resource", "version"]).to_string(),
    );
    if resource.is_empty() {
        resource = resources.resource(group, kind);
        r_group = group.to_string();
        r_version = str_at(req, &["kind", "version"]).to_string();
    }
    // Every field but the objects (copied once, above).
    let request: Map<String, Json> = req
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| *k != "object" && *k != "oldObject")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Request {
        operation: operation.to_string(),
        group: r_group,
        version: r_version,
        resource,
        subresource: str_at(req, &["subResource"]).to_string(),
        name: str_at(req, &["name"]).to_string(),
        namespace: str_at(req, &["namespace"]).to_string(),
        object,
        old_object,
        request: Json::Object(request),
    })
}

/// The CEL inputs of a request; `namespace` is its Namespace object when known.
pub fn input(req: &Request, namespace: Option<&Json>) -> Input {
    let namespace_object = match namespace {
        Some(ns) if !req.namespace.is_empty() => {
            let mut ns = ns.clone();
            if let Some(meta) = ns.get_mut("metadata").and_then(Json::as_object_mut) {
                meta.remove("managedFields");
            }
            super::cel::value(&ns)
        }
        _ => cel::Value::Null,
    };
    Input {
        object: super::cel::value(&req.object),
        old_object: super::cel::value(&req.old_object),
        request: super::cel::value(&req.request),
        namespace_object,
    }
}
