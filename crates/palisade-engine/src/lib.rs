//! The one scan pipeline every entry point calls.
//!
//! `palisade scan`, the admission webhook, a live-cluster scan and a watch loop all hand an
//! [`Inventory`] and a [`Config`] to [`Engine::scan`] and get the same [`Report`]: per-object
//! rules (in parallel, each object with its [`Context`]), inventory-wide analyses, then
//! exceptions, in place order. Analyzers register with the engine; the built-in checks are
//! registered by [`Engine::builtin`].
//!
//! ```
//! use palisade_core::{inventory, Config, Date, Inventory};
//! use palisade_engine::{Engine, ScanOptions};
//!
//! let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: nginx}]\n";
//! let mut inv = Inventory::default();
//! inv.add(inventory::load_str("pod.yaml", text, &Default::default()));
//! let engine = Engine::builtin();
//! let report = engine.scan(&inv, &Config::default(), &ScanOptions::on(Date::from_unix_days(20_000)));
//! let host = report.findings.iter().find(|f| f.rule_id == "PAL-POD-001").unwrap();
//! assert_eq!(host.location.line, 5);
//! ```

mod analyzer;
mod order;

use palisade_core::{
    exceptions, Config, Context, Date, Finding, Inventory, Object, Report, Rule, Stats,
};
use rayon::prelude::*;

pub use analyzer::{Analyzer, BuiltinChecks};

/// Objects per parallel work item: large enough to amortise scheduling.
const CHUNK: usize = 256;

/// What a scan needs beyond the inventory and the configuration.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Today, for exception expiry.
    pub today: Date,
}

impl ScanOptions {
    /// Options for a scan on `today`.
    pub fn on(today: Date) -> ScanOptions {
        ScanOptions { today }
    }
}

/// The registered analyzers.
pub struct Engine {
    analyzers: Vec<Box<dyn Analyzer>>,
}

impl Engine {
    /// An engine with no analyzer.
    pub fn empty() -> Engine {
        Engine {
            analyzers: Vec::new(),
        }
    }

    /// An engine with every built-in analyzer.
    pub fn builtin() -> Engine {
        let mut engine = Engine::empty();
        engine.register(Box::new(BuiltinChecks));
        engine
    }

    /// Adds an analyzer. Its rule ids must not collide with those already registered.
    pub fn register(&mut self, analyzer: Box<dyn Analyzer>) {
        self.analyzers.push(analyzer);
    }

    /// Names of the registered analyzers, in order.
    pub fn analyzers(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.analyzers.iter().map(|a| a.name())
    }

    /// Every rule the engine may report, in catalog order, with Palisade's own
    /// configuration rule (expired exceptions) last.
    pub fn catalog(&self) -> Vec<&'static Rule> {
        let mut rules: Vec<&'static Rule> = Vec::new();
        for a in &self.analyzers {
            for r in a.rules() {
                if !rules.iter().any(|x| x.id == r.id) {
                    rules.push(r);
                }
            }
        }
        if !rules
            .iter()
            .any(|r| r.id == exceptions::EXPIRED_EXCEPTION.id)
        {
            rules.push(&exceptions::EXPIRED_EXCEPTION);
        }
        rules
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&'static Rule> {
        self.catalog().into_iter().find(|r| r.id == id)
    }

    /// Per-object rules of every analyzer on some objects, with a context: what an admission
    /// request for one object needs. Findings are in place order.
    pub fn check_objects(
        &self,
        objects: &[Object],
        context: &Context,
        config: &Config,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for a in &self.analyzers {
            findings.extend(a.check_objects(objects, context, config));
        }
        order::sort(&mut findings);
        findings
    }

    /// The scan: every analyzer over the inventory, exceptions applied, in place order.
    pub fn scan(&self, inventory: &Inventory, config: &Config, options: &ScanOptions) -> Report {
        let context = Context::of(inventory);
        // Per-object rules run in parallel chunks (each chunk sorted while hot) alongside the
        // inventory-wide analyses; then the sorted runs are merged.
        let (per_object, whole) = rayon::join(
            || {
                let parts: Vec<Vec<Finding>> = inventory
                    .objects
                    .par_chunks(CHUNK)
                    .map(|chunk| self.check_objects(chunk, &context, config))
                    .collect();
                order::concat_sorted(parts)
            },
            || {
                let mut all = Vec::new();
                for a in &self.analyzers {
                    all.extend(a.check_inventory(inventory, config));
                }
                order::sort(&mut all);
                all
            },
        );
        let findings = order::merge_sorted(per_object, whole);
        let applied = exceptions::apply(findings, inventory, config, options.today);
        Report {
            version: env!("CARGO_PKG_VERSION"),
            findings: applied.findings,
            suppressed: applied.suppressed,
            errors: inventory.errors.clone(),
            notes: inventory.notes.clone(),
            rules: self
                .catalog()
                .into_iter()
                .filter(|r| config.rule_enabled(r.id))
                .collect(),
            stats: Stats {
                inputs: inventory.inputs,
                objects: inventory.objects.len(),
                dockerfiles: inventory.dockerfiles.len(),
            },
        }
    }
}
