//! SBOM documents: CycloneDX 1.6 JSON, SPDX 2.3 JSON and a table for humans, written from an
//! [`SbomInput`] and read back into a package list.
//!
//! The writers take their own small input model rather than [`Catalog`] so that what the
//! document says about the scanned subject (image digest, platform, layers) and about each
//! package (layer of origin, file hash) can be filled from any source.
//!
//! # Properties
//!
//! Both JSON formats carry the same Palisade-specific facts under names in the `palisade:`
//! namespace: CycloneDX as `properties` (name/value pairs, duplicates allowed), SPDX 2.3 as
//! package `annotations` of type `OTHER` whose `comment` is `NAME=VALUE` (the spec has no
//! property list; an annotation is the element it provides for tool-specific remarks).
//!
//! | name | on | value |
//! |---|---|---|
//! | `palisade:package:type` | package | ecosystem label ([`SbomPackage::kind`]) |
//! | `palisade:package:source-name` | package | source package (dpkg `Source`, apk origin) |
//! | `palisade:package:source-version` | package | source version when it differs |
//! | `palisade:package:found-in` | package | database or metadata file it was read from |
//! | `palisade:layer:digest` | package | digest of the layer that added it |
//! | `palisade:layer:created-by` | package | that layer's history `created_by` line |
//! | `palisade:image:platform` | subject | `os/arch[/variant]` |
//! | `palisade:image:digest` | subject | digest (also a SHA-256 hash when it is one) |
//! | `palisade:image:layer` | subject | one per layer, in order: `DIGEST` |
//! | `palisade:image:layer-created-by` | subject | per layer with history: `DIGEST CREATED_BY` |
//! | `palisade:os:codename` | OS | `VERSION_CODENAME` |

pub mod cyclonedx;
mod ids;
pub mod license;
pub mod read;
pub mod spdx;
pub mod table;

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::catalog::Catalog;
use crate::package::{OsRelease, Package, PackageKind};

pub use read::{read, ReadError, ReadPackage, ReadSbom};

/// Property names; see the module documentation.
pub mod prop {
    /// Ecosystem label of a package.
    pub const PACKAGE_TYPE: &str = "palisade:package:type";
    /// Source package name.
    pub const SOURCE_NAME: &str = "palisade:package:source-name";
    /// Source package version.
    pub const SOURCE_VERSION: &str = "palisade:package:source-version";
    /// File the package was read from.
    pub const FOUND_IN: &str = "palisade:package:found-in";
    /// Digest of the layer that added the package.
    pub const LAYER_DIGEST: &str = "palisade:layer:digest";
    /// `created_by` of the layer that added the package.
    pub const LAYER_CREATED_BY: &str = "palisade:layer:created-by";
    /// Platform of the scanned image.
    pub const IMAGE_PLATFORM: &str = "palisade:image:platform";
    /// Digest of the scanned image.
    pub const IMAGE_DIGEST: &str = "palisade:image:digest";
    /// One layer of the scanned image (repeated, in order).
    pub const IMAGE_LAYER: &str = "palisade:image:layer";
    /// `DIGEST CREATED_BY` of one layer (a digest has no spaces, so it splits at the first).
    pub const IMAGE_LAYER_CREATED_BY: &str = "palisade:image:layer-created-by";
    /// OS codename.
    pub const OS_CODENAME: &str = "palisade:os:codename";
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CycloneDX 1.6, JSON.
    CycloneDxJson,
    /// SPDX 2.3, JSON.
    SpdxJson,
    /// An aligned text table.
    Table,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cyclonedx-json" | "cyclonedx" => Ok(Self::CycloneDxJson),
            "spdx-json" | "spdx" => Ok(Self::SpdxJson),
            "table" => Ok(Self::Table),
            other => Err(format!(
                "unknown SBOM format `{other}` (expected cyclonedx-json, spdx-json or table)"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CycloneDxJson => "cyclonedx-json",
            Self::SpdxJson => "spdx-json",
            Self::Table => "table",
        })
    }
}

/// What was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    /// A container image (CycloneDX `container`, SPDX purpose `CONTAINER`).
    Image,
    /// A directory or root filesystem (CycloneDX `file`, SPDX purpose `FILE`).
    Directory,
}

/// One layer of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerInfo {
    /// Layer digest (`sha256:…`).
    pub digest: String,
    /// The history `created_by` line of the layer, when the config has one.
    pub created_by: Option<String>,
}

