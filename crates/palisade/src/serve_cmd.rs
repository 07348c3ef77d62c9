//! `palisade serve --admission`: the HTTPS validating admission webhook (`palisade-server`),
//! judging each AdmissionReview with the scan's engine, the configuration's exceptions and
//! modes, and the user policies given with `--policies`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use palisade_core::Config;
use palisade_live::watch::{feed, Sink};
use palisade_live::{ClusterOptions, Scope};
use palisade_server::{
    dev_cert, AdmissionConfig, CertSource, Change, ContextCache, ServerConfig, CACHED_KINDS,
};
use std::sync::Arc;

/// `palisade serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve the validating admission webhook (`POST /validate`, `/healthz`, `/readyz`,
    /// `/metrics`). The only server so far; required so later servers can have their own
    /// switch.
    #[arg(long, required = true)]
    pub admission: bool,

    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,

    /// Certificate chain (PEM); reloaded when it changes on disk (cert-manager rotation).
    #[arg(long, requires = "key", conflicts_with = "dev_cert")]
    pub cert: Option<PathBuf>,

    /// Private key (PEM) of the certificate.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,

    /// A self-signed certificate for localhost and 127.0.0.1, made at start (local use).
    #[arg(long)]
    pub dev_cert: bool,

    /// `palisade.yaml`: rule settings, exceptions, and the `admission:` section (modes per
    /// rule, exempt namespaces).
    #[arg(short, long)]
    pub config: Option<PathBuf>,

    /// Seconds to keep serving after SIGTERM with `/readyz` answering 503, before closing
    /// the listener and draining: time for a cluster to stop routing to a terminating pod.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub shutdown_delay: u64,

    /// Files or directories of user policies: Gatekeeper ConstraintTemplates and
    /// Constraints, ValidatingAdmissionPolicies and bindings, plain `*.rego` modules.
    #[arg(long, value_name = "PATH")]
    pub policies: Vec<PathBuf>,

    /// Memory for remembered Gatekeeper template decisions, in MiB (0: none). A template's
    /// answer is reused for a request that agrees with an earlier one on every field the
    /// template's Rego can read (replicas of one pod template, re-applied manifests).
    #[arg(long, value_name = "MIB", default_value_t = 16)]
    pub policy_cache_mb: usize,

    /// Keep the rules' cluster context (Namespaces, ServiceAccounts, LimitRanges) current
    /// from the API server with watch streams; `/readyz` waits for their first list. On by
    /// default in a pod (KUBERNETES_SERVICE_HOST set), with its service account.
    #[arg(long, conflicts_with = "no_cluster")]
    pub cluster: bool,

    /// Do not read the cluster, even in a pod: requests are judged alone.
    #[arg(long)]
    pub no_cluster: bool,

    /// Kubeconfig file for --cluster (default: $KUBECONFIG, ~/.kube/config, in-cluster).
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context for --cluster.
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,
}

/// Feeds watch events into the webhook's context cache.
struct CacheSink(Arc<ContextCache>);

impl Sink for CacheSink {
    fn replace(&self, kind: &str, objects: &[serde_json::Value]) {
        if let Err(e) = self.0.replace(kind, objects) {
            eprintln!("warning: cluster cache: {kind}: {e}");
        }
    }

    fn apply(&self, kind: &str, deleted: bool, object: &serde_json::Value) {
        let change = if deleted {
            Change::Delete
        } else {
            Change::Upsert
        };
        if let Err(e) = self.0.apply(kind, change, object) {
            eprintln!("warning: cluster cache: {kind}: {e}");
        }
    }

    fn failed(&self, kind: &str, message: &str) {
        eprintln!("warning: cluster cache: cannot list {kind} (retrying): {message}");
    }

    fn synced(&self) {
        self.0.set_synced(true);
        eprintln!("cluster cache synced");
    }
}

/// Starts the cache feeder when asked (`--cluster`) or in a pod; `None` otherwise. In a pod
/// without `--cluster`, a feeder that cannot start is a warning and requests are judged
/// alone; with `--cluster` it is an error.
fn cluster_cache(args: &ServeArgs) -> anyhow::Result<Option<Arc<ContextCache>>> {
    let in_pod = std::env::var_os("KUBERNETES_SERVICE_HOST").is_some();
    if args.no_cluster || !(args.cluster || in_pod) {
        return Ok(None);
    }
    let cache = Arc::new(ContextCache::new());
    let options = ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        scope: Scope::All,
        ..ClusterOptions::default()
    };
    let sink: Arc<dyn Sink> = Arc::new(CacheSink(Arc::clone(&cache)));
    match feed(&options, &CACHED_KINDS, sink) {
        Ok(_running) => Ok(Some(cache)),
        Err(e) if !args.cluster => {
            eprintln!("warning: cannot read the cluster; requests are judged alone: {e}");
            Ok(None)
        }
        Err(e) => Err(anyhow::Error::new(e).context("--cluster")),
    }
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let cert = match (&args.cert, &args.key, args.dev_cert) {
        (Some(cert), Some(key), false) => CertSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        (None, None, true) => {
            CertSource::Pem(dev_cert(&[]).map_err(|e| anyhow::anyhow!("--dev-cert: {e}"))?)
        }
        _ => bail!("give --cert and --key, or --dev-cert"),
    };
    let mut server = ServerConfig::new(args.listen, cert);
    server.limits.shutdown_delay = std::time::Duration::from_secs(args.shutdown_delay);
    if let Some(path) = &args.config {
        let (_, config, admission) = read_config(path)?;
        server.config = config;
        server.admission = admission;
    }
    if !args.policies.is_empty() {
        let (mut set, diagnostics) = crate::policy_files::load(&args.policies)?;
        for d in &diagnostics {
            eprintln!("{d}");
        }
        if !diagnostics.is_empty() {
            bail!(
                "{} policy problem(s); the server was not started",
                diagnostics.len()
            );
        }
        set.set_decision_cache_bytes(args.policy_cache_mb.saturating_mul(1 << 20));
        server.policies = Some(set);
    }
    server.cache = cluster_cache(args)?;
    palisade_server::serve(server).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// The text of the webhook's `palisade.yaml` and what it configures: rule settings and
/// exceptions, and the `admission:` section. Also checks the file `palisade admission
/// manifests --config` puts in the cluster, so a file the server would refuse never gets there.
pub fn read_config(path: &Path) -> anyhow::Result<(String, Config, AdmissionConfig)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let name = path.display().to_string();
    let config = Config::parse(&name, &text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("invalid config:\n{}", lines.join("\n"))
    })?;
    let admission = AdmissionConfig::parse(&name, &text)
        .map_err(|errors| anyhow::anyhow!("invalid config:\n{}", errors.join("\n")))?;
    Ok((text, config, admission))
}
