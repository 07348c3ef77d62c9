//! The asset inventory security teams are asked for: namespaces, workloads and their images
//! (by digest where a Pod's status reports the image it runs), service accounts and what RBAC
//! grants them, Services and what they expose, and nodes with their versions. Built from an
//! [`Inventory`] alone, so it works on manifests and on a live cluster alike; [`render`]
//! prints it.

mod render;
mod workloads;

use std::collections::BTreeMap;

use palisade_core::{Inventory, Object};
use serde::Serialize;

pub use render::{render, AssetFormat};
pub use workloads::{ImageAsset, WorkloadAsset};

/// Everything listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assets {
    /// Namespaces (declared, or named by an object), sorted.
    pub namespaces: Vec<NamespaceAsset>,
    /// Workloads (objects with a pod spec that no controller read here controls), sorted by
    /// namespace, kind, name.
    pub workloads: Vec<WorkloadAsset>,
    /// Service accounts (declared, or named by a workload), sorted.
    pub service_accounts: Vec<ServiceAccountAsset>,
    /// Services, sorted.
    pub services: Vec<ServiceAsset>,
    /// Nodes, sorted.
    pub nodes: Vec<NodeAsset>,
}

/// One namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceAsset {
    /// Name.
    pub name: String,
    /// Whether a Namespace object was read (otherwise only named by objects in it).
    pub declared: bool,
    /// Its labels (Pod Security admission levels, data classes, ...).
    pub labels: BTreeMap<String, String>,
    /// How many workloads run in it.
    pub workloads: usize,
}

/// One service account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountAsset {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Whether a ServiceAccount object was read.
    pub declared: bool,
    /// Its `automountServiceAccountToken`, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automount_token: Option<bool>,
    /// Workloads running as it (`Kind/name`).
    pub used_by: Vec<String>,
    /// What RBAC grants it beyond what every service account holds, one entry per
    /// (scope, target): `get,list pods in team`, `* *.* cluster-wide`.
    pub permissions: Vec<String>,
}

/// One Service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAsset {
    /// Namespace (`""` when the manifest names none).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `ClusterIP` (the API's default), `NodePort`, `LoadBalancer`, `ExternalName`.
    #[serde(rename = "type")]
    pub service_type: String,
    /// Ports: `port/PROTOCOL`, `→targetPort`, `node:nodePort` when allocated.
    pub ports: Vec<String>,
    /// Where it is reachable from outside: external IPs, load balancer addresses, the
    /// external name.
    pub external: Vec<String>,
    /// Its pod selector (`key=value`, sorted); empty: it selects no pods.
    pub selector: Vec<String>,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeAsset {
    /// Name.
    pub name: String,
    /// `status.nodeInfo.kubeletVersion`.
    pub kubelet_version: String,
    /// `status.nodeInfo.osImage`.
    pub os_image: String,
    /// `status.nodeInfo.kernelVersion`.
    pub kernel_version: String,
    /// `status.nodeInfo.containerRuntimeVersion`.
    pub container_runtime: String,
    /// `InternalIP` addresses.
    pub internal_ips: Vec<String>,
}

impl Assets {
    /// The assets of an inventory; `controlled` are the objects a live read set aside
    /// (their Pods' statuses give the digests of the images their owners run).
    pub fn of(inventory: &Inventory, controlled: &[Object]) -> Assets {
        let workloads = workloads::collect(inventory, controlled);
        let mut assets = Assets {
            namespaces: namespaces(inventory, &workloads),
            service_accounts: workloads::service_accounts(inventory, &workloads),
            services: inventory.of_kind("Service").map(service).collect(),
            nodes: inventory.of_kind("Node").map(node).collect(),
            workloads,
        };
        assets
            .services
            .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        assets.nodes.sort_by(|a, b| a.name.cmp(&b.name));
        assets
    }
}

fn namespaces(inventory: &Inventory, workloads: &[WorkloadAsset]) -> Vec<NamespaceAsset> {
    inventory
        .namespaces()
        .into_iter()
        .map(|name| {
            let object = inventory.of_kind("Namespace").find(|o| o.id.name == name);
            NamespaceAsset {
                name: name.to_string(),
                declared: object.is_some(),
                labels: object.map(labels).unwrap_or_default(),
                workloads: workloads.iter().filter(|w| w.namespace == name).count(),
            }
        })
        .collect()
}

fn labels(object: &Object) -> BTreeMap<String, String> {
    let Some(labels) = object.metadata().get("labels") else {
        return BTreeMap::new();
    };
    labels
        .entries()
        .iter()
        .filter_map(|e| {
            Some((
                e.key.as_str()?.to_string(),
                e.value.scalar_text()?.to_string(),
            ))
        })
        .collect()
}

fn text(node: Option<&palisade_core::yaml::Node>) -> String {
    node.and_then(|n| n.scalar_text()).unwrap_or("").to_string()
}

fn service(object: &Object) -> ServiceAsset {
    let spec = object.root.get("spec");
    let field = |k: &str| spec.and_then(|s| s.get(k));
    let service_type = match text(field("type")).as_str() {
        "" => "ClusterIP".to_string(),
        t => t.to_string(),
    };
    let ports = field("ports")
        .map(|p| p.items())
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let protocol = match text(p.get("protocol")).as_str() {
                "" => "TCP".to_string(),
                t => t.to_string(),
            };
            let mut s = format!("{}/{protocol}", text(p.get("port")));
            let target = text(p.get("targetPort"));
            if !target.is_empty() {
                s.push_str(&format!("→{target}"));
            }
            let node_port = text(p.get("nodePort"));
            if !node_port.is_empty() {
                s.push_str(&format!(" node:{node_port}"));
            }
            s
        })
        .collect();
    let mut external: Vec<String> = field("externalIPs")
        .map(|p| p.items())
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.scalar_text().map(str::to_string))
        .collect();
    let ingress = object.root.get_path(&["status", "loadBalancer", "ingress"]);
    for lb in ingress.map(|i| i.items()).unwrap_or_default() {
        for key in ["ip", "hostname"] {
            external.extend(
                lb.get(key)
                    .and_then(|n| n.scalar_text())
                    .map(str::to_string),
            );
        }
    }
    let name = text(field("externalName"));
    if !name.is_empty() {
        external.push(name);
    }
    let selector = field("selector")
        .map(|s| s.entries())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| Some(format!("{}={}", e.key.as_str()?, e.value.scalar_text()?)))
        .collect();
    ServiceAsset {
        namespace: object.id.namespace.clone().unwrap_or_default(),
        name: object.id.name.clone(),
        service_type,
        ports,
        external,
        selector,
    }
}

fn node(object: &Object) -> NodeAsset {
    let info = |k: &str| text(object.root.get_path(&["status", "nodeInfo", k]));
    let addresses = object.root.get_path(&["status", "addresses"]);
    let internal_ips = addresses
        .map(|a| a.items())
        .unwrap_or_default()
        .iter()
        .filter(|a| a.get("type").and_then(|t| t.as_str()) == Some("InternalIP"))
        .filter_map(|a| a.get("address")?.scalar_text().map(str::to_string))
        .collect();
    NodeAsset {
        name: object.id.name.clone(),
        kubelet_version: info("kubeletVersion"),
        os_image: info("osImage"),
        kernel_version: info("kernelVersion"),
        container_runtime: info("containerRuntimeVersion"),
        internal_ips,
    }
}
