//! Arbitrary bytes as an OCI layout's `index.json`: the names its images carry
//! (`palisade scan --images --image-dir`), then opening each named image. No
//! panic; at most two names per manifest descriptor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_image::{image_names, Image, Platform};

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let ok = std::fs::write(dir.path().join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
        .and_then(|()| std::fs::write(dir.path().join("index.json"), data));
    if ok.is_err() {
        return;
    }
    let Ok(names) = image_names(dir.path()) else {
        return;
    };
    let descriptors = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v.get("manifests")?.as_array().map(Vec::len))
        .unwrap_or(0);
    assert!(names.len() <= 2 * descriptors, "{} names, {descriptors} descriptors", names.len());
    for name in &names {
        let _ = Image::open_named(dir.path(), name, &Platform::default());
    }
});
