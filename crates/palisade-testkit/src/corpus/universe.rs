//! The small world a corpus lives in: namespaces, users and their groups, service accounts, and
//! the vocabulary rules and questions draw from (groups, resources, verbs, names, paths).

use crate::sar::{Subject, AUTHENTICATED};

/// Namespaces the corpus creates.
pub(crate) const NAMESPACES: [&str; 6] =
    ["team-a", "team-b", "team-c", "team-d", "team-e", "team-f"];

/// Users and the groups their tokens would carry (besides `system:authenticated`).
pub(crate) const USERS: [(&str, &[&str]); 10] = [
    ("alice", &["devs"]),
    ("bob", &["ops"]),
    ("carol", &["devs", "ops"]),
    ("dave", &["auditors"]),
    ("erin", &["release"]),
    ("frank", &["contractors"]),
    ("grace", &["devs", "release"]),
    ("heidi", &[]),
    ("ivan", &["auditors", "contractors"]),
    ("judy", &[]),
];

/// Groups bindings name (besides the implicit ones).
pub(crate) const GROUPS: [&str; 5] = ["devs", "ops", "auditors", "release", "contractors"];

/// Service accounts: (namespace index, name).
pub(crate) const SERVICE_ACCOUNTS: [(usize, &str); 10] = [
    (0, "builder"),
    (0, "deployer"),
    (1, "builder"),
    (1, "monitor"),
    (2, "ci"),
    (3, "backup"),
    (3, "deployer"),
    (4, "monitor"),
    (5, "ci"),
    (5, "operator"),
];

/// API groups rules and questions use: real ones, a CRD group, and none served at all.
pub(crate) const API_GROUPS: [&str; 6] = [
    "",
    "apps",
    "batch",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "example.com",
];

/// Resources per API group (index as in [`API_GROUPS`]), with the subresources that exist.
pub(crate) const RESOURCES: [&[(&str, &[&str])]; 6] = [
    &[
        ("pods", &["exec", "log", "status", "attach"]),
        ("secrets", &[]),
        ("configmaps", &[]),
        ("services", &["proxy"]),
        ("serviceaccounts", &["token"]),
        ("namespaces", &["status"]),
        ("nodes", &["proxy", "status"]),
        ("persistentvolumes", &[]),
    ],
    &[
        ("deployments", &["scale", "status"]),
        ("statefulsets", &["scale"]),
        ("replicasets", &["scale"]),
        ("daemonsets", &["status"]),
    ],
    &[("jobs", &["status"]), ("cronjobs", &[])],
    &[
        ("roles", &[]),
        ("rolebindings", &[]),
        ("clusterroles", &[]),
        ("clusterrolebindings", &[]),
    ],
    &[("networkpolicies", &[]), ("ingresses", &["status"])],
    &[("widgets", &["status", "scale"])],
];

/// Verbs of resource rules and questions, custom ones included.
pub(crate) const VERBS: [&str; 13] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "escalate",
    "bind",
    "impersonate",
    "use",
    "approve",
];

/// Verbs of non-resource requests (HTTP methods in lower case).
pub(crate) const HTTP_VERBS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Object names for `resourceNames` and questions.
pub(crate) const NAMES: [&str; 6] = ["web", "db", "cache", "default", "token-1", "web-2"];

/// `nonResourceURLs` entries (exact paths and `*`-suffixed prefixes; the bare `*` is drawn apart).
pub(crate) const URLS: [&str; 8] = [
    "/metrics",
    "/logs",
    "/logs/*",
    "/healthz/*",
    "/custom/*",
    "/custom",
    "/debug/pprof/*",
    "/apis/example.com/*",
];

/// Paths non-resource questions ask about: the rules' paths, below and beside them, and paths the
/// bootstrap policy grants to every authenticated user.
pub(crate) const PATHS: [&str; 14] = [
    "/metrics",
    "/metricsx",
    "/logs",
    "/logs/",
    "/logs/kube.log",
    "/healthz",
    "/healthz/etcd",
    "/custom",
    "/custom/a/b",
    "/debug/pprof/heap",
    "/apis/example.com/v1",
    "/version",
    "/api",
    "/openapi/v2",
];

/// Label key a ClusterRole carries to be aggregated into generated aggregated role `k`.
pub(crate) fn aggregate_label(k: usize) -> String {
    format!("palisade.test/aggregate-to-{k}")
}

/// A second label for selectors with expressions.
pub(crate) const TIER_LABEL: &str = "palisade.test/tier";
/// Its values.
pub(crate) const TIERS: [&str; 3] = ["gold", "silver", "bronze"];

/// Built-in aggregation labels: a generated ClusterRole carrying one flows into the bootstrap
/// `admin`/`edit`/`view` roles (upstream's bootstrap policy aggregates on these keys).
pub(crate) const BUILTIN_AGGREGATE_LABELS: [&str; 3] = [
    "rbac.authorization.k8s.io/aggregate-to-view",
    "rbac.authorization.k8s.io/aggregate-to-edit",
    "rbac.authorization.k8s.io/aggregate-to-admin",
];

/// Bootstrap ClusterRoles bindings may refer to.
pub(crate) const BUILTIN_CLUSTER_ROLES: [&str; 4] = ["view", "edit", "admin", "cluster-admin"];

/// Every subject questions are asked for, with its groups as the authenticator would set them:
/// the users, the service accounts, and an anonymous request.
pub(crate) fn subjects() -> Vec<Subject> {
    let mut out: Vec<Subject> = USERS
        .iter()
        .map(|(name, groups)| Subject::user(name, groups))
        .collect();
    out.extend(
        SERVICE_ACCOUNTS
            .iter()
            .map(|(ns, name)| Subject::service_account(NAMESPACES[*ns], name)),
    );
    // What the anonymous authenticator produces (never `system:authenticated`).
    out.push(Subject {
        user: "system:anonymous".to_owned(),
        groups: vec!["system:unauthenticated".to_owned()],
    });
    debug_assert!(
        out.iter()
            .filter(|s| s.groups.iter().any(|g| g == AUTHENTICATED))
            .count()
            == 20
    );
    out
}
