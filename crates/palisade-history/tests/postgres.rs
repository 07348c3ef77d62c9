//! The shared store behaviour on a real PostgreSQL server (Debian's postgresql, started by
//! palisade-testkit on a loopback port; one server for this test binary, one database per
//! test).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use palisade_history::{Error, History, StoreKind};
use palisade_testkit::Postgres;

/// One server for the whole binary: statics are not dropped, so the testkit's watchdog stops
/// it when the process exits.
fn server() -> &'static Postgres {
    static SERVER: OnceLock<Postgres> = OnceLock::new();
    SERVER.get_or_init(|| Postgres::start().expect("starting PostgreSQL"))
}

fn database() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("history_{}", NEXT.fetch_add(1, Ordering::SeqCst));
    server().create_database(&name).unwrap()
}

fn open(url: &str) -> History {
    let h = History::open(url).unwrap();
    assert_eq!(h.kind(), StoreKind::Postgres);
    h
}

macro_rules! shared {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            let url = database();
            common::$name(&|| open(&url));
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
    let url = database();
    common::newer_schema_refused(&|| open(&url), &|sql| {
        postgres::Client::connect(&url, postgres::NoTls)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    });
}

#[test]
fn first_opens_racing_on_an_empty_database_migrate_once() {
    let url = database();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| open(&url));
        }
    });
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = client
        .query("SELECT version FROM schema_migrations", &[])
        .unwrap();
    assert_eq!(rows.len(), palisade_history::SCHEMA_VERSION as usize);
}

#[test]
fn an_unreachable_server_is_a_clear_error_without_the_password() {
    let port = palisade_testkit::Port::lease().unwrap();
    let url = format!("postgres://app:hunter2@127.0.0.1:{}/history", port.port);
    let err = History::open(&url).err().unwrap();
    assert!(matches!(err, Error::Postgres { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{}", port.port)), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_url_requiring_tls_is_refused_not_downgraded() {
    let url = format!("{}?sslmode=require", server().url("postgres"));
    let err = History::open(&url).err().unwrap();
    assert!(matches!(err, Error::Postgres { .. }), "{err:?}");
    assert!(err.to_string().to_lowercase().contains("tls"), "{err}");
}

#[test]
fn killed_writer_leaves_whole_scans() {
    let url = database();
    common::killed_writer_leaves_whole_scans(&url, &|| open(&url), "child_writer");
}

/// The writer process of `killed_writer_leaves_whole_scans` (runs only when that test starts
/// it, with the store in its environment).
#[test]
#[ignore = "child process of killed_writer_leaves_whole_scans"]
fn child_writer() {
    common::killed_writer_child();
}
