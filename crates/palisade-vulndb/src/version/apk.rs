//! Alpine package versions: `digits{.digits}{letter}{_suffix{digits}}{-rN}`.
//!
//! Mirrors apk-tools 2.x `src/version.c`: the tokenizer (`next_token`,
//! `get_token`), the validity check (`apk_version_validate`) and the
//! comparison (`apk_version_compare_blob_fuzzy` without fuzzy matching).
//! Suffixes `_alpha _beta _pre _rc` sort before the bare version, which sorts
//! before `_cvs _svn _git _hg _p`; a letter after the numbers sorts after
//! them (`1.2a > 1.2`); a component with leading zeros is compared as a
//! fraction (`1.01 < 1.1`); `-rN` is the package revision.

use super::VersionError;
use std::cmp::Ordering;
use std::fmt;

const SCHEME: &str = "apk";

/// Token kinds, in apk's order: comparing two kinds decides which of two
/// versions that agree so far is longer (and so greater).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

const PRE_SUFFIXES: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
const POST_SUFFIXES: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];

/// apk-tools has no bound on a digit run (its `int` overflows); we refuse
/// runs that could overflow an `i64` instead of comparing garbage.
const MAX_DIGITS: usize = 18;

/// A cursor over a version string, following apk's tokenizer.
struct Cursor<'a> {
    s: &'a [u8],
    kind: Kind,
}

impl Cursor<'_> {
    /// apk's `next_token`: consumes the separator before the next token and
    /// decides its kind from the current kind and the next byte.
    fn next_kind(&mut self) {
        let cur = self.kind;
        let first = self.s.first().copied();
        let mut n = match first {
            None => Kind::End,
            Some(c) if matches!(cur, Kind::Digit | Kind::DigitOrZero) && c.is_ascii_lowercase() => {
                Kind::Letter
            }
            Some(c) if cur == Kind::Letter && c.is_ascii_digit() => Kind::Digit,
            Some(c) if cur == Kind::Suffix && c.is_ascii_digit() => Kind::SuffixNo,
            Some(c) => {
                let n = match c {
                    b'.' => Kind::DigitOrZero,
                    b'_' => Kind::Suffix,
                    b'-' if self.s.get(1) == Some(&b'r') => {
                        self.s = &self.s[1..];
                        Kind::RevisionNo
                    }
                    _ => Kind::Invalid,
                };
                self.s = self.s.get(1..).unwrap_or_default();
                n
            }
        };
        // Kinds only move forward, except the listed back-steps (a new
        // component after a letter or suffix number, another suffix).
        if n < cur
            && !((n == Kind::DigitOrZero && cur == Kind::Digit)
                || (n == Kind::Suffix && cur == Kind::SuffixNo)
                || (n == Kind::Digit && cur == Kind::Letter))
        {
            n = Kind::Invalid;
        }
        self.kind = n;
    }

    /// apk's `get_token`: the value of the current token, then moves on.
    fn token(&mut self) -> i64 {
        if self.s.is_empty() {
            self.kind = Kind::End;
            return 0;
        }
        let mut i = 0;
        let mut forced = None;
        let value = match self.kind {
            Kind::DigitOrZero if self.s[0] == b'0' => {
                // Leading zeros: the count, negated, then the rest as digits.
                while self.s.get(i) == Some(&b'0') {
                    i += 1;
                }
                forced = Some(Kind::Digit);
                -(i as i64)
            }
            Kind::DigitOrZero | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => {
                let mut v: i64 = 0;
                while let Some(d) = self.s.get(i).filter(|c| c.is_ascii_digit()) {
                    if i >= MAX_DIGITS {
                        self.kind = Kind::Invalid;
                        return -1;
                    }
                    v = v * 10 + i64::from(d - b'0');
                    i += 1;
                }
                v
            }
            Kind::Letter => {
                i = 1;
                i64::from(self.s[0])
            }
            Kind::Suffix => {
                if let Some((k, w)) = PRE_SUFFIXES
                    .iter()
                    .enumerate()
                    .find(|(_, w)| self.s.starts_with(w))
                {
                    i = w.len();
                    k as i64 - PRE_SUFFIXES.len() as i64
                } else if let Some((k, w)) = POST_SUFFIXES
                    .iter()
                    .enumerate()
                    .find(|(_, w)| self.s.starts_with(w))
                {
                    i = w.len();
                    k as i64
                } else {
                    self.kind = Kind::Invalid;
                    return -1;
                }
            }
            Kind::Invalid | Kind::End => {
                self.kind = Kind::Invalid;
                return -1;
            }
        };
        self.s = &self.s[i..];
        if self.s.is_empty() {
            self.kind = Kind::End;
        } else if let Some(k) = forced {
            self.kind = k;
        } else {
            self.next_kind();
        }
        value
    }
}

/// A validated Alpine version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(String);

