//! Property test: over random roles, aggregated roles and bindings, `Policy::allows` and
//! `who_can` agree with a deliberately naive evaluator written from the RBAC
//! documentation, which works on the generated data directly (no model, no index).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_rbac::{
    who_can, Attributes, Options, Policy, Query, Request, ResourceSpec, Target, UserInfo,
};
use serde_json::{json, Value};

const VERBS: &[&str] = &["get", "list", "create", "delete", "*"];
const GROUPS: &[&str] = &["", "apps", "*"];
const RESOURCES: &[&str] = &[
    "pods",
    "pods/exec",
    "deployments",
    "deployments/scale",
    "*/scale",
    "*",
    "secrets",
    "nodes",
];
const URLS: &[&str] = &["/healthz", "/api/*", "*", "/api"];
const NAMESPACES: &[&str] = &["n1", "n2"];
const USERS: &[&str] = &["u0", "u1", "u2"];
const SUBJECT_GROUPS: &[&str] = &[
    "dev",
    "ops",
    "system:authenticated",
    "system:serviceaccounts",
    "system:serviceaccounts:n1",
];
const SERVICE_ACCOUNTS: &[&str] = &["sa0", "sa1"];

#[derive(Debug, Clone)]
struct GenRule {
    verbs: Vec<String>,
    groups: Vec<String>,
    resources: Vec<String>,
    names: Vec<String>,
    urls: Vec<String>,
}

#[derive(Debug, Clone)]
struct GenRole {
    namespace: Option<String>,
    name: String,
    label: Option<&'static str>,
    /// For an aggregated ClusterRole: the label value its selector picks.
    selects: Option<&'static str>,
    rules: Vec<GenRule>,
}

#[derive(Debug, Clone)]
struct GenSubject {
    kind: &'static str,
    name: String,
    namespace: Option<String>,
}

#[derive(Debug, Clone)]
struct GenBinding {
    namespace: Option<String>,
    name: String,
    role_kind: &'static str,
    role_name: String,
    subjects: Vec<GenSubject>,
}

