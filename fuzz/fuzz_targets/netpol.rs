//! Loads arbitrary bytes as workloads and network policies (NetworkPolicy, Calico,
//! AdminNetworkPolicy) and computes the connectivity model, the matrix, one explanation and
//! the picture: nothing may panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_core::inventory::{load_bytes, LoadLimits};
use palisade_netpol::{matrix, picture, EndpointId, Model, PictureOptions, Protocol};

fuzz_target!(|data: &[u8]| {
    let loaded = load_bytes("fuzz.yaml", data, &LoadLimits::default());
    let model = Model::from_objects(&loaded.objects);
    let m = matrix(&model);
    if model.endpoints().len() >= 2 {
        let _ = model.explain(EndpointId(0), EndpointId(1), 80, Protocol::Tcp);
    }
    let _ = picture(&model, &m, &PictureOptions::default()).to_html();
});
