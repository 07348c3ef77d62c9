//! The store behaviour both databases must show, written once: each case takes a way to open
//! a fresh connection to one empty database, and a way to run raw SQL on it.

#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};

use palisade_core::Severity;
use palisade_history::{
    fingerprint, Error, History, InventorySnapshot, NewScan, ScanFilter, StoredFinding,
};

/// Opens a new connection to the test's database.
pub type Open<'a> = &'a (dyn Fn() -> History + Sync);
/// Runs SQL on the test's database, bypassing the store.
pub type Raw<'a> = &'a dyn Fn(&str);

pub fn finding(
    rule: &str,
    name: &str,
    field: &str,
    line: u32,
    severity: Severity,
) -> StoredFinding {
    StoredFinding {
        fingerprint: String::new(),
        rule_id: rule.into(),
        severity,
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        namespace: Some("prod".into()),
        name: name.into(),
        path: "deploy.yaml".into(),
        line,
        col: 5,
        field: Some(field.into()),
        message: format!("{rule} on {name}"),
    }
}

pub fn scan(target: &str, at: i64, mut findings: Vec<StoredFinding>) -> NewScan {
    fingerprint::assign(&mut findings);
    NewScan {
        target: target.into(),
        started_at: at,
        tool_version: "0.1.0-test".into(),
        load_errors: 0,
        findings,
        inventory: None,
    }
}

fn a(line: u32) -> StoredFinding {
    finding(
        "PAL-POD-001",
        "web",
        "spec.hostNetwork",
        line,
        Severity::High,
    )
}
fn b(line: u32) -> StoredFinding {
    finding(
        "PAL-POD-002",
        "web",
        "spec.containers[0].image",
        line,
        Severity::Medium,
    )
}
fn c(line: u32) -> StoredFinding {
    finding(
        "PAL-POD-003",
        "api",
        "spec.containers[0].securityContext",
        line,
        Severity::Critical,
    )
}

fn prints(findings: &[StoredFinding]) -> BTreeSet<String> {
    findings.iter().map(|f| f.fingerprint.clone()).collect()
}

fn print_of(f: StoredFinding) -> String {
    scan("x", 0, vec![f]).findings.remove(0).fingerprint
}

const T0: i64 = 1_764_000_000;

/// Three scans of one target: {A, B}, {B moved, C}, {A back, B, C}.
pub fn first_last_seen_and_fixed(open: Open) {
    let mut h = open();
    let s1 = h.record(&scan("prod", T0, vec![a(10), b(20)])).unwrap();
    assert_eq!((s1.previous_id, s1.appeared, s1.fixed), (None, 2, 0));
    assert_eq!(
        (s1.counts.high, s1.counts.medium, s1.counts.total()),
        (1, 1, 2)
    );

    let s2 = h
        .record(&scan("prod", T0 + 60, vec![b(35), c(50)]))
        .unwrap();
    assert_eq!((s2.previous_id, s2.appeared, s2.fixed), (Some(s1.id), 1, 1));
    let tracked: HashMap<String, _> = h
        .tracked("prod")
        .unwrap()
        .into_iter()
        .map(|t| (t.finding.fingerprint.clone(), t))
        .collect();
    assert_eq!(tracked.len(), 3);
    let ta = &tracked[&print_of(a(0))];
    assert_eq!((ta.first_seen_scan, ta.last_seen_scan), (s1.id, s1.id));
    assert_eq!((ta.fixed_scan, ta.fixed_at), (Some(s2.id), Some(T0 + 60)));
    let tb = &tracked[&print_of(b(0))];
    assert_eq!((tb.first_seen_scan, tb.last_seen_scan), (s1.id, s2.id));
    assert_eq!((tb.first_seen_at, tb.last_seen_at), (T0, T0 + 60));
    assert_eq!(tb.fixed_at, None);
    assert_eq!(
        tb.finding.line, 35,
        "the tracked row shows where it was last seen"
    );
    let tc = &tracked[&print_of(c(0))];
    assert_eq!((tc.first_seen_scan, tc.fixed_scan), (s2.id, None));

    // A comes back: no longer fixed, first seen unchanged.
    let s3 = h
        .record(&scan("prod", T0 + 120, vec![a(11), b(35), c(50)]))
        .unwrap();
    assert_eq!((s3.previous_id, s3.appeared, s3.fixed), (Some(s2.id), 1, 0));
    let back = h
        .tracked("prod")
        .unwrap()
        .into_iter()
        .find(|t| t.finding.fingerprint == print_of(a(0)))
        .unwrap();
    assert_eq!((back.first_seen_scan, back.last_seen_scan), (s1.id, s3.id));
    assert_eq!((back.fixed_scan, back.fixed_at), (None, None));
    // Open findings come first and are exactly the last scan's.
    let tracked = h.tracked("prod").unwrap();
    assert!(tracked.iter().all(|t| t.fixed_at.is_none()));
    assert_eq!(h.tracked("nothing-here").unwrap(), vec![]);
}

