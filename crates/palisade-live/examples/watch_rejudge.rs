//! Benchmark of `palisade watch`'s re-judging: the time from one changed object's arrival
//! to the updated report, in an inventory of N objects (a generated corpus:
//! `bench/gen-corpus.py`). Prints the medians of the per-object path (apply, re-judge the
//! object, assemble the report) and of the debounced inventory-wide re-run.
//!
//! ```sh
//! python3 bench/gen-corpus.py target/bench-corpus-10000 10000
//! cargo run --release -p palisade-live --example watch_rejudge -- target/bench-corpus-10000 51
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Date};
use palisade_engine::{Engine, ScanOptions};
use palisade_live::watch::reflector::Update;
use palisade_live::watch::Judge;
use serde_json::Value;

// The allocator of the `palisade` binary, whose `watch` this measures. With the system
// allocator a change took 4.6-5.6 ms here (glibc's reallocation and heap consolidation led
// the profile); with this one, 0.7 ms (docs/BENCHMARKS.md §13).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: watch_rejudge CORPUS_DIR [RUNS]");
    let runs: usize = args.next().map_or(51, |r| r.parse().unwrap());
    // The corpus's objects as the API would hand them over: JSON, with uid and version.
    let mut items: Vec<Value> = Vec::new();
    let mut paths = Vec::new();
    files(std::path::Path::new(&dir), &mut paths);
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = load_str(&path.display().to_string(), &text, &LoadLimits::default());
        for o in loaded.objects {
            let mut v = o.root.to_json();
            let n = items.len();
            v["metadata"]["uid"] = Value::from(format!("uid-{n}"));
            v["metadata"]["resourceVersion"] = Value::from("1");
            items.push(v);
        }
    }
    let total = items.len();
    let target = items
        .iter()
        .position(|v| v["kind"] == "Deployment")
        .expect("a Deployment in the corpus");
    let engine = Arc::new(Engine::builtin());
    let options = ScanOptions::on(Date::from_unix_days(20_000));
    let mut judge = Judge::new(engine, Config::default(), options, vec!["all".into()]);
    let started = Instant::now();
    judge.apply(Update::Listed {
        stream: 0,
        items: items.clone(),
    });
    judge.settle();
    judge.rejudge_whole();
    let report = judge.report().clone();
    println!(
        "{total} objects, {} findings; first full judgement {:.3} s",
        report.findings.len(),
        started.elapsed().as_secs_f64()
    );
    let report_path = format!(
        "cluster://Deployment/{}/{}",
        items[target]["metadata"]["namespace"].as_str().unwrap(),
        items[target]["metadata"]["name"].as_str().unwrap()
    );
    let mut one = Vec::new();
    let mut rejudge_only = Vec::new();
    let mut whole = Vec::new();
    for run in 0..runs {
        // The Deployment flips between privileged and not: its findings change each time.
        let mut changed = items[target].clone();
        changed["metadata"]["resourceVersion"] = Value::from(format!("{}", run + 2));
        changed["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] =
            Value::Bool(run % 2 == 0);
        let t = Instant::now();
        judge.apply(Update::Applied {
            stream: 0,
            item: changed,
        });
        let judged = judge.settle();
        let t_judged = t.elapsed();
        let report = judge.report();
        let t_report = t.elapsed();
        assert_eq!(judged, 1);
        assert!(!report.findings.is_empty());
        let privileged = report
            .findings
            .iter()
            .any(|f| f.rule_id == "PAL-POD-002" && *f.location.path == *report_path);
        assert_eq!(privileged, run % 2 == 0, "the report follows the change");
        one.push(t_report.as_secs_f64() * 1e3);
        rejudge_only.push(t_judged.as_secs_f64() * 1e3);
        // The debounced run that follows: the inventory-wide analyses, and the report
        // assembled whole from every finding.
        let t = Instant::now();
        judge.rejudge_whole();
        judge.refresh();
        whole.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "one changed object, arrival to updated report: median {:.2} ms (re-judging it: {:.3} ms); \
         inventory-wide re-run and full report (debounced): median {:.1} ms; {runs} runs",
        median(one),
        median(rejudge_only),
        median(whole)
    );
}
