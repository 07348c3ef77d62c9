//! Matching against our own Debian and Ubuntu fixtures and against real
//! records of the shared corpus (Go, PyPI, Alpine secdb). The corpus must be
//! present: these tests fail, not skip, without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use palisade_vulndb::{Db, Match, Query};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv-os")
}

fn corpus(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/osv")
        .join(rel);
    assert!(
        p.exists(),
        "shared OSV corpus file missing: {}",
        p.display()
    );
    p
}

fn store() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path().join("vulndb.sqlite")).unwrap();
    (dir, db)
}

/// The ids matched by one query, with their fixed versions.
fn hits(db: &Db, eco: &str, name: &str, version: &str) -> Vec<(String, Vec<String>)> {
    db.matches(&[Query::new(eco, name, version)])
        .unwrap()
        .into_iter()
        .map(|m: Match| (m.advisory.id.clone(), m.fixed.clone()))
        .collect()
}

fn ids(db: &Db, eco: &str, name: &str, version: &str) -> Vec<String> {
    hits(db, eco, name, version)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn debian_binnmu_stable_updates_and_epochs() {
    let (_d, mut db) = store();
    let report = db.import(&fixtures()).unwrap();
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(report.records, 5);
    // binNMU of the vulnerable upload: still before the fix in -3.
    assert_eq!(
        hits(&db, "Debian:12", "bash", "5.2.15-2+b13"),
        vec![(
            "DEBIAN-CVE-2022-3715".to_string(),
            vec!["5.2.15-3".to_string()]
        )]
    );
    assert_eq!(
        ids(&db, "Debian:12", "bash", "5.2.15-2+deb12u1"),
        ["DEBIAN-CVE-2022-3715"]
    );
    assert!(ids(&db, "Debian:12", "bash", "5.2.15-3").is_empty());
    assert!(ids(&db, "Debian:12", "bash", "5.2.15-3+b1").is_empty());
    assert!(ids(&db, "Debian:12", "bash", "5.2.21-2").is_empty());
    // Release scoping: Debian 11's range has its own fix.
    assert_eq!(
        ids(&db, "Debian:11", "bash", "5.1-2"),
        ["DEBIAN-CVE-2022-3715"]
    );
    assert!(ids(&db, "Debian:11", "bash", "5.1-2+deb11u1").is_empty());
    assert!(ids(&db, "Debian:13", "bash", "5.2.15-2").is_empty());
    // Epochs: `4.14-1` has epoch 0, so it sorts before `1:4.13…`.
    assert_eq!(
        ids(&db, "Debian:12", "shadow", "1:4.13+dfsg1-1"),
        ["DEBIAN-CVE-2023-4641"]
    );
    assert_eq!(
        ids(&db, "Debian:12", "shadow", "4.14-1"),
        ["DEBIAN-CVE-2023-4641"]
    );
    assert!(ids(&db, "Debian:12", "shadow", "1:4.13+dfsg1-1+deb12u1").is_empty());
    assert!(ids(&db, "Debian:12", "shadow", "2:1.0-1").is_empty());
    // The withdrawn record (introduced 0, never fixed) never matches.
    let all = ids(&db, "Debian:12", "bash", "5.1-6");
    assert_eq!(all, ["DEBIAN-CVE-2022-3715"]);
    // Severity computed from the vector; upstream CVE kept for merging.
    let m = &db
        .matches(&[Query::new("Debian:12", "bash", "5.2.15-2")])
        .unwrap()[0];
    assert_eq!(m.advisory.severity.cvss3_score, Some(7.8));
    assert_eq!(m.advisory.severity.rating.as_deref(), Some("HIGH"));
    assert_eq!(m.advisory.upstream, ["CVE-2022-3715"]);
}

#[test]
fn ubuntu_releases_priorities_and_last_affected() {
    let (_d, mut db) = store();
    db.import(&fixtures()).unwrap();
    assert_eq!(
        hits(&db, "Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.14"),
        vec![(
            "UBUNTU-CVE-2024-0727".to_string(),
            vec!["3.0.2-0ubuntu1.15".to_string()]
        )]
    );
    assert!(ids(&db, "Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.15").is_empty());
    assert_eq!(
        ids(&db, "Ubuntu:24.04:LTS", "openssl", "3.0.10-1ubuntu2"),
        ["UBUNTU-CVE-2024-0727"]
    );
    let m = &db
        .matches(&[Query::new("Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1")])
        .unwrap()[0];
    assert_eq!(m.advisory.severity.rating.as_deref(), Some("LOW"));
    // last_affected: inclusive upper bound, reported as such.
    let got = db
        .matches(&[Query::new(
            "Ubuntu:22.04:LTS",
            "shadow",
            "1:4.8.1-2ubuntu2.1",
        )])
        .unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].fixed.is_empty());
    assert_eq!(got[0].last_affected, ["1:4.8.1-2ubuntu2.1"]);
    assert!(ids(&db, "Ubuntu:22.04:LTS", "shadow", "1:4.8.1-2ubuntu2.2").is_empty());
    assert!(ids(&db, "Ubuntu:22.04:LTS", "shadow", "1:4.8.1-1").is_empty());
}

