//! The embedded store: one SQLite file (bundled SQLite, nothing to install).

use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql};

use crate::backend::{Backend, Dialect, Val};
use crate::error::{Error, Result};

/// How long a writer waits for another process's transaction before giving up. Recording a
/// large scan takes a few seconds at most.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) struct Sqlite {
    conn: Connection,
    path: PathBuf,
    location: String,
}

impl Sqlite {
    /// Opens (creating) the file, and its directory.
    pub(crate) fn open(path: &Path) -> Result<Sqlite> {
        // The history lists a cluster's weaknesses: readable by its owner only. Directories we
        // create are 0700 (as the XDG base directory specification asks of data directories),
        // a new file 0600; SQLite gives its -wal and -shm files the database file's mode.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|source| Error::CreateDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            // Already there (ours from an earlier run, or another process's just now).
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(Error::CreateDir {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
        let wrap = |source| Error::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(wrap)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(wrap)?;
        // WAL: readers (`palisade history`) do not block a recording writer, and a killed
        // writer's partial transaction is never visible. NORMAL sync is durable at commit
        // boundaries in WAL mode except on power loss of the last commits.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(wrap)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Sqlite {
            conn,
            path: path.to_path_buf(),
            location: path.display().to_string(),
        })
    }

    fn wrap(&self, source: rusqlite::Error) -> Error {
        Error::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

/// `$1` → `?1`: the same numbered parameter in SQLite's spelling. The SQL is ours and holds
/// no `$` elsewhere.
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Val::Int(Some(v)) => ValueRef::Integer(*v),
            Val::Text(Some(v)) => ValueRef::Text(v.as_bytes()),
            Val::Int(None) | Val::Text(None) => ValueRef::Null,
        }))
    }
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn location(&self) -> &str {
        &self.location
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| self.wrap(e))
    }

    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let result = self
            .conn
            .prepare_cached(&sqlite_sql(sql))
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(params)));
        result.map(|n| n as u64).map_err(|e| self.wrap(e))
    }

    fn insert_many(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &mut dyn Iterator<Item = Vec<Val>>,
    ) -> Result<()> {
        crate::backend::insert_values(self, table, columns, rows)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Vec<Val>>> {
        let result = (|| {
            let mut stmt = self.conn.prepare_cached(&sqlite_sql(sql))?;
            let width = stmt.column_count();
            let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let mut cells = Vec::with_capacity(width);
                for i in 0..width {
                    cells.push(match row.get_ref(i)? {
                        ValueRef::Null => Val::Int(None),
                        ValueRef::Integer(v) => Val::Int(Some(v)),
                        ValueRef::Text(t) => Val::Text(Some(String::from_utf8_lossy(t).into())),
                        ValueRef::Real(_) | ValueRef::Blob(_) => {
                            return Err(rusqlite::Error::InvalidColumnType(
                                i,
                                format!("column {i}"),
                                row.get_ref(i)?.data_type(),
                            ))
                        }
                    });
                }
                out.push(cells);
            }
            Ok(out)
        })();
        result.map_err(|e| self.wrap(e))
    }
}
