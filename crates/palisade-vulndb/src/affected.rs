//! Whether a version lies in an OSV `affected` entry: the `IsVulnerable`
//! pseudo-code of the OSV schema's "Evaluation" section (`BeforeLimits`,
//! sorted events, `IncludedInVersions`), with each ecosystem's exact version
//! ordering from [`crate::version`].
//!
//! Choices the schema leaves open, made here:
//! - `ECOSYSTEM` ranges use the ecosystem's scheme; `SEMVER` ranges use
//!   SemVer 2, except in the `Go` ecosystem, whose versions are SemVer with a
//!   `v` prefix the records omit (the Go scheme orders them identically and
//!   accepts both spellings). `GIT` ranges are not evaluated (they need the
//!   repository's commit graph); records that have only `GIT` ranges still
//!   match through their `versions` list.
//! - A range with an event version the scheme rejects is skipped whole (a
//!   dropped `fixed` would wrongly extend it, a dropped `introduced` would
//!   wrongly shorten it); the `versions` list still applies.
//! - Events at equal versions keep the record's order (a stable sort).
//! - `versions` entries match by text, as the schema says, and also when
//!   the scheme parses both and finds them equal (`1.0` and `1.0.0` in PEP
//!   440).

use std::cmp::Ordering;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::osv::{Event, Range};
use crate::version::{self, Scheme, VersionError};

/// The part of an `affected` entry that matching needs, as stored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Span {
    /// `ECOSYSTEM` and `SEMVER` ranges (GIT ranges are dropped on import).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Explicit affected versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// Why a version is affected: the events that close the ranges it is in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hit {
    /// For each range containing the version, the `fixed` event closing it.
    pub fixed: Vec<String>,
    /// For each range containing the version, the `last_affected` event closing it.
    pub last_affected: Vec<String>,
}

/// A version parsed under one scheme.
#[derive(Debug, Clone)]
pub(crate) enum Parsed {
    Dpkg(version::dpkg::Version),
    Apk(version::apk::Version),
    Rpm(version::rpm::Version),
    SemVer(version::semver::Version),
    Go(version::goversion::Version),
    Pep440(version::pep440::Version),
    Maven(version::maven::Version),
}

impl Parsed {
    pub(crate) fn parse(scheme: Scheme, s: &str) -> Result<Parsed, VersionError> {
        use version::*;
        Ok(match scheme {
            Scheme::Dpkg => Parsed::Dpkg(dpkg::Version::parse(s)?),
            Scheme::Apk => Parsed::Apk(apk::Version::parse(s)?),
            Scheme::Rpm => Parsed::Rpm(rpm::Version::parse(s)?),
            Scheme::SemVer => Parsed::SemVer(semver::Version::parse(s)?),
            Scheme::Go => Parsed::Go(goversion::Version::parse(s)?),
            Scheme::Pep440 => Parsed::Pep440(pep440::Version::parse(s)?),
            Scheme::Maven => Parsed::Maven(maven::Version::parse(s)?),
        })
    }

    /// Compares two versions of the same scheme (`None` across schemes).
    fn compare(&self, other: &Parsed) -> Option<Ordering> {
        use version::*;
        Some(match (self, other) {
            (Parsed::Dpkg(a), Parsed::Dpkg(b)) => dpkg::compare(a, b),
            (Parsed::Apk(a), Parsed::Apk(b)) => apk::compare(a, b),
            (Parsed::Rpm(a), Parsed::Rpm(b)) => rpm::compare(a, b),
            (Parsed::SemVer(a), Parsed::SemVer(b)) => semver::compare(a, b),
            (Parsed::Go(a), Parsed::Go(b)) => goversion::compare(a, b),
            (Parsed::Pep440(a), Parsed::Pep440(b)) => pep440::compare(a, b),
            (Parsed::Maven(a), Parsed::Maven(b)) => maven::compare(a, b),
            _ => return None,
        })
    }
}

