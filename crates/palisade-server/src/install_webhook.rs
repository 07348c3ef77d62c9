//! The ValidatingWebhookConfiguration of the install: which requests the API server sends to
//! Palisade, where, and what it does when Palisade cannot answer.
//!
//! Two webhooks with the same endpoint: one for workloads and the other kinds the built-in
//! rules judge, with the chosen `failurePolicy`; one for RBAC objects, fail-open by default,
//! because the API server writes the default ClusterRoles and bindings through admission
//! when it starts (`EnsureRBACPolicy`, the `rbac/bootstrap-roles` post-start hook, whenever
//! a version adds or changes one): with a fail-closed webhook down at that moment the API
//! server never becomes healthy, and no client can remove the webhook.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::install::{
    q, CaSource, FailurePolicy, InstallOptions, NAME, RBAC_WEBHOOK_NAME, WEBHOOK_NAME,
};
use crate::install_docs::{labels, SERVICE_PORT};

/// Rules as (API group, version, resources).
type Rules = &'static [(&'static str, &'static str, &'static [&'static str])];

/// What the main webhook is sent: every kind the built-in rules judge other than RBAC, in the
/// versions served since Kubernetes 1.21. Secrets are left out on purpose: at admission every
/// Secret holds its values (PAL-SECRET-004 is about manifests in a repository), and sending
/// every Secret to one more process widens who sees them.
pub(crate) const RULES: Rules = &[
    (
        "",
        "v1",
        &[
            "pods",
            "pods/ephemeralcontainers",
            "podtemplates",
            "replicationcontrollers",
            "services",
            "configmaps",
            "serviceaccounts",
            "namespaces",
        ],
    ),
    (
        "apps",
        "v1",
        &["deployments", "replicasets", "statefulsets", "daemonsets"],
    ),
    ("batch", "v1", &["jobs", "cronjobs"]),
    ("networking.k8s.io", "v1", &["ingresses"]),
];

/// What the RBAC webhook is sent.
pub(crate) const RBAC_RULES: Rules = &[(
    "rbac.authorization.k8s.io",
    "v1",
    &[
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
    ],
)];

/// The ValidatingWebhookConfiguration.
pub(crate) fn webhook_configuration(opts: &InstallOptions) -> String {
    let ns = opts.namespace.as_str();
    let mut out = String::from(
        "# Which requests the API server sends to Palisade: creates and updates of every kind\n\
         # the built-in rules judge, outside kube-system and Palisade's own namespace (so that\n\
         # its pods can always be recreated, even with failurePolicy Fail).\n\
         apiVersion: admissionregistration.k8s.io/v1\n\
         kind: ValidatingWebhookConfiguration\n",
    );
    let _ = writeln!(out, "metadata:\n  name: {NAME}");
    out.push_str(&labels(2));
    if matches!(opts.ca, CaSource::CertManager) {
        let _ = writeln!(
            out,
            "  annotations:\n    # cert-manager's CA injector writes the CA of this Certificate into caBundle.\n    \
             cert-manager.io/inject-ca-from: {}",
            q(&format!("{ns}/{NAME}"))
        );
    }
    out.push_str("webhooks:\n");
    webhook(&mut out, opts, WEBHOOK_NAME, opts.failure_policy, RULES);
    out.push_str(
        "# RBAC objects: the API server itself writes the default ClusterRoles and bindings when\n\
         # it starts; were this webhook fail-closed and down then, it would never become healthy.\n",
    );
    webhook(
        &mut out,
        opts,
        RBAC_WEBHOOK_NAME,
        opts.rbac_failure_policy,
        RBAC_RULES,
    );
    out
}

/// One entry of `webhooks`.
fn webhook(
    out: &mut String,
    opts: &InstallOptions,
    name: &str,
    policy: FailurePolicy,
    rules: Rules,
) {
    let _ = writeln!(
        out,
        "- name: {name}\n  \
           admissionReviewVersions: [v1]\n  \
           # The webhook only judges: dry-run requests reach it too.\n  \
           sideEffects: None\n  \
           failurePolicy: {}\n  \
           timeoutSeconds: {}\n  \
           # An object sent in another version (an older API group) is converted and judged.\n  \
           matchPolicy: Equivalent\n  \
           clientConfig:",
        policy.as_str(),
        opts.timeout_seconds
    );
    match &opts.webhook_url {
        Some(url) => {
            let _ = writeln!(out, "    url: {}", q(url));
        }
        None => {
            let _ = writeln!(
                out,
                "    service:\n      name: {NAME}\n      namespace: {}\n      path: /validate\n      port: {SERVICE_PORT}",
                q(&opts.namespace)
            );
        }
    }
    if let CaSource::Bundle(pem) = &opts.ca {
        let encoded = base64::engine::general_purpose::STANDARD.encode(pem.as_bytes());
        let _ = writeln!(out, "    caBundle: {encoded}");
    }
    let _ = writeln!(
        out,
        "  # kubernetes.io/metadata.name is set by the API server (1.21 and later) and cannot be\n  \
         # changed by users, unlike an opt-out label that anyone who may label a namespace\n  \
         # could add. It does not apply to cluster-scoped objects.\n  \
         namespaceSelector:\n    \
           matchExpressions:\n    \
           - key: kubernetes.io/metadata.name\n      \
             operator: NotIn\n      \
             values: [kube-system, {}]\n  \
         rules:",
        q(&opts.namespace)
    );
    for (group, version, resources) in rules {
        let _ = writeln!(
            out,
            "  - apiGroups: [{}]\n    apiVersions: [{version}]\n    operations: [CREATE, UPDATE]\n    \
             resources: [{}]\n    scope: \"*\"",
            q(group),
            resources.join(", ")
        );
    }
}
