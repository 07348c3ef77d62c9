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

/// A version scheme, for callers that pick one from data (an OSV
/// ecosystem) rather than in code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian and Ubuntu ([`dpkg`]).
    Dpkg,
    /// Alpine ([`apk`]).
    Apk,
    /// RPM-based distributions ([`rpm`]).
    Rpm,
    /// SemVer 2 ([`semver`]), also OSV's `SEMVER` range type.
    SemVer,
    /// Go modules ([`goversion`]).
    Go,
    /// Python packages ([`pep440`]).
    Pep440,
    /// Maven artifacts ([`maven`]).
    Maven,
}

impl Scheme {
    /// The scheme of an OSV ecosystem name; a release suffix such as
    /// `Debian:12` or `Alpine:v3.19` is ignored. `None` for ecosystems
    /// without a scheme here.
    pub fn for_osv_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem);
        Some(match base {
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "Alpine" => Scheme::Apk,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "openSUSE" | "SUSE" | "Mageia" => Scheme::Rpm,
            "Go" => Scheme::Go,
            "PyPI" => Scheme::Pep440,
            "Maven" => Scheme::Maven,
            "npm" => Scheme::SemVer,
            _ => return None,
        })
    }

    /// Parses both versions with this scheme and compares them.
    pub fn compare_str(self, a: &str, b: &str) -> Result<std::cmp::Ordering, VersionError> {
        match self {
            Scheme::Dpkg => dpkg::compare_str(a, b),
            Scheme::Apk => apk::compare_str(a, b),
            Scheme::Rpm => rpm::compare_str(a, b),
            Scheme::SemVer => semver::compare_str(a, b),
            Scheme::Go => goversion::compare_str(a, b),
            Scheme::Pep440 => pep440::compare_str(a, b),
            Scheme::Maven => maven::compare_str(a, b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn scheme_by_ecosystem_dispatches() {
        let cases = [
            ("Debian:12", "1.0~rc1", "1.0", Ordering::Less),
            ("Alpine:v3.19", "1.2.3_rc1", "1.2.3", Ordering::Less),
            ("Red Hat", "1.0^git1", "1.0", Ordering::Greater),
            ("Go", "v1.2.3", "1.2.3", Ordering::Equal),
            ("PyPI", "1.0RC1", "1.0rc1", Ordering::Equal),
            ("Maven", "1-1", "1.1", Ordering::Less),
            ("npm", "1.0.0-beta", "1.0.0", Ordering::Less),
        ];
        for (eco, a, b, want) in cases {
            let scheme = Scheme::for_osv_ecosystem(eco).unwrap();
            assert_eq!(scheme.compare_str(a, b).unwrap(), want, "{eco}: {a} vs {b}");
        }
        assert_eq!(Scheme::for_osv_ecosystem("Hackage"), None);
        let e = Scheme::Dpkg.compare_str("1.0-", "1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid dpkg version \"1.0-\": revision number is empty"
        );
    }
}
