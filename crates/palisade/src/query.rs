//! What the query commands (`palisade rbac`, `palisade netpol`) share: loading their inputs
//! (load errors said on stderr), the hidden `--timings` benchmarking aid, the exit status, and
//! printing.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use palisade_core::inventory::LoadLimits;
use palisade_core::Inventory;
use serde::Serialize;

use crate::input;

/// Reads and parses the inputs, saying load errors on stderr; returns how long it took.
pub fn load(paths: &[String], max_file_size: usize) -> (Inventory, Duration) {
    let limits = LoadLimits {
        max_bytes: max_file_size,
        ..LoadLimits::default()
    };
    let started = Instant::now();
    let inventory = input::load(paths, None, &limits);
    let took = started.elapsed();
    for err in &inventory.errors {
        eprintln!("error: {err}");
    }
    (inventory, took)
}

/// Runs `build` and returns its result and how long it took.
pub fn measure<T>(build: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = build();
    (value, started.elapsed())
}

/// How long loading and building took, printed with the query's time when asked.
pub struct Timings {
    /// Loading and parsing the inputs.
    pub load: Duration,
    /// Building the analysis (`policy`, `model`).
    pub build: Duration,
    /// What was built, for the line.
    pub build_label: &'static str,
    /// `--timings`.
    pub enabled: bool,
}

impl Timings {
    /// Runs the query; with `--timings`, prints `timings: load Xs, LABEL Ys, query Zs` on
    /// stderr (the line `bench/` scripts read).
    pub fn timed<T>(&self, query: impl FnOnce() -> T) -> T {
        let (answer, took) = measure(query);
        if self.enabled {
            eprintln!(
                "timings: load {:.3}s, {} {:.3}s, query {:.6}s",
                self.load.as_secs_f64(),
                self.build_label,
                self.build.as_secs_f64(),
                took.as_secs_f64()
            );
        }
        answer
    }
}

/// 2 when an input could not be read, else 0.
pub fn exit_code(inventories: &[&Inventory]) -> ExitCode {
    if inventories.iter().all(|i| i.errors.is_empty()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

/// The exit status of a check (`diff --critical`, `--fail-on-grant`): 2 when an input could
/// not be read, 1 when the check failed, else 0.
pub fn check_exit_code(inventories: &[&Inventory], failed: bool) -> ExitCode {
    if inventories.iter().any(|i| !i.errors.is_empty()) {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes text to stdout.
pub fn print(text: &str) -> anyhow::Result<()> {
    io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// Writes a value as pretty JSON to stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)
}
