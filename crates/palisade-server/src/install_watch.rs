//! The manifests that run `palisade watch` in a cluster (`palisade watch manifests`):
//! Namespace, ServiceAccount, a read-only ClusterRole (list and watch on each kind the
//! watcher reads) and its binding, a one-replica Deployment, a Service for the metrics, and
//! NetworkPolicies. Built as the webhook's install is (install.rs, install_docs.rs): the same
//! Namespace document, the same quoting of user values, the same hardening, so `palisade
//! scan` finds nothing at medium or above in it (a CLI test holds that).

use std::fmt::Write as _;

use crate::install::{is_dns1123_label, q, InstallError};
use crate::install_docs::namespace;

/// The name of the watcher's objects.
pub const WATCH_NAME: &str = "palisade-watch";
/// The port of the metrics and report endpoint.
pub const WATCH_PORT: u16 = 9090;
/// The user and group the watcher runs as.
const RUN_AS: u32 = 65532;

/// What the watcher's manifests depend on.
#[derive(Debug, Clone)]
pub struct WatchInstallOptions {
    /// Namespace it runs in (a DNS-1123 label).
    pub namespace: String,
    /// Container image of palisade.
    pub image: String,
    /// What it reads: (API group, resources) pairs, granted `list` and `watch` only.
    pub rules: Vec<(String, Vec<String>)>,
}

/// The manifests, one YAML stream.
pub fn watch_manifests(opts: &WatchInstallOptions) -> Result<String, InstallError> {
    if !is_dns1123_label(&opts.namespace) {
        return Err(InstallError {
            field: "--namespace",
            message: format!("{:?} is not a valid namespace name", opts.namespace),
        });
    }
    if opts.image.is_empty()
        || opts
            .image
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(InstallError {
            field: "--image",
            message: format!("{:?} is not an image reference", opts.image),
        });
    }
    let ns = q(&opts.namespace);
    let docs = [
        namespace(&opts.namespace),
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {WATCH_NAME}\n  namespace: {ns}\n{}\
             # Off for any pod that merely uses the account; the watcher's pod asks for it.\n\
             automountServiceAccountToken: false\n",
            labels(2)
        ),
        cluster_role(opts),
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {WATCH_NAME}\n{}{}\
             roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {WATCH_NAME}\n\
             subjects:\n- kind: ServiceAccount\n  name: {WATCH_NAME}\n  namespace: {ns}\n",
            labels(2),
            secrets_exception("PAL-RBAC-013")
        ),
        deployment(opts),
        format!(
            "# Prometheus scrapes /metrics here; /report serves the current report as JSON.\n\
             apiVersion: v1\nkind: Service\nmetadata:\n  name: {WATCH_NAME}\n  namespace: {ns}\n{}\
             spec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: {WATCH_NAME}\n  ports:\n  \
             - name: metrics\n    port: {WATCH_PORT}\n    targetPort: metrics\n    protocol: TCP\n",
            labels(2)
        ),
        format!(
            "# Nothing else in this namespace talks or is talked to.\n\
             apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: {ns}\n{}\
             spec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n",
            labels(2)
        ),
        format!(
            "# In: scrapes of the metrics port. Out: DNS, and the API server (its endpoint, usually\n\
             # port 6443, 443 on some clusters).\n\
             apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {WATCH_NAME}\n  namespace: {ns}\n{}\
             spec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: {WATCH_NAME}\n  \
             policyTypes: [Ingress, Egress]\n  ingress:\n  - ports:\n    - port: {WATCH_PORT}\n      protocol: TCP\n  \
             egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      \
             podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    \
             ports:\n    - port: 53\n      protocol: UDP\n    - port: 53\n      protocol: TCP\n  \
             - ports:\n    - port: 443\n      protocol: TCP\n    - port: 6443\n      protocol: TCP\n",
            labels(2)
        ),
    ];
    Ok(docs.join("---\n"))
}

fn labels(indent: usize) -> String {
    let pad = " ".repeat(indent);
    format!(
        "{pad}labels:\n{pad}  app.kubernetes.io/name: {WATCH_NAME}\n{pad}  app.kubernetes.io/part-of: palisade\n"
    )
}

/// The exception the role and its binding carry: reading Secrets is what a scanner of
/// Secrets' metadata needs, and listing them returns their values to the holder whatever
/// the client asks for; the finding is suppressed with that reason, so it stays counted.
fn secrets_exception(rules: &str) -> String {
    format!(
        "  annotations:\n    palisade.dev/ignore: {rules}\n    \
         palisade.dev/ignore-reason: \"the watcher lists and watches Secrets as metadata only \
         (names, types); the API returns their values to this account on list all the same\"\n"
    )
}

