//! `palisade inventory`: the asset list of a cluster or of manifests; and the one place the
//! CLI turns its cluster flags into a live read (`scan --cluster` uses it too).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use palisade_core::inventory::LoadLimits;
use palisade_live::assets::{render, AssetFormat, Assets};
use palisade_live::{ClusterOptions, LiveInventory, Scope};

use crate::cli::ClusterArgs;
use crate::input;

/// `palisade inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Manifests to list (files, directories, `-` for stdin), when not `--cluster`.
    #[arg(default_value = ".")]
    pub paths: Vec<String>,

    /// A running cluster instead of files.
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = InventoryFormat::Table)]
    pub format: InventoryFormat,

    /// Write to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Formats of the asset list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    /// A section per asset type.
    Table,
    /// One JSON document (see docs/live.md).
    Json,
    /// One row per fact: asset,namespace,kind,name,item,value.
    Csv,
}

/// Reads the cluster the flags name. What could not be read (forbidden kinds, failed lists)
/// is in the inventory's errors, so the report lists it and the exit code is 2.
pub fn read_cluster(args: &ClusterArgs) -> anyhow::Result<LiveInventory> {
    let scope = match (&args.namespace, args.all_namespaces) {
        (_, true) => Scope::All,
        (Some(ns), false) => Scope::Namespace(ns.clone()),
        (None, false) => Scope::Context,
    };
    let options = ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        scope,
        ..ClusterOptions::default()
    };
    palisade_live::read_cluster(&options).context("cannot read the cluster")
}

pub fn run(args: &InventoryArgs) -> anyhow::Result<ExitCode> {
    let (inventory, controlled) = if args.cluster.cluster {
        let live = read_cluster(&args.cluster)?;
        (live.inventory, live.controlled)
    } else {
        let inventory = input::load(&args.paths, None, &LoadLimits::default());
        (inventory, Vec::new())
    };
    let assets = Assets::of(&inventory, &controlled);
    let format = match args.format {
        InventoryFormat::Table => AssetFormat::Table,
        InventoryFormat::Json => AssetFormat::Json,
        InventoryFormat::Csv => AssetFormat::Csv,
    };
    let mut out = crate::output::open(args.output.as_deref())?;
    render(&assets, format, &mut out)?;
    out.flush()?;
    // The list is incomplete when something could not be read: say what, and exit 2.
    for err in &inventory.errors {
        eprintln!("error: {err}");
    }
    Ok(if inventory.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
