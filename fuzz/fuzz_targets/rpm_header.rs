//! Arbitrary bytes as an rpm header blob (as stored in `rpmdb.sqlite`). Nothing may panic or
//! allocate beyond the blob's own bounds; a parsed header's file list is no longer than the
//! blob could encode.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(h) = palisade_sbom::fuzzing::rpm_header(data) {
        assert!(!h.name.is_empty() && !h.version.is_empty());
        assert!(h.files.len() <= data.len());
    }
});
