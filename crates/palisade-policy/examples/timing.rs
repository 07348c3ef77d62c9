//! Timings: every Gatekeeper library template with its sample constraints, judging N objects
//! (the library's example objects, repeated with new names) one at a time.
//!
//! ```sh
//! cargo run --release -p palisade-policy --example timing -- ../shared/corpora/gatekeeper-library/library 2000
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Inventory, Object};
use palisade_policy::PolicySet;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "../shared/corpora/gatekeeper-library/library".into()),
    );
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    files.sort();
    let mut policies = Inventory::default();
    let mut pool: Vec<Object> = Vec::new();
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let loaded = load_str(&f.to_string_lossy(), &text, &LoadLimits::default());
        if name == "template.yaml" || name.starts_with("constraint") {
            policies.add(loaded);
        } else if name.starts_with("example_") {
            pool.extend(
                loaded
                    .objects
                    .into_iter()
                    .filter(|o| o.id.kind != "AdmissionReview"),
            );
        }
    }
    let started = Instant::now();
    let (mut set, diags) = PolicySet::from_inventory(&policies);
    // The figures are of evaluation: the same objects again would be decision-cache hits.
    set.set_decision_cache_bytes(0);
    let compile = started.elapsed();
    let jsons: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut j = pool[i % pool.len()].root.to_json();
            if let Some(m) = j.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                m.insert("name".into(), format!("obj-{i}").into());
            }
            j
        })
        .collect();
    let mut times = Vec::with_capacity(n);
    let mut violations = 0;
    for j in &jsons {
        let t = Instant::now();
        let out = set.evaluate_object_at(j, palisade_policy::action::POINT_AUDIT);
        times.push(t.elapsed());
        violations += out.violations.len();
    }
    times.sort();
    let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    println!(
        "templates compiled: {} ({} diagnostics), constraints: {}, in {:?}",
        set.rules().len(),
        diags.len(),
        policies
            .objects
            .iter()
            .filter(|o| o.id.api_version.starts_with("constraints."))
            .count(),
        compile
    );
    println!(
        "{n} objects judged one at a time: median {:?}, p90 {:?}, p99 {:?}, max {:?}; {violations} violations",
        pct(50),
        pct(90),
        pct(99),
        times[times.len() - 1]
    );
    // Per template: which ones cost the most (template + its constraints alone).
    let mut per_template = Vec::new();
    for t in policies
        .objects
        .iter()
        .filter(|o| o.id.kind == "ConstraintTemplate")
    {
        let kind = t
            .root
            .get_path(&["spec", "crd", "spec", "names", "kind"])
            .and_then(|k| k.as_str())
            .unwrap_or("");
        let objs: Vec<Object> = policies
            .objects
            .iter()
            .filter(|o| std::ptr::eq(*o, t) || o.id.kind == kind)
            .cloned()
            .collect();
        let (mut one, _) = PolicySet::from_objects(&objs, palisade_policy::Limits::default());
        one.set_decision_cache_bytes(0);
        let mut ts: Vec<_> = jsons
            .iter()
            .take(300)
            .map(|j| {
                let t = Instant::now();
                let _ = one.evaluate_object_at(j, palisade_policy::action::POINT_AUDIT);
                t.elapsed()
            })
            .collect();
        ts.sort();
        per_template.push((ts[ts.len() / 2], kind.to_string()));
    }
    per_template.sort();
    let medians: Vec<String> = per_template
        .iter()
        .rev()
        .take(6)
        .map(|(d, k)| format!("{k} {d:?}"))
        .collect();
    println!(
        "slowest templates (median per object, alone): {}",
        medians.join(", ")
    );
    println!("cheapest: {:?} ({})", per_template[0].0, per_template[0].1);
    // The scan path: the whole inventory at once (parallel chunks, engines cloned per chunk).
    let mut inv = Inventory::default();
    for (i, j) in jsons.iter().enumerate() {
        let text = serde_json::to_string(j).unwrap_or_default();
        inv.add(load_str(
            &format!("obj-{i}.json"),
            &text,
            &LoadLimits::default(),
        ));
    }
    let t = Instant::now();
    let result = set.evaluate(&inv, &Config::default());
    println!(
        "evaluate(): {} objects in {:?} ({:?} per object, {} threads), {} findings",
        n,
        t.elapsed(),
        t.elapsed() / n as u32,
        rayon::current_num_threads(),
        result.findings.len()
    );
}
