//! Every rule in the catalog has fixtures under `tests/fixtures/<RULE-ID>/`:
//! - `fail-*.yaml` must yield findings of that rule exactly at the lines its
//!   `# expect: L1, L2` header lists (the offending field's line);
//! - `pass-*.yaml` must yield no finding of that rule;
//! - `fail-*.Dockerfile` / `pass-*.Dockerfile` are the same for Dockerfile rules (the
//!   header is a Dockerfile comment);
//! - an optional `palisade.yaml` beside them is the config for all of them, and
//!   `palisade.<fixture stem>.yaml` the config for one fixture.
//!
//! Fixtures run through the whole pipeline (load, every rule, exceptions), so a rule that
//! fires on the wrong line, or on a fixture meant to pass, fails here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use palisade_core::inventory::{load_dockerfile, load_str, LoadLimits};
use palisade_core::{exceptions, Config, Date, Finding, Inventory};

/// A fixed "today" so that expiry fixtures do not change meaning over time.
const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 23,
};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run(dir: &Path, file: &Path) -> Vec<Finding> {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let own = dir.join(format!("palisade.{stem}.yaml"));
    let config_path = if own.exists() {
        own
    } else {
        dir.join("palisade.yaml")
    };
    let config = if config_path.exists() {
        let text = fs::read_to_string(&config_path).unwrap();
        Config::parse(&config_path.display().to_string(), &text)
            .unwrap_or_else(|e| panic!("{}: bad config: {e:?}", config_path.display()))
    } else {
        Config::default()
    };
    let text = fs::read_to_string(file).unwrap();
    let mut inv = Inventory::default();
    let path = file.display().to_string();
    let loaded = if path.ends_with(".Dockerfile") {
        load_dockerfile(&path, text.as_bytes(), &LoadLimits::default())
    } else {
        load_str(&path, &text, &LoadLimits::default())
    };
    assert!(
        loaded.errors.is_empty(),
        "{}: {:?}",
        file.display(),
        loaded.errors
    );
    inv.add(loaded);
    let findings = palisade_checks::check_inventory(&inv, &config);
    exceptions::apply(findings, &inv, &config, TODAY).findings
}

fn expected_lines(file: &Path) -> BTreeSet<u32> {
    let text = fs::read_to_string(file).unwrap();
    let header = text
        .lines()
        .find_map(|l| l.strip_prefix("# expect:"))
        .unwrap_or_else(|| {
            panic!(
                "{}: fail fixture without `# expect: LINE, ...`",
                file.display()
            )
        });
    header
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{}: bad expect header", file.display()))
        })
        .collect()
}

#[test]
fn every_rule_has_failing_and_passing_fixtures_that_behave() {
    let mut problems = Vec::new();
    for rule in palisade_checks::catalog() {
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
                "{}: needs at least one fail-* and one pass-* fixture (.yaml, or .Dockerfile)",
                rule.id
            ));
            continue;
        }
        for f in fails {
            let got: BTreeSet<u32> = run(&dir, f)
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
            let hits: Vec<String> = run(&dir, p)
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

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
