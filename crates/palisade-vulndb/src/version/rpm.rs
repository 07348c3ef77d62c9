//! RPM versions: `[epoch:]version[-release]`.
//!
//! Mirrors rpm's `rpmio/rpmvercmp.c` (`rpmvercmp`) for the version and the
//! release, and `parseEVR` (`lib/rpmds.c`) for splitting: the epoch is a
//! run of digits before `:`, the release follows the last `-`. Segments are
//! maximal runs of digits or of letters; other bytes only separate. Numeric
//! segments compare numerically and beat alphabetic ones; `~` sorts before
//! everything (even the end), `^` after the end but before any segment.

use super::VersionError;
use std::cmp::Ordering;
use std::fmt;

const SCHEME: &str = "rpm";

/// A parsed RPM EVR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// The epoch (0 when absent, as rpm's `rpmVersionCompare` treats it).
    pub epoch: u64,
    /// The version.
    pub version: String,
    /// The release, when present.
    pub release: Option<String>,
}

impl Version {
    /// Splits an EVR string. rpm itself accepts nearly anything; we reject
    /// what cannot be a package version: an empty string or version,
    /// whitespace, control bytes, and an epoch that overflows.
    pub fn parse(input: &str) -> Result<Version, VersionError> {
        let err = |reason| VersionError::new(SCHEME, input, reason);
        if input.is_empty() {
            return Err(err("version string is empty"));
        }
        if input
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(err("whitespace or control character in version"));
        }
        let digits = input.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = if input.as_bytes().get(digits) == Some(&b':') {
            let e = &input[..digits];
            // parseEVR: an empty epoch before ':' means 0.
            let epoch = if e.is_empty() {
                0
            } else {
                e.parse().map_err(|_| err("epoch too big"))?
            };
            (epoch, &input[digits + 1..])
        } else {
            (0, input)
        };
        let (version, release) = match rest.rfind('-') {
            Some(i) => (&rest[..i], Some(rest[i + 1..].to_string())),
            None => (rest, None),
        };
        if version.is_empty() {
            return Err(err("version is empty"));
        }
        Ok(Version {
            epoch,
            version: version.to_string(),
            release,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A zero epoch is implied, unless a colon later in the string
        // would otherwise be read as the epoch's.
        if self.epoch != 0 || self.version.contains(':') {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.version)?;
        if let Some(r) = &self.release {
            write!(f, "-{r}")?;
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

/// Compares epoch, then version, then release with `rpmvercmp`. A missing
/// release compares as empty (so `1.0 < 1.0-1`), as when rpm compares two
/// full header EVRs; rpm's dependency ranges instead ignore the release
/// when one side lacks it, which matching ranges must decide for itself.
pub fn compare(a: &Version, b: &Version) -> Ordering {
    let rel = |v: &Version| v.release.clone().unwrap_or_default();
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| rpmvercmp(&a.version, &b.version))
        .then_with(|| rpmvercmp(&rel(a), &rel(b)))
}

/// Parses both strings and compares them.
pub fn compare_str(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(compare(&Version::parse(a)?, &Version::parse(b)?))
}

/// rpm's segment comparison of one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let sep = |c: &u8| !c.is_ascii_alphanumeric() && *c != b'~' && *c != b'^';
    while i < a.len() || j < b.len() {
        while a.get(i).is_some_and(sep) {
            i += 1;
        }
        while b.get(j).is_some_and(sep) {
            j += 1;
        }
        let (x, y) = (a.get(i), b.get(j));
        // Tilde: sorts before everything, the end included.
        if x == Some(&b'~') || y == Some(&b'~') {
            if x != Some(&b'~') {
                return Ordering::Greater;
            }
            if y != Some(&b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // Caret: after the end of the other string, before anything else.
        if x == Some(&b'^') || y == Some(&b'^') {
            if x.is_none() {
                return Ordering::Less;
            }
            if y.is_none() {
                return Ordering::Greater;
            }
            if x != Some(&b'^') {
                return Ordering::Greater;
            }
            if y != Some(&b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(&x), Some(_)) = (x, y) else { break };
        let numeric = x.is_ascii_digit();
        let class = |c: &u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let seg_a = run(a, i, class);
        let seg_b = run(b, j, class);
        i += seg_a.len();
        j += seg_b.len();
        if seg_b.is_empty() {
            // Segments of different classes: numbers are newer.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let ord = if numeric {
            let (sa, sb) = (strip_zeros(seg_a), strip_zeros(seg_b));
            sa.len().cmp(&sb.len()).then_with(|| sa.cmp(sb))
        } else {
            seg_a.cmp(seg_b)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    // Whichever still has segments left is newer.
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn run(s: &[u8], start: usize, class: impl Fn(&u8) -> bool) -> &[u8] {
    let len = s[start..].iter().take_while(|c| class(c)).count();
    &s[start..start + len]
}

fn strip_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b'0').count();
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from rpm's test suite for `rpmvercmp` (`tests/rpmvercmp.at`)
    /// as documented there: segments, separators, tilde and caret.
    #[test]
    fn rpmvercmp_rules() {
        let cases: &[(&str, &str, Ordering)] = &[
            ("1.0", "1.0", Ordering::Equal),
            ("1.0", "2.0", Ordering::Less),
            ("2.0.1", "2.0", Ordering::Greater),
            ("2.0.1a", "2.0.1", Ordering::Greater),
            ("5.5p1", "5.5p2", Ordering::Less),
            ("5.5p10", "5.5p1", Ordering::Greater),
            ("10xyz", "10.1xyz", Ordering::Less),
            ("xyz10", "xyz10.1", Ordering::Less),
            ("xyz.4", "8", Ordering::Less),
            ("xyz.4", "2", Ordering::Less),
            ("5.5p2", "5.6p1", Ordering::Less),
            ("5.6p1", "6.5p1", Ordering::Less),
            ("6.0.rc1", "6.0", Ordering::Greater),
            ("10b2", "10a1", Ordering::Greater),
            ("1.0aa", "1.0a", Ordering::Greater),
            ("10.0001", "10.1", Ordering::Equal),
            ("10.0001", "10.0039", Ordering::Less),
            ("4.999.9", "5.0", Ordering::Less),
            ("20101121", "20101122", Ordering::Less),
            ("2_0", "2_0", Ordering::Equal),
            ("2.0", "2_0", Ordering::Equal),
            ("a", "a", Ordering::Equal),
            ("a+", "a_", Ordering::Equal),
            ("+", "_", Ordering::Equal),
            ("1.0~rc1", "1.0", Ordering::Less),
            ("1.0~rc1", "1.0~rc2", Ordering::Less),
            ("1.0~rc1~git123", "1.0~rc1", Ordering::Less),
            ("1.0^", "1.0", Ordering::Greater),
            ("1.0^git1", "1.0", Ordering::Greater),
            ("1.0^git1", "1.01", Ordering::Less),
            ("1.0^20160101", "1.0.1", Ordering::Less),
            ("1.0^20160101^git1", "1.0^20160101", Ordering::Greater),
            ("1.0~rc1^git1", "1.0~rc1", Ordering::Greater),
            ("1.0^git1~pre", "1.0^git1", Ordering::Less),
        ];
        for &(a, b, want) in cases {
            assert_eq!(rpmvercmp(a, b), want, "rpmvercmp({a}, {b})");
            assert_eq!(rpmvercmp(b, a), want.reverse(), "rpmvercmp({b}, {a})");
        }
    }

    #[test]
    fn evr_split_and_compare() {
        let v = Version::parse("2:1.2.3-4.el9").unwrap();
        assert_eq!(
            (v.epoch, v.version.as_str(), v.release.as_deref()),
            (2, "1.2.3", Some("4.el9"))
        );
        assert_eq!(v.to_string(), "2:1.2.3-4.el9");
        assert_eq!(Version::parse("0:1:2-1").unwrap().to_string(), "0:1:2-1");
        assert_eq!(compare_str("1:1.0-1", "2.0-1").unwrap(), Ordering::Greater);
        assert_eq!(compare_str("0:1.0-1", "1.0-1").unwrap(), Ordering::Equal);
        assert_eq!(
            compare_str("1.0-1.el9", "1.0-1.el9_2").unwrap(),
            Ordering::Less
        );
        assert_eq!(compare_str("1.0", "1.0-1").unwrap(), Ordering::Less);
        for bad in ["", "1:", "-1", "1 .0", "99999999999999999999999:1"] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}