fn subset(rng: &mut fastrand::Rng, from: &[&str], max: usize) -> Vec<String> {
    let n = rng.usize(1..=max.min(from.len()));
    let mut out: Vec<String> = (0..n)
        .map(|_| from[rng.usize(..from.len())].to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn gen_rule(rng: &mut fastrand::Rng) -> GenRule {
    let verbs = subset(rng, VERBS, 2);
    if rng.u8(..5) == 0 {
        return GenRule {
            verbs,
            groups: vec![],
            resources: vec![],
            names: vec![],
            urls: subset(rng, URLS, 2),
        };
    }
    GenRule {
        verbs,
        groups: subset(rng, GROUPS, 2),
        resources: subset(rng, RESOURCES, 2),
        names: if rng.u8(..4) == 0 {
            vec!["x".into()]
        } else {
            vec![]
        },
        urls: vec![],
    }
}

fn gen_policy(rng: &mut fastrand::Rng) -> (Vec<GenRole>, Vec<GenBinding>) {
    let mut roles = Vec::new();
    for i in 0..rng.usize(2..6) {
        roles.push(GenRole {
            namespace: None,
            name: format!("c{i}"),
            label: [None, Some("a"), Some("b")][rng.usize(..3)],
            selects: None,
            rules: (0..rng.usize(0..3)).map(|_| gen_rule(rng)).collect(),
        });
    }
    for (i, sel) in ["a", "b"].into_iter().enumerate() {
        if rng.bool() {
            roles.push(GenRole {
                namespace: None,
                name: format!("agg{i}"),
                label: None,
                selects: Some(sel),
                rules: vec![],
            });
        }
    }
    for i in 0..rng.usize(1..4) {
        roles.push(GenRole {
            namespace: Some(NAMESPACES[rng.usize(..2)].to_string()),
            name: format!("r{i}"),
            label: None,
            selects: None,
            rules: (0..rng.usize(1..3)).map(|_| gen_rule(rng)).collect(),
        });
    }
    let cluster_names: Vec<String> = roles
        .iter()
        .filter(|r| r.namespace.is_none())
        .map(|r| r.name.clone())
        .chain(["missing".to_string()])
        .collect();
    let mut bindings = Vec::new();
    for i in 0..rng.usize(1..7) {
        let namespaced = rng.bool();
        let (role_kind, role_name) = if namespaced && rng.bool() {
            ("Role", format!("r{}", rng.usize(..3)))
        } else {
            (
                "ClusterRole",
                cluster_names[rng.usize(..cluster_names.len())].clone(),
            )
        };
        let subjects = (0..rng.usize(1..4))
            .map(|_| match rng.u8(..3) {
                0 => GenSubject {
                    kind: "User",
                    name: USERS[rng.usize(..USERS.len())].into(),
                    namespace: None,
                },
                1 => GenSubject {
                    kind: "Group",
                    name: SUBJECT_GROUPS[rng.usize(..SUBJECT_GROUPS.len())].into(),
                    namespace: None,
                },
                _ => GenSubject {
                    kind: "ServiceAccount",
                    name: SERVICE_ACCOUNTS[rng.usize(..2)].into(),
                    namespace: rng.bool().then(|| NAMESPACES[rng.usize(..2)].to_string()),
                },
            })
            .collect();
        bindings.push(GenBinding {
            namespace: namespaced.then(|| NAMESPACES[rng.usize(..2)].to_string()),
            name: format!("b{i}"),
            role_kind,
            role_name,
            subjects,
        });
    }
    (roles, bindings)
}

fn to_yaml(roles: &[GenRole], bindings: &[GenBinding]) -> String {
    let mut docs: Vec<Value> = Vec::new();
    for r in roles {
        let mut meta = json!({"name": r.name});
        if let Some(ns) = &r.namespace {
            meta["namespace"] = json!(ns);
        }
        if let Some(l) = r.label {
            meta["labels"] = json!({"agg": l});
        }
        let rules: Vec<Value> = r
            .rules
            .iter()
            .map(|x| {
                let mut v = json!({"verbs": x.verbs});
                if !x.urls.is_empty() {
                    v["nonResourceURLs"] = json!(x.urls);
                } else {
                    v["apiGroups"] = json!(x.groups);
                    v["resources"] = json!(x.resources);
                    if !x.names.is_empty() {
                        v["resourceNames"] = json!(x.names);
                    }
                }
                v
            })
            .collect();
        let kind = if r.namespace.is_some() {
            "Role"
        } else {
            "ClusterRole"
        };
        let mut doc = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": meta, "rules": rules});
        if let Some(sel) = r.selects {
            // Alternate the selector spellings: matchLabels and matchExpressions In.
            doc["aggregationRule"] = if sel == "a" {
                json!({"clusterRoleSelectors": [{"matchLabels": {"agg": sel}}]})
            } else {
                json!({"clusterRoleSelectors": [{"matchExpressions":
                    [{"key": "agg", "operator": "In", "values": [sel]}]}]})
            };
        }
        docs.push(doc);
    }
    for b in bindings {
        let mut meta = json!({"name": b.name});
        if let Some(ns) = &b.namespace {
            meta["namespace"] = json!(ns);
        }
        let subjects: Vec<Value> = b
            .subjects
            .iter()
            .map(|s| {
                let mut v = json!({"kind": s.kind, "name": s.name});
                if let Some(ns) = &s.namespace {
                    v["namespace"] = json!(ns);
                }
                v
            })
            .collect();
        let kind = if b.namespace.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        };
        docs.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": meta, "subjects": subjects,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": b.role_kind, "name": b.role_name}}));
    }
    docs.iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n---\n")
}

// ---- the naive evaluator -------------------------------------------------------------

