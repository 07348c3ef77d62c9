//! The shared store behaviour on SQLite files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use palisade_history::{Error, History, StoreKind};

struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    // In a directory that does not exist yet: opening creates it.
    let path = dir.path().join("data").join("history.db");
    Db { _dir: dir, path }
}

fn open(path: &Path) -> History {
    let h = History::open(path.to_str().unwrap()).unwrap();
    assert_eq!(h.kind(), StoreKind::Sqlite);
    h
}

macro_rules! shared {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            let db = db();
            common::$name(&|| open(&db.path));
        }
    )*};
}

shared!(
    first_last_seen_and_fixed,
    diff_and_changes,
    list_filters,
    inventory_snapshot,
    migrations_idempotent,
    bad_fingerprints_refused,
    concurrent_writers
);

#[test]
fn newer_schema_refused() {
    let db = db();
    common::newer_schema_refused(&|| open(&db.path), &|sql| {
        rusqlite::Connection::open(&db.path)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    });
}

#[test]
fn writers_in_two_processes_worth_of_connections_do_not_lose_scans() {
    // Many short-lived connections, as separate `palisade scan --record` runs would open.
    let db = db();
    std::thread::scope(|s| {
        for t in 0..4 {
            let path = &db.path;
            s.spawn(move || {
                for i in 0..5 {
                    open(path)
                        .record(&common::scan("prod", i64::from(t * 10 + i), vec![]))
                        .unwrap();
                }
            });
        }
    });
    let scans = open(&db.path).scans(&Default::default()).unwrap();
    assert_eq!(scans.len(), 20);
    let previous: std::collections::BTreeSet<_> =
        scans.iter().filter_map(|s| s.previous_id).collect();
    assert_eq!(
        previous.len(),
        19,
        "each scan is the previous of at most one"
    );
}

#[test]
fn an_uncreatable_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "not a directory").unwrap();
    let err = History::open(file.join("history.db").to_str().unwrap())
        .err()
        .unwrap();
    assert!(matches!(err, Error::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot create"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = History::open(path.to_str().unwrap()).err().unwrap();
    assert!(matches!(err, Error::Sqlite { .. }), "{err:?}");
    assert!(err.to_string().contains("history.db"), "{err}");
}

#[test]
fn killed_writer_leaves_whole_scans() {
    let db = db();
    let location = db.path.to_str().unwrap().to_owned();
    common::killed_writer_leaves_whole_scans(&location, &|| open(&db.path), "child_writer");
}

/// The writer process of `killed_writer_leaves_whole_scans` (runs only when that test starts
/// it, with the store in its environment).
#[test]
#[ignore = "child process of killed_writer_leaves_whole_scans"]
fn child_writer() {
    common::killed_writer_child();
}

#[test]
fn an_empty_location_is_refused() {
    let err = History::open(" ").err().unwrap();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
}

#[test]
fn an_up_to_date_database_opens_while_a_writer_holds_the_lock() {
    let db = db();
    drop(open(&db.path));
    // Another process in the middle of recording: it holds SQLite's write lock.
    let writer = rusqlite::Connection::open(&db.path).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let mut reader = open(&db.path);
    assert!(reader.scans(&Default::default()).unwrap().is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    writer.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_new_database_and_its_directory_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let db = db();
    let mut h = open(&db.path);
    h.record(&common::scan("prod", 1, vec![])).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db.path), 0o600);
    assert_eq!(mode(db.path.parent().unwrap()), 0o700);
    let wal = db.path.with_extension("db-wal");
    assert!(wal.exists());
    assert_eq!(mode(&wal), 0o600);
}
