//! `palisade netpol diff OLD NEW [--critical FILE]`: connections added and removed between
//! two snapshots; a removed connection a critical flow needs is an error (exit 1), so CI
//! stops a policy change that would cut off a critical service.

use std::process::ExitCode;

use anyhow::{anyhow, Context as _};
use clap::Args;
use palisade_netpol::{compare, matrix, parse_critical, Change, CriticalFlow, Snapshot};
use serde::Serialize;

use super::{Inputs, QueryFormat};
use crate::text_table::TextTable;

/// `palisade netpol diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The snapshot before the change (a file or directory, `-` for stdin).
    pub old: String,
    /// The snapshot after the change.
    pub new: String,
    /// Flows that must keep working (YAML: `critical: [{from, to, port, protocol,
    /// reason}]`); exit 1 when the change cuts one.
    #[arg(long)]
    pub critical: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
    /// Largest input file accepted, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: usize,
}

pub fn run(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let critical = match &args.critical {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read critical flows file {path}"))?;
            parse_critical(path, &text)
                .map_err(|e| anyhow!("invalid critical flows:\n{}", e.join("\n")))?
        }
        None => Vec::new(),
    };
    let side = |path: &str| Inputs {
        paths: vec![path.to_string()],
        max_file_size: args.max_file_size,
        timings: false,
    };
    let old = side(&args.old).load();
    let new = side(&args.new).load();
    let (old_m, new_m) = (matrix(&old.model), matrix(&new.model));
    let changes = compare(
        &Snapshot {
            model: &old.model,
            matrix: &old_m,
        },
        &Snapshot {
            model: &new.model,
            matrix: &new_m,
        },
    );
    let cut: Vec<(&CriticalFlow, &Change)> = critical
        .iter()
        .flat_map(|f| changes.iter().filter(|c| f.cut_by(c)).map(move |c| (f, c)))
        .collect();
    match args.format {
        QueryFormat::Json => super::print_json(&Answer {
            changes: changes.iter().map(ChangeOut::of).collect(),
            critical_cut: cut
                .iter()
                .map(|(f, c)| CutOut {
                    from: &f.from,
                    to: &f.to,
                    port: f.port,
                    reason: &f.reason,
                    line: f.line,
                    change: ChangeOut::of(c),
                })
                .collect(),
            old: old.common(),
            new: new.common(),
        })?,
        QueryFormat::Table => super::print(&table(&changes, &cut))?,
    }
    Ok(crate::query::check_exit_code(
        &[&old.inventory, &new.inventory],
        !cut.is_empty(),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    changes: Vec<ChangeOut>,
    /// Critical flows the change cuts off (exit status 1 when not empty).
    critical_cut: Vec<CutOut<'a>>,
    old: super::Common<'a>,
    new: super::Common<'a>,
}

#[derive(Serialize)]
struct ChangeOut {
    src: String,
    dst: String,
    before: String,
    after: String,
    added: String,
    removed: String,
}

impl ChangeOut {
    fn of(c: &Change) -> ChangeOut {
        ChangeOut {
            src: c.src.to_string(),
            dst: c.dst.to_string(),
            before: c.before.to_string(),
            after: c.after.to_string(),
            added: c.added().to_string(),
            removed: c.removed().to_string(),
        }
    }
}

#[derive(Serialize)]
struct CutOut<'a> {
    from: &'a str,
    to: &'a str,
    port: Option<u16>,
    reason: &'a str,
    /// Line of the flow in the critical flows file.
    line: u32,
    change: ChangeOut,
}

fn table(changes: &[Change], cut: &[(&CriticalFlow, &Change)]) -> String {
    if changes.is_empty() {
        return "No connection changes.\n".to_string();
    }
    let mut t = TextTable::new(&["SOURCE", "DESTINATION", "ADDED", "REMOVED"]);
    for c in changes {
        let (added, removed) = (c.added(), c.removed());
        let show = |s: palisade_netpol::ConnectionSet| {
            if s.is_empty() {
                "-".to_string()
            } else {
                s.to_string()
            }
        };
        t.row(vec![
            c.src.to_string(),
            c.dst.to_string(),
            show(added),
            show(removed),
        ]);
    }
    let mut out = t.render();
    out.push_str(&format!("\n{} pairs changed\n", changes.len()));
    for (f, c) in cut {
        out.push_str(&format!(
            "\nerror: critical flow {} -> {}{} (line {}) is cut off: {} removed{}\n",
            f.from,
            f.to,
            f.port.map(|p| format!(" port {p}")).unwrap_or_default(),
            f.line,
            c.removed(),
            if f.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.reason)
            }
        ));
    }
    out
}
