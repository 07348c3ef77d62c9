//! From a manifest's kind to the resource (plural, lower-case) that admission rules name,
//! and whether a kind is namespaced.
//!
//! An admission request carries its `resource`; an object read from a manifest does not, so
//! the scan has to derive it as the API server's RESTMapper would. Built-in kinds come from
//! the table below; any other kind (a CRD) uses an explicit mapping the caller supplies
//! ([`ResourceMap`], what a `--resource-map` option feeds), and failing that the lower-case
//! plural guess of `k8s.io/apimachinery`'s `meta.UnsafeGuessKindToResource` (`Policy` →
//! `policies`, `Ingress` → `ingresses`, otherwise `+s`).

use std::collections::HashMap;

/// `(group, kind, resource, namespaced)` for the built-in kinds.
const BUILT_IN: &[(&str, &str, &str, bool)] = &[
    ("", "Pod", "pods", true),
    ("", "Service", "services", true),
    ("", "ConfigMap", "configmaps", true),
    ("", "Secret", "secrets", true),
    ("", "ServiceAccount", "serviceaccounts", true),
    ("", "Endpoints", "endpoints", true),
    ("", "Event", "events", true),
    ("", "LimitRange", "limitranges", true),
    ("", "ResourceQuota", "resourcequotas", true),
    ("", "PersistentVolumeClaim", "persistentvolumeclaims", true),
    ("", "ReplicationController", "replicationcontrollers", true),
    ("", "PodTemplate", "podtemplates", true),
    ("", "Namespace", "namespaces", false),
    ("", "Node", "nodes", false),
    ("", "PersistentVolume", "persistentvolumes", false),
    ("apps", "Deployment", "deployments", true),
    ("apps", "StatefulSet", "statefulsets", true),
    ("apps", "DaemonSet", "daemonsets", true),
    ("apps", "ReplicaSet", "replicasets", true),
    ("apps", "ControllerRevision", "controllerrevisions", true),
    ("batch", "Job", "jobs", true),
    ("batch", "CronJob", "cronjobs", true),
    (
        "autoscaling",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
    ),
    (
        "policy",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
    ),
    (
        "networking.k8s.io",
        "NetworkPolicy",
        "networkpolicies",
        true,
    ),
    ("networking.k8s.io", "Ingress", "ingresses", true),
    ("networking.k8s.io", "IngressClass", "ingressclasses", false),
    ("discovery.k8s.io", "EndpointSlice", "endpointslices", true),
    ("rbac.authorization.k8s.io", "Role", "roles", true),
    (
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "rolebindings",
        true,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRole",
        "clusterroles",
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
    ),
    ("storage.k8s.io", "StorageClass", "storageclasses", false),
    ("storage.k8s.io", "CSIDriver", "csidrivers", false),
    (
        "scheduling.k8s.io",
        "PriorityClass",
        "priorityclasses",
        false,
    ),
    ("node.k8s.io", "RuntimeClass", "runtimeclasses", false),
    ("coordination.k8s.io", "Lease", "leases", true),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        false,
    ),
    (
        "certificates.k8s.io",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        false,
    ),
    ("apiregistration.k8s.io", "APIService", "apiservices", false),
];

/// Explicit `(group, kind)` → `(resource, namespaced)` mappings for kinds the table does not
/// know (CRDs). Built-in kinds cannot be overridden.
#[derive(Debug, Clone, Default)]
pub struct ResourceMap {
    extra: HashMap<(String, String), (String, bool)>,
}

impl ResourceMap {
    /// Adds a mapping: objects of `group`/`kind` are `resource`, namespaced or not.
    pub fn insert(&mut self, group: &str, kind: &str, resource: &str, namespaced: bool) {
        self.extra.insert(
            (group.to_string(), kind.to_string()),
            (resource.to_string(), namespaced),
        );
    }

    /// The resource of a kind: the table, then the explicit mappings, then the guess.
    pub fn resource(&self, group: &str, kind: &str) -> String {
        if let Some(r) = built_in(group, kind) {
            return r.2.to_string();
        }
        match self.extra.get(&(group.to_string(), kind.to_string())) {
            Some((r, _)) => r.clone(),
            None => guess_resource(kind),
        }
    }

    /// Is the kind namespaced? `None` when neither the table nor a mapping knows it.
    pub fn namespaced(&self, group: &str, kind: &str) -> Option<bool> {
        if let Some(r) = built_in(group, kind) {
            return Some(r.3);
        }
        self.extra
            .get(&(group.to_string(), kind.to_string()))
            .map(|(_, n)| *n)
    }
}

fn built_in(
    group: &str,
    kind: &str,
) -> Option<&'static (&'static str, &'static str, &'static str, bool)> {
    BUILT_IN
        .iter()
        .find(|(g, k, _, _)| *g == group && *k == kind)
}

/// The plural guess of `meta.UnsafeGuessKindToResource`: lower-case, then by the last
/// letter: `s` → `+es`, `y` → `ies`, anything else `+s`.
pub fn guess_resource(kind: &str) -> String {
    let lower = kind.to_lowercase();
    if lower.is_empty() {
        return lower;
    }
    if lower.ends_with('s') {
        return format!("{lower}es");
    }
    if let Some(stem) = lower.strip_suffix('y') {
        return format!("{stem}ies");
    }
    format!("{lower}s")
}

/// Resources that are the same objects under another group (for `matchPolicy:
/// Equivalent`): the API server's equivalent-resource registry also lists these.
pub const EQUIVALENT_GROUPS: &[(&str, &str, &str)] = &[
    ("deployments", "apps", "extensions"),
    ("daemonsets", "apps", "extensions"),
    ("replicasets", "apps", "extensions"),
    ("networkpolicies", "networking.k8s.io", "extensions"),
    ("ingresses", "networking.k8s.io", "extensions"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_then_map_then_guess() {
        let mut m = ResourceMap::default();
        assert_eq!(m.resource("apps", "Deployment"), "deployments");
        assert_eq!(m.resource("networking.k8s.io", "Ingress"), "ingresses");
        assert_eq!(m.namespaced("", "Namespace"), Some(false));
        assert_eq!(m.resource("example.com", "Widget"), "widgets");
        assert_eq!(m.resource("example.com", "Policy"), "policies");
        assert_eq!(m.resource("example.com", "Status"), "statuses");
        assert_eq!(m.namespaced("example.com", "Widget"), None);
        m.insert("example.com", "Widget", "widgetz", false);
        assert_eq!(m.resource("example.com", "Widget"), "widgetz");
        assert_eq!(m.namespaced("example.com", "Widget"), Some(false));
    }
}
