//! Versioned schema migrations: numbered SQL files under `migrations/`, applied in order, each
//! recorded in `schema_migrations`. Applying is idempotent (an open of an up-to-date database
//! applies nothing), runs in one transaction (a killed process leaves the previous version),
//! and refuses a database whose version is newer than this build knows.

use crate::backend::{in_transaction, Backend, Dialect, Val};
use crate::error::{Error, Result};

/// One migration: its version (the file's number) and SQL.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first. Never edit a released one: add the next number.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "0001_init",
    sql: include_str!("../migrations/0001_init.sql"),
}];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 1;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
     version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// The migration's SQL in one dialect.
fn render(sql: &str, dialect: Dialect) -> String {
    sql.replace("{id_pk}", dialect.id_primary_key())
}

/// Applies what is missing; returns the migrations applied now.
pub(crate) fn migrate(db: &mut dyn Backend, now: i64) -> Result<Vec<i64>> {
    // An up-to-date database (the usual case) is only read: a reader such as `palisade
    // history` then never waits for the write lock a recording writer holds.
    if let Ok(version) = current_version(db) {
        if version == SCHEMA_VERSION {
            return Ok(Vec::new());
        }
    }
    in_transaction(db, |db| {
        if let Some(lock) = db.dialect().migration_lock() {
            db.batch(lock)?;
        }
        db.batch(CREATE_TABLE)?;
        let current = current_version(db)?;
        if current > SCHEMA_VERSION {
            return Err(Error::SchemaTooNew {
                location: db.location().to_owned(),
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        let mut applied = Vec::new();
        for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
            db.batch(&render(migration.sql, db.dialect()))?;
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[
                    Val::int(migration.version),
                    Val::text(migration.name),
                    Val::int(now),
                ],
            )?;
            applied.push(migration.version);
        }
        Ok(applied)
    })
}

/// The highest applied version (0 for an empty database).
pub(crate) fn current_version(db: &mut dyn Backend) -> Result<i64> {
    let rows = db.query("SELECT MAX(version) FROM schema_migrations", &[])?;
    match rows.first().and_then(|r| r.first()) {
        Some(Val::Int(v)) => Ok(v.unwrap_or(0)),
        Some(Val::Text(None)) | None => Ok(0),
        Some(Val::Text(Some(v))) => Err(Error::Corrupt {
            location: db.location().to_owned(),
            what: format!("schema_migrations.version holds {v:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_numbered_in_order_and_match_the_file_names() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{}",
                m.name
            );
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    #[test]
    fn only_the_primary_key_differs_between_dialects() {
        let sqlite = render(MIGRATIONS[0].sql, Dialect::Sqlite);
        let postgres = render(MIGRATIONS[0].sql, Dialect::Postgres);
        assert!(!sqlite.contains("{id_pk}") && !postgres.contains("{id_pk}"));
        let strip = |s: &str, d: Dialect| s.replace(d.id_primary_key(), "");
        assert_eq!(
            strip(&sqlite, Dialect::Sqlite),
            strip(&postgres, Dialect::Postgres)
        );
    }
}
