//! What the catalogers produce: packages, the OS, and warnings about input they skipped.

use std::fmt;

/// Which package manager (or language ecosystem) a package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PackageKind {
    /// A Debian/Ubuntu binary package from the dpkg database.
    Deb,
    /// An Alpine package from the apk database.
    Apk,
    /// An RPM package from the sqlite rpm database.
    Rpm,
    /// A Python distribution (`*.dist-info` / `*.egg-info`).
    Python,
    /// An npm package (`node_modules/**/package.json` or a lockfile).
    Npm,
    /// A Java archive's Maven coordinates (`pom.properties` or `MANIFEST.MF`).
    Java,
    /// A Go module (or the Go standard library) compiled into a binary.
    Go,
}

impl PackageKind {
    /// Whether the kind is an OS package manager's (whose files language catalogers skip).
    pub fn is_os(self) -> bool {
        matches!(self, PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm)
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Ecosystem.
    pub kind: PackageKind,
    /// Name as the package manager spells it.
    pub name: String,
    /// Installed version, verbatim (epoch and binNMU suffix included).
    pub version: String,
    /// Architecture, when the database records one.
    pub arch: Option<String>,
    /// Source package (dpkg `Source`, apk origin `o`); vulnerability data is keyed by it.
    pub source_name: Option<String>,
    /// Version of the source package when it differs from `version` (dpkg binNMUs and
    /// `Source: name (version)`); `None` means "same as `version`".
    pub source_version: Option<String>,
    /// License names or SPDX expressions, deduplicated, in the order found.
    pub licenses: Vec<String>,
    /// Package URL.
    pub purl: String,
    /// The database or metadata file the package was read from (`outer.jar!inner.jar` for a
    /// nested archive).
    pub found_in: String,
    /// Digest of the image layer that added the file the package was read from (for dpkg, the
    /// layer of the package's own `info/NAME.list`, which is rewritten when it is installed).
    pub layer_digest: Option<String>,
    /// The history `created_by` line of that layer.
    pub layer_created_by: Option<String>,
    /// Lowercase hex SHA-256 of the file the package was read from, when it was read whole.
    pub file_sha256: Option<String>,
}

impl Package {
    /// A package with no licenses and no origin yet.
    pub(crate) fn new(
        kind: PackageKind,
        name: &str,
        version: &str,
        purl: String,
        found_in: &str,
    ) -> Package {
        Package {
            kind,
            name: name.to_string(),
            version: version.to_string(),
            arch: None,
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            purl,
            found_in: found_in.to_string(),
            layer_digest: None,
            layer_created_by: None,
            file_sha256: None,
        }
    }
}

/// Parsed `os-release`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    /// `ID` (e.g. `debian`, `alpine`).
    pub id: String,
    /// `VERSION_ID` (e.g. `12`, `3.20.3`).
    pub version_id: Option<String>,
    /// `VERSION_CODENAME` (e.g. `bookworm`).
    pub codename: Option<String>,
    /// `ID_LIKE`, split on spaces.
    pub id_like: Vec<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// The file the values were read from.
    pub found_in: String,
}

/// A piece of input that was skipped; the rest of the file is still catalogued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// File the problem is in.
    pub path: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What was wrong.
    pub message: String,
}

impl Warning {
    pub(crate) fn new(path: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            path: path.to_string(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}
