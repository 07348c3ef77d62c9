//! `palisade sbom TARGET`: the packages of an image (or root filesystem) as CycloneDX 1.6,
//! SPDX 2.3 or a table.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use palisade_image::SourceKind;
use palisade_sbom::format::{
    self, Format, LayerInfo, SbomInput, Subject, SubjectKind, WriteOptions,
};

use super::target::{self, TargetArgs};

/// `palisade sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = SbomFormat::Table)]
    pub format: SbomFormat,

    /// Write the document to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,

    /// Identifiers and timestamp derived from the input instead of random and now (the
    /// same image gives the same bytes).
    #[arg(long)]
    pub deterministic: bool,
}

/// SBOM formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    CyclonedxJson,
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// One line per package.
    Table,
}

pub fn run(args: &SbomArgs) -> anyhow::Result<ExitCode> {
    let opened = target::open(&args.target)?;
    let catalog = target::catalog(&opened);
    for d in &opened.image.diagnostics {
        eprintln!("{}: {d}", opened.subject);
    }
    for w in &catalog.warnings {
        eprintln!("{}: warning: {w}", opened.subject);
    }
    let input = sbom_input(&opened, &catalog);
    let fmt = match args.format {
        SbomFormat::CyclonedxJson => Format::CycloneDxJson,
        SbomFormat::SpdxJson => Format::SpdxJson,
        SbomFormat::Table => Format::Table,
    };
    let text = format::write(
        fmt,
        &input,
        WriteOptions {
            deterministic: args.deterministic,
        },
    );
    let mut out = crate::output::open(args.output.as_deref())?;
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The SBOM's subject and packages from an opened image and its catalog.
pub fn sbom_input(opened: &target::Opened, catalog: &palisade_sbom::Catalog) -> SbomInput {
    let kind = match opened.image.source {
        SourceKind::Rootfs => SubjectKind::Directory,
        _ => SubjectKind::Image,
    };
    let mut subject = Subject::new(opened.subject.clone(), kind);
    subject.digest = opened.digest.clone();
    if kind == SubjectKind::Image {
        let c = &opened.image.config;
        if let (Some(os), Some(arch)) = (&c.os, &c.architecture) {
            subject.platform = Some(format!("{os}/{arch}"));
        }
        subject.layers = opened
            .image
            .layers
            .iter()
            .map(|l| LayerInfo {
                digest: l.digest.clone(),
                created_by: l.created_by.clone(),
            })
            .collect();
    }
    SbomInput::from_catalog(subject, catalog, env!("CARGO_PKG_VERSION"))
}
