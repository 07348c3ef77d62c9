//! Ingress (`networking.k8s.io/v1`) and Gateway API routes (`HTTPRoute`, `TCPRoute` of
//! `gateway.networking.k8s.io` v1, v1beta1, v1alpha2): which Service ports they send
//! outside traffic to, and which proxy pods carry it.

use std::collections::BTreeMap;

use palisade_core::selector::LabelSelector;
use palisade_core::yaml::{Node, Pos};
use palisade_core::Object;

use crate::endpoints::{Namespace, Pods};
use crate::policy::namespace_of;

pub(crate) const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
const GATEWAY_VERSIONS: &[&str] = &["v1", "v1beta1", "v1alpha2"];

/// How a backend names its Service port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BackendPort {
    Number(u16),
    Name(String),
}

/// What carries the traffic to a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Front {
    /// An Ingress, served by an ingress controller.
    Ingress,
    /// A route attached to these Gateways (namespace, name).
    Route(Vec<(String, String)>),
}

/// One backend reference: a Service port that outside traffic is routed to.
#[derive(Debug, Clone)]
pub(crate) struct Backend<'o> {
    pub obj: &'o Object,
    pub service_namespace: String,
    pub service: String,
    pub port: BackendPort,
    pub pos: Pos,
    pub front: Front,
}

fn is_gateway_api(obj: &Object, kind: &str) -> bool {
    obj.is(kind)
        && obj
            .id
            .api_version
            .split_once('/')
            .is_some_and(|(g, v)| g == GATEWAY_GROUP && GATEWAY_VERSIONS.contains(&v))
}

/// `service: {name, port: {number | name}}` of an Ingress backend.
fn ingress_backend<'o>(obj: &'o Object, backend: &Node, out: &mut Vec<Backend<'o>>) {
    let Some(service) = backend.get("service") else {
        return; // a `resource` backend is not a Service
    };
    let Some(name) = service.get("name").and_then(Node::as_str) else {
        return;
    };
    let port = service.get("port").unwrap_or(Node::null());
    let port = match (
        port.get("number").and_then(Node::as_i64),
        port.get("name").and_then(Node::as_str),
    ) {
        (Some(n), _) => match u16::try_from(n) {
            Ok(n) => BackendPort::Number(n),
            Err(_) => return,
        },
        (None, Some(s)) => BackendPort::Name(s.to_string()),
        (None, None) => return,
    };
    out.push(Backend {
        obj,
        service_namespace: namespace_of(obj),
        service: name.to_string(),
        port,
        pos: service.pos,
        front: Front::Ingress,
    });
}

/// The backends of a `networking.k8s.io/v1` Ingress: `defaultBackend` and every path.
pub(crate) fn ingress_backends(obj: &Object) -> Vec<Backend<'_>> {
    let mut out = Vec::new();
    if !(obj.is("Ingress") && obj.id.api_version == "networking.k8s.io/v1") {
        return out;
    }
    let Some(spec) = obj.root.get("spec") else {
        return out;
    };
    if let Some(b) = spec.get("defaultBackend") {
        ingress_backend(obj, b, &mut out);
    }
    for rule in spec.get("rules").map(Node::items).unwrap_or_default() {
        for path in rule
            .get_path(&["http", "paths"])
            .map(Node::items)
            .unwrap_or_default()
        {
            if let Some(b) = path.get("backend") {
                ingress_backend(obj, b, &mut out);
            }
        }
    }
    out
}

/// The Gateways and ReferenceGrants of the input, for attaching routes.
pub(crate) struct GatewayApi<'o> {
    /// (namespace, name) → the Gateway's `spec.listeners`.
    gateways: BTreeMap<(String, String), &'o Node>,
    /// ReferenceGrants: (their namespace, spec).
    grants: Vec<(String, &'o Node)>,
}

