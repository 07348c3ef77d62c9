//! Arbitrary text to Calico's selector parser; what parses is printed and parsed again and
//! must mean the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_netpol::calico::selector::Selector;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(selector) = Selector::parse(text) {
        let printed = selector.to_string();
        let again = Selector::parse(&printed);
        assert!(again.is_ok(), "printed selector does not parse: {printed:?}");
    }
});