/// The scanned image or directory: the document's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Display name: image reference or path.
    pub name: String,
    /// Image or directory.
    pub kind: SubjectKind,
    /// Image digest (`sha256:…`), when known.
    pub digest: Option<String>,
    /// Platform (`linux/amd64`), when known.
    pub platform: Option<String>,
    /// Layers, bottom first.
    pub layers: Vec<LayerInfo>,
}

impl Subject {
    /// A subject with no digest, platform or layers.
    pub fn new(name: impl Into<String>, kind: SubjectKind) -> Self {
        Self {
            name: name.into(),
            kind,
            digest: None,
            platform: None,
            layers: Vec::new(),
        }
    }
}

/// One package as the writers see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SbomPackage {
    /// Ecosystem label (`deb`, `apk`, `python`, …); see [`kind_label`].
    pub kind: String,
    /// Name.
    pub name: String,
    /// Version, verbatim.
    pub version: String,
    /// Architecture.
    pub arch: Option<String>,
    /// Package URL; empty when there is none.
    pub purl: String,
    /// License names or SPDX expressions.
    pub licenses: Vec<String>,
    /// Source package name.
    pub source_name: Option<String>,
    /// Source package version.
    pub source_version: Option<String>,
    /// Database or metadata file the package was read from.
    pub found_in: String,
    /// Digest of the layer that added the package.
    pub layer_digest: Option<String>,
    /// `created_by` of that layer.
    pub layer_created_by: Option<String>,
    /// SHA-256 (hex) of the package's file (binary, archive), when cheap to know.
    pub sha256: Option<String>,
}

/// The ecosystem label written for a [`PackageKind`]. OS package managers are told apart from
/// language ecosystems by [`is_os_kind`].
pub fn kind_label(kind: PackageKind) -> &'static str {
    match kind {
        PackageKind::Deb => "deb",
        PackageKind::Apk => "apk",
        PackageKind::Rpm => "rpm",
        PackageKind::Python => "python",
        PackageKind::Npm => "npm",
        PackageKind::Java => "maven",
        PackageKind::Go => "go",
    }
}

/// Whether packages of this ecosystem label belong to the OS (installed by its package
/// manager); the OS component contains them.
pub fn is_os_kind(kind: &str) -> bool {
    matches!(kind, "deb" | "apk" | "rpm")
}

impl From<&Package> for SbomPackage {
    fn from(p: &Package) -> Self {
        Self {
            kind: kind_label(p.kind).to_string(),
            name: p.name.clone(),
            version: p.version.clone(),
            arch: p.arch.clone(),
            purl: p.purl.clone(),
            licenses: p.licenses.clone(),
            source_name: p.source_name.clone(),
            source_version: p.source_version.clone(),
            found_in: p.found_in.clone(),
            layer_digest: p.layer_digest.clone(),
            layer_created_by: p.layer_created_by.clone(),
            sha256: p.file_sha256.clone(),
        }
    }
}

/// Everything a document is written from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomInput {
    /// The root of the document.
    pub subject: Subject,
    /// The OS, when an os-release file was found.
    pub os: Option<OsRelease>,
    /// Packages, in the order they are listed.
    pub packages: Vec<SbomPackage>,
    /// Palisade's version (`CARGO_PKG_VERSION` of the binary).
    pub tool_version: String,
    /// Creation time, RFC 3339 in UTC with seconds (`2024-01-31T12:00:00Z`); see [`rfc3339_utc`].
    pub timestamp: String,
}

impl SbomInput {
    /// Builds the input from a catalog; the timestamp is now.
    pub fn from_catalog(subject: Subject, catalog: &Catalog, tool_version: &str) -> Self {
        Self {
            subject,
            os: catalog.os.clone(),
            packages: catalog.packages.iter().map(SbomPackage::from).collect(),
            tool_version: tool_version.to_string(),
            timestamp: now_rfc3339(),
        }
    }
}

/// Writer options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Derive the CycloneDX serial number and the SPDX namespace from the input instead of
    /// drawing them at random, so equal inputs (timestamp included) give byte-equal documents.
    pub deterministic: bool,
}

