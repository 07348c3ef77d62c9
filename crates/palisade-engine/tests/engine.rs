//! The engine through its public API: a registered analyzer's rules and findings go through
//! the same catalog, ordering and exceptions as the built-in ones; per-object rules see the
//! inventory's context in a scan and none for a lone object.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{
    Config, Context, Controls, Date, Emitter, Family, Finding, Inventory, Object, Rule, RuleId,
    Severity,
};
use palisade_engine::{Analyzer, Engine, ScanOptions};

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 29,
};

static NAMESPACE_COUNT: Rule = Rule {
    id: "PAL-TEST-001",
    title: "test rule",
    severity: Severity::Info,
    family: Family::Hygiene,
    description: "d",
    remediation: "r",
    references: &[],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &[],
    },
};

/// Reports every ConfigMap (per object) and, once, the number of namespaces (inventory-wide).
struct Counting;

impl Analyzer for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn rules(&self) -> Vec<&'static Rule> {
        vec![&NAMESPACE_COUNT]
    }
    fn check_objects(&self, objects: &[Object], config: &Config) -> Vec<Finding> {
        let mut em = Emitter::new(config);
        for o in objects.iter().filter(|o| o.is("ConfigMap")) {
            em.emit(&NAMESPACE_COUNT, o, o.root.pos, None, "a ConfigMap");
        }
        em.into_findings()
    }
    fn check_inventory(&self, inventory: &Inventory, config: &Config) -> Vec<Finding> {
        let mut em = Emitter::new(config);
        if let Some(first) = inventory.objects.first() {
            em.emit(
                &NAMESPACE_COUNT,
                first,
                first.root.pos,
                None,
                format!("{} namespaces", inventory.namespaces().len()),
            );
        }
        em.into_findings()
    }
}

fn inventory(text: &str) -> Inventory {
    let mut inv = Inventory::default();
    inv.add(load_str("in.yaml", text, &LoadLimits::default()));
    inv
}

const TEXT: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: x}\nautomountServiceAccountToken: false\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  serviceAccountName: web\n  containers: [{name: c, image: nginx}]\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: y}\n";

#[test]
fn a_registered_analyzer_joins_catalog_findings_and_exceptions() {
    let mut engine = Engine::builtin();
    assert!(engine.rule("PAL-TEST-001").is_none());
    engine.register(Box::new(Counting));
    assert_eq!(
        engine.analyzers().collect::<Vec<_>>(),
        ["checks", "rbac", "netpol", "counting"]
    );
    assert!(engine.rule("PAL-TEST-001").is_some());
    // Palisade's own configuration rule stays last in the catalog.
    assert_eq!(engine.catalog().last().unwrap().id, "PAL-CFG-001");

    let inv = inventory(TEXT);
    let report = engine.scan(&inv, &Config::default(), &ScanOptions::on(TODAY));
    let ours: Vec<(u32, &str)> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "PAL-TEST-001")
        .map(|f| (f.location.line, &*f.message))
        .collect();
    // Equal places keep per-object findings first, then inventory-wide ones.
    assert_eq!(
        ours,
        [(1, "a ConfigMap"), (1, "2 namespaces"), (17, "a ConfigMap")]
    );
    // In place order across analyzers.
    assert!(report
        .findings
        .windows(2)
        .all(|w| w[0].sort_key() <= w[1].sort_key()));

    // An exception written for the new rule suppresses it like any other.
    let config = Config::parse(
        "p.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n- rules: [PAL-TEST-001]\n  namespace: y\n  reason: test\n",
    )
    .unwrap();
    let report = engine.scan(&inv, &config, &ScanOptions::on(TODAY));
    assert_eq!(
        report
            .findings
            .iter()
            .filter(|f| f.rule_id == "PAL-TEST-001")
            .count(),
        2
    );
    assert_eq!(report.suppressed.len(), 1);
}

#[test]
fn per_object_rules_read_context_in_a_scan_and_none_alone() {
    let engine = Engine::builtin();
    let inv = inventory(TEXT);
    let in_scan = engine.scan(&inv, &Config::default(), &ScanOptions::on(TODAY));
    assert!(
        !in_scan.findings.iter().any(|f| f.rule_id == "PAL-POD-033"),
        "the ServiceAccount in the input opts out"
    );
    let pod = inv.objects.iter().find(|o| o.is("Pod")).unwrap();
    let alone = engine.check_objects(
        std::slice::from_ref(pod),
        &Context::none(),
        &Config::default(),
    );
    let token = alone.iter().find(|f| f.rule_id == "PAL-POD-033").unwrap();
    assert!(
        token.message.contains("not in the input"),
        "{}",
        token.message
    );
    // The rest of the per-object findings on the pod agree between the two paths.
    let scan_ids: Vec<RuleId> = in_scan
        .findings
        .iter()
        .filter(|f| f.object.kind == "Pod")
        .map(|f| f.rule_id.clone())
        .collect();
    let alone_ids: Vec<RuleId> = alone
        .iter()
        .filter(|f| f.rule_id != "PAL-POD-033")
        .map(|f| f.rule_id.clone())
        .collect();
    for id in &alone_ids {
        assert!(scan_ids.contains(id), "{id} missing from the scan");
    }
}

