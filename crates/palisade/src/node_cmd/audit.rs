//! The node audit: read the root, run the checks, apply exceptions, render. The table gives
//! pass/fail/manual/info counts per benchmark section (as the benchmark's own report does),
//! the checks that need a person, then the findings; JSON carries every check result beside
//! the Palisade report; SARIF and JUnit carry the findings. Exit codes as `scan`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use palisade_core::exceptions::{self, EXPIRED_EXCEPTION};
use palisade_core::{Config, Inventory, Report, Rule, Stats};
use palisade_node::cis::rules::CATALOG;
use palisade_node::{audit, NodeAudit, NodeRoot, Status};
use palisade_report::{Format, Options};
use serde::Serialize;

use crate::cli::{ColorChoice, FailOn, OutputFormat};
use crate::text_table::TextTable;

/// Audit options.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The node's root directory: `/` on the node itself, or a mounted node image.
    #[arg(long, default_value = "/")]
    pub root: PathBuf,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Write the report to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,

    /// Exit 1 when a finding is at or above this severity (`none`: never).
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub fail_on: FailOn,

    /// Configuration file with exceptions and rule settings (palisade.yaml).
    #[arg(short, long)]
    pub config: Option<PathBuf>,

    /// When to colour the table: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

pub fn run(args: &AuditArgs) -> anyhow::Result<ExitCode> {
    if !args.root.is_dir() {
        bail!("--root {} is not a directory", args.root.display());
    }
    let config = match &args.config {
        Some(path) => crate::config_file::load(path, |id| {
            id == EXPIRED_EXCEPTION.id || CATALOG.iter().any(|r| r.id == id)
        })?,
        None => Config::default(),
    };
    let result = audit(&NodeRoot::new(&args.root));
    let report = report(&result, &config);
    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Junit => Format::Junit,
    };
    if format != Format::Table || args.output.is_some() {
        for err in &report.errors {
            eprintln!("error: {err}");
        }
    }
    let color = crate::output::color(args.color, args.output.as_deref());
    let mut out = crate::output::open(args.output.as_deref())?;
    match args.format {
        OutputFormat::Table => {
            out.write_all(summary_text(args, &result).as_bytes())?;
            palisade_report::render(&report, Format::Table, &Options { color }, &mut out)?;
        }
        OutputFormat::Json => write_json(args, &result, &report, &mut out)?,
        _ => palisade_report::render(&report, format, &Options { color }, &mut out)?,
    }
    out.flush()?;
    Ok(crate::scan::exit_code(&report, args.fail_on))
}

/// The Palisade report of the audit: failures as findings, exceptions applied once.
fn report(result: &NodeAudit, config: &Config) -> Report {
    let findings = result.findings(config);
    let applied = exceptions::apply(
        findings,
        &Inventory::default(),
        config,
        crate::scan::today(),
    );
    let mut findings = applied.findings;
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut rules: Vec<&'static Rule> = CATALOG
        .iter()
        .copied()
        .filter(|r| config.rule_enabled(r.id))
        .collect();
    if findings.iter().any(|f| f.rule_id == EXPIRED_EXCEPTION.id) {
        rules.push(&EXPIRED_EXCEPTION);
    }
    Report {
        version: env!("CARGO_PKG_VERSION"),
        findings,
        suppressed: applied.suppressed,
        errors: result.errors.clone(),
        notes: result.notes.clone(),
        rules,
        stats: Stats {
            inputs: result.inputs,
            objects: 0,
            dockerfiles: 0,
        },
        frameworks: Vec::new(),
    }
}

fn summary_text(args: &AuditArgs, result: &NodeAudit) -> String {
    let layout = match result.layout {
        Some(palisade_node::Layout::Kubeadm) => "kubeadm",
        Some(palisade_node::Layout::K3s) => "k3s",
        _ => "unknown",
    };
    let mut text = format!(
        "Node audit of {} (layout: {layout}; CIS Kubernetes Benchmark v1.10 numbering)\n\n",
        args.root.display()
    );
    let mut table = TextTable::new(&["SECTION", "PASS", "FAIL", "MANUAL", "INFO", "TITLE"]);
    let (mut p, mut f, mut m, mut i) = (0, 0, 0, 0);
    for s in result.summary() {
        p += s.pass;
        f += s.fail;
        m += s.manual;
        i += s.info;
        table.row(vec![
            s.section.to_string(),
            s.pass.to_string(),
            s.fail.to_string(),
            s.manual.to_string(),
            s.info.to_string(),
            s.title.to_string(),
        ]);
    }
    table.row(vec![
        "total".into(),
        p.to_string(),
        f.to_string(),
        m.to_string(),
        i.to_string(),
        String::new(),
    ]);
    text.push_str(&table.render());
    let manual: Vec<_> = result
        .results
        .iter()
        .filter(|r| r.status == Status::Manual)
        .collect();
    if !manual.is_empty() {
        text.push_str("\nTo review by hand:\n");
        for r in manual {
            text.push_str(&format!(
                "  [MANUAL] {} {}: {}\n",
                r.check, r.rule.title, r.message
            ));
        }
    }
    text.push('\n');
    text
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeJson<'a> {
    root: String,
    layout: Option<palisade_node::Layout>,
    summary: Vec<palisade_node::SectionSummary>,
    checks: &'a [palisade_node::CheckResult],
    report: serde_json::Value,
}

fn write_json(
    args: &AuditArgs,
    result: &NodeAudit,
    report: &Report,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    palisade_report::render(report, Format::Json, &Options::default(), &mut buf)?;
    let doc = NodeJson {
        root: args.root.display().to_string(),
        layout: result.layout,
        summary: result.summary(),
        checks: &result.results,
        report: serde_json::from_slice(&buf)?,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")?;
    Ok(())
}
