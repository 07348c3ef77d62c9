//! `nodes`: who can get a root shell on a node, and how.
//!
//! Every path is judged by asking the authorizer ([`Policy::allows`]'s order and matching,
//! through [`grants`]) about a synthetic request, so wildcards and `resourceNames` count
//! exactly as they would on a real API server. Paths a subject takes as itself:
//! - `nodes/proxy` with `get` or `create`: the kubelet API, whose `/exec` and `/run` run
//!   commands in any container of the node (the kubelet authorizes `GET` as `get`, `POST`
//!   as `create`). Cluster-scoped, so only ClusterRoleBindings grant it. A rule restricted
//!   by `resourceNames` gives the named nodes only;
//! - `create` on pods in a namespace whose Pod Security admission admits privileged,
//!   hostPID or hostPath `/` pods (see [`crate::node_context`]); `kubectl debug node/NAME`
//!   is such a pod;
//! - `create` on a pod controller ([`POD_CONTROLLERS`]) in such a namespace: the controller
//!   creates the pod, under the namespace's Pod Security level;
//! - `patch` or `update` on `pods/ephemeralcontainers` in such a namespace: a privileged
//!   ephemeral container in any running pod (`kubectl debug POD --profile=sysadmin`; Pod
//!   Security admission judges ephemeral containers too);
//! - `pods/exec` into a pod of a workload in the input that is already privileged,
//!   hostPID or mounts the host's root (a controller only where its namespace admits such
//!   pods; a Pod object, as a dump lists it, wherever it is). `create` is what `kubectl exec` needs; `get` is
//!   enough for a WebSocket exec on API servers before 1.35 (and later ones with the
//!   `AuthorizePodWebsocketUpgradeCreatePermission` gate off);
//! - `bind` on a role that grants one of the above, with `create` on the binding kind
//!   (pkg/registry/rbac `BindingAuthorized`: `bind` on the referenced role, by name, in the
//!   binding's namespace, lets one bind a role without holding its rules). Updating an
//!   existing binding is not counted: its `roleRef` cannot change;
//! - `escalate` with `update` or `patch` on a role already bound to the subject: write any
//!   rule into it (`RoleEscalationAuthorized`: `escalate` on that role, by name, skips the
//!   no-escalation check).
//!
//! And one hop further, through someone else who has one of the paths above:
//! - `impersonate` of that user, group (which also needs impersonating some user: the
//!   apiserver's `WithImpersonation` filter refuses groups without a user) or service
//!   account (checked as `serviceaccounts` in its namespace);
//! - `create` on `serviceaccounts/token` of that service account.
//!
//! Namespaced paths are listed for every namespace the input knows (Namespace objects,
//! RoleBindings, workloads), and once with no namespace for what ClusterRoleBindings give in
//! every other namespace (`kube-system` and `default` always exist; their Pod Security level
//! is not in the input, so it is reported as not known, assumed `privileged`, the default).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::authorize::Attributes;
use crate::grant_pattern::POD_CONTROLLERS;
use crate::grants::{binding_subjects, merge, request, spell, Held};
use crate::model::Key;
use crate::node_context::{HostWorkload, NodeContext, PodSecurity};
use crate::policy::Policy;
use crate::subject::Subject;
use crate::who_can::Via;

/// How a path reaches the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodePathKind {
    /// The kubelet API through `nodes/proxy`.
    NodesProxy,
    /// Creating a privileged / hostPID / hostPath pod.
    CreatePod,
    /// Creating a pod controller that creates such a pod.
    CreateController,
    /// Adding a privileged ephemeral container to a running pod (`kubectl debug POD
    /// --profile=sysadmin`), where admission lets it in.
    EphemeralContainer,
    /// Exec into a pod that already holds its node.
    ExecPrivilegedPod,
    /// Binding a role that gives one of the direct paths.
    Bind,
    /// Writing rules into a role the subject is bound to.
    Escalate,
    /// Acting as someone who has a path.
    Impersonate,
    /// Minting a token of a service account that has a path.
    ServiceAccountToken,
}

