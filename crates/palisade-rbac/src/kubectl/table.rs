//! The table of kubectl commands: each is a documented list of the API requests kubectl
//! makes for it (read from kubectl's sources: the resource builder GETs
//! a named object before acting on it; `edit`, `label`, `annotate`, `set` and `rollout
//! restart` PATCH; `scale` PATCHes the `scale` subresource; `drain` cordons the node, lists
//! the pods of every namespace on it, checks their DaemonSets and evicts them through
//! `pods/eviction`; `debug` adds an ephemeral container with a PATCH of
//! `pods/ephemeralcontainers`, or creates a pod). Every request is judged by the authorizer,
//! so wildcards and aggregation count.
//!
//! Streams (`exec`, `attach`, `cp`, `port-forward`) are opened with a POST over SPDY, which
//! the authorizer sees as `create`, or with a GET over WebSockets (kubectl 1.30 and later),
//! which API servers before 1.35 authorise as `get` on the subresource. Either verb lets the
//! command run somewhere, so either is accepted, and the result says which one did.

/// One API request a command makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// Verb as the authorizer sees it.
    pub verb: &'static str,
    /// API group; [`RES`] for the group of the resource the command runs on.
    pub group: &'static str,
    /// Resource; [`RES`] for the resource the command runs on.
    pub resource: &'static str,
    /// Subresource, or "".
    pub subresource: &'static str,
    /// Object name, or "" (a collection, or a name the user picks: any name).
    pub name: &'static str,
    /// Where the request is made.
    pub scope: CallScope,
}

/// Where a request is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallScope {
    /// In the namespace the command runs in.
    Namespace,
    /// Without a namespace: cluster-scoped objects, or a list across all namespaces (only
    /// ClusterRoleBindings count, as for any request without a namespace).
    Cluster,
}

/// Placeholder for the resource (and its group) a per-resource command runs on.
pub const RES: &str = "RES";

/// A step: one of the calls must be allowed (most steps have one).
pub type Step = &'static [Call];

/// What a command runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    /// The listed resources, or [`COMMON_RESOURCES`] when empty.
    Resources(&'static [&'static str]),
    /// Nothing to choose: the command's own requests.
    Fixed,
}

/// A kubectl command and the requests it makes.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// The command as typed (`rollout restart`).
    pub name: &'static str,
    /// Usage, for the table.
    pub usage: &'static str,
    /// What it runs on.
    pub on: On,
    /// Every step must be allowed.
    pub steps: &'static [Step],
}

const fn ns(verb: &'static str, group: &'static str, resource: &'static str) -> Call {
    Call {
        verb,
        group,
        resource,
        subresource: "",
        name: "",
        scope: CallScope::Namespace,
    }
}

const fn sub(verb: &'static str, resource: &'static str, subresource: &'static str) -> Call {
    Call {
        verb,
        group: "",
        resource,
        subresource,
        name: "",
        scope: CallScope::Namespace,
    }
}

const fn cluster(verb: &'static str, group: &'static str, resource: &'static str) -> Call {
    Call {
        verb,
        group,
        resource,
        subresource: "",
        name: "",
        scope: CallScope::Cluster,
    }
}

const fn res(verb: &'static str) -> Call {
    ns(verb, RES, RES)
}

/// Resources the per-resource commands are judged on (`group/resource`, core without a
/// group), when a command does not list its own.
pub const COMMON_RESOURCES: &[&str] = &[
    "pods",
    "services",
    "configmaps",
    "secrets",
    "serviceaccounts",
    "persistentvolumeclaims",
    "apps/deployments",
    "apps/statefulsets",
    "apps/daemonsets",
    "batch/jobs",
    "batch/cronjobs",
    "networking.k8s.io/ingresses",
    "networking.k8s.io/networkpolicies",
    "rbac.authorization.k8s.io/roles",
    "rbac.authorization.k8s.io/rolebindings",
];

const SCALABLE: &[&str] = &[
    "apps/deployments",
    "apps/statefulsets",
    "apps/replicasets",
    "replicationcontrollers",
];
const ROLLABLE: &[&str] = &["apps/deployments", "apps/statefulsets", "apps/daemonsets"];
const WORKLOADS: &[&str] = &[
    "pods",
    "apps/deployments",
    "apps/statefulsets",
    "apps/daemonsets",
    "apps/replicasets",
    "batch/jobs",
    "batch/cronjobs",
];

const GET_POD: Step = &[sub("get", "pods", "")];

