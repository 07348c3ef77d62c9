//! Times `import` of an OSV corpus into a fresh store, then matching 10,000
//! queries (names present in the corpus, half at a version the record lists
//! or ranges over, plus misses) against it.
//!
//! ```sh
//! cargo run --release -p palisade-vulndb --example vulndb_bench -- CORPUS [RUNS]
//! ```
//!
//! `VULNDB_BENCH_MODE=distinct|stress` picks the query set (see `queries`);
//! `VULNDB_BENCH_KEEP=FILE` keeps the first run's store, and
//! `VULNDB_BENCH_STORE=FILE` times matching alone against such a store.

use std::time::Instant;

// The allocator the `palisade` binary uses, so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use palisade_vulndb::{Db, Query};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    // `--store FILE`: match only, against an existing store, many times
    // (for profiling the matcher alone).
    if let Some(store) = std::env::var_os("VULNDB_BENCH_STORE") {
        let db = Db::open(std::path::Path::new(&store))?;
        let mode = std::env::var("VULNDB_BENCH_MODE").unwrap_or_else(|_| "distinct".into());
        let queries = queries(&db, &mode)?;
        let mut ms = Vec::new();
        let cpu0 = cpu_ticks();
        for _ in 0..10 {
            let start = Instant::now();
            let found = db.matches(&queries)?;
            ms.push(start.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(found);
        }
        let cpu = cpu_ticks()
            .zip(cpu0)
            .map(|(b, a)| (b - a) as f64 * 10.0 / 10.0);
        let found = db.matches(&queries)?;
        let hit: std::collections::BTreeSet<usize> = found.iter().map(|m| m.query).collect();
        if let Some(cpu) = cpu {
            println!("CPU ms per run (user+sys, all threads): {cpu:.0}");
        }
        println!(
            "{mode}: {} queries, {} matches, {} queries matched",
            queries.len(),
            found.len(),
            hit.len()
        );
        println!("match ms: {:?} median {:.1}", rounded(&ms), median(&mut ms));
        return Ok(());
    }
    let corpus = args.next().ok_or("usage: vulndb_bench CORPUS [RUNS]")?;
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let dir = tempfile::tempdir()?;
    let keep = std::env::var_os("VULNDB_BENCH_KEEP");
    let mode = std::env::var("VULNDB_BENCH_MODE").unwrap_or_else(|_| "distinct".into());
    let mut import_ms = Vec::new();
    let mut match_ms = Vec::new();
    for run in 0..runs {
        let path = dir.path().join(format!("run{run}.sqlite"));
        let start = Instant::now();
        let mut db = Db::open(&path)?;
        let report = db.import(std::path::Path::new(&corpus))?;
        import_ms.push(start.elapsed().as_secs_f64() * 1e3);
        if run == 0 {
            println!(
                "imported {} records from {} files ({} skipped); ecosystems: {}",
                report.records,
                report.files,
                report.diagnostics.len(),
                report.ecosystems.len()
            );
            for d in report.diagnostics.iter().take(5) {
                println!("  skipped {d}");
            }
        }
        drop(db);
        let db = Db::open(&path)?;
        let queries = queries(&db, &mode)?;
        let start = Instant::now();
        let found = db.matches(&queries)?;
        if let (0, Some(keep)) = (run, &keep) {
            std::fs::copy(&path, keep)?;
        }
        match_ms.push(start.elapsed().as_secs_f64() * 1e3);
        if run == 0 {
            let hit: std::collections::BTreeSet<usize> = found.iter().map(|m| m.query).collect();
            println!(
                "{} queries, {} matches, {} queries matched",
                queries.len(),
                found.len(),
                hit.len()
            );
        }
    }
    println!(
        "import ms: {:?} median {:.0}",
        rounded(&import_ms),
        median(&mut import_ms)
    );
    println!(
        "match ms: {:?} median {:.1}",
        rounded(&match_ms),
        median(&mut match_ms)
    );
    Ok(())
}

/// 10,000 queries. `distinct` (the headline figure): every (ecosystem,
/// package) of the store once, at a version taken from one of its records
/// (a listed affected version, else a fixed one), then misses (names absent
/// from the store) up to 10,000. `stress`: one query per affected entry of
/// every record, cycled, so packages with hundreds of records (Go `stdlib`,
/// `tensorflow`, Alpine `php7`) come up in proportion, every fourth a miss.
fn queries(db: &Db, mode: &str) -> Result<Vec<Query>, Box<dyn std::error::Error>> {
    let mut present = Vec::new();
    for id in db.ids()? {
        let Some(record) = db.record(&id)? else {
            continue;
        };
        for a in &record.affected {
            let Some(p) = &a.package else { continue };
            let version = a
                .versions
                .first()
                .cloned()
                .or_else(|| {
                    a.ranges
                        .iter()
                        .flat_map(|r| &r.events)
                        .find_map(|e| match e {
                            palisade_vulndb::osv::Event::Fixed(f) => Some(f.clone()),
                            _ => None,
                        })
                })
                .unwrap_or_else(|| "1.0.0".into());
            present.push(Query::new(p.ecosystem.clone(), p.name.clone(), version));
        }
    }
    let mut out = Vec::with_capacity(10_000);
    if mode == "distinct" {
        let mut seen = std::collections::HashSet::new();
        for q in present {
            if seen.insert((q.ecosystem.clone(), q.name.clone())) {
                out.push(q);
            }
        }
        out.truncate(10_000);
        let ecos = ["PyPI", "Go", "Alpine:v3.11", "npm", "Debian:12"];
        let mut i = 0;
        while out.len() < 10_000 {
            out.push(Query::new(
                ecos[i % ecos.len()],
                format!("absent-package-{i}"),
                "1.0",
            ));
            i += 1;
        }
        return Ok(out);
    }
    let mut i = 0;
    while out.len() < 10_000 && !present.is_empty() {
        if out.len() % 4 == 3 {
            out.push(Query::new("PyPI", format!("no-such-package-{i}"), "1.0"));
        } else {
            out.push(present[(i * 7919) % present.len()].clone());
            i += 1;
        }
    }
    Ok(out)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn rounded(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.round() as u64).collect()
}

/// The process's user+system CPU time in clock ticks (10 ms on Linux), from
/// `/proc/self/stat`: a figure the load of a shared machine does not inflate.
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}
