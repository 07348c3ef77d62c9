//! Arbitrary bytes as the layers of an image (each layer: a 2-byte big-endian length, then
//! that many bytes; gzip, zstd or plain tar, detected as for real images). Both passes run
//! (final view with whiteouts, then streaming every surviving entry's content) under small
//! limits. Nothing may panic; no visited entry may hold a path that climbs out of the root.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use palisade_image::{Image, Limits};

fuzz_target!(|data: &[u8]| {
    let mut layers = Vec::new();
    let mut rest = data;
    while rest.len() >= 2 && layers.len() < 8 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let end = (2 + len).min(rest.len());
        layers.push(rest[2..end].to_vec());
        rest = &rest[end..];
    }
    let image = Image::from_layer_blobs(layers);
    let limits = Limits {
        max_layer_bytes: 8 << 20,
        max_total_bytes: 16 << 20,
        max_entries: 10_000,
        max_path_len: 1024,
    };
    let mut sink = Vec::new();
    let report = image.for_each_file(&limits, |entry, reader| {
        assert!(!entry.path.starts_with('/'));
        assert!(!entry.path.split('/').any(|c| c == ".." || c == "."));
        sink.clear();
        let _ = reader.take(1 << 20).read_to_end(&mut sink);
    });
    for path in report.view.nodes.keys() {
        let _ = report.view.resolve(path, true);
    }
});
