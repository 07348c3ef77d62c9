//! `palisade db import|update|status`: the OSV vulnerability data `palisade image scan`
//! matches against, kept in one SQLite file under the user's cache directory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use palisade_vulndb::{Db, UpdateStatus, OSV_BASE_URL};

/// `palisade db`.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// The database file (default: `palisade/vulndb.sqlite` in the user's cache directory).
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// `palisade db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Load OSV records: directories of `.json`/`.yaml` records, single records, or zips as
    /// OSV publishes per ecosystem. A record replaces a stored one unless that one is newer.
    Import {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Download each ecosystem's archive (`BASE/ECOSYSTEM/all.zip`) and import it; an
    /// archive that did not change since the last download is not fetched again.
    Update {
        /// Where the archives are served (default: OSV's public bucket).
        #[arg(long, default_value = OSV_BASE_URL)]
        url: String,
        /// Ecosystems to fetch (repeatable).
        #[arg(long = "ecosystem", value_name = "NAME", default_values_t = default_ecosystems())]
        ecosystems: Vec<String>,
    },
    /// Ecosystems in the database, their record counts and the age of their data.
    Status {
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = StatusFormat::Table)]
        format: StatusFormat,
    },
}

/// Formats of `db status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// One line per ecosystem.
    Table,
    /// `{path, ecosystems: [{ecosystem, records, withdrawn, importedAt, source, ageSeconds}]}`.
    Json,
}

fn default_ecosystems() -> Vec<String> {
    ["Alpine", "Debian", "Ubuntu", "PyPI", "Go", "npm", "Maven"]
        .into_iter()
        .map(String::from)
        .collect()
}

fn open(args: &DbArgs) -> anyhow::Result<Db> {
    let path = match &args.db {
        Some(p) => p.clone(),
        None => Db::default_path()
            .context("no cache directory for the database (set HOME or XDG_CACHE_HOME, or --db)")?,
    };
    Db::open(&path)
        .with_context(|| format!("opening the vulnerability database {}", path.display()))
}

pub fn run(args: &DbArgs) -> anyhow::Result<ExitCode> {
    let mut db = open(args)?;
    match &args.command {
        DbCommand::Import { paths } => {
            let mut failed = false;
            for path in paths {
                let report = db
                    .import(path)
                    .with_context(|| format!("importing {}", path.display()))?;
                for d in &report.diagnostics {
                    eprintln!("warning: {}: {}", d.source, d.message);
                }
                let per: Vec<String> = report
                    .ecosystems
                    .iter()
                    .map(|(e, n)| format!("{e} {n}"))
                    .collect();
                println!(
                    "{}: {} records from {} files ({} added, {} replaced, {} kept as newer); {}",
                    path.display(),
                    report.records,
                    report.files,
                    report.added,
                    report.replaced,
                    report.kept_newer,
                    per.join(", ")
                );
                failed |= report.records == 0 && !report.diagnostics.is_empty();
            }
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        DbCommand::Update { url, ecosystems } => {
            let names: Vec<&str> = ecosystems.iter().map(String::as_str).collect();
            let mut failed = false;
            for outcome in db.update(url, &names) {
                match outcome.result {
                    Ok(UpdateStatus::Imported(report)) => println!(
                        "{}: {} records imported from {}",
                        outcome.ecosystem, report.records, outcome.url
                    ),
                    Ok(UpdateStatus::NotModified) => {
                        println!("{}: up to date ({})", outcome.ecosystem, outcome.url)
                    }
                    Err(e) => {
                        failed = true;
                        eprintln!("error: {}: {} ({})", outcome.ecosystem, e, outcome.url);
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        DbCommand::Status { format } => status(&db, *format),
    }
}

fn status(db: &Db, format: StatusFormat) -> anyhow::Result<ExitCode> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let rows = db.status().context("reading the database status")?;
    match format {
        StatusFormat::Json => {
            let ecosystems: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "ecosystem": r.ecosystem,
                        "records": r.records,
                        "withdrawn": r.withdrawn,
                        "importedAt": r.imported_at,
                        "source": r.source,
                        "ageSeconds": r.age_secs(now),
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "path": db.path().display().to_string(),
                "ecosystems": ecosystems,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        StatusFormat::Table => {
            println!("database: {}", db.path().display());
            if rows.is_empty() {
                println!("no records (run `palisade db import PATH` or `palisade db update`)");
            }
            let mut table = crate::text_table::TextTable::new(&[
                "ECOSYSTEM",
                "RECORDS",
                "WITHDRAWN",
                "AGE",
                "SOURCE",
            ]);
            for r in &rows {
                table.row(vec![
                    r.ecosystem.clone(),
                    r.records.to_string(),
                    r.withdrawn.to_string(),
                    r.age_secs(now).map_or_else(|| "-".into(), age),
                    r.source.clone().unwrap_or_else(|| "-".into()),
                ]);
            }
            if !rows.is_empty() {
                print!("{}", table.render());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `3d 4h`, `5h 12m`, `40s`.
fn age(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    }
}
