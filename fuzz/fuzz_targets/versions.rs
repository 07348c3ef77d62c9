//! Arbitrary text as two versions (split at the first newline) for every
//! version scheme of `palisade-vulndb`: no panic; what parses compares
//! equal to itself and antisymmetrically with the other.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_vulndb::version::Scheme;
use std::cmp::Ordering;

const SCHEMES: [Scheme; 7] = [
    Scheme::Dpkg,
    Scheme::Apk,
    Scheme::Rpm,
    Scheme::SemVer,
    Scheme::Go,
    Scheme::Pep440,
    Scheme::Maven,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, text));
    for scheme in SCHEMES {
        if let Ok(o) = scheme.compare_str(a, a) {
            assert_eq!(o, Ordering::Equal, "{scheme:?}: {a:?} != itself");
        }
        if let (Ok(x), Ok(y)) = (scheme.compare_str(a, b), scheme.compare_str(b, a)) {
            assert_eq!(x, y.reverse(), "{scheme:?}: {a:?} vs {b:?}");
        }
    }
});
