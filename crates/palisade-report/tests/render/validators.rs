//! The external validators. A missing tool fails the test with what to install, never
//! skips it: a validation that silently did not run would pass anything.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `shared/` beside the repository root.
fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs `program args` with `input` on stdin; returns (success, stdout + stderr).
/// Runs a validator on `input`; `Err` carries its output when it rejects the document.
fn run(program: &str, args: &[&str], input: &str, install_hint: &str) -> Result<(), String> {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => panic!("cannot run `{program}` ({e}): {install_hint}"),
    };
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("write to validator");
    let output = child.wait_with_output().expect("wait for validator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(())
    } else {
        Err(text)
    }
}

fn require_jsonschema() {
    if let Err(text) = run(
        &python(),
        &["-c", "import jsonschema"],
        "",
        "install python3, then `pip install jsonschema` (scripts/setup.sh does both)",
    ) {
        panic!(
            "python package jsonschema is missing: run `pip install jsonschema` \
             (scripts/setup.sh installs it)\n{text}"
        );
    }
}

/// Validates SARIF with the official 2.1.0 schema via `shared/schemas/validate.py`.
pub fn sarif(doc: &str) -> Result<(), String> {
    require_jsonschema();
    let script = shared().join("schemas/validate.py");
    assert!(
        script.is_file(),
        "{} not found: the tests need shared/ beside the repository",
        script.display()
    );
    let script = script.to_string_lossy().into_owned();
    run(
        &python(),
        &[&script, "sarif", "-"],
        doc,
        "install python3 and `pip install jsonschema`",
    )
}

/// Validates Palisade JSON against `schema/report-v1.schema.json`.
pub fn palisade_json(doc: &str) -> Result<(), String> {
    require_jsonschema();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let script = dir.join("tests/fixtures/validate_json_schema.py");
    let schema = dir.join("schema/report-v1.schema.json");
    let (script, schema) = (script.to_string_lossy(), schema.to_string_lossy());
    run(
        &python(),
        &[&script, &schema],
        doc,
        "install python3 and `pip install jsonschema`",
    )
}

/// Validates JUnit XML against the Ant schema `shared/schemas/junit.xsd` with xmllint.
pub fn junit(doc: &str) -> Result<(), String> {
    let xsd = shared().join("schemas/junit.xsd");
    assert!(
        xsd.is_file(),
        "{} not found: the tests need shared/ beside the repository",
        xsd.display()
    );
    let xsd = xsd.to_string_lossy().into_owned();
    run(
        "xmllint",
        &["--noout", "--nonet", "--schema", &xsd, "-"],
        doc,
        "install xmllint: `apt-get install libxml2-utils` (scripts/setup.sh does it)",
    )
}
