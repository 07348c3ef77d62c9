//! Drawing random, API-valid RBAC objects.
//!
//! Validity follows upstream's `ValidatePolicyRule`, `ValidateClusterRole` and
//! `ValidateRoleBindingSubject` (pkg/apis/rbac/validation): every rule has verbs; a resource rule
//! has API groups and resources; a non-resource rule has only URLs and verbs and appears in
//! ClusterRoles only; an aggregation rule has at least one selector; User and Group subjects carry
//! the RBAC API group, ServiceAccount subjects none, and a ClusterRoleBinding's ServiceAccount
//! subject names its namespace (a RoleBinding's may leave it to the binding's namespace).

use fastrand::Rng;

use super::model::{BindingObj, BindingSubject, Requirement, RoleObj, RoleRef, Rule, Selector};
use super::universe::*;

/// All objects of a corpus, in the order they are applied.
pub(crate) struct Objects {
    pub roles: Vec<RoleObj>,
    pub cluster_roles: Vec<RoleObj>,
    pub bindings: Vec<BindingObj>,
    /// Names of the generated aggregated ClusterRoles.
    pub aggregated: Vec<String>,
}

/// A random element; `items` must not be empty (callers pass constants or vectors they checked).
pub(crate) fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

pub(crate) fn chance(rng: &mut Rng, percent: u32) -> bool {
    rng.u32(..100) < percent
}

/// Draws `size` RBAC objects (at least a handful).
pub(crate) fn objects(rng: &mut Rng, size: usize) -> Objects {
    let size = size.max(12);
    let n_agg = (size / 30).max(1);
    let rest = size - 2 * n_agg;
    let n_roles = rest * 25 / 100;
    let n_cluster = rest * 20 / 100;
    let n_crb = rest * 20 / 100;
    let n_rb = rest - n_roles - n_cluster - n_crb;

    let mut roles = Vec::new();
    for i in 0..n_roles {
        let ns = *pick(rng, &NAMESPACES);
        let n_rules = rng.usize(0..=4);
        roles.push(RoleObj {
            namespace: Some(ns.to_owned()),
            name: format!("gen-role-{i}"),
            rules: rules(rng, n_rules, false),
            ..RoleObj::default()
        });
    }

    let mut cluster_roles = Vec::new();
    let mut aggregated = Vec::new();
    for k in 0..n_agg {
        let name = format!("gen-agg-{k}");
        let mut labels = Vec::new();
        // Chains: an aggregated role may itself be aggregated into a later one (never an earlier
        // one, so there is no cycle).
        if k + 1 < n_agg && chance(rng, 30) {
            labels.push((aggregate_label(rng.usize(k + 1..n_agg)), "true".to_owned()));
        }
        cluster_roles.push(RoleObj {
            name: name.clone(),
            labels,
            rules: Some(Vec::new()),
            aggregation: Some(selectors(rng, k, n_agg)),
            ..RoleObj::default()
        });
        aggregated.push(name);
        // A source every aggregated role selects (its first selector matches this label alone and
        // NotIn matches a missing key), so each one is guaranteed to fill.
        let n_rules = rng.usize(1..=3);
        cluster_roles.push(RoleObj {
            name: format!("gen-agg-{k}-base"),
            labels: vec![(aggregate_label(k), "true".to_owned())],
            rules: Some((0..n_rules).map(|_| resource_rule(rng)).collect()),
            ..RoleObj::default()
        });
    }
    for i in 0..n_cluster {
        let mut labels = Vec::new();
        if chance(rng, 40) {
            labels.push((aggregate_label(rng.usize(..n_agg)), "true".to_owned()));
            if chance(rng, 50) {
                labels.push((TIER_LABEL.to_owned(), (*pick(rng, &TIERS)).to_owned()));
            }
        }
        if chance(rng, 5) {
            labels.push((
                (*pick(rng, &BUILTIN_AGGREGATE_LABELS)).to_owned(),
                "true".to_owned(),
            ));
        }
        let n_rules = rng.usize(0..=4);
        cluster_roles.push(RoleObj {
            name: format!("gen-crole-{i}"),
            labels,
            rules: rules(rng, n_rules, true),
            ..RoleObj::default()
        });
    }

    let mut bindings = Vec::new();
    for i in 0..n_rb {
        let ns = *pick(rng, &NAMESPACES);
        let role_ref = role_ref(rng, Some(ns), &roles, &cluster_roles);
        bindings.push(BindingObj {
            namespace: Some(ns.to_owned()),
            name: format!("gen-rb-{i}"),
            role_ref,
            subjects: subjects(rng, false),
        });
    }
    for i in 0..n_crb {
        let role_ref = role_ref(rng, None, &roles, &cluster_roles);
        bindings.push(BindingObj {
            namespace: None,
            name: format!("gen-crb-{i}"),
            role_ref,
            subjects: subjects(rng, true),
        });
    }
    Objects {
        roles,
        cluster_roles,
        bindings,
        aggregated,
    }
}

