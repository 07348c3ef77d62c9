//! Arbitrary bytes as what a probed server answers: the HTTP reader (status line, headers,
//! chunked bodies, caps) and the certificate DER reader. Nothing may panic; the body never
//! exceeds the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_node::probe::{parse_certificate, read_response};

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = read_response(data, 4096) {
        assert!(response.body.len() <= 4096);
        let _ = response.json();
    }
    let _ = parse_certificate(data);
});