#[test]
fn go_records_from_the_corpus() {
    let (_d, mut db) = store();
    db.import(&corpus("go/GO-2020-0001.json")).unwrap();
    db.import(&corpus("go/GO-2026-6218.json")).unwrap();
    // gin: introduced 0, fixed 1.6.0; Go versions carry a `v`.
    assert_eq!(
        hits(&db, "Go", "github.com/gin-gonic/gin", "v1.5.0"),
        vec![("GO-2020-0001".to_string(), vec!["1.6.0".to_string()])]
    );
    assert!(ids(&db, "Go", "github.com/gin-gonic/gin", "v1.6.0").is_empty());
    assert!(ids(&db, "Go", "github.com/gin-gonic/gin", "v1.9.1").is_empty());
    // Module paths are case-sensitive: no normalisation for Go.
    assert!(ids(&db, "Go", "github.com/Gin-Gonic/gin", "v1.5.0").is_empty());
    // stdlib with several introduced/fixed pairs, pre-releases and Go's own spelling.
    assert_eq!(
        hits(&db, "Go", "stdlib", "go1.26.5"),
        vec![("GO-2026-6218".to_string(), vec!["1.26.6".to_string()])]
    );
    assert_eq!(hits(&db, "Go", "stdlib", "1.25.12")[0].1, ["1.25.13"]);
    assert!(ids(&db, "Go", "stdlib", "1.26.6").is_empty());
    assert!(ids(&db, "Go", "stdlib", "go1.25.13").is_empty());
    assert_eq!(hits(&db, "Go", "stdlib", "go1.27rc2")[0].1, ["1.27.0-rc.3"]);
}

#[test]
fn pypi_records_from_the_corpus() {
    let (_d, mut db) = store();
    let report = db.import(&corpus("pypa/requests")).unwrap();
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    // PYSEC-2023-74: introduced 2.3.0, fixed 2.31.0 (plus a GIT range, ignored).
    let got = hits(&db, "PyPI", "requests", "2.30.0");
    assert!(
        got.contains(&("PYSEC-2023-74".to_string(), vec!["2.31.0".to_string()])),
        "{got:?}"
    );
    assert!(!ids(&db, "PyPI", "requests", "2.31.0").contains(&"PYSEC-2023-74".to_string()));
    assert!(!ids(&db, "PyPI", "requests", "2.2.1").contains(&"PYSEC-2023-74".to_string()));
    // PEP 503 names and PEP 440 spellings: `Requests`, `2.30`.
    assert!(ids(&db, "PyPI", "Requests", "2.30").contains(&"PYSEC-2023-74".to_string()));
    // PYSEC-2014-13: before 2.3.0; listed versions such as `0.12.01` match by text.
    assert!(ids(&db, "PyPI", "requests", "0.12.01").contains(&"PYSEC-2014-13".to_string()));
    let m = db
        .matches(&[Query::new("PyPI", "requests", "2.30.0")])
        .unwrap()
        .into_iter()
        .find(|m| m.advisory.id == "PYSEC-2023-74")
        .unwrap();
    assert!(m.advisory.aliases.contains(&"CVE-2023-32681".to_string()));
}