/// `diff A B` and `changes`.
pub fn diff_and_changes(open: Open) {
    let mut h = open();
    let s1 = h.record(&scan("prod", T0, vec![a(10), b(20)])).unwrap();
    let s2 = h
        .record(&scan("prod", T0 + 60, vec![b(35), c(50)]))
        .unwrap();
    let diff = h.diff(s1.id, s2.id).unwrap();
    assert_eq!((diff.from.id, diff.to.id), (s1.id, s2.id));
    assert_eq!(prints(&diff.new), BTreeSet::from([print_of(c(0))]));
    assert_eq!(prints(&diff.fixed), BTreeSet::from([print_of(a(0))]));
    assert_eq!(prints(&diff.unchanged), BTreeSet::from([print_of(b(0))]));
    assert_eq!(diff.unchanged[0].line, 35, "unchanged as B has them");
    // Reversed: what was fixed is new, and the other way round.
    let back = h.diff(s2.id, s1.id).unwrap();
    assert_eq!(prints(&back.new), prints(&diff.fixed));
    assert_eq!(prints(&back.fixed), prints(&diff.new));

    let changes = h.changes(&s2).unwrap();
    assert_eq!(prints(&changes.appeared), prints(&diff.new));
    assert_eq!(prints(&changes.fixed), prints(&diff.fixed));
    let first = h.changes(&s1).unwrap();
    assert_eq!(first.appeared.len(), 2);
    assert!(first.fixed.is_empty());

    assert!(matches!(
        h.diff(s1.id, 999_999),
        Err(Error::NoSuchScan(999_999))
    ));
    assert!(matches!(h.scan(-4), Err(Error::NoSuchScan(-4))));
    // Stored findings read back as written.
    let stored = h.findings(s1.id).unwrap();
    let written = scan("prod", T0, vec![a(10), b(20)]).findings;
    assert_eq!(prints(&stored), prints(&written));
    for f in &written {
        assert!(stored.contains(f), "{f:?} not read back");
    }
}

/// `--since` and `--target`, and the order of the list.
pub fn list_filters(open: Open) {
    let mut h = open();
    let p1 = h.record(&scan("prod", T0, vec![a(1)])).unwrap();
    let d1 = h.record(&scan("dev", T0 + 10, vec![])).unwrap();
    let p2 = h.record(&scan("prod", T0 + 100, vec![])).unwrap();
    let ids = |f: ScanFilter, h: &mut History| {
        h.scans(&f)
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(ScanFilter::default(), &mut h),
        vec![d1.id, p1.id, p2.id]
    );
    let since = ScanFilter {
        since: Some(T0 + 10),
        target: None,
    };
    assert_eq!(ids(since, &mut h), vec![d1.id, p2.id]);
    let prod = ScanFilter {
        since: None,
        target: Some("prod".into()),
    };
    assert_eq!(ids(prod, &mut h), vec![p1.id, p2.id]);
    let both = ScanFilter {
        since: Some(T0 + 11),
        target: Some("dev".into()),
    };
    assert!(ids(both, &mut h).is_empty());
    assert_eq!(h.scan(p2.id).unwrap(), p2);
    assert_eq!((p2.previous_id, p2.fixed), (Some(p1.id), 1));
    assert_eq!(d1.previous_id, None);
}

