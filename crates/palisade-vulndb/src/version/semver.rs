//! Semantic Versioning 2.0.0: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`.
//!
//! Follows the grammar and the precedence rules (section 11) of the
//! specification at semver.org: numbers without leading zeros; a
//! pre-release sorts before the release; pre-release identifiers compare
//! numerically when all digits, else in ASCII order, numeric before
//! alphanumeric, and a shorter list first when one is a prefix of the
//! other; build metadata never affects precedence.

use super::VersionError;
use std::cmp::Ordering;
use std::fmt;

const SCHEME: &str = "semver";

/// A parsed SemVer 2 version. Numbers are kept as digit strings so that any
/// length compares exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// MAJOR, MINOR and PATCH, as canonical digit strings.
    pub core: [String; 3],
    /// Pre-release identifiers (empty for a release).
    pub pre: Vec<String>,
    /// Build metadata identifiers (ignored by comparison).
    pub build: Vec<String>,
}

impl Version {
    /// Parses a strict SemVer 2 version (no `v` prefix, all three numbers).
    pub fn parse(input: &str) -> Result<Version, VersionError> {
        parse_with(SCHEME, input)
    }
}

/// Parses `input` as SemVer, naming `scheme` in errors (shared with Go).
pub(crate) fn parse_with(scheme: &'static str, input: &str) -> Result<Version, VersionError> {
    let err = |reason| VersionError::new(scheme, input, reason);
    let (rest, build) = match input.split_once('+') {
        Some((r, b)) => (r, identifiers(b).ok_or_else(|| err("bad build metadata"))?),
        None => (input, Vec::new()),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => {
            let ids = identifiers(p).ok_or_else(|| err("bad pre-release"))?;
            if ids
                .iter()
                .any(|id| is_numeric(id) && id.len() > 1 && id.starts_with('0'))
            {
                return Err(err("numeric pre-release identifier with leading zero"));
            }
            (c, ids)
        }
        None => (rest, Vec::new()),
    };
    let nums: Vec<&str> = core.split('.').collect();
    if nums.len() != 3 {
        return Err(err("expected MAJOR.MINOR.PATCH"));
    }
    let mut out: [String; 3] = Default::default();
    for (slot, n) in out.iter_mut().zip(&nums) {
        if !is_numeric(n) {
            return Err(err("version number is not a number"));
        }
        if n.len() > 1 && n.starts_with('0') {
            return Err(err("version number with leading zero"));
        }
        *slot = (*n).to_string();
    }
    Ok(Version {
        core: out,
        pre,
        build,
    })
}

/// Dot-separated non-empty identifiers of `[0-9A-Za-z-]`.
fn identifiers(s: &str) -> Option<Vec<String>> {
    s.split('.')
        .map(|id| {
            let ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            ok.then(|| id.to_string())
        })
        .collect()
}

fn is_numeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Compares digit strings numerically (leading zeros ignored).
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.core[0], self.core[1], self.core[2])?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre.join("."))?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build.join("."))?;
        }
        Ok(())
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

/// SemVer precedence (build metadata ignored, so `1.0.0+a` equals `1.0.0+b`).
pub fn compare(a: &Version, b: &Version) -> Ordering {
    for (x, y) in a.core.iter().zip(&b.core) {
        let o = cmp_digits(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    compare_pre(&a.pre, &b.pre)
}

/// Pre-release precedence (section 11.3 and 11.4).
pub(crate) fn compare_pre(a: &[String], b: &[String]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    for (x, y) in a.iter().zip(b) {
        let o = match (is_numeric(x), is_numeric(y)) {
            (true, true) => cmp_digits(x, y),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => x.as_bytes().cmp(y.as_bytes()),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// Parses both strings and compares them.
pub fn compare_str(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(compare(&Version::parse(a)?, &Version::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The precedence example of semver.org section 11.4, in order.
    #[test]
    fn spec_precedence_example() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
            "10.0.0",
        ];
        for w in chain.windows(2) {
            assert_eq!(
                compare_str(w[0], w[1]).unwrap(),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
            assert_eq!(compare_str(w[1], w[0]).unwrap(), Ordering::Greater);
        }
        assert_eq!(
            compare_str("1.0.0+build.1", "1.0.0+other").unwrap(),
            Ordering::Equal
        );
        assert_eq!(
            compare_str("1.0.0-a-b", "1.0.0-a").unwrap(),
            Ordering::Greater
        );
        let huge = "1.0.123456789012345678901234567890";
        assert_eq!(compare_str(huge, "1.0.99").unwrap(), Ordering::Greater);
    }

    /// The grammar of semver.org (the BNF section).
    #[test]
    fn rejects_what_the_grammar_rejects() {
        for bad in [
            "",
            "1",
            "1.2",
            "v1.2.3",
            "01.2.3",
            "1.02.3",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-01",
            "1.2.3-a..b",
            "1.2.3-a_b",
            "1.2.3.4",
            "1.2.-3",
            "a.b.c",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
        for good in [
            "0.0.0",
            "1.2.3-0",
            "1.2.3-0a",
            "1.2.3-x-y.1+001.sha-5",
            "1.2.3----RC-SNAPSHOT.12.9.1--.12+788",
        ] {
            let v = Version::parse(good).unwrap();
            assert_eq!(v.to_string(), good);
        }
    }
}
