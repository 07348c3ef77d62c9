//! Parses arbitrary bytes as a Dockerfile and runs every rule on it: nothing may panic,
//! whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_core::inventory::{load_dockerfile, LoadLimits};
use palisade_core::{Config, Inventory};

fuzz_target!(|data: &[u8]| {
    let mut inventory = Inventory::default();
    inventory.add(load_dockerfile("Dockerfile", data, &LoadLimits::default()));
    let _ = palisade_checks::check_inventory(&inventory, &Config::default());
});
