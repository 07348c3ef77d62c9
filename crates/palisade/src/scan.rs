//! `palisade scan`: load inputs, run the analyzers, apply exceptions, render, exit.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use palisade_core::inventory::LoadLimits;
use palisade_core::{exceptions, Config, Date, Finding, Report, Severity, Stats};
use palisade_report::{Format, Options};
use rayon::slice::ParallelSliceMut;

use crate::cli::{ColorChoice, FailOn, OutputFormat, ScanArgs};
use crate::input;

/// Default config file name, looked up in the first scanned directory.
const CONFIG_FILE: &str = "palisade.yaml";

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let config_path = find_config(args)?;
    let mut config = match &config_path {
        Some(path) => load_config(path)?,
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
        let (inventory, _) = input::load(&args.paths, config_path.as_deref(), &limits, |_| ());
        // The parse floor the scan benchmark compares against: same reading and parsing.
        println!(
            "{} inputs, {} objects, {} errors",
            inventory.inputs,
            inventory.objects.len(),
            inventory.errors.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (inventory, per_input) = input::load(&args.paths, config_path.as_deref(), &limits, |l| {
        let mut findings = palisade_checks::check_objects(&l.objects, &config);
        // Sorted here, in parallel and while hot, the final sort only merges runs.
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings
    });
    let loaded = Instant::now();
    let report = analyze(&inventory, per_input, &config, today());
    let analyzed = Instant::now();

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
    if args.timings {
        eprintln!(
            "timings: load {:.3}s, analyze {:.3}s, render {:.3}s",
            (loaded - started).as_secs_f64(),
            (analyzed - loaded).as_secs_f64(),
            analyzed.elapsed().as_secs_f64()
        );
    }
    let code = exit_code(&report, args.fail_on);
    // The process ends here: freeing millions of nodes one by one would only delay the exit
    // (about 5% of a large scan), so the memory goes back to the OS in one piece instead.
    std::mem::forget(inventory);
    std::mem::forget(report);
    Ok(code)
}

/// Analysis proper: the inventory-wide rules joined to the per-object findings made while
/// loading, then exceptions, in place order.
fn analyze(
    inventory: &palisade_core::Inventory,
    per_input: Vec<Vec<palisade_core::Finding>>,
    config: &Config,
    today: Date,
) -> Report {
    // The inventory-wide rules run while the per-input findings are joined and put in
    // place order; then the two sorted runs are merged.
    let (mut cluster, per_input) = rayon::join(
        || palisade_checks::check_cluster(inventory, config),
        || {
            let mut all = Vec::with_capacity(per_input.iter().map(Vec::len).sum::<usize>());
            for part in per_input {
                all.extend(part);
            }
            // Each part is sorted and inputs come in path order, so this is usually sorted
            // already; checking is linear, sorting 10^5 findings is not.
            if !all.is_sorted_by(|a, b| a.sort_key() <= b.sort_key()) {
                all.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            }
            all
        },
    );
    cluster.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let findings = merge_sorted(per_input, cluster);
    let applied = exceptions::apply(findings, inventory, config, today);
    let findings = applied.findings;
    Report {
        version: env!("CARGO_PKG_VERSION"),
        findings,
        suppressed: applied.suppressed,
        errors: inventory.errors.clone(),
        notes: inventory.notes.clone(),
        rules: palisade_checks::catalog()
            .into_iter()
            .filter(|r| config.rule_enabled(r.id))
            .collect(),
        stats: Stats {
            inputs: inventory.inputs,
            objects: inventory.objects.len(),
        },
    }
}

/// Merges two vectors sorted by place into one.
fn merge_sorted(a: Vec<Finding>, b: Vec<Finding>) -> Vec<Finding> {
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut b = b.into_iter().peekable();
    for x in a {
        while let Some(y) = b.next_if(|y| y.sort_key() < x.sort_key()) {
            out.push(y);
        }
        out.push(x);
    }
    out.extend(b);
    out
}

fn exit_code(report: &Report, fail_on: FailOn) -> ExitCode {
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
    let first_dir = args.paths.iter().map(Path::new).find(|p| p.is_dir());
    Ok(first_dir
        .map(|d| d.join(CONFIG_FILE))
        .filter(|p| p.is_file()))
}

fn load_config(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let config = Config::parse(&path.display().to_string(), &text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("invalid config:\n{}", lines.join("\n"))
    })?;
    let unknown = config.check_rule_ids(|id| palisade_checks::rule(id).is_some());
    if !unknown.is_empty() {
        bail!("invalid config:\n{}", unknown.join("\n"));
    }
    Ok(config)
}

fn write_report(report: &Report, format: Format, args: &ScanArgs) -> anyhow::Result<()> {
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
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
fn today() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date::from_unix_days(i64::try_from(secs / 86_400).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::Arc;

    use palisade_core::{Location, ObjectRef};

    use super::*;

    fn at(line: u32, rule: &'static str) -> Finding {
        Finding {
            rule_id: Cow::Borrowed(rule),
            severity: Severity::Low,
            object: Arc::new(ObjectRef {
                api_version: "v1".into(),
                kind: "Pod".into(),
                namespace: None,
                name: "p".into(),
            }),
            location: Location {
                path: "a.yaml".into(),
                line,
                col: 1,
            },
            field: None,
            message: String::new(),
            evidence: None,
        }
    }

    #[test]
    fn merge_keeps_place_order() {
        let a = vec![at(1, "A"), at(5, "A"), at(9, "A")];
        let b = vec![at(0, "B"), at(5, "B"), at(12, "B")];
        let merged: Vec<(u32, &str)> = merge_sorted(a, b)
            .iter()
            .map(|f| (f.location.line, &*f.rule_id))
            .map(|(l, r)| (l, if r == "A" { "A" } else { "B" }))
            .collect();
        assert_eq!(
            merged,
            [(0, "B"), (1, "A"), (5, "A"), (5, "B"), (9, "A"), (12, "B")]
        );
    }
}
