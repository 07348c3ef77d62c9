//! The Gatekeeper library's suites (`../shared/corpora/gatekeeper-library/`), run as
//! `palisade policy test` runs them. The pass count may only grow: a regression fails here.

use std::path::PathBuf;

use palisade_policy::suite::{run_dir, Outcome};

/// Cases that passed when this test was last tightened (see docs/policies.md).
const PASSING_AT_LEAST: usize = 263;

fn library() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/gatekeeper-library/library")
}

#[test]
fn gatekeeper_library_suites_pass() {
    let dir = library();
    assert!(
        dir.is_dir(),
        "the Gatekeeper library corpus is missing at {}",
        dir.display()
    );
    let run = run_dir(&dir);
    let passed = run.count(Outcome::Passed);
    let failed = run.count(Outcome::Failed);
    for r in run.results.iter().filter(|r| r.outcome == Outcome::Failed) {
        println!(
            "FAIL {} :: {} :: {}: {}",
            r.suite.strip_prefix(&dir).unwrap_or(&r.suite).display(),
            r.test,
            r.case,
            r.reason
        );
    }
    println!(
        "passed {passed}, failed {failed}, skipped {}",
        run.count(Outcome::Skipped)
    );
    assert!(
        run.results.len() >= 270,
        "only {} cases found",
        run.results.len()
    );
    assert!(
        passed >= PASSING_AT_LEAST,
        "{passed} cases passed, fewer than {PASSING_AT_LEAST}"
    );
}
