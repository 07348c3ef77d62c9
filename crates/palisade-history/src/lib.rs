//! Palisade's scan history: every recorded scan of a target (a cluster context, a set of
//! paths), its findings tracked across scans (first seen, last seen, fixed), and the inventory
//! it judged. One schema, two stores: an SQLite file by default (nothing to install) and
//! PostgreSQL for a fleet whose watchers all write to one database.
//!
//! - [`History`]: [`History::open`] (`postgres://…` or a path), [`History::record`] a
//!   [`NewScan`] (from a report: [`NewScan::from_report`]), then query: [`History::scans`],
//!   [`History::changes`], [`History::diff`], [`History::tracked`], [`History::inventory`].
//! - [`fingerprint`]: what makes a finding "the same" across scans.
//! - [`time`]: timestamps and `--since` values.
//!
//! ```
//! use palisade_history::{History, NewScan, ScanFilter};
//! # fn main() -> Result<(), palisade_history::Error> {
//! let dir = tempfile::tempdir().unwrap();
//! let mut history = History::open_sqlite(&dir.path().join("history.db"))?;
//! let scan = NewScan {
//!     target: "prod".into(),
//!     started_at: 1_764_480_600,
//!     tool_version: "0.1.0".into(),
//!     load_errors: 0,
//!     findings: Vec::new(),
//!     inventory: None,
//! };
//! let recorded = history.record(&scan)?;
//! assert_eq!(history.scans(&ScanFilter::default())?, vec![recorded]);
//! # Ok(())
//! # }
//! ```

mod backend;
mod error;
pub mod fingerprint;
mod migrate;
mod model;
mod postgres;
mod sqlite;
mod store;
pub mod time;

pub use error::{Error, Result};
pub use migrate::SCHEMA_VERSION;
pub use model::{
    InventorySnapshot, NewScan, ScanDiff, ScanFilter, ScanRecord, SeverityCounts, StoredFinding,
    Timestamp, TrackedFinding,
};
pub use store::{Changes, History, StoreKind};
