//! `palisade scan --record` and `palisade history`: record a scan's report in the history
//! store, list recorded scans with what appeared and what was fixed, compare two scans.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use palisade_core::inventory::Inventory;
use palisade_core::{Report, Severity};
use palisade_history::time::{format_timestamp, now, parse_since};
use palisade_history::{
    History, InventorySnapshot, NewScan, ScanFilter, ScanRecord, StoreKind, StoredFinding,
};
use serde_json::{json, Value};

use crate::cli::ScanArgs;

/// Format tag of the inventory snapshot a file scan records: the objects' references.
const OBJECTS_FORMAT: &str = "palisade.dev/objects/v1";
/// Appeared/fixed findings listed per scan in the table (the JSON has them all).
const TABLE_LIST_LIMIT: usize = 20;

/// `palisade history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// `diff A B` compares two recorded scans.
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,

    /// History database: a file path, or a `postgres://user@host/db` URL (default:
    /// `$XDG_DATA_HOME/palisade/history.db`, else `~/.local/share/palisade/history.db`).
    #[arg(long, global = true, value_name = "URL|PATH")]
    pub db: Option<String>,

    /// Only scans since then: an age (`30m`, `12h`, `7d`, `2w`), a date (`2026-11-01`, UTC) or
    /// a UTC time (`2026-11-01T08:00:00Z`).
    #[arg(long)]
    pub since: Option<String>,

    /// Only scans of this target (as recorded by `scan --record --target`).
    #[arg(long)]
    pub target: Option<String>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = HistoryFormat::Table, global = true)]
    pub format: HistoryFormat,
}

/// `palisade history` subcommands.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Compare two recorded scans: findings new in B, fixed since A, unchanged.
    Diff {
        /// The older scan's id.
        a: i64,
        /// The newer scan's id.
        b: i64,
    },
}

/// Formats of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    /// Text for a terminal.
    Table,
    /// JSON (see docs/history.md).
    Json,
}

fn open(db: Option<&str>) -> anyhow::Result<History> {
    let location = match db {
        Some(db) => db.to_owned(),
        None => History::default_path()
            .context("no history database given (--db) and neither XDG_DATA_HOME nor HOME is set")?
            .to_string_lossy()
            .into_owned(),
    };
    Ok(History::open(&location)?)
}

/// The target a file scan is recorded under unless `--target` names one: its paths, made
/// absolute so that scans run from different directories match.
fn default_target(paths: &[String]) -> String {
    let names: Vec<String> = paths
        .iter()
        .map(|p| match p.as_str() {
            "-" => "stdin".to_owned(),
            p => std::fs::canonicalize(p)
                .map_or_else(|_| p.to_owned(), |abs| abs.display().to_string()),
        })
        .collect();
    names.join(",")
}

/// Records a finished scan (`scan --record`); says what was recorded on stderr. The target
/// is `--target`, else the cluster read (its API server, and namespace when one), else the
/// scanned paths.
pub fn record(
    report: &Report,
    inventory: &Inventory,
    args: &ScanArgs,
    cluster: Option<&str>,
) -> anyhow::Result<()> {
    let target = match (&args.target, cluster) {
        (Some(target), _) => target.clone(),
        (None, Some(cluster)) => cluster.to_string(),
        (None, None) => default_target(&args.paths),
    };
    let recorded = record_under(report, inventory, &target, args.db.as_deref())?;
    eprintln!("{recorded}");
    Ok(())
}

/// Records a report under `target` in the history store `db` names (the default store when
/// `None`); returns the line that says what was recorded (`scan --record`, `watch --record`).
pub fn record_under(
    report: &Report,
    inventory: &Inventory,
    target: &str,
    db: Option<&str>,
) -> anyhow::Result<String> {
    let mut scan = NewScan::from_scan(report, inventory, target, now());
    let objects: Vec<Value> = inventory
        .objects
        .iter()
        .map(|o| serde_json::to_value(&*o.id).unwrap_or(Value::Null))
        .collect();
    scan.inventory = Some(InventorySnapshot {
        format: OBJECTS_FORMAT.to_owned(),
        body: json!({ "objects": objects }),
    });
    let mut history = open(db)?;
    let recorded = history
        .record(&scan)
        .with_context(|| format!("recording the scan of {target}"))?;
    Ok(format!(
        "recorded scan {} of {target}: {} findings, {} new, {} fixed",
        recorded.id,
        recorded.counts.total(),
        recorded.appeared,
        recorded.fixed
    ))
}

/// `palisade history` and `palisade history diff`.
pub fn run(args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let mut history = open(args.db.as_deref())?;
    let text = match &args.command {
        Some(HistoryCommand::Diff { a, b }) => diff(&mut history, *a, *b, args.format)?,
        None => list(&mut history, args)?,
    };
    let mut out = crate::output::open(None)?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn list(history: &mut History, args: &HistoryArgs) -> anyhow::Result<String> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, now()))
        .transpose()?;
    let filter = ScanFilter {
        since,
        target: args.target.clone(),
    };
    let scans = history.scans(&filter)?;
    let mut targets: Vec<(String, Vec<(ScanRecord, palisade_history::Changes)>)> = Vec::new();
    for scan in scans {
        let changes = history.changes(&scan)?;
        match targets.last_mut() {
            Some((name, list)) if *name == scan.target => list.push((scan, changes)),
            _ => targets.push((scan.target.clone(), vec![(scan, changes)])),
        }
    }
    Ok(match args.format {
        HistoryFormat::Json => {
            let store = match history.kind() {
                StoreKind::Sqlite => "sqlite",
                StoreKind::Postgres => "postgres",
            };
            let targets: Vec<Value> = targets
                .iter()
                .map(|(name, scans)| {
                    json!({
                        "target": name,
                        "scans": scans.iter().map(|(s, c)| json!({
                            "scan": scan_json(s),
                            "appeared": c.appeared,
                            "fixed": c.fixed,
                        })).collect::<Vec<_>>(),
                        "trend": trend_json(scans.iter().map(|(s, _)| s)),
                    })
                })
                .collect();
            let doc =
                json!({ "store": store, "since": since.map(format_timestamp), "targets": targets });
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        HistoryFormat::Table => list_table(&targets),
    })
}

