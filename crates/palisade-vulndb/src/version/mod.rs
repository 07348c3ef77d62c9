//! Version schemes, one module each. Every module offers a `Version` type
//! with `parse(&str) -> Result<Version, VersionError>` and a
//! `compare(&Version, &Version) -> Ordering` that mirrors the scheme's
//! reference implementation (named in each module's documentation).

use std::fmt;

pub mod apk;
pub mod dpkg;
pub mod goversion;
pub mod maven;
pub mod pep440;
pub mod rpm;
pub mod semver;

/// Why a version string was rejected by a scheme's parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionError {
    /// The scheme that rejected the version (`dpkg`, `apk`, ...).
    pub scheme: &'static str,
    /// The rejected input, verbatim.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl VersionError {
    pub(crate) fn new(scheme: &'static str, input: &str, reason: &'static str) -> Self {
        VersionError {
            scheme,
            input: input.to_string(),
            reason,
        }
    }
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} version {:?}: {}",
            self.scheme, self.input, self.reason
        )
    }
}

impl std::error::Error for VersionError {}