/// Judging inputs while they load gives the report a scan of the finished inventory gives:
/// on every example of the repository and every rule fixture at once (the network ones
/// exercise what the network analysis reads ahead: workloads, policies and their problems,
/// container ports' places).
#[test]
fn scan_sources_equals_scan() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in [
        "examples",
        "crates/palisade-checks/tests/fixtures",
        "crates/palisade-netpol/tests/fixtures",
    ] {
        let mut stack = vec![root.join(dir)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    assert!(files.len() > 100, "found only {} inputs", files.len());
    let read = |p: &std::path::PathBuf| {
        let text = std::fs::read_to_string(p).unwrap();
        load_str(&p.display().to_string(), &text, &LoadLimits::default())
    };
    let engine = Engine::builtin();
    let config = Config::default();
    let options = ScanOptions::on(TODAY);
    let (inventory, streamed) = engine.scan_sources(&files, read, &config, &options);
    let whole = engine.scan(&inventory, &config, &options);
    assert!(whole.findings.len() > 500);
    assert_eq!(streamed.findings, whole.findings);
    assert_eq!(streamed.suppressed.len(), whole.suppressed.len());
    assert_eq!(streamed.errors, whole.errors);
    assert_eq!(streamed.stats.objects, whole.stats.objects);
}

/// The ignore annotation, noted while each input loads, suppresses what it suppresses in a
/// scan of the finished inventory: objects annotated in the second input and the third, one
/// of them a duplicate of an unannotated object of the first (the last definition's
/// annotation is the one read, as the whole-inventory scan reads it).
#[test]
fn ignore_annotations_read_ahead_suppress_as_a_whole_scan_does() {
    let pod = |name: &str, annotations: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: app\n{annotations}spec:\n  hostNetwork: true\n  containers: [{{name: c, image: nginx}}]\n")
    };
    let ignore = "  annotations:\n    palisade.dev/ignore: PAL-POD-001\n";
    let inputs = [
        (
            "a.yaml",
            format!("{}---\n{}", pod("plain", ""), pod("twice", "")),
        ),
        (
            "b.yaml",
            format!("{}---\n{}", pod("other", ""), pod("quiet", ignore)),
        ),
        ("c.yaml", pod("twice", ignore)),
    ];
    let engine = Engine::builtin();
    let config = Config::default();
    let options = ScanOptions::on(TODAY);
    let read = |(name, text): &(&str, String)| load_str(name, text, &LoadLimits::default());
    let (inventory, streamed) = engine.scan_sources(&inputs, read, &config, &options);
    let whole = engine.scan(&inventory, &config, &options);
    assert_eq!(streamed.findings, whole.findings);
    assert_eq!(streamed.suppressed, whole.suppressed);
    let mut suppressed: Vec<(&str, &str)> = streamed
        .suppressed
        .iter()
        .map(|s| (&*s.finding.location.path, s.finding.object.name.as_str()))
        .collect();
    suppressed.sort();
    // Both definitions of `twice` are one object to the exceptions, which read the last.
    assert_eq!(
        suppressed,
        [
            ("a.yaml", "twice"),
            ("b.yaml", "quiet"),
            ("c.yaml", "twice")
        ]
    );
    assert!(streamed
        .findings
        .iter()
        .any(|f| f.rule_id == "PAL-POD-001" && f.object.name == "plain"));
}

