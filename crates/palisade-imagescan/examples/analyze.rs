//! Runs the image analysis on one image and prints its findings, the secret scan's
//! statistics and the time `analyze` took (median of `RUNS` runs, default 1).
//!
//! `cargo run --release -p palisade-imagescan --example analyze -- IMAGE [RUNS]`
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::Instant;

use palisade_core::Config;
use palisade_image::{Image, Limits, Platform};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: analyze IMAGE [RUNS]");
        return ExitCode::from(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(1).max(1);
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let image = match Image::open(path.as_ref(), &Platform::default()) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
        let out =
            palisade_imagescan::analyze(&image, &path, &Config::default(), &Limits::default());
        times.push(start.elapsed());
        last = Some(out);
    }
    let Some(out) = last else {
        return ExitCode::from(2);
    };
    for f in &out.findings {
        println!(
            "{} {} {} [{}] {}",
            f.rule_id,
            f.severity,
            f.location,
            f.field.as_deref().unwrap_or("-"),
            f.message
        );
    }
    for d in &out.diagnostics {
        println!("diagnostic: {d}");
    }
    println!("{:?}", out.stats);
    times.sort();
    let median = times[times.len() / 2];
    println!("open+analyze: median {median:?} of {runs} runs ({times:?})");
    ExitCode::SUCCESS
}
