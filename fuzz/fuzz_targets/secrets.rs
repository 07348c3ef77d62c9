//! Feeds arbitrary (name, value) pairs to the secrets detector: the first line is the name
//! (none when empty), the rest the value. No panic, and no evidence holding the value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (name, value) = text.split_once('\n').unwrap_or(("", text));
        let name = (!name.is_empty()).then_some(name);
        let _ = palisade_checks::fuzzing::secrets_scan_value(name, value);
    }
});
