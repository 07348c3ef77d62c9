//! OpenVEX: parse documents ([`OpenVexDocument::parse`]) and decide, per finding, which
//! statement applies ([`VexIndex::verdict`]); `not_affected` and `fixed` suppress
//! ([`Statement::suppresses`]).
//!
//! ```
//! use palisade_imagescan::vex::{OpenVexDocument, VexIndex};
//!
//! let doc = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.invalid/vex/1",
//!   "author":"Team","timestamp":"2024-05-01T10:00:00Z","version":1,
//!   "statements":[{"vulnerability":{"name":"CVE-2024-1","aliases":["GHSA-xxxx-yyyy-zzzz"]},
//!     "products":[{"@id":"registry.example/app:1.0","subcomponents":[{"@id":"pkg:pypi/flask"}]}],
//!     "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#;
//! let index = VexIndex::from_documents([OpenVexDocument::parse("vex.json", doc)?]);
//! let hit = index.verdict(&["GHSA-xxxx-yyyy-zzzz"], "registry.example/app:1.0", Some("pkg:pypi/Flask@2.0.0"));
//! assert!(hit.is_some_and(|s| s.suppresses()));
//! # Ok::<(), palisade_imagescan::merge::ReadError>(())
//! ```

mod index;
mod openvex;
mod product;
mod rows;
mod time;

pub use index::VexIndex;
pub use openvex::{
    Component, OpenVexDocument, Product, Statement, Status, JUSTIFICATIONS, MAX_STATEMENTS,
};
pub use product::ident_matches;
pub use rows::mark_rows;
pub use time::Timestamp;

use std::path::PathBuf;

use crate::ImageScanError;

/// The OpenVEX documents at `paths`, read and indexed; the first that cannot be read or
/// parsed is the error.
pub fn read_files(paths: &[PathBuf]) -> Result<VexIndex, ImageScanError> {
    let mut documents = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| ImageScanError::ReadVex {
            path: path.clone(),
            source,
        })?;
        let doc = OpenVexDocument::parse(&path.display().to_string(), &bytes)
            .map_err(ImageScanError::ParseVex)?;
        documents.push(doc);
    }
    Ok(VexIndex::from_documents(documents))
}
