//! The `PAL-NET-008`..`PAL-NET-017` rules' metadata. PAL-NET-001..007 are the
//! manifest-level exposure checks of `palisade-checks`, which stay: they judge one object
//! at a time (a NodePort, a hostPort), these judge the input's connectivity as the
//! NetworkPolicies shape it.

use palisade_core::{Controls, Family, Rule, Severity};

const NETPOL_REF: &str =
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/";
const DEFAULT_DENY_REF: &str =
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies";
const NSA_NETPOL: &str = "Network separation and hardening: network policies";

/// PAL-NET-008.
pub static NO_DEFAULT_DENY_INGRESS: Rule = Rule {
    id: "PAL-NET-008",
    title: "Namespace has NetworkPolicies but no default-deny ingress",
    severity: Severity::Low,
    family: Family::Exposure,
    description: "A default-deny ingress policy (one that selects every pod of the namespace, \
        `podSelector: {}`, has Ingress among its policyTypes and no rule that allows all \
        traffic) isolates every pod, including those deployed later: without it, a new \
        workload whose labels no policy expects accepts traffic from every pod in the cluster \
        until someone notices. Reported for namespaces that have workloads and at least one \
        NetworkPolicy in the input, and no such policy; a namespace with no policy at all is \
        PAL-NET-005's, and workloads no policy selects today are PAL-NET-006's. kube-system, \
        kube-public and kube-node-lease are not reported.",
    remediation: "Add `kind: NetworkPolicy` with `podSelector: {}` and `policyTypes: \
        [Ingress]` (no ingress rules) to the namespace, then keep the policies that allow \
        what each workload needs.",
    references: &[DEFAULT_DENY_REF],
    controls: Controls {
        pss: None,
        cis: &["5.3.2"],
        nsa: &[NSA_NETPOL],
        mitre: &["T1046"],
    },
};

/// PAL-NET-009.
pub static NO_DEFAULT_DENY_EGRESS: Rule = Rule {
    id: "PAL-NET-009",
    title: "Namespace has NetworkPolicies but no default-deny egress",
    severity: Severity::Low,
    family: Family::Exposure,
    description: "Without a default-deny egress policy (`podSelector: {}`, Egress among its \
        policyTypes, no rule that allows all traffic), pods that no egress policy selects may \
        open connections anywhere: to every service of the cluster, to the cloud metadata \
        endpoint, and to the Internet, which is how a compromised workload moves laterally and \
        sends data out. Reported for namespaces that have workloads and at least one \
        NetworkPolicy in the input, and no such policy (PAL-NET-005 covers namespaces with \
        no policy at all). kube-system, kube-public and kube-node-lease are not reported.",
    remediation: "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Egress]` and no \
        egress rules, plus policies allowing DNS (UDP and TCP 53 to kube-dns) and the \
        destinations each workload needs.",
    references: &[DEFAULT_DENY_REF],
    controls: Controls {
        pss: None,
        cis: &["5.3.2"],
        nsa: &[NSA_NETPOL],
        mitre: &["T1041"],
    },
};

/// PAL-NET-010.
pub static SELECTS_NOTHING: Rule = Rule {
    id: "PAL-NET-010",
    title: "NetworkPolicy selects no workload in the input",
    severity: Severity::Low,
    family: Family::Exposure,
    description: "The policy's podSelector matches no workload of its namespace in the input, \
        so it isolates and allows nothing there: typically a label typo or a policy left \
        behind by a renamed app, and the pods it was meant for are less protected than its \
        author believes. Judged on the input only: workloads deployed from elsewhere are not \
        seen, so policies of namespaces without any workload in the input are not reported.",
    remediation: "Fix the podSelector to match the intended pods' labels (compare with the \
        pod template's `metadata.labels`), or delete the policy if its workload is gone.",
    references: &[NETPOL_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_NETPOL],
        mitre: &[],
    },
};

