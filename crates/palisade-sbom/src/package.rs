//! What the catalogers produce: packages, the OS, and warnings about input they skipped.

use std::fmt;

/// Which package manager (or language ecosystem) a package comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PackageKind {
    /// A Debian/Ubuntu binary package from the dpkg database.
    Deb,
    /// An Alpine package from the apk database.
    Apk,
    /// A Python distribution (`*.dist-info` / `*.egg-info`).
    Python,
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
    /// The database or metadata file the package was read from.
    pub found_in: String,
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
