//! Debian package versions: `[epoch:]upstream[-revision]`.
//!
//! Mirrors dpkg's `lib/dpkg/version.c` (`dpkg_version_compare` and its
//! helpers `order` and `verrevcmp`) and `lib/dpkg/parsehelp.c`
//! (`parseversion`): the epoch compares numerically; upstream and revision
//! compare by alternating non-digit runs (where `~` sorts before everything,
//! even the end of the string, letters before non-letters) and digit runs
//! (numerically, so leading zeros do not matter). A binNMU such as
//! `5.2.15-2+b13` needs no special case: `+b13` is part of the revision.

use super::VersionError;
use std::cmp::Ordering;
use std::fmt;

const SCHEME: &str = "dpkg";

/// A parsed Debian version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The epoch (0 when absent).
    pub epoch: u32,
    /// The upstream version.
    pub upstream: String,
    /// The Debian revision (empty when absent, which dpkg treats like `0`).
    pub revision: String,
}

impl Version {
    /// Parses a version the way `dpkg --compare-versions` does: what dpkg
    /// rejects with an error is an `Err`; what it only warns about (an
    /// upstream part not starting with a digit, unusual characters) is
    /// accepted, because dpkg still compares such versions. Use
    /// [`Version::parse_strict`] to reject those too.
    pub fn parse(input: &str) -> Result<Version, VersionError> {
        let err = |reason| VersionError::new(SCHEME, input, reason);
        // parseversion: surrounding blanks are skipped, inner ones are errors.
        let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
        if s.is_empty() {
            return Err(err("version string is empty"));
        }
        if s.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(err("version string has embedded spaces"));
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() {
                    return Err(err("epoch in version is empty"));
                }
                if !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("epoch in version is not number"));
                }
                // dpkg caps the epoch at INT_MAX.
                let epoch = e
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n <= i32::MAX as u64)
                    .ok_or_else(|| err("epoch in version is too big"))?;
                if rest.is_empty() {
                    return Err(err("nothing after colon in version number"));
                }
                (epoch as u32, rest)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => {
                let revision = &rest[i + 1..];
                if revision.is_empty() {
                    return Err(err("revision number is empty"));
                }
                (&rest[..i], revision)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(err("version number is empty"));
        }
        Ok(Version {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }

    /// Like [`Version::parse`], but also rejects what dpkg only warns about:
    /// an upstream version not starting with a digit, and characters outside
    /// the Debian policy sets (alphanumerics and `.+~-:` upstream,
    /// alphanumerics and `.+~` in the revision).
    pub fn parse_strict(input: &str) -> Result<Version, VersionError> {
        let v = Version::parse(input)?;
        let err = |reason| VersionError::new(SCHEME, input, reason);
        if !v.upstream.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(err("version number does not start with digit"));
        }
        let upstream_ok =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'~' | b':');
        if !v.upstream.bytes().all(upstream_ok) {
            return Err(err("invalid character in version number"));
        }
        let revision_ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'~');
        if !v.revision.bytes().all(revision_ok) {
            return Err(err("invalid character in revision number"));
        }
        Ok(v)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A zero epoch is implied, unless a colon later in the string
        // would otherwise be read as the epoch's.
        if self.epoch != 0 || self.upstream.contains(':') {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
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

/// Compares two parsed versions (dpkg's `dpkg_version_compare`).
pub fn compare(a: &Version, b: &Version) -> Ordering {
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| compare_part(a.upstream.as_bytes(), b.upstream.as_bytes()))
        .then_with(|| compare_part(a.revision.as_bytes(), b.revision.as_bytes()))
}

/// Parses both strings and compares them.
pub fn compare_str(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(compare(&Version::parse(a)?, &Version::parse(b)?))
}

/// Weight of one byte in a non-digit run (dpkg's `order`); `None` is the end
/// of the string, which weighs 0 like a digit does.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// Compares an upstream version or a revision (dpkg's `verrevcmp`).
fn compare_part(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let is_digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        // Non-digit run: byte by byte by weight. Both cursors advance only
        // while the weights agree, which implies both bytes exist.
        while (i < a.len() && !is_digit(a, i)) || (j < b.len() && !is_digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // Digit run: numerically, without converting (runs may be huge).
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while is_digit(a, i) && is_digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if is_digit(a, i) {
            return Ordering::Greater;
        }
        if is_digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare_str(a, b).unwrap()
    }

    /// Cases from the Debian Policy Manual, section 5.6.12 (Version), and the
    /// rules of dpkg's `verrevcmp`.
    #[test]
    fn policy_examples() {
        let less = [
            ("1.0~rc1", "1.0"),
            ("1.0~~", "1.0~"),
            ("1.0~~", "1.0~~a"),
            ("1.0~~a", "1.0~"),
            ("1.0~", "1.0"),
            ("1.0", "1.0a"),
            ("1.0a", "1.0+"),
            ("1.0", "1.0.1"),
            ("1.9", "1.10"),
            ("1:0.1", "2:0.0"),
            ("0.9", "1:0.1"),
            ("5.2.15-2", "5.2.15-2+b13"),
            ("5.2.15-2+b2", "5.2.15-2+b13"),
            ("2.36-9+deb12u3", "2.36-9+deb12u14"),
            ("6.12.90-2~bpo12+1", "6.12.90-2"),
        ];
        for (a, b) in less {
            assert_eq!(cmp(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(cmp(b, a), Ordering::Greater, "{b} > {a}");
        }
        for (a, b) in [
            ("1.0", "1.0-0"),
            ("0:1.0", "1.0"),
            ("1.01", "1.1"),
            ("1.0-00", "1.0"),
        ] {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a} == {b}");
        }
    }

    /// The errors of dpkg's `parseversion`.
    #[test]
    fn rejects_what_dpkg_rejects() {
        for bad in [
            "",
            "  ",
            "1.0-",
            ":1.0",
            "a:1.0",
            "1:",
            "-1",
            "1 0",
            "99999999999:1",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        // Warnings only: dpkg compares these.
        assert!(Version::parse("a").is_ok());
        assert!(Version::parse_strict("a").is_err());
        assert!(Version::parse_strict("1.0_1").is_err());
        assert!(Version::parse_strict("1:2.0-1+b1").is_ok());
    }

    #[test]
    fn display_round_trips() {
        for s in ["1:2.0-1+b1", "2.0", "1.0-1-2", "0:1:2-1"] {
            let v = Version::parse(s).unwrap();
            assert_eq!(v.to_string(), s);
            assert_eq!(Version::parse(&v.to_string()).unwrap(), v);
        }
        assert_eq!(Version::parse("1.0-1-2").unwrap().revision, "2");
    }
}
