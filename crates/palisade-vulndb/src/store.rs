//! The store: one SQLite file (bundled SQLite, so no system library).
//!
//! Tables (schema version [`SCHEMA_VERSION`], kept in `meta`):
//! - `records(id, modified_key, withdrawn, aliases, summary, severity)`: one
//!   row per OSV id, small, so matching reads densely packed pages;
//!   `record_json(id, json)` keeps the whole record as imported, apart.
//! - `affected(ecosystem, name, id, withdrawn, spans, aliases, upstream,
//!   summary, severity)`: one row per package a record affects, clustered by
//!   (ecosystem, normalised name, id) (`WITHOUT ROWID`), with the ranges and
//!   versions matching needs and the record's summary fields copied in, so
//!   a query is one seek and a short sequential read, no join.
//! - `ecosystems(name, records, withdrawn, imported_at, source)`: per OSV
//!   ecosystem (`Debian:12`, `Go`), counts and the last import.
//! - `downloads(unit, url, etag, last_modified, checked_at)`: per download
//!   unit (`Debian`, `PyPI`) for `update`'s conditional requests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::affected::Span;
use crate::import::{self, Diagnostic, ImportLimits};
use crate::names::normalize_name;
use crate::osv::Record;
use crate::severity::Severity;
use crate::{timestamp, DbError};

/// The store layout version; a store written by another version is refused
/// (re-import into a new file).
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records(
  id TEXT PRIMARY KEY, modified_key TEXT NOT NULL, withdrawn INTEGER NOT NULL,
  aliases TEXT NOT NULL, summary TEXT, severity TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS record_json(id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS affected(
  ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL, withdrawn INTEGER NOT NULL,
  spans TEXT NOT NULL, aliases TEXT NOT NULL, upstream TEXT NOT NULL, summary TEXT, severity TEXT NOT NULL,
  PRIMARY KEY(ecosystem, name, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_id ON affected(id);
CREATE TABLE IF NOT EXISTS ecosystems(
  name TEXT PRIMARY KEY, records INTEGER NOT NULL, withdrawn INTEGER NOT NULL,
  imported_at INTEGER, source TEXT);
CREATE TABLE IF NOT EXISTS downloads(
  unit TEXT PRIMARY KEY, url TEXT NOT NULL, etag TEXT, last_modified TEXT,
  checked_at INTEGER NOT NULL);
";

/// Opens (creating if needed) the store at `path` and checks its version.
pub(crate) fn open(path: &Path) -> Result<Connection, DbError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| DbError::io(dir, e))?;
    }
    let conn = Connection::open(path)?;
    // WAL: readers (scans) are not blocked by an import; the memory map and
    // a larger page cache make matching read pages without copying them.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536;",
    )?;
    let has_meta: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)?;
    if has_meta {
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key='schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if version.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
            return Err(DbError::Schema(format!(
                "{} has store schema {}, this build reads {SCHEMA_VERSION}; remove it and import again",
                path.display(),
                version.as_deref().unwrap_or("(none)")
            )));
        }
    } else {
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type='table'",
            [],
            |r| r.get(0),
        )?;
        if tables > 0 {
            return Err(DbError::Schema(format!(
                "{} is an SQLite file but not a Palisade vulnerability store",
                path.display()
            )));
        }
        conn.execute_batch(SCHEMA)?;
        conn.execute(
            "INSERT INTO meta(key, value) VALUES('schema_version', ?1)",
            [SCHEMA_VERSION.to_string()],
        )?;
    }
    Ok(conn)
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Files and zip members read.
    pub files: usize,
    /// Records read and valid.
    pub records: usize,
    /// Records new to the store.
    pub added: usize,
    /// Records that replaced a stored one (same id, `modified` not older).
    pub replaced: usize,
    /// Records left out because the stored copy is newer.
    pub kept_newer: usize,
    /// Records skipped and why (file or `zip!member`).
    pub diagnostics: Vec<Diagnostic>,
    /// Ecosystems this import touched, with how many of its records name each.
    pub ecosystems: BTreeMap<String, usize>,
}

/// What to import.
pub(crate) enum Input<'a> {
    /// A directory, a record file or a zip, by path.
    Path(&'a Path),
    /// A zip archive at `path`, named `shown` in diagnostics (a download).
    Zip { path: &'a Path, shown: &'a str },
}

