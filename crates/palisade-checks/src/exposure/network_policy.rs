//! PAL-NET-005: namespaces with workloads and no NetworkPolicy; PAL-NET-006: workloads in a
//! namespace that has NetworkPolicies, none of which selects their pods. Judged over the
//! whole input.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt};
use palisade_core::selector::{LabelSelector, Operator};
use palisade_core::yaml::Pos;
use palisade_core::{cat, Inventory, Object};
use rayon::prelude::*;

use super::{NAMESPACE_WITHOUT_NETWORK_POLICY, UNSELECTED_WORKLOAD};
use crate::cluster_read::{ClusterRead, Labels, ObjectRead, Role};
use crate::Emitter;

/// Namespaces PAL-NET-005 leaves alone (see its description).
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Kinds that count as a namespace's NetworkPolicy for PAL-NET-005 (Calico's and Antrea's
/// namespaced policies are also of kind `NetworkPolicy`).
const POLICY_KINDS: &[&str] = &["NetworkPolicy", "CiliumNetworkPolicy"];

/// Whether `obj` counts as its namespace's NetworkPolicy for PAL-NET-005 and PAL-NET-006.
pub(crate) fn is_network_policy(obj: &Object) -> bool {
    POLICY_KINDS.contains(&obj.id.kind.as_str())
}

/// The namespace an object lands in; `None` groups objects without `metadata.namespace`,
/// which land together when applied.
fn namespace(obj: &Object) -> Option<&str> {
    obj.id.namespace.as_deref().filter(|n| !n.is_empty())
}

/// The pod selector of a policy object (`podSelector` for NetworkPolicy, `endpointSelector`
/// for Cilium's). A missing or invalid selector selects nothing: the API server would not
/// accept such a policy.
fn policy_selector(obj: &Object) -> Option<LabelSelector> {
    let key = if obj.is("CiliumNetworkPolicy") {
        "endpointSelector"
    } else {
        "podSelector"
    };
    let node = obj.root.get("spec")?.get(key)?;
    LabelSelector::parse(node).ok()
}

/// `read`: what each object showed when its input was read.
pub(super) fn check(inv: &Inventory, read: &ClusterRead, em: &mut Emitter) {
    let per_namespace = em.enabled(&NAMESPACE_WITHOUT_NETWORK_POLICY);
    let per_workload = em.enabled(&UNSELECTED_WORKLOAD);
    if !per_namespace && !per_workload {
        return;
    }
    let found = Found::of(inv, read);
    if per_namespace {
        namespaces_without_policy(&found, em);
    }
    if per_workload {
        unselected_workloads(&found, em);
    }
}

/// The objects both rules read, in input order, sorted out by their records alone: on a
/// large inventory the objects themselves are out of cache by now, and most are none of
/// these.
struct Found<'o> {
    policies: Vec<&'o Object>,
    namespaces: Vec<&'o Object>,
    workloads: Vec<(&'o Object, &'o ObjectRead)>,
}

impl<'o> Found<'o> {
    fn of(inv: &'o Inventory, read: &'o ClusterRead) -> Found<'o> {
        let mut found = Found {
            policies: Vec::new(),
            namespaces: Vec::new(),
            workloads: Vec::new(),
        };
        for (obj, r) in read
            .records()
            .iter()
            .filter_map(|(i, r)| Some((inv.objects.get(*i)?, r)))
        {
            match r.role {
                Role::NetworkPolicy => found.policies.push(obj),
                Role::Namespace => found.namespaces.push(obj),
                Role::Other if r.workload => found.workloads.push((obj, r)),
                Role::Other => {}
            }
        }
        found
    }
}

fn unselected_workloads(found: &Found, em: &mut Emitter) {
    let mut parsed: HashMap<Option<&str>, Vec<Option<LabelSelector>>> = HashMap::new();
    for obj in &found.policies {
        parsed
            .entry(namespace(obj))
            .or_default()
            .push(policy_selector(obj));
    }
    // Looked up once per workload: hashed, since a B-tree search compares the namespace with
    // a dozen keys, each a cold string of another object.
    let selectors: HashMap<Option<&str>, Selectors> = parsed
        .iter()
        .map(|(ns, all)| (*ns, Selectors::new(all)))
        .collect();
    // Judged in parallel (every workload of a large inventory), reported in input order.
    let unselected: Vec<(&Object, Pos, String)> = found
        .workloads
        .par_iter()
        .filter_map(|(obj, r)| unselected(obj, &r.pod_labels, &selectors))
        .collect();
    for (obj, pos, message) in unselected {
        em.emit(&UNSELECTED_WORKLOAD, obj, pos, None, message);
    }
}

