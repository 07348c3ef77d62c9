//! Renderers: turn a [`Report`] into bytes. They compute nothing a user would need
//! elsewhere; everything they show is already in the report.

use std::io::{self, Write};

use palisade_core::Report;

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
    /// ANSI colour (only on a terminal).
    pub color: bool,
}

/// Writes `report` in `format`.
pub fn render(report: &Report, format: Format, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    let _ = (format, options);
    // Placeholder until the renderers land: one line per finding.
    for f in &report.findings {
        writeln!(out, "{}: {} {} {}", f.location, f.severity, f.rule_id, f.message)?;
    }
    Ok(())
}
