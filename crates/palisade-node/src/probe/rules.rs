//! The probe's rule catalog (`PAL-PROBE-…`). Each rule is one conclusion a probe can reach;
//! docs/probe.md says which request leads to which.
//!
//! CIS ids are those of the CIS Kubernetes Benchmark v1.6.0 (the last to number the API
//! server's `--insecure-port`), for the flag whose wrong value the probe observes from outside.

use palisade_core::{Controls, Family, Rule, Severity};

const fn controls(cis: &'static [&'static str], mitre: &'static [&'static str]) -> Controls {
    Controls {
        pss: None,
        cis,
        nsa: &[],
        mitre,
    }
}

/// etcd lets an unauthenticated client read keys.
pub static ETCD_READABLE: Rule = Rule {
    id: "PAL-PROBE-001",
    title: "etcd readable without authentication",
    severity: Severity::Critical,
    family: Family::Node,
    description: "etcd answered a key-range read through its v3 JSON gateway (or the v2 API) \
        without any client certificate or credentials. etcd holds every Kubernetes object, \
        Secrets included, unencrypted unless encryption at rest is configured: whoever reaches \
        this port owns the cluster.",
    remediation: "Start etcd with --client-cert-auth=true and --trusted-ca-file, serve clients \
        over TLS (--cert-file, --key-file), and keep port 2379 reachable only from the API \
        servers.",
    references: &["https://etcd.io/docs/v3.4/op-guide/security/"],
    controls: controls(&["2.1", "2.2"], &["T1552.007"]),
};

/// etcd serves clients over plain HTTP.
pub static ETCD_PLAINTEXT: Rule = Rule {
    id: "PAL-PROBE-002",
    title: "etcd client port without TLS",
    severity: Severity::High,
    family: Family::Node,
    description: "etcd answered plain HTTP on its client port: requests, responses and any \
        credentials cross the network in clear text, and client-certificate authentication is \
        impossible without TLS.",
    remediation: "Set --cert-file and --key-file and advertise https:// client URLs.",
    references: &["https://etcd.io/docs/v3.4/op-guide/security/"],
    controls: controls(&["2.1"], &["T1040"]),
};

/// etcd tells its version to anyone.
pub static ETCD_VERSION: Rule = Rule {
    id: "PAL-PROBE-003",
    title: "etcd version disclosed without authentication",
    severity: Severity::Low,
    family: Family::Node,
    description: "etcd answered GET /version to a client without a certificate. The port is \
        reachable and accepts unauthenticated clients; the version narrows down which known \
        vulnerabilities apply.",
    remediation: "Require client certificates (--client-cert-auth=true) and restrict who can \
        reach port 2379.",
    references: &[],
    controls: controls(&["2.2"], &["T1613"]),
};

/// The kubelet's authenticated port serves anonymous requests.
pub static KUBELET_ANONYMOUS: Rule = Rule {
    id: "PAL-PROBE-004",
    title: "Kubelet API answers anonymous requests",
    severity: Severity::Critical,
    family: Family::Node,
    description: "The kubelet on port 10250 listed pods to a client without credentials. The \
        same API runs commands in containers (/exec, /run): with anonymous access and \
        AlwaysAllow authorization, anyone who reaches the port controls every pod on the node.",
    remediation: "Set authentication.anonymous.enabled=false (--anonymous-auth=false) and \
        authorization.mode=Webhook in the kubelet configuration.",
    references: &["https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/"],
    controls: controls(&["4.2.1", "4.2.2"], &["T1609", "T1613"]),
};

/// The kubelet read-only port is open.
pub static KUBELET_READ_ONLY: Rule = Rule {
    id: "PAL-PROBE-005",
    title: "Kubelet read-only port open",
    severity: Severity::High,
    family: Family::Node,
    description: "The kubelet's read-only port (10255) served /pods without authentication: \
        pod specs, environment variables and mounted-volume details of every pod on the node.",
    remediation: "Set readOnlyPort: 0 (--read-only-port=0) in the kubelet configuration.",
    references: &["https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/"],
    controls: controls(&["4.2.4"], &["T1613"]),
};

