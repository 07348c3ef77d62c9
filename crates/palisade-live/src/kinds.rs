//! The kinds a live scan reads: every kind an analyzer of the engine (checks, RBAC, network)
//! or the asset inventory reads, by API group, so discovery can pick the version the server
//! serves.

/// How much of an object is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// The whole object.
    Full,
    /// Metadata only (`PartialObjectMetadata`): Secrets, whose values are never fetched.
    MetadataOnly,
}

/// One kind to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WantedKind {
    /// API group (`""` for the core group).
    pub group: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// How much to fetch.
    pub fetch: Fetch,
}

const fn full(group: &'static str, kind: &'static str) -> WantedKind {
    WantedKind {
        group,
        kind,
        fetch: Fetch::Full,
    }
}

/// Every kind read, in the order they are listed.
pub const WANTED: &[WantedKind] = &[
    // Core: workloads, their context (Namespaces, ServiceAccounts, LimitRanges), exposure,
    // ConfigMaps (the secrets rules read them) and Nodes (asset inventory, node context).
    full("", "Namespace"),
    full("", "Pod"),
    full("", "ReplicationController"),
    full("", "Service"),
    full("", "ServiceAccount"),
    full("", "LimitRange"),
    full("", "ConfigMap"),
    full("", "Node"),
    WantedKind {
        group: "",
        kind: "Secret",
        fetch: Fetch::MetadataOnly,
    },
    full("apps", "Deployment"),
    full("apps", "StatefulSet"),
    full("apps", "DaemonSet"),
    full("apps", "ReplicaSet"),
    full("batch", "Job"),
    full("batch", "CronJob"),
    full("networking.k8s.io", "Ingress"),
    full("networking.k8s.io", "NetworkPolicy"),
    full("rbac.authorization.k8s.io", "Role"),
    full("rbac.authorization.k8s.io", "ClusterRole"),
    full("rbac.authorization.k8s.io", "RoleBinding"),
    full("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    full(
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    full(
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    // CRDs, read when the server serves them: the network analysis reads Calico's
    // projectcalico.org/v3 policies and tiers, AdminNetworkPolicy and its baseline, and
    // Gateway API routes for exposure.
    full("projectcalico.org", "NetworkPolicy"),
    full("projectcalico.org", "GlobalNetworkPolicy"),
    full("projectcalico.org", "Tier"),
    full("policy.networking.k8s.io", "AdminNetworkPolicy"),
    full("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
    full("gateway.networking.k8s.io", "Gateway"),
    full("gateway.networking.k8s.io", "HTTPRoute"),
    full("gateway.networking.k8s.io", "TCPRoute"),
];

/// Secret types a metadata-only list is filtered by (`type` is a field selector of Secrets:
/// `SelectableFields` in pkg/registry/core/secret/strategy.go), so each Secret's type is
/// known without fetching its values. A Secret of another type keeps no `type`.
pub const SECRET_TYPES: &[&str] = &[
    "Opaque",
    "kubernetes.io/service-account-token",
    "kubernetes.io/dockercfg",
    "kubernetes.io/dockerconfigjson",
    "kubernetes.io/basic-auth",
    "kubernetes.io/ssh-auth",
    "kubernetes.io/tls",
    "bootstrap.kubernetes.io/token",
];

/// Versions of each group whose object schemas the rules were written against (the built-in
/// groups' versions from 1.16 on, and the CRDs' published ones). A kind discovery finds only
/// at another version is still read (objects are JSON; fields keep their names across
/// versions far more often than not), with a note saying so, so a finding missing for
/// a renamed field is explained rather than silent.
pub fn known_version(group: &str, version: &str) -> bool {
    let known: &[&str] = match group {
        "" => &["v1"],
        "apps" => &["v1", "v1beta2", "v1beta1"],
        "batch" => &["v1", "v1beta1"],
        "networking.k8s.io" => &["v1", "v1beta1"],
        "rbac.authorization.k8s.io" => &["v1", "v1beta1"],
        "admissionregistration.k8s.io" => &["v1", "v1beta1"],
        "projectcalico.org" => &["v3"],
        "policy.networking.k8s.io" => &["v1alpha1", "v1alpha2"],
        "gateway.networking.k8s.io" => &["v1", "v1beta1", "v1alpha2"],
        _ => &[],
    };
    known.contains(&version)
}