fn scan_json(scan: &ScanRecord) -> Value {
    let mut value = serde_json::to_value(scan).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("time".into(), format_timestamp(scan.started_at).into());
    }
    value
}

/// Per severity: the series over the listed scans, oldest first, and first-to-last change.
fn trend_json<'a>(scans: impl Iterator<Item = &'a ScanRecord> + Clone) -> Value {
    let mut trend = serde_json::Map::new();
    for severity in Severity::ALL.into_iter().rev() {
        let series: Vec<u64> = scans.clone().map(|s| s.counts.get(severity)).collect();
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let change = match (series.first(), series.last()) {
            (Some(&first), Some(&last)) => signed(last).saturating_sub(signed(first)),
            _ => 0,
        };
        trend.insert(
            severity.as_str().into(),
            json!({ "series": series, "change": change }),
        );
    }
    Value::Object(trend)
}

fn list_table(targets: &[(String, Vec<(ScanRecord, palisade_history::Changes)>)]) -> String {
    let mut out = String::new();
    if targets.is_empty() {
        out.push_str("no recorded scans\n");
    }
    for (name, scans) in targets {
        let _ = writeln!(out, "target {name}");
        let _ = writeln!(
            out,
            "  {:>6}  {:<20}  {:>4} {:>4} {:>4} {:>4} {:>4}  {:>5} {:>5}",
            "SCAN", "TIME", "CRIT", "HIGH", "MED", "LOW", "INFO", "NEW", "FIXED"
        );
        for (scan, changes) in scans {
            let c = scan.counts;
            let _ = writeln!(
                out,
                "  {:>6}  {:<20}  {:>4} {:>4} {:>4} {:>4} {:>4}  {:>5} {:>5}{}",
                scan.id,
                format_timestamp(scan.started_at),
                c.critical,
                c.high,
                c.medium,
                c.low,
                c.info,
                scan.appeared,
                scan.fixed,
                if scan.load_errors > 0 {
                    "  (load errors: findings may be missing)"
                } else {
                    ""
                }
            );
            list_findings(&mut out, "+", &changes.appeared);
            list_findings(&mut out, "-", &changes.fixed);
        }
        if let (Some((first, _)), Some((last, _))) = (scans.first(), scans.last()) {
            let parts: Vec<String> = Severity::ALL
                .into_iter()
                .rev()
                .map(|s| {
                    let (a, b) = (first.counts.get(s), last.counts.get(s));
                    format!("{s} {a}→{b}")
                })
                .collect();
            let _ = writeln!(out, "  trend: {}", parts.join(", "));
        }
    }
    out
}

fn list_findings(out: &mut String, sign: &str, findings: &[StoredFinding]) {
    for f in findings.iter().take(TABLE_LIST_LIMIT) {
        let _ = writeln!(out, "          {sign} {}", finding_line(f));
    }
    if findings.len() > TABLE_LIST_LIMIT {
        let _ = writeln!(
            out,
            "          {sign} … and {} more",
            findings.len() - TABLE_LIST_LIMIT
        );
    }
}

fn finding_line(f: &StoredFinding) -> String {
    let place = if f.line > 0 {
        format!("{}:{}", f.path, f.line)
    } else {
        f.path.clone()
    };
    format!(
        "{} {} {} ({place}): {}",
        f.severity,
        f.rule_id,
        f.object(),
        f.message
    )
}

fn diff(history: &mut History, a: i64, b: i64, format: HistoryFormat) -> anyhow::Result<String> {
    let diff = history.diff(a, b)?;
    Ok(match format {
        HistoryFormat::Json => {
            let doc = json!({
                "from": scan_json(&diff.from),
                "to": scan_json(&diff.to),
                "counts": {
                    "new": diff.new.len(),
                    "fixed": diff.fixed.len(),
                    "unchanged": diff.unchanged.len(),
                },
                "new": diff.new,
                "fixed": diff.fixed,
                "unchanged": diff.unchanged,
            });
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
        HistoryFormat::Table => {
            let mut out = String::new();
            let side = |s: &ScanRecord| {
                format!(
                    "scan {} of {} at {}",
                    s.id,
                    s.target,
                    format_timestamp(s.started_at)
                )
            };
            let _ = writeln!(out, "from {}", side(&diff.from));
            let _ = writeln!(out, "  to {}", side(&diff.to));
            let _ = writeln!(
                out,
                "new {}, fixed {}, unchanged {}",
                diff.new.len(),
                diff.fixed.len(),
                diff.unchanged.len()
            );
            for f in &diff.new {
                let _ = writeln!(out, "  + {}", finding_line(f));
            }
            for f in &diff.fixed {
                let _ = writeln!(out, "  - {}", finding_line(f));
            }
            out
        }
    })
}
