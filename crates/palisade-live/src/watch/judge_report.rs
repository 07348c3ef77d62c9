//! The [`Judge`]'s report: patched path by path for per-object changes, assembled whole
//! otherwise (see `patch.rs` for when patching is sound).

use palisade_core::inventory::LoadError;
use palisade_core::{Config, Finding, Inventory, Report};
use palisade_engine::{Analysis, Engine, ScanOptions};

use super::Judge;

impl Judge {
    /// The report of everything watched, as a full scan would make it (after
    /// [`Judge::settle`] and, when [`Judge::whole_stale`], [`Judge::rejudge_whole`]).
    pub fn report(&mut self) -> &Report {
        self.refresh();
        self.current()
    }

    /// Brings the report up to date: only the paths whose findings changed, when that is
    /// sound (see `patch.rs`), else assembled whole.
    pub fn refresh(&mut self) {
        let patchable = !self.full
            && self.current.is_some()
            && self.config.exceptions.is_empty()
            && self.options.frameworks.is_empty();
        if !patchable {
            let report = self.assemble();
            self.current = Some(report);
            self.dirty.clear();
            self.full = false;
            return;
        }
        let dirty = std::mem::take(&mut self.dirty);
        let today = self.options.today;
        for path in dirty {
            let lo = (path.clone(), String::new());
            let mut own = Vec::new();
            let mut objects = Vec::new();
            for (key, entry) in self.entries.range(lo..).take_while(|(k, _)| k.0 == path) {
                own.extend(entry.findings.iter().cloned());
                if let Some(at) = self.position(key) {
                    objects.push(self.inventory.objects[at].clone());
                }
            }
            if let Some(report) = self.current.as_mut() {
                let whole = &self.whole.findings;
                crate::watch::patch::patch_path(
                    report,
                    &path,
                    own,
                    whole,
                    objects,
                    &self.config,
                    today,
                );
            }
        }
        let (objects, inputs) = (self.inventory.objects.len(), self.entries.len());
        if let Some(report) = self.current.as_mut() {
            report.stats.objects = objects;
            report.stats.inputs = inputs;
        }
    }

    /// The report as last brought up to date ([`Judge::refresh`]); empty before the first.
    pub fn current(&self) -> &Report {
        static EMPTY: std::sync::OnceLock<Report> = std::sync::OnceLock::new();
        self.current.as_ref().unwrap_or_else(|| {
            EMPTY.get_or_init(|| {
                Engine::empty().assemble(
                    &Inventory::default(),
                    Vec::new(),
                    Analysis::default(),
                    &Config::default(),
                    &ScanOptions::on(palisade_core::Date::from_unix_days(0)),
                )
            })
        })
    }

    /// The report assembled from every kept finding.
    fn assemble(&mut self) -> Report {
        self.refresh_errors();
        // Entries iterate in path order, so the parts are sorted end to end: the merge is a
        // copy, not a sort.
        let parts: Vec<Vec<Finding>> = self
            .entries
            .values()
            .filter(|e| !e.findings.is_empty())
            .map(|e| e.findings.clone())
            .collect();
        let whole = Analysis {
            findings: self.whole.findings.clone(),
            errors: self.whole.errors.clone(),
            notes: self.whole.notes.clone(),
        };
        let mut report = self.engine.assemble(
            &self.inventory,
            vec![parts],
            whole,
            &self.config,
            &self.options,
        );
        report.stats.inputs = self.entries.len();
        report
    }

    /// The load errors of the inventory: streams that cannot be read, objects that could
    /// not be loaded.
    pub(super) fn refresh_errors(&mut self) {
        let mut errors: Vec<LoadError> = self.stream_errors.values().cloned().collect();
        let mut notes = Vec::new();
        for e in self.entries.values() {
            errors.extend(e.errors.iter().cloned());
            notes.extend(e.notes.iter().cloned());
        }
        self.inventory.errors = errors;
        self.inventory.notes = notes;
        self.inventory.inputs = self.entries.len();
    }
}
