//! What stops an image scan before, or instead of, judging images: the options, the
//! vulnerability database, the OpenVEX documents. Messages name the file and the way out;
//! the cause is the error's `source` (the command line prints the chain).

use std::path::PathBuf;

use palisade_vulndb::DbError;

use crate::merge::ReadError;

/// An image scan that cannot start (or cannot match packages).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageScanError {
    /// `--platform` is not `os/arch[/variant]`.
    #[error("--platform `{0}` is not os/arch[/variant]")]
    Platform(String),
    /// A database path was given and there is no file.
    #[error("{}: no such vulnerability database (create it with `palisade db import`)", .0.display())]
    NoDatabase(PathBuf),
    /// The database could not be opened.
    #[error("opening {}", path.display())]
    OpenDatabase {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: DbError,
    },
    /// The database's import status could not be read.
    #[error("reading the database status")]
    DatabaseStatus(#[source] DbError),
    /// Matching an image's packages against the database failed.
    #[error("matching the packages of {reference}")]
    Matching {
        /// The image.
        reference: String,
        /// Why.
        #[source]
        source: DbError,
    },
    /// An OpenVEX document could not be read.
    #[error("cannot read {}", path.display())]
    ReadVex {
        /// The document.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An OpenVEX document is not valid (its message names the file and the JSON path).
    #[error(transparent)]
    ParseVex(ReadError),
}