/// One way to a root shell on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePath {
    /// The path.
    pub kind: NodePathKind,
    /// The verb of the decisive request. `get` on `pods/exec` is a WebSocket exec, which
    /// API servers from 1.35 refuse without `create`
    /// (`AuthorizePodWebsocketUpgradeCreatePermission`, on by default).
    pub verb: String,
    /// Its resource, `resource[.group][/subresource]`.
    pub resource: String,
    /// The namespace the request is in; `None` for cluster-scoped requests, and for a
    /// namespaced path held in every namespace the input does not name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Pod Security admission in that namespace, for pod paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_security: Option<PodSecurity>,
    /// The node, when the grant names nodes (`resourceNames`); `None`: any node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The already-privileged workload exec'd into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<HostWorkload>,
    /// The role bound (`bind`) or rewritten (`escalate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Key>,
    /// The subject acted as, and its own paths (`impersonate`, `serviceaccounts/token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop: Option<Hop>,
    /// Every binding, role and rule granting the requests of the path, sorted.
    pub via: Vec<Via>,
}

/// The second step of a path through another subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Who is acted as.
    pub subject: Subject,
    /// That subject's own paths.
    pub paths: Vec<NodePath>,
}

/// A subject's paths to a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectNodes {
    /// The subject.
    pub subject: Subject,
    /// Its paths, sorted by kind, namespace, resource, verb.
    pub paths: Vec<NodePath>,
    /// True when every path is granted by built-in bootstrap bindings only (what every
    /// cluster has: `system:masters`, controllers), which a report may fold away.
    pub builtin: bool,
}

/// The namespace requests use for "any namespace the input does not name": no RoleBinding
/// can be in it, so only ClusterRoleBindings answer.
const OTHER_NAMESPACE: &str = "(any namespace not in the input)";

/// The paths of one subject, its hops through every subject named in a binding included.
pub fn nodes(policy: &Policy, ctx: &NodeContext, subject: &Subject) -> SubjectNodes {
    let finder = Finder::new(policy, ctx);
    let user = subject.user_info();
    let held = Held::of(policy, &user);
    let mut paths = finder.direct(&held);
    if may_hop(&held) {
        let others: Vec<(Subject, Vec<NodePath>)> = binding_subjects(policy)
            .into_iter()
            .filter(|s| s != subject)
            .map(|s| {
                let paths = finder.direct(&Held::of(policy, &s.user_info()));
                (s, paths)
            })
            .filter(|(_, p)| !p.is_empty())
            .collect();
        paths.extend(finder.hops(subject, &held, &others));
    }
    sort(&mut paths);
    SubjectNodes {
        subject: subject.clone(),
        builtin: builtin(&paths),
        paths,
    }
}

/// The paths of every subject named in a binding (`--all`); subjects without a path are
/// left out.
pub fn nodes_all(policy: &Policy, ctx: &NodeContext) -> Vec<SubjectNodes> {
    let finder = Finder::new(policy, ctx);
    let direct: Vec<(Subject, Vec<NodePath>)> = binding_subjects(policy)
        .into_iter()
        .map(|s| {
            let paths = finder.direct(&Held::of(policy, &s.user_info()));
            (s, paths)
        })
        .collect();
    let holders: Vec<(Subject, Vec<NodePath>)> = direct
        .iter()
        .filter(|(_, p)| !p.is_empty())
        .cloned()
        .collect();
    direct
        .into_iter()
        .filter_map(|(subject, mut paths)| {
            let user = subject.user_info();
            let held = Held::of(policy, &user);
            if may_hop(&held) {
                paths.extend(finder.hops(&subject, &held, &holders));
            }
            sort(&mut paths);
            (!paths.is_empty()).then(|| SubjectNodes {
                subject,
                builtin: builtin(&paths),
                paths,
            })
        })
        .collect()
}

fn builtin(paths: &[NodePath]) -> bool {
    !paths.is_empty()
        && paths
            .iter()
            .all(|p| p.via.iter().all(|v| v.binding.bootstrap))
}

/// Can the user impersonate anyone, or mint any service account's token?
fn may_hop(held: &Held) -> bool {
    ["users", "groups", "serviceaccounts"]
        .iter()
        .any(|r| held.could("impersonate", "", r, ""))
        || held.could("create", "", "serviceaccounts", "token")
}

