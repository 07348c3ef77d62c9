//! Loads arbitrary bytes as a manifest stream and runs every rule on what loads, first the
//! checks alone, then the whole engine as a scan runs it (per-object rules while the input is
//! loaded, what the analyzers read ahead, RBAC and network analyses, exceptions): nothing may
//! panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_core::inventory::{load_bytes, LoadLimits};
use palisade_core::{Config, Date, Inventory};
use palisade_engine::{Engine, ScanOptions};

fuzz_target!(|data: &[u8]| {
    let mut inventory = Inventory::default();
    inventory.add(load_bytes("fuzz.yaml", data, &LoadLimits::default()));
    let _ = palisade_checks::check_inventory(&inventory, &Config::default());
    let options = ScanOptions::on(Date::from_unix_days(20_000));
    let _ = Engine::builtin().scan_sources(
        &[data],
        |d| load_bytes("fuzz.yaml", d, &LoadLimits::default()),
        &Config::default(),
        &options,
    );
});
