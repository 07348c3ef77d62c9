//! Table-driven semantics: one small manifest per rule of NetworkPolicy semantics under
//! `tests/fixtures/semantics/`, each stating what it expects in header comments:
//!
//! - `# expect: SRC -> DST: SET` — the matrix cell (SRC/DST as `NS/NAME`, `Kind/NS/NAME` or
//!   an IP address, SET as `ConnectionSet` prints it); the pairwise evaluator must agree.
//! - `# endpoints: A, B, ...` — the exact endpoint list, in model order.
//! - `# diagnostics: N` — how many diagnostics (default 0).
//!
//! A fixture without an `# expect:` line fails, so every case asserts something.

use std::path::Path;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::{matrix, Model};

fn run_case(path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let objects = load_str(&path.display().to_string(), &text, &LoadLimits::default()).objects;
    let model = Model::from_objects(&objects);
    let m = matrix(&model);
    let mut checks = 0;
    let mut expected_diags = 0;
    for line in text.lines().filter_map(|l| l.strip_prefix("# ")) {
        if let Some(rest) = line.strip_prefix("expect: ") {
            let (pair, want) = rest
                .rsplit_once(": ")
                .ok_or(format!("bad expect `{rest}`"))?;
            let (src, dst) = pair
                .split_once(" -> ")
                .ok_or(format!("bad pair `{pair}`"))?;
            let s = model.lookup(src).map_err(|e| format!("{src}: {e}"))?;
            let d = model.lookup(dst).map_err(|e| format!("{dst}: {e}"))?;
            let got = m.get(s, d).map(ToString::to_string).unwrap_or("-".into());
            if got != want {
                return Err(format!(
                    "{src} -> {dst}: expected `{want}`, matrix says `{got}`"
                ));
            }
            let single = model
                .connections(s, d)
                .map(|c| c.to_string())
                .unwrap_or("-".into());
            if single != got {
                return Err(format!(
                    "{src} -> {dst}: matrix `{got}`, pairwise `{single}`"
                ));
            }
            checks += 1;
        } else if let Some(rest) = line.strip_prefix("endpoints: ") {
            let want: Vec<&str> = rest.split(", ").collect();
            let got: Vec<String> = model.endpoints().iter().map(ToString::to_string).collect();
            if got != want {
                return Err(format!("endpoints: expected {want:?}, got {got:?}"));
            }
            checks += 1;
        } else if let Some(rest) = line.strip_prefix("diagnostics: ") {
            expected_diags = rest.trim().parse().map_err(|_| "bad diagnostics count")?;
        }
    }
    if model.diagnostics().len() != expected_diags {
        let shown: Vec<String> = model
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect();
        return Err(format!(
            "expected {expected_diags} diagnostics, got {shown:#?}"
        ));
    }
    if checks == 0 {
        return Err("no `# expect:` line".into());
    }
    Ok(checks)
}

#[test]
fn every_semantics_fixture_holds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/semantics");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 20,
        "expected the full table, found {}",
        paths.len()
    );
    let mut failures = Vec::new();
    for path in &paths {
        if let Err(e) = run_case(path) {
            failures.push(format!(
                "{}: {e}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n")
    );
}
