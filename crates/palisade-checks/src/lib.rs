//! Palisade's built-in posture rules.
//!
//! Rules are grouped in families (one module each). Each family lists its rules' metadata
//! and provides a per-object check (usable one object at a time, as admission needs) and,
//! where a rule needs the whole picture (namespaces without NetworkPolicies), an
//! inventory-wide check. [`catalog`] is the single source of rule metadata.
//!
//! ```
//! use palisade_core::{inventory, Config, Inventory};
//!
//! let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: nginx}]\n";
//! let mut inv = Inventory::default();
//! inv.add(inventory::load_str("pod.yaml", text, &Default::default()));
//! let findings = palisade_checks::check_inventory(&inv, &Config::default());
//! let host = findings.iter().find(|f| f.rule_id == "PAL-POD-001").unwrap();
//! assert_eq!(host.location.line, 5);
//! ```

mod cluster_read;
mod data_class;
mod dockerfile;
mod exposure;
mod hardening;
mod hygiene;
mod images;
mod pod_security;
pub mod secret_scan;
mod secrets;
mod service_accounts;
mod util;

use palisade_core::{Config, Context, Finding, Inventory, Object, Rule, Workload};
use rayon::prelude::*;

pub use cluster_read::{read_ahead, ClusterRead};
pub use images::{unapproved_image, Unapproved};
pub use palisade_core::Emitter;

/// A per-object check that judges the object alone (given its workload view, computed once
/// for all families). It runs while inputs are still being loaded.
pub(crate) type ObjectCheck = fn(&Object, Option<&Workload>, &mut Emitter);

/// A per-object check that also reads what the inventory knows of the object's surroundings
/// (its ServiceAccount, its namespace's LimitRanges). It runs once the inventory is complete,
/// and on a lone object with [`Context::none`].
pub(crate) type ContextCheck = fn(&Object, Option<&Workload>, &Context, &mut Emitter);

/// A family of rules and its checks.
pub(crate) struct Checks {
    /// The family's rules, in catalog order.
    pub rules: &'static [&'static Rule],
    /// Rules judged one object at a time, on the object alone.
    pub object: Option<ObjectCheck>,
    /// Rules judged one object at a time, with its context.
    pub in_context: Option<ContextCheck>,
    /// Rules that need the whole inventory.
    pub inventory: Option<InventoryCheck>,
}

/// A family's rules over the whole inventory, given what each object showed when its input
/// was read ([`ClusterRead`], in the objects' order: the trees are out of cache by then).
pub(crate) type InventoryCheck = fn(&Inventory, &ClusterRead, &mut Emitter);

/// Every family, in catalog order.
const FAMILIES: &[&Checks] = &[
    &pod_security::CHECKS,
    &hardening::CHECKS,
    &images::CHECKS,
    &secrets::CHECKS,
    &exposure::CHECKS,
    &hygiene::CHECKS,
    &service_accounts::CHECKS,
    &data_class::CHECKS,
    &dockerfile::CHECKS,
];

/// Every rule Palisade knows, in catalog order.
pub fn catalog() -> Vec<&'static Rule> {
    FAMILIES
        .iter()
        .flat_map(|f| f.rules.iter().copied())
        .chain([&palisade_core::exceptions::EXPIRED_EXCEPTION])
        .collect()
}

/// A rule by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    catalog().into_iter().find(|r| r.id == id)
}

/// Runs every per-object rule on one object, with what is known of its surroundings
/// ([`Context::none`] for a lone object, as an admission request without a cache has).
pub fn check_object(object: &Object, context: &Context, config: &Config) -> Vec<Finding> {
    let one = std::slice::from_ref(object);
    let mut findings = check_objects(one, config);
    findings.extend(check_objects_in_context(one, context, config));
    findings
}

/// Runs the per-object rules that judge each object alone over a run of objects, in order,
/// on this thread. Callers that load inputs in parallel call this right after loading each
/// input, while its trees are still in cache; [`check_objects_in_context`] and
/// [`check_cluster`] then add the rest once the inventory is complete.
pub fn check_objects(objects: &[Object], config: &Config) -> Vec<Finding> {
    let mut em = Emitter::with_capacity(config, objects.len() * FINDINGS_PER_OBJECT);
    for object in objects {
        let workload = Workload::of(object);
        for family in FAMILIES {
            if let Some(check) = family.object {
                check(object, workload.as_ref(), &mut em);
            }
        }
    }
    em.into_findings()
}

