//! Arbitrary text as a CEL expression in every place a ValidatingAdmissionPolicy holds one:
//! compiled, then run against a fixed Deployment in a scan and as an admission request. No
//! panic, no hang; what fails is a diagnostic or an error under the failurePolicy.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        palisade_policy::fuzzing::cel_expression(text);
    }
});
