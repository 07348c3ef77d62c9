//! `palisade policy test`: Gatekeeper suites run from the CLI, on a template of the shared
//! Gatekeeper library copied into a scratch directory.

use std::path::Path;

use crate::util::{assert_exit, repo_root, Dir};

/// Copies `from` (a directory tree) into `dir` at `to`.
fn copy_tree(from: &Path, dir: &Dir, to: &str) {
    for entry in walk(from) {
        let rel = entry
            .strip_prefix(from)
            .unwrap()
            .to_string_lossy()
            .to_string();
        dir.create(&format!("{to}/{rel}"), std::fs::read(&entry).unwrap());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn requiredlabels() -> std::path::PathBuf {
    repo_root().join("../shared/corpora/gatekeeper-library/library/general/requiredlabels")
}

#[test]
fn a_library_suite_passes_and_reports_its_cases() {
    let dir = Dir::new("policy-suite");
    copy_tree(&requiredlabels(), &dir, "requiredlabels");
    let out = dir.run(&["policy", "test", ".", "--format", "json"]);
    assert_exit(&out, 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["passed"], 5, "{doc}");
    assert_eq!(doc["failed"], 0, "{doc}");
    let cases: Vec<&str> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["case"].as_str().unwrap())
        .collect();
    assert!(
        cases.contains(&"example-disallowed-label-value"),
        "{cases:?}"
    );
}

#[test]
fn a_wrong_expectation_fails_with_the_case_named_and_exit_1() {
    let dir = Dir::new("policy-suite-wrong");
    copy_tree(&requiredlabels(), &dir, "requiredlabels");
    // The allowed example now claims a violation: the evaluator must disagree.
    let suite = std::fs::read_to_string(requiredlabels().join("suite.yaml")).unwrap();
    let wrong = suite.replacen("    - violations: no", "    - violations: yes", 1);
    assert_ne!(wrong, suite);
    dir.create("requiredlabels/suite.yaml", wrong);
    let out = dir.run(&["policy", "test", "."]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAIL") && text.contains("example-allowed"),
        "{text}"
    );
    assert!(text.contains("4 passed, 1 failed"), "{text}");
}

#[test]
fn a_missing_directory_is_an_error() {
    let dir = Dir::new("policy-missing");
    let out = dir.run(&["policy", "test", "nowhere"]);
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));
}
