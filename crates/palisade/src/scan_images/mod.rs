//! `palisade scan PATH --images`: the images the workloads run, looked up in saved layouts
//! and archives (`--image-dir`) or pulled, scanned like `palisade image scan`, and their
//! findings told on each workload that runs them (workload → image → package →
//! vulnerability), through the engine like every other analysis (same exceptions,
//! frameworks and outputs).

mod image_dir;

use std::path::PathBuf;

use clap::Args;
use palisade_core::exceptions::Suppressed;
use palisade_core::{Config, Finding, Inventory, LoadError, Rule};
use palisade_engine::Analyzer;
use palisade_image::{default_cache_dir, pull_details, Image, Limits, Platform, PullOptions};
use palisade_imagescan::vex::VexIndex;
use palisade_imagescan::vulns::{self, VulnFindings, VulnOptions};
use palisade_imagescan::workloads::{distinct_images, image_uses, on_workload, ImageUse};
use palisade_imagescan::Options;
use palisade_vulndb::Db;
use rayon::prelude::*;

use image_dir::ImageDir;

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

/// Every rule an image may add to a scan.
pub fn catalog() -> Vec<&'static Rule> {
    crate::image_cmd::scan::catalog()
}

/// What the images of an inventory's workloads gave.
pub struct Judged {
    /// Findings, on the workloads.
    pub findings: Vec<Finding>,
    /// Findings an OpenVEX statement suppresses, on the workloads.
    pub suppressed: Vec<Suppressed>,
    /// Images that could not be found, pulled or read, at the first workload that runs each.
    pub errors: Vec<LoadError>,
}

/// Finds, reads and judges every image the workloads of `inventory` run.
pub fn judge(inventory: &Inventory, flags: &ImageFlags, config: &Config) -> anyhow::Result<Judged> {
    let platform = Platform::parse(&flags.platform).ok_or_else(|| {
        anyhow::anyhow!("--platform `{}` is not os/arch[/variant]", flags.platform)
    })?;
    let db = crate::image_cmd::scan::open_db(flags.vuln_db.as_deref(), flags.max_db_age)?;
    let vex = crate::image_cmd::scan::read_vex(&flags.vex)?;
    let uses = image_uses(inventory);
    let dir = ImageDir::index(&flags.image_dirs);
    let mut errors: Vec<LoadError> = dir
        .unreadable
        .iter()
        .map(|(path, why)| LoadError {
            path: path.display().to_string().into(),
            line: None,
            col: None,
            message: format!("not a readable image: {why}"),
        })
        .collect();
    let images = distinct_images(&uses);
    // Reading and cataloging run in parallel; matching shares one database connection.
    let read: Vec<(&str, Result<Scanned, String>)> = images
        .par_iter()
        .map(|image| (*image, read_image(image, &dir, flags, &platform, config)))
        .collect();
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    for (image, result) in read {
        let users = uses.iter().filter(|u| u.image == image);
        match result {
            Ok(scanned) => {
                let vulns = match &db {
                    Some(db) => vulnerabilities(db, &scanned, image, flags, &vex, config)?,
                    None => VulnFindings::default(),
                };
                let mut in_image = vulns.findings;
                in_image.extend(scanned.findings);
                for usage in users {
                    findings.extend(on_workload(&in_image, usage));
                    for s in &vulns.suppressed {
                        let told = on_workload(std::slice::from_ref(&s.finding), usage);
                        suppressed.extend(told.into_iter().map(|finding| Suppressed {
                            finding,
                            by: s.by.clone(),
                        }));
                    }
                }
            }
            Err(why) => {
                if let Some(first) = uses.iter().find(|u| u.image == image) {
                    errors.push(error_at(first, &why));
                }
            }
        }
    }
    Ok(Judged {
        findings,
        suppressed,
        errors,
    })
}

/// An image read and judged without the database.
struct Scanned {
    image: Image,
    packages: palisade_sbom::Catalog,
    digest: Option<String>,
    findings: Vec<Finding>,
}

fn read_image(
    reference: &str,
    dir: &ImageDir,
    flags: &ImageFlags,
    platform: &Platform,
    config: &Config,
) -> Result<Scanned, String> {
    let (image, digest) = match dir.find(reference) {
        Some(saved) => {
            let image =
                Image::open_named(&saved.path, &saved.name, platform).map_err(|e| e.to_string())?;
            (image, saved.name.digest.clone())
        }
        None if flags.no_pull => {
            return Err(if flags.image_dirs.is_empty() {
                "not pulled (--no-pull) and no --image-dir given".to_string()
            } else {
                "not found in --image-dir (and --no-pull)".to_string()
            });
        }
        None => {
            let cache = match &flags.image_cache {
                Some(dir) => dir.clone(),
                None => default_cache_dir()
                    .ok_or("no cache directory (set XDG_CACHE_HOME or HOME, or --image-cache)")?,
            };
            let mut options = PullOptions::new(cache);
            options.platform = platform.clone();
            options.insecure_http = flags.insecure_registry;
            options.ca_file = flags.registry_ca_file.clone();
            let pulled = pull_details(reference, &options).map_err(|e| format!("pull: {e}"))?;
            (pulled.image, Some(pulled.manifest_digest))
        }
    };
    let packages = palisade_sbom::catalog_image(&image, &Limits::default());
    let options = Options {
        packages: Some(&packages.packages),
        ..Options::default()
    };
    let analysis = palisade_imagescan::analyze_with(&image, reference, config, &options);
    Ok(Scanned {
        findings: analysis.findings,
        image,
        packages,
        digest,
    })
}

fn vulnerabilities(
    db: &Db,
    scanned: &Scanned,
    reference: &str,
    flags: &ImageFlags,
    vex: &VexIndex,
    config: &Config,
) -> anyhow::Result<VulnFindings> {
    let found = vulns::match_packages(
        db,
        &scanned.packages.packages,
        scanned.packages.os.as_ref(),
        VulnOptions {
            ignore_unfixed: flags.ignore_unfixed,
        },
    )
    .map_err(|e| anyhow::anyhow!("matching the packages of {reference}: {e}"))?;
    let subject = vulns::Subject {
        name: reference,
        digest: scanned.digest.as_deref(),
        layers: &scanned.image.layers,
    };
    Ok(vulns::findings(
        &found,
        &scanned.packages.packages,
        subject,
        vex,
        config,
    ))
}

fn error_at(usage: &ImageUse, why: &str) -> LoadError {
    LoadError {
        path: usage.location.path.clone(),
        line: Some(usage.location.line),
        col: Some(usage.location.col),
        message: format!(
            "image `{}` of {} in {}: {why}",
            usage.image, usage.container, usage.object
        ),
    }
}

/// The images' findings as an analyzer of the engine, so exceptions, ordering and
/// frameworks treat them like every other finding. The reading happened before (analyzers
/// do no I/O).
pub struct WorkloadImages {
    /// The findings [`judge`] made.
    pub findings: Vec<Finding>,
}

impl Analyzer for WorkloadImages {
    fn name(&self) -> &'static str {
        "images"
    }

    fn rules(&self) -> Vec<&'static Rule> {
        catalog()
    }

    fn check_inventory(&self, _: &Inventory, _: &Config) -> Vec<Finding> {
        self.findings.clone()
    }
}
