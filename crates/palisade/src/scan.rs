//! `palisade scan`: load inputs, hand them to the engine, render, exit.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use palisade_core::inventory::LoadLimits;
use palisade_core::{Config, Date, Report, Severity};
use palisade_engine::{Engine, FrameworkId, PolicyAnalyzer, ScanOptions};
use palisade_imagescan::workloads;
use palisade_report::{Format, Options};

use crate::cli::{FailOn, FrameworkArg, OutputFormat, ScanArgs};
use crate::input;

/// Default config file name, looked up in the first scanned directory.
const CONFIG_FILE: &str = "palisade.yaml";

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let mut engine = Engine::builtin();
    let config_path = find_config(args)?;
    let policies = if args.policies.is_empty() {
        None
    } else {
        Some(crate::policy_files::load(&args.policies)?)
    };
    // One palisade.yaml serves scans with and without --images: image rule ids are known.
    let image_rules = workloads::catalog();
    let policy_rules: Vec<String> = policies
        .iter()
        .flat_map(|(set, _)| set.rules())
        .map(|r| r.id)
        .collect();
    let mut config = match &config_path {
        Some(path) => crate::config_file::load(path, |id| {
            engine.rule(id).is_some()
                || image_rules.iter().any(|r| r.id == id)
                || policy_rules.iter().any(|r| r == id)
        })?,
        None => Config::default(),
    };
    if let Some(env) = &args.environment {
        config.environment = Some(env.clone());
    }

    let limits = LoadLimits {
        max_bytes: args.max_file_size,
        ..LoadLimits::default()
    };
    let started = Instant::now();
    if args.parse_only {
        let inventory = if args.cluster.cluster {
            crate::inventory_cmd::read_cluster(&args.cluster)?.inventory
        } else {
            input::load(&args.paths, config_path.as_deref(), &limits)
        };
        // The parse floor the scan benchmark compares against: same reading and parsing.
        println!(
            "{} inputs, {} objects, {} errors",
            inventory.inputs,
            inventory.objects.len(),
            inventory.errors.len()
        );
        // Ends as a scan ends (below): the memory goes back to the OS in one piece.
        std::mem::forget(inventory);
        return Ok(ExitCode::SUCCESS);
    }
    let frameworks = args.frameworks.iter().map(|f| framework(*f)).collect();
    let options = ScanOptions::on(today()).with_frameworks(frameworks);
    let whole_first = args.cluster.cluster || args.image_flags.images || policies.is_some();
    // What a recorded scan is of, when it is a cluster: its API server and namespace.
    let mut cluster_target = None;
    let (inventory, report) = if whole_first {
        // A cluster is read whole; the images, and the policies' referential data, are known
        // once the inventory is: load it first, then judge everything in one engine run.
        let mut inventory = if args.cluster.cluster {
            let live = crate::inventory_cmd::read_cluster(&args.cluster)?;
            cluster_target = Some(match &live.namespace {
                Some(ns) => format!("{} namespace {ns}", live.cluster),
                None => live.cluster.clone(),
            });
            live.inventory
        } else {
            input::load(&args.paths, config_path.as_deref(), &limits)
        };
        if let Some((mut set, mut diagnostics)) = policies {
            diagnostics.extend(set.set_referential_data(&inventory.objects));
            crate::policy_files::report_problems(diagnostics, &mut inventory);
            engine.register(Box::new(PolicyAnalyzer::new(set)));
        }
        let mut by_vex = Vec::new();
        if args.image_flags.images {
            let judged = workloads::judge(&inventory, &args.image_flags.options(), &config)?;
            inventory.errors.extend(judged.errors);
            by_vex = judged.suppressed;
            engine.register(Box::new(workloads::WorkloadImages {
                findings: judged.findings,
            }));
        }
        let mut report = engine.scan(&inventory, &config, &options);
        report.suppressed.extend(by_vex);
        (inventory, report)
    } else {
        let mut unreadable = Vec::new();
        let inputs = input::expand(&args.paths, config_path.as_deref(), &mut unreadable);
        let (inventory, mut report) =
            engine.scan_sources(&inputs, |i| input::read(i, &limits), &config, &options);
        // Paths that do not exist come first, as they were named first.
        report.errors.splice(0..0, unreadable);
        (inventory, report)
    };
    let loaded = Instant::now();

    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Junit => Format::Junit,
    };
    // The table lists load errors itself; other formats carry them in the document, and
    // stderr says them too so a CI log shows what broke.
    if format != Format::Table || args.output.is_some() {
        for err in &report.errors {
            eprintln!("error: {err}");
        }
    }
    write_report(&report, format, args)?;
    if args.record {
        crate::history_cmd::record(&report, &inventory, args, cluster_target.as_deref())?;
    }
    if args.timings {
        eprintln!(
            "timings: load and analyze {:.3}s, render {:.3}s",
            (loaded - started).as_secs_f64(),
            loaded.elapsed().as_secs_f64()
        );
    }
    let code = exit_code(&report, args.fail_on);
    // The process ends here: freeing millions of nodes one by one would only delay the exit
    // (about 5% of a large scan), so the memory goes back to the OS in one piece instead.
    std::mem::forget(inventory);
    std::mem::forget(report);
    Ok(code)
}

fn framework(arg: FrameworkArg) -> FrameworkId {
    match arg {
        FrameworkArg::PssBaseline => FrameworkId::PssBaseline,
        FrameworkArg::PssRestricted => FrameworkId::PssRestricted,
        FrameworkArg::Cis => FrameworkId::Cis,
        FrameworkArg::Nsa => FrameworkId::Nsa,
        FrameworkArg::Mitre => FrameworkId::Mitre,
    }
}

pub(crate) fn exit_code(report: &Report, fail_on: FailOn) -> ExitCode {
    if !report.errors.is_empty() {
        return ExitCode::from(2);
    }
    let threshold = match fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::None => None,
    };
    match (threshold, report.max_severity()) {
        (Some(t), Some(max)) if max >= t => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn find_config(args: &ScanArgs) -> anyhow::Result<Option<PathBuf>> {
    if let Some(path) = &args.config {
        if !path.is_file() {
            bail!("config file {} does not exist", path.display());
        }
        return Ok(Some(path.clone()));
    }
    if args.cluster.cluster {
        return Ok(None);
    }
    let first_dir = args.paths.iter().map(Path::new).find(|p| p.is_dir());
    Ok(first_dir
        .map(|d| d.join(CONFIG_FILE))
        .filter(|p| p.is_file()))
}

fn write_report(report: &Report, format: Format, args: &ScanArgs) -> anyhow::Result<()> {
    let color = crate::output::color(args.color, args.output.as_deref());
    let options = Options { color };
    match &args.output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::new(file);
            palisade_report::render(report, format, &options, &mut out)?;
            out.flush()?;
        }
        None => {
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            palisade_report::render(report, format, &options, &mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// Today's date in UTC, for exception expiry.
pub(crate) fn today() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date::from_unix_days(i64::try_from(secs / 86_400).unwrap_or(0))
}
