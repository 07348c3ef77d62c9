//! Arbitrary text as a ConstraintTemplate's Rego (and as a plain Rego module): compile,
//! bind a constraint, judge a Pod in a scan and as an admission request. No panic; what
//! fails is a diagnostic or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        palisade_policy::fuzzing::rego_policy(text);
    }
});
