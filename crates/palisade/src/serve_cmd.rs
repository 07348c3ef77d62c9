//! `palisade serve --admission`: the HTTPS validating admission webhook (`palisade-server`),
//! judging each AdmissionReview with the scan's engine, the configuration's exceptions and
//! modes, and the user policies given with `--policies`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use palisade_core::Config;
use palisade_server::{dev_cert, AdmissionConfig, CertSource, ServerConfig};

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

    /// Files or directories of user policies: Gatekeeper ConstraintTemplates and
    /// Constraints, ValidatingAdmissionPolicies and bindings, plain `*.rego` modules.
    #[arg(long, value_name = "PATH")]
    pub policies: Vec<PathBuf>,
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
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let name = path.display().to_string();
        server.config = Config::parse(&name, &text).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("invalid config:\n{}", lines.join("\n"))
        })?;
        server.admission = AdmissionConfig::parse(&name, &text)
            .map_err(|errors| anyhow::anyhow!("invalid config:\n{}", errors.join("\n")))?;
    }
    if !args.policies.is_empty() {
        let (set, diagnostics) = crate::policy_files::load(&args.policies)?;
        for d in &diagnostics {
            eprintln!("{d}");
        }
        if !diagnostics.is_empty() {
            bail!(
                "{} policy problem(s); the server was not started",
                diagnostics.len()
            );
        }
        server.policies = Some(set);
    }
    palisade_server::serve(server).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}
