//! `palisade image …` and `palisade sbom`: what an image carries and how it runs.

pub mod merge;
pub mod sbom;
pub mod scan;
pub mod target;

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `palisade image`.
#[derive(Debug, Args)]
pub struct ImageArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ImageCommand,
}

/// `palisade image` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Known vulnerabilities (OSV data imported with `palisade db`), secrets in layers and
    /// configuration, and the image's run configuration, as one report.
    Scan(scan::ImageScanArgs),
    /// Merge other scanners' reports of one image (Trivy JSON, Grype JSON, CycloneDX with
    /// vulnerabilities or VEX): one row per vulnerability and package, which scanner found
    /// it, and where they disagree.
    Merge(merge::MergeArgs),
}

pub fn run(args: &ImageArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        ImageCommand::Scan(a) => scan::run(a),
        ImageCommand::Merge(a) => merge::run(a),
    }
}
