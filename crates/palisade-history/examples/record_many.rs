//! Records two scans of N synthetic findings (the second with a tenth of them replaced) and
//! prints how long each took: `cargo run -p palisade-history --example record_many -- DB N`,
//! where DB is a file path or a `postgres://` URL.

use std::time::Instant;

use palisade_core::Severity;
use palisade_history::{fingerprint, History, NewScan, StoredFinding};

// The allocator of the `palisade` binary, whose `scan --record` this measures.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn scan(n: usize, shift: usize, at: i64) -> NewScan {
    let mut findings: Vec<StoredFinding> = (0..n)
        .map(|i| StoredFinding {
            fingerprint: String::new(),
            rule_id: format!("PAL-POD-{:03}", i % 40),
            severity: Severity::ALL[i % 5],
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some(format!("ns{}", (i + shift) % 97)),
            name: format!("app-{}", i + shift),
            path: format!("manifests/app-{}.yaml", i + shift),
            line: 12,
            col: 7,
            field: Some("spec.template.spec.containers[0].securityContext".into()),
            message: "container `app` is privileged".into(),
        })
        .collect();
    fingerprint::assign(&mut findings);
    NewScan {
        target: "bench".into(),
        started_at: at,
        tool_version: "bench".into(),
        load_errors: 0,
        findings,
        inventory: None,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(db), Some(n)) = (args.next(), args.next()) else {
        return Err("usage: record_many DB N".into());
    };
    let n: usize = n.parse()?;
    let mut history = History::open(&db)?;
    for (round, shift) in [0, n / 10].into_iter().enumerate() {
        let scan = scan(n, shift, 1_764_000_000 + round as i64);
        let started = Instant::now();
        let recorded = history.record(&scan)?;
        println!(
            "scan {}: {} findings, {} new, {} fixed, recorded in {:.2} s",
            recorded.id,
            n,
            recorded.appeared,
            recorded.fixed,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