impl Version {
    /// Accepts what `apk_version_validate` accepts, except the empty string
    /// (apk accepts it, but no package has an empty version).
    pub fn parse(input: &str) -> Result<Version, VersionError> {
        if input.is_empty() {
            return Err(VersionError::new(SCHEME, input, "version string is empty"));
        }
        let mut c = Cursor {
            s: input.as_bytes(),
            kind: Kind::Digit,
        };
        while !matches!(c.kind, Kind::End | Kind::Invalid) {
            c.token();
        }
        if c.kind == Kind::Invalid {
            return Err(VersionError::new(SCHEME, input, "not an apk version"));
        }
        Ok(Version(input.to_string()))
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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

/// Compares two versions (apk's `apk_version_compare_blob`).
pub fn compare(a: &Version, b: &Version) -> Ordering {
    let mut ca = Cursor {
        s: a.0.as_bytes(),
        kind: Kind::Digit,
    };
    let mut cb = Cursor {
        s: b.0.as_bytes(),
        kind: Kind::Digit,
    };
    let (mut av, mut bv) = (0, 0);
    while ca.kind == cb.kind && !matches!(ca.kind, Kind::End | Kind::Invalid) && av == bv {
        av = ca.token();
        bv = cb.token();
    }
    if av != bv {
        return av.cmp(&bv);
    }
    if ca.kind == cb.kind {
        return Ordering::Equal;
    }
    // Equal so far: the longer one is greater, unless what follows is a
    // pre-release suffix.
    if ca.kind == Kind::Suffix
        && (Cursor {
            s: ca.s,
            kind: Kind::Suffix,
        })
        .token()
            < 0
    {
        return Ordering::Less;
    }
    if cb.kind == Kind::Suffix
        && (Cursor {
            s: cb.s,
            kind: Kind::Suffix,
        })
        .token()
            < 0
    {
        return Ordering::Greater;
    }
    // A later kind means the other version went on further.
    cb.kind.cmp(&ca.kind)
}

/// Parses both strings and compares them.
pub fn compare_str(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(compare(&Version::parse(a)?, &Version::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Orderings that follow from apk-tools' `version.c` rules (suffix
    /// tables, letter tokens, leading-zero fractions, revisions).
    #[test]
    fn apk_rules() {
        let ascending = [
            "1.2.3_alpha",
            "1.2.3_alpha1",
            "1.2.3_alpha2",
            "1.2.3_beta",
            "1.2.3_pre1",
            "1.2.3_rc1",
            "1.2.3_rc1-r0",
            "1.2.3_rc1-r1",
            "1.2.3",
            "1.2.3-r1",
            "1.2.3-r10",
            "1.2.3_cvs",
            "1.2.3_svn",
            "1.2.3_git20240101",
            "1.2.3_hg",
            "1.2.3_p1",
            "1.2.3_p2",
            "1.2.3a",
            "1.2.3b",
            "1.2.3.1",
            "1.2.4",
            "1.10",
        ];
        for w in ascending.windows(2) {
            assert_eq!(
                compare_str(w[0], w[1]).unwrap(),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
            assert_eq!(compare_str(w[1], w[0]).unwrap(), Ordering::Greater);
        }
        for (a, b) in [
            ("1.01", "1.1"),
            ("1.001", "1.01"),
            ("1.0", "1.0.1"),
            ("1", "1.0"),
        ] {
            assert_eq!(compare_str(a, b).unwrap(), Ordering::Less, "{a} < {b}");
        }
        for (a, b) in [("1.2.3-r0", "1.2.3-r0"), ("1.2.3_p01", "1.2.3_p1")] {
            assert_eq!(compare_str(a, b).unwrap(), Ordering::Equal, "{a} == {b}");
        }
    }

    /// What `apk_version_validate` rejects.
    #[test]
    fn rejects_invalid() {
        for bad in [
            "", "1.2_foo", "1.2-1", "1.2_rc1a", "1.2-r1a", "1.A", "1.2_p1.3", "1.2a.3b",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        // apk itself is lenient here: a letter first, a trailing dot, an
        // empty revision all validate.
        for good in [
            "1",
            "1.2.3_rc1-r0",
            "2.4a_p1_rc2-r3",
            "0.0.0_git20230101-r0",
            "a1",
            "1.2.",
            "1.2-r",
        ] {
            assert!(Version::parse(good).is_ok(), "{good:?} should parse");
        }
    }

    /// Shapes that apk-tools' own `test/version.data` exercises: leading
    /// zeros in the first and later components, letters, chained suffixes,
    /// date-like numbers, revisions on suffixed versions.
    #[test]
    fn apk_tools_style_cases() {
        let cases = [
            ("1.06-r6", "<", "006"),
            ("006", ">", "1.0.0"),
            ("2.01.01_alpha10", ">", "0.94"),
            ("3.0.0-r2", "<", "021109-r3"),
            ("0.01", "<", "0.06"),
            ("0.9.28.1", "<", "087-r1"),
            ("2.2.3-r2", "<", "013"),
            ("1.02", "<", "1.03-r1"),
            ("2.10.1", ">", "02.08.01b"),
            ("2.5.1-r8", "<", "2.5.1a-r1"),
            ("1.7", "<", "1.7b"),
            ("2.12r-r4", "<", "2.12r-r5"),
            ("0.59s-r11", "<", "0.65"),
            ("1.6d", ">", "1.2.07.8"),
            ("1.2.07.8", "<", "1.2.12.04"),
            ("0.9.8c-r1", "<", "0.9.8d"),
            ("0.1.0_alpha_pre2", "<", "0.1.0_alpha"),
            ("1.3_pre1-r1", "<", "1.3.2"),
            ("4.5_p1", "<", "4.5_p1-r1"),
            ("1.8.5", "<", "1.8.5_p2"),
            ("0.20070118", "<", "0.20070207_rc1"),
            ("4.01", "<", "4.20"),
            ("1.00_beta2", ">", "0.9.2"),
            ("2.9.11_pre20051101-r3", ">", "2.9.11_pre20051101"),
            ("1.0_p10-r0", ">", "1.0_p9-r0"),
            (
                "1.0.0_pre20191002222144-r0",
                "<",
                "1.0.0_pre20210530193627-r0",
            ),
            ("0.2.0-r1", "=", "0.2.0-r1"),
        ];
        for (a, op, b) in cases {
            let want = match op {
                "<" => Ordering::Less,
                ">" => Ordering::Greater,
                _ => Ordering::Equal,
            };
            assert_eq!(compare_str(a, b).unwrap(), want, "{a} {op} {b}");
            assert_eq!(compare_str(b, a).unwrap(), want.reverse(), "{b} vs {a}");
        }
    }
}
