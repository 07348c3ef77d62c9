//! The official JSON schemas, through `shared/schemas/validate.py`. A missing python3 or
//! jsonschema fails the test with what to install, never skips it: a validation that silently
//! did not run would pass anything.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `shared/` beside the repository root.
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// Runs `python3 ARGS` with `input` on stdin: (success, stdout + stderr).
fn run_python(args: &[&str], input: &str) -> (bool, String) {
    let py = python();
    let mut child = Command::new(&py)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run `{py}` ({e}): install python3 and `pip install jsonschema` (scripts/setup.sh does both)")
        });
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
    (output.status.success(), text)
}

/// Validates `doc` as `kind` (`cyclonedx`, `spdx`, `spdx-2.3.1`); `Err` carries the
/// validator's report.
pub fn check(kind: &str, doc: &str) -> Result<(), String> {
    let (ok, text) = run_python(&["-c", "import jsonschema"], "");
    assert!(
        ok,
        "python package jsonschema is missing: run `pip install jsonschema` \
         (scripts/setup.sh installs it)\n{text}"
    );
    let script = shared().join("schemas/validate.py");
    assert!(
        script.is_file(),
        "{} not found: the tests need shared/ beside the repository",
        script.display()
    );
    let script = script.to_string_lossy().into_owned();
    let (ok, text) = run_python(&[&script, kind, "-"], doc);
    if ok {
        Ok(())
    } else {
        Err(text)
    }
}

/// Panics with the validator's report unless `doc` is valid CycloneDX 1.6.
pub fn cyclonedx(doc: &str) {
    if let Err(e) = check("cyclonedx", doc) {
        panic!("CycloneDX 1.6 schema rejects the document:\n{e}\n{doc}");
    }
}

/// Panics unless `doc` is valid under both the released SPDX 2.3 schema and the 2.3.1
/// errata schema.
pub fn spdx(doc: &str) {
    for kind in ["spdx", "spdx-2.3.1"] {
        if let Err(e) = check(kind, doc) {
            panic!("{kind} schema rejects the document:\n{e}\n{doc}");
        }
    }
}
