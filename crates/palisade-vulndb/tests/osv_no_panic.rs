//! Damaged records and archives never panic: the fixtures and a zip of them,
//! truncated and with random bytes changed, through the record parser, the
//! zip reader and matching.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};
use std::path::Path;

use palisade_vulndb::affected::{is_affected, Span};
use palisade_vulndb::import::{parse_file, read_zip};
use palisade_vulndb::ImportLimits;

fn inputs() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv-os");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    assert!(out.len() >= 5, "fixtures missing in {}", dir.display());
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in &out {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    out.push(("all.zip".into(), w.finish().unwrap().into_inner()));
    out.push((
        "secdb.yaml".into(),
        b"distroversion: v3.20\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        1.2.5-r1:\n          - CVE-2025-1\n".to_vec(),
    ));
    out
}

fn exercise(name: &str, bytes: &[u8]) -> usize {
    let limits = ImportLimits {
        max_file_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
    };
    let records = if name.ends_with(".zip") {
        read_zip(name, Cursor::new(bytes), &limits)
            .map(|(r, _)| r)
            .unwrap_or_default()
    } else {
        parse_file(name, bytes).map(|(r, _)| r).unwrap_or_default()
    };
    for r in &records {
        for a in &r.affected {
            let Some(p) = &a.package else { continue };
            let span = Span {
                ranges: a.ranges.clone(),
                versions: a.versions.clone(),
            };
            for v in [
                "0",
                "5.2.15-2+b13",
                "1:4.13",
                "v1.2.3",
                "2.4.27-r0",
                "",
                "~",
            ] {
                let _ = is_affected(&p.ecosystem, v, std::slice::from_ref(&span));
            }
        }
    }
    records.len()
}

#[test]
fn damaged_inputs_do_not_panic() {
    let mut rng = fastrand::Rng::with_seed(14);
    let inputs = inputs();
    // The undamaged inputs all read.
    for (name, bytes) in &inputs {
        assert!(exercise(name, bytes) > 0, "{name} should read");
    }
    for _ in 0..3_000 {
        let (name, bytes) = &inputs[rng.usize(..inputs.len())];
        let mut b = bytes.clone();
        match rng.u8(..3) {
            0 => b.truncate(rng.usize(..=b.len())),
            1 => {
                for _ in 0..rng.usize(1..8) {
                    let i = rng.usize(..b.len());
                    b[i] = rng.u8(..);
                }
            }
            _ => {
                let i = rng.usize(..b.len());
                let j = rng.usize(i..=b.len());
                let chunk = b[i..j].to_vec();
                b.splice(i..i, chunk);
            }
        }
        exercise(name, &b);
    }
}
