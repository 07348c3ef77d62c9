//! `palisade watch`: a cluster kept current with watch streams (palisade-live's watcher),
//! its report and metrics served over HTTP, changes recorded with `--record`; and
//! `palisade watch manifests`, the install that runs it in a cluster.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use palisade_core::{Config, Inventory, Report};
use palisade_engine::{Engine, ScanOptions};
use palisade_live::watch::{run, WatchOptions};
use palisade_live::{ClusterOptions, Scope};
use palisade_report::{Format, Options};

/// `palisade watch`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct WatchArgs {
    /// `manifests` prints the install that runs the watcher in a cluster.
    #[command(subcommand)]
    pub command: Option<WatchCommand>,

    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Watch one namespace (default: the context's namespace).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,

    /// Watch every namespace.
    #[arg(short = 'A', long = "all-namespaces", conflicts_with = "namespace")]
    pub all_namespaces: bool,

    /// Address of the HTTP endpoint: `/metrics`, `/report`, `/healthz`, `/readyz`.
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub listen: SocketAddr,

    /// Record each settled change set that changes the findings in the history store
    /// (the first full sync included).
    #[arg(long)]
    pub record: bool,

    /// History database for --record: a file path, or a `postgres://user@host/db` URL
    /// (default: `$XDG_DATA_HOME/palisade/history.db`).
    #[arg(long, value_name = "URL|PATH", requires = "record")]
    pub db: Option<String>,

    /// Name the recorded scans are filed under (default: the API server URL, and
    /// `namespace NS` when one namespace is watched, as `scan --cluster --record` names it).
    #[arg(long, value_name = "NAME", requires = "record")]
    pub target: Option<String>,

    /// `palisade.yaml`: rule settings and exceptions.
    #[arg(short, long)]
    pub config: Option<PathBuf>,

    /// Milliseconds the inventory-wide analyses (RBAC, network) wait after a change for
    /// more changes, so a burst costs one run.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub debounce_ms: u64,
}

/// `palisade watch` subcommands.
#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    /// Print the manifests that run the watcher in a cluster: Namespace, ServiceAccount,
    /// read-only ClusterRole and binding, Deployment, Service (metrics), NetworkPolicies.
    Manifests(crate::watch_manifests::ManifestsArgs),
}

pub fn run_cmd(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    if let Some(WatchCommand::Manifests(m)) = &args.command {
        return crate::watch_manifests::run(m);
    }
    let engine = Engine::builtin();
    let config = match &args.config {
        Some(path) => crate::config_file::load(path, |id| engine.rule(id).is_some())?,
        None => Config::default(),
    };
    let scope = match (&args.namespace, args.all_namespaces) {
        (_, true) => Scope::All,
        (Some(ns), false) => Scope::Namespace(ns.clone()),
        (None, false) => Scope::Context,
    };
    let cluster = ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        scope,
        ..ClusterOptions::default()
    };
    let on_change: Option<palisade_live::watch::OnChange> = if args.record {
        let db = args.db.clone();
        let name = args.target.clone();
        Some(Box::new(
            move |report: &Report, inventory: &Inventory, target: &str| {
                let target = name.as_deref().unwrap_or(target);
                // A store that cannot be written is said, not fatal: the watch goes on.
                match crate::history_cmd::record_under(report, inventory, target, db.as_deref()) {
                    Ok(line) => eprintln!("{line}"),
                    Err(e) => eprintln!("error: {e:#}"),
                }
            },
        ))
    } else {
        None
    };
    let options = WatchOptions {
        cluster,
        listen: args.listen,
        debounce: Duration::from_millis(args.debounce_ms),
        engine,
        config,
        scan: ScanOptions::on(crate::scan::today()),
        render: Box::new(render_json),
        on_change,
    };
    run(options).context("cannot watch the cluster")?;
    Ok(ExitCode::SUCCESS)
}

/// The report as `palisade scan --format json` prints it.
fn render_json(report: &Report) -> Vec<u8> {
    let mut out = Vec::new();
    if let Err(e) =
        palisade_report::render(report, Format::Json, &Options { color: false }, &mut out)
    {
        return format!("{{\"error\": {:?}}}", e.to_string()).into_bytes();
    }
    out
}
