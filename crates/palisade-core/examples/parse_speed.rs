//! Measures parse throughput of the positioned YAML loader on a set of files.
//!
//! `cargo run --release -p palisade-core --example parse_speed -- FILE...`

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut texts = Vec::new();
    for path in std::env::args().skip(1) {
        texts.push(std::fs::read_to_string(&path)?);
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let limits = palisade_core::yaml::Limits::default();
    let mut best = f64::MAX;
    let mut docs = 0;
    for _ in 0..5 {
        let start = Instant::now();
        docs = 0;
        for t in &texts {
            docs += palisade_core::yaml::parse_stream(t, &limits)
                .documents
                .len();
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "{docs} documents, {bytes} bytes: best {best:.4} s, {:.1} MB/s",
        bytes as f64 / best / 1e6
    );
    Ok(())
}
