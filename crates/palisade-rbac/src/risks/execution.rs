//! Running code: exec into pods, the kubelet API through nodes/proxy, creating pods or the
//! controllers that create them, and PersistentVolumes that reach a node's file system.

use palisade_core::{Controls, Family, Rule, Severity};

use super::grant::Probe;
use super::spec::{RiskSpec, GOOD_PRACTICES, NSA_RBAC};

/// PAL-RBAC-015.
pub(crate) static EXEC: Rule = Rule {
    id: "PAL-RBAC-015",
    title: "Binding grants exec or attach into pods",
    severity: Severity::High,
    family: Family::Rbac,
    description: "pods/exec and pods/attach run commands in any pod in scope, with that \
        pod's service-account token, mounted Secrets and host access. `create` is what \
        kubectl uses, and `get` is enough too: the WebSocket upgrade is authorised as `get` \
        on API servers before 1.35. update or patch of pods/ephemeralcontainers (what \
        `kubectl debug` does) adds a container of any image to a running pod, to the same \
        effect. High through a ClusterRoleBinding (kube-system's privileged pods included), \
        medium in one namespace.",
    remediation: "Give exec for debugging through short-lived, reviewed access (a \
        break-glass role, `kubectl debug` on a copy of the pod) rather than a standing \
        binding.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
        GOOD_PRACTICES,
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_RBAC],
        mitre: &["T1609"],
    },
};

/// PAL-RBAC-016.
pub(crate) static NODES_PROXY: Rule = Rule {
    id: "PAL-RBAC-016",
    title: "Binding grants nodes/proxy (the kubelet API)",
    severity: Severity::Critical,
    family: Family::Rbac,
    description: "nodes/proxy reaches the kubelet API of every node through the API server. \
        The kubelet authorises its own exec, run and attach endpoints with this one \
        permission, so a subject holding it runs commands in any pod of any node, system \
        pods included, and those calls bypass the API server's audit of pods/exec. `get` is \
        enough (a WebSocket upgrade). A cluster-scoped resource: only ClusterRoleBindings \
        grant it.",
    remediation: "Remove nodes/proxy; monitoring agents need nodes/metrics and nodes/stats, \
        which the kubelet authorises separately.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes",
        "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.10"],
        nsa: &[NSA_RBAC],
        mitre: &["T1609", "T1611"],
    },
};

/// PAL-RBAC-017.
pub(crate) static WORKLOAD_CREATE: Rule = Rule {
    id: "PAL-RBAC-017",
    title: "Binding grants creating or changing pods or workload controllers",
    severity: Severity::High,
    family: Family::Rbac,
    description: "Whoever can create a pod, or create or change a Deployment, ReplicaSet, \
        StatefulSet, DaemonSet, Job, CronJob or ReplicationController (update and patch \
        replace the pod template), chooses what runs: any image, as any service account of \
        the namespace (so with that account's permissions), mounting any Secret and \
        ConfigMap of the namespace, and where Pod Security admission does not enforce \
        baseline, privileged on a node. High through a ClusterRoleBinding, medium in one \
        namespace.",
    remediation: "Let a deployment pipeline create workloads; give people read access and \
        enforce Pod Security `baseline` or `restricted` on every namespace where they may \
        create pods.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation",
        "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.4"],
        nsa: &[NSA_RBAC],
        mitre: &["T1610"],
    },
};

/// PAL-RBAC-018.
pub(crate) static PV_CREATE: Rule = Rule {
    id: "PAL-RBAC-018",
    title: "Binding grants creating PersistentVolumes",
    severity: Severity::High,
    family: Family::Rbac,
    description: "A PersistentVolume may be a hostPath volume: whoever creates one and \
        claims it mounts any directory of a node (the container runtime's socket, kubelet \
        credentials, other pods' data) into a pod, which Pod Security admission does not see \
        because the pod only names a claim. A cluster-scoped resource: only \
        ClusterRoleBindings grant it.",
    remediation: "Let a storage provisioner create PersistentVolumes; people and workloads \
        create PersistentVolumeClaims.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#persistent-volume-creation",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.9"],
        nsa: &[NSA_RBAC],
        mitre: &["T1611"],
    },
};

const WRITE: &[&str] = &["create", "update", "patch"];
const EXEC_VERBS: &[&str] = &["create", "get"];

pub(crate) static SPECS: &[RiskSpec] = &[
    RiskSpec {
        rule: &EXEC,
        what: "exec or attach into pods",
        why: "it runs commands with each pod's token, Secrets and host access",
        probes: &[
            Probe::ns(EXEC_VERBS, "", "pods/exec"),
            Probe::ns(EXEC_VERBS, "", "pods/attach"),
            Probe::ns(&["update", "patch"], "", "pods/ephemeralcontainers"),
        ],
        also: &[],
        also_full_names: &[],
        cluster: Severity::High,
        namespaced: Some(Severity::Medium),
    },
    RiskSpec {
        rule: &NODES_PROXY,
        what: "reach the kubelet API (nodes/proxy)",
        why: "the kubelet runs commands in any pod of the node for it, outside the API \
              server's audit",
        probes: &[Probe::cluster(
            &["get", "create", "update", "patch", "delete"],
            "",
            "nodes/proxy",
        )],
        also: &[],
        also_full_names: &[],
        cluster: Severity::Critical,
        namespaced: None,
    },
    RiskSpec {
        rule: &WORKLOAD_CREATE,
        what: "create or change pods or workload controllers",
        why: "it chooses the image, the service account and the mounts of what runs",
        probes: &[
            Probe::ns(WRITE, "", "pods"),
            Probe::ns(WRITE, "", "replicationcontrollers"),
            Probe::ns(WRITE, "apps", "deployments"),
            Probe::ns(WRITE, "apps", "replicasets"),
            Probe::ns(WRITE, "apps", "statefulsets"),
            Probe::ns(WRITE, "apps", "daemonsets"),
            Probe::ns(WRITE, "batch", "jobs"),
            Probe::ns(WRITE, "batch", "cronjobs"),
        ],
        also: &[],
        also_full_names: &[],
        cluster: Severity::High,
        namespaced: Some(Severity::Medium),
    },
    RiskSpec {
        rule: &PV_CREATE,
        what: "create PersistentVolumes",
        why: "a hostPath volume mounts any directory of a node",
        probes: &[Probe::cluster(&["create"], "", "persistentvolumes")],
        also: &[],
        also_full_names: &[],
        cluster: Severity::High,
        namespaced: None,
    },
];
