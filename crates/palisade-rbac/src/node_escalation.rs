//! The `nodes` paths that go through RBAC itself: `bind` a role that gives a path, or
//! `escalate` a role one is bound to (see [`crate::nodes`] for the whole list).

use std::collections::BTreeMap;

use crate::authorize::{rule_allows, Attributes};
use crate::grant_pattern::RBAC_GROUP;
use crate::grants::{merge, request, spell, Held};
use crate::model::{Key, Role, RoleKind};
use crate::nodes::{Finder, NodePath, NodePathKind};

impl Finder<'_> {
    /// Would a role's rules, bound in `namespace` (`None`: cluster-wide), give a direct
    /// path? Cluster-wide: `nodes/proxy` or creating pods (some namespace, at least one not
    /// in the input, admits them). In a namespace: creating pods when it admits host pods,
    /// `pods/exec` when it has a workload holding its node.
    fn role_gives_path(&self, role: &Role, namespace: Option<&str>) -> bool {
        let allows = |a: &Attributes| role.rules.iter().any(|r| rule_allows(a, r));
        match namespace {
            None => {
                ["get", "create"]
                    .iter()
                    .any(|v| allows(&request(v, "", "nodes", "proxy", "", "")))
                    || allows(&request("create", "", "pods", "", "", ""))
            }
            Some(ns) => {
                (self.ctx.pod_security(ns).admits_host_pods()
                    && allows(&request("create", "", "pods", "", ns, "")))
                    || (self.host_namespaces.contains(ns)
                        && allows(&request("create", "", "pods", "exec", ns, "")))
            }
        }
    }

    /// `bind` on a role giving a path, with `create` on the binding kind: cluster-wide
    /// (a ClusterRoleBinding to a ClusterRole), else per namespace (a RoleBinding to a
    /// ClusterRole or to a Role of that namespace). The first such role is named, the
    /// built-in `cluster-admin` preferred.
    pub(crate) fn bind(&self, held: &Held) -> Vec<NodePath> {
        if !held.could("bind", RBAC_GROUP, "clusterroles", "")
            && !held.could("bind", RBAC_GROUP, "roles", "")
        {
            return Vec::new();
        }
        let ask = |a: &Attributes| held.grants(a);
        let mut roles: Vec<&Role> = self.policy.roles().iter().collect();
        roles.sort_by_key(|r| (&*r.name != "cluster-admin", r.kind, r.namespace.clone()));
        let binding_grants = ask(&request(
            "create",
            RBAC_GROUP,
            "clusterrolebindings",
            "",
            "",
            "",
        ));
        if !binding_grants.is_empty() {
            for role in roles.iter().filter(|r| r.kind == RoleKind::ClusterRole) {
                let via = ask(&request(
                    "bind",
                    RBAC_GROUP,
                    "clusterroles",
                    "",
                    "",
                    &role.name,
                ));
                if !via.is_empty() && self.role_gives_path(role, None) {
                    let mut p = self.path(
                        NodePathKind::Bind,
                        "bind",
                        spell(RBAC_GROUP, "clusterroles", ""),
                        merge(via, &binding_grants),
                    );
                    p.role = Some(role.key());
                    return vec![p];
                }
            }
        }
        let mut out = Vec::new();
        for (ns, shown, psa) in self.scopes() {
            let binding_grants = ask(&request("create", RBAC_GROUP, "rolebindings", "", ns, ""));
            if binding_grants.is_empty() {
                continue;
            }
            let found = roles.iter().find_map(|role| {
                let (resource, fits) = match role.kind {
                    RoleKind::ClusterRole => ("clusterroles", true),
                    RoleKind::Role => ("roles", role.namespace.as_deref() == Some(ns)),
                };
                if !fits || !self.role_gives_path(role, Some(ns)) {
                    return None;
                }
                let via = ask(&request("bind", RBAC_GROUP, resource, "", ns, &role.name));
                (!via.is_empty()).then_some((role, resource, via))
            });
            if let Some((role, resource, via)) = found {
                let mut p = self.path(
                    NodePathKind::Bind,
                    "bind",
                    spell(RBAC_GROUP, resource, ""),
                    merge(via, &binding_grants),
                );
                p.namespace = shown;
                p.pod_security = Some(psa);
                p.role = Some(role.key());
                out.push(p);
            }
        }
        out
    }

    /// `escalate` with `update` or `patch` on a role bound to the user: a ClusterRole is
    /// written cluster-wide; a Role in its namespace. The new rules hold where the binding
    /// does, so a RoleBinding's namespace must admit host pods or hold such a workload.
    pub(crate) fn escalate(&self, held: &Held) -> Vec<NodePath> {
        let ask = |a: &Attributes| held.grants(a);
        let mut seen: BTreeMap<(Key, Option<String>), NodePath> = BTreeMap::new();
        if !held.could("escalate", RBAC_GROUP, "clusterroles", "")
            && !held.could("escalate", RBAC_GROUP, "roles", "")
        {
            return Vec::new();
        }
        for &(_, bns, role) in &held.entries {
            if let Some(ns) = bns {
                if !self.ctx.pod_security(ns).admits_host_pods()
                    && !self.host_namespaces.contains(ns)
                {
                    continue;
                }
            }
            let (resource, ns) = match role.kind {
                RoleKind::ClusterRole => ("clusterroles", ""),
                RoleKind::Role => ("roles", bns.unwrap_or("")),
            };
            let esc = ask(&request(
                "escalate", RBAC_GROUP, resource, "", ns, &role.name,
            ));
            if esc.is_empty() {
                continue;
            }
            let write = ["update", "patch"]
                .iter()
                .map(|v| ask(&request(v, RBAC_GROUP, resource, "", ns, &role.name)))
                .find(|v| !v.is_empty());
            let Some(write) = write else { continue };
            let shown = bns.map(str::to_string);
            let key = (role.key(), shown.clone());
            seen.entry(key).or_insert_with(|| {
                let mut p = self.path(
                    NodePathKind::Escalate,
                    "escalate",
                    spell(RBAC_GROUP, resource, ""),
                    merge(esc, &write),
                );
                p.namespace = shown.clone();
                p.pod_security = shown.as_deref().map(|n| self.ctx.pod_security(n));
                p.role = Some(role.key());
                p
            });
        }
        seen.into_values().collect()
    }
}
