//! Bad input: one manifest per problem under `tests/fixtures/diagnostics/`, stating in
//! header comments the exact diagnostics (`# diag: LINE Kind`), how many policies are
//! admitted (`# policies: N`) and, optionally, cells that show the rest is still analysed
//! (`# expect: SRC -> DST: SET`). Nothing may panic.

use std::path::Path;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::{matrix, Level, Model};

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let objects = load_str(&path.display().to_string(), &text, &LoadLimits::default()).objects;
    let model = Model::from_objects(&objects);
    let m = matrix(&model);
    let mut want: Vec<(u32, String)> = Vec::new();
    let mut policies = None;
    for line in text.lines().filter_map(|l| l.strip_prefix("# ")) {
        if let Some(rest) = line.strip_prefix("diag: ") {
            let (l, kind) = rest.split_once(' ').ok_or("bad diag line")?;
            want.push((l.parse().map_err(|_| "bad line number")?, kind.to_string()));
        } else if let Some(rest) = line.strip_prefix("policies: ") {
            policies = Some(rest.parse::<usize>().map_err(|_| "bad policies count")?);
        } else if let Some(rest) = line.strip_prefix("expect: ") {
            let (pair, set) = rest.rsplit_once(": ").ok_or("bad expect")?;
            let (src, dst) = pair.split_once(" -> ").ok_or("bad pair")?;
            let s = model.lookup(src).map_err(|e| e.to_string())?;
            let d = model.lookup(dst).map_err(|e| e.to_string())?;
            let got = m.get(s, d).map(ToString::to_string).unwrap_or_default();
            if got != set {
                return Err(format!("{src} -> {dst}: expected `{set}`, got `{got}`"));
            }
        }
    }
    if want.is_empty() {
        return Err("no `# diag:` line".into());
    }
    let mut got: Vec<(u32, String)> = model
        .diagnostics()
        .iter()
        .map(|d| (d.location.line, format!("{:?}", d.kind)))
        .collect();
    want.sort();
    got.sort();
    if got != want {
        let shown: Vec<String> = model
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect();
        return Err(format!(
            "expected {want:?}, got {got:?}:\n{}",
            shown.join("\n")
        ));
    }
    for d in model.diagnostics() {
        // Every diagnostic names the file and a field, and says what it means.
        if !d.location.path.ends_with(".yaml") || d.field.is_empty() || d.message.is_empty() {
            return Err(format!("incomplete diagnostic {d}"));
        }
    }
    let admitted = model.policies().len();
    // The very object a rejection names (not just its name: a duplicate shares that) is
    // never among the admitted policies.
    let admitted_rejected = model.diagnostics().iter().any(|d| {
        d.level == Level::Rejected
            && model
                .policies()
                .iter()
                .any(|p| std::sync::Arc::ptr_eq(&p.object, &d.object))
    });
    if admitted_rejected {
        return Err("a rejected policy was admitted".into());
    }
    match policies {
        Some(n) if n != admitted => Err(format!("expected {n} admitted policies, got {admitted}")),
        None => Err("no `# policies:` line".into()),
        _ => Ok(()),
    }
}

#[test]
fn every_diagnostics_fixture_holds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diagnostics");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 12,
        "expected the full table, found {}",
        paths.len()
    );
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|p| run_case(p).err().map(|e| format!("{}: {e}", p.display())))
        .collect();
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn garbage_never_panics() {
    // Every field of the wrong shape, null and scalar where mappings belong.
    let texts = [
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: 7\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {podSelector: [], ingress: [1, null, {from: 3, ports: x}], egress: [{to: [null, 5, {ipBlock: 1}]}]}\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {policyTypes: [1, 2, 3], ingress: [{ports: [{port: 1.5}, {port: true}, {endPort: x}, 9, {port: 99999999999999999999}]}]}\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {ingress: [{from: [{ipBlock: {cidr: null, except: 3}}, {ipBlock: {cidr: ::/0, except: [\"::/0\", x]}}]}]}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: 5, ownerReferences: [1, {controller: true}]}\nspec: {containers: [{ports: [{containerPort: -1}, {containerPort: 99999}, {containerPort: 80, protocol: ICMP}]}]}\n",
    ];
    for text in texts {
        let objects = load_str("g.yaml", text, &LoadLimits::default()).objects;
        let model = Model::from_objects(&objects);
        let m = matrix(&model);
        assert_eq!(m.size(), model.endpoints().len());
    }
    // The malformed policies are all reported and left out.
    let objects = load_str("g.yaml", texts[1], &LoadLimits::default()).objects;
    let model = Model::from_objects(&objects);
    assert!(model.policies().is_empty() && !model.diagnostics().is_empty());
}
