//! `palisade policy test DIR`: runs gator verify Suites (`kind: Suite`,
//! `test.gatekeeper.sh/v1alpha1`) and reports per case.
//!
//! Mirrors gator's `verify.Runner`: each test compiles its template and constraint (a
//! `invalid: true` test passes when the constraint is refused by the template's schema);
//! each case reads exactly one object (or an `admission.k8s.io` AdmissionReview, judged as
//! the request it carries), adds its `inventory` files to the referential data, reviews the
//! object at the `gator.gatekeeper.sh` enforcement point, and checks every assertion
//! (`violations`: `yes` (default), `no` or a count of violations; `message`: a regular
//! expression the counted violations' messages must match). As in frameworks, a policy that
//! fails while judging counts as a violation whose message is the error. Paths are relative
//! to the suite file; `skip: true` skips a suite, test or case.

use std::path::{Path, PathBuf};

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::yaml::Node;
use palisade_core::{Inventory, Object};

use crate::action::POINT_GATOR;
use crate::policyset::ReviewOutcome;
use crate::rego::Limits;
use crate::PolicySet;

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// The suite file.
    pub suite: PathBuf,
    /// The test's name.
    pub test: String,
    /// The case's name (empty for a test-level result).
    pub case: String,
    /// Passed, failed or skipped.
    pub outcome: Outcome,
    /// Why it failed (empty when it passed).
    pub reason: String,
}

/// A case's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every assertion held.
    Passed,
    /// An assertion failed, or the case could not run.
    Failed,
    /// `skip: true`.
    Skipped,
}

/// All results of a run.
#[derive(Debug, Default)]
pub struct SuiteRun {
    /// One per case (or per test, when a test fails before its cases run).
    pub results: Vec<CaseResult>,
}

impl SuiteRun {
    /// How many results had this outcome.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }
}

/// Finds every Suite under `dir` (files ending in `.yaml` or `.yml` holding a `kind: Suite`
/// object), in path order, and runs them.
pub fn run_dir(dir: &Path) -> SuiteRun {
    let mut files = Vec::new();
    collect(dir, &mut files, 0);
    files.sort();
    let mut run = SuiteRun::default();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if !text.contains("Suite") {
            continue;
        }
        let loaded = load_str(&file.to_string_lossy(), &text, &LoadLimits::default());
        for suite in loaded.objects.iter().filter(|o| o.id.kind == "Suite") {
            run_suite(&file, suite, &mut run);
        }
    }
    run
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 32 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect(&path, out, depth + 1);
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn flag(node: &Node, key: &str) -> bool {
    node.get(key).and_then(Node::as_bool) == Some(true)
}

fn text<'a>(node: &'a Node, key: &str) -> &'a str {
    node.get(key).and_then(Node::as_str).unwrap_or("")
}

/// Reads the objects of a file relative to the suite's folder.
fn read_objects(base: &Path, rel: &str) -> Result<Vec<Object>, String> {
    if rel.is_empty() {
        return Err("missing path".into());
    }
    let path = base.join(rel);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let loaded = load_str(&path.to_string_lossy(), &text, &LoadLimits::default());
    if let Some(e) = loaded.errors.first() {
        return Err(e.to_string());
    }
    if loaded.objects.is_empty() {
        return Err(format!("{} defines no YAML objects", path.display()));
    }
    Ok(loaded.objects)
}

fn run_suite(file: &Path, suite: &Object, run: &mut SuiteRun) {
    let base = file.parent().unwrap_or(Path::new("."));
    let result = |test: &str, case: &str, outcome, reason: String| CaseResult {
        suite: file.to_path_buf(),
        test: test.to_string(),
        case: case.to_string(),
        outcome,
        reason,
    };
    let suite_skipped = flag(&suite.root, "skip");
    for test in suite.root.get("tests").map(Node::items).unwrap_or_default() {
        let name = text(test, "name");
        if suite_skipped || flag(test, "skip") {
            run.results
                .push(result(name, "", Outcome::Skipped, String::new()));
            continue;
        }
        let set = match load_test(base, test) {
            Ok(set) => set,
            Err(reason) => {
                // Every case of a test that cannot load fails with the test's reason.
                let cases = test.get("cases").map(Node::items).unwrap_or_default();
                if cases.is_empty() {
                    run.results
                        .push(result(name, "", Outcome::Failed, reason.clone()));
                }
                for case in cases {
                    run.results.push(result(
                        name,
                        text(case, "name"),
                        Outcome::Failed,
                        reason.clone(),
                    ));
                }
                continue;
            }
        };
        let Some(set) = set else {
            // An `invalid: true` test whose constraint was refused.
            run.results
                .push(result(name, "", Outcome::Passed, String::new()));
            continue;
        };
        for case in test.get("cases").map(Node::items).unwrap_or_default() {
            let case_name = text(case, "name");
            if flag(case, "skip") {
                run.results
                    .push(result(name, case_name, Outcome::Skipped, String::new()));
                continue;
            }
            let (outcome, reason) = match run_case(base, &set, case) {
                Ok(()) => (Outcome::Passed, String::new()),
                Err(reason) => (Outcome::Failed, reason),
            };
            run.results.push(result(name, case_name, outcome, reason));
        }
    }
}