/// The API server's insecure port answers.
pub static APISERVER_INSECURE: Rule = Rule {
    id: "PAL-PROBE-006",
    title: "API server insecure port open",
    severity: Severity::Critical,
    family: Family::Node,
    description: "The API server answered /api over plain HTTP. Its insecure port skips \
        authentication and authorization entirely: every request runs with full cluster-admin \
        rights.",
    remediation: "Set --insecure-port=0 (removed in Kubernetes 1.20+ releases) and use the \
        secure port only.",
    references: &["https://kubernetes.io/docs/concepts/security/controlling-access/"],
    controls: controls(&["1.2.19"], &["T1133"]),
};

/// The API server serves discovery to anonymous clients.
pub static APISERVER_ANONYMOUS: Rule = Rule {
    id: "PAL-PROBE-007",
    title: "API server serves discovery to anonymous clients",
    severity: Severity::High,
    family: Family::Node,
    description: "The API server answered /api or /apis to a client without credentials. \
        Kubernetes binds discovery only to authenticated users by default (since 1.14): \
        anonymous authentication is on and RBAC grants system:unauthenticated more than \
        health and version endpoints.",
    remediation: "Set --anonymous-auth=false, or remove bindings that grant roles to \
        system:anonymous or system:unauthenticated.",
    references: &["https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles"],
    controls: controls(&["1.2.1"], &["T1613"]),
};

/// The API server lists resources to anonymous clients.
pub static APISERVER_ANONYMOUS_LIST: Rule = Rule {
    id: "PAL-PROBE-008",
    title: "API server lists resources to anonymous clients",
    severity: Severity::Critical,
    family: Family::Node,
    description: "The API server listed namespaces to a client without credentials: RBAC \
        grants system:anonymous or system:unauthenticated read access to cluster resources.",
    remediation: "Remove the bindings that grant roles to system:anonymous or \
        system:unauthenticated, and set --anonymous-auth=false.",
    references: &["https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests"],
    controls: controls(&["1.2.1"], &["T1613", "T1552.007"]),
};

/// The API server tells its version to anyone.
pub static APISERVER_VERSION: Rule = Rule {
    id: "PAL-PROBE-009",
    title: "API server version disclosed to anonymous clients",
    severity: Severity::Low,
    family: Family::Node,
    description: "The API server answered GET /version without credentials (the default \
        system:public-info-viewer binding allows it). The version narrows down which known \
        vulnerabilities apply.",
    remediation: "Set --anonymous-auth=false where clients always authenticate, or keep the \
        API server off networks that do not need it.",
    references: &[],
    controls: controls(&["1.2.1"], &["T1613"]),
};

/// The Kubernetes Dashboard answers.
pub static DASHBOARD_EXPOSED: Rule = Rule {
    id: "PAL-PROBE-010",
    title: "Kubernetes Dashboard exposed",
    severity: Severity::High,
    family: Family::Node,
    description: "The Kubernetes Dashboard answered on this port. Exposed dashboards have been \
        the entry point of cluster takeovers; it acts with its own service account's rights \
        when login can be skipped.",
    remediation: "Reach the dashboard through `kubectl proxy` or an authenticating proxy, not \
        a NodePort, LoadBalancer or host port.",
    references: &[
        "https://github.com/kubernetes/dashboard/blob/master/docs/user/access-control/README.md",
    ],
    controls: controls(&[], &["T1133"]),
};

/// The Kubernetes Dashboard lets anyone skip login.
pub static DASHBOARD_SKIP_LOGIN: Rule = Rule {
    id: "PAL-PROBE-011",
    title: "Kubernetes Dashboard login can be skipped",
    severity: Severity::Critical,
    family: Family::Node,
    description: "The dashboard reports that login is skippable (--enable-skip-login): anyone \
        who reaches it acts with the dashboard's service account.",
    remediation: "Remove --enable-skip-login and --enable-insecure-login from the dashboard's \
        arguments.",
    references: &["https://github.com/kubernetes/dashboard/blob/master/docs/common/arguments.md"],
    controls: controls(&[], &["T1133", "T1078"]),
};