impl<'o> GatewayApi<'o> {
    pub fn collect(objects: &[&'o Object]) -> Self {
        let mut gateways = BTreeMap::new();
        let mut grants = Vec::new();
        for obj in objects
            .iter()
            .copied()
            .filter(|o| o.id.api_version.starts_with(GATEWAY_GROUP))
        {
            if is_gateway_api(obj, "Gateway") {
                let listeners = obj
                    .root
                    .get_path(&["spec", "listeners"])
                    .unwrap_or(Node::null());
                gateways.insert((namespace_of(obj), obj.id.name.clone()), listeners);
            } else if is_gateway_api(obj, "ReferenceGrant") {
                if let Some(spec) = obj.root.get("spec") {
                    grants.push((namespace_of(obj), spec));
                }
            }
        }
        GatewayApi { gateways, grants }
    }

    /// Does a listener of the Gateway admit routes from `route_ns` (`allowedRoutes.
    /// namespaces.from`: `Same`, the default, `All`, or `Selector`)? A Gateway not in the
    /// input is assumed to admit the route. `section` picks one listener by name.
    fn admits(
        &self,
        gateway: &(String, String),
        section: Option<&str>,
        route_ns: &str,
        namespaces: &[Namespace],
    ) -> bool {
        let Some(listeners) = self.gateways.get(gateway) else {
            return true;
        };
        listeners
            .items()
            .iter()
            .filter(|l| section.is_none_or(|s| l.get("name").and_then(Node::as_str) == Some(s)))
            .any(|l| {
                let from_node = l.get_path(&["allowedRoutes", "namespaces"]);
                match from_node
                    .and_then(|n| n.get("from"))
                    .and_then(Node::as_str)
                    .unwrap_or("Same")
                {
                    "All" => true,
                    "Selector" => {
                        let Some(sel) = from_node
                            .and_then(|n| n.get("selector"))
                            .and_then(|s| LabelSelector::parse(s).ok())
                        else {
                            return false;
                        };
                        namespaces
                            .iter()
                            .any(|n| n.name == route_ns && sel.matches(|k| n.labels.get(k)))
                    }
                    _ => gateway.0 == route_ns,
                }
            })
    }

    /// Does a ReferenceGrant in `service_ns` let a `kind` route of `route_ns` reference the
    /// Service `service`?
    fn granted(&self, kind: &str, route_ns: &str, service_ns: &str, service: &str) -> bool {
        self.grants
            .iter()
            .filter(|(ns, _)| ns == service_ns)
            .any(|(_, spec)| {
                let from = spec.get("from").map(Node::items).unwrap_or_default();
                let to = spec.get("to").map(Node::items).unwrap_or_default();
                from.iter().any(|f| {
                    f.get("group").and_then(Node::as_str) == Some(GATEWAY_GROUP)
                        && f.get("kind").and_then(Node::as_str) == Some(kind)
                        && f.get("namespace").and_then(Node::as_str) == Some(route_ns)
                }) && to.iter().any(|t| {
                    matches!(t.get("group").and_then(Node::as_str), Some("") | None)
                        && t.get("kind").and_then(Node::as_str) == Some("Service")
                        && t.get("name")
                            .and_then(Node::as_str)
                            .is_none_or(|n| n == service)
                })
            })
    }

    /// The backends of an HTTPRoute or TCPRoute, with the Gateways it attaches to. A route
    /// attached to no Gateway (none named, or none admitting it) serves nothing. A
    /// backendRef to another namespace counts only when a ReferenceGrant there allows it
    /// (otherwise the route's `ResolvedRefs` condition is false and nothing is sent).
    pub fn route_backends(&self, obj: &'o Object, namespaces: &[Namespace]) -> Vec<Backend<'o>> {
        let mut out = Vec::new();
        let kind = obj.id.kind.as_str();
        if !(is_gateway_api(obj, "HTTPRoute") || is_gateway_api(obj, "TCPRoute")) {
            return out;
        }
        let Some(spec) = obj.root.get("spec") else {
            return out;
        };
        let route_ns = namespace_of(obj);
        let mut gateways: Vec<(String, String)> = Vec::new();
        for parent in spec.get("parentRefs").map(Node::items).unwrap_or_default() {
            let group = parent
                .get("group")
                .and_then(Node::as_str)
                .unwrap_or(GATEWAY_GROUP);
            let pkind = parent
                .get("kind")
                .and_then(Node::as_str)
                .unwrap_or("Gateway");
            let Some(name) = parent.get("name").and_then(Node::as_str) else {
                continue;
            };
            if group != GATEWAY_GROUP || pkind != "Gateway" {
                continue;
            }
            let ns = parent
                .get("namespace")
                .and_then(Node::as_str)
                .map_or_else(|| route_ns.clone(), str::to_string);
            let key = (ns, name.to_string());
            let section = parent.get("sectionName").and_then(Node::as_str);
            if self.admits(&key, section, &route_ns, namespaces) && !gateways.contains(&key) {
                gateways.push(key);
            }
        }
        if gateways.is_empty() {
            return out;
        }
        for rule in spec.get("rules").map(Node::items).unwrap_or_default() {
            for b in rule.get("backendRefs").map(Node::items).unwrap_or_default() {
                let group = b.get("group").and_then(Node::as_str).unwrap_or("");
                let bkind = b.get("kind").and_then(Node::as_str).unwrap_or("Service");
                if !matches!(group, "" | "core") || bkind != "Service" {
                    continue;
                }
                let (Some(name), Some(port)) = (
                    b.get("name").and_then(Node::as_str),
                    b.get("port")
                        .and_then(Node::as_i64)
                        .and_then(|p| u16::try_from(p).ok()),
                ) else {
                    continue; // a Service backendRef without a port is invalid
                };
                let service_ns = b
                    .get("namespace")
                    .and_then(Node::as_str)
                    .map_or_else(|| route_ns.clone(), str::to_string);
                if service_ns != route_ns && !self.granted(kind, &route_ns, &service_ns, name) {
                    continue;
                }
                out.push(Backend {
                    obj,
                    service_namespace: service_ns,
                    service: name.to_string(),
                    port: BackendPort::Number(port),
                    pos: b.pos,
                    front: Front::Route(gateways.clone()),
                });
            }
        }
        out
    }
}

/// Names by which well-known ingress controllers and gateway proxies label their pods
/// (`app.kubernetes.io/name` or `app`), and the namespaces they are usually installed in.
const CONTROLLER_NAMES: &[&str] = &[
    "ingress-nginx",
    "nginx-ingress",
    "nginx-gateway",
    "traefik",
    "haproxy-ingress",
    "kubernetes-ingress",
    "kong",
    "contour",
    "envoy",
    "emissary-ingress",
    "ambassador",
    "istio-ingressgateway",
    "envoy-gateway",
];

/// Does this workload look like an ingress controller or gateway proxy? A pod label
/// `app.kubernetes.io/name` or `app` naming a well-known controller, or a namespace named
/// after one. A heuristic: the input does not say which pods serve an IngressClass.
pub(crate) fn is_controller(pods: &Pods) -> bool {
    let named = ["app.kubernetes.io/name", "app"].iter().any(|k| {
        pods.labels
            .get(k)
            .is_some_and(|v| CONTROLLER_NAMES.contains(&v))
    });
    named || CONTROLLER_NAMES.contains(&pods.namespace.as_str())
}

/// The label Gateway API implementations that deploy one proxy per Gateway put on its pods
/// (Istio and the GEP-1762 in-cluster deployment convention).
pub(crate) const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";
