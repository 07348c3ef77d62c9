//! Image analysis as Palisade findings: what an image carries (known vulnerabilities of its
//! packages, secrets in its layers and config), how it is configured to run, and the
//! reports of other scanners of the same image merged into one view.
//!
//! The readers (`palisade-image`), catalogers and SBOM (`palisade-sbom`) and the
//! vulnerability store (`palisade-vulndb`) know nothing of findings; this crate turns what
//! they find into [`palisade_core::Finding`]s with the same rules, exceptions and outputs as
//! the manifest scan.
//!
//! [`analyze`] judges one opened image: credentials in every layer's files, deleted ones
//! included (PAL-IMAGE-001), credentials in the configuration and history (PAL-IMAGE-002),
//! root user (003), SSH server (004), no healthcheck (005), and a reference outside the
//! approved registries (006). [`catalog`] lists those rules. [`workloads::judge`] does the
//! same for every image a manifest's workloads run (found in saved-image directories or
//! pulled) and tells the findings on the workloads; [`workloads::WorkloadImages`] is its
//! analyzer for `palisade-engine`. Secrets are judged by the manifest scan's own detector
//! (`palisade_checks::secret_scan`). Where findings point is
//! described in `place` (and docs/image-scan.md): the object is `Image/<subject>`, the
//! location `<subject>!<layer>/<path>:<line>` or `<subject>!config.json`.
//!
//! ```
//! use palisade_core::Config;
//! use palisade_image::{Image, Limits, Platform};
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::create_dir_all(dir.path().join("app")).unwrap();
//! std::fs::write(dir.path().join("app/.env"), "DB_PASSWORD=Fake-Pa55w0rd-Not-Real\n").unwrap();
//! let image = Image::open(dir.path(), &Platform::default()).unwrap();
//! let out = palisade_imagescan::analyze(&image, "rootfs", &Config::default(), &Limits::default());
//! let f = &out.findings[0];
//! assert_eq!(f.rule_id, "PAL-IMAGE-001");
//! assert_eq!(f.location.to_string(), "rootfs!layer0/app/.env:1:1");
//! assert!(!f.message.contains("Fake-Pa55w0rd"));
//! ```

mod config_checks;
mod config_secrets;
mod error;
mod layer_secrets;
mod owned;
mod place;
mod rules;
pub mod vulns;
pub use error::ImageScanError;
pub mod workloads;

use palisade_core::{Config, Emitter, Finding, Rule};
use palisade_image::{Diagnostic, Image, Limits, SourceKind};
use palisade_sbom::Package;

/// Per-file cap of the secret scan: larger files are not read (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Bytes of file content the secret scan judges per image (256 MiB); the rest is reported.
pub const MAX_SCANNED_BYTES: u64 = 256 << 20;

/// How [`analyze_with`] reads an image and what it knows beside it.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Bounds on reading the layers (expanded bytes, entries, path length).
    pub limits: Limits,
    /// Files larger than this are not judged for secrets.
    pub max_file_bytes: u64,
    /// File bytes judged for secrets per image; once used up, a diagnostic says so.
    pub max_scanned_bytes: u64,
    /// The image's reference, when known (`reg.test/team/app:1.2`): PAL-IMAGE-006 judges
    /// it. [`analyze`] sets it to the subject for a pulled image only, since a local
    /// archive's path is no reference.
    pub reference: Option<&'a str>,
    /// The image's cataloged packages, when the caller has them: an SSH server package
    /// among them is PAL-IMAGE-004 (otherwise the check looks for the binaries).
    pub packages: Option<&'a [Package]>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            limits: Limits::default(),
            max_file_bytes: MAX_FILE_BYTES,
            max_scanned_bytes: MAX_SCANNED_BYTES,
            reference: None,
            packages: None,
        }
    }
}

/// What the secret scan read and skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Text files judged.
    pub files_scanned: u64,
    /// Bytes of those files.
    pub bytes_scanned: u64,
    /// Files skipped as binary (a NUL byte in their first 8000 bytes).
    pub skipped_binary: u64,
    /// Files over the per-file cap.
    pub skipped_large: u64,
    /// Files under documentation paths.
    pub skipped_noise: u64,
    /// Files not judged because the per-image budget was used up.
    pub skipped_budget: u64,
    /// Hits left out as package defaults: literals under secret-like names in files that
    /// a package manager installed (dpkg file lists, apk database, Python `RECORD` of the
    /// same layer).
    pub package_defaults: u64,
}

/// The result of [`analyze`].
#[derive(Debug, Default)]
pub struct ImageFindings {
    /// Findings, in the order: layer secrets (by layer, then entry), config secrets,
    /// configuration checks.
    pub findings: Vec<Finding>,
    /// Problems reading the image (corrupt layers, limits, the scan budget), each naming
    /// its layer where it has one; what could be read was judged.
    pub diagnostics: Vec<Diagnostic>,
    /// What the secret scan read.
    pub stats: Stats,
}

/// Every image rule, in catalog order.
pub fn catalog() -> Vec<&'static Rule> {
    rules::RULES.to_vec()
}

/// Judges one image with default [`Options`] and these reading `limits`. `subject` names the
/// image in findings (its reference or path); for a pulled image it is also the reference
/// judged against the approved registries.
pub fn analyze(image: &Image, subject: &str, config: &Config, limits: &Limits) -> ImageFindings {
    let options = Options {
        limits: *limits,
        reference: (image.source == SourceKind::Registry).then_some(subject),
        ..Options::default()
    };
    analyze_with(image, subject, config, &options)
}

/// Judges one image: secrets in every layer's files and in the configuration and history,
/// then the configuration checks. Reads each layer once. Never panics on any image.
pub fn analyze_with(
    image: &Image,
    subject: &str,
    config: &Config,
    options: &Options,
) -> ImageFindings {
    let mut stats = Stats::default();
    let mut em = Emitter::new(config);
    let object = place::object(subject);
    let scan = layer_secrets::walk(image, options, &mut stats);
    layer_secrets::report(image, subject, &object, &scan, &mut em);
    config_secrets::check(&image.config, subject, &object, &mut em);
    let inputs = config_checks::Inputs {
        image,
        subject,
        object: &object,
        view: &scan.report.view,
        packages: options.packages,
        reference: options.reference,
    };
    config_checks::check(&inputs, &mut em);
    ImageFindings {
        findings: em.into_findings(),
        diagnostics: scan.report.diagnostics,
        stats,
    }
}

pub mod merge;
pub mod vex;