/// Writes `input` in `format`.
pub fn write(format: Format, input: &SbomInput, opts: WriteOptions) -> String {
    match format {
        Format::CycloneDxJson => cyclonedx::write(input, opts),
        Format::SpdxJson => spdx::write(input, opts),
        Format::Table => table::write(input),
    }
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDThh:mm:ssZ`, the form both CycloneDX
/// (`date-time`) and SPDX (`created`, which allows no fraction or offset) accept.
pub fn rfc3339_utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The current time as [`rfc3339_utc`] formats it.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339_utc(secs)
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (the era-based method from
/// Howard Hinnant's `chrono`-compatible date algorithms, re-derived here).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// The random source for document ids: seeded from the input in deterministic mode.
pub(crate) fn id_rng(input: &SbomInput, opts: WriteOptions) -> fastrand::Rng {
    if !opts.deterministic {
        return fastrand::Rng::new();
    }
    // FNV-1a over every field that ends up in the document, with separators, so two inputs
    // that differ anywhere get different ids.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(&input.subject.name);
    eat(input.subject.digest.as_deref().unwrap_or(""));
    eat(&input.timestamp);
    eat(&input.tool_version);
    for p in &input.packages {
        eat(&p.kind);
        eat(&p.name);
        eat(&p.version);
        eat(&p.purl);
        eat(p.layer_digest.as_deref().unwrap_or(""));
    }
    fastrand::Rng::with_seed(h)
}

/// A version 4 UUID (RFC 9562 section 5.4) from `rng`.
pub(crate) fn uuid_v4(rng: &mut fastrand::Rng) -> String {
    let mut b = [0u8; 16];
    for x in &mut b {
        *x = rng.u8(..);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `(algorithm, hex)` of a digest `ALG:HEX` whose hex has the algorithm's length; `None`
/// for anything else (the hash fields of both formats accept only exact hex).
pub(crate) fn split_digest(digest: &str) -> Option<(&'static str, &str)> {
    let (alg, hex) = digest.split_once(':')?;
    let alg = match (alg, hex.len()) {
        ("sha256", 64) => "SHA-256",
        ("sha384", 96) => "SHA-384",
        ("sha512", 128) => "SHA-512",
        _ => return None,
    };
    hex.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then_some((alg, hex))
}

/// Whether `s` is 64 hex digits.
pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The palisade properties of the subject, in a fixed order, empty values left out.
pub(crate) fn subject_props(s: &Subject) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(d) = s.digest.as_deref() {
        out.push((prop::IMAGE_DIGEST, d.to_string()));
    }
    if let Some(p) = s.platform.as_deref() {
        out.push((prop::IMAGE_PLATFORM, p.to_string()));
    }
    for l in &s.layers {
        out.push((prop::IMAGE_LAYER, l.digest.clone()));
    }
    for l in &s.layers {
        if let Some(c) = l.created_by.as_deref().filter(|c| !c.is_empty()) {
            out.push((prop::IMAGE_LAYER_CREATED_BY, format!("{} {c}", l.digest)));
        }
    }
    out.retain(|(_, v)| !v.is_empty());
    out
}

/// The palisade properties of a package, in a fixed order, empty values left out.
pub(crate) fn package_props(p: &SbomPackage) -> Vec<(&'static str, &str)> {
    let mut out = vec![(prop::PACKAGE_TYPE, p.kind.as_str())];
    let optional = [
        (prop::SOURCE_NAME, p.source_name.as_deref()),
        (prop::SOURCE_VERSION, p.source_version.as_deref()),
        (prop::FOUND_IN, Some(p.found_in.as_str())),
        (prop::LAYER_DIGEST, p.layer_digest.as_deref()),
        (prop::LAYER_CREATED_BY, p.layer_created_by.as_deref()),
    ];
    out.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v))),
    );
    out.retain(|(_, v)| !v.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(rfc3339_utc(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn uuid_shape() {
        let mut rng = fastrand::Rng::with_seed(7);
        let u = uuid_v4(&mut rng);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(u, uuid_v4(&mut rng));
    }

    #[test]
    fn digests() {
        let hex = "a".repeat(64);
        assert_eq!(
            split_digest(&format!("sha256:{hex}")),
            Some(("SHA-256", hex.as_str()))
        );
        assert_eq!(split_digest("sha256:abc"), None);
        assert_eq!(split_digest(&format!("md5:{hex}")), None);
        assert_eq!(split_digest(&format!("sha256:{}", "g".repeat(64))), None);
    }

    #[test]
    fn formats_parse() {
        assert_eq!(
            "cyclonedx-json".parse::<Format>(),
            Ok(Format::CycloneDxJson)
        );
        assert_eq!("spdx-json".parse::<Format>(), Ok(Format::SpdxJson));
        assert!("xml".parse::<Format>().is_err());
    }
}
