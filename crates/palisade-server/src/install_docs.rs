//! The documents of the install other than the webhook configuration: the workload that
//! serves the webhook, its access, its network limits, and (with cert-manager) its
//! certificates. Each is YAML text with comments that say why a setting is there.

use std::fmt::Write as _;

use crate::install::{q, InstallOptions, CONFIG_MAP, NAME, POLICIES_CONFIG_MAP, TLS_SECRET};

/// The Service's port (the API server calls `https://NAME.NS.svc:443/validate`).
pub(crate) const SERVICE_PORT: u16 = 443;
/// The container's port (unprivileged: no capability is needed to bind it).
const CONTAINER_PORT: u16 = 8443;
/// The user and group the server runs as (no root, no name needed in the image).
const RUN_AS: u32 = 65532;

/// The labels of every object, indented by `indent` spaces.
pub(crate) fn labels(indent: usize) -> String {
    let pad = " ".repeat(indent);
    format!(
        "{pad}labels:\n{pad}  app.kubernetes.io/name: {NAME}\n{pad}  app.kubernetes.io/part-of: palisade\n"
    )
}

fn selector(indent: usize) -> String {
    let pad = " ".repeat(indent);
    format!("{pad}matchLabels:\n{pad}  app.kubernetes.io/name: {NAME}\n")
}

/// Namespace, ServiceAccount, ClusterRole and its binding, Deployment, Service,
/// PodDisruptionBudget, and the NetworkPolicies (the namespace's default deny, the webhook's
/// own allowances).
pub(crate) fn workload_docs(opts: &InstallOptions) -> Vec<String> {
    let ns = q(&opts.namespace);
    let mut docs = workload_core(opts, &ns);
    if let Some(text) = &opts.config {
        // As one quoted scalar: no content of the file can change the document's structure.
        docs.insert(
            1,
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {CONFIG_MAP}\n  namespace: {ns}\n{}\
                 data:\n  palisade.yaml: {}\n",
                labels(2),
                q(text)
            ),
        );
    }
    if !opts.policies.is_empty() {
        let mut doc = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {POLICIES_CONFIG_MAP}\n  namespace: {ns}\n{}\
             data:\n",
            labels(2)
        );
        for (key, text) in &opts.policies {
            let _ = writeln!(doc, "  {key}: {}", q(text));
        }
        docs.insert(1, doc);
    }
    docs
}

fn workload_core(opts: &InstallOptions, ns: &str) -> Vec<String> {
    vec![
        namespace(&opts.namespace),
        format!(
            "# Where the API server limits the critical priority classes to namespaces with a\n\
             # matching quota (as some managed clusters do), this quota lets the webhook use one.\n\
             apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: {NAME}-critical-pods\n  namespace: {ns}\n{}\
             spec:\n  hard:\n    pods: \"10\"\n  scopeSelector:\n    matchExpressions:\n    \
             - operator: In\n      scopeName: PriorityClass\n      values: [system-cluster-critical]\n",
            labels(2)
        ),
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {NAME}\n  namespace: {ns}\n{}\
             # Off for any pod that merely uses the account; the webhook's pods ask for it.\n\
             automountServiceAccountToken: false\n",
            labels(2)
        ),
        format!(
            "# Read-only access to what per-object rules consult (a namespace's labels, a pod's\n\
             # ServiceAccount, its namespace's LimitRanges), for the server's cluster cache.\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {NAME}\n{}\
             rules:\n- apiGroups: [\"\"]\n  resources: [namespaces, serviceaccounts, limitranges]\n  \
             verbs: [get, list, watch]\n",
            labels(2)
        ),
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {NAME}\n{}\
             roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {NAME}\n\
             subjects:\n- kind: ServiceAccount\n  name: {NAME}\n  namespace: {ns}\n",
            labels(2)
        ),
        deployment(opts),
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {NAME}\n  namespace: {ns}\n{}\
             spec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: {NAME}\n  ports:\n  \
             - name: https\n    port: {SERVICE_PORT}\n    targetPort: https\n    protocol: TCP\n",
            labels(2)
        ),
        format!(
            "# Voluntary disruptions (node drains) keep one replica serving.\n\
             apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {NAME}\n  namespace: {ns}\n{}\
             spec:\n  minAvailable: 1\n  selector:\n{}",
            labels(2),
            selector(4)
        ),
        format!(
            "# Nothing else in this namespace talks or is talked to.\n\
             apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: {ns}\n{}\
             spec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n",
            labels(2)
        ),
        network_policy(opts),
    ]
}

pub(crate) fn namespace(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {n}\n  labels:\n    \
         # Set by the API server itself from 1.21 on; written here too so that the webhook's\n    \
         # namespaceSelector exempts this namespace wherever the label is missing.\n    \
         kubernetes.io/metadata.name: {n}\n    app.kubernetes.io/part-of: palisade\n    \
         # The webhook's own pods meet the restricted Pod Security Standard.\n    \
         pod-security.kubernetes.io/enforce: restricted\n    \
         pod-security.kubernetes.io/enforce-version: latest\n    \
         pod-security.kubernetes.io/audit: restricted\n    \
         pod-security.kubernetes.io/warn: restricted\n",
        n = q(name)
    )
}

