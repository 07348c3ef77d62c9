//! The network rules of `palisade scan` (`PAL-NET-008`..`PAL-NET-017`): default-deny
//! coverage, policies that select nothing or allow everything, egress anywhere, exposure
//! from outside, sensitive ports, data classes, and the policies' diagnostics as findings.
//!
//! [`check`] builds the [`Model`] once per scan; the connectivity questions are asked per
//! destination ([`crate::exposure::reachers`]) for the few workloads that need them, never
//! as a whole matrix, and not at all when their rules are turned off.

mod policies;
pub(crate) mod ports;
mod reachability;
mod rules;

use std::sync::Arc;

use foldhash::HashMap;
use palisade_core::{Config, Emitter, Finding, Inventory, Object, ObjectRef, Rule};

use crate::exposure::services::ServiceRead;
use crate::model::{Model, PerObjectRead};
use crate::others;
use ports::PortPlaces;

pub use rules::{
    ALLOWS_ALL_INGRESS, CLASSIFIED_REACHABLE, EGRESS_ANYWHERE, ENTRY_UNPROTECTED,
    NO_DEFAULT_DENY_EGRESS, NO_DEFAULT_DENY_INGRESS, POLICY_PART_INERT, POLICY_REJECTED,
    SELECTS_NOTHING, SENSITIVE_REACHABLE,
};

/// Namespaces the default-deny rules leave alone, as PAL-NET-005 does: the distribution
/// manages them, and their host-network components are outside NetworkPolicy's reach.
pub(crate) const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Every rule [`check`] may report, in id order.
pub fn catalog() -> Vec<&'static Rule> {
    rules::RULES.to_vec()
}

/// The input's objects, found again from the references the model keeps.
pub(crate) struct Objects<'o> {
    by_ref: HashMap<usize, &'o Object>,
}

impl<'o> Objects<'o> {
    fn new(objects: &'o [Object]) -> Self {
        Objects {
            by_ref: objects
                .iter()
                .map(|o| (Arc::as_ptr(&o.id) as usize, o))
                .collect(),
        }
    }

    /// The object a model item points at (`None` for synthesized references, such as the
    /// controller named by grouped Pods).
    pub fn get(&self, id: &Arc<ObjectRef>) -> Option<&'o Object> {
        self.by_ref.get(&(Arc::as_ptr(id) as usize)).copied()
    }
}

/// Runs the network rules over a whole input.
pub fn check(inventory: &Inventory, config: &Config) -> Vec<Finding> {
    check_with(
        inventory,
        config,
        Model::from_objects,
        PortPlaces::FromTrees,
        None,
    )
}

/// What [`check`] reads from each object alone, for a scan to read while the objects' trees
/// are still in cache: the workloads, the NetworkPolicies, the container ports' places and
/// the Services ([`PerObjectRead::of`]). `None` when every network rule is turned off.
pub fn read_ahead(objects: &[Object], config: &Config) -> Option<PerObjectRead> {
    let em = Emitter::new(config);
    rules::RULES
        .iter()
        .any(|r| em.enabled(r))
        .then(|| PerObjectRead::of(objects))
}

/// [`check`] with what [`read_ahead`] read from every run of the inventory's objects, joined
/// in order ([`PerObjectRead::append`]): the same findings.
pub fn check_read(inventory: &Inventory, config: &Config, mut read: PerObjectRead) -> Vec<Finding> {
    let places = PortPlaces::read_ahead(&inventory.objects, read.take_port_places());
    let services = read.take_services();
    let others = others::at(&inventory.objects, &read.take_others());
    check_with(
        inventory,
        config,
        |objects| Model::from_read(objects, &others, read),
        places,
        Some((services, &others)),
    )
}

/// What the entry points are read from when a scan read ahead: the Services, each with its
/// index in the objects, and the objects [`crate::others`] lists.
type EntryRead<'r, 'o> = (Vec<(usize, ServiceRead)>, &'r [&'o Object]);

fn check_with(
    inventory: &Inventory,
    config: &Config,
    model: impl FnOnce(&[Object]) -> Model,
    places: PortPlaces,
    read: Option<EntryRead>,
) -> Vec<Finding> {
    let mut em = Emitter::new(config);
    if !rules::RULES.iter().any(|r| em.enabled(r)) {
        return Vec::new();
    }
    let model = model(&inventory.objects);
    let objects = Objects::new(&inventory.objects);
    // The policy rules and the reachability rules only read the model: side by side, each
    // with its own emitter (the engine sorts the findings afterwards).
    let mut reach = Emitter::new(config);
    rayon::join(
        || policies::check(&model, &inventory.objects, &objects, &mut em),
        || {
            let all = &inventory.objects;
            reachability::check(&model, all, &objects, &places, read, &mut reach);
        },
    );
    let mut findings = em.into_findings();
    findings.extend(reach.into_findings());
    // Freeing a large model (hundreds of thousands of small allocations) would hold up the
    // report on this thread; the pool frees it while the scan goes on. (Not freeing it at
    // all, in a process about to exit, was slower: the memory it leaves taken must come
    // fresh from the kernel for what the scan allocates next.)
    rayon::spawn(move || drop((model, places)));
    findings
}