/// The scheme a range of `kind` uses in `ecosystem`, if it can be evaluated.
pub fn range_scheme(ecosystem: &str, kind: &str) -> Option<Scheme> {
    let eco = Scheme::for_osv_ecosystem(ecosystem);
    match kind {
        "ECOSYSTEM" => eco,
        "SEMVER" if eco == Some(Scheme::Go) => Some(Scheme::Go),
        "SEMVER" => Some(Scheme::SemVer),
        _ => None,
    }
}

/// A query version, parsed lazily under each scheme a range asks for.
pub(crate) struct QueryVersion<'a> {
    text: &'a str,
    parsed: Vec<(Scheme, Option<Parsed>)>,
}

impl<'a> QueryVersion<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        QueryVersion {
            text,
            parsed: Vec::new(),
        }
    }

    fn get(&mut self, scheme: Scheme) -> Option<&Parsed> {
        let at = match self.parsed.iter().position(|(s, _)| *s == scheme) {
            Some(at) => at,
            None => {
                self.parsed
                    .push((scheme, Parsed::parse(scheme, self.text).ok()));
                self.parsed.len() - 1
            }
        };
        self.parsed.get(at).and_then(|(_, p)| p.as_ref())
    }
}

/// A `versions` list sorted two ways for lookups.
struct Listed {
    texts: Vec<String>,
    parsed: Vec<Parsed>,
}

/// One evaluable range, its event versions parsed and sorted once.
struct PreparedRange {
    scheme: Scheme,
    /// Events sorted by version (stable: equal versions keep record order).
    events: Vec<(Bound, Event)>,
    /// The `limit` bounds (`BeforeLimits`); empty means an implicit `*`.
    limits: Vec<Bound>,
}

/// The affected entries of one package in one record, ready to evaluate
/// many versions against: every range's bounds parsed once.
pub(crate) struct Prepared {
    ranges: Vec<PreparedRange>,
    /// The `versions` list, as given.
    versions: Vec<String>,
    /// The same list sorted for binary search, by text and (when they
    /// parse) by the ecosystem's ordering; built on first need, since lists
    /// run to hundreds of entries and the ranges settle most lookups.
    listed: OnceLock<Listed>,
    scheme: Option<Scheme>,
}

impl Prepared {
    pub(crate) fn new(ecosystem: &str, spans: &[Span]) -> Prepared {
        let scheme = Scheme::for_osv_ecosystem(ecosystem);
        let mut ranges = Vec::new();
        let mut versions = Vec::new();
        for span in spans {
            for range in &span.ranges {
                if let Some(r) = prepare_range(ecosystem, range) {
                    ranges.push(r);
                }
            }
            versions.extend(span.versions.iter().cloned());
        }
        Prepared {
            ranges,
            versions,
            listed: OnceLock::new(),
            scheme,
        }
    }

    /// Evaluates one version. `None`: not affected.
    pub(crate) fn evaluate(&self, version: &mut QueryVersion<'_>) -> Option<Hit> {
        let mut hit = Hit::default();
        let mut affected = false;
        for range in &self.ranges {
            let Some(v) = version.get(range.scheme) else {
                continue;
            };
            if let Some(closing) = in_range(v, range) {
                affected = true;
                match closing {
                    Some(Event::Fixed(f)) => push_unique(&mut hit.fixed, f),
                    Some(Event::LastAffected(l)) => push_unique(&mut hit.last_affected, l),
                    _ => {}
                }
            }
        }
        if !affected && self.listed(version) {
            // Listed but in no evaluable range: the smallest `fixed` above
            // the version, when the ranges name one, is still the useful answer.
            hit.fixed = self.next_fixed(version).into_iter().collect();
            affected = true;
        }
        affected.then_some(hit)
    }

