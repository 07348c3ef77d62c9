//! `palisade image merge REPORT...`: other scanners' reports of one image, joined.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use palisade_imagescan::merge::{self, read_report_file};
use palisade_imagescan::vex::{self, OpenVexDocument, VexIndex};

/// `palisade image merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Reports: Trivy JSON, Grype JSON, CycloneDX JSON (with vulnerabilities, or VEX only).
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = MergeFormat::Table)]
    pub format: MergeFormat,

    /// OpenVEX documents whose statements mark the rows (repeatable).
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,

    /// The image the OpenVEX statements are matched against (reference, digest or `pkg:oci`
    /// purl); default: the target the first report names.
    #[arg(long, value_name = "REF")]
    pub product: Option<String>,
}

/// Formats of a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MergeFormat {
    /// One row per vulnerability and package, with a column per scanner.
    Table,
    /// The `palisade.merge/v1` document.
    Json,
}

pub fn run(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::new();
    for path in &args.reports {
        let report = read_report_file(path).map_err(|e| anyhow::anyhow!("{e}"))?;
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
        reports.push(report);
    }
    let mut merged = merge::merge(&reports);
    if !args.vex.is_empty() {
        let mut documents = Vec::new();
        for path in &args.vex {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            documents.push(
                OpenVexDocument::parse(&path.display().to_string(), &bytes)
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            );
        }
        let index = VexIndex::from_documents(documents);
        let product = args
            .product
            .clone()
            .or_else(|| reports.first().and_then(|r| r.target.clone()))
            .unwrap_or_default();
        let marked = vex::mark_rows(&mut merged, &index, &product);
        eprintln!("{marked} rows marked by OpenVEX statements for {product}");
    }
    let text = match args.format {
        MergeFormat::Table => merge::to_table(&merged),
        MergeFormat::Json => merge::to_json(&merged),
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
