//! Loads arbitrary bytes as a manifest stream and runs every rule on what loads: nothing may
//! panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_core::inventory::{load_bytes, LoadLimits};
use palisade_core::{Config, Inventory};

fuzz_target!(|data: &[u8]| {
    let mut inventory = Inventory::default();
    inventory.add(load_bytes("fuzz.yaml", data, &LoadLimits::default()));
    let _ = palisade_checks::check_inventory(&inventory, &Config::default());
});