    fn listed(&self, version: &mut QueryVersion<'_>) -> bool {
        if self.versions.is_empty() {
            return false;
        }
        let scheme = self.scheme;
        let listed = self.listed.get_or_init(|| {
            let mut texts = self.versions.clone();
            texts.sort_unstable();
            let mut parsed: Vec<Parsed> = match scheme {
                Some(s) => self
                    .versions
                    .iter()
                    .filter_map(|x| Parsed::parse(s, x).ok())
                    .collect(),
                None => Vec::new(),
            };
            stable_sort_by(&mut parsed, |a, b| a.compare(b).unwrap_or(Ordering::Equal));
            Listed { texts, parsed }
        });
        if listed
            .texts
            .binary_search_by(|x| x.as_str().cmp(version.text))
            .is_ok()
        {
            return true;
        }
        let Some(v) = scheme.and_then(|s| version.get(s)) else {
            return false;
        };
        listed
            .parsed
            .binary_search_by(|p| p.compare(v).unwrap_or(Ordering::Less))
            .is_ok()
    }

    fn next_fixed(&self, version: &mut QueryVersion<'_>) -> Option<String> {
        let mut best: Option<(&Parsed, &str)> = None;
        for range in &self.ranges {
            let Some(v) = version.get(range.scheme) else {
                continue;
            };
            for (bound, e) in &range.events {
                let (Bound::At(p), Event::Fixed(f)) = (bound, e) else {
                    continue;
                };
                if p.compare(v) == Some(Ordering::Greater)
                    && best.is_none_or(|(b, _)| p.compare(b) == Some(Ordering::Less))
                {
                    best = Some((p, f));
                }
            }
        }
        best.map(|(_, f)| f.to_string())
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

/// A bound of a range: `introduced: "0"` is below every version and
/// `limit: "*"` above every version.
enum Bound {
    Zero,
    Infinity,
    At(Parsed),
}

impl Bound {
    fn cmp_version(&self, v: &Parsed) -> Ordering {
        match self {
            Bound::Zero => Ordering::Less,
            Bound::Infinity => Ordering::Greater,
            Bound::At(b) => b.compare(v).unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_bound(&self, other: &Bound) -> Ordering {
        match (self, other) {
            (Bound::Zero, Bound::Zero) | (Bound::Infinity, Bound::Infinity) => Ordering::Equal,
            (Bound::Zero, _) | (_, Bound::Infinity) => Ordering::Less,
            (_, Bound::Zero) | (Bound::Infinity, _) => Ordering::Greater,
            (Bound::At(a), Bound::At(b)) => a.compare(b).unwrap_or(Ordering::Equal),
        }
    }
}

/// Parses and sorts a range's events; `None` when the range cannot be
/// evaluated (GIT, unknown scheme, or an event version the scheme rejects).
fn prepare_range(ecosystem: &str, range: &Range) -> Option<PreparedRange> {
    let scheme = range_scheme(ecosystem, &range.kind)?;
    let mut events: Vec<(Bound, Event)> = Vec::with_capacity(range.events.len());
    let mut limits = Vec::new();
    for e in &range.events {
        let bound = || -> Option<Bound> {
            Some(match e {
                Event::Introduced(s) if s == "0" => Bound::Zero,
                Event::Limit(s) if s == "*" => Bound::Infinity,
                _ => Bound::At(Parsed::parse(scheme, e.version()).ok()?),
            })
        };
        if matches!(e, Event::Limit(_)) {
            limits.push(bound()?);
        }
        events.push((bound()?, e.clone()));
    }
    stable_sort_by(&mut events, |a, b| a.0.cmp_bound(&b.0));
    Some(PreparedRange {
        scheme,
        events,
        limits,
    })
}

/// `Some(closing event)` when `v` is in the range (the closing event is the
/// first `fixed` or `last_affected` after the `introduced` that opened it;
/// `None` inside when the range is open-ended). `None`: not in the range.
fn in_range<'r>(v: &Parsed, range: &'r PreparedRange) -> Option<Option<&'r Event>> {
    // BeforeLimits: with limits, the version must be below one of them.
    if !range.limits.is_empty()
        && !range
            .limits
            .iter()
            .any(|b| b.cmp_version(v) == Ordering::Greater)
    {
        return None;
    }
    let mut vulnerable = false;
    let mut opened = 0;
    for (i, (bound, e)) in range.events.iter().enumerate() {
        let ord = bound.cmp_version(v); // the bound against v
        match e {
            Event::Introduced(_) if ord != Ordering::Greater => {
                vulnerable = true;
                opened = i;
            }
            Event::Fixed(_) if ord != Ordering::Greater => vulnerable = false,
            Event::LastAffected(_) if ord == Ordering::Less => vulnerable = false,
            _ => {}
        }
    }
    if !vulnerable {
        return None;
    }
    let closing = range
        .events
        .iter()
        .skip(opened + 1)
        .map(|(_, e)| e)
        .find(|e| matches!(e, Event::Fixed(_) | Event::LastAffected(_)));
    Some(closing)
}

/// A stable merge sort that tolerates a comparison that is not a total
/// order. The standard library's sorts may panic on such a comparison (Rust
/// 1.81 and later), and Maven's ordering, like Maven's own, is not
/// transitive on degenerate strings: input must never panic.
fn stable_sort_by<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let mut runs: Vec<Vec<T>> = v.drain(..).map(|x| vec![x]).collect();
    while runs.len() > 1 {
        let mut next = Vec::with_capacity(runs.len().div_ceil(2));
        let mut it = runs.into_iter();
        while let Some(a) = it.next() {
            let Some(b) = it.next() else {
                next.push(a);
                break;
            };
            let mut merged = Vec::with_capacity(a.len() + b.len());
            let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
            loop {
                let take_b = match (a.peek(), b.peek()) {
                    (Some(x), Some(y)) => cmp(y, x) == Ordering::Less,
                    (Some(_), None) => false,
                    (None, Some(_)) => true,
                    (None, None) => break,
                };
                let item = if take_b { b.next() } else { a.next() };
                merged.extend(item);
            }
            next.push(merged);
        }
        runs = next;
    }
    if let Some(sorted) = runs.pop() {
        *v = sorted;
    }
}

/// Evaluates `version` against affected entries, for callers outside the
/// store (tests, tools): the OSV evaluation with this crate's schemes.
pub fn is_affected(ecosystem: &str, version: &str, spans: &[Span]) -> Option<Hit> {
    Prepared::new(ecosystem, spans).evaluate(&mut QueryVersion::new(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(kind: &str, events: &[(&str, &str)], versions: &[&str]) -> Span {
        Span {
            ranges: vec![Range {
                kind: kind.into(),
                repo: None,
                events: events
                    .iter()
                    .map(|(k, v)| match *k {
                        "introduced" => Event::Introduced(v.to_string()),
                        "fixed" => Event::Fixed(v.to_string()),
                        "last_affected" => Event::LastAffected(v.to_string()),
                        _ => Event::Limit(v.to_string()),
                    })
                    .collect(),
            }],
            versions: versions.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn multiple_ranges_in_one_timeline() {
        // The schema's "multiple range" example, given out of order.
        let s = [span(
            "SEMVER",
            &[
                ("introduced", "3.0.0"),
                ("fixed", "1.0.2"),
                ("introduced", "1.0.0"),
                ("fixed", "3.2.5"),
            ],
            &[],
        )];
        for (v, fixed) in [
            ("0.9.0", None),
            ("1.0.0", Some("1.0.2")),
            ("1.0.1", Some("1.0.2")),
            ("1.0.2", None),
            ("2.9.9", None),
            ("3.0.0", Some("3.2.5")),
            ("3.2.4", Some("3.2.5")),
            ("3.2.5", None),
        ] {
            let hit = is_affected("npm", v, &s);
            assert_eq!(
                hit.map(|h| h.fixed),
                fixed.map(|f| vec![f.to_string()]),
                "{v}"
            );
        }
    }

    #[test]
    fn last_affected_and_limit() {
        let s = [span(
            "ECOSYSTEM",
            &[("introduced", "0"), ("last_affected", "2.1.214")],
            &[],
        )];
        let hit = is_affected("Maven", "2.1.214", &s).unwrap();
        assert_eq!(hit.last_affected, vec!["2.1.214"]);
        assert!(hit.fixed.is_empty());
        assert!(is_affected("Maven", "2.1.215", &s).is_none());
        // limit: versions at or above it are out, even with no fixed.
        let l = [span(
            "SEMVER",
            &[("introduced", "1.0.0"), ("limit", "2.0.0")],
            &[],
        )];
        assert!(is_affected("npm", "1.5.0", &l).is_some());
        assert!(is_affected("npm", "2.0.0", &l).is_none());
        let star = [span(
            "SEMVER",
            &[("introduced", "1.0.0"), ("limit", "*")],
            &[],
        )];
        assert!(is_affected("npm", "99.0.0", &star).is_some());
    }

    #[test]
    fn versions_list_and_unevaluable_ranges() {
        let s = [span(
            "GIT",
            &[("introduced", "abc"), ("fixed", "def")],
            &["1.0", "1.1"],
        )];
        assert!(is_affected("PyPI", "1.1", &s).is_some());
        // Equal under PEP 440, not by text.
        assert!(is_affected("PyPI", "1.0.0", &s).is_some());
        assert!(is_affected("PyPI", "1.2", &s).is_none());
        // A bad event version skips the range (not part of it, not an error).
        let bad = [span(
            "ECOSYSTEM",
            &[("introduced", "0"), ("fixed", "not a version!")],
            &[],
        )];
        assert!(is_affected("PyPI", "1.0", &bad).is_none());
        // Unknown ecosystem: ECOSYSTEM ranges cannot be evaluated.
        let unknown = [span("ECOSYSTEM", &[("introduced", "0")], &["1"])];
        assert!(is_affected("Hackage", "2", &unknown).is_none());
        assert!(is_affected("Hackage", "1", &unknown).is_some());
        // Listed only: the fixed of a range above the version is reported.
        let listed = [
            span(
                "ECOSYSTEM",
                &[("introduced", "2.0"), ("fixed", "2.1")],
                &["1.5"],
            ),
            span("ECOSYSTEM", &[("introduced", "3.0"), ("fixed", "3.1")], &[]),
        ];
        assert_eq!(
            is_affected("PyPI", "1.5", &listed).unwrap().fixed,
            vec!["2.1"]
        );
    }

    #[test]
    fn merge_sort_is_stable_and_total_order_free() {
        let mut v: Vec<(u8, usize)> = [3, 1, 2, 1, 3, 0].iter().copied().zip(0..).collect();
        stable_sort_by(&mut v, |a, b| a.0.cmp(&b.0));
        assert_eq!(v, [(0, 5), (1, 1), (1, 3), (2, 2), (3, 0), (3, 4)]);
        // A comparison that is not an order at all: no panic, nothing lost.
        let mut w: Vec<u32> = (0..100).collect();
        stable_sort_by(&mut w, |a, b| {
            if (a ^ b) % 3 == 0 {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        });
        w.sort_unstable();
        assert_eq!(w, (0..100).collect::<Vec<_>>());
        let mut e: Vec<u8> = Vec::new();
        stable_sort_by(&mut e, |a, b| a.cmp(b));
        assert!(e.is_empty());
    }

    #[test]
    fn go_semver_accepts_v_prefix() {
        let s = [span(
            "SEMVER",
            &[("introduced", "0"), ("fixed", "1.6.0")],
            &[],
        )];
        assert!(is_affected("Go", "v1.5.9", &s).is_some());
        assert!(is_affected("Go", "v1.6.0", &s).is_none());
        assert!(is_affected("Go", "v1.6.0+incompatible", &s).is_none());
        assert!(is_affected("Go", "v0.0.0-20190101000000-abcdefabcdef", &s).is_some());
        // Outside Go, SEMVER is strict SemVer: a `v` prefix does not parse.
        assert!(is_affected("npm", "v1.5.9", &s).is_none());
    }
}