/// One namespace's policy selectors, filed so that a workload is tried only against those
/// that can select it: a selector with an `In` requirement (each `matchLabels` entry is one)
/// selects only pods whose label has one of its values, so it is filed under its first such
/// requirement's key and each of its values; the others are tried on every workload. A
/// namespace of a large inventory holds dozens of policies, each for a few workloads.
/// Invalid selectors select nothing and are left out.
struct Selectors<'s> {
    all: &'s [Option<LabelSelector>],
    /// Selectors without an `In` requirement.
    unfiled: Vec<usize>,
    /// Per label key, the selectors filed under each of its values.
    filed: Vec<(&'s str, HashMap<&'s str, Vec<usize>>)>,
}

impl<'s> Selectors<'s> {
    fn new(all: &'s [Option<LabelSelector>]) -> Selectors<'s> {
        let mut unfiled = Vec::new();
        let mut filed: Vec<(&str, HashMap<&str, Vec<usize>>)> = Vec::new();
        for (i, selector) in all.iter().enumerate() {
            let Some(selector) = selector else { continue };
            let first_in = selector
                .requirements
                .iter()
                .find(|r| r.operator == Operator::In);
            let Some(r) = first_in else {
                unfiled.push(i);
                continue;
            };
            let at = match filed.iter().position(|(k, _)| *k == r.key) {
                Some(at) => at,
                None => {
                    filed.push((&r.key, HashMap::new()));
                    filed.len() - 1
                }
            };
            if let Some((_, by_value)) = filed.get_mut(at) {
                for v in &r.values {
                    by_value.entry(v.as_str()).or_default().push(i);
                }
            }
        }
        Selectors {
            all,
            unfiled,
            filed,
        }
    }

    /// Whether any selector selects pods with these labels (what `matches` says of each;
    /// the filing only skips selectors whose `In` requirement the labels fail).
    fn any_selects(&self, labels: &Labels) -> bool {
        let selects = |i: &usize| {
            self.all
                .get(*i)
                .and_then(Option::as_ref)
                .is_some_and(|s| s.matches(|k| labels.get(k)))
        };
        self.unfiled.iter().any(selects)
            || self.filed.iter().any(|(key, by_value)| {
                labels
                    .get(key)
                    .and_then(|v| by_value.get(v))
                    .is_some_and(|candidates| candidates.iter().any(selects))
            })
    }
}

/// `key=value, key=value` for the labels written as scalars, in one exact allocation.
fn label_list(labels: &Labels) -> String {
    let (count, bytes) = labels.pairs().fold((0usize, 0), |(n, len), (k, v)| {
        (n + 1, len + k.len() + 1 + v.len())
    });
    let mut shown = String::with_capacity(bytes + ", ".len() * count.saturating_sub(1));
    for (k, v) in labels.pairs() {
        if !shown.is_empty() {
            shown.push_str(", ");
        }
        shown.push_str(k);
        shown.push('=');
        shown.push_str(v);
    }
    shown
}

/// The finding's place and message when no policy of its namespace selects `obj`'s pods.
fn unselected<'o>(
    obj: &'o Object,
    labels: &Labels,
    selectors: &HashMap<Option<&str>, Selectors>,
) -> Option<(&'o Object, Pos, String)> {
    let ns = namespace(obj);
    // No policy at all is PAL-NET-005's case.
    let policies = selectors.get(&ns)?;
    if ns.is_some_and(|n| SYSTEM_NAMESPACES.contains(&n)) {
        return None;
    }
    if policies.any_selects(labels) {
        return None;
    }
    let shown = label_list(labels);
    let pos = labels.pos.unwrap_or(obj.root.pos);
    let message = cat!(
        "no NetworkPolicy in namespace `",
        ns.unwrap_or("(none given)"),
        "` selects the pods of ",
        obj.id.kind,
        " `",
        obj.id.name,
        "` (labels: ",
        if shown.is_empty() { "none" } else { &shown },
        "): they accept traffic from every pod in the cluster"
    );
    Some((obj, pos, message))
}

