//! Random strings never panic any scheme's parser or comparison, and
//! whatever parses is ordered consistently: reflexive, antisymmetric and
//! transitive (checked by sorting and re-comparing every pair).

use palisade_vulndb::version::{apk, dpkg, goversion, maven, pep440, rpm, semver};
use std::cmp::Ordering;

/// Characters that matter to some scheme, plus a few non-ASCII ones.
const ALPHABET: &[char] = &[
    '0', '1', '2', '9', '0', '1', '.', '.', '-', '-', '_', '+', '~', '^', ':', '!', 'a', 'b', 'r',
    'c', 'p', 'v', 'x', 'z', 'A', 'R', 'C', ' ', '\t', '\0', 'é', 'ß', '٣', '𝟙',
];

const WORDS: &[&str] = &[
    "alpha",
    "beta",
    "rc",
    "pre",
    "post",
    "dev",
    "git",
    "svn",
    "hg",
    "cvs",
    "snapshot",
    "sp",
    "ga",
    "final",
    "release",
    "milestone",
    "incompatible",
    "preview",
    "rev",
    "-r",
    "_p",
    "20200101000000",
    "99999999999999999999999",
];

fn random_string(rng: &mut fastrand::Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.usize(0..14) {
        if rng.u8(0..4) == 0 {
            s.push_str(WORDS[rng.usize(0..WORDS.len())]);
        } else {
            s.push(ALPHABET[rng.usize(0..ALPHABET.len())]);
        }
    }
    s
}

fn check<V>(
    name: &str,
    transitive: bool,
    parse: impl Fn(&str) -> Option<V>,
    cmp: impl Fn(&V, &V) -> Ordering,
) {
    let mut rng = fastrand::Rng::with_seed(0xf022);
    let mut parsed = Vec::new();
    for _ in 0..20_000 {
        let s = random_string(&mut rng);
        if let Some(v) = parse(&s) {
            assert_eq!(cmp(&v, &v), Ordering::Equal, "{name}: {s:?} != itself");
            parsed.push((s, v));
        }
    }
    assert!(
        parsed.len() > 20,
        "{name}: only {} random strings parsed",
        parsed.len()
    );
    parsed.truncate(300);
    for (sa, a) in &parsed {
        for (sb, b) in &parsed {
            assert_eq!(
                cmp(a, b),
                cmp(b, a).reverse(),
                "{name}: {sa:?} vs {sb:?} not antisymmetric"
            );
        }
    }
    if !transitive {
        return;
    }
    // Sorted, every earlier element must be <= every later one.
    parsed.sort_by(|x, y| cmp(&x.1, &y.1));
    for i in 0..parsed.len() {
        for j in i + 1..parsed.len() {
            assert_ne!(
                cmp(&parsed[i].1, &parsed[j].1),
                Ordering::Greater,
                "{name}: not transitive around {:?} and {:?}",
                parsed[i].0,
                parsed[j].0
            );
        }
    }
}

#[test]
fn dpkg_random_strings() {
    check(
        "dpkg",
        true,
        |s| dpkg::Version::parse(s).ok(),
        dpkg::compare,
    );
    let mut rng = fastrand::Rng::with_seed(1);
    for _ in 0..5_000 {
        let _ = dpkg::Version::parse_strict(&random_string(&mut rng));
    }
}

#[test]
fn apk_random_strings() {
    check("apk", true, |s| apk::Version::parse(s).ok(), apk::compare);
}

#[test]
fn rpm_random_strings() {
    check("rpm", true, |s| rpm::Version::parse(s).ok(), rpm::compare);
}

#[test]
fn semver_random_strings() {
    // Few random strings are valid SemVer; prefix a core to get more.
    check(
        "semver",
        true,
        |s| {
            semver::Version::parse(&format!("1.0.0{s}"))
                .ok()
                .or_else(|| semver::Version::parse(s).ok())
        },
        semver::compare,
    );
}

#[test]
fn go_random_strings() {
    check(
        "go",
        true,
        |s| {
            goversion::Version::parse(&format!("v1.2.3{s}"))
                .ok()
                .or_else(|| goversion::Version::parse(s).ok())
        },
        goversion::compare,
    );
}

#[test]
fn pep440_random_strings() {
    check(
        "pep440",
        true,
        |s| pep440::Version::parse(s).ok(),
        pep440::compare,
    );
}

#[test]
fn maven_random_strings() {
    // Maven's own ComparableVersion is not transitive on degenerate
    // strings (Maven 3.8.7 itself says "." < "a" < "-rc" < "."; see
    // `maven::tests::cycle_like_maven`), so only reflexivity and
    // antisymmetry are required here; `oracles.rs` checks pairs against the
    // real implementation.
    check(
        "maven",
        false,
        |s| maven::Version::parse(s).ok(),
        maven::compare,
    );
}

/// What parses prints to a string that parses again to an equal version
/// (the normalized forms are stable).
#[test]
fn display_round_trips_on_random_strings() {
    fn round<V: std::fmt::Display + std::fmt::Debug>(
        name: &str,
        parse: impl Fn(&str) -> Option<V>,
        cmp: impl Fn(&V, &V) -> Ordering,
    ) -> usize {
        let mut rng = fastrand::Rng::with_seed(0x7007);
        let mut n = 0;
        for _ in 0..20_000 {
            let s = random_string(&mut rng);
            let Some(v) = parse(&s) else { continue };
            let printed = v.to_string();
            let again = parse(&printed)
                .unwrap_or_else(|| panic!("{name}: {s:?} printed as {printed:?}, which fails"));
            assert_eq!(
                cmp(&v, &again),
                Ordering::Equal,
                "{name}: {s:?} -> {printed:?}"
            );
            n += 1;
        }
        n
    }
    assert!(round("dpkg", |s| dpkg::Version::parse(s).ok(), dpkg::compare) > 20);
    assert!(round("rpm", |s| rpm::Version::parse(s).ok(), rpm::compare) > 20);
    assert!(
        round(
            "pep440",
            |s| pep440::Version::parse(s).ok(),
            pep440::compare
        ) > 20
    );
    let semver_parse = |s: &str| semver::Version::parse(&format!("1.0.0{s}")).ok();
    assert!(
        round(
            "semver",
            |s| semver_parse(s).or_else(|| semver::Version::parse(s).ok()),
            semver::compare
        ) > 20
    );
    let go_parse = |s: &str| goversion::Version::parse(&format!("v1.2.3{s}")).ok();
    assert!(
        round(
            "go",
            |s| go_parse(s).or_else(|| goversion::Version::parse(s).ok()),
            goversion::compare
        ) > 20
    );
}
