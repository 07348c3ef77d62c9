//! Python package versions (PEP 440).
//!
//! Mirrors the `packaging` library's `version.py`: the permissive
//! `VERSION_PATTERN` (case-insensitive, optional `v`, spellings such as
//! `alpha`/`c`/`pre`/`preview`/`rev`/`r`, optional separators `- _ .`,
//! implicit numbers) normalized as PEP 440's "Normalization" section says,
//! and the sort key `_cmpkey`: epoch, release without trailing zeros, then
//! pre-release, post-release, dev-release and local version, where a bare
//! `.devN` sorts before any pre-release of the same release.

use super::VersionError;
use std::cmp::Ordering;
use std::fmt;

const SCHEME: &str = "pep440";

/// Pre-release phase, in sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// `a`, `alpha`.
    Alpha,
    /// `b`, `beta`.
    Beta,
    /// `rc`, `c`, `pre`, `preview`.
    Rc,
}

/// One segment of a local version label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    /// All digits: compares numerically, after every string segment.
    Num(u64),
    /// Anything else, lowercased.
    Str(String),
}

/// A normalized PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// `N!` (0 when absent).
    pub epoch: u64,
    /// The release numbers.
    pub release: Vec<u64>,
    /// Pre-release phase and number.
    pub pre: Option<(Phase, u64)>,
    /// Post-release number.
    pub post: Option<u64>,
    /// Development release number.
    pub dev: Option<u64>,
    /// Local version label segments.
    pub local: Vec<Local>,
}

/// A byte cursor over the lowercased input.
struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += usize::from(hit);
        hit
    }
    fn eat_sep(&mut self) -> bool {
        let hit = matches!(self.peek(), Some(b'-' | b'_' | b'.'));
        self.i += usize::from(hit);
        hit
    }
    fn eat_word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = &self.s[self.i..];
        let k = words.iter().position(|w| rest.starts_with(w.as_bytes()))?;
        self.i += words[k].len();
        Some(k)
    }
    /// A digit run; `Err` when it overflows `u64`, `Ok(None)` when absent.
    fn number(&mut self) -> Result<Option<u64>, &'static str> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if start == self.i {
            return Ok(None);
        }
        let digits = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| "not ASCII")?;
        digits.parse().map(Some).map_err(|_| "number too large")
    }
}

impl Version {
    /// Parses and normalizes a version (`packaging.version.Version`).
    pub fn parse(input: &str) -> Result<Version, VersionError> {
        let err = |reason| VersionError::new(SCHEME, input, reason);
        let lower = input.trim().to_ascii_lowercase();
        let mut p = P {
            s: lower.as_bytes(),
            i: 0,
        };
        p.eat(b'v');
        let first = p
            .number()
            .map_err(err)?
            .ok_or_else(|| err("no release number"))?;
        let (epoch, mut release) = if p.eat(b'!') {
            let n = p
                .number()
                .map_err(err)?
                .ok_or_else(|| err("no release after epoch"))?;
            (first, vec![n])
        } else {
            (0, vec![first])
        };
        loop {
            let save = p.i;
            if !p.eat(b'.') {
                break;
            }
            match p.number().map_err(err)? {
                Some(n) => release.push(n),
                None => {
                    p.i = save;
                    break;
                }
            }
        }
        // Pre-release: [sep] phase [sep] [number]; longer spellings first,
        // as in the pattern's alternation.
        let save = p.i;
        p.eat_sep();
        const PRE: [&str; 8] = ["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"];
        let pre = match p.eat_word(&PRE) {
            Some(k) => {
                let phase = match PRE[k] {
                    "alpha" | "a" => Phase::Alpha,
                    "beta" | "b" => Phase::Beta,
                    _ => Phase::Rc,
                };
                // The separator after a label is taken even without a
                // number (every later part's own separator is optional).
                p.eat_sep();
                Some((phase, p.number().map_err(err)?.unwrap_or(0)))
            }
            None => {
                p.i = save;
                None
            }
        };
        // Post-release: `-N`, or [sep] (post|rev|r) [sep] [number].
        let save = p.i;
        let post = if p.eat(b'-') && p.peek().is_some_and(|c| c.is_ascii_digit()) {
            p.number().map_err(err)?
        } else {
            p.i = save;
            p.eat_sep();
            if p.eat_word(&["post", "rev", "r"]).is_some() {
                p.eat_sep();
                Some(p.number().map_err(err)?.unwrap_or(0))
            } else {
                p.i = save;
                None
            }
        };
        // Development release: [sep] dev [sep] [number].
        let save = p.i;
        p.eat_sep();
        let dev = if p.eat_word(&["dev"]).is_some() {
            p.eat_sep();
            Some(p.number().map_err(err)?.unwrap_or(0))
        } else {
            p.i = save;
            None
        };
        // Local label: + alnum segments separated by - _ .
        let mut local = Vec::new();
        if p.eat(b'+') {
            let rest = std::str::from_utf8(&p.s[p.i..]).map_err(|_| err("not ASCII"))?;
            for seg in rest.split(['-', '_', '.']) {
                if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(err("bad local version label"));
                }
                local.push(match seg.parse::<u64>() {
                    Ok(n) if seg.bytes().all(|b| b.is_ascii_digit()) => Local::Num(n),
                    _ if seg.bytes().all(|b| b.is_ascii_digit()) => {
                        return Err(err("number too large"))
                    }
                    _ => Local::Str(seg.to_string()),
                });
            }
            p.i = p.s.len();
        }
        if p.i != p.s.len() {
            return Err(err("not a PEP 440 version"));
        }
        Ok(Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }
}

