//! The rule catalog of the node audit: one rule per CIS Kubernetes Benchmark
//! recommendation (numbered as in benchmark v1.10, sections 1–4), plus the host-hardening
//! rules. One rule per check, rather than one per family, so that each finding maps to
//! exactly one CIS control in every output (SARIF rule, `--framework` summaries), and so an
//! exception or a severity override can name one recommendation.
//!
//! Ids: `PAL-NODE-1xx` control-plane files (1.1.x), `2xx` API server (1.2.x), `3xx`
//! controller manager (1.3.x), `4xx` scheduler (1.4.x), `5xx` etcd (2.x), `6xx` control-plane
//! configuration (3.x), `7xx` worker files (4.1.x), `8xx` kubelet (4.2.x), `9xx` host.

use palisade_core::{Controls, Family, Rule, Severity};

const CIS_REF: &str = "https://www.cisecurity.org/benchmark/kubernetes";

macro_rules! node_rules {
    ($( $name:ident = $id:literal, [$($cis:literal)?], $sev:ident, $title:literal, $desc:literal, $fix:literal; )*) => {
        $(
            #[doc = $title]
            pub static $name: Rule = Rule {
                id: $id,
                title: $title,
                severity: Severity::$sev,
                family: Family::Node,
                description: $desc,
                remediation: $fix,
                references: &[CIS_REF],
                controls: Controls { pss: None, cis: &[$($cis)?], nsa: &[], mitre: &[] },
            };
        )*
        /// Every node rule, in id order.
        pub static CATALOG: &[&Rule] = &[$(&$name),*];
    };
}

