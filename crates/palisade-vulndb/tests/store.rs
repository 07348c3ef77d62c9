//! Import, re-import, status and staleness of the store, and the whole shared
//! corpus (which must be present: missing data fails the test).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use palisade_vulndb::{Db, DbError, ImportLimits, Query};

fn store() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path().join("cache/palisade/vulndb.sqlite")).unwrap();
    (dir, db)
}

fn record(id: &str, modified: &str, fixed: &str, withdrawn: bool) -> String {
    let w = if withdrawn {
        format!(r#""withdrawn": "{modified}","#)
    } else {
        String::new()
    };
    format!(
        r#"{{"id": "{id}", "modified": "{modified}", {w} "summary": "fixed in {fixed}",
            "affected": [{{"package": {{"ecosystem": "PyPI", "name": "Demo_Pkg"}},
              "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn fixed_of(db: &Db, version: &str) -> Vec<Vec<String>> {
    db.matches(&[Query::new("PyPI", "demo-pkg", version)])
        .unwrap()
        .into_iter()
        .map(|m| m.fixed)
        .collect()
}

#[test]
fn reimport_replaces_only_when_not_older() {
    let (dir, mut db) = store();
    let f = write(
        dir.path(),
        "a.json",
        &record("PYSEC-1", "2024-01-01T00:00:00Z", "2.0", false),
    );
    let r = db.import(&f).unwrap();
    assert_eq!((r.added, r.replaced, r.kept_newer), (1, 0, 0));
    assert_eq!(fixed_of(&db, "1.5"), [["2.0"]]);
    // Newer (fractional seconds sort after the whole second): replaces.
    let f = write(
        dir.path(),
        "a.json",
        &record("PYSEC-1", "2024-01-01T00:00:00.5Z", "3.0", false),
    );
    let r = db.import(&f).unwrap();
    assert_eq!((r.added, r.replaced, r.kept_newer), (0, 1, 0));
    assert_eq!(fixed_of(&db, "2.5"), [["3.0"]]);
    // Older: the stored copy stays.
    let f = write(
        dir.path(),
        "a.json",
        &record("PYSEC-1", "2023-12-31T23:00:00-00:30", "9.0", false),
    );
    let r = db.import(&f).unwrap();
    assert_eq!(r.kept_newer, 1);
    assert_eq!(fixed_of(&db, "2.5"), [["3.0"]]);
    // Withdrawn later: no longer matched, still counted.
    let f = write(
        dir.path(),
        "a.json",
        &record("PYSEC-1", "2024-02-01T00:00:00Z", "3.0", true),
    );
    db.import(&f).unwrap();
    assert!(fixed_of(&db, "2.5").is_empty());
    let status = db.status().unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!((status[0].records, status[0].withdrawn), (1, 1));
}

#[test]
fn status_and_staleness() {
    let (dir, mut db) = store();
    write(
        dir.path(),
        "one.json",
        &record("PYSEC-1", "2024-01-01T00:00:00Z", "2.0", false),
    );
    let go = r#"{"id":"GO-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#;
    write(dir.path(), "two.json", go);
    let before = SystemTime::now();
    db.import(dir.path()).unwrap();
    let status = db.status().unwrap();
    let names: Vec<&str> = status.iter().map(|s| s.ecosystem.as_str()).collect();
    assert_eq!(names, ["Go", "PyPI"]);
    let s = &status[0];
    assert_eq!(s.records, 1);
    assert!(s.source.as_deref().unwrap().ends_with(
        &dir.path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string()
    ));
    let t = s.imported_at.unwrap();
    let b = before
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(t >= b && t <= b + 60);
    assert!(db.stale(Duration::from_secs(3600)).unwrap().is_empty());
    let later = SystemTime::now() + Duration::from_secs(2 * 86_400);
    assert_eq!(
        db.stale_at(Duration::from_secs(86_400), later).unwrap(),
        ["Go", "PyPI"]
    );
    assert_eq!(s.age_secs(t + 10), Some(10));
}

#[test]
fn bad_records_are_named_and_the_rest_imported() {
    let (dir, mut db) = store();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    write(
        &data,
        "good.json",
        &record("PYSEC-1", "2024-01-01T00:00:00Z", "2.0", false),
    );
    write(&data.join("sub"), "bad.json", "{\"id\": 12}");
    write(&data.join("sub"), "bad.yaml", "id: [");
    write(&data, "notes.txt", "ignored");
    // A zip inside the tree, with one bad member.
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("GO-9.json", opts).unwrap();
    w.write_all(br#"{"id":"GO-9","modified":"2024-01-01T00:00:00Z"}"#)
        .unwrap();
    w.start_file("broken.json", opts).unwrap();
    w.write_all(b"\xff\xfe").unwrap();
    std::fs::write(data.join("all.zip"), w.finish().unwrap().into_inner()).unwrap();
    let r = db.import(&data).unwrap();
    assert_eq!(r.records, 2);
    let mut sources: Vec<String> = r
        .diagnostics
        .iter()
        .map(|d| d.source.rsplit('/').next().unwrap().to_string())
        .collect();
    sources.sort();
    assert_eq!(sources, ["all.zip!broken.json", "bad.json", "bad.yaml"]);
    assert!(db.ids().unwrap().contains("GO-9"));
}

#[test]
fn zip_bomb_stops_the_import_and_keeps_the_store() {
    let (dir, mut db) = store();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..8 {
        w.start_file(format!("M-{i}.json"), opts).unwrap();
        w.write_all(&vec![b' '; 1 << 20]).unwrap();
    }
    let zip = dir.path().join("all.zip");
    std::fs::write(&zip, w.finish().unwrap().into_inner()).unwrap();
    assert!(std::fs::metadata(&zip).unwrap().len() < 100_000);
    let limits = ImportLimits {
        max_file_bytes: 2 << 20,
        max_total_bytes: 4 << 20,
    };
    let err = db.import_with(&zip, &limits).unwrap_err();
    assert!(matches!(err, DbError::TooLarge(_)), "{err}");
    assert!(err.to_string().contains("all.zip!M-4.json"), "{err}");
    assert!(db.ids().unwrap().is_empty());
}

#[test]
fn schema_version_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.sqlite");
    drop(Db::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'", [])
        .unwrap();
    drop(conn);
    let err = Db::open(&path).unwrap_err();
    assert!(err.to_string().contains("schema 999"), "{err}");
    let other = dir.path().join("other.sqlite");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute("CREATE TABLE t(x)", []).unwrap();
    drop(conn);
    assert!(matches!(Db::open(&other), Err(DbError::Schema(_))));
}

#[test]
fn whole_shared_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/osv");
    assert!(
        corpus.join("SOURCES.md").exists(),
        "shared OSV corpus missing: {}",
        corpus.display()
    );
    let (_d, mut db) = store();
    let r = db.import(&corpus).unwrap();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    // One record per Go and PyPA file; 18 secdb files (SOURCES.md). PyPA's
    // folder also holds its `.id-allocator`, which is not a record.
    let (go, pypa) = (
        count_records(&corpus.join("go")),
        count_records(&corpus.join("pypa")),
    );
    assert_eq!((go, pypa), (4_291, 2_522));
    assert_eq!(r.files, go + pypa + 18);
    let status = db.status().unwrap();
    let get = |eco: &str| status.iter().find(|s| s.ecosystem == eco).unwrap();
    // Withdrawn counts as SOURCES.md gives them.
    assert_eq!((get("Go").records, get("Go").withdrawn), (go as u64, 17));
    assert_eq!(
        (get("PyPI").records, get("PyPI").withdrawn),
        (pypa as u64, 10)
    );
    for v in [
        "v3.3", "v3.4", "v3.5", "v3.6", "v3.7", "v3.8", "v3.9", "v3.10", "v3.11",
    ] {
        assert!(get(&format!("Alpine:{v}")).records > 100, "{v}");
    }
    // Importing the same data again replaces nothing with older data.
    let again = db.import(&corpus).unwrap();
    assert_eq!(again.added, 0);
    assert_eq!(again.kept_newer, 0);
    assert_eq!(again.replaced, r.records);
}

fn count_records(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            n += count_records(&p);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("json" | "yaml")
        ) {
            n += 1;
        }
    }
    n
}
