//! Arbitrary bytes to every scanner-report reader of `palisade-imagescan` (format detected,
//! then Trivy, Grype, CycloneDX and Palisade readers each forced on the same JSON), merged
//! and rendered as table and JSON; the same bytes as an OpenVEX document, indexed and
//! queried. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_imagescan::merge::fuzzing::scanner_reports;
use palisade_imagescan::vex::{OpenVexDocument, VexIndex};

fuzz_target!(|data: &[u8]| {
    scanner_reports(data);
    if let Ok(doc) = OpenVexDocument::parse("fuzz", data) {
        let index = VexIndex::from_documents([doc]);
        let _ = index.verdict(
            &["CVE-2024-1"],
            "registry.example/app:1",
            Some("pkg:npm/a@1"),
        );
    }
});