/// An inventory snapshot comes back as stored; a scan without one has none.
pub fn inventory_snapshot(open: Open) {
    let mut h = open();
    let body = serde_json::json!({"objects": [{"kind": "Namespace", "name": "prod"}], "n": 1});
    let mut with = scan("prod", T0, vec![]);
    with.inventory = Some(InventorySnapshot {
        format: "palisade.dev/objects/v1".into(),
        body: body.clone(),
    });
    let s1 = h.record(&with).unwrap();
    let s2 = h.record(&scan("prod", T0 + 1, vec![])).unwrap();
    let got = h.inventory(s1.id).unwrap().unwrap();
    assert_eq!(
        (got.format.as_str(), &got.body),
        ("palisade.dev/objects/v1", &body)
    );
    assert_eq!(h.inventory(s2.id).unwrap(), None);
}

/// Re-opening applies nothing again (a second CREATE TABLE would fail) and keeps the data.
pub fn migrations_idempotent(open: Open) {
    let mut first = open();
    assert_eq!(
        first.schema_version().unwrap(),
        palisade_history::SCHEMA_VERSION
    );
    let s1 = first.record(&scan("prod", T0, vec![a(1)])).unwrap();
    drop(first);
    for _ in 0..2 {
        let mut again = open();
        assert_eq!(
            again.schema_version().unwrap(),
            palisade_history::SCHEMA_VERSION
        );
        assert_eq!(again.scan(s1.id).unwrap(), s1);
    }
}

/// A database migrated by a newer Palisade is refused with a message naming both versions.
pub fn newer_schema_refused(open: Open, raw: Raw) {
    drop(open());
    raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future', 0)");
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(open))
        .err()
        .and_then(|p| p.downcast_ref::<String>().cloned())
        .expect("opening a newer schema must fail");
    assert!(err.contains("SchemaTooNew"), "{err}");
    assert!(err.contains("found: 99"), "{err}");
}

/// A scan whose fingerprints are missing or repeated is refused before anything is written.
pub fn bad_fingerprints_refused(open: Open) {
    let mut h = open();
    let mut dup = scan("prod", T0, vec![a(1)]);
    dup.findings.push(dup.findings[0].clone());
    assert!(matches!(h.record(&dup), Err(Error::Invalid(_))));
    let mut unset = scan("prod", T0, vec![a(1)]);
    unset.findings[0].fingerprint.clear();
    assert!(matches!(h.record(&unset), Err(Error::Invalid(_))));
    assert!(h.scans(&ScanFilter::default()).unwrap().is_empty());
}

/// Two writers (two connections, two threads) record interleaved scans of a shared target and
/// of one target each. Afterwards each target's scans form one chain (each compared with the
/// scan recorded just before it), the appeared/fixed counts match the stored findings, and the
/// open tracked findings are exactly the last scan's.
pub fn concurrent_writers(open: Open) {
    const ROUNDS: usize = 12;
    std::thread::scope(|s| {
        for writer in ["one", "two"] {
            s.spawn(move || {
                let mut h = open();
                for round in 0..ROUNDS {
                    // Each round's findings differ: some appear, some are fixed.
                    let pick = |n: usize| -> Vec<StoredFinding> {
                        (0..6)
                            .filter(|i| (i + n) % 3 != 0)
                            .map(|i| {
                                finding("PAL-POD-001", &format!("w{i}"), "spec", 1, Severity::Low)
                            })
                            .collect()
                    };
                    let at = T0 + round as i64;
                    h.record(&scan("shared", at, pick(round))).unwrap();
                    h.record(&scan(writer, at, pick(round + 1))).unwrap();
                }
            });
        }
    });
    let mut h = open();
    for target in ["shared", "one", "two"] {
        let filter = ScanFilter {
            since: None,
            target: Some(target.into()),
        };
        let scans = h.scans(&filter).unwrap();
        let expected = if target == "shared" {
            2 * ROUNDS
        } else {
            ROUNDS
        };
        assert_eq!(scans.len(), expected, "{target}");
        let mut previous: Option<&palisade_history::ScanRecord> = None;
        for scan in &scans {
            assert_eq!(scan.previous_id, previous.map(|p| p.id), "{target} chain");
            let changes = h.changes(scan).unwrap();
            assert_eq!(
                changes.appeared.len() as u64,
                scan.appeared,
                "{target} {}",
                scan.id
            );
            assert_eq!(
                changes.fixed.len() as u64,
                scan.fixed,
                "{target} {}",
                scan.id
            );
            previous = Some(scan);
        }
        let last = scans.last().unwrap();
        let open_now: BTreeSet<String> = h
            .tracked(target)
            .unwrap()
            .into_iter()
            .filter(|t| t.fixed_at.is_none())
            .map(|t| t.finding.fingerprint)
            .collect();
        assert_eq!(open_now, prints(&h.findings(last.id).unwrap()), "{target}");
    }
}

