//! Which rules of a role grant a risky permission, judged with the authorizer's own matching
//! functions (`VerbMatches`, `APIGroupMatches`, `ResourceMatches` in
//! pkg/apis/rbac/v1/evaluation_helpers.go, public here as [`verb_matches`] and friends), so
//! that every wildcard counts exactly as the API server reads it: a `*` verb grants
//! `escalate`, `bind` and `impersonate`; `resources: ["*"]` covers `secrets` and
//! `pods/exec`; `*/exec` covers `pods/exec`; `apiGroups: ["*"]` every group.
//!
//! `resourceNames`: a rule restricted to named objects still grants the permission on those
//! objects (`get` on one named Secret reveals that Secret), so it counts, but as a weaker
//! grant: one severity step lower than the same grant on every object, and named in the
//! message. An unrestricted grant is always preferred as the one shown.

use palisade_core::Severity;

use crate::authorize::{api_group_matches, resource_matches, verb_matches};
use crate::model::{Role, Rule};

/// One permission a risk is made of: any of `verbs` on a resource of a group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe {
    /// Verbs, any of which makes the grant.
    pub verbs: &'static [&'static str],
    /// API group (`""` core).
    pub group: &'static str,
    /// Resource, with its subresource after a `/` (`pods/exec`).
    pub resource: &'static str,
    /// The resource is cluster-scoped: a RoleBinding never grants it (the authorizer
    /// consults RoleBindings only for requests with a namespace).
    pub cluster_scoped: bool,
}

impl Probe {
    /// A namespaced resource.
    pub(crate) const fn ns(
        verbs: &'static [&'static str],
        group: &'static str,
        resource: &'static str,
    ) -> Probe {
        Probe {
            verbs,
            group,
            resource,
            cluster_scoped: false,
        }
    }

    /// A cluster-scoped resource.
    pub(crate) const fn cluster(
        verbs: &'static [&'static str],
        group: &'static str,
        resource: &'static str,
    ) -> Probe {
        Probe {
            verbs,
            group,
            resource,
            cluster_scoped: true,
        }
    }

    /// The verbs of this probe that `rule` grants on its resource (empty: none), as
    /// `RuleAllows` would decide for a request without a name.
    fn granted_verbs(&self, rule: &Rule) -> Vec<&'static str> {
        let sub = self.resource.split_once('/').map_or("", |(_, s)| s);
        if !api_group_matches(rule, self.group) || !resource_matches(rule, self.resource, sub) {
            return Vec::new();
        }
        self.verbs
            .iter()
            .copied()
            .filter(|v| verb_matches(rule, v))
            .collect()
    }
}

/// Where a role is used: bound cluster-wide, or in one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    /// Through a ClusterRoleBinding.
    Cluster,
    /// Through a RoleBinding.
    Namespace,
}

/// The strongest grant of one risk in one role.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    /// Index of the rule in `role.rules`.
    pub rule: usize,
    /// Verbs granted (as the probe names them; `*` when the rule's verbs are `*`).
    pub verbs: Vec<&'static str>,
    /// Resources granted (`pods/exec`), in probe order.
    pub resources: Vec<&'static str>,
    /// The rule's `resourceNames`, when it is restricted to named objects.
    pub names: Vec<String>,
    /// Fields whose wildcard made the match (`resources` for `*` or `*/exec`, `apiGroups`
    /// for `*`), so that the message says why a rule that names no such resource grants it.
    pub through: Vec<&'static str>,
}

impl Grant {
    /// True when restricted by `resourceNames`.
    pub(crate) fn restricted(&self) -> bool {
        !self.names.is_empty()
    }

    /// `get/list on secrets` (with the names when restricted).
    pub(crate) fn describe(&self) -> String {
        let mut s = format!("{} on {}", self.verbs.join("/"), self.resources.join(", "));
        if !self.through.is_empty() {
            s.push_str(&format!(" (through `*` in {})", self.through.join(" and ")));
        }
        if self.restricted() {
            s.push_str(&format!(
                " (only resourceNames `{}`)",
                self.names.join("`, `")
            ));
        }
        s
    }

    /// The grant's severity: `base`, one step lower when restricted by name.
    pub(crate) fn severity(&self, base: Severity) -> Severity {
        if self.restricted() {
            lower(base)
        } else {
            base
        }
    }
}

/// One severity step lower (Info stays Info).
pub(crate) fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium => Severity::Low,
        Severity::Low | Severity::Info => Severity::Info,
    }
}

/// The strongest grant of any of `probes` in `role`'s rules usable in `scope`: the first
/// rule without `resourceNames` that grants one, else the first restricted one. The verbs
/// and resources shown are those of that rule.
pub(crate) fn strongest(role: &Role, probes: &[Probe], scope: Scope) -> Option<Grant> {
    let mut restricted: Option<Grant> = None;
    for (i, rule) in role.rules.iter().enumerate() {
        let mut verbs: Vec<&'static str> = Vec::new();
        let mut resources: Vec<&'static str> = Vec::new();
        let mut through: Vec<&'static str> = Vec::new();
        for p in probes {
            if scope == Scope::Namespace && p.cluster_scoped {
                continue;
            }
            let got = p.granted_verbs(rule);
            if got.is_empty() {
                continue;
            }
            if !resources.contains(&p.resource) {
                resources.push(p.resource);
            }
            if !rule.resources.iter().any(|r| r == p.resource) && !through.contains(&"resources") {
                through.push("resources");
            }
            if !rule.api_groups.iter().any(|g| g == p.group) && !through.contains(&"apiGroups") {
                through.push("apiGroups");
            }
            for v in got {
                if !verbs.contains(&v) {
                    verbs.push(v);
                }
            }
        }
        if verbs.is_empty() {
            continue;
        }
        if rule.verbs.iter().any(|v| v == "*") {
            verbs = vec!["*"];
        }
        let grant = Grant {
            rule: i,
            verbs,
            resources,
            names: rule.resource_names.clone(),
            through,
        };
        if !grant.restricted() {
            return Some(grant);
        }
        if restricted.is_none() {
            restricted = Some(grant);
        }
    }
    restricted
}