/// `n` rules (`None`, i.e. no `rules` key, now and then when `n` is 0).
fn rules(rng: &mut Rng, n: usize, cluster: bool) -> Option<Vec<Rule>> {
    if n == 0 && chance(rng, 50) {
        return None;
    }
    let out = (0..n)
        .map(|_| {
            if cluster && chance(rng, 20) {
                non_resource_rule(rng)
            } else {
                resource_rule(rng)
            }
        })
        .collect();
    Some(out)
}

fn some_of(rng: &mut Rng, items: &[&str], max: usize) -> Vec<String> {
    let n = rng.usize(1..=max);
    let mut out: Vec<String> = Vec::new();
    for _ in 0..n {
        let item = (*pick(rng, items)).to_owned();
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

pub(crate) fn resource_rule(rng: &mut Rng) -> Rule {
    let api_groups = if chance(rng, 10) {
        vec!["*".to_owned()]
    } else {
        some_of(rng, &API_GROUPS, 2)
    };
    // Resources come from the first group's list (or any group's under `*`), plus wildcard forms.
    let group_index = API_GROUPS
        .iter()
        .position(|g| api_groups.first().map(String::as_str) == Some(*g))
        .unwrap_or_else(|| rng.usize(..API_GROUPS.len()));
    let mut resources = Vec::new();
    for _ in 0..rng.usize(1..=3) {
        let r = match rng.u32(..100) {
            0..=5 => "*".to_owned(),
            6..=16 => format!("*/{}", pick(rng, &["scale", "status", "exec"])),
            // Not a wildcard: RBAC matches only a literal "*" subresource with it.
            17..=18 => "pods/*".to_owned(),
            // The subresources that matter most, whatever the rule's groups.
            19..=23 => "pods/exec".to_owned(),
            24..=26 => "deployments/scale".to_owned(),
            _ => {
                let (name, subs) = *pick(rng, RESOURCES[group_index]);
                if !subs.is_empty() && chance(rng, 30) {
                    format!("{name}/{}", pick(rng, subs))
                } else {
                    name.to_owned()
                }
            }
        };
        if !resources.contains(&r) {
            resources.push(r);
        }
    }
    let verbs = if chance(rng, 8) {
        vec!["*".to_owned()]
    } else {
        some_of(rng, &VERBS, 4)
    };
    let resource_names = if chance(rng, 20) {
        some_of(rng, &NAMES, 2)
    } else {
        Vec::new()
    };
    Rule {
        api_groups,
        resources,
        verbs,
        resource_names,
        non_resource_urls: Vec::new(),
    }
}

fn non_resource_rule(rng: &mut Rng) -> Rule {
    let non_resource_urls = if chance(rng, 10) {
        vec!["*".to_owned()]
    } else {
        some_of(rng, &URLS, 2)
    };
    let verbs = if chance(rng, 20) {
        vec!["*".to_owned()]
    } else {
        some_of(rng, &HTTP_VERBS, 2)
    };
    Rule {
        non_resource_urls,
        verbs,
        ..Rule::default()
    }
}

/// Selectors of aggregated role `k`: the first always matches its label alone (sometimes ANDed with
/// a `NotIn` on the tier, which a missing tier satisfies); more selectors are ORed in.
fn selectors(rng: &mut Rng, k: usize, n_agg: usize) -> Vec<Selector> {
    let mut first = Selector {
        match_labels: vec![(aggregate_label(k), "true".to_owned())],
        ..Selector::default()
    };
    if chance(rng, 25) {
        first.match_expressions.push(Requirement {
            key: TIER_LABEL.to_owned(),
            operator: "NotIn",
            values: vec![(*pick(rng, &TIERS)).to_owned()],
        });
    }
    let mut out = vec![first];
    if chance(rng, 40) {
        let operator = *pick(rng, &["In", "Exists"]);
        let values = if operator == "In" {
            some_of(rng, &TIERS, 2)
        } else {
            Vec::new()
        };
        let mut second = Selector {
            match_expressions: vec![Requirement {
                key: TIER_LABEL.to_owned(),
                operator,
                values,
            }],
            ..Selector::default()
        };
        // Restrict it to some aggregation label, or it would pull in any tiered role.
        second
            .match_labels
            .push((aggregate_label(rng.usize(..n_agg)), "true".to_owned()));
        out.push(second);
    }
    out
}

fn role_ref(rng: &mut Rng, ns: Option<&str>, roles: &[RoleObj], cluster: &[RoleObj]) -> RoleRef {
    let local: Vec<&RoleObj> = roles
        .iter()
        .filter(|r| r.namespace.as_deref() == ns)
        .collect();
    let roll = rng.u32(..100);
    match (ns, roll) {
        // A Role in the binding's namespace.
        (Some(_), 0..=44) if !local.is_empty() => RoleRef {
            cluster: false,
            name: pick(rng, &local).name.clone(),
        },
        // A Role that lives in another namespace, or nowhere: the binding grants nothing.
        (Some(_), 45..=49) if !roles.is_empty() => RoleRef {
            cluster: false,
            name: pick(rng, roles).name.clone(),
        },
        // Bootstrap roles: any of them in a namespace, only `view` cluster-wide (a cluster-wide
        // `cluster-admin` or `edit` would answer most questions by itself).
        (Some(_), 50..=52) => RoleRef {
            cluster: true,
            name: (*pick(rng, &BUILTIN_CLUSTER_ROLES)).to_owned(),
        },
        (None, 50..=52) => RoleRef {
            cluster: true,
            name: "view".to_owned(),
        },
        (_, 56..=58) => RoleRef {
            cluster: true,
            name: "gen-missing".to_owned(),
        },
        _ if !cluster.is_empty() => RoleRef {
            cluster: true,
            name: pick(rng, cluster).name.clone(),
        },
        _ => RoleRef {
            cluster: true,
            name: "view".to_owned(),
        },
    }
}

fn subjects(rng: &mut Rng, cluster_binding: bool) -> Vec<BindingSubject> {
    (0..rng.usize(1..=3))
        .map(|_| subject(rng, cluster_binding))
        .collect()
}

fn subject(rng: &mut Rng, cluster_binding: bool) -> BindingSubject {
    let group = |name: String| BindingSubject {
        kind: "Group",
        name,
        namespace: None,
    };
    match rng.u32(..100) {
        0..=34 => BindingSubject {
            kind: "User",
            name: pick(rng, &USERS).0.to_owned(),
            namespace: None,
        },
        // A service account named as a User: it matches the account's user name exactly.
        35..=37 => {
            let (ns, name) = *pick(rng, &SERVICE_ACCOUNTS);
            BindingSubject {
                kind: "User",
                name: format!("system:serviceaccount:{}:{name}", NAMESPACES[ns]),
                namespace: None,
            }
        }
        38..=62 => group((*pick(rng, &GROUPS)).to_owned()),
        // The implicit groups cover every subject: kept rare, or they would grant most questions.
        63 => group("system:authenticated".to_owned()),
        64 => group("system:serviceaccounts".to_owned()),
        65..=69 => group(format!("system:serviceaccounts:{}", pick(rng, &NAMESPACES))),
        70 => group("system:unauthenticated".to_owned()),
        _ => {
            let (ns, name) = *pick(rng, &SERVICE_ACCOUNTS);
            // Sometimes the namespace is drawn independently (an account that does not exist), and
            // in a RoleBinding sometimes left out (it defaults to the binding's namespace).
            let ns = if chance(rng, 15) {
                *pick(rng, &NAMESPACES)
            } else {
                NAMESPACES[ns]
            };
            let namespace = if !cluster_binding && chance(rng, 25) {
                None
            } else {
                Some(ns.to_owned())
            };
            BindingSubject {
                kind: "ServiceAccount",
                name: name.to_owned(),
                namespace,
            }
        }
    }
}