fn sort(paths: &mut [NodePath]) {
    paths.sort_by(|a, b| {
        let key = |p: &NodePath| {
            (
                p.kind,
                p.namespace.clone(),
                p.resource.clone(),
                p.verb.clone(),
                p.node.clone(),
                p.workload.as_ref().map(|w| w.object.to_string()),
                p.role.clone(),
                p.hop.as_ref().map(|h| h.subject.clone()),
            )
        };
        key(a).cmp(&key(b))
    });
}

/// The inputs of a query, prepared once.
pub(crate) struct Finder<'a> {
    pub(crate) policy: &'a Policy,
    pub(crate) ctx: &'a NodeContext,
    /// Namespaces the input names, sorted.
    pub(crate) namespaces: Vec<String>,
    /// Node names worth asking about: Node objects and `resourceNames` of rules on nodes.
    pub(crate) node_names: Vec<String>,
    /// Namespaces with a workload already holding its node.
    pub(crate) host_namespaces: BTreeSet<String>,
}

impl<'a> Finder<'a> {
    fn new(policy: &'a Policy, ctx: &'a NodeContext) -> Finder<'a> {
        let mut namespaces: BTreeSet<String> = ctx.namespaces.keys().cloned().collect();
        namespaces.extend(policy.binding_namespaces().map(str::to_string));
        let host_namespaces: BTreeSet<String> = ctx
            .host_workloads
            .iter()
            .map(|w| w.namespace.clone())
            .collect();
        namespaces.extend(host_namespaces.iter().cloned());
        let mut node_names: BTreeSet<String> = ctx.node_names.iter().cloned().collect();
        for role in policy.roles() {
            for rule in &role.rules {
                if rule
                    .resources
                    .iter()
                    .any(|r| r == "*" || r.starts_with("nodes"))
                {
                    node_names.extend(rule.resource_names.iter().cloned());
                }
            }
        }
        Finder {
            policy,
            ctx,
            namespaces: namespaces.into_iter().collect(),
            node_names: node_names.into_iter().collect(),
            host_namespaces,
        }
    }

    /// (request namespace, reported namespace, Pod Security state) of every namespace.
    pub(crate) fn scopes(&self) -> Vec<(&str, Option<String>, PodSecurity)> {
        let mut out: Vec<(&str, Option<String>, PodSecurity)> = self
            .namespaces
            .iter()
            .map(|ns| (ns.as_str(), Some(ns.clone()), self.ctx.pod_security(ns)))
            .collect();
        out.push((OTHER_NAMESPACE, None, PodSecurity::NotInInput));
        out
    }

    pub(crate) fn path(
        &self,
        kind: NodePathKind,
        verb: &str,
        resource: String,
        via: Vec<Via>,
    ) -> NodePath {
        NodePath {
            kind,
            verb: verb.to_string(),
            resource,
            namespace: None,
            pod_security: None,
            node: None,
            workload: None,
            role: None,
            hop: None,
            via,
        }
    }

    /// Paths the subject takes as itself.
    fn direct(&self, held: &Held) -> Vec<NodePath> {
        let ask = |a: &Attributes| held.grants(a);
        let mut out = Vec::new();
        if held.entries.is_empty() {
            return out;
        }
        for verb in ["create", "get"] {
            if !held.could(verb, "", "nodes", "proxy") {
                continue;
            }
            let via = ask(&request(verb, "", "nodes", "proxy", "", ""));
            if !via.is_empty() {
                out.push(self.path(NodePathKind::NodesProxy, verb, "nodes/proxy".into(), via));
                continue;
            }
            for node in &self.node_names {
                let via = ask(&request(verb, "", "nodes", "proxy", "", node));
                if !via.is_empty() {
                    let mut p =
                        self.path(NodePathKind::NodesProxy, verb, "nodes/proxy".into(), via);
                    p.node = Some(node.clone());
                    out.push(p);
                }
            }
        }
        // (kind, verb, group, resource, subresource) of the requests that put a privileged
        // container on a node where admission lets it in.
        let creates: Vec<(NodePathKind, &str, &str, &str, &str)> =
            std::iter::once((NodePathKind::CreatePod, "create", "", "pods", ""))
                .chain(
                    POD_CONTROLLERS
                        .iter()
                        .map(|&(g, r)| (NodePathKind::CreateController, "create", g, r, "")),
                )
                .chain(["patch", "update"].map(|v| {
                    (
                        NodePathKind::EphemeralContainer,
                        v,
                        "",
                        "pods",
                        "ephemeralcontainers",
                    )
                }))
                .filter(|&(_, v, g, r, sub)| held.could(v, g, r, sub))
                .collect();
        for (ns, shown, psa) in self.scopes() {
            if creates.is_empty() || !psa.admits_host_pods() {
                continue;
            }
            for &(kind, verb, group, resource, sub) in &creates {
                let via = ask(&request(verb, group, resource, sub, ns, ""));
                if !via.is_empty() {
                    let mut p = self.path(kind, verb, spell(group, resource, sub), via);
                    p.namespace = shown.clone();
                    p.pod_security = Some(psa.clone());
                    out.push(p);
                }
            }
        }
        for w in &self.ctx.host_workloads {
            let psa = self.ctx.pod_security(&w.namespace);
            // A controller's pods are admitted under the namespace's level when created; a
            // Pod object (a dump's) exists whatever the label says now.
            if w.pod_name.is_none() && !psa.admits_host_pods() {
                continue;
            }
            let name = w.pod_name.as_deref().unwrap_or("");
            for verb in ["create", "get"] {
                if !held.could(verb, "", "pods", "exec") {
                    continue;
                }
                let via = ask(&request(verb, "", "pods", "exec", &w.namespace, name));
                if !via.is_empty() {
                    let mut p = self.path(
                        NodePathKind::ExecPrivilegedPod,
                        verb,
                        "pods/exec".into(),
                        via,
                    );
                    p.namespace = Some(w.namespace.clone());
                    p.pod_security = Some(psa.clone());
                    p.workload = Some(w.clone());
                    out.push(p);
                }
            }
        }
        out.extend(self.bind(held));
        out.extend(self.escalate(held));
        out
    }

    /// One hop: impersonating, or minting a token of, a subject that has direct paths.
    fn hops(
        &self,
        subject: &Subject,
        held: &Held,
        others: &[(Subject, Vec<NodePath>)],
    ) -> Vec<NodePath> {
        let ask = |a: &Attributes| held.grants(a);
        let any_user = ask(&request("impersonate", "", "users", "", "", ""));
        let mut out = Vec::new();
        for (target, paths) in others.iter().filter(|(t, _)| t != subject) {
            let hop = || {
                Some(Hop {
                    subject: target.clone(),
                    paths: paths.clone(),
                })
            };
            let impersonate = match target {
                Subject::User { name } => ask(&request("impersonate", "", "users", "", "", name)),
                Subject::Group { name } if !any_user.is_empty() => {
                    let via = ask(&request("impersonate", "", "groups", "", "", name));
                    if via.is_empty() {
                        via
                    } else {
                        merge(via, &any_user)
                    }
                }
                Subject::Group { .. } => Vec::new(),
                Subject::ServiceAccount { namespace, name } => ask(&request(
                    "impersonate",
                    "",
                    "serviceaccounts",
                    "",
                    namespace,
                    name,
                )),
            };
            if !impersonate.is_empty() {
                let resource = match target {
                    Subject::User { .. } => "users",
                    Subject::Group { .. } => "groups",
                    Subject::ServiceAccount { .. } => "serviceaccounts",
                };
                let mut p = self.path(
                    NodePathKind::Impersonate,
                    "impersonate",
                    resource.into(),
                    impersonate,
                );
                if let Subject::ServiceAccount { namespace, .. } = target {
                    p.namespace = Some(namespace.clone());
                }
                p.hop = hop();
                out.push(p);
            }
            if let Subject::ServiceAccount { namespace, name } = target {
                let via = ask(&request(
                    "create",
                    "",
                    "serviceaccounts",
                    "token",
                    namespace,
                    name,
                ));
                if !via.is_empty() {
                    let mut p = self.path(
                        NodePathKind::ServiceAccountToken,
                        "create",
                        "serviceaccounts/token".into(),
                        via,
                    );
                    p.namespace = Some(namespace.clone());
                    p.hop = hop();
                    out.push(p);
                }
            }
        }
        out
    }
}