/// Imports the input in one transaction; `source` is what status shows.
pub(crate) fn import(
    conn: &mut Connection,
    input: Input<'_>,
    source: &str,
    limits: &ImportLimits,
    now: i64,
) -> Result<ImportReport, DbError> {
    let tx = conn.transaction()?;
    let mut report = ImportReport::default();
    let (diagnostics, files) = {
        let mut sink = |records: Vec<Record>| insert_batch(&tx, records, &mut report);
        match input {
            Input::Path(path) => import::load(path, limits, &mut sink)?,
            Input::Zip { path, shown } => {
                let file = std::fs::File::open(path).map_err(|e| DbError::io(path, e))?;
                import::load_zip(shown, std::io::BufReader::new(file), limits, &mut sink)?
            }
        }
    };
    report.diagnostics = diagnostics;
    report.files = files;
    recount(&tx)?;
    for eco in report.ecosystems.keys() {
        tx.execute(
            "UPDATE ecosystems SET imported_at=?2, source=?3 WHERE name=?1",
            params![eco, now, source],
        )?;
    }
    tx.commit()?;
    Ok(report)
}

fn insert_batch(
    tx: &Transaction<'_>,
    records: Vec<Record>,
    report: &mut ImportReport,
) -> Result<(), DbError> {
    let mut existing = tx.prepare_cached("SELECT modified_key FROM records WHERE id=?1")?;
    let mut delete = tx.prepare_cached("DELETE FROM affected WHERE id=?1")?;
    let mut put = tx.prepare_cached(
        "INSERT OR REPLACE INTO records(id, modified_key, withdrawn, aliases, summary, severity)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut put_json =
        tx.prepare_cached("INSERT OR REPLACE INTO record_json(id, json) VALUES(?1, ?2)")?;
    let mut put_affected = tx.prepare_cached(
        "INSERT OR REPLACE INTO affected(ecosystem, name, id, withdrawn, spans, aliases, upstream, summary, severity)
         VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for record in records {
        report.records += 1;
        // An unreadable `modified` sorts below every real date.
        let key = timestamp::parse(&record.modified).unwrap_or_default().key();
        let stored: Option<String> = existing.query_row([&record.id], |r| r.get(0)).optional()?;
        match &stored {
            Some(old) if *old > key => {
                report.kept_newer += 1;
                continue;
            }
            Some(_) => {
                report.replaced += 1;
                delete.execute([&record.id])?;
            }
            None => report.added += 1,
        }
        let severity = serde_json::to_string(&Severity::of(&record))?;
        let aliases = serde_json::to_string(&record.aliases)?;
        let upstream = serde_json::to_string(&record.upstream)?;
        let withdrawn = record.withdrawn.is_some();
        put.execute(params![
            record.id,
            key,
            withdrawn,
            aliases,
            record.summary,
            severity
        ])?;
        put_json.execute(params![record.id, serde_json::to_string(&record)?])?;
        for ((eco, name), spans) in spans_by_package(&record) {
            put_affected.execute(params![
                eco,
                name,
                record.id,
                withdrawn,
                serde_json::to_string(&spans)?,
                aliases,
                upstream,
                record.summary,
                severity
            ])?;
            *report.ecosystems.entry(eco).or_default() += 1;
        }
    }
    Ok(())
}

/// The record's affected entries grouped by (ecosystem, normalised name),
/// keeping only what matching evaluates (no GIT ranges).
fn spans_by_package(record: &Record) -> BTreeMap<(String, String), Vec<Span>> {
    let mut out: BTreeMap<(String, String), Vec<Span>> = BTreeMap::new();
    for a in &record.affected {
        let Some(pkg) = &a.package else { continue };
        if pkg.ecosystem.is_empty() || pkg.name.is_empty() {
            continue;
        }
        let span = Span {
            ranges: a
                .ranges
                .iter()
                .filter(|r| r.kind == "ECOSYSTEM" || r.kind == "SEMVER")
                .cloned()
                .collect(),
            versions: a.versions.clone(),
        };
        let key = (
            pkg.ecosystem.clone(),
            normalize_name(&pkg.ecosystem, &pkg.name).into_owned(),
        );
        out.entry(key).or_default().push(span);
    }
    out
}

/// Recomputes every ecosystem's record counts (cheap: one grouped scan).
fn recount(tx: &Transaction<'_>) -> Result<(), DbError> {
    tx.execute_batch(
        "INSERT INTO ecosystems(name, records, withdrawn)
           SELECT ecosystem, count(DISTINCT id), count(DISTINCT CASE WHEN withdrawn THEN id END)
           FROM affected GROUP BY ecosystem
         ON CONFLICT(name) DO UPDATE SET records=excluded.records, withdrawn=excluded.withdrawn;
         UPDATE ecosystems SET records=0, withdrawn=0
           WHERE name NOT IN (SELECT DISTINCT ecosystem FROM affected);",
    )?;
    Ok(())
}

/// One ecosystem's state in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcosystemStatus {
    /// OSV ecosystem name (`Alpine:v3.11`, `Go`).
    pub ecosystem: String,
    /// Records that affect a package of this ecosystem (withdrawn included).
    pub records: u64,
    /// Of those, withdrawn ones (never matched).
    pub withdrawn: u64,
    /// Last import that touched it (Unix seconds).
    pub imported_at: Option<i64>,
    /// Where that import read from (path or URL).
    pub source: Option<String>,
    /// Last time the data was confirmed current: the later of the last
    /// import and the last `update` answered "not modified" (Unix seconds).
    pub checked_at: Option<i64>,
}

impl EcosystemStatus {
    /// Seconds since [`EcosystemStatus::checked_at`] at `now`; `None` if never.
    pub fn age_secs(&self, now: i64) -> Option<i64> {
        self.checked_at.map(|t| now.saturating_sub(t).max(0))
    }
}

/// Every ecosystem, sorted by name.
pub(crate) fn status(conn: &Connection) -> Result<Vec<EcosystemStatus>, DbError> {
    let mut stmt = conn.prepare(
        "SELECT e.name, e.records, e.withdrawn, e.imported_at, e.source, d.checked_at
         FROM ecosystems e LEFT JOIN downloads d ON d.unit = e.name OR e.name LIKE d.unit || ':%'
         ORDER BY e.name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(EcosystemStatus {
            ecosystem: r.get(0)?,
            records: r.get::<_, i64>(1)?.max(0) as u64,
            withdrawn: r.get::<_, i64>(2)?.max(0) as u64,
            imported_at: r.get(3)?,
            source: r.get(4)?,
            checked_at: r.get(5)?,
        })
    })?;
    // A name can join two download units only if units overlap; keep the latest.
    let mut out: Vec<EcosystemStatus> = Vec::new();
    for row in rows {
        let mut s = row?;
        s.checked_at = s.checked_at.max(s.imported_at);
        match out.last_mut() {
            Some(last) if last.ecosystem == s.ecosystem => {
                last.checked_at = last.checked_at.max(s.checked_at);
            }
            _ => out.push(s),
        }
    }
    Ok(out)
}

