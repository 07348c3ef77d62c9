//! `palisade probe TARGET...`: network probes of Kubernetes components (etcd, kubelet, API
//! server, dashboard, NodePorts, TLS), rendered like a scan. Only loopback targets unless
//! `--allow-remote` is given.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::Args;
use palisade_core::exceptions::{self, EXPIRED_EXCEPTION};
use palisade_core::{Config, Inventory, Report, Rule, Stats};
use palisade_node::probe::{self, PortState, ProbeOptions, ProbeRun};
use palisade_report::{Format, Options};

use crate::cli::{ColorChoice, FailOn, OutputFormat};
use crate::text_table::TextTable;

/// Most ports per host `--ports` and `--nodeports` may name together.
const MAX_PORTS: usize = 1024;

/// `palisade probe`.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Hosts, host:port, [IPv6]:port, or CIDR blocks up to a /24 (IPv6: /120). Without
    /// `--allow-remote` every address must be loopback (127.0.0.0/8, ::1).
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Write the report to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,

    /// Exit 1 when a finding is at or above this severity (`none`: never).
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub fail_on: FailOn,

    /// Connect and idle-read timeout, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1500)]
    pub timeout: u64,

    /// Longest time spent on one host:port (all its requests), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub target_timeout: u64,

    /// Time budget of the whole run, in seconds; endpoints not started by then are reported
    /// as skipped.
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0)]
    pub budget: f64,

    /// Endpoints probed at once (each holds at most one socket).
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,

    /// Component ports probed on targets given without a port (comma list, ranges allowed).
    #[arg(
        long,
        value_name = "LIST",
        default_value = "2379,6443,8443,8080,10250,10255,443,9090"
    )]
    pub ports: String,

    /// NodePort-range sample probed on targets given without a port (empty: none).
    #[arg(
        long,
        value_name = "LIST",
        default_value = "30000,30080,30443,31000,32000"
    )]
    pub nodeports: String,

    /// Most bytes read of one response.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_response_bytes: usize,

    /// Probe addresses outside loopback. Only probe hosts you are authorised to test.
    #[arg(long)]
    pub allow_remote: bool,

    /// Configuration file whose exceptions and rule settings apply (kind `Endpoint`, name
    /// `HOST:PORT`).
    #[arg(short, long)]
    pub config: Option<PathBuf>,

    /// When to colour the table: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

pub fn run(args: &ProbeArgs) -> anyhow::Result<ExitCode> {
    let options = options(args)?;
    let mut targets = Vec::new();
    for spec in &args.targets {
        targets.push(probe::parse_target(spec, &options)?);
    }
    let config = match &args.config {
        Some(path) => crate::config_file::load(path, |id| {
            id == EXPIRED_EXCEPTION.id || probe::RULES.iter().any(|r| r.id == id)
        })?,
        None => Config::default(),
    };
    let run = probe::run(&targets, &options);
    let report = report(&run, targets.len(), &config, args.config.is_some());
    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Junit => Format::Junit,
    };
    write(&run, &report, format, args)?;
    if run.budget_exhausted {
        eprintln!(
            "warning: the {}s budget ran out; some endpoints were skipped",
            args.budget
        );
    }
    Ok(crate::scan::exit_code(&report, args.fail_on))
}

fn options(args: &ProbeArgs) -> anyhow::Result<ProbeOptions> {
    if !(args.budget.is_finite() && args.budget > 0.0) {
        bail!("--budget must be a positive number of seconds");
    }
    if args.timeout == 0 || args.target_timeout == 0 || args.concurrency == 0 {
        bail!("--timeout, --target-timeout and --concurrency must be positive");
    }
    let ports = port_list("--ports", &args.ports)?;
    let nodeports = port_list("--nodeports", &args.nodeports)?;
    if ports.len() + nodeports.len() > MAX_PORTS {
        bail!("--ports and --nodeports name more than {MAX_PORTS} ports together");
    }
    Ok(ProbeOptions {
        ports,
        nodeports,
        connect_timeout: Duration::from_millis(args.timeout),
        io_timeout: Duration::from_millis(args.timeout),
        endpoint_timeout: Duration::from_millis(args.target_timeout),
        budget: Duration::from_secs_f64(args.budget.min(86_400.0)),
        concurrency: args.concurrency.min(1024),
        max_response_bytes: args.max_response_bytes,
        allow_remote: args.allow_remote,
        ..ProbeOptions::default()
    })
}