fn namespaces_without_policy(found: &Found, em: &mut Emitter) {
    let with_policy: BTreeSet<Option<&str>> = found.policies.iter().map(|o| namespace(o)).collect();
    let mut namespace_objects: BTreeMap<&str, &Object> = BTreeMap::new();
    for obj in &found.namespaces {
        namespace_objects.entry(obj.id.name.as_str()).or_insert(obj);
    }
    // Grouped by hashing (every workload of a large inventory, each namespace a cold string
    // of another object), then the few namespaces put in order.
    let mut grouped: HashMap<Option<&str>, Vec<&Object>> = HashMap::new();
    for (obj, _) in &found.workloads {
        grouped.entry(namespace(obj)).or_default().push(obj);
    }
    let mut workloads: Vec<(Option<&str>, Vec<&Object>)> = grouped.into_iter().collect();
    workloads.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (ns, objs) in workloads {
        if with_policy.contains(&ns) || ns.is_some_and(|n| SYSTEM_NAMESPACES.contains(&n)) {
            continue;
        }
        let Some(first) = objs.first() else {
            continue;
        };
        let names: Vec<String> = objs
            .iter()
            .take(3)
            .map(|o| format!("{}/{}", o.id.kind, o.id.name))
            .collect();
        let more = if objs.len() > 3 {
            format!(" and {} more", objs.len() - 3)
        } else {
            String::new()
        };
        let listed = format!("{}{more}", names.join(", "));
        let (target, message) = match ns {
            Some(n) => (
                namespace_objects.get(n).copied().unwrap_or(first),
                format!(
                    "namespace `{n}` has workloads ({listed}) but no NetworkPolicy: its pods \
                     accept traffic from every pod in the cluster"
                ),
            ),
            None => (
                *first,
                format!(
                    "workloads without metadata.namespace ({listed}) have no NetworkPolicy \
                     beside them: their pods accept traffic from every pod in the cluster"
                ),
            ),
        };
        em.emit(
            &NAMESPACE_WITHOUT_NETWORK_POLICY,
            target,
            target.root.pos,
            None,
            message,
        );
    }
}

#[cfg(test)]
mod tests {
    use palisade_core::yaml::{parse_stream, Limits, Node};

    use super::*;

    /// A pool of selectors of every shape (an invalid one too), and label sets that hit,
    /// miss, lack the key, hold a non-string value or are not a mapping.
    const CASES: &str = "selectors:
- {}
- matchLabels: {app: web}
- matchLabels: {app: db, tier: back}
- matchExpressions: [{key: app, operator: In, values: [web, api]}]
- matchExpressions: [{key: tier, operator: NotIn, values: [back]}]
- matchExpressions: [{key: team, operator: Exists}]
- matchExpressions: [{key: app, operator: DoesNotExist}]
- matchExpressions: [{key: app, operator: Sideways}]
labels:
- {app: web}
- {app: db, tier: back}
- {app: api, team: t}
- {tier: front}
- {app: 5}
- {}
- 7
";

    /// Filing the selectors never changes the answer: the same as trying every selector,
    /// over every list of three selectors from the pool, on every label set and on none.
    #[test]
    fn filed_selectors_answer_as_trying_them_all() {
        let doc = parse_stream(CASES, &Limits::default())
            .documents
            .remove(0)
            .root;
        let items = |key| doc.get(key).map(Node::items).unwrap_or_default();
        let pool: Vec<Option<LabelSelector>> = items("selectors")
            .iter()
            .map(|n| LabelSelector::parse(n).ok())
            .collect();
        assert_eq!(pool.iter().flatten().count(), 7, "one selector is invalid");
        let (mut selected, mut tried) = (0, 0);
        for labels in items("labels").iter().map(Some).chain([None]) {
            for a in &pool {
                for b in &pool {
                    for c in &pool {
                        let all = [a.clone(), b.clone(), c.clone()];
                        let brute = all.iter().flatten().any(|s| s.matches_node(labels));
                        assert_eq!(
                            Selectors::new(&all).any_selects(&Labels::of(labels)),
                            brute,
                            "{all:?} on {labels:?}"
                        );
                        selected += usize::from(brute);
                        tried += 1;
                    }
                }
            }
        }
        // Both answers occur.
        assert!(selected > 0 && selected < tried);
    }
}
