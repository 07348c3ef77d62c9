//! Go module versions: SemVer with a `v` prefix, as `golang.org/x/mod/semver`
//! and `golang.org/x/mod/module` define them.
//!
//! Mirrors `semver.Compare` (which accepts the shorthands `v1` and `v1.2`
//! for `v1.0.0` and `v1.2.0` and ignores build metadata such as
//! `+incompatible`) and `module.IsPseudoVersion` (the three pseudo-version
//! shapes: `vX.0.0-yyyymmddhhmmss-abcdef123456`,
//! `vX.Y.Z-pre.0.yyyymmddhhmmss-abc…` and `vX.Y.(Z+1)-0.yyyymmddhhmmss-abc…`).
//! A pseudo-version needs no special ordering: it is a SemVer pre-release
//! whose timestamp orders it.
//!
//! OSV's Go records write versions without the `v`; [`Version::parse`]
//! therefore accepts the prefix as optional.

use super::semver;
use super::VersionError;
use std::cmp::Ordering;
use std::fmt;

const SCHEME: &str = "go";

/// A parsed Go module version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The version as SemVer, shorthands expanded.
    pub semver: semver::Version,
}

impl Version {
    /// Parses `v1.2.3`, `1.2.3`, `v1`, `v1.2`, pre-releases and build
    /// metadata. Like `semver.IsValid`, a shorthand takes no suffix.
    pub fn parse(input: &str) -> Result<Version, VersionError> {
        let err = |reason| VersionError::new(SCHEME, input, reason);
        let body = input.strip_prefix('v').unwrap_or(input);
        let core_end = body.find(['-', '+']).unwrap_or(body.len());
        let dots = body[..core_end].matches('.').count();
        let expanded;
        let full = match dots {
            2 => body,
            0 | 1 if core_end < body.len() => return Err(err("shorthand version with a suffix")),
            0 => {
                expanded = format!("{body}.0.0");
                &expanded
            }
            1 => {
                expanded = format!("{body}.0");
                &expanded
            }
            _ => return Err(err("too many dots")),
        };
        let semver = semver::parse_with(SCHEME, full).map_err(|e| VersionError {
            input: input.to_string(),
            ..e
        })?;
        Ok(Version { semver })
    }

    /// Whether this is a pseudo-version (`module.IsPseudoVersion`).
    pub fn is_pseudo(&self) -> bool {
        let Some(last) = self.semver.pre.last() else {
            return false;
        };
        // The final pre-release identifier is `TIMESTAMP-REVISION`.
        let Some((stamp, rev)) = last.split_once('-') else {
            return false;
        };
        if stamp.len() != 14 || !stamp.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        if rev.is_empty() || !rev.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return false;
        }
        let pre = &self.semver.pre[..self.semver.pre.len() - 1];
        let [_, minor, patch] = &self.semver.core;
        match pre {
            // vX.0.0-TIMESTAMP-REV
            [] => minor == "0" && patch == "0",
            // vX.Y.Z-pre.0.TIMESTAMP-REV or vX.Y.Z-0.TIMESTAMP-REV
            [.., zero] => zero == "0",
        }
    }

    /// Whether the build metadata is `+incompatible` (a v2+ module without
    /// a `go.mod`); it does not change the ordering.
    pub fn is_incompatible(&self) -> bool {
        self.semver.build == ["incompatible"]
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.semver)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(self, other)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `semver.Compare` on two valid versions.
pub fn compare(a: &Version, b: &Version) -> Ordering {
    semver::compare(&a.semver, &b.semver)
}

/// Parses both strings and compares them.
pub fn compare_str(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(compare(&Version::parse(a)?, &Version::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Orderings from the rules of `golang.org/x/mod/semver` and the
    /// pseudo-version scheme of the Go modules reference.
    #[test]
    fn go_ordering() {
        let chain = [
            "v0.0.0-20190101000000-aaaaaaaaaaaa",
            "v0.0.0-20200101000000-abcdef123456",
            "v0.1.0",
            "v1.2.3-pre",
            "v1.2.3-pre.0.20210101000000-abcdef123456",
            "v1.2.3",
            "v1.2.4-0.20220101000000-abcdef123456",
            "v1.2.4",
            "v2.0.0+incompatible",
            "v2.1.0",
        ];
        for w in chain.windows(2) {
            assert_eq!(
                compare_str(w[0], w[1]).unwrap(),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
        }
        assert_eq!(compare_str("v1", "v1.0.0").unwrap(), Ordering::Equal);
        assert_eq!(compare_str("v1.2", "v1.2.0").unwrap(), Ordering::Equal);
        assert_eq!(compare_str("1.2.3", "v1.2.3").unwrap(), Ordering::Equal);
        assert_eq!(
            compare_str("v2.0.0+incompatible", "v2.0.0").unwrap(),
            Ordering::Equal
        );
    }

    #[test]
    fn pseudo_and_incompatible() {
        for p in [
            "v0.0.0-20200101000000-abcdef123456",
            "v1.2.3-pre.0.20210101000000-abcdef123456",
            "v1.2.4-0.20220101000000-abcdef123456",
        ] {
            assert!(Version::parse(p).unwrap().is_pseudo(), "{p}");
        }
        for n in [
            "v1.2.3",
            "v1.2.0-20200101000000-abcdef123456",
            "v1.2.3-pre",
            "v0.0.0-2020-abc",
        ] {
            assert!(!Version::parse(n).unwrap().is_pseudo(), "{n}");
        }
        assert!(Version::parse("v2.0.0+incompatible")
            .unwrap()
            .is_incompatible());
        for bad in ["", "v", "v1-pre", "v1.2+meta", "v01.2.3", "v1.2.3.4", "vx"] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}
