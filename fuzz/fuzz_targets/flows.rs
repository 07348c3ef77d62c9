//! Arbitrary bytes as Hubble flow JSON Lines: read, mapped onto a small model, turned into
//! policies and checked. Nothing may panic; lines over the limit are never held whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::flows::{check_flows, generate, read_flows, GenerateOptions, ReadLimits};
use palisade_netpol::Model;

const APP: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web, ports: [{containerPort: 80}]}]}\n";

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits {
        max_line: 4096,
        ..ReadLimits::default()
    };
    let Ok(flows) = read_flows(data, &limits) else {
        return;
    };
    assert!(flows.peak_line_bytes <= 4096 + 1);
    let model = Model::from_objects(&load_str("app.yaml", APP, &LoadLimits::default()).objects);
    let _ = generate(&model, &flows, &GenerateOptions::default());
    let _ = check_flows(&model, &flows);
});
