//! Catalogs an image or a root filesystem and prints the package count and timings.
//!
//! ```sh
//! cargo run --release -p palisade-sbom --example catalog_image -- PATH [RUNS] [--list]
//! ```
//!
//! PATH is an OCI layout directory, an oci-archive or docker-archive tar, or a root filesystem
//! directory (read with `DirSource`: a plain walk, no symlink followed). Prints each run's
//! time and the median; `--list` also prints one `kind name version purl` line per package.

use std::path::Path;
use std::time::{Duration, Instant};

use palisade_image::{Image, Limits, Platform};
use palisade_sbom::{catalog, catalog_image, Catalog, DirSource};

fn run(path: &Path) -> Result<Catalog, String> {
    if path.is_dir() && !path.join("oci-layout").is_file() {
        return Ok(catalog(&DirSource::new(path)));
    }
    let image = Image::open(path, &Platform::default()).map_err(|e| e.to_string())?;
    Ok(catalog_image(&image, &Limits::default()))
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: catalog_image PATH [RUNS] [--list]");
        return std::process::ExitCode::from(2);
    };
    let runs: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    let list = args.iter().any(|a| a == "--list");
    let mut times: Vec<Duration> = Vec::new();
    let mut cpu: Vec<Duration> = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let cpu_start = cpu_time();
        match run(Path::new(path)) {
            Ok(cat) => last = Some(cat),
            Err(e) => {
                eprintln!("{path}: {e}");
                return std::process::ExitCode::from(2);
            }
        }
        times.push(start.elapsed());
        cpu.push(cpu_time().saturating_sub(cpu_start));
    }
    let Some(cat) = last else {
        return std::process::ExitCode::from(2);
    };
    if list {
        for p in &cat.packages {
            println!("{:?} {} {} {}", p.kind, p.name, p.version, p.purl);
        }
    }
    let shown: Vec<String> = times.iter().map(|t| format!("{:.1}", ms(*t))).collect();
    times.sort();
    cpu.sort();
    println!(
        "{path}: {} packages, {} warnings, {} image diagnostics; wall runs (ms): {}; \
         median wall {:.1} ms, median CPU (user+sys) {:.1} ms",
        cat.packages.len(),
        cat.warnings.len(),
        cat.image_diagnostics.len(),
        shown.join(" "),
        ms(times[times.len() / 2]),
        ms(cpu[cpu.len() / 2])
    );
    std::process::ExitCode::SUCCESS
}

/// User plus system CPU time of this process, from `/proc/self/stat` (10 ms ticks; a
/// shared machine's wall time is noisy).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: utime and stime are the 12th and 13th (in clock ticks).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
