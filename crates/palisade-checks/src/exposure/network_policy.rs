//! PAL-NET-005: namespaces with workloads and no NetworkPolicy, judged over the whole input.

use std::collections::{BTreeMap, BTreeSet};

use palisade_core::{Inventory, Object, Workload};

use super::NAMESPACE_WITHOUT_NETWORK_POLICY;
use crate::Emitter;

/// Namespaces PAL-NET-005 leaves alone (see its description).
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Kinds that count as a namespace's NetworkPolicy for PAL-NET-005 (Calico's and Antrea's
/// namespaced policies are also of kind `NetworkPolicy`).
const POLICY_KINDS: &[&str] = &["NetworkPolicy", "CiliumNetworkPolicy"];

pub(super) fn check(inv: &Inventory, em: &mut Emitter) {
    if !em.enabled(&NAMESPACE_WITHOUT_NETWORK_POLICY) {
        return;
    }
    // `None` groups objects without metadata.namespace: they land together when applied.
    let mut with_policy: BTreeSet<Option<&str>> = BTreeSet::new();
    let mut workloads: BTreeMap<Option<&str>, Vec<&Object>> = BTreeMap::new();
    let mut namespace_objects: BTreeMap<&str, &Object> = BTreeMap::new();
    for obj in &inv.objects {
        let ns = obj.id.namespace.as_deref().filter(|n| !n.is_empty());
        if POLICY_KINDS.contains(&obj.id.kind.as_str()) {
            with_policy.insert(ns);
        } else if obj.is("Namespace") && obj.id.api_version == "v1" {
            namespace_objects.entry(obj.id.name.as_str()).or_insert(obj);
        } else if Workload::of(obj).is_some() {
            workloads.entry(ns).or_default().push(obj);
        }
    }
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
