//! What the `nodes` query needs from the input besides RBAC: each namespace's Pod Security
//! admission level, the workloads whose pods already hold the node (privileged, hostPID,
//! hostPath `/`), and node names.
//!
//! Pod Security admission reads the namespace label `pod-security.kubernetes.io/enforce`
//! (pod-security-admission api `PolicyToEvaluate`/`ParseLevel`): `privileged`, `baseline`
//! or `restricted`, exact spelling; a value that does not parse is enforced as
//! `restricted` (it fails closed); no label means the admission configuration's default,
//! which is `privileged` unless the cluster configures otherwise. Both `baseline` and
//! `restricted` forbid privileged containers, host namespaces and hostPath volumes, so only
//! the level matters here, not `enforce-version`. Enforcement applies to pods: a
//! Deployment is admitted with a warning, and its controller's pods are then rejected.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::workload::{ContainerKind, Workload};
use palisade_core::yaml::Node;
use palisade_core::{Location, Object, ObjectRef};
use serde::Serialize;

use crate::model::UNSET_NAMESPACE;

/// The namespace label Pod Security admission enforces.
pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PodSecurityLevel {
    /// Unrestricted.
    Privileged,
    /// Forbids privileged containers, host namespaces and hostPath volumes.
    Baseline,
    /// Baseline and more.
    Restricted,
}

/// What Pod Security admission enforces in a namespace, as far as the input tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum PodSecurity {
    /// The Namespace object is in the input.
    #[serde(rename_all = "camelCase")]
    Declared {
        /// The level enforced (`privileged` when the label is absent, `restricted` when its
        /// value does not parse).
        level: PodSecurityLevel,
        /// The label's value as written, when present.
        #[serde(skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        /// Where the Namespace is written.
        location: Location,
    },
    /// No Namespace object in the input: the cluster's default applies, `privileged` unless
    /// its admission configuration says otherwise (assumed here, and said).
    NotInInput,
}

impl PodSecurity {
    /// Would a privileged / hostPID / hostPath pod be admitted? (Assumed yes when unknown.)
    pub fn admits_host_pods(&self) -> bool {
        match self {
            PodSecurity::Declared { level, .. } => *level == PodSecurityLevel::Privileged,
            PodSecurity::NotInInput => true,
        }
    }

    /// The state of a Namespace object.
    pub fn of_namespace(ns: &Object) -> PodSecurity {
        let label = ns.label(ENFORCE_LABEL).map(str::to_string);
        let level = match label.as_deref() {
            None | Some("privileged") => PodSecurityLevel::Privileged,
            Some("baseline") => PodSecurityLevel::Baseline,
            // `restricted`, and any value `ParseLevel` rejects.
            Some(_) => PodSecurityLevel::Restricted,
        };
        PodSecurity::Declared {
            level,
            label,
            location: ns.location(),
        }
    }
}

/// Why a workload's pods already hold their node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum HostAccess {
    /// A privileged container (regular or sidecar: one that keeps running to exec into).
    Privileged {
        /// Container name.
        container: String,
    },
    /// `hostPID: true`: the node's processes, `nsenter -t 1` with the right capabilities.
    HostPid,
    /// A hostPath volume of the node's root directory.
    HostPathRoot {
        /// Volume name.
        volume: String,
    },
}

/// A workload whose pods already hold their node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostWorkload {
    /// The object.
    pub object: Arc<ObjectRef>,
    /// Where it is written.
    pub location: Location,
    /// Its namespace ([`UNSET_NAMESPACE`] when not written).
    pub namespace: String,
    /// The pod's name, for a bare Pod (a controller's pods have generated names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
    /// Why, in pod spec order.
    pub reasons: Vec<HostAccess>,
}

impl HostWorkload {
    /// The host access of a workload, when it has any.
    pub fn of(object: &Object) -> Option<HostWorkload> {
        let w = Workload::of(object)?;
        let mut reasons = Vec::new();
        for c in w.containers() {
            let running = match c.kind {
                ContainerKind::Regular => true,
                ContainerKind::Init => {
                    c.node.get("restartPolicy").and_then(Node::as_str) == Some("Always")
                }
                ContainerKind::Ephemeral => false,
            };
            let privileged = c
                .security_context()
                .get("privileged")
                .and_then(Node::as_bool);
            if running && privileged == Some(true) {
                reasons.push(HostAccess::Privileged {
                    container: c.name().to_string(),
                });
            }
        }
        if w.get("hostPID").and_then(Node::as_bool) == Some(true) {
            reasons.push(HostAccess::HostPid);
        }
        for v in w.volumes() {
            let path = v.get_path(&["hostPath", "path"]).and_then(Node::as_str);
            if path.is_some_and(is_root) {
                reasons.push(HostAccess::HostPathRoot {
                    volume: v
                        .get("name")
                        .and_then(Node::as_str)
                        .unwrap_or("")
                        .to_string(),
                });
            }
        }
        if reasons.is_empty() {
            return None;
        }
        let pod_name =
            (object.id.kind == "Pod" && !object.id.name.is_empty()).then(|| object.id.name.clone());
        Some(HostWorkload {
            object: Arc::clone(&object.id),
            location: object.location(),
            namespace: object
                .id
                .namespace
                .clone()
                .unwrap_or_else(|| UNSET_NAMESPACE.to_string()),
            pod_name,
            reasons,
        })
    }
}

/// A host path that is the root directory (`/`, `//`, `/.`, `/..`, ...).
fn is_root(path: &str) -> bool {
    let mut depth = 0usize;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => depth = depth.saturating_sub(1),
            _ => depth += 1,
        }
    }
    path.starts_with('/') && depth == 0
}

/// The non-RBAC facts of an input the `nodes` query joins with the policy.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeContext {
    /// Namespace objects of the input, by name.
    pub namespaces: BTreeMap<String, PodSecurity>,
    /// Workloads whose pods hold their node, in input order.
    pub host_workloads: Vec<HostWorkload>,
    /// Names of the Node objects in the input, sorted.
    pub node_names: Vec<String>,
}

impl NodeContext {
    /// Reads Namespaces, workloads and Nodes from any mix of objects.
    pub fn from_objects(objects: &[Object]) -> NodeContext {
        let mut ctx = NodeContext::default();
        for o in objects {
            match o.id.kind.as_str() {
                "Namespace" if o.id.api_version == "v1" => {
                    ctx.namespaces
                        .insert(o.id.name.clone(), PodSecurity::of_namespace(o));
                }
                "Node" if o.id.api_version == "v1" => ctx.node_names.push(o.id.name.clone()),
                _ => ctx.host_workloads.extend(HostWorkload::of(o)),
            }
        }
        ctx.node_names.sort();
        ctx.node_names.dedup();
        ctx
    }

    /// The Pod Security state of a namespace.
    pub fn pod_security(&self, namespace: &str) -> PodSecurity {
        self.namespaces
            .get(namespace)
            .cloned()
            .unwrap_or(PodSecurity::NotInInput)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_paths() {
        for p in ["/", "//", "/.", "/../", "/a/.."] {
            assert!(is_root(p), "{p}");
        }
        for p in ["/etc", "", "a/..", "/var/../etc"] {
            assert!(!is_root(p), "{p}");
        }
    }
}