/// `2379,6443,30000-30010`: ports and inclusive ranges, without duplicates.
fn port_list(flag: &str, text: &str) -> anyhow::Result<Vec<u16>> {
    let mut ports = Vec::new();
    let parse = |p: &str| -> anyhow::Result<u16> {
        match p.trim().parse::<u16>() {
            Ok(0) | Err(_) => bail!("{flag}: `{}` is not a port (1-65535)", p.trim()),
            Ok(n) => Ok(n),
        }
    };
    for item in text.split(',').filter(|s| !s.trim().is_empty()) {
        let (low, high) = match item.split_once('-') {
            Some((a, b)) => (parse(a)?, parse(b)?),
            None => {
                let p = parse(item)?;
                (p, p)
            }
        };
        if low > high || usize::from(high - low) >= MAX_PORTS {
            bail!("{flag}: range `{item}` is empty or longer than {MAX_PORTS} ports");
        }
        for port in low..=high {
            if !ports.contains(&port) {
                ports.push(port);
            }
        }
    }
    Ok(ports)
}

/// The run as a scan report: findings (after rule settings and exceptions), one note per
/// endpoint result, the probe rules.
fn report(run: &ProbeRun, targets: usize, config: &Config, with_config: bool) -> Report {
    let findings: Vec<_> = probe::findings(run)
        .into_iter()
        .filter(|f| config.rule_enabled(&f.rule_id))
        .map(|mut f| {
            let default = f.severity;
            f.severity = config.severity_for(&f.rule_id, default);
            f
        })
        .collect();
    let mut applied = exceptions::apply(
        findings,
        &Inventory::default(),
        config,
        crate::scan::today(),
    );
    applied
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut rules: Vec<&'static Rule> = probe::RULES
        .iter()
        .copied()
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
        notes: probe::notes(run),
        rules,
        stats: Stats {
            inputs: targets,
            objects: run.endpoints.len(),
            dockerfiles: 0,
        },
        frameworks: Vec::new(),
    }
}

fn write(run: &ProbeRun, report: &Report, format: Format, args: &ProbeArgs) -> anyhow::Result<()> {
    let color = crate::output::color(args.color, args.output.as_deref());
    let mut out = crate::output::open(args.output.as_deref())?;
    if format == Format::Table {
        write_endpoints(run, &mut out)?;
    }
    palisade_report::render(report, format, &Options { color }, &mut out)?;
    out.flush()?;
    Ok(())
}

/// The table's first part: each endpoint that was not simply closed, and how many were.
fn write_endpoints(run: &ProbeRun, out: &mut dyn Write) -> io::Result<()> {
    let mut table = TextTable::new(&["ENDPOINT", "STATE", "SERVICE", "RESULT"]);
    let mut closed = 0;
    for ep in &run.endpoints {
        if ep.state == PortState::Closed {
            closed += 1;
            continue;
        }
        let service = ep
            .service
            .as_ref()
            .map_or_else(|| "-".to_string(), ToString::to_string);
        table.row(vec![
            probe::location(ep).path.to_string(),
            ep.state.to_string(),
            sanitize(&service),
            sanitize(&ep.summary),
        ]);
    }
    writeln!(out, "Endpoints")?;
    if closed < run.endpoints.len() {
        write!(out, "{}", table.render())?;
    }
    writeln!(
        out,
        "  {} endpoints probed in {:.1}s; {closed} closed",
        run.endpoints.len(),
        run.elapsed.as_secs_f64()
    )?;
    writeln!(out)?;
    Ok(())
}

/// Server-controlled text never reaches the terminal with control characters.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