/// Compiles a test's template and constraint. `Ok(None)`: an `invalid` test that passed.
fn load_test(base: &Path, test: &Node) -> Result<Option<PolicySet>, String> {
    let mut inventory = Inventory::default();
    inventory
        .objects
        .extend(read_objects(base, text(test, "template")).map_err(|e| format!("template: {e}"))?);
    inventory.objects.extend(
        read_objects(base, text(test, "constraint")).map_err(|e| format!("constraint: {e}"))?,
    );
    let (set, diags) = PolicySet::from_objects(&inventory.objects, Limits::default());
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.level == crate::Level::Error)
        .map(ToString::to_string)
        .collect();
    let schema_refused = errors
        .iter()
        .any(|e| e.contains("do not match the template's schema"));
    if flag(test, "invalid") {
        return if schema_refused {
            Ok(None)
        } else {
            Err(
                "the constraint was expected to be invalid for the template, but it was accepted"
                    .into(),
            )
        };
    }
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    if set.constraints.is_empty() {
        let why = diags
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(format!("nothing to evaluate: {why}"));
    }
    Ok(Some(set))
}

fn run_case(base: &Path, set: &PolicySet, case: &Node) -> Result<(), String> {
    let objects = read_objects(base, text(case, "object"))?;
    let [object] = objects.as_slice() else {
        return Err(format!(
            "the object file defines {} objects, not 1",
            objects.len()
        ));
    };
    let assertions = case.get("assertions").map(Node::items).unwrap_or_default();
    if assertions.is_empty() {
        return Err("assertions must be non-empty".into());
    }
    let mut inventory = Vec::new();
    for rel in case.get("inventory").map(Node::items).unwrap_or_default() {
        inventory.extend(read_objects(base, rel.as_str().unwrap_or(""))?);
    }
    let mut set = set.clone();
    let diags = set.set_referential_data(&inventory);
    if let Some(d) = diags.first() {
        return Err(d.to_string());
    }
    let json = object.root.to_json();
    let outcome = if object.id.kind == "AdmissionReview"
        && object.id.api_version.starts_with("admission.k8s.io/")
    {
        set.evaluate_review_at(&json, POINT_GATOR)?
    } else {
        set.evaluate_object_at(&json, POINT_GATOR)
    };
    if let Some(e) = outcome
        .errors
        .iter()
        .find(|e| e.message.contains("namespace selector"))
    {
        return Err(e.message.clone());
    }
    let messages = messages(&outcome);
    for a in assertions {
        check_assertion(a, &messages)?;
    }
    Ok(())
}

/// Violation messages, with failed policies counted as violations (frameworks' `Query`).
fn messages(outcome: &ReviewOutcome) -> Vec<String> {
    outcome
        .violations
        .iter()
        .map(|v| v.message.clone())
        .chain(outcome.errors.iter().map(|e| e.message.clone()))
        .collect()
}

/// gator's `Assertion.Run`.
fn check_assertion(a: &Node, messages: &[String]) -> Result<(), String> {
    let matching = match a.get("message").and_then(Node::as_str) {
        Some(pattern) => {
            let re =
                regex::Regex::new(pattern).map_err(|e| format!("invalid message regex: {e}"))?;
            messages.iter().filter(|m| re.is_match(m)).count()
        }
        None => messages.len(),
    };
    let want = a.get("violations");
    let fail = |want: &str| {
        Err(format!(
            "got {matching} violations but want {want}; got messages {messages:?}"
        ))
    };
    match want.and_then(Node::scalar_text).unwrap_or("yes") {
        "yes" if matching == 0 => fail("at least 1"),
        "yes" => Ok(()),
        "no" if matching > 0 => fail("none"),
        "no" => Ok(()),
        other => match other.parse::<usize>() {
            Ok(n) if n == matching => Ok(()),
            Ok(n) => fail(&format!("exactly {n}")),
            Err(_) => {
                Err(r#"assertion.violations must be a nonnegative integer, "yes", or "no""#.into())
            }
        },
    }
}
