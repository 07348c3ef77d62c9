//! The one scan pipeline every entry point calls.
//!
//! `palisade scan`, the admission webhook, a live-cluster scan and a watch loop all hand an
//! [`Inventory`] and a [`Config`] to [`Engine::scan`] and get the same [`Report`]: per-object
//! rules (in parallel, each object with its [`Context`]), inventory-wide analyses, then
//! exceptions, in place order. Analyzers register with the engine; the built-in checks and the
//! RBAC analysis are registered by [`Engine::builtin`].
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
pub mod frameworks;
mod order;
mod policies;

use std::ops::Range;
use std::sync::Mutex;

use palisade_core::inventory::Loaded;
use palisade_core::{
    exceptions, Config, Context, Date, Finding, Inventory, Lookup, Object, Report, Rule, Stats,
};
use rayon::prelude::*;

pub use analyzer::{Analysis, Analyzer, BuiltinChecks, NetpolAnalyzer, RbacAnalyzer, ReadAhead};
pub use frameworks::FrameworkId;
pub use policies::PolicyAnalyzer;

/// Objects per parallel work item: large enough to amortise scheduling.
const CHUNK: usize = 256;

/// What a scan needs beyond the inventory and the configuration.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Today, for exception expiry.
    pub today: Date,
    /// Frameworks to summarise the findings against (`Report::frameworks`), in order.
    pub frameworks: Vec<FrameworkId>,
}

impl ScanOptions {
    /// Options for a scan on `today`, with no framework summary.
    pub fn on(today: Date) -> ScanOptions {
        ScanOptions {
            today,
            frameworks: Vec::new(),
        }
    }

    /// The same options, summarising against `frameworks`.
    #[must_use]
    pub fn with_frameworks(mut self, frameworks: Vec<FrameworkId>) -> ScanOptions {
        self.frameworks = frameworks;
        self
    }
}

/// What the per-object rules made of one input while its trees were in cache.
struct Ahead {
    /// Findings of the rules that judge objects alone.
    alone: Vec<Finding>,
    /// Findings of the rules that read context, judged with a context that knew nothing, in
    /// object order: those of objects that asked it nothing stand whatever the context.
    in_context: Vec<Finding>,
    /// The objects that asked the context something.
    asked: Vec<Asked>,
    /// Their questions, object after object (each object's by range).
    questions: Vec<Lookup>,
    /// What each analyzer read ahead for its inventory-wide analysis, in analyzer order.
    read: Vec<Option<ReadAhead>>,
    /// The objects carrying the ignore annotation (indexes in the input), for the
    /// exceptions.
    annotated: Vec<usize>,
}