/// The first rule that grants every verb on every resource of every API group, on every
/// object: cluster-admin's own rule, under any name. Non-resource URLs are not required
/// (they expose health and version endpoints, not control).
pub(crate) fn full_wildcard(role: &Role) -> Option<usize> {
    role.rules.iter().position(|r| {
        let star = |list: &[String]| list.iter().any(|x| x == "*");
        star(&r.verbs) && star(&r.api_groups) && star(&r.resources) && r.resource_names.is_empty()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, RoleKind};
    use std::sync::Arc;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> Arc<Rule> {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        Arc::new(Rule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            non_resource_urls: vec![],
            location: None,
            aggregated_from: None,
        })
    }

    fn role(rules: Vec<Arc<Rule>>) -> Role {
        Role {
            kind: RoleKind::ClusterRole,
            namespace: None,
            name: Arc::from("r"),
            labels: vec![],
            rules,
            aggregation: None,
            origin: Origin::Bootstrap { version: "test" },
        }
    }

    const SECRETS: &[Probe] = &[Probe::ns(&["get", "list", "watch"], "", "secrets")];
    const EXEC: &[Probe] = &[
        Probe::ns(&["create", "get"], "", "pods/exec"),
        Probe::ns(&["create", "get"], "", "pods/attach"),
    ];
    const NODES: &[Probe] = &[Probe::cluster(&["get", "create"], "", "nodes/proxy")];

    #[test]
    fn wildcards_grant_as_the_authorizer_reads_them() {
        let star_verbs = role(vec![rule(&["*"], &[""], &["secrets"], &[])]);
        let g = strongest(&star_verbs, SECRETS, Scope::Cluster).unwrap();
        assert_eq!(g.verbs, ["*"]);
        assert!(g.through.is_empty());
        let star_resources = role(vec![rule(&["list"], &[""], &["*"], &[])]);
        let g = strongest(&star_resources, SECRETS, Scope::Cluster).unwrap();
        assert_eq!(g.describe(), "list on secrets (through `*` in resources)");
        let star_groups = role(vec![rule(&["watch"], &["*"], &["secrets"], &[])]);
        let g = strongest(&star_groups, SECRETS, Scope::Cluster).unwrap();
        assert_eq!(g.through, ["apiGroups"]);
        let other_group = role(vec![rule(&["get"], &["apps"], &["secrets"], &[])]);
        assert!(strongest(&other_group, SECRETS, Scope::Cluster).is_none());
    }

    #[test]
    fn subresources_match_exactly_or_through_star_slash() {
        let star_exec = role(vec![rule(&["create"], &[""], &["*/exec"], &[])]);
        let g = strongest(&star_exec, EXEC, Scope::Namespace).unwrap();
        assert_eq!(g.resources, ["pods/exec"]);
        // `pods/*` is a literal subresource name, and `pods` is not its subresources.
        let pods_star = role(vec![rule(&["create"], &[""], &["pods/*", "pods"], &[])]);
        assert!(strongest(&pods_star, EXEC, Scope::Namespace).is_none());
        let log_only = role(vec![rule(&["get"], &[""], &["pods/log"], &[])]);
        assert!(strongest(&log_only, EXEC, Scope::Namespace).is_none());
    }

    #[test]
    fn resource_names_make_a_weaker_grant_and_unrestricted_wins() {
        let named = role(vec![rule(&["get"], &[""], &["secrets"], &["tls"])]);
        let g = strongest(&named, SECRETS, Scope::Cluster).unwrap();
        assert!(g.restricted());
        assert_eq!(g.severity(Severity::High), Severity::Medium);
        assert!(g.describe().contains("`tls`"));
        let both = role(vec![
            rule(&["get"], &[""], &["secrets"], &["tls"]),
            rule(&["list"], &[""], &["secrets"], &[]),
        ]);
        let g = strongest(&both, SECRETS, Scope::Cluster).unwrap();
        assert_eq!((g.rule, g.restricted()), (1, false));
        assert_eq!(g.severity(Severity::High), Severity::High);
    }

    #[test]
    fn cluster_scoped_resources_need_a_cluster_binding() {
        let r = role(vec![rule(&["get"], &[""], &["nodes/proxy"], &[])]);
        assert!(strongest(&r, NODES, Scope::Cluster).is_some());
        assert!(strongest(&r, NODES, Scope::Namespace).is_none());
    }

    #[test]
    fn full_wildcard_needs_all_three_stars_and_no_names() {
        assert_eq!(
            full_wildcard(&role(vec![
                rule(&["get"], &["*"], &["*"], &[]),
                rule(&["*"], &["*"], &["*"], &[])
            ])),
            Some(1)
        );
        assert_eq!(
            full_wildcard(&role(vec![rule(&["*"], &["*"], &["*"], &["x"])])),
            None
        );
        assert_eq!(
            full_wildcard(&role(vec![rule(&["*"], &[""], &["*"], &[])])),
            None
        );
    }

    #[test]
    fn lower_steps_down_once() {
        assert_eq!(lower(Severity::Critical), Severity::High);
        assert_eq!(lower(Severity::Low), Severity::Info);
        assert_eq!(lower(Severity::Info), Severity::Info);
    }
}
