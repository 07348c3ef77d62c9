//! Runs the image analysis on one image and prints its findings, the secret scan's
//! statistics and the time `Image::open` + `analyze` took (median of `RUNS` runs, default
//! 1). With `BASELINE=1`, times `Image::open` + `Image::final_view` instead (the layer
//! reading alone).
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
    let baseline = std::env::var_os("BASELINE").is_some();
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
        if baseline {
            // The reader alone (one pass over every layer, no content judged), to tell the
            // analysis' own cost from the layer reading it cannot avoid.
            let report = image.final_view(&Limits::default());
            times.push(start.elapsed());
            std::hint::black_box(report.view.nodes.len());
            continue;
        }
        let out =
            palisade_imagescan::analyze(&image, &path, &Config::default(), &Limits::default());
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort();
    let median = times[times.len() / 2];
    let Some(out) = last else {
        println!("final_view only: median {median:?} of {runs} runs ({times:?})");
        return ExitCode::SUCCESS;
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
    println!("open+analyze: median {median:?} of {runs} runs ({times:?})");
    ExitCode::SUCCESS
}