/// Ecosystems whose data was last confirmed more than `max_age_secs` before
/// `now` (or never).
pub(crate) fn stale(
    conn: &Connection,
    max_age_secs: i64,
    now: i64,
) -> Result<Vec<String>, DbError> {
    Ok(status(conn)?
        .into_iter()
        .filter(|s| s.records > 0)
        .filter(|s| s.age_secs(now).is_none_or(|age| age > max_age_secs))
        .map(|s| s.ecosystem)
        .collect())
}

/// Download bookkeeping for one unit.
#[derive(Debug, Clone, Default)]
pub(crate) struct DownloadState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

pub(crate) fn download_state(conn: &Connection, unit: &str) -> Result<DownloadState, DbError> {
    Ok(conn
        .query_row(
            "SELECT etag, last_modified FROM downloads WHERE unit=?1",
            [unit],
            |r| {
                Ok(DownloadState {
                    etag: r.get(0)?,
                    last_modified: r.get(1)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

pub(crate) fn record_download(
    conn: &Connection,
    unit: &str,
    url: &str,
    state: &DownloadState,
    now: i64,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO downloads(unit, url, etag, last_modified, checked_at) VALUES(?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(unit) DO UPDATE SET url=excluded.url, etag=excluded.etag,
           last_modified=excluded.last_modified, checked_at=excluded.checked_at",
        params![unit, url, state.etag, state.last_modified, now],
    )?;
    Ok(())
}

/// Ids of every stored record (for tests and tools).
pub(crate) fn ids(conn: &Connection) -> Result<BTreeSet<String>, DbError> {
    let mut stmt = conn.prepare("SELECT id FROM records")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The stored record with this id, as imported.
pub(crate) fn record(conn: &Connection, id: &str) -> Result<Option<Record>, DbError> {
    let json: Option<String> = conn
        .query_row("SELECT json FROM record_json WHERE id=?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    match json {
        Some(j) => Ok(Some(serde_json::from_str(&j)?)),
        None => Ok(None),
    }
}
