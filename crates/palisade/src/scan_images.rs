//! The flags of `palisade scan PATH --images`. The work (the images the workloads run,
//! looked up in saved layouts and archives or pulled, scanned like `palisade image scan`,
//! their findings told on each workload that runs them) is
//! `palisade_imagescan::workloads::judge`; `scan.rs` hands its findings to the engine as
//! the `WorkloadImages` analyzer, like every other analysis (same exceptions, frameworks
//! and outputs).

use std::path::PathBuf;

use clap::Args;
use palisade_imagescan::workloads::WorkloadImageOptions;

/// The flags of `palisade scan` that scan the workloads' images too.
#[derive(Debug, Args)]
pub struct ImageFlags {
    /// Also scan the images the workloads run (vulnerabilities, secrets in layers, image
    /// configuration), reporting each finding on the workload, at its `image:` line.
    #[arg(long)]
    pub images: bool,

    /// Directory of saved images (OCI layouts, oci-archive and docker-archive tars) to look
    /// the workloads' images up in before pulling them (repeatable).
    #[arg(long = "image-dir", value_name = "DIR", requires = "images")]
    pub image_dirs: Vec<PathBuf>,

    /// Never pull: an image not found in --image-dir is reported as an error.
    #[arg(long, requires = "images")]
    pub no_pull: bool,

    /// The vulnerability database (default: the one `palisade db import|update` fills).
    #[arg(long, value_name = "FILE", requires = "images")]
    pub vuln_db: Option<PathBuf>,

    /// Leave out vulnerabilities that have no fixed version yet.
    #[arg(long, requires = "images")]
    pub ignore_unfixed: bool,

    /// OpenVEX documents (repeatable): a `not_affected` or `fixed` statement for an image
    /// (its reference or digest) and package suppresses the vulnerability on every workload
    /// that runs the image, listed with the suppressed findings.
    #[arg(long, value_name = "FILE", requires = "images")]
    pub vex: Vec<PathBuf>,

    /// Warn when an ecosystem's vulnerability data is older than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub max_db_age: u64,

    /// Platform picked from multi-platform images (`os/arch[/variant]`).
    #[arg(long, default_value = "linux/amd64")]
    pub platform: String,

    /// Pull over plain HTTP (a local test registry on loopback).
    #[arg(long, requires = "images")]
    pub insecure_registry: bool,

    /// CA certificates (PEM) to trust for registries' TLS certificates.
    #[arg(long, value_name = "FILE", requires = "images")]
    pub registry_ca_file: Option<PathBuf>,

    /// Where pulled blobs are cached (default: the user's cache directory).
    #[arg(long, value_name = "DIR", requires = "images")]
    pub image_cache: Option<PathBuf>,
}

impl ImageFlags {
    /// The library's options for these flags; warnings go to stderr as they are met.
    pub fn options(&self) -> WorkloadImageOptions {
        WorkloadImageOptions {
            image_dirs: self.image_dirs.clone(),
            no_pull: self.no_pull,
            vuln_db: self.vuln_db.clone(),
            ignore_unfixed: self.ignore_unfixed,
            vex: self.vex.clone(),
            max_db_age_days: self.max_db_age,
            platform: self.platform.clone(),
            insecure_registry: self.insecure_registry,
            registry_ca_file: self.registry_ca_file.clone(),
            image_cache: self.image_cache.clone(),
            on_warning: |warning| eprintln!("warning: {warning}"),
        }
    }
}