/// Something answers on a NodePort.
pub static NODEPORT_OPEN: Rule = Rule {
    id: "PAL-PROBE-012",
    title: "Service reachable on a NodePort",
    severity: Severity::Info,
    family: Family::Node,
    description: "A port in the NodePort range (30000-32767) accepted a connection: a Service \
        of type NodePort or LoadBalancer exposes a workload on every node's address.",
    remediation: "Confirm the service is meant to be reachable from where the probe ran; \
        otherwise use ClusterIP with an Ingress, or firewall the node ports.",
    references: &["https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport"],
    controls: controls(&[], &["T1133"]),
};

/// A self-signed certificate.
pub static TLS_SELF_SIGNED: Rule = Rule {
    id: "PAL-PROBE-013",
    title: "TLS certificate is self-signed",
    severity: Severity::Medium,
    family: Family::Node,
    description: "The server's certificate is issued by itself. Clients cannot verify it \
        against a CA, so they either skip verification or pin it; both invite \
        man-in-the-middle attacks (the kubelet's default self-signed serving certificate is \
        why API servers reach kubelets without verifying them).",
    remediation: "Serve a certificate issued by the cluster CA (for kubelets: \
        serverTLSBootstrap: true with approved CSRs).",
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-tls-bootstrapping/",
    ],
    controls: controls(&["4.2.10"], &["T1557"]),
};

/// An expired or not yet valid certificate.
pub static TLS_EXPIRED: Rule = Rule {
    id: "PAL-PROBE-014",
    title: "TLS certificate expired or not yet valid",
    severity: Severity::Medium,
    family: Family::Node,
    description: "The server's certificate is outside its validity period. Verifying clients \
        fail; clients that still connect do so with verification off.",
    remediation: "Renew the certificate (kubeadm certs renew, or rotate through the CA) and \
        monitor expiry.",
    references: &["https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/"],
    controls: controls(&[], &["T1557"]),
};

/// A certificate not valid for the probed name or address.
pub static TLS_NAME_MISMATCH: Rule = Rule {
    id: "PAL-PROBE-015",
    title: "TLS certificate does not match the host",
    severity: Severity::Low,
    family: Family::Node,
    description: "The certificate's subject alternative names do not cover the name or address \
        the probe connected to, so verifying clients reject it there.",
    remediation: "Reissue the certificate with every name and address clients use in its \
        subjectAltName.",
    references: &[],
    controls: controls(&[], &["T1557"]),
};

/// Only TLS 1.1 or older.
pub static TLS_LEGACY: Rule = Rule {
    id: "PAL-PROBE-016",
    title: "TLS server supports only legacy protocol versions",
    severity: Severity::Medium,
    family: Family::Node,
    description: "The server refused TLS 1.2 and TLS 1.3 with a protocol_version alert: it \
        speaks only TLS 1.1 or older, deprecated by RFC 8996.",
    remediation: "Enable TLS 1.2 or later (--tls-min-version=VersionTLS12).",
    references: &["https://www.rfc-editor.org/rfc/rfc8996"],
    controls: controls(&[], &["T1557"]),
};

/// Every probe rule, in id order.
pub static RULES: [&Rule; 16] = [
    &ETCD_READABLE,
    &ETCD_PLAINTEXT,
    &ETCD_VERSION,
    &KUBELET_ANONYMOUS,
    &KUBELET_READ_ONLY,
    &APISERVER_INSECURE,
    &APISERVER_ANONYMOUS,
    &APISERVER_ANONYMOUS_LIST,
    &APISERVER_VERSION,
    &DASHBOARD_EXPOSED,
    &DASHBOARD_SKIP_LOGIN,
    &NODEPORT_OPEN,
    &TLS_SELF_SIGNED,
    &TLS_EXPIRED,
    &TLS_NAME_MISMATCH,
    &TLS_LEGACY,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_in_order() {
        for (i, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.id, format!("PAL-PROBE-{:03}", i + 1));
            assert!(!rule.description.is_empty() && !rule.remediation.is_empty());
        }
    }
}
