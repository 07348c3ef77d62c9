//! Every rule of the RBAC analysis (`palisade_rbac::catalog()`) has fixtures under
//! `crates/palisade-rbac/tests/fixtures/<RULE-ID>/`, run through the whole engine (load,
//! every analyzer, exceptions), as palisade-checks' `tests/rules.rs` does for its rules:
//! - `fail-*.yaml` must yield findings of that rule exactly at the lines its
//!   `# expect: L1, L2` header lists;
//! - `pass-*.yaml` must yield no finding of that rule.

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
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../palisade-rbac/tests/fixtures")
}

fn run(file: &Path) -> Vec<Finding> {
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
    Engine::builtin()
        .scan(&inv, &Config::default(), &ScanOptions::on(TODAY))
        .findings
}

fn expected_lines(file: &Path) -> BTreeSet<u32> {
    let text = fs::read_to_string(file).unwrap();
    let header = text
        .lines()
        .find_map(|l| l.strip_prefix("# expect:"))
        .unwrap_or_else(|| panic!("{}: fail fixture without `# expect:`", file.display()));
    header
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{}: bad expect header", file.display()))
        })
        .collect()
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn every_rbac_rule_has_failing_and_passing_fixtures_that_behave() {
    let mut problems = Vec::new();
    let catalog = palisade_rbac::catalog();
    assert!(catalog.len() >= 17);
    for rule in catalog {
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
            problems.push(format!(
                "{}: needs at least one fail-*.yaml and one pass-*.yaml",
                rule.id
            ));
            continue;
        }
        for f in fails {
            let hits: Vec<Finding> = run(f)
                .into_iter()
                .filter(|x| x.rule_id == rule.id)
                .collect();
            let got: BTreeSet<u32> = hits.iter().map(|x| x.location.line).collect();
            let want = expected_lines(f);
            if got != want {
                let detail: Vec<String> = hits
                    .iter()
                    .map(|x| format!("  {} {}: {}", x.location.line, x.severity, x.message))
                    .collect();
                problems.push(format!(
                    "{}: {} expected lines {want:?}, got {got:?}\n{}",
                    rule.id,
                    name(f),
                    detail.join("\n")
                ));
            }
        }
        for p in passes {
            let hits: Vec<String> = run(p)
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
