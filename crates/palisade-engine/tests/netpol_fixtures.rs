//! Every rule of the network analyzer (`palisade_netpol::scan`) has fixtures under
//! `crates/palisade-netpol/tests/fixtures/<RULE-ID>/`, run through the whole engine (load,
//! every analyzer, exceptions):
//! - `fail-*.yaml` must yield findings of that rule exactly at the lines its
//!   `# expect: L1, L2` header lists;
//! - `pass-*.yaml` must yield no finding of that rule;
//! - an optional `palisade.yaml` beside them is the config for all of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Date, Finding, Inventory};
use palisade_engine::{Engine, ScanOptions};

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 23,
};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../palisade-netpol/tests/fixtures")
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn run(engine: &Engine, dir: &Path, file: &Path) -> Vec<Finding> {
    let config_path = dir.join("palisade.yaml");
    let config = if config_path.exists() {
        let text = fs::read_to_string(&config_path).unwrap();
        Config::parse(&config_path.display().to_string(), &text).unwrap()
    } else {
        Config::default()
    };
    let text = fs::read_to_string(file).unwrap();
    let loaded = load_str(&file.display().to_string(), &text, &LoadLimits::default());
    assert!(
        loaded.errors.is_empty(),
        "{}: {:?}",
        file.display(),
        loaded.errors
    );
    let mut inv = Inventory::default();
    inv.add(loaded);
    engine.scan(&inv, &config, &ScanOptions::on(TODAY)).findings
}

fn expected_lines(file: &Path) -> BTreeSet<u32> {
    let text = fs::read_to_string(file).unwrap();
    let header = text
        .lines()
        .find_map(|l| l.strip_prefix("# expect:"))
        .unwrap_or_else(|| panic!("{}: fail fixture without `# expect:`", file.display()));
    header
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect()
}

#[test]
fn every_network_rule_has_fixtures_that_behave() {
    let engine = Engine::builtin();
    let mut problems = Vec::new();
    let rules = palisade_netpol::scan::catalog();
    assert!(rules.len() >= 10);
    for rule in rules {
        // Each rule is in the engine's catalog, once.
        assert_eq!(
            engine.catalog().iter().filter(|r| r.id == rule.id).count(),
            1,
            "{}",
            rule.id
        );
        let dir = fixtures_dir().join(rule.id);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        let fails: Vec<_> = files
            .iter()
            .filter(|p| name(p).starts_with("fail"))
            .collect();
        let passes: Vec<_> = files
            .iter()
            .filter(|p| name(p).starts_with("pass"))
            .collect();
        if fails.is_empty() || passes.is_empty() {
            problems.push(format!("{}: needs fail-* and pass-* fixtures", rule.id));
            continue;
        }
        for f in fails {
            let got: BTreeSet<u32> = run(&engine, &dir, f)
                .iter()
                .filter(|x| x.rule_id == rule.id)
                .map(|x| x.location.line)
                .collect();
            let want = expected_lines(f);
            if got != want {
                problems.push(format!(
                    "{}: {} expected lines {want:?}, got {got:?}",
                    rule.id,
                    name(f)
                ));
            }
        }
        for p in passes {
            let hits: Vec<String> = run(&engine, &dir, p)
                .iter()
                .filter(|x| x.rule_id == rule.id)
                .map(|x| format!("line {}: {}", x.location.line, x.message))
                .collect();
            if !hits.is_empty() {
                problems.push(format!(
                    "{}: {} should pass but got {hits:?}",
                    rule.id,
                    name(p)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
