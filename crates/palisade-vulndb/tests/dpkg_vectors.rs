//! dpkg against the shared ground truth (`dpkg-compare.tsv`, produced by
//! `dpkg --compare-versions`) and, when dpkg is installed, against the real
//! `dpkg --compare-versions` on generated tricky versions.

use palisade_vulndb::version::dpkg;
use std::cmp::Ordering;
use std::path::PathBuf;
use std::process::Command;

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testvectors/dpkg-compare.tsv")
}

#[test]
fn agrees_with_every_line_of_dpkg_compare_tsv() {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "line {}: {line:?}", n + 1);
        let want = match cols[1] {
            "<" => Ordering::Less,
            ">" => Ordering::Greater,
            "=" => Ordering::Equal,
            op => panic!("line {}: unknown op {op:?}", n + 1),
        };
        let got =
            dpkg::compare_str(cols[0], cols[2]).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        assert_eq!(got, want, "line {}: {line}", n + 1);
        // Antisymmetry on the same pair.
        assert_eq!(dpkg::compare_str(cols[2], cols[0]).unwrap(), want.reverse());
        checked += 1;
    }
    assert!(checked >= 400, "only {checked} vectors read");
}

/// A version built from pieces that exercise every rule: epochs, tildes,
/// letters, plus signs, leading zeros, revisions, binNMUs.
fn tricky(rng: &mut fastrand::Rng) -> String {
    const UP: &[&str] = &[
        "0", "00", "1", "01", "001", "2", "10", "9", "a", "b", "z", "A", "~", "~~", "+", ".", "-",
        "rc", "dfsg", "+dfsg", "~rc", "~beta", "+b", "1a", "a1", "0~", ":",
    ];
    const REV: &[&str] = &[
        "0", "1", "01", "2", "10", "~", "+", ".", "a", "b", "deb12u", "bpo", "+b",
    ];
    let mut s = String::new();
    if rng.u8(0..4) == 0 {
        s.push_str(["0:", "1:", "2:", "00:", "10:"][rng.usize(0..5)]);
    }
    s.push_str(["0", "1", "2", "10", "01"][rng.usize(0..5)]);
    for _ in 0..rng.usize(0..5) {
        s.push_str(UP[rng.usize(0..UP.len())]);
    }
    if rng.bool() {
        s.push('-');
        s.push_str(["0", "1", "2", "a", "~"][rng.usize(0..5)]);
        for _ in 0..rng.usize(0..4) {
            s.push_str(REV[rng.usize(0..REV.len())]);
        }
    }
    s
}

/// Asks the real dpkg: `Some(ordering)`, or `None` when dpkg rejects an input
/// (exit status 2 on `ohshit`).
fn real_dpkg(a: &str, b: &str) -> Option<Ordering> {
    // `None` also when dpkg cannot be run at all.
    let run = |op: &str| {
        Command::new("dpkg")
            .args(["--compare-versions", a, op, b])
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?
            .code()
    };
    match run("lt")? {
        0 => Some(Ordering::Less),
        1 => match run("eq")? {
            0 => Some(Ordering::Equal),
            1 => Some(Ordering::Greater),
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn agrees_with_real_dpkg_on_random_tricky_versions() {
    if Command::new("dpkg").arg("--version").output().is_err() {
        eprintln!("dpkg not installed: skipping the property test");
        return;
    }
    let mut rng = fastrand::Rng::with_seed(0x5eed_d9c6);
    let (mut agreed, mut rejected) = (0, 0);
    for _ in 0..300 {
        let a = tricky(&mut rng);
        // Half the time compare against a small mutation of `a` so that
        // near-equal pairs (the interesting ones) are frequent.
        let b = if rng.bool() {
            tricky(&mut rng)
        } else {
            format!("{a}{}", ["~", "+", "0", "a", ".0", "-1"][rng.usize(0..6)])
        };
        let ours = dpkg::compare_str(&a, &b).ok();
        let theirs = real_dpkg(&a, &b);
        assert_eq!(ours, theirs, "dpkg --compare-versions {a:?} vs {b:?}");
        if ours.is_some() {
            agreed += 1
        } else {
            rejected += 1
        }
    }
    // The generator must mostly produce comparable versions.
    eprintln!("real dpkg: {agreed} pairs compared alike, {rejected} rejected by both");
    assert!(agreed > 200, "agreed {agreed}, rejected {rejected}");
}
