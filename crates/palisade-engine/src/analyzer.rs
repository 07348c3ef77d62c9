//! The [`Analyzer`] trait: what an analyzer crate registers with the engine.

use std::any::Any;

use palisade_core::{Config, Context, Finding, Inventory, LoadError, LoadNote, Object, Rule};

/// What an inventory-wide analysis found: findings, and the problems it met on the way (a
/// user policy that failed on an object), reported beside the load errors and notes.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Findings.
    pub findings: Vec<Finding>,
    /// Analyses that could not be done, with their place.
    pub errors: Vec<LoadError>,
    /// Things worth knowing; nothing was skipped.
    pub notes: Vec<LoadNote>,
}

/// What an analyzer read from a run of objects ahead of its inventory-wide analysis
/// ([`Analyzer::read_ahead`]); only the analyzer that made it knows its type.
pub type ReadAhead = Box<dyn Any + Send>;

/// One source of findings: the built-in checks today; RBAC, network policy and user
/// policies (Rego, CEL) as their crates land. Analyzers are pure: no I/O, no printing.
///
/// Every half is optional. Per-object rules come in two kinds: those that judge an object
/// alone ([`Analyzer::check_objects`]), which the engine runs on each input as soon as it is
/// parsed, and those that also read the object's surroundings
/// ([`Analyzer::check_in_context`]), which run once the inventory is complete (or on a lone
/// object with [`Context::none`], as an admission request without a cache has).
/// Inventory-wide analyses ([`Analyzer::check_inventory`]) see every object at once.
pub trait Analyzer: Send + Sync {
    /// Short name (`checks`, `rbac`, ...), for docs and timings.
    fn name(&self) -> &'static str;

    /// Every rule this analyzer may report, in catalog order.
    fn rules(&self) -> Vec<&'static Rule>;

    /// Per-object rules that judge each object alone, over a run of objects, in order, on the
    /// calling thread.
    fn check_objects(&self, objects: &[Object], config: &Config) -> Vec<Finding> {
        let _ = (objects, config);
        Vec::new()
    }

    /// Per-object rules that also read the object's [`Context`].
    fn check_in_context(
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

    /// [`Analyzer::check_inventory`] with the problems met on the way; what the engine
    /// calls. Analyzers that can fail on part of the input override this one.
    fn analyze_inventory(&self, inventory: &Inventory, config: &Config) -> Analysis {
        self.check_inventory(inventory, config).into()
    }

    /// How long [`Analyzer::analyze_inventory`] takes next to the other analyzers' (a relative
    /// figure, 1 by default): the engine starts the longest first, so that the others fill the
    /// second core around it instead of leaving it to run alone at the end.
    fn inventory_weight(&self) -> u32 {
        1
    }

    /// Reads what the inventory-wide analysis needs from each object alone, on one input's
    /// objects: a scan calls it right after the input is parsed, while the trees are still in
    /// cache, and hands the results to [`Analyzer::analyze_read`]. `None` (the default):
    /// nothing to read ahead.
    fn read_ahead(&self, objects: &[Object], config: &Config) -> Option<ReadAhead> {
        let _ = (objects, config);
        None
    }

    /// [`Analyzer::analyze_inventory`] given what [`Analyzer::read_ahead`] read from every
    /// input, each with the index of the input's first object in the inventory. It must give
    /// the same analysis; the default ignores what was read.
    fn analyze_read(
        &self,
        inventory: &Inventory,
        config: &Config,
        read: Vec<(usize, ReadAhead)>,
    ) -> Analysis {
        let _ = read;
        self.analyze_inventory(inventory, config)
    }
}

/// The built-in posture rules of `palisade-checks`.
pub struct BuiltinChecks;

impl Analyzer for BuiltinChecks {
    fn name(&self) -> &'static str {
        "checks"
    }

    /// Measured on a 50,000-object inventory: about twice RBAC's, a third of the network's.
    fn inventory_weight(&self) -> u32 {
        2
    }

    fn rules(&self) -> Vec<&'static Rule> {
        palisade_checks::catalog()
    }

    fn check_objects(&self, objects: &[Object], config: &Config) -> Vec<Finding> {
        palisade_checks::check_objects(objects, config)
    }

    fn check_in_context(
        &self,
        objects: &[Object],
        context: &Context,
        config: &Config,
    ) -> Vec<Finding> {
        palisade_checks::check_objects_in_context(objects, context, config)
    }

    fn check_inventory(&self, inventory: &Inventory, config: &Config) -> Vec<Finding> {
        palisade_checks::check_cluster(inventory, config)
    }

    /// What the inventory-wide rules read of each object (workload, pod labels, data-class
    /// labels), read while each input is in cache.
    fn read_ahead(&self, objects: &[Object], _config: &Config) -> Option<ReadAhead> {
        Some(Box::new(palisade_checks::read_ahead(objects)))
    }

    fn analyze_read(
        &self,
        inventory: &Inventory,
        config: &Config,
        read: Vec<(usize, ReadAhead)>,
    ) -> Analysis {
        use palisade_checks::ClusterRead;
        match join_records(
            read,
            ClusterRead::len,
            ClusterRead::reserve,
            ClusterRead::append,
        ) {
            Some(all) => palisade_checks::check_cluster_read(inventory, config, &all).into(),
            None => self.analyze_inventory(inventory, config),
        }
    }
}

