//! Arbitrary text to `palisade history --since` (`7d`, `12h`, `2026-11-01`,
//! `2026-11-01T10:00:00Z`, …): no panic, no overflow; what parses is a time at or
//! before now when it is a duration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_history::time::parse_since;

const NOW: i64 = 1_796_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = parse_since(text, NOW) {
        let relative = text.trim().chars().last().is_some_and(|c| c.is_ascii_alphabetic())
            && text.trim().chars().next().is_some_and(|c| c.is_ascii_digit())
            && !text.contains('-');
        if relative {
            assert!(t <= NOW, "{text:?} gave {t}, after now");
        }
    }
});