/// Set in the child process of [`killed_writer_leaves_whole_scans`]: the store to write to.
const CHILD_ENV: &str = "PALISADE_HISTORY_TEST_CHILD_DB";
const CHILD_FINDINGS: usize = 4000;

fn big_scan(round: i64) -> NewScan {
    // A different tenth of the findings each round, so each scan fixes and adds some.
    let findings = (0..CHILD_FINDINGS)
        .map(|i| {
            let name = format!("w{}", i as i64 + round * (CHILD_FINDINGS as i64 / 10));
            finding("PAL-POD-001", &name, "spec.hostPID", 7, Severity::High)
        })
        .collect();
    scan("killed", T0 + round, findings)
}

/// The child's side: records scans until killed. A no-op unless [`CHILD_ENV`] is set.
pub fn killed_writer_child() {
    let Ok(location) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut h = History::open(&location).unwrap();
    for round in 0.. {
        h.record(&big_scan(round)).unwrap();
    }
}

/// A writer process killed (SIGKILL) at a random moment, several times: every scan left is
/// whole (all its findings, a consistent chain and tracked state), and the store still takes
/// new scans.
pub fn killed_writer_leaves_whole_scans(location: &str, open: Open, child_test: &str) {
    drop(open());
    let exe = std::env::current_exe().unwrap();
    let scans_now = |h: &mut History| h.scans(&ScanFilter::default()).unwrap().len();
    for attempt in 0..3 {
        let before = scans_now(&mut open());
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                child_test,
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, location)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Let it commit at least one scan, then kill it somewhere inside a later one.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while scans_now(&mut open()) <= before {
            assert!(
                std::time::Instant::now() < deadline,
                "the child never recorded"
            );
            assert!(child.try_wait().unwrap().is_none(), "the child exited");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(fastrand_ms(attempt)));
        child.kill().unwrap();
        child.wait().unwrap();

        let mut h = open();
        let scans = h.scans(&ScanFilter::default()).unwrap();
        let mut previous = None;
        for s in &scans {
            assert_eq!(s.previous_id, previous, "chain after kill {attempt}");
            assert_eq!(s.counts.total(), CHILD_FINDINGS as u64);
            assert_eq!(
                h.findings(s.id).unwrap().len(),
                CHILD_FINDINGS,
                "scan {}",
                s.id
            );
            previous = Some(s.id);
        }
        let last = scans.last().unwrap();
        let open_now = h
            .tracked("killed")
            .unwrap()
            .into_iter()
            .filter(|t| t.fixed_at.is_none())
            .map(|t| t.finding.fingerprint)
            .collect::<BTreeSet<_>>();
        assert_eq!(open_now, prints(&h.findings(last.id).unwrap()));
        let next = h.record(&big_scan(1000 + attempt as i64)).unwrap();
        assert_eq!(next.previous_id, Some(last.id));
    }
}

/// A kill delay that differs between attempts (0–150 ms) without a random source.
fn fastrand_ms(attempt: usize) -> u64 {
    [0, 70, 150][attempt % 3]
}