/// The RBAC analysis of `palisade-rbac`: risky permissions judged from the effective grants
/// of the whole inventory (with the Kubernetes bootstrap roles), reported on the bindings
/// and workloads that carry them, and bad RBAC input.
pub struct RbacAnalyzer;

impl Analyzer for RbacAnalyzer {
    fn name(&self) -> &'static str {
        "rbac"
    }

    fn rules(&self) -> Vec<&'static Rule> {
        palisade_rbac::catalog()
    }

    fn check_inventory(&self, inventory: &Inventory, config: &Config) -> Vec<Finding> {
        palisade_rbac::check_inventory(inventory, config)
    }

    /// Each workload's service account, and where the RBAC objects and ServiceAccounts are,
    /// read while each input is in cache.
    fn read_ahead(&self, objects: &[Object], _config: &Config) -> Option<ReadAhead> {
        Some(Box::new(palisade_rbac::read_ahead(objects)))
    }

    fn analyze_read(
        &self,
        inventory: &Inventory,
        config: &Config,
        read: Vec<(usize, ReadAhead)>,
    ) -> Analysis {
        use palisade_rbac::WorkloadAccounts;
        match join_records(
            read,
            WorkloadAccounts::len,
            WorkloadAccounts::reserve,
            WorkloadAccounts::append,
        ) {
            Some(all) => palisade_rbac::check_inventory_read(inventory, config, Some(&all)).into(),
            None => self.analyze_inventory(inventory, config),
        }
    }
}

use palisade_netpol::PerObjectRead;

/// The network analysis of `palisade-netpol`: default-deny coverage, wide-open policies,
/// exposure from outside, sensitive ports and data classes (`PAL-NET-008`..`017`). The
/// connectivity model is built once per scan, from the whole inventory.
pub struct NetpolAnalyzer;

impl Analyzer for NetpolAnalyzer {
    fn name(&self) -> &'static str {
        "netpol"
    }

    /// The connectivity model and its questions: the longest analysis of a scan.
    fn inventory_weight(&self) -> u32 {
        5
    }

    fn rules(&self) -> Vec<&'static Rule> {
        palisade_netpol::scan::catalog()
    }

    fn check_inventory(&self, inventory: &Inventory, config: &Config) -> Vec<Finding> {
        palisade_netpol::scan::check(inventory, config)
    }

    /// The workloads (labels, ports, service account) and the NetworkPolicies, read while
    /// each input is in cache.
    fn read_ahead(&self, objects: &[Object], config: &Config) -> Option<ReadAhead> {
        palisade_netpol::scan::read_ahead(objects, config).map(|read| Box::new(read) as ReadAhead)
    }

    fn analyze_read(
        &self,
        inventory: &Inventory,
        config: &Config,
        read: Vec<(usize, ReadAhead)>,
    ) -> Analysis {
        let joined = join_read(
            read,
            |all: &mut PerObjectRead, parts: &[(usize, Box<PerObjectRead>)]| {
                all.reserve_for(parts.iter().map(|(_, p)| &**p));
            },
            |all: &mut PerObjectRead, first, part| {
                all.append(first, part);
                true
            },
        );
        match joined {
            Some(all) => palisade_netpol::scan::check_read(inventory, config, all).into(),
            None => self.analyze_inventory(inventory, config),
        }
    }
}

/// What one analyzer read ahead from every input, joined in input order by `append` (given
/// the input's first object's index; it answers whether the part lined up). `None` when a
/// part is not of the analyzer's type or did not line up: the caller then analyzes the
/// inventory without it.
fn join_read<T: Default + 'static>(
    read: Vec<(usize, ReadAhead)>,
    reserve: impl FnOnce(&mut T, &[(usize, Box<T>)]),
    append: impl Fn(&mut T, usize, T) -> bool,
) -> Option<T> {
    let parts = read
        .into_iter()
        .map(|(first, part)| Some((first, part.downcast::<T>().ok()?)))
        .collect::<Option<Vec<(usize, Box<T>)>>>()?;
    let mut all = T::default();
    // Room for every part first: appended one by one, the lists grew by doubling.
    reserve(&mut all, &parts);
    for (first, part) in parts {
        if !append(&mut all, first, *part) {
            return None;
        }
    }
    Some(all)
}

/// [`join_read`] of records read one per object: each input's must follow the last's, so
/// that the records line up with the inventory's objects.
fn join_records<T: Default + 'static>(
    read: Vec<(usize, ReadAhead)>,
    len: impl Fn(&T) -> usize,
    reserve: impl FnOnce(&mut T, usize),
    append: impl Fn(&mut T, T),
) -> Option<T> {
    join_read(
        read,
        |all: &mut T, parts: &[(usize, Box<T>)]| {
            reserve(all, parts.iter().map(|(_, p)| len(p)).sum());
        },
        |all: &mut T, first, part| {
            let follows = first == len(all);
            append(all, part);
            follows
        },
    )
}

impl From<Vec<Finding>> for Analysis {
    /// An analysis that found these findings and met no problem.
    fn from(findings: Vec<Finding>) -> Analysis {
        Analysis {
            findings,
            ..Analysis::default()
        }
    }
}