/// An object that asked the context something while it knew nothing yet.
struct Asked {
    /// Its index in the input.
    index: usize,
    /// Where its questions lie in the input's `questions`: one vector for the input rather
    /// than one per object (most objects of a large input ask something, and each vector
    /// would be kept until the inventory is complete).
    questions: Range<usize>,
    /// Where its context rules' findings lie in the input's `in_context`: they stand when the
    /// complete context answers none of the questions either.
    findings: Range<usize>,
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
        engine.register(Box::new(RbacAnalyzer));
        engine.register(Box::new(NetpolAnalyzer));
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
        let expired = &exceptions::EXPIRED_EXCEPTION;
        let mut rules: Vec<&'static Rule> = Vec::new();
        for a in &self.analyzers {
            for r in a.rules() {
                if r.id != expired.id && !rules.iter().any(|x| x.id == r.id) {
                    rules.push(r);
                }
            }
        }
        rules.push(expired);
        rules
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&'static Rule> {
        self.catalog().into_iter().find(|r| r.id == id)
    }

    /// Every per-object rule of every analyzer on some objects, with a context: what an
    /// admission request for one object needs. Findings are in place order.
    pub fn check_objects(
        &self,
        objects: &[Object],
        context: &Context,
        config: &Config,
    ) -> Vec<Finding> {
        let mut findings = self.judge_alone(objects, config);
        findings.extend(self.judge_in_context(objects, context, config));
        order::sort(&mut findings);
        findings
    }

    /// The scan: every analyzer over the inventory, exceptions applied, in place order.
    pub fn scan(&self, inventory: &Inventory, config: &Config, options: &ScanOptions) -> Report {
        let alone: Vec<Vec<Finding>> = inventory
            .objects
            .par_chunks(CHUNK)
            .map(|chunk| self.judge_alone(chunk, config))
            .collect();
        self.finish(inventory, alone, config, options)
    }

    /// The same scan over inputs not loaded yet: `load` reads each source (in parallel), and
    /// the per-object rules run on its objects right away, while their trees are still in
    /// cache; the rules that read an object's context run then too, against a context that
    /// knows nothing yet and notes what they ask ([`Context::recording`]). Once the inventory
    /// is complete, only the objects whose questions the real context answers are judged
    /// again; the rest runs on the whole inventory. The report is the one [`Engine::scan`]
    /// makes of the returned inventory (a test holds the two equal).
    pub fn scan_sources<S: Sync>(
        &self,
        sources: &[S],
        load: impl Fn(&S) -> Loaded + Sync,
        config: &Config,
        options: &ScanOptions,
    ) -> (Inventory, Report) {
        // One input per task: a run of inputs in one task could leave a core idle at the end.
        let loaded: Vec<(Loaded, Ahead)> = sources
            .par_iter()
            .with_max_len(1)
            .map(|source| {
                let loaded = load(source);
                let ahead = self.judge_ahead(&loaded.objects, config);
                (loaded, ahead)
            })
            .collect();
        let mut inventory = Inventory::default();
        // One allocation for the objects: growing by doubling copies them all again.
        inventory
            .objects
            .reserve(loaded.iter().map(|(l, _)| l.objects.len()).sum());
        let mut alone = Vec::with_capacity(loaded.len());
        let mut ahead_of = Vec::with_capacity(loaded.len());
        let mut annotated = Vec::new();
        // Per analyzer, what it read from each input; `None` once an input read nothing.
        let mut read: Vec<Option<Vec<(usize, ReadAhead)>>> =
            self.analyzers.iter().map(|_| Some(Vec::new())).collect();
        for (l, ahead) in loaded {
            let first = inventory.objects.len();
            inventory.add(l);
            annotated.extend(ahead.annotated.iter().map(|i| first + i));
            alone.push(ahead.alone);
            ahead_of.push((first, ahead.in_context, ahead.asked, ahead.questions));
            for (all, part) in read.iter_mut().zip(ahead.read) {
                match (all.as_mut(), part) {
                    (Some(all), Some(part)) => all.push((first, part)),
                    _ => *all = None,
                }
            }
        }
        // The inventory-wide analyses first on this thread: they hold the longest task. The
        // context is indexed on the other core meanwhile (a pass over every object, out of
        // cache by now), not before both start.
        let ((whole, analyzed), in_context) = rayon::join(
            || self.analyze_whole_read(&inventory, config, read),
            || {
                let context = Context::of(&inventory);
                ahead_of
                    .into_par_iter()
                    .map(|(first, findings, asked, questions)| {
                        let objects = inventory.objects.get(first..).unwrap_or_default();
                        self.settle(objects, findings, (asked, questions), &context, config)
                    })
                    .collect::<Vec<Vec<Finding>>>()
            },
        );
        // Each analyzer's findings a group of their own, after the per-object ones: equal
        // places keep the order one merge of the analyzers' findings would give them.
        let mut groups = vec![alone, in_context];
        groups.extend(analyzed.into_iter().map(|part| vec![part]));
        let report =
            self.assemble_with(&inventory, groups, whole, config, options, Some(&annotated));
        (inventory, report)
    }

    /// Both kinds of per-object rules over one input's objects, the context rules against a
    /// context that knows nothing yet, with each object's questions to it.
    fn judge_ahead(&self, objects: &[Object], config: &Config) -> Ahead {
        let alone = self.judge_alone(objects, config);
        let log = Mutex::new(Vec::new());
        let context = Context::recording(&log);
        // One vector for every object's findings (the asked objects' found again by range):
        // on a large input most objects ask something (their ServiceAccount), and a vector
        // each would be thousands of small allocations kept until the inventory is complete.
        // Sized for two findings per object (a workload has three or four, most objects
        // none; about 1.15 per object on a large corpus), so that it is not grown by doubling:
        // each growth copies every finding so far into fresh memory.
        let mut in_context = Vec::with_capacity(objects.len() * 2);
        let mut asked = Vec::new();
        let mut questions = Vec::new();
        for (index, object) in objects.iter().enumerate() {
            let start = in_context.len();
            in_context.extend(self.judge_in_context(
                std::slice::from_ref(object),
                &context,
                config,
            ));
            let mut noted = log.lock().unwrap_or_else(|e| e.into_inner());
            if !noted.is_empty() {
                let from = questions.len();
                // Moved out; the log keeps its room for the next object.
                questions.append(&mut *noted);
                asked.push(Asked {
                    index,
                    questions: from..questions.len(),
                    findings: start..in_context.len(),
                });
            }
        }
        // Kept until the inventory is complete: without the room left over, which the scan
        // would otherwise hold for every input.
        in_context.shrink_to_fit();
        asked.shrink_to_fit();
        questions.shrink_to_fit();
        let read = self
            .analyzers
            .iter()
            .map(|a| a.read_ahead(objects, config))
            .collect();
        let annotated = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| exceptions::has_ignore_annotation(o))
            .map(|(i, _)| i)
            .collect();
        Ahead {
            alone,
            in_context,
            asked,
            questions,
            read,
            annotated,
        }
    }

    /// One input's context findings made ahead, with the objects whose questions `context`
    /// answers judged again in it, sorted by place. `objects` starts at the input's first
    /// object.
    fn settle(
        &self,
        objects: &[Object],
        mut findings: Vec<Finding>,
        (asked, questions): (Vec<Asked>, Vec<Lookup>),
        context: &Context,
        config: &Config,
    ) -> Vec<Finding> {
        let answered: Vec<(&Object, Range<usize>)> = asked
            .into_iter()
            .filter(|a| {
                questions
                    .get(a.questions.clone())
                    .unwrap_or_default()
                    .iter()
                    .any(|q| context.answers(q))
            })
            .filter_map(|a| Some((objects.get(a.index)?, a.findings)))
            .collect();
        if !answered.is_empty() {
            // The answered objects' findings go; theirs judged with the real context come.
            let mut stale = vec![false; findings.len()];
            for (_, range) in &answered {
                for i in range.clone() {
                    if let Some(s) = stale.get_mut(i) {
                        *s = true;
                    }
                }
            }
            let mut position = 0;
            findings.retain(|_| {
                position += 1;
                !stale.get(position - 1).copied().unwrap_or(false)
            });
            for (object, _) in answered {
                findings.extend(self.judge_in_context(
                    std::slice::from_ref(object),
                    context,
                    config,
                ));
            }
        }
        order::sort(&mut findings);
        findings
    }

    /// Rules that judge objects alone, sorted by place.
    fn judge_alone(&self, objects: &[Object], config: &Config) -> Vec<Finding> {
        let mut findings = Vec::new();
        for a in &self.analyzers {
            append(&mut findings, a.check_objects(objects, config));
        }
        order::sort(&mut findings);
        findings
    }

    /// Rules that read objects' context, sorted by place.
    fn judge_in_context(
        &self,
        objects: &[Object],
        context: &Context,
        config: &Config,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for a in &self.analyzers {
            append(&mut findings, a.check_in_context(objects, context, config));
        }
        order::sort(&mut findings);
        findings
    }

    /// Everything after the objects were judged alone: rules that read context and
    /// inventory-wide analyses (in parallel), the sorted merge, exceptions, the Report.
    fn finish(
        &self,
        inventory: &Inventory,
        alone: Vec<Vec<Finding>>,
        config: &Config,
        options: &ScanOptions,
    ) -> Report {
        let context = Context::of(inventory);
        let (in_context, whole) = rayon::join(
            || {
                inventory
                    .objects
                    .par_chunks(CHUNK)
                    .map(|chunk| self.judge_in_context(chunk, &context, config))
                    .collect::<Vec<Vec<Finding>>>()
            },
            || self.analyze_whole(inventory, config),
        );
        self.assemble(inventory, vec![alone, in_context], whole, config, options)
    }

    /// Every inventory-wide analysis (RBAC, network, the checks' cross-object rules) over the
    /// inventory, its findings in place order: the half of a scan a watcher re-runs only when
    /// an object those analyses read changes.
    pub fn analyze_whole(&self, inventory: &Inventory, config: &Config) -> Analysis {
        let read = self.analyzers.iter().map(|_| None).collect();
        let (mut all, sorted) = self.analyze_whole_read(inventory, config, read);
        // Analyzers' rule ids differ, so no two parts hold a finding of the same place and
        // rule: merged, the parts are in the order one sort of them all gives.
        all.findings = order::merge_groups(sorted.into_iter().map(|part| vec![part]).collect());
        all
    }

    /// [`Engine::analyze_whole`] with what the analyzers read ahead from every input (per
    /// analyzer, in order; `None` where an analyzer did not read every input ahead), each
    /// analyzer's findings sorted but not yet merged (the returned [`Analysis`] has none): a
    /// scan merges them with the per-object findings in one pass, instead of merging them
    /// here first while the other core waits.
    fn analyze_whole_read(
        &self,
        inventory: &Inventory,
        config: &Config,
        read: Vec<Option<Vec<(usize, ReadAhead)>>>,
    ) -> (Analysis, Vec<Vec<Finding>>) {
        // Analyzers of the whole inventory are independent: one task each, the longest started
        // first on this thread while the others wait for the second core, so that it is not
        // left running alone at the end.
        // Each task sorts its own findings, so that the sorting is spread over both cores
        // and only a merge is left once the last one ends.
        let run = |a: &dyn Analyzer, read: Option<Vec<(usize, ReadAhead)>>| {
            let mut analysis = match read {
                Some(read) => a.analyze_read(inventory, config, read),
                None => a.analyze_inventory(inventory, config),
            };
            order::sort_with_ties(&mut analysis.findings);
            analysis
        };
        let mut parts: Vec<Analysis> = self.analyzers.iter().map(|_| Analysis::default()).collect();
        let mut tasks: Vec<_> = self.analyzers.iter().zip(read).zip(&mut parts).collect();
        tasks.sort_by_key(|((a, _), _)| a.inventory_weight());
        rayon::scope(|s| {
            let longest = tasks.pop();
            for ((a, read), slot) in tasks {
                s.spawn(move |_| *slot = run(&**a, read));
            }
            if let Some(((a, read), slot)) = longest {
                *slot = run(&**a, read);
            }
        });
        let mut all = Analysis::default();
        let mut sorted = Vec::with_capacity(parts.len());
        for part in parts {
            sorted.push(part.findings);
            all.errors.extend(part.errors);
            all.notes.extend(part.notes);
        }
        (all, sorted)
    }

    /// The report of findings already made: `groups` of per-object findings (each a list of
    /// parts, sorted or not) and the [`Engine::analyze_whole`] result, merged in place order,
    /// exceptions applied against `inventory`. [`Engine::scan`] is this over fresh findings;
    /// a watcher calls it with findings it kept from earlier events.
    pub fn assemble(
        &self,
        inventory: &Inventory,
        groups: Vec<Vec<Vec<Finding>>>,
        whole: Analysis,
        config: &Config,
        options: &ScanOptions,
    ) -> Report {
        self.assemble_with(inventory, groups, whole, config, options, None)
    }

    /// [`Engine::assemble`], told which objects carry the ignore annotation when a scan read
    /// it ahead (their indexes in the inventory).
    fn assemble_with(
        &self,
        inventory: &Inventory,
        mut groups: Vec<Vec<Vec<Finding>>>,
        whole: Analysis,
        config: &Config,
        options: &ScanOptions,
        annotated: Option<&[usize]>,
    ) -> Report {
        let Analysis {
            findings: whole,
            errors,
            notes,
        } = whole;
        groups.push(vec![whole]);
        // One merge into one vector: large scans make hundreds of thousands of findings, and
        // every full copy is fresh memory the kernel must zero.
        // The exceptions read the inventory's objects (out of cache by now) while the
        // findings are merged.
        let (findings, prepared) = rayon::join(
            || order::merge_groups(groups),
            || exceptions::prepare_among(inventory, config, options.today, annotated),
        );
        let applied = exceptions::apply_prepared(findings, prepared, config);
        let rules: Vec<&'static Rule> = self
            .catalog()
            .into_iter()
            .filter(|r| config.rule_enabled(r.id))
            .collect();
        let frameworks = frameworks::summarize(&rules, &applied.findings, &options.frameworks);
        Report {
            version: env!("CARGO_PKG_VERSION"),
            findings: applied.findings,
            suppressed: applied.suppressed,
            errors: inventory.errors.iter().cloned().chain(errors).collect(),
            notes: inventory.notes.iter().cloned().chain(notes).collect(),
            rules,
            stats: Stats {
                inputs: inventory.inputs,
                objects: inventory.objects.len(),
                dockerfiles: inventory.dockerfiles.len(),
            },
            frameworks,
        }
    }
}

/// Appends `part` to `all`; the first part is handed over without a copy (one analyzer is
/// the common case, and large scans make hundreds of thousands of findings).
fn append(all: &mut Vec<Finding>, part: Vec<Finding>) {
    if all.is_empty() {
        *all = part;
    } else {
        all.extend(part);
    }
}