/// The table. Per-resource commands are judged on each resource of their list.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "get",
        usage: "kubectl get RESOURCE",
        on: On::Resources(&[]),
        steps: &[&[res("list")]],
    },
    Command {
        name: "get NAME",
        usage: "kubectl get RESOURCE NAME",
        on: On::Resources(&[]),
        steps: &[&[res("get")]],
    },
    Command {
        name: "get --watch",
        usage: "kubectl get RESOURCE -w",
        on: On::Resources(&[]),
        steps: &[&[res("list")], &[res("watch")]],
    },
    Command {
        name: "describe",
        usage: "kubectl describe RESOURCE NAME (events shown when they can be listed)",
        on: On::Resources(&[]),
        steps: &[&[res("get")]],
    },
    Command {
        name: "create",
        usage: "kubectl create -f FILE",
        on: On::Resources(&[]),
        steps: &[&[res("create")]],
    },
    Command {
        name: "apply (new objects)",
        usage: "kubectl apply -f FILE (objects that do not exist yet)",
        on: On::Resources(&[]),
        steps: &[&[res("get")], &[res("create")]],
    },
    Command {
        name: "apply (changes)",
        usage: "kubectl apply -f FILE (objects that exist; --server-side needs only patch)",
        on: On::Resources(&[]),
        steps: &[&[res("get")], &[res("patch")]],
    },
    Command {
        name: "edit",
        usage: "kubectl edit RESOURCE NAME",
        on: On::Resources(&[]),
        steps: &[&[res("get")], &[res("patch")]],
    },
    Command {
        name: "patch",
        usage: "kubectl patch RESOURCE NAME -p PATCH",
        on: On::Resources(&[]),
        steps: &[&[res("patch")]],
    },
    Command {
        name: "label / annotate",
        usage: "kubectl label RESOURCE NAME KEY=VALUE",
        on: On::Resources(&[]),
        steps: &[&[res("get")], &[res("patch")]],
    },
    Command {
        name: "delete",
        usage: "kubectl delete RESOURCE NAME",
        on: On::Resources(&[]),
        steps: &[&[res("delete")]],
    },
    Command {
        name: "delete --all",
        usage: "kubectl delete RESOURCE --all",
        on: On::Resources(&[]),
        steps: &[&[res("list")], &[res("delete")]],
    },
    Command {
        name: "scale",
        usage: "kubectl scale RESOURCE NAME --replicas=N",
        on: On::Resources(SCALABLE),
        steps: &[
            &[res("get")],
            &[Call {
                subresource: "scale",
                ..res("patch")
            }],
        ],
    },
    Command {
        name: "autoscale",
        usage: "kubectl autoscale RESOURCE NAME --max=N",
        on: On::Resources(SCALABLE),
        steps: &[
            &[res("get")],
            &[ns("create", "autoscaling", "horizontalpodautoscalers")],
        ],
    },
    Command {
        name: "rollout restart",
        usage: "kubectl rollout restart RESOURCE NAME",
        on: On::Resources(ROLLABLE),
        steps: &[&[res("get")], &[res("patch")]],
    },
    Command {
        name: "rollout status",
        usage: "kubectl rollout status RESOURCE NAME",
        on: On::Resources(ROLLABLE),
        steps: &[&[res("get")], &[res("list")], &[res("watch")]],
    },
    Command {
        name: "rollout undo",
        usage: "kubectl rollout undo deployment NAME",
        on: On::Resources(&["apps/deployments"]),
        steps: &[
            &[res("get")],
            &[ns("list", "apps", "replicasets")],
            &[res("patch")],
        ],
    },
    Command {
        name: "set image",
        usage: "kubectl set image RESOURCE NAME CONTAINER=IMAGE",
        on: On::Resources(WORKLOADS),
        steps: &[&[res("get")], &[res("patch")]],
    },
    Command {
        name: "expose",
        usage: "kubectl expose RESOURCE NAME --port=N",
        on: On::Resources(WORKLOADS),
        steps: &[&[res("get")], &[ns("create", "", "services")]],
    },
    Command {
        name: "run",
        usage: "kubectl run NAME --image=IMAGE",
        on: On::Fixed,
        steps: &[&[ns("create", "", "pods")]],
    },
    Command {
        name: "logs",
        usage: "kubectl logs POD",
        on: On::Fixed,
        steps: &[GET_POD, &[sub("get", "pods", "log")]],
    },
    Command {
        name: "exec",
        usage: "kubectl exec POD -- COMMAND",
        on: On::Fixed,
        steps: &[
            GET_POD,
            &[sub("create", "pods", "exec"), sub("get", "pods", "exec")],
        ],
    },
    Command {
        name: "cp",
        usage: "kubectl cp POD:PATH PATH (runs tar through exec)",
        on: On::Fixed,
        steps: &[
            GET_POD,
            &[sub("create", "pods", "exec"), sub("get", "pods", "exec")],
        ],
    },
    Command {
        name: "attach",
        usage: "kubectl attach POD",
        on: On::Fixed,
        steps: &[
            GET_POD,
            &[
                sub("create", "pods", "attach"),
                sub("get", "pods", "attach"),
            ],
        ],
    },
    Command {
        name: "port-forward",
        usage: "kubectl port-forward POD PORT",
        on: On::Fixed,
        steps: &[
            GET_POD,
            &[
                sub("create", "pods", "portforward"),
                sub("get", "pods", "portforward"),
            ],
        ],
    },
    Command {
        name: "debug POD",
        usage: "kubectl debug POD -it --image=IMAGE (ephemeral container)",
        on: On::Fixed,
        steps: &[GET_POD, &[sub("patch", "pods", "ephemeralcontainers")]],
    },
    Command {
        name: "debug POD --copy-to",
        usage: "kubectl debug POD --copy-to=NAME",
        on: On::Fixed,
        steps: &[GET_POD, &[ns("create", "", "pods")]],
    },
    Command {
        name: "debug node",
        usage: "kubectl debug node/NAME -it --image=IMAGE (a hostPID pod with / at /host)",
        on: On::Fixed,
        steps: &[&[cluster("get", "", "nodes")], &[ns("create", "", "pods")]],
    },
    Command {
        name: "top pod",
        usage: "kubectl top pod",
        on: On::Fixed,
        steps: &[&[ns("list", "metrics.k8s.io", "pods")]],
    },
    Command {
        name: "top node",
        usage: "kubectl top node",
        on: On::Fixed,
        steps: &[
            &[cluster("list", "metrics.k8s.io", "nodes")],
            &[cluster("list", "", "nodes")],
        ],
    },
    Command {
        name: "cordon / uncordon",
        usage: "kubectl cordon NODE",
        on: On::Fixed,
        steps: &[
            &[cluster("get", "", "nodes")],
            &[cluster("patch", "", "nodes")],
        ],
    },
    Command {
        name: "taint",
        usage: "kubectl taint nodes NODE KEY=VALUE:EFFECT",
        on: On::Fixed,
        steps: &[
            &[cluster("get", "", "nodes")],
            &[cluster("patch", "", "nodes")],
        ],
    },
    Command {
        name: "drain",
        usage: "kubectl drain NODE --ignore-daemonsets",
        on: On::Fixed,
        steps: &[
            &[cluster("get", "", "nodes")],
            &[cluster("patch", "", "nodes")],
            &[cluster("list", "", "pods")],
            &[Call {
                subresource: "eviction",
                ..cluster("create", "", "pods")
            }],
            &[cluster("get", "apps", "daemonsets")],
        ],
    },
    Command {
        name: "create token",
        usage: "kubectl create token SERVICEACCOUNT",
        on: On::Fixed,
        steps: &[&[sub("create", "serviceaccounts", "token")]],
    },
    Command {
        name: "certificate approve",
        usage: "kubectl certificate approve CSR (client certificates for any user)",
        on: On::Fixed,
        steps: &[
            &[cluster(
                "get",
                "certificates.k8s.io",
                "certificatesigningrequests",
            )],
            &[Call {
                subresource: "approval",
                ..cluster(
                    "update",
                    "certificates.k8s.io",
                    "certificatesigningrequests",
                )
            }],
            &[Call {
                name: "kubernetes.io/kube-apiserver-client",
                ..cluster("approve", "certificates.k8s.io", "signers")
            }],
        ],
    },
    Command {
        name: "auth can-i",
        usage: "kubectl auth can-i VERB RESOURCE",
        on: On::Fixed,
        steps: &[&[cluster(
            "create",
            "authorization.k8s.io",
            "selfsubjectaccessreviews",
        )]],
    },
    Command {
        name: "auth whoami",
        usage: "kubectl auth whoami",
        on: On::Fixed,
        steps: &[&[cluster(
            "create",
            "authentication.k8s.io",
            "selfsubjectreviews",
        )]],
    },
];