node_rules! {
    F_APISERVER_MODE = "PAL-NODE-101", ["1.1.1"], Medium, "API server pod manifest is writable by others than its owner", "The kube-apiserver static pod manifest defines the API server's flags; whoever can write it controls the cluster's front door.", "chmod 600 /etc/kubernetes/manifests/kube-apiserver.yaml";
    F_APISERVER_OWNER = "PAL-NODE-102", ["1.1.2"], Medium, "API server pod manifest is not owned by root:root", "A manifest owned by another user can be rewritten by that user.", "chown root:root /etc/kubernetes/manifests/kube-apiserver.yaml";
    F_CM_MODE = "PAL-NODE-103", ["1.1.3"], Medium, "Controller manager pod manifest permissions are too open", "The controller manager manifest holds its flags and the path of the service-account signing key.", "chmod 600 /etc/kubernetes/manifests/kube-controller-manager.yaml";
    F_CM_OWNER = "PAL-NODE-104", ["1.1.4"], Medium, "Controller manager pod manifest is not owned by root:root", "A manifest owned by another user can be rewritten by that user.", "chown root:root /etc/kubernetes/manifests/kube-controller-manager.yaml";
    F_SCHED_MODE = "PAL-NODE-105", ["1.1.5"], Medium, "Scheduler pod manifest permissions are too open", "The scheduler manifest defines the scheduler's flags.", "chmod 600 /etc/kubernetes/manifests/kube-scheduler.yaml";
    F_SCHED_OWNER = "PAL-NODE-106", ["1.1.6"], Medium, "Scheduler pod manifest is not owned by root:root", "A manifest owned by another user can be rewritten by that user.", "chown root:root /etc/kubernetes/manifests/kube-scheduler.yaml";
    F_ETCD_MODE = "PAL-NODE-107", ["1.1.7"], Medium, "etcd pod manifest permissions are too open", "The etcd manifest defines how the cluster's datastore authenticates clients and peers.", "chmod 600 /etc/kubernetes/manifests/etcd.yaml";
    F_ETCD_OWNER = "PAL-NODE-108", ["1.1.8"], Medium, "etcd pod manifest is not owned by root:root", "A manifest owned by another user can be rewritten by that user.", "chown root:root /etc/kubernetes/manifests/etcd.yaml";
    F_CNI_MODE = "PAL-NODE-109", ["1.1.9"], Low, "CNI configuration files permissions are too open", "CNI configuration decides pod networking on the node.", "chmod 600 the files under /etc/cni/net.d and /var/lib/cni/networks";
    F_CNI_OWNER = "PAL-NODE-110", ["1.1.10"], Low, "CNI configuration files are not owned by root:root", "CNI configuration owned by another user can be rewritten by that user.", "chown root:root the files under /etc/cni/net.d and /var/lib/cni/networks";
    F_ETCD_DATA_MODE = "PAL-NODE-111", ["1.1.11"], High, "etcd data directory permissions are looser than 700", "The etcd data directory holds every object of the cluster, Secrets included, usually unencrypted.", "chmod 700 the etcd data directory (--data-dir, /var/lib/etcd by default)";
    F_ETCD_DATA_OWNER = "PAL-NODE-112", ["1.1.12"], Low, "etcd data directory is not owned by etcd:etcd", "The benchmark asks for a dedicated etcd user owning the data directory.", "chown etcd:etcd the etcd data directory";
    F_ADMIN_MODE = "PAL-NODE-113", ["1.1.13"], Critical, "Administrator kubeconfig is readable by others than root", "admin.conf (and super-admin.conf) hold cluster-admin credentials: anyone who can read them owns the cluster.", "chmod 600 /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf";
    F_ADMIN_OWNER = "PAL-NODE-114", ["1.1.14"], High, "Administrator kubeconfig is not owned by root:root", "A cluster-admin credential owned by another user is that user's.", "chown root:root /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf";
    F_SCHED_KC_MODE = "PAL-NODE-115", ["1.1.15"], Medium, "scheduler.conf permissions are too open", "The scheduler's kubeconfig holds its client credentials.", "chmod 600 /etc/kubernetes/scheduler.conf";
    F_SCHED_KC_OWNER = "PAL-NODE-116", ["1.1.16"], Medium, "scheduler.conf is not owned by root:root", "A credential owned by another user is that user's.", "chown root:root /etc/kubernetes/scheduler.conf";
    F_CM_KC_MODE = "PAL-NODE-117", ["1.1.17"], High, "controller-manager.conf permissions are too open", "The controller manager's kubeconfig grants broad cluster rights.", "chmod 600 /etc/kubernetes/controller-manager.conf";
    F_CM_KC_OWNER = "PAL-NODE-118", ["1.1.18"], High, "controller-manager.conf is not owned by root:root", "A credential owned by another user is that user's.", "chown root:root /etc/kubernetes/controller-manager.conf";
    F_PKI_OWNER = "PAL-NODE-119", ["1.1.19"], High, "PKI directory or files are not owned by root:root", "The PKI directory holds the cluster CA keys; whoever owns them can mint any identity.", "chown -R root:root /etc/kubernetes/pki/";
    F_PKI_CRT_MODE = "PAL-NODE-120", ["1.1.20"], Low, "PKI certificate files permissions are looser than 600", "Certificates are public, but writable ones can be swapped for an attacker's CA.", "chmod 600 /etc/kubernetes/pki/*.crt";
    F_PKI_KEY_MODE = "PAL-NODE-121", ["1.1.21"], Critical, "PKI private key files permissions are looser than 600", "Private keys of the cluster CA, etcd and service accounts: reading one is enough to impersonate any user.", "chmod 600 /etc/kubernetes/pki/*.key";

    A_ANON = "PAL-NODE-201", ["1.2.1"], High, "API server accepts anonymous requests", "--anonymous-auth defaults to true: requests without credentials are served as system:anonymous, and whatever RBAC grants that user or system:unauthenticated is open to the network.", "Set --anonymous-auth=false on kube-apiserver (or use the AuthenticationConfiguration anonymous section with narrowly allowed paths).";
    A_TOKEN_FILE = "PAL-NODE-202", ["1.2.2"], High, "API server uses a static token file", "Static tokens never expire and can only be changed by restarting the API server.", "Remove --token-auth-file and use another authentication mechanism.";
    A_DENY_EXTERNAL_IPS = "PAL-NODE-203", ["1.2.3"], Low, "DenyServiceExternalIPs admission plugin is not enabled", "Without it any user who can create Services can set externalIPs and intercept traffic (CVE-2020-8554).", "Add DenyServiceExternalIPs to --enable-admission-plugins.";
    A_KUBELET_CLIENT = "PAL-NODE-204", ["1.2.4"], High, "API server has no kubelet client certificate", "Without --kubelet-client-certificate/--kubelet-client-key the API server cannot authenticate to kubelets, which then must allow unauthenticated requests.", "Set --kubelet-client-certificate and --kubelet-client-key.";
    A_KUBELET_CA = "PAL-NODE-205", ["1.2.5"], Medium, "API server does not verify kubelet serving certificates", "Without --kubelet-certificate-authority the API server talks to kubelets without checking who answers: logs, exec and port-forward can be intercepted.", "Set --kubelet-certificate-authority to the CA that signs kubelet serving certificates.";
    A_AUTHZ_ALWAYS_ALLOW = "PAL-NODE-206", ["1.2.6"], Critical, "API server authorizes every request (AlwaysAllow)", "--authorization-mode defaults to AlwaysAllow: every authenticated request is allowed, RBAC is bypassed.", "Set --authorization-mode=Node,RBAC.";
    A_AUTHZ_NODE = "PAL-NODE-207", ["1.2.7"], Medium, "API server authorization modes do not include Node", "The Node authorizer limits each kubelet to the objects of its own pods.", "Add Node to --authorization-mode (--authorization-mode=Node,RBAC).";
    A_AUTHZ_RBAC = "PAL-NODE-208", ["1.2.8"], High, "API server authorization modes do not include RBAC", "Without RBAC, Roles and bindings are ignored.", "Add RBAC to --authorization-mode.";
    A_EVENT_RATE = "PAL-NODE-209", ["1.2.9"], Low, "EventRateLimit admission plugin is not enabled", "Without it, a flood of events can exhaust the API server and etcd.", "Add EventRateLimit to --enable-admission-plugins with an --admission-control-config-file.";
    A_ALWAYS_ADMIT = "PAL-NODE-210", ["1.2.10"], High, "AlwaysAdmit admission plugin is enabled", "AlwaysAdmit admits everything; it is deprecated and disables the point of admission control.", "Remove AlwaysAdmit from --enable-admission-plugins.";
    A_ALWAYS_PULL = "PAL-NODE-211", ["1.2.11"], Low, "AlwaysPullImages admission plugin is not enabled", "Without it, a pod can run a private image already pulled onto the node by another tenant, without credentials.", "Add AlwaysPullImages to --enable-admission-plugins.";
    A_SA_PLUGIN = "PAL-NODE-212", ["1.2.12"], Medium, "ServiceAccount admission plugin is disabled", "It assigns service accounts and their tokens to pods.", "Remove ServiceAccount from --disable-admission-plugins.";
    A_NS_LIFECYCLE = "PAL-NODE-213", ["1.2.13"], Medium, "NamespaceLifecycle admission plugin is disabled", "It prevents objects in terminating or missing namespaces.", "Remove NamespaceLifecycle from --disable-admission-plugins.";
    A_NODE_RESTRICTION = "PAL-NODE-214", ["1.2.14"], High, "NodeRestriction admission plugin is not enabled", "Without it a kubelet can modify other nodes and pods bound to other nodes: one compromised node reaches the others.", "Add NodeRestriction to --enable-admission-plugins.";
    A_PROFILING = "PAL-NODE-215", ["1.2.15"], Low, "API server profiling is enabled", "--profiling defaults to true and exposes /debug/pprof.", "Set --profiling=false.";
    A_AUDIT_PATH = "PAL-NODE-216", ["1.2.16"], Medium, "API server audit log is not written", "Without --audit-log-path nothing records who did what.", "Set --audit-log-path (and --audit-policy-file).";
    A_AUDIT_MAXAGE = "PAL-NODE-217", ["1.2.17"], Low, "API server audit logs are kept fewer than 30 days", "Short retention loses the trail an investigation needs.", "Set --audit-log-maxage=30 or more.";
    A_AUDIT_MAXBACKUP = "PAL-NODE-218", ["1.2.18"], Low, "API server keeps fewer than 10 rotated audit logs", "Too few rotated files lose history.", "Set --audit-log-maxbackup=10 or more.";
    A_AUDIT_MAXSIZE = "PAL-NODE-219", ["1.2.19"], Low, "API server audit log files rotate below 100 MB", "Small files with few backups lose history.", "Set --audit-log-maxsize=100 or more.";
    A_REQUEST_TIMEOUT = "PAL-NODE-220", ["1.2.20"], Info, "API server request timeout to review", "The right --request-timeout depends on the cluster; the benchmark asks to review it.", "Set --request-timeout as appropriate (default 60s).";
    A_SA_LOOKUP = "PAL-NODE-221", ["1.2.21"], Medium, "API server does not check that service account tokens still exist", "With --service-account-lookup=false, tokens of deleted service accounts keep working.", "Remove --service-account-lookup=false.";
    A_SA_KEY = "PAL-NODE-222", ["1.2.22"], Medium, "API server has no service account key file", "--service-account-key-file lets keys be rotated.", "Set --service-account-key-file.";
    A_ETCD_CLIENT = "PAL-NODE-223", ["1.2.23"], High, "API server does not authenticate to etcd with a certificate", "Without --etcd-certfile/--etcd-keyfile etcd must accept unauthenticated clients.", "Set --etcd-certfile and --etcd-keyfile.";
    A_TLS = "PAL-NODE-224", ["1.2.24"], Medium, "API server has no serving certificate configured", "Without --tls-cert-file/--tls-private-key-file the API server serves a self-signed certificate.", "Set --tls-cert-file and --tls-private-key-file.";
    A_CLIENT_CA = "PAL-NODE-225", ["1.2.25"], High, "API server has no client CA", "Without --client-ca-file client certificates are not accepted, and kubelets and components cannot authenticate by certificate.", "Set --client-ca-file.";
    A_ETCD_CA = "PAL-NODE-226", ["1.2.26"], High, "API server does not verify etcd's certificate", "Without --etcd-cafile the API server cannot tell the real etcd from an impostor.", "Set --etcd-cafile.";
    A_ENCRYPTION = "PAL-NODE-227", ["1.2.27"], High, "Secrets are not encrypted at rest", "Without --encryption-provider-config Secrets are stored in etcd in plain text: anyone with an etcd backup or the data directory reads them.", "Create an EncryptionConfiguration and set --encryption-provider-config.";
    A_ENCRYPTION_PROVIDER = "PAL-NODE-228", ["1.2.28"], High, "Encryption configuration does not encrypt Secrets", "The first provider listed for secrets is the one that writes: `identity` first means Secrets are written unencrypted.", "List aescbc, secretbox or kms first for secrets in the EncryptionConfiguration, then rewrite all Secrets.";
    A_CIPHERS = "PAL-NODE-229", ["1.2.29"], Low, "API server TLS cipher suites are not restricted to strong ones", "Weak or unrestricted cipher suites allow downgraded connections.", "Set --tls-cipher-suites to strong suites only.";

    C_GC = "PAL-NODE-301", ["1.3.1"], Low, "Terminated pod garbage collection threshold is not set", "The default (12500) lets terminated pods pile up.", "Set --terminated-pod-gc-threshold (e.g. 10).";
    C_PROFILING = "PAL-NODE-302", ["1.3.2"], Low, "Controller manager profiling is enabled", "--profiling defaults to true.", "Set --profiling=false on kube-controller-manager.";
    C_SA_CREDS = "PAL-NODE-303", ["1.3.3"], Medium, "Controllers share the controller manager's credentials", "--use-service-account-credentials defaults to false: every controller runs with the controller manager's own broad rights instead of its own service account.", "Set --use-service-account-credentials=true.";
    C_SA_KEY = "PAL-NODE-304", ["1.3.4"], Medium, "Controller manager has no service account signing key", "Without --service-account-private-key-file service account tokens cannot be signed with a rotatable key.", "Set --service-account-private-key-file.";
    C_ROOT_CA = "PAL-NODE-305", ["1.3.5"], Medium, "Controller manager does not publish the root CA to pods", "Without --root-ca-file pods cannot verify the API server's certificate.", "Set --root-ca-file.";
    C_ROTATE = "PAL-NODE-306", ["1.3.6"], Medium, "Kubelet serving certificate rotation is disabled in the controller manager", "RotateKubeletServerCertificate=false stops kubelet serving certificates from being rotated.", "Remove RotateKubeletServerCertificate=false from --feature-gates.";
    C_BIND = "PAL-NODE-307", ["1.3.7"], Medium, "Controller manager listens on all interfaces", "--bind-address defaults to 0.0.0.0: its metrics and health endpoints are reachable from the network.", "Set --bind-address=127.0.0.1.";
    S_PROFILING = "PAL-NODE-401", ["1.4.1"], Low, "Scheduler profiling is enabled", "--profiling defaults to true.", "Set --profiling=false on kube-scheduler.";
    S_BIND = "PAL-NODE-402", ["1.4.2"], Medium, "Scheduler listens on all interfaces", "--bind-address defaults to 0.0.0.0.", "Set --bind-address=127.0.0.1.";

    E_TLS = "PAL-NODE-501", ["2.1"], Critical, "etcd serves clients without TLS", "Without --cert-file/--key-file etcd speaks plain HTTP: every Secret crosses the network readable.", "Set --cert-file and --key-file on etcd.";
    E_CLIENT_AUTH = "PAL-NODE-502", ["2.2"], Critical, "etcd does not require client certificates", "--client-cert-auth defaults to false: anyone who reaches port 2379 reads and writes the whole cluster state.", "Set --client-cert-auth=true and --trusted-ca-file.";
    E_AUTO_TLS = "PAL-NODE-503", ["2.3"], High, "etcd uses self-signed auto TLS for clients", "--auto-tls=true generates self-signed certificates that clients cannot verify.", "Remove --auto-tls or set it to false.";
    E_PEER_TLS = "PAL-NODE-504", ["2.4"], High, "etcd peers talk without TLS", "Without --peer-cert-file/--peer-key-file replication traffic is plain text.", "Set --peer-cert-file and --peer-key-file.";
    E_PEER_AUTH = "PAL-NODE-505", ["2.5"], High, "etcd does not require peer client certificates", "--peer-client-cert-auth defaults to false: anyone can join or talk to the cluster as a peer.", "Set --peer-client-cert-auth=true.";
    E_PEER_AUTO_TLS = "PAL-NODE-506", ["2.6"], Medium, "etcd uses self-signed auto TLS for peers", "--peer-auto-tls=true generates unverifiable peer certificates.", "Remove --peer-auto-tls or set it to false.";
    E_UNIQUE_CA = "PAL-NODE-507", ["2.7"], Medium, "etcd trusts the same CA as the API server's clients", "If etcd trusts the cluster CA, any client certificate the cluster CA signs (every user's) is accepted by etcd.", "Give etcd its own CA (--trusted-ca-file distinct from the API server's --client-ca-file).";

    P_AUDIT_POLICY = "PAL-NODE-601", ["3.2.1"], Medium, "No audit policy is configured", "Without --audit-policy-file the API server records nothing, even with a log path.", "Create an audit policy and set --audit-policy-file.";
    P_AUDIT_REVIEW = "PAL-NODE-602", ["3.2.2"], Info, "Audit policy coverage to review", "The benchmark asks that the policy cover Secrets access (metadata only), pod changes and exec/port-forward/proxy.", "Review the audit policy file.";

    W_SVC_MODE = "PAL-NODE-701", ["4.1.1"], Medium, "kubelet service file permissions are too open", "The kubelet unit and its drop-ins hold the kubelet's flags.", "chmod 600 /etc/systemd/system/kubelet.service.d/10-kubeadm.conf";
    W_SVC_OWNER = "PAL-NODE-702", ["4.1.2"], Medium, "kubelet service file is not owned by root:root", "A unit owned by another user can be rewritten by that user.", "chown root:root /etc/systemd/system/kubelet.service.d/10-kubeadm.conf";
    W_PROXY_MODE = "PAL-NODE-703", ["4.1.3"], Medium, "kube-proxy kubeconfig permissions are too open", "The kube-proxy kubeconfig holds its credentials.", "chmod 600 the kube-proxy kubeconfig";
    W_PROXY_OWNER = "PAL-NODE-704", ["4.1.4"], Medium, "kube-proxy kubeconfig is not owned by root:root", "A credential owned by another user is that user's.", "chown root:root the kube-proxy kubeconfig";
    W_KUBELET_KC_MODE = "PAL-NODE-705", ["4.1.5"], High, "kubelet.conf permissions are too open", "The kubelet's kubeconfig holds the node's credentials.", "chmod 600 /etc/kubernetes/kubelet.conf";
    W_KUBELET_KC_OWNER = "PAL-NODE-706", ["4.1.6"], High, "kubelet.conf is not owned by root:root", "A credential owned by another user is that user's.", "chown root:root /etc/kubernetes/kubelet.conf";
    W_CA_MODE = "PAL-NODE-707", ["4.1.7"], Medium, "kubelet client CA file permissions are too open", "A writable client CA lets its writer add a CA the kubelet trusts.", "chmod 600 the file named by authentication.x509.clientCAFile";
    W_CA_OWNER = "PAL-NODE-708", ["4.1.8"], Medium, "kubelet client CA file is not owned by root:root", "A CA file owned by another user can be replaced by that user.", "chown root:root the client CA file";
    W_CONFIG_MODE = "PAL-NODE-709", ["4.1.9"], Medium, "kubelet config file permissions are too open", "The kubelet config decides its authentication and authorization.", "chmod 600 /var/lib/kubelet/config.yaml";
    W_CONFIG_OWNER = "PAL-NODE-710", ["4.1.10"], Medium, "kubelet config file is not owned by root:root", "A config owned by another user can be rewritten by that user.", "chown root:root /var/lib/kubelet/config.yaml";

    K_ANON = "PAL-NODE-801", ["4.2.1"], Critical, "kubelet accepts anonymous requests", "Anonymous requests to port 10250 can list pods and, with AlwaysAllow, run commands in any container on the node.", "Set authentication.anonymous.enabled: false in the kubelet config (or --anonymous-auth=false).";
    K_AUTHZ = "PAL-NODE-802", ["4.2.2"], Critical, "kubelet authorizes every request (AlwaysAllow)", "With AlwaysAllow any authenticated (or anonymous) caller can exec into containers through the kubelet API.", "Set authorization.mode: Webhook in the kubelet config.";
    K_CLIENT_CA = "PAL-NODE-803", ["4.2.3"], High, "kubelet has no client CA", "Without a client CA the kubelet cannot authenticate the API server's client certificate.", "Set authentication.x509.clientCAFile.";
    K_READONLY = "PAL-NODE-804", ["4.2.4"], High, "kubelet read-only port is open", "Port 10255 serves pod specs and metrics without any authentication.", "Set readOnlyPort: 0.";
    K_STREAMING = "PAL-NODE-805", ["4.2.5"], Low, "kubelet streaming connections never time out", "streamingConnectionIdleTimeout: 0 keeps exec and port-forward sessions open forever.", "Set streamingConnectionIdleTimeout to a non-zero duration (e.g. 5m).";
    K_IPTABLES = "PAL-NODE-806", ["4.2.6"], Low, "kubelet does not manage its iptables chains", "makeIPTablesUtilChains: false leaves the node's iptables rules out of step with pod networking.", "Set makeIPTablesUtilChains: true (the default).";
    K_HOSTNAME = "PAL-NODE-807", ["4.2.7"], Low, "kubelet overrides its hostname", "--hostname-override can break TLS between the API server and the kubelet.", "Remove --hostname-override.";
    K_EVENT_QPS = "PAL-NODE-808", ["4.2.8"], Info, "kubelet event rate to review", "eventRecordQPS 0 means unlimited; the benchmark asks for a level that captures events.", "Set eventRecordQPS as appropriate.";
    K_TLS = "PAL-NODE-809", ["4.2.9"], Medium, "kubelet has no serving certificate configured", "Without tlsCertFile/tlsPrivateKeyFile (or serverTLSBootstrap) the kubelet serves a self-signed certificate.", "Set tlsCertFile and tlsPrivateKeyFile, or serverTLSBootstrap: true.";
    K_ROTATE = "PAL-NODE-810", ["4.2.10"], Medium, "kubelet client certificate rotation is off", "rotateCertificates defaults to false: the node's client certificate expires and is not renewed.", "Set rotateCertificates: true.";
    K_ROTATE_SERVER = "PAL-NODE-811", ["4.2.11"], Medium, "kubelet serving certificate rotation is disabled", "RotateKubeletServerCertificate=false stops serving certificate rotation.", "Remove RotateKubeletServerCertificate=false from featureGates.";
    K_CIPHERS = "PAL-NODE-812", ["4.2.12"], Low, "kubelet TLS cipher suites are not restricted to strong ones", "Weak or unrestricted suites allow downgraded connections.", "Set tlsCipherSuites to strong suites only.";
    K_PIDS = "PAL-NODE-813", ["4.2.13"], Low, "No limit on pod PIDs", "Without podPidsLimit a fork bomb in one pod exhausts the node's PIDs.", "Set podPidsLimit.";
    K_KERNEL_DEFAULTS = "PAL-NODE-814", [], Low, "kubelet does not protect kernel defaults", "protectKernelDefaults: true makes the kubelet refuse to start when the kernel tunables differ from what it needs, instead of silently changing them (a recommendation of earlier benchmark versions).", "Set protectKernelDefaults: true and set the tunables in /etc/sysctl.d (vm.overcommit_memory=1, vm.panic_on_oom=0, kernel.panic=10, kernel.panic_on_oops=1, kernel.keys.root_maxkeys=1000000, kernel.keys.root_maxbytes=25000000).";

    H_ROOT_LOGIN = "PAL-NODE-901", [], High, "SSH allows root login with a password", "PermitRootLogin yes lets anyone who guesses or steals root's password log in as root.", "Set PermitRootLogin no (or prohibit-password) in /etc/ssh/sshd_config.";
    H_PASSWORD_AUTH = "PAL-NODE-902", [], Medium, "SSH accepts passwords", "Password authentication can be brute-forced; keys cannot.", "Set PasswordAuthentication no in /etc/ssh/sshd_config.";
    H_SSHD_ENABLED = "PAL-NODE-903", [], Info, "SSH server is enabled", "A running sshd is an entry point to the node; Kubernetes nodes rarely need it.", "Disable sshd (systemctl disable --now ssh) where the node does not need it.";
    H_LSM = "PAL-NODE-904", [], Medium, "Neither AppArmor nor SELinux is enabled", "Without a Linux security module the runtime's default container profiles do nothing.", "Enable AppArmor (apparmor=1 security=apparmor) or SELinux (SELINUX=enforcing).";
    H_SYSCTL_USERNS = "PAL-NODE-905", [], Low, "Unprivileged user namespaces are allowed", "kernel.unprivileged_userns_clone=1 exposes more kernel code to unprivileged processes, a common step of container escapes.", "Set kernel.unprivileged_userns_clone=0 where workloads do not need user namespaces.";
    H_SYSCTL_KPTR = "PAL-NODE-906", [], Low, "Kernel pointers are visible", "kernel.kptr_restrict=0 shows kernel addresses, defeating KASLR.", "Set kernel.kptr_restrict=1 or 2.";
    H_SYSCTL_DMESG = "PAL-NODE-907", [], Low, "Kernel log is readable by unprivileged users", "kernel.dmesg_restrict=0 lets any process read the kernel log.", "Set kernel.dmesg_restrict=1.";
    H_SYSCTL_KUBELET = "PAL-NODE-908", [], Low, "Kernel tunables differ from what protectKernelDefaults needs", "With protectKernelDefaults the kubelet refuses to start unless these tunables hold the values it needs (setupKernelTunables).", "Set the listed tunables in /etc/sysctl.d.";
    H_IP_FORWARD = "PAL-NODE-909", [], Info, "IP forwarding is enabled", "net.ipv4.ip_forward=1 is needed by pod networking, and makes the node a router: worth knowing on nodes that are not Kubernetes nodes.", "Nothing on a Kubernetes node; otherwise set net.ipv4.ip_forward=0.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_cis_rules_name_one_control() {
        let mut ids: Vec<&str> = CATALOG.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for r in CATALOG.iter().filter(|r| !r.id.starts_with("PAL-NODE-9")) {
            assert!(r.controls.cis.len() <= 1, "{}", r.id);
        }
    }
}
