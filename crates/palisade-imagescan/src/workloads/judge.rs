//! The images a manifest scan's workloads run, found and judged: each distinct image is
//! looked up in the saved-image directories ([`ImageDir`]) or pulled, read once (images in
//! parallel), cataloged, judged like `palisade image scan` judges one image and matched
//! against the vulnerability database; its findings are then told on every workload that
//! runs it ([`on_workload`]). An image that cannot be found, pulled or read is a
//! [`LoadError`] at the `image:` line of the first workload that runs it, and the rest is
//! still judged.

use std::path::PathBuf;

use palisade_core::exceptions::Suppressed;
use palisade_core::{Config, Finding, Inventory, LoadError};
use palisade_image::{default_cache_dir, pull_details, Image, Limits, Platform, PullOptions};
use palisade_vulndb::Db;
use rayon::prelude::*;

use super::image_dir::ImageDir;
use super::{distinct_images, image_uses, on_workload, ImageUse};
use crate::vex::{self, VexIndex};
use crate::vulns::{self, VulnFindings, VulnOptions};
use crate::ImageScanError;
use crate::Options;

/// How [`judge`] finds, reads and matches the workloads' images (what `palisade scan
/// --images` takes as flags).
#[derive(Debug, Clone)]
pub struct WorkloadImageOptions {
    /// Directories of saved images (OCI layouts, oci-archive and docker-archive tars) to
    /// look the images up in before pulling them.
    pub image_dirs: Vec<PathBuf>,
    /// Never pull: an image not found in `image_dirs` is an error.
    pub no_pull: bool,
    /// The vulnerability database; `None` is the default one when it exists (see
    /// [`vulns::open_db`]).
    pub vuln_db: Option<PathBuf>,
    /// Leave out vulnerabilities that have no fixed version yet.
    pub ignore_unfixed: bool,
    /// OpenVEX documents whose statements suppress vulnerabilities of the images.
    pub vex: Vec<PathBuf>,
    /// Warn when an ecosystem's vulnerability data is older than this many days.
    pub max_db_age_days: u64,
    /// Platform picked from multi-platform images (`os/arch[/variant]`), as written.
    pub platform: String,
    /// Pull over plain HTTP (a local test registry on loopback).
    pub insecure_registry: bool,
    /// CA certificates (PEM) to trust for registries' TLS certificates.
    pub registry_ca_file: Option<PathBuf>,
    /// Where pulled blobs are cached; `None` is the user's cache directory.
    pub image_cache: Option<PathBuf>,
    /// Told each warning met on the way (no database, stale data), as soon as it is met.
    pub on_warning: fn(&str),
}

/// What the images of an inventory's workloads gave.
#[derive(Debug, Default)]
pub struct Judged {
    /// Findings, on the workloads.
    pub findings: Vec<Finding>,
    /// Findings an OpenVEX statement suppresses, on the workloads.
    pub suppressed: Vec<Suppressed>,
    /// Images that could not be found, pulled or read, at the first workload that runs each;
    /// saved sources under the image directories that could not be read, at their path.
    pub errors: Vec<LoadError>,
}

/// Finds, reads and judges every image the workloads of `inventory` run. Fails (before
/// reading any image) on a malformed platform, a missing or unreadable database, an
/// unreadable OpenVEX document, and when matching against the database fails.
pub fn judge(
    inventory: &Inventory,
    options: &WorkloadImageOptions,
    config: &Config,
) -> Result<Judged, ImageScanError> {
    let platform = Platform::parse(&options.platform)
        .ok_or_else(|| ImageScanError::Platform(options.platform.clone()))?;
    let db = vulns::open_db(
        options.vuln_db.as_deref(),
        options.max_db_age_days,
        options.on_warning,
    )?;
    let vex = vex::read_files(&options.vex)?;
    let uses = image_uses(inventory);
    let dir = ImageDir::index(&options.image_dirs);
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
        .map(|image| (*image, read_image(image, &dir, options, &platform, config)))
        .collect();
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    for (image, result) in read {
        let users = uses.iter().filter(|u| u.image == image);
        match result {
            Ok(scanned) => {
                let vulns = match &db {
                    Some(db) => vulnerabilities(db, &scanned, image, options, &vex, config)?,
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

/// Finds `reference` under the image directories, else pulls it (unless `no_pull`), then
/// catalogs and judges it. The error is the reason, told at the workload by [`error_at`].
fn read_image(
    reference: &str,
    dir: &ImageDir,
    options: &WorkloadImageOptions,
    platform: &Platform,
    config: &Config,
) -> Result<Scanned, String> {
    let (image, digest) = match dir.find(reference) {
        Some(saved) => {
            let image =
                Image::open_named(&saved.path, &saved.name, platform).map_err(|e| e.to_string())?;
            (image, saved.name.digest.clone())
        }
        None if options.no_pull => {
            return Err(if options.image_dirs.is_empty() {
                "not pulled (--no-pull) and no --image-dir given".to_string()
            } else {
                "not found in --image-dir (and --no-pull)".to_string()
            });
        }
        None => {
            let cache = match &options.image_cache {
                Some(dir) => dir.clone(),
                None => default_cache_dir()
                    .ok_or("no cache directory (set XDG_CACHE_HOME or HOME, or --image-cache)")?,
            };
            let mut pull = PullOptions::new(cache);
            pull.platform = platform.clone();
            pull.insecure_http = options.insecure_registry;
            pull.ca_file = options.registry_ca_file.clone();
            let pulled = pull_details(reference, &pull).map_err(|e| format!("pull: {e}"))?;
            (pulled.image, Some(pulled.manifest_digest))
        }
    };
    let packages = palisade_sbom::catalog_image(&image, &Limits::default());
    let analysis_options = Options {
        packages: Some(&packages.packages),
        ..Options::default()
    };
    let analysis = crate::analyze_with(&image, reference, config, &analysis_options);
    Ok(Scanned {
        findings: analysis.findings,
        image,
        packages,
        digest,
    })
}

/// The vulnerabilities of one read image, as image findings (not yet told on workloads).
fn vulnerabilities(
    db: &Db,
    scanned: &Scanned,
    reference: &str,
    options: &WorkloadImageOptions,
    vex: &VexIndex,
    config: &Config,
) -> Result<VulnFindings, ImageScanError> {
    let found = vulns::match_packages(
        db,
        &scanned.packages.packages,
        scanned.packages.os.as_ref(),
        VulnOptions {
            ignore_unfixed: options.ignore_unfixed,
        },
    )
    .map_err(|source| ImageScanError::Matching {
        reference: reference.to_string(),
        source,
    })?;
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

/// Why an image could not be judged, at the `image:` line of a workload that runs it.
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
