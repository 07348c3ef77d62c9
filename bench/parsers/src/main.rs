//! Compares YAML parsers on a corpus: best-of-N single-threaded wall time to parse every file.
//!
//! `cargo run --release --manifest-path bench/parsers/Cargo.toml -- DIR [ROUNDS]`

use std::path::Path;
use std::time::Instant;

fn files(dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")) {
            if let Ok(t) = std::fs::read_to_string(&p) {
                out.push(t);
            }
        }
    }
}

fn time(name: &str, rounds: usize, bytes: usize, mut f: impl FnMut() -> usize) {
    let mut times = Vec::new();
    let mut docs = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        docs = f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{name:<34} {median:>8.4} s  {:>7.1} MB/s  docs={docs}",
        bytes as f64 / median / 1e6
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map_or("../shared/corpora/realworld", String::as_str);
    let rounds = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(7);
    let mut texts = Vec::new();
    files(Path::new(dir), &mut texts);
    let bytes: usize = texts.iter().map(String::len).sum();
    println!("# {} files, {} bytes, median of {rounds} rounds, one thread", texts.len(), bytes);
    let limits = palisade_core::yaml::Limits::default();
    time("palisade (saphyr-parser events)", rounds, bytes, || {
        texts.iter().map(|t| palisade_core::yaml::parse_stream(t, &limits).documents.len()).sum()
    });
    time("yaml-rust2 YamlLoader (no positions)", rounds, bytes, || {
        texts
            .iter()
            .map(|t| yaml_rust2::YamlLoader::load_from_str(t).map_or(0, |d| d.len()))
            .sum()
    });
    time("serde-saphyr -> serde_json::Value", rounds, bytes, || {
        texts
            .iter()
            .map(|t| serde_saphyr::from_multiple::<serde_json::Value>(t).map_or(0, |d| d.len()))
            .sum()
    });
}