#[test]
fn withdrawn_corpus_records_never_match() {
    let (_d, mut db) = store();
    db.import(&corpus("pypa/redis/PYSEC-2023-73.yaml")).unwrap();
    db.import(&corpus("go/GO-2022-0617.json")).unwrap();
    assert!(db
        .record("PYSEC-2023-73")
        .unwrap()
        .unwrap()
        .withdrawn
        .is_some());
    // GO-2022-0617 is `introduced: 0` with no fix: everything would match.
    assert!(ids(&db, "Go", "k8s.io/kubernetes", "v1.0.0").is_empty());
    let redis = db.record("PYSEC-2023-73").unwrap().unwrap();
    let pkg = redis.affected[0].package.as_ref().unwrap();
    assert!(ids(&db, "PyPI", &pkg.name, "4.5.3").is_empty());
}

#[test]
fn alpine_secdb_with_revisions() {
    let (_d, mut db) = store();
    let report = db.import(&corpus("alpine-secdb/v3.11/main.yaml")).unwrap();
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert!(report.ecosystems.contains_key("Alpine:v3.11"));
    // apache2 2.4.27-r1 fixed CVE-2017-9798: the -r0 build is vulnerable, -r1 is not.
    let got = hits(&db, "Alpine:v3.11", "apache2", "2.4.27-r0");
    assert!(
        got.contains(&(
            "ALPINE-v3.11-apache2-CVE-2017-9798".to_string(),
            vec!["2.4.27-r1".to_string()]
        )),
        "{got:?}"
    );
    let fixed = ids(&db, "Alpine:v3.11", "apache2", "2.4.27-r1");
    assert!(!fixed.contains(&"ALPINE-v3.11-apache2-CVE-2017-9798".to_string()));
    // Later fixes still apply to 2.4.27-r1 (2.4.33-r0 fixed CVE-2017-15710).
    assert!(fixed.contains(&"ALPINE-v3.11-apache2-CVE-2017-15710".to_string()));
    // A release candidate sorts before its release.
    assert!(!ids(&db, "Alpine:v3.11", "apache2", "2.4.41_rc1-r0").is_empty());
    assert!(ids(&db, "Alpine:v3.11", "apache2", "2.4.99-r0").is_empty());
    // Other release branches are other ecosystems.
    assert!(ids(&db, "Alpine:v3.10", "apache2", "2.4.27-r0").is_empty());
    let m = db
        .matches(&[Query::new("Alpine:v3.11", "apache2", "2.4.27-r0")])
        .unwrap();
    assert!(m.iter().any(|m| m.advisory.aliases == ["CVE-2017-9798"]));
}

#[test]
fn query_order_and_misses() {
    let (_d, mut db) = store();
    db.import(&fixtures()).unwrap();
    let queries = [
        Query::new("Debian:12", "no-such-package", "1.0-1"),
        Query::new("Debian:12", "shadow", "1:4.13+dfsg1-1"),
        Query::new("Debian:12", "bash", "not a version"),
        Query::new("Debian:12", "bash", "5.2.15-2"),
    ];
    let got = db.matches(&queries).unwrap();
    let pairs: Vec<(usize, &str)> = got
        .iter()
        .map(|m| (m.query, m.advisory.id.as_str()))
        .collect();
    // An unparsable version matches nothing through ranges (and is not in the list).
    assert_eq!(
        pairs,
        vec![(1, "DEBIAN-CVE-2023-4641"), (3, "DEBIAN-CVE-2022-3715")]
    );
}
