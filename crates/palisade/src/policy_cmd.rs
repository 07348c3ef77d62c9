//! `palisade policy test DIR`: runs Gatekeeper `gator verify` suites (each `kind: Suite`
//! file under DIR with its templates, constraints and cases) with the same evaluator
//! `palisade-policy` gives the scan, and reports each case.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use palisade_policy::suite::{self, Outcome};

/// `palisade policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// `palisade policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run every Gatekeeper suite (`kind: Suite`, as `gator verify` reads them) under DIR
    /// and report each case; exit 1 when one fails.
    Test {
        /// Directory searched for suite files (`*.yaml`, `*.yml`).
        dir: PathBuf,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t = SuiteFormat::Table)]
        format: SuiteFormat,
        /// List passing cases too (by default only failures and the totals).
        #[arg(short, long)]
        verbose: bool,
    },
}

/// Formats of a suite run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SuiteFormat {
    /// One line per case, then totals.
    Table,
    /// `{passed, failed, skipped, results: [{suite, test, case, outcome, reason}]}`.
    Json,
}

pub fn run(args: &PolicyArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        PolicyCommand::Test {
            dir,
            format,
            verbose,
        } => test(dir, *format, *verbose),
    }
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "pass",
        Outcome::Failed => "FAIL",
        Outcome::Skipped => "skip",
    }
}

fn test(dir: &PathBuf, format: SuiteFormat, verbose: bool) -> anyhow::Result<ExitCode> {
    if !dir.is_dir() {
        anyhow::bail!("{}: not a directory", dir.display());
    }
    let run = suite::run_dir(dir);
    let (passed, failed, skipped) = (
        run.count(Outcome::Passed),
        run.count(Outcome::Failed),
        run.count(Outcome::Skipped),
    );
    let mut out = io::stdout().lock();
    match format {
        SuiteFormat::Json => {
            let results: Vec<serde_json::Value> = run
                .results
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "suite": r.suite.display().to_string(),
                        "test": r.test,
                        "case": r.case,
                        "outcome": match r.outcome {
                            Outcome::Passed => "passed",
                            Outcome::Failed => "failed",
                            Outcome::Skipped => "skipped",
                        },
                        "reason": r.reason,
                    })
                })
                .collect();
            let doc = serde_json::json!({
                "passed": passed, "failed": failed, "skipped": skipped, "results": results,
            });
            serde_json::to_writer_pretty(&mut out, &doc).context("writing the results")?;
            writeln!(out)?;
        }
        SuiteFormat::Table => {
            for r in &run.results {
                if r.outcome == Outcome::Passed && !verbose {
                    continue;
                }
                let suite = r.suite.strip_prefix(dir).unwrap_or(&r.suite);
                let case = if r.case.is_empty() {
                    String::new()
                } else {
                    format!(" / {}", r.case)
                };
                write!(
                    out,
                    "{:4}  {} :: {}{}",
                    outcome_name(r.outcome),
                    suite.display(),
                    r.test,
                    case
                )?;
                if r.reason.is_empty() {
                    writeln!(out)?;
                } else {
                    writeln!(out, "\n      {}", r.reason.replace('\n', "\n      "))?;
                }
            }
            writeln!(
                out,
                "{passed} passed, {failed} failed, {skipped} skipped ({} cases)",
                run.results.len()
            )?;
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
