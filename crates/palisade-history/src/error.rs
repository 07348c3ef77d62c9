//! The one error type of the history store.

use std::path::PathBuf;

/// What went wrong opening, migrating, writing or reading a history store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SQLite file could not be opened or a statement on it failed.
    #[error("history database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// The PostgreSQL server could not be reached or a statement failed.
    #[error("history database {url}: {detail}")]
    Postgres {
        /// The connection URL with any password removed.
        url: String,
        /// The server's or the client's message.
        detail: String,
    },
    /// The SQLite file or the directory that should hold it could not be created.
    #[error("cannot create {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The database was migrated by a newer Palisade: writing to it could lose data.
    #[error(
        "history database {location} has schema version {found}, newer than the {supported} \
         this palisade knows: upgrade palisade, or point --db at another database"
    )]
    SchemaTooNew {
        /// The store (path or URL without password).
        location: String,
        /// Version found in `schema_migrations`.
        found: i64,
        /// Newest version this build can migrate to.
        supported: i64,
    },
    /// A stored value that this build cannot read back (a hand-edited row, a corrupt file).
    #[error("history database {location}: {what}")]
    Corrupt {
        /// The store.
        location: String,
        /// What was unreadable.
        what: String,
    },
    /// No scan with this id.
    #[error("no recorded scan with id {0}")]
    NoSuchScan(i64),
    /// An unusable argument (`--since`, a URL, a target name).
    #[error("{0}")]
    Invalid(String),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