/// Runs the per-object rules that read the object's surroundings over a run of objects.
pub fn check_objects_in_context(
    objects: &[Object],
    context: &Context,
    config: &Config,
) -> Vec<Finding> {
    let mut em = Emitter::new(config);
    for object in objects {
        let workload = Workload::of(object);
        for family in FAMILIES {
            if let Some(check) = family.in_context {
                check(object, workload.as_ref(), context, &mut em);
            }
        }
    }
    em.into_findings()
}

/// Runs only the rules that need the whole inventory (namespaces without NetworkPolicies,
/// data-class requirements on namespaces, ...).
pub fn check_cluster(inventory: &Inventory, config: &Config) -> Vec<Finding> {
    check_cluster_read(inventory, config, &ClusterRead::of(&inventory.objects))
}

/// [`check_cluster`] with what [`read_ahead`] read of every object, in inventory order (each
/// input's read appended in turn). A read of another length than the inventory is read
/// again.
pub fn check_cluster_read(
    inventory: &Inventory,
    config: &Config,
    read: &ClusterRead,
) -> Vec<Finding> {
    if read.len() != inventory.objects.len() {
        return check_cluster(inventory, config);
    }
    let mut em = Emitter::new(config);
    for family in FAMILIES {
        if let Some(check) = family.inventory {
            check(inventory, read, &mut em);
        }
    }
    em.into_findings()
}

/// Room reserved per object: typical manifests draw three to four findings per object.
const FINDINGS_PER_OBJECT: usize = 4;

/// Objects per parallel work item: large enough to amortise scheduling.
const CHUNK: usize = 256;

/// Runs every rule over an inventory: per-object rules in parallel, then inventory-wide
/// rules. Findings come back in input order.
pub fn check_inventory(inventory: &Inventory, config: &Config) -> Vec<Finding> {
    let context = Context::of(inventory);
    let parts: Vec<Vec<Finding>> = inventory
        .objects
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut part = check_objects(chunk, config);
            part.extend(check_objects_in_context(chunk, &context, config));
            part
        })
        .collect();
    // One exact allocation: large scans have hundreds of thousands of findings.
    let cluster = check_cluster(inventory, config);
    let mut findings =
        Vec::with_capacity(parts.iter().map(Vec::len).sum::<usize>() + cluster.len());
    for part in parts {
        findings.extend(part);
    }
    findings.extend(cluster);
    findings
}

/// Harness entry points for the fuzz targets in `fuzz/`; not a stable API.
#[doc(hidden)]
pub mod fuzzing {
    /// Runs the secrets detector on one (name, value) pair, as a Dockerfile `ENV` or a
    /// manifest value would be judged, and checks the promise every finding keeps: the
    /// evidence never holds a long value whole. Returns the number of detections.
    pub fn secrets_scan_value(name: Option<&str>, value: &str) -> usize {
        let found = crate::secrets::detector::scan_value(name, value);
        for d in &found {
            assert!(
                value.chars().count() < 16 || !d.evidence.contains(value),
                "evidence {:?} holds the value",
                d.evidence
            );
        }
        found.len()
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use palisade_core::inventory::{load_str, LoadLimits};
    use palisade_core::{Config, Finding};

    /// The per-object findings that one family's rules make on a manifest text.
    pub(crate) fn findings_of(text: &str, family: &crate::Checks) -> Vec<Finding> {
        let loaded = load_str("t.yaml", text, &LoadLimits::default());
        let ids: Vec<&str> = family.rules.iter().map(|r| r.id).collect();
        loaded
            .objects
            .iter()
            .flat_map(|o| {
                crate::check_object(o, &palisade_core::Context::none(), &Config::default())
            })
            .filter(|f| ids.contains(&f.rule_id.as_ref()))
            .collect()
    }

    /// Runs a family's rules over manifests of odd shapes (wrong types everywhere); the
    /// test is that nothing panics.
    pub(crate) fn survives_odd_shapes(family: &crate::Checks, texts: &[&str]) {
        for text in texts {
            let _ = findings_of(text, family);
        }
    }
}
