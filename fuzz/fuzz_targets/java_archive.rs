//! Arbitrary bytes as `pom.properties`, as `MANIFEST.MF`, and as a Java archive (zip, with
//! nested archives). Nothing may panic; every package has a Maven purl.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for p in palisade_sbom::fuzzing::java(data) {
        assert!(p.purl.starts_with("pkg:maven/"));
    }
});
