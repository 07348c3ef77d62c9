//! Arbitrary bytes as a file sniffed for Go build info (ELF/Mach-O/PE headers, notes, the
//! inline and the pre-1.18 pointer layouts). Nothing may panic; what is found is a Go package
//! with a purl.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for p in palisade_sbom::fuzzing::go_binary(data) {
        assert!(p.purl.starts_with("pkg:golang/"));
    }
});