/// PAL-NET-011.
pub static ALLOWS_ALL_INGRESS: Rule = Rule {
    id: "PAL-NET-011",
    title: "NetworkPolicy allows ingress from everywhere",
    severity: Severity::Medium,
    family: Family::Exposure,
    description: "An ingress rule whose `from` is missing or empty, whose peer selects every \
        pod of every namespace (`namespaceSelector: {}`, with or without `podSelector: {}`), \
        or whose ipBlock covers at least half of the address space (`0.0.0.0/0`, `::/0`, \
        whatever `except` carves out of them) admits traffic from every pod or every address: \
        the policy isolates nothing for those ports. Medium when the rule allows every port; \
        low when it lists ports (the usual way to publish a web port, still worth a look).",
    remediation: "Name the clients: a podSelector and a namespaceSelector matching the \
        namespaces that need access (for example the ingress controller's, by \
        `kubernetes.io/metadata.name`), and restrict `ports` to the service's port.",
    references: &[NETPOL_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_NETPOL],
        mitre: &["T1046"],
    },
};

/// PAL-NET-012.
pub static EGRESS_ANYWHERE: Rule = Rule {
    id: "PAL-NET-012",
    title: "NetworkPolicy allows egress to any address",
    severity: Severity::Medium,
    family: Family::Exposure,
    description: "An egress rule whose `to` is missing or empty, or whose ipBlock covers at \
        least half of the address space (`0.0.0.0/0` or `::/0`, with no `except` that removes \
        most of it; excepting the private ranges still leaves the whole Internet), lets the \
        selected pods connect to any address: a compromised workload can download tools and \
        send data out. Medium when every port is allowed; low when the rule lists ports.",
    remediation: "List the destinations: the CIDRs of the external services the workload \
        calls, and selectors for in-cluster ones; allow DNS to kube-dns explicitly. Send \
        Internet-bound traffic through an egress gateway or proxy that can filter by name.",
    references: &[NETPOL_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_NETPOL],
        mitre: &["T1041"],
    },
};

/// PAL-NET-013.
pub static SENSITIVE_REACHABLE: Rule = Rule {
    id: "PAL-NET-013",
    title: "Sensitive port reachable from outside or from other namespaces",
    severity: Severity::High,
    family: Family::Exposure,
    description: "A workload's container port that serves SSH, etcd, the kubelet, the API \
        server, the Docker daemon or a database (MySQL, PostgreSQL, Redis, MongoDB, Cassandra, \
        SQL Server, CouchDB, Elasticsearch) is reachable, once the NetworkPolicies of both \
        sides are applied, from outside the cluster (through a NodePort, LoadBalancer, \
        externalIPs, Ingress or Gateway route whose backend's policies admit the traffic, or \
        directly from external addresses) or from workloads of other namespaces. High when \
        a published entry point reaches it (critical for control-plane and Docker ports); \
        medium when only other namespaces or external addresses directly reach it (pod \
        addresses are routable from outside on some networks only). PAL-NET-004 reports such ports on the Service \
        itself whatever the policies say; this rule says who can actually connect. In a \
        namespace without any policy (and no Calico or admin policy in the input) it fires \
        only for a published entry point: PAL-NET-005 already says that every pod there \
        accepts everything.",
    remediation: "Add an ingress NetworkPolicy for the workload that admits the port only \
        from the pods that need it (a podSelector in its own namespace, or a named \
        namespace), and keep the Service ClusterIP.",
    references: &[
        "https://kubernetes.io/docs/reference/networking/ports-and-protocols/",
        NETPOL_REF,
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_NETPOL],
        mitre: &["T1190", "T1133", "T1046"],
    },
};

