//! `palisade image scan TARGET`: an image's known vulnerabilities (from the imported OSV
//! data), the secrets in its layers and configuration, and how it is configured to run, as
//! one report in the scan's formats.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use palisade_core::exceptions::{self, EXPIRED_EXCEPTION};
use palisade_core::{Config, Finding, Inventory, Report, Rule, Stats};
use palisade_image::Limits;
use palisade_imagescan::vex;
use palisade_imagescan::vulns::{self, VulnOptions};
use palisade_imagescan::workloads;
use palisade_imagescan::Options;
use palisade_report::{Format, Options as RenderOptions};

use super::target::{self, TargetArgs};
use crate::cli::{ColorChoice, FailOn, OutputFormat};

/// `palisade image scan`.
#[derive(Debug, Args)]
pub struct ImageScanArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Write the report to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,

    /// Exit 1 when a finding is at or above this severity (`none`: never).
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub fail_on: FailOn,

    /// The vulnerability database (default: the one `palisade db import|update` fills in
    /// the user's cache directory).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// Do not look up vulnerabilities (secrets and configuration only).
    #[arg(long)]
    pub skip_vulns: bool,

    /// Leave out vulnerabilities that have no fixed version yet.
    #[arg(long)]
    pub ignore_unfixed: bool,

    /// OpenVEX documents (repeatable): a `not_affected` or `fixed` statement for the image
    /// and package suppresses the vulnerability, listed with the other suppressed findings.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,

    /// Warn when an ecosystem's data is older than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub max_db_age: u64,

    /// Configuration file (rule settings, exceptions with `kind: Image`, approved
    /// registries).
    #[arg(short, long)]
    pub config: Option<PathBuf>,

    /// When to colour the table: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

pub fn run(args: &ImageScanArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => crate::config_file::load(path, |id| {
            id == EXPIRED_EXCEPTION.id || workloads::catalog().iter().any(|r| r.id == id)
        })?,
        None => Config::default(),
    };
    let vex = vex::read_files(&args.vex)?;
    let db = if args.skip_vulns {
        None
    } else {
        vulns::open_db(args.db.as_deref(), args.max_db_age, |w| {
            eprintln!("warning: {w}")
        })?
    };
    let opened = target::open(&args.target)?;
    let limits = Limits::default();
    let catalog = target::catalog(&opened);
    let options = Options {
        limits,
        reference: opened.pulled.then_some(opened.subject.as_str()),
        packages: Some(&catalog.packages),
        ..Options::default()
    };
    let analysis =
        palisade_imagescan::analyze_with(&opened.image, &opened.subject, &config, &options);
    let mut findings: Vec<Finding> = analysis.findings;
    let mut by_vex = Vec::new();
    if let Some(db) = &db {
        let found = vulns::match_packages(
            db,
            &catalog.packages,
            catalog.os.as_ref(),
            VulnOptions {
                ignore_unfixed: args.ignore_unfixed,
            },
        )
        .context("matching the packages against the vulnerability database")?;
        let found_findings = vulns::findings(
            &found,
            &catalog.packages,
            vulns::Subject {
                name: &opened.subject,
                digest: opened.digest.as_deref(),
                layers: &opened.image.layers,
            },
            &vex,
            &config,
        );
        findings.extend(found_findings.findings);
        by_vex = found_findings.suppressed;
    }
    for d in &analysis.diagnostics {
        eprintln!("{}: {d}", opened.subject);
    }
    for w in &catalog.warnings {
        eprintln!("{}: warning: {w}", opened.subject);
    }
    let mut report = report(
        findings,
        &config,
        args.config.is_some(),
        catalog.packages.len(),
    );
    report.suppressed.extend(by_vex);
    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Junit => Format::Junit,
    };
    write(&report, format, args)?;
    Ok(crate::scan::exit_code(&report, args.fail_on))
}

fn report(findings: Vec<Finding>, config: &Config, with_config: bool, packages: usize) -> Report {
    let mut applied = exceptions::apply(
        findings,
        &Inventory::default(),
        config,
        crate::scan::today(),
    );
    applied.findings.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then(a.message.cmp(&b.message))
    });
    let mut rules: Vec<&'static Rule> = workloads::catalog()
        .into_iter()
        .filter(|r| config.rule_enabled(r.id))
        .collect();
    if with_config {
        rules.push(&EXPIRED_EXCEPTION);
    }
    Report {
        version: env!("CARGO_PKG_VERSION"),
        findings: applied.findings,
        suppressed: applied.suppressed,
        errors: Vec::new(),
        notes: Vec::new(),
        rules,
        stats: Stats {
            inputs: 1,
            objects: packages,
            dockerfiles: 0,
        },
        frameworks: Vec::new(),
    }
}

fn write(report: &Report, format: Format, args: &ImageScanArgs) -> anyhow::Result<()> {
    let color = crate::output::color(args.color, args.output.as_deref());
    let mut out = crate::output::open(args.output.as_deref())?;
    palisade_report::render(report, format, &RenderOptions { color }, &mut out)?;
    out.flush()?;
    Ok(())
}