fn naive_rule_allows(rule: &GenRule, a: &Attributes) -> bool {
    let verb = rule.verbs.iter().any(|v| v == "*" || *v == a.verb);
    match &a.target {
        Target::NonResource { path } => {
            verb && rule.urls.iter().any(|u| {
                u == "*" || u == path || (u.ends_with('*') && path.starts_with(&u[..u.len() - 1]))
            })
        }
        Target::Resource(r) => {
            let combined = if r.subresource.is_empty() {
                r.resource.clone()
            } else {
                format!("{}/{}", r.resource, r.subresource)
            };
            verb && rule.groups.iter().any(|g| g == "*" || *g == r.api_group)
                && rule.resources.iter().any(|x| {
                    x == "*"
                        || *x == combined
                        || (!r.subresource.is_empty() && *x == format!("*/{}", r.subresource))
                })
                && (rule.names.is_empty() || rule.names.contains(&r.name))
        }
    }
}

/// The rules of a role reference, aggregated roles taking their leaves' rules.
fn naive_rules<'a>(
    roles: &'a [GenRole],
    kind: &str,
    name: &str,
    ns: Option<&str>,
) -> Vec<&'a GenRule> {
    let Some(role) = roles.iter().find(|r| {
        r.name == name
            && match kind {
                "Role" => r.namespace.as_deref() == ns && ns.is_some(),
                _ => r.namespace.is_none(),
            }
    }) else {
        return vec![];
    };
    match role.selects {
        Some(sel) => roles
            .iter()
            .filter(|r| r.namespace.is_none() && r.label == Some(sel))
            .flat_map(|r| r.rules.iter())
            .collect(),
        None => role.rules.iter().collect(),
    }
}

fn naive_subject_matches(s: &GenSubject, user: &UserInfo, binding_ns: Option<&str>) -> bool {
    match s.kind {
        "User" => s.name == user.name,
        "Group" => user.groups.contains(&s.name),
        _ => match s.namespace.as_deref().or(binding_ns) {
            Some(ns) => user.name == format!("system:serviceaccount:{ns}:{}", s.name),
            None => false,
        },
    }
}

fn naive_allows(roles: &[GenRole], bindings: &[GenBinding], req: &Request) -> bool {
    bindings.iter().any(|b| {
        let in_scope = match &b.namespace {
            None => true,
            Some(ns) => *ns == req.attributes.namespace,
        };
        in_scope
            && b.subjects
                .iter()
                .any(|s| naive_subject_matches(s, &req.user, b.namespace.as_deref()))
            && naive_rules(roles, b.role_kind, &b.role_name, b.namespace.as_deref())
                .iter()
                .any(|r| naive_rule_allows(r, &req.attributes))
    })
}

type GrantRow = (String, Option<String>, String, String, Option<String>);

fn naive_who_can(roles: &[GenRole], bindings: &[GenBinding], q: &Query) -> BTreeSet<GrantRow> {
    let mut out = BTreeSet::new();
    let non_resource = matches!(q.resource, ResourceSpec::NonResource { .. });
    // Requests for nodes carry no namespace: across namespaces no RoleBinding grants them.
    let nodes = matches!(&q.resource, ResourceSpec::Resource { api_group, resource, .. }
        if api_group.is_empty() && resource == "nodes");
    for b in bindings {
        let in_scope = match (&b.namespace, &q.namespace) {
            (None, _) => true,
            (Some(_), _) if non_resource => false,
            (Some(ns), Some(qns)) => ns == qns,
            (Some(_), None) => !nodes,
        };
        let attrs = q.attributes(b.namespace.as_deref().unwrap_or("x"));
        if !in_scope
            || !naive_rules(roles, b.role_kind, &b.role_name, b.namespace.as_deref())
                .iter()
                .any(|r| naive_rule_allows(r, &attrs))
        {
            continue;
        }
        for s in &b.subjects {
            let ns = match s.kind {
                "ServiceAccount" => match s.namespace.clone().or(b.namespace.clone()) {
                    Some(ns) => Some(ns),
                    None => continue,
                },
                _ => None,
            };
            out.insert((
                s.kind.to_string(),
                ns,
                s.name.clone(),
                b.name.clone(),
                b.namespace.clone(),
            ));
        }
    }
    out
}

