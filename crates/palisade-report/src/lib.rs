//! Renderers: turn a [`Report`] into bytes. They compute nothing a user would need
//! elsewhere; everything they show is already in the report, and rule metadata comes from
//! [`Report::rules`].
//!
//! | [`Format`] | for | notes |
//! | --- | --- | --- |
//! | [`Format::Table`] | people at a terminal | grouped by object, then load errors and a summary |
//! | [`Format::Json`] | scripts | Palisade's own versioned schema (`schema/report-v1.schema.json`, `docs/json-output.md`) |
//! | [`Format::Sarif`] | GitHub code scanning, IDEs | SARIF 2.1.0 |
//! | [`Format::Junit`] | CI test reports | one `<testsuite>` per input file |
//!
//! ```
//! use palisade_core::{Report, Stats};
//! use palisade_report::{render, Format, Options};
//!
//! let report = Report {
//!     version: "0.1.0",
//!     findings: vec![],
//!     suppressed: vec![],
//!     errors: vec![],
//!     notes: vec![],
//!     rules: vec![],
//!     stats: Stats { inputs: 1, objects: 2, dockerfiles: 0 },
//!     frameworks: vec![],
//! };
//! let mut out = Vec::new();
//! render(&report, Format::Json, &Options::default(), &mut out).unwrap();
//! let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(json["schemaVersion"], "1");
//! assert_eq!(json["findings"].as_array().map(Vec::len), Some(0));
//! ```
//!
//! Renderers write many small pieces: pass a buffered writer.

use std::io::{self, Write};

use palisade_core::Report;

mod common;
mod json;
mod junit;
mod lines;
mod sarif;
mod table;

pub use json::SCHEMA_VERSION as JSON_SCHEMA_VERSION;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human table, grouped by object.
    Table,
    /// Palisade's versioned JSON.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
}

/// Options that change how a report looks, never what it says.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// ANSI colour (only on a terminal). Only the table uses it.
    pub color: bool,
}

/// Writes `report` in `format`.
///
/// # Errors
///
/// Only those of writing to `out`.
pub fn render(
    report: &Report,
    format: Format,
    options: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table::render(report, options, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Junit => junit::render(report, out),
    }
}