/// Context that lives in another input than the workload it concerns (a ServiceAccount that
/// opts out of token mounting, a LimitRange with defaults) is honoured when inputs are judged
/// while they load, whichever input comes first; a workload without such context keeps the
/// findings it was given ahead.
#[test]
fn context_from_another_input_is_honoured_when_judged_ahead() {
    let workload = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      serviceAccountName: api\n      containers:\n      - {name: c, image: nginx:1.27}\n";
    let context = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\nautomountServiceAccountToken: false\n---\napiVersion: v1\nkind: LimitRange\nmetadata: {name: defaults, namespace: shop}\nspec:\n  limits:\n  - type: Container\n    default: {cpu: 500m, memory: 256Mi}\n    defaultRequest: {cpu: 100m, memory: 128Mi}\n";
    let other = workload.replace("namespace: shop", "namespace: other");
    let engine = Engine::builtin();
    let config = Config::default();
    let options = ScanOptions::on(TODAY);
    let read = |(name, text): &(&str, &str)| load_str(name, text, &LoadLimits::default());
    let ids_on = |findings: &[Finding], path: &str| -> Vec<String> {
        let mut ids: Vec<String> = findings
            .iter()
            .filter(|f| &*f.location.path == path)
            .map(|f| f.rule_id.to_string())
            .collect();
        ids.sort();
        ids
    };
    let alone = {
        let loaded = load_str("w.yaml", workload, &LoadLimits::default());
        engine.check_objects(&loaded.objects, &Context::none(), &config)
    };
    let alone_ids = ids_on(&alone, "w.yaml");
    for order in [
        [
            ("w.yaml", workload),
            ("ctx.yaml", context),
            ("o.yaml", other.as_str()),
        ],
        [
            ("ctx.yaml", context),
            ("o.yaml", other.as_str()),
            ("w.yaml", workload),
        ],
    ] {
        let (inventory, streamed) = engine.scan_sources(&order, read, &config, &options);
        let whole = engine.scan(&inventory, &config, &options);
        assert_eq!(streamed.findings, whole.findings);
        let in_context = ids_on(&streamed.findings, "w.yaml");
        assert!(
            alone_ids.iter().any(|id| id == "PAL-POD-033"),
            "{alone_ids:?}"
        );
        assert!(
            !in_context.iter().any(|id| id == "PAL-POD-033"),
            "{in_context:?}"
        );
        assert!(
            in_context.len() + 2 <= alone_ids.len(),
            "the LimitRange and the ServiceAccount should each take findings away: {in_context:?} vs {alone_ids:?}"
        );
        // The same workload where nothing is known keeps every finding it had alone (the
        // inventory-wide analyses add theirs).
        let mut per_object = ids_on(&streamed.findings, "o.yaml");
        per_object.retain(|id| alone_ids.contains(id));
        assert_eq!(per_object, alone_ids);
    }
}

/// Reads ahead the index of each ConfigMap in its input (only from inputs named `*.yaml`
/// when `only_yaml`), and reports each ConfigMap found again through the index it was given
/// back, or, without a read-ahead of every input, through a walk of the inventory.
struct ReadingAhead {
    only_yaml: bool,
}

impl Analyzer for ReadingAhead {
    fn name(&self) -> &'static str {
        "reading-ahead"
    }
    fn rules(&self) -> Vec<&'static Rule> {
        vec![&NAMESPACE_COUNT]
    }
    fn read_ahead(&self, objects: &[Object], _: &Config) -> Option<palisade_engine::ReadAhead> {
        let yaml = objects
            .first()
            .is_none_or(|o| o.location().path.ends_with(".yaml"));
        if self.only_yaml && !yaml {
            return None;
        }
        let found: Vec<usize> = (0..objects.len())
            .filter(|&i| objects[i].is("ConfigMap"))
            .collect();
        Some(Box::new(found))
    }
    fn analyze_read(
        &self,
        inventory: &Inventory,
        config: &Config,
        read: Vec<(usize, palisade_engine::ReadAhead)>,
    ) -> palisade_engine::Analysis {
        let mut em = Emitter::new(config);
        for (first, part) in read {
            for i in *part.downcast::<Vec<usize>>().unwrap() {
                let o = &inventory.objects[first + i];
                em.emit(
                    &NAMESPACE_COUNT,
                    o,
                    o.root.pos,
                    None,
                    format!("read ahead {}", o.id.name),
                );
            }
        }
        palisade_engine::Analysis {
            findings: em.into_findings(),
            ..Default::default()
        }
    }
    fn check_inventory(&self, inventory: &Inventory, config: &Config) -> Vec<Finding> {
        let mut em = Emitter::new(config);
        for o in inventory.of_kind("ConfigMap") {
            em.emit(
                &NAMESPACE_COUNT,
                o,
                o.root.pos,
                None,
                format!("walked {}", o.id.name),
            );
        }
        em.into_findings()
    }
}

/// What an analyzer reads ahead comes back with the right object offsets when every input
/// was read; when one input was not, the analyzer walks the inventory instead.
#[test]
fn read_ahead_comes_back_per_input_or_not_at_all() {
    let inputs = [
        ("one.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n"),
        ("two.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n"),
        ("three.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d, namespace: x}\n"),
    ];
    let read = |(name, text): &(&str, &str)| load_str(name, text, &LoadLimits::default());
    let options = ScanOptions::on(TODAY);
    for (only_yaml, verb) in [(false, "read ahead"), (true, "walked")] {
        let mut engine = Engine::empty();
        engine.register(Box::new(ReadingAhead { only_yaml }));
        let (inventory, report) = engine.scan_sources(&inputs, read, &Config::default(), &options);
        let said: Vec<String> = report
            .findings
            .iter()
            .map(|f| f.message.to_string())
            .collect();
        // In place order: one.yaml, three.yml, two.yaml.
        let want: Vec<String> = ["a", "d", "b", "c"]
            .iter()
            .map(|n| format!("{verb} {n}"))
            .collect();
        assert_eq!(said, want);
        // A scan of the finished inventory never reads ahead.
        let whole = engine.scan(&inventory, &Config::default(), &options);
        assert!(whole
            .findings
            .iter()
            .all(|f| f.message.starts_with("walked")));
    }
}