fn cluster_role(opts: &WatchInstallOptions) -> String {
    let mut out = format!(
        "# Read-only: list and watch on each kind the watcher judges, nothing else (no get, no\n\
         # write). Secrets are requested as metadata only, but a list of Secrets returns their\n\
         # values to whoever holds this role: treat the account as able to read every Secret.\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {WATCH_NAME}\n{}{}rules:\n",
        labels(2),
        secrets_exception("PAL-RBAC-003")
    );
    for (group, resources) in &opts.rules {
        let list: Vec<String> = resources.iter().map(|r| q(r)).collect();
        let _ = write!(
            out,
            "- apiGroups: [{}]\n  resources: [{}]\n  verbs: [list, watch]\n",
            q(group),
            list.join(", ")
        );
    }
    out
}

fn deployment(opts: &WatchInstallOptions) -> String {
    let ns = q(&opts.namespace);
    let sel = |indent: usize| {
        let pad = " ".repeat(indent);
        format!("{pad}matchLabels:\n{pad}  app.kubernetes.io/name: {WATCH_NAME}\n")
    };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {WATCH_NAME}\n  namespace: {ns}\n{lab2}\
         \x20 annotations:\n    \
         # The token is mounted on purpose: the watcher lists and watches the cluster with the\n    \
         # read-only ClusterRole above, which reads Secrets (as metadata, but see the role).\n    \
         palisade.dev/ignore: PAL-POD-033,PAL-RBAC-024\n    \
         palisade.dev/ignore-reason: \"the watcher reads the cluster through the API (read-only ClusterRole; Secrets as metadata only)\"\n\
         spec:\n  # One watcher per cluster: two would judge and record every change twice.\n  \
         replicas: 1\n  revisionHistoryLimit: 3\n  selector:\n{sel4}  \
         strategy:\n    type: Recreate\n  \
         template:\n    metadata:\n{lab6}    spec:\n      \
         serviceAccountName: {WATCH_NAME}\n      automountServiceAccountToken: true\n      \
         enableServiceLinks: false\n      terminationGracePeriodSeconds: 30\n      \
         securityContext:\n        runAsNonRoot: true\n        runAsUser: {RUN_AS}\n        \
         runAsGroup: {RUN_AS}\n        fsGroup: {RUN_AS}\n        \
         seccompProfile:\n          type: RuntimeDefault\n      \
         containers:\n      - name: watch\n        image: {image}\n        \
         # Pin a digest (REGISTRY/palisade@sha256:...) to run exactly the image you reviewed.\n        \
         imagePullPolicy: IfNotPresent\n        \
         args: [watch, --all-namespaces, --listen, \"0.0.0.0:{WATCH_PORT}\"]\n        \
         ports:\n        - name: metrics\n          containerPort: {WATCH_PORT}\n          protocol: TCP\n        \
         securityContext:\n          privileged: false\n          allowPrivilegeEscalation: false\n          \
         readOnlyRootFilesystem: true\n          runAsNonRoot: true\n          \
         capabilities:\n            drop: [ALL]\n        \
         resources:\n          requests:\n            cpu: 100m\n            memory: 256Mi\n          \
         limits:\n            cpu: \"1\"\n            memory: 1Gi\n        \
         livenessProbe:\n          httpGet:\n            path: /healthz\n            port: metrics\n          \
         periodSeconds: 10\n          failureThreshold: 3\n        \
         # Ready once every kind has been listed.\n        \
         readinessProbe:\n          httpGet:\n            path: /readyz\n            port: metrics\n          \
         periodSeconds: 5\n          failureThreshold: 2\n",
        lab2 = labels(2),
        sel4 = sel(4),
        lab6 = labels(6),
        image = q(&opts.image),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> WatchInstallOptions {
        WatchInstallOptions {
            namespace: "palisade".into(),
            image: "palisade:1".into(),
            rules: vec![
                (String::new(), vec!["pods".into(), "secrets".into()]),
                ("apps".into(), vec!["deployments".into()]),
            ],
        }
    }

    #[test]
    fn the_role_grants_list_and_watch_on_the_given_resources_only() {
        let text = watch_manifests(&opts()).unwrap();
        assert!(text.contains(
            "- apiGroups: [\"\"]\n  resources: [\"pods\", \"secrets\"]\n  verbs: [list, watch]\n"
        ));
        assert!(text.contains(
            "- apiGroups: [\"apps\"]\n  resources: [\"deployments\"]\n  verbs: [list, watch]\n"
        ));
        assert!(!text.contains("verbs: [get"));
        assert_eq!(text.matches("\n---\n").count() + 1, 8, "{text}");
    }

    #[test]
    fn bad_values_are_refused() {
        let mut bad = opts();
        bad.namespace = "Not A Namespace".into();
        assert_eq!(watch_manifests(&bad).unwrap_err().field, "--namespace");
        let mut bad = opts();
        bad.image = "a b".into();
        assert_eq!(watch_manifests(&bad).unwrap_err().field, "--image");
    }
}