/// PAL-NET-014.
pub static ENTRY_UNPROTECTED: Rule = Rule {
    id: "PAL-NET-014",
    title: "Entry point from outside reaches a workload no NetworkPolicy isolates",
    severity: Severity::Medium,
    family: Family::Exposure,
    description: "A NodePort or LoadBalancer Service, externalIPs, an Ingress or a Gateway \
        route sends outside traffic to a workload whose ingress no NetworkPolicy isolates: \
        every port of its pods is open to the whole cluster and, through the node or \
        controller, to whatever reaches the entry point, not just the port the entry point \
        publishes. One finding per entry point and workload.",
    remediation: "Give the workload an ingress policy that admits only the published port, \
        from the ingress controller's namespace (Ingress, Gateway) or from the client \
        ranges (NodePort, LoadBalancer).",
    references: &[
        NETPOL_REF,
        "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.3.2"],
        nsa: &[NSA_NETPOL],
        mitre: &["T1190", "T1133"],
    },
};

/// PAL-NET-015.
pub static CLASSIFIED_REACHABLE: Rule = Rule {
    id: "PAL-NET-015",
    title: "Confidential or restricted workload reachable from a lower class or from outside",
    severity: Severity::High,
    family: Family::DataClassification,
    description: "A workload whose data class (its `palisade.dev/data-class` label, else its \
        namespace's) is confidential or restricted can be reached, once both sides' \
        NetworkPolicies are applied, from workloads of namespaces of a lower class (classes \
        ordered public < internal < confidential < restricted; a namespace without a class \
        counts as the lowest; classes of other names are not compared), or from outside \
        the cluster (an allowed entry point or external addresses). Data of a class should \
        only be reachable from workloads cleared for it.",
    remediation: "Restrict the workload's ingress to namespaces of its class or higher \
        (a namespaceSelector on `palisade.dev/data-class`), and publish it only through a \
        controller that authenticates.",
    references: &[NETPOL_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Network separation and hardening: namespaces", NSA_NETPOL],
        mitre: &["T1190"],
    },
};

/// PAL-NET-016.
pub static POLICY_REJECTED: Rule = Rule {
    id: "PAL-NET-016",
    title: "NetworkPolicy the API server would reject",
    severity: Severity::Medium,
    family: Family::Exposure,
    description: "The policy breaks a rule of the API server's NetworkPolicy validation (an \
        invalid CIDR or an `except` outside its CIDR, a port out of range, an endPort \
        without a numeric port or below it, an unknown protocol or selector operator, a \
        peer mixing ipBlock and selectors, a bad policyType): `kubectl apply` fails, so the \
        isolation it was meant to add never exists. It is left out of the connectivity \
        analysis. One finding per problem, at its field.",
    remediation: "Fix the field the message names; `kubectl apply --dry-run=server` shows the \
        API server's own verdict.",
    references: &[
        "https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/",
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_NETPOL],
        mitre: &[],
    },
};

/// PAL-NET-017.
pub static POLICY_PART_INERT: Rule = Rule {
    id: "PAL-NET-017",
    title: "NetworkPolicy part that does not do what it says",
    severity: Severity::Low,
    family: Family::Exposure,
    description: "Accepted by the API server but probably not what was meant: a named port \
        that no container of the pods the rule reaches defines with that protocol (the port \
        entry matches nothing), a named port toward ipBlock peers (named ports never match \
        addresses), a CIDR with bits set past its prefix (it means its network), or the same \
        policy defined twice in the input (the later one replaces the earlier).",
    remediation: "Use the container port's exact name and protocol (or its number), write \
        CIDRs by their network address, and keep one definition of each policy.",
    references: &[NETPOL_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[NSA_NETPOL],
        mitre: &[],
    },
};

/// Every rule of this crate, in id order.
pub static RULES: &[&Rule] = &[
    &NO_DEFAULT_DENY_INGRESS,
    &NO_DEFAULT_DENY_EGRESS,
    &SELECTS_NOTHING,
    &ALLOWS_ALL_INGRESS,
    &EGRESS_ANYWHERE,
    &SENSITIVE_REACHABLE,
    &ENTRY_UNPROTECTED,
    &CLASSIFIED_REACHABLE,
    &POLICY_REJECTED,
    &POLICY_PART_INERT,
];