// ---- random requests -----------------------------------------------------------------

fn gen_user(rng: &mut fastrand::Rng) -> UserInfo {
    if rng.bool() {
        let mut groups: Vec<String> = ["dev", "ops"]
            .into_iter()
            .filter(|_| rng.bool())
            .map(String::from)
            .collect();
        groups.push("system:authenticated".into());
        UserInfo {
            name: USERS[rng.usize(..USERS.len())].into(),
            groups,
        }
    } else {
        let ns = NAMESPACES[rng.usize(..2)];
        UserInfo {
            name: format!(
                "system:serviceaccount:{ns}:{}",
                SERVICE_ACCOUNTS[rng.usize(..2)]
            ),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".into(),
            ],
        }
    }
}

fn gen_resource(rng: &mut fastrand::Rng) -> ResourceSpec {
    if rng.u8(..4) == 0 {
        return ResourceSpec::NonResource {
            path: ["/healthz", "/api", "/api/v1", "/apis"][rng.usize(..4)].into(),
        };
    }
    ResourceSpec::Resource {
        api_group: ["", "apps", "extensions"][rng.usize(..3)].into(),
        resource: ["pods", "deployments", "secrets", "nodes"][rng.usize(..4)].into(),
        subresource: ["", "", "exec", "scale"][rng.usize(..4)].into(),
        resolved_from: None,
    }
}

fn gen_query(rng: &mut fastrand::Rng) -> Query {
    Query {
        verb: ["get", "list", "create", "delete", "patch"][rng.usize(..5)].into(),
        resource: gen_resource(rng),
        namespace: [None, Some("n1".to_string()), Some("n2".to_string())][rng.usize(..3)].clone(),
        name: [None, None, Some("x".to_string()), Some("y".to_string())][rng.usize(..4)].clone(),
    }
}

#[test]
fn allows_and_who_can_match_a_naive_evaluator() {
    let options = Options {
        bootstrap: false,
        ..Default::default()
    };
    let mut checked = (0usize, 0usize, 0usize);
    for seed in 0..400u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let (roles, bindings) = gen_policy(&mut rng);
        let text = to_yaml(&roles, &bindings);
        let loaded = load_str("gen.yaml", &text, &LoadLimits::default());
        assert!(loaded.errors.is_empty(), "seed {seed}: {:?}", loaded.errors);
        let policy = Policy::from_objects(&loaded.objects, &options);
        for _ in 0..40 {
            let q = gen_query(&mut rng);
            let namespace = q.namespace.clone().unwrap_or_default();
            let req = Request {
                user: gen_user(&mut rng),
                attributes: q.attributes(&namespace),
            };
            let got = policy.allows(&req).is_allowed();
            let want = naive_allows(&roles, &bindings, &req);
            assert_eq!(got, want, "seed {seed}: {req:?}\n{text}");
            checked.0 += 1;
            checked.2 += usize::from(got);

            let naive = naive_who_can(&roles, &bindings, &q);
            let fast: BTreeSet<GrantRow> = who_can(&policy, &q)
                .into_iter()
                .flat_map(|g| {
                    g.via
                        .into_iter()
                        .map(move |v| {
                            (
                                g.subject.kind.as_str().to_string(),
                                g.subject.namespace.clone(),
                                g.subject.name.clone(),
                                v.binding.name.to_string(),
                                v.binding.namespace.as_deref().map(str::to_string),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(fast, naive, "seed {seed}: {q:?}\n{text}");
            checked.1 += naive.len();
        }
    }
    // The generator must exercise both answers, not just "no".
    assert!(
        checked.2 > 500,
        "only {} allowed of {}",
        checked.2,
        checked.0
    );
    assert!(checked.1 > 2000, "only {} grants", checked.1);
}
