//! The [`Analyzer`] trait: what an analyzer crate registers with the engine.

use palisade_core::{Config, Context, Finding, Inventory, Object, Rule};

/// One source of findings: the built-in checks today; RBAC, network policy and user
/// policies (Rego, CEL) as their crates land. Analyzers are pure: no I/O, no printing.
///
/// An analyzer has two optional halves. Per-object rules judge one object at a time, with
/// what the inventory knows of its surroundings (an admission request calls only these, with
/// whatever context its cache holds). Inventory-wide analyses see every object at once.
pub trait Analyzer: Send + Sync {
    /// Short name (`checks`, `rbac`, ...), for docs and timings.
    fn name(&self) -> &'static str;

    /// Every rule this analyzer may report, in catalog order.
    fn rules(&self) -> Vec<&'static Rule>;

    /// Per-object rules over a run of objects, in order, on the calling thread. The engine
    /// calls this on chunks of the inventory in parallel.
    fn check_objects(
        &self,
        objects: &[Object],
        context: &Context,
        config: &Config,
    ) -> Vec<Finding> {
        let _ = (objects, context, config);
        Vec::new()
    }

    /// Rules that need the whole inventory.
    fn check_inventory(&self, inventory: &Inventory, config: &Config) -> Vec<Finding> {
        let _ = (inventory, config);
        Vec::new()
    }
}

/// The built-in posture rules of `palisade-checks`.
pub struct BuiltinChecks;

impl Analyzer for BuiltinChecks {
    fn name(&self) -> &'static str {
        "checks"
    }

    fn rules(&self) -> Vec<&'static Rule> {
        palisade_checks::catalog()
    }

    fn check_objects(
        &self,
        objects: &[Object],
        context: &Context,
        config: &Config,
    ) -> Vec<Finding> {
        palisade_checks::check_objects(objects, context, config)
    }

    fn check_inventory(&self, inventory: &Inventory, config: &Config) -> Vec<Finding> {
        palisade_checks::check_cluster(inventory, config)
    }
}
