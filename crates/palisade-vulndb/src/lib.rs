/*!
Palisade's vulnerability database (issue 14, items 4 and 5): OSV records
imported into one SQLite file, refreshed from OSV's per-ecosystem archives,
and matched against installed packages with each ecosystem's exact version
ordering ([`version`]).

```no_run
use palisade_vulndb::{Db, Query};

let mut db = Db::open(Db::default_path().unwrap())?;
let report = db.import(std::path::Path::new("osv-data/"))?;
for d in &report.diagnostics {
    eprintln!("skipped {d}");
}
let found = db.matches(&[Query::new("PyPI", "Django", "3.2.0")])?;
for m in found {
    println!("{} fixed in {:?}", m.advisory.id, m.fixed);
}
# Ok::<(), palisade_vulndb::DbError>(())
```

See `docs/vulndb.md` for what is imported, the store format and the exact
matching semantics.
*/

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

pub mod affected;
pub mod cvss;
pub mod import;
pub mod names;
pub mod osv;
mod query;
pub mod secdb;
pub mod severity;
mod store;
pub mod timestamp;
pub mod update;
pub mod version;

pub use import::{Diagnostic, ImportLimits};
pub use query::{Advisory, Match, Query};
pub use severity::Severity;
pub use store::{EcosystemStatus, ImportReport, SCHEMA_VERSION};
pub use update::{UpdateOptions, UpdateOutcome, UpdateStatus, OSV_BASE_URL};

/// Why a database operation failed.
#[derive(Debug)]
pub enum DbError {
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The SQLite store failed.
    Sqlite(rusqlite::Error),
    /// Stored JSON could not be read back (a damaged store).
    Json(serde_json::Error),
    /// The store file has another schema version or is not a store.
    Schema(String),
    /// An import went over its total size limit.
    TooLarge(String),
    /// A download failed.
    Http(String),
}

impl DbError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> DbError {
        DbError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            DbError::Sqlite(e) => write!(f, "vulnerability store: {e}"),
            DbError::Json(e) => write!(f, "vulnerability store: damaged entry: {e}"),
            DbError::Schema(m) | DbError::TooLarge(m) | DbError::Http(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DbError::Io { source, .. } => Some(source),
            DbError::Sqlite(e) => Some(e),
            DbError::Json(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Sqlite(e)
    }
}

impl From<serde_json::Error> for DbError {
    fn from(e: serde_json::Error) -> Self {
        DbError::Json(e)
    }
}

impl From<rusqlite::types::FromSqlError> for DbError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        DbError::Sqlite(e.into())
    }
}

/// An open vulnerability store.
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish()
    }
}

fn unix_now() -> i64 {
    unix(SystemTime::now())
}

fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

impl Db {
    /// `${XDG_CACHE_HOME:-$HOME/.cache}/palisade/vulndb.sqlite`; `None` when
    /// neither variable is set to an absolute path.
    pub fn default_path() -> Option<PathBuf> {
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .map(|h| h.join(".cache"))
            })?;
        Some(cache.join("palisade").join("vulndb.sqlite"))
    }

    /// Opens the store at `path`, creating it (and its directory) if needed.
    pub fn open(path: impl AsRef<Path>) -> Result<Db, DbError> {
        let path = path.as_ref().to_path_buf();
        let conn = store::open(&path)?;
        Ok(Db { conn, path })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Imports OSV records from a directory tree (`.json`, `.yaml`, Alpine
    /// secdb YAML, nested `.zip`), a single file, or a zip, with default
    /// limits. A record replaces the stored one with the same id unless the
    /// stored one's `modified` is later.
    pub fn import(&mut self, path: &Path) -> Result<ImportReport, DbError> {
        self.import_with(path, &ImportLimits::default())
    }

    /// [`Db::import`] with explicit size limits.
    pub fn import_with(
        &mut self,
        path: &Path,
        limits: &ImportLimits,
    ) -> Result<ImportReport, DbError> {
        let source = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        store::import(
            &mut self.conn,
            store::Input::Path(path),
            &source.display().to_string(),
            limits,
            unix_now(),
        )
    }

    /// Every ecosystem in the store with its counts and last import.
    pub fn status(&self) -> Result<Vec<EcosystemStatus>, DbError> {
        store::status(&self.conn)
    }

    /// Ecosystems (with records) whose data was last imported or confirmed
    /// current more than `max_age` ago; scans warn about these.
    pub fn stale(&self, max_age: Duration) -> Result<Vec<String>, DbError> {
        self.stale_at(max_age, SystemTime::now())
    }

    /// [`Db::stale`] as of `now`.
    pub fn stale_at(&self, max_age: Duration, now: SystemTime) -> Result<Vec<String>, DbError> {
        let max = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        store::stale(&self.conn, max, unix(now))
    }

    /// Downloads `<base_url>/<ecosystem>/all.zip` for each ecosystem
    /// directory (`PyPI`, `Go`, `Debian`, `Alpine`, ...) and imports it.
    /// [`OSV_BASE_URL`] is OSV's public bucket.
    pub fn update(&mut self, base_url: &str, ecosystems: &[&str]) -> Vec<UpdateOutcome> {
        self.update_with(base_url, ecosystems, &UpdateOptions::default())
    }

    /// [`Db::update`] with explicit options.
    pub fn update_with(
        &mut self,
        base_url: &str,
        ecosystems: &[&str],
        opts: &UpdateOptions,
    ) -> Vec<UpdateOutcome> {
        update::update(&mut self.conn, base_url, ecosystems, opts, unix_now())
    }

    /// Matches installed packages; see [`Query`] for what to pass.
    /// Withdrawn records never match.
    pub fn matches(&self, queries: &[Query]) -> Result<Vec<Match>, DbError> {
        query::matches(&self.conn, queries)
    }

    /// The stored record with this id, as imported.
    pub fn record(&self, id: &str) -> Result<Option<osv::Record>, DbError> {
        store::record(&self.conn, id)
    }

    /// The ids of every stored record.
    pub fn ids(&self) -> Result<std::collections::BTreeSet<String>, DbError> {
        store::ids(&self.conn)
    }
}