fn deployment(opts: &InstallOptions) -> String {
    let ns = q(&opts.namespace);
    let policies = !opts.policies.is_empty();
    // The ConfigMaps the server reads, each mounted read-only at its own directory.
    let config_maps: Vec<MountedConfigMap> = [
        opts.config.is_some().then_some(MountedConfigMap {
            volume: "config",
            config_map: CONFIG_MAP,
        }),
        policies.then_some(MountedConfigMap {
            volume: "policies",
            config_map: POLICIES_CONFIG_MAP,
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut out = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {NAME}\n  namespace: {ns}\n{}",
        labels(2)
    );
    out.push_str(
        "  annotations:\n    \
         # The token is mounted on purpose: the server's cache of Namespaces, ServiceAccounts\n    \
         # and LimitRanges reads them from the API, with the read-only ClusterRole above.\n    \
         palisade.dev/ignore: PAL-POD-033\n    \
         palisade.dev/ignore-reason: \"the webhook reads Namespaces, ServiceAccounts and \
         LimitRanges (read-only ClusterRole) for its rule context\"\n",
    );
    let _ = write!(
        out,
        "spec:\n  # Two replicas on different nodes where possible: with failurePolicy Fail, the\n  \
         # webhook being down refuses every judged request.\n  \
         replicas: 2\n  revisionHistoryLimit: 3\n  selector:\n{sel4}  \
         strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxUnavailable: 0\n      maxSurge: 1\n  \
         template:\n    metadata:\n{lab6}{annotations}    spec:\n      \
         serviceAccountName: {NAME}\n      automountServiceAccountToken: true\n      \
         enableServiceLinks: false\n      \
         # Admission is on every write's path; keep its pods ahead of ordinary workloads.\n      \
         priorityClassName: system-cluster-critical\n      \
         # Above the server's 5 s shutdown delay and 20 s drain after SIGTERM.\n      \
         terminationGracePeriodSeconds: 30\n      \
         securityContext:\n        runAsNonRoot: true\n        runAsUser: {RUN_AS}\n        \
         runAsGroup: {RUN_AS}\n        fsGroup: {RUN_AS}\n        \
         seccompProfile:\n          type: RuntimeDefault\n      \
         affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n          \
         - weight: 100\n            podAffinityTerm:\n              topologyKey: kubernetes.io/hostname\n              \
         labelSelector:\n{sel16}      \
         topologySpreadConstraints:\n      - maxSkew: 1\n        topologyKey: topology.kubernetes.io/zone\n        \
         whenUnsatisfiable: ScheduleAnyway\n        labelSelector:\n{sel10}      \
         containers:\n      - name: webhook\n        image: {image}\n        \
         # Pin a digest (REGISTRY/palisade@sha256:...) to run exactly the image you reviewed.\n        \
         imagePullPolicy: IfNotPresent\n        \
         # After SIGTERM: 5 s not ready but serving (the endpoints catch up), then a drain.\n        \
         args: [serve, --admission, --listen, \"0.0.0.0:{CONTAINER_PORT}\", --cert, /tls/tls.crt, --key, /tls/tls.key, \
         --shutdown-delay, \"5\"{config_args}{policy_args}]\n        \
         ports:\n        - name: https\n          containerPort: {CONTAINER_PORT}\n          protocol: TCP\n        \
         securityContext:\n          privileged: false\n          allowPrivilegeEscalation: false\n          \
         readOnlyRootFilesystem: true\n          runAsNonRoot: true\n          \
         capabilities:\n            drop: [ALL]\n        \
         resources:\n          requests:\n            cpu: 100m\n            memory: 128Mi\n          \
         limits:\n            cpu: \"1\"\n            memory: 512Mi\n        \
         livenessProbe:\n          httpGet:\n            path: /healthz\n            port: https\n            scheme: HTTPS\n          \
         periodSeconds: 10\n          failureThreshold: 3\n        \
         readinessProbe:\n          httpGet:\n            path: /readyz\n            port: https\n            scheme: HTTPS\n          \
         periodSeconds: 5\n          failureThreshold: 2\n        \
         # The server reloads tls.crt and tls.key when they change (cert-manager renewals).\n        \
         volumeMounts:\n        - name: tls\n          mountPath: /tls\n          readOnly: true\n{mounts}      \
         volumes:\n      - name: tls\n        secret:\n          secretName: {TLS_SECRET}\n          \
         # 0440: readable by the server's group (fsGroup) only.\n          defaultMode: 288\n{volumes}",
        sel4 = selector(4),
        lab6 = labels(6),
        sel16 = selector(16),
        sel10 = selector(10),
        image = q(&opts.image),
        config_args = if opts.config.is_some() { ", --config, /config/palisade.yaml" } else { "" },
        policy_args = if policies { ", --policies, /policies" } else { "" },
        mounts = config_maps.iter().map(|m| m.mount()).collect::<String>(),
        volumes = config_maps.iter().map(|m| m.volume()).collect::<String>(),
        annotations = rollout_annotations(opts),
    );
    out
}

/// A ConfigMap mounted read-only at `/<volume>`.
struct MountedConfigMap {
    volume: &'static str,
    config_map: &'static str,
}

impl MountedConfigMap {
    fn mount(&self) -> String {
        let v = self.volume;
        format!("        - name: {v}\n          mountPath: /{v}\n          readOnly: true\n")
    }

    fn volume(&self) -> String {
        format!(
            "      - name: {}\n        configMap:\n          name: {}\n",
            self.volume, self.config_map
        )
    }
}

/// The server reads its config and policies once: a changed file must roll the pods, so the
/// pod template carries a hash of each.
fn rollout_annotations(opts: &InstallOptions) -> String {
    let mut out = String::new();
    if let Some(text) = &opts.config {
        let _ = writeln!(
            out,
            "        palisade.dev/config-hash: \"{:016x}\"",
            fnv1a(text.as_bytes())
        );
    }
    if !opts.policies.is_empty() {
        let all: Vec<u8> = opts
            .policies
            .iter()
            .flat_map(|(k, t)| [k.as_bytes(), b"\0", t.as_bytes(), b"\0"].concat())
            .collect();
        let _ = writeln!(
            out,
            "        palisade.dev/policies-hash: \"{:016x}\"",
            fnv1a(&all)
        );
    }
    if out.is_empty() {
        out
    } else {
        format!("      annotations:\n{out}")
    }
}

/// FNV-1a, 64 bits: change detection for the rollout annotations, not a security hash.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn network_policy(opts: &InstallOptions) -> String {
    let mut out = format!(
        "# In: the API server's calls on the webhook port (its address differs per cluster, so\n\
         # only the port is limited). Out: DNS, and the API server for the cache.\n\
         apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {NAME}\n  namespace: {}\n{}\
         spec:\n  podSelector:\n{}  policyTypes: [Ingress, Egress]\n  ingress:\n  - ports:\n    \
         - port: {CONTAINER_PORT}\n      protocol: TCP\n  egress:\n  \
         - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      \
         podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    \
         ports:\n    - port: 53\n      protocol: UDP\n    - port: 53\n      protocol: TCP\n",
        q(&opts.namespace),
        labels(2),
        selector(4),
    );
    // Policies see the API server after the Service's address is translated: its endpoint,
    // usually port 6443 (443 on some clusters).
    out.push_str(
        "  - ports:\n    - port: 443\n      protocol: TCP\n    - port: 6443\n      protocol: TCP\n",
    );
    if opts.api_server_cidrs.is_empty() {
        out.push_str(
            "    # Any address: narrow it with --api-server-cidr (kubectl get endpoints kubernetes).\n",
        );
    } else {
        out.push_str("    to:\n");
        for cidr in &opts.api_server_cidrs {
            let _ = writeln!(out, "    - ipBlock:\n        cidr: {}", q(cidr));
        }
    }
    out
}

/// cert-manager: a self-signed Issuer makes a CA, whose Issuer signs the serving certificate
/// into the TLS Secret; renewals keep the CA, so the injected `caBundle` stays valid while
/// the serving certificate turns over.
pub(crate) fn cert_manager_docs(ns: &str, names: &[String]) -> Vec<String> {
    let nsq = q(ns);
    let dns: Vec<String> = names.iter().map(|n| q(n)).collect();
    let ca = format!("{NAME}-ca");
    vec![
        format!(
            "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: {NAME}-selfsigned\n  namespace: {nsq}\n{}\
             spec:\n  selfSigned: {{}}\n",
            labels(2)
        ),
        format!(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: {ca}\n  namespace: {nsq}\n{}\
             spec:\n  isCA: true\n  commonName: {ca}\n  secretName: {ca}\n  duration: 87600h\n  \
             privateKey:\n    algorithm: ECDSA\n    size: 256\n  \
             issuerRef:\n    kind: Issuer\n    name: {NAME}-selfsigned\n",
            labels(2)
        ),
        format!(
            "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: {ca}\n  namespace: {nsq}\n{}\
             spec:\n  ca:\n    secretName: {ca}\n",
            labels(2)
        ),
        format!(
            "# Renewed 30 days before it expires; the server picks up the new files without a restart.\n\
             apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: {NAME}\n  namespace: {nsq}\n{}\
             spec:\n  secretName: {TLS_SECRET}\n  dnsNames: [{}]\n  duration: 2160h\n  renewBefore: 720h\n  \
             usages: [server auth, digital signature]\n  \
             privateKey:\n    algorithm: ECDSA\n    size: 256\n    rotationPolicy: Always\n  \
             issuerRef:\n    kind: Issuer\n    name: {ca}\n",
            labels(2),
            dns.join(", ")
        ),
    ]
}
