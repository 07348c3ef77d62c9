//! Arbitrary bytes as an npm lockfile (v1 dependency tree, v2/v3 packages map) and as an
//! installed `package.json`. Nothing may panic; every package has a name and a version.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for p in palisade_sbom::fuzzing::npm(data) {
        assert!(!p.name.is_empty() && !p.version.is_empty());
    }
});
