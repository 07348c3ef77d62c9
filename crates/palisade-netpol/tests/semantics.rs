//! Table-driven semantics: one small manifest per rule of NetworkPolicy semantics under
//! `tests/fixtures/semantics/`, each stating what it expects in header comments:
//!
//! - `# expect: SRC -> DST: SET` — the matrix cell (SRC/DST as `NS/NAME`, `Kind/NS/NAME` or
//!   an IP address, SET as `ConnectionSet` prints it); the pairwise evaluator must agree.
//! - `# endpoints: A, B, ...` — the exact endpoint list, in model order.
//! - `# diagnostics: N` — how many diagnostics (default 0).
//! - `# decide: SRC -> DST PORT/PROTO: EGRESS | INGRESS` — what `explain` says decided each
//!   side: `default`, `end of tier NAME ACTION`, or `KIND POLICY DIRECTION[INDEX] ACTION`
//!   (KIND one of `NetworkPolicy`, `Calico`, `Admin`, `Baseline`); the side's verdict must
//!   agree with the matrix.
//!
//! A fixture without an `# expect:` line fails, so every case asserts something.

use std::path::Path;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::{matrix, Decision, Model, Protocol, SideExplanation, Tier};

/// How a `# decide:` line spells one side's decision.
fn describe(model: &Model, side: &SideExplanation) -> String {
    match &side.decision {
        Decision::Rule(r) => {
            let i = r.policy.index();
            let name = match r.tier {
                Tier::NetworkPolicy => model.policies()[i].full_name(),
                Tier::Calico => model.calico_policies()[i].full_name(),
                _ => model.admin_policies()[i].name.clone(),
            };
            format!(
                "{:?} {name} {}[{}] {}",
                r.tier,
                r.direction.as_str().to_lowercase(),
                r.index,
                r.action.as_str()
            )
        }
        Decision::EndOfTier { tier, action } => format!("end of tier {tier} {}", action.as_str()),
        Decision::Default => "default".into(),
        other => format!("{other:?}"),
    }
}

fn decide(model: &Model, rest: &str) -> Result<(), String> {
    let (head, want) = rest
        .split_once(": ")
        .ok_or(format!("bad decide `{rest}`"))?;
    let (pair, port) = head.rsplit_once(' ').ok_or("bad decide head")?;
    let (src, dst) = pair.split_once(" -> ").ok_or("bad pair")?;
    let (num, proto) = port.split_once('/').ok_or("bad port")?;
    let num: u16 = num.parse().map_err(|_| "bad port number")?;
    let proto = Protocol::parse_loose(proto).ok_or("bad protocol")?;
    let s = model.lookup(src).map_err(|e| format!("{src}: {e}"))?;
    let d = model.lookup(dst).map_err(|e| format!("{dst}: {e}"))?;
    let ex = model.explain(s, d, num, proto).ok_or("no explanation")?;
    let got = format!(
        "{} | {}",
        describe(model, &ex.egress),
        describe(model, &ex.ingress)
    );
    if got != want {
        return Err(format!("{head}: expected `{want}`, explain says `{got}`"));
    }
    let cell = model.connections(s, d).ok_or("no cell")?;
    if cell.contains(proto, num) != ex.allowed
        || ex.egress.allowed != ex.egress.decision.allows()
        || ex.ingress.allowed != ex.ingress.decision.allows()
    {
        return Err(format!(
            "{head}: explain's verdict disagrees with the matrix"
        ));
    }
    Ok(())
}

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
        } else if let Some(rest) = line.strip_prefix("decide: ") {
            decide(&model, rest)?;
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
