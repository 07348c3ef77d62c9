//! Arbitrary bytes as one OSV record (JSON and YAML, including the Alpine
//! secdb shape) and as a zip archive of records; every record read is then
//! matched against a version from the input. No panic; a zip never yields
//! more bytes than its limits allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_vulndb::affected::{is_affected, Span};
use palisade_vulndb::import::{parse_file, read_zip};
use palisade_vulndb::ImportLimits;

fn exercise(records: &[palisade_vulndb::osv::Record], version: &str) {
    for r in records {
        let _ = palisade_vulndb::Severity::of(r);
        for a in &r.affected {
            let Some(p) = &a.package else { continue };
            let span = Span {
                ranges: a.ranges.clone(),
                versions: a.versions.clone(),
            };
            let _ = is_affected(&p.ecosystem, version, std::slice::from_ref(&span));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The first line (if short) doubles as the version to evaluate.
    let version = data
        .split(|b| *b == b'\n')
        .next()
        .and_then(|l| std::str::from_utf8(l).ok())
        .filter(|l| l.len() < 64)
        .unwrap_or("1.0.0");
    for name in ["r.json", "r.yaml"] {
        if let Ok((records, _)) = parse_file(name, data) {
            exercise(&records, version);
        }
    }
    let limits = ImportLimits {
        max_file_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
    };
    if let Ok((records, _)) = read_zip("fuzz.zip", std::io::Cursor::new(data), &limits) {
        exercise(&records, version);
    }
});
