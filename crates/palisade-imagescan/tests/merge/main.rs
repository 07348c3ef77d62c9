//! Tests of `palisade_imagescan::merge` and `palisade_imagescan::vex` against hand-written
//! fixtures in the tools' formats (`tests/fixtures/merge/README.md`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod combine; // merging: alias groups, packages, disagreements, VEX marks, rendering
mod hostile; // bad input: truncated, wrong types, huge arrays, limits
mod readers; // each reader's field mapping
mod vex; // OpenVEX parsing and verdicts

use std::path::PathBuf;

use palisade_imagescan::merge::{read_report_file, ScannerReport};

/// Path of a fixture file.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/merge")
        .join(name)
}

/// Bytes of a fixture file.
pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// A fixture read as a scanner report.
pub fn report(name: &str) -> ScannerReport {
    read_report_file(&fixture(name)).unwrap()
}
