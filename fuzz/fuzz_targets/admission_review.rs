//! Arbitrary bytes as the body of `POST /validate`: read, judged (built-in rules, a Gatekeeper
//! template, a ValidatingAdmissionPolicy) and answered as the server does. No panic; what
//! cannot be read is refused with a message; an answer carries the request's uid, is never an
//! allow past a deny-mode rule, and holds only warnings and annotation keys the API server
//! takes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = palisade_server::fuzzing::admission_review(data);
});