impl fmt::Display for Version {
    /// The normalized form (`str(packaging.version.Version(...))`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}!", self.epoch)?;
        }
        let rel: Vec<String> = self.release.iter().map(u64::to_string).collect();
        f.write_str(&rel.join("."))?;
        if let Some((phase, n)) = self.pre {
            let tag = match phase {
                Phase::Alpha => "a",
                Phase::Beta => "b",
                Phase::Rc => "rc",
            };
            write!(f, "{tag}{n}")?;
        }
        if let Some(n) = self.post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = self.dev {
            write!(f, ".dev{n}")?;
        }
        if !self.local.is_empty() {
            let segs: Vec<String> = self
                .local
                .iter()
                .map(|l| match l {
                    Local::Num(n) => n.to_string(),
                    Local::Str(s) => s.clone(),
                })
                .collect();
            write!(f, "+{}", segs.join("."))?;
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

/// `packaging`'s `_cmpkey` order. `None` stands for its infinities: a
/// missing pre-release is +inf (unless the version is a bare dev release,
/// then -inf), a missing post-release -inf, a missing dev release +inf, a
/// missing local label -inf.
pub fn compare(a: &Version, b: &Version) -> Ordering {
    fn trimmed(r: &[u64]) -> &[u64] {
        let n = r.iter().rposition(|&x| x != 0).map_or(0, |k| k + 1);
        &r[..n]
    }
    // Pre-release rank: bare dev (-inf) < a pre-release < none (+inf).
    fn pre_key(v: &Version) -> (u8, Option<(Phase, u64)>) {
        match v.pre {
            None if v.post.is_none() && v.dev.is_some() => (0, None),
            Some(p) => (1, Some(p)),
            None => (2, None),
        }
    }
    let dev_key = |v: &Version| v.dev.map_or((1, 0), |d| (0, d));
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| trimmed(&a.release).cmp(trimmed(&b.release)))
        .then_with(|| pre_key(a).cmp(&pre_key(b)))
        .then_with(|| a.post.cmp(&b.post))
        .then_with(|| dev_key(a).cmp(&dev_key(b)))
        .then_with(|| compare_local(&a.local, &b.local))
}

/// Local labels: segment by segment, strings before numbers; a label that
/// is a prefix of the other sorts first (so no label sorts lowest).
fn compare_local(a: &[Local], b: &[Local]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Local::Num(m), Local::Num(n)) => m.cmp(n),
            (Local::Str(s), Local::Str(t)) => s.cmp(t),
            (Local::Str(_), Local::Num(_)) => Ordering::Less,
            (Local::Num(_), Local::Str(_)) => Ordering::Greater,
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

    /// The ordering example of PEP 440's "Summary of permitted suffixes and
    /// relative ordering" section, plus local labels.
    #[test]
    fn pep440_summary_ordering() {
        let chain = [
            "1.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1!0.1",
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
    }

    /// PEP 440 "Normalization": spellings that denote the same version.
    #[test]
    fn normalization() {
        let same = [
            ("1.0RC1", "1.0rc1"),
            ("1.0c1", "1.0rc1"),
            ("1.0-preview-1", "1.0rc1"),
            ("1.0alpha", "1.0a0"),
            ("1.0.beta.2", "1.0b2"),
            ("1.0-1", "1.0.post1"),
            ("1.0-r", "1.0.post0"),
            ("1.0rev5", "1.0.post5"),
            ("1.0.post", "1.0.post0"),
            ("1.0-dev", "1.0.dev0"),
            ("v1.0", "1.0"),
            (" 1.0\n", "1.0"),
            ("1.01", "1.1"),
            ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
            ("1.0+01", "1.0+1"),
        ];
        for (raw, norm) in same {
            let v = Version::parse(raw).unwrap();
            assert_eq!(
                v.to_string(),
                Version::parse(norm).unwrap().to_string(),
                "{raw}"
            );
            assert_eq!(
                compare_str(raw, norm).unwrap(),
                Ordering::Equal,
                "{raw} == {norm}"
            );
        }
        assert_eq!(compare_str("1.0", "1.0.0.0").unwrap(), Ordering::Equal);
        assert_eq!(Version::parse("1.0.0").unwrap().to_string(), "1.0.0");
    }

    #[test]
    fn rejects_non_pep440() {
        for bad in [
            "",
            "v",
            "1.",
            "1.0+",
            "1.0+a..b",
            "1.0-foo",
            "1!",
            "!1",
            "1.0a1a2",
            "1.0 0",
            "99999999999999999999999",
            "1.0.dev1.post1",
            "1.0-",
            "1.0a--",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?}");
        }
    }
}
