//! `palisade admission manifests`: the in-cluster install of the webhook (`palisade-server`'s
//! `manifests`), with its CA from a file, a directory of self-made certificates, or
//! cert-manager.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use palisade_server::{CaSource, FailurePolicy, InstallOptions, NAME, TLS_SECRET};

/// `palisade admission`.
#[derive(Debug, Args)]
pub struct AdmissionArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AdmissionCommand,
}

/// `palisade admission` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdmissionCommand {
    /// Print the manifests that run the webhook in a cluster: Namespace, ServiceAccount,
    /// RBAC, Deployment, Service, PodDisruptionBudget, NetworkPolicy and the
    /// ValidatingWebhookConfiguration (pipe to `kubectl apply -f -`).
    Manifests(ManifestsArgs),
}

/// `palisade admission manifests`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("ca").required(true).args(["ca_file", "cert_dir", "cert_manager"])))]
pub struct ManifestsArgs {
    /// Namespace the webhook runs in (exempt from it, as kube-system is).
    #[arg(long, default_value = "palisade")]
    pub namespace: String,

    /// Container image of palisade (pin a digest: REGISTRY/palisade@sha256:...).
    #[arg(long, default_value = concat!("palisade:", env!("CARGO_PKG_VERSION")))]
    pub image: String,

    /// What the API server does when the webhook cannot answer: Fail refuses the request
    /// (fail closed), Ignore admits it unjudged (fail open). See docs/admission.md.
    #[arg(long, value_enum, default_value_t = FailurePolicyArg::Fail, ignore_case = true)]
    pub failure_policy: FailurePolicyArg,

    /// The same for Roles, ClusterRoles and their bindings, which the API server itself
    /// writes when it starts: with Fail, a webhook that is down then keeps the API server
    /// from becoming healthy. See docs/admission.md.
    #[arg(long, value_enum, default_value_t = FailurePolicyArg::Ignore, ignore_case = true)]
    pub rbac_failure_policy: FailurePolicyArg,

    /// How long the API server waits for the webhook's answer (1 to 30 seconds).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub timeout_seconds: u32,

    /// CA certificate (PEM) that signed the webhook's serving certificate; written into the
    /// webhook configuration's caBundle. Create the TLS Secret yourself.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Directory of a self-made CA: ca.crt, tls.crt and tls.key are made there (valid one
    /// year) unless all three exist, which are then used as they are.
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,

    /// cert-manager makes and renews the certificates and injects the caBundle.
    #[arg(long)]
    pub cert_manager: bool,

    /// Call the webhook at this URL (https://host[:port]/path) instead of the Service, for a
    /// webhook that runs outside the cluster: prints only the webhook configuration.
    #[arg(long, value_name = "URL", conflicts_with = "cert_manager")]
    pub webhook_url: Option<String>,

    /// A `palisade.yaml` (modes, exemptions, exceptions) for the webhook: checked, then put
    /// in a ConfigMap the server reads; a change rolls the pods.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// User policies for the webhook (repeatable; files or directories of Gatekeeper
    /// ConstraintTemplates and Constraints, ValidatingAdmissionPolicies and bindings, `.rego`
    /// modules): checked as `serve` loads them, then put in a ConfigMap the server reads; a
    /// change rolls the pods.
    #[arg(long, value_name = "PATH")]
    pub policies: Vec<PathBuf>,

    /// The API server's address range, to narrow the NetworkPolicy's egress (repeatable;
    /// default: ports 443 and 6443 to any address).
    #[arg(long = "api-server-cidr", value_name = "CIDR")]
    pub api_server_cidrs: Vec<String>,
}

/// `--failure-policy` values, spelled as in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailurePolicyArg {
    /// Refuse what cannot be judged (fail closed).
    #[value(name = "Fail")]
    Fail,
    /// Admit what cannot be judged (fail open).
    #[value(name = "Ignore")]
    Ignore,
}

impl From<FailurePolicyArg> for FailurePolicy {
    fn from(arg: FailurePolicyArg) -> FailurePolicy {
        match arg {
            FailurePolicyArg::Fail => FailurePolicy::Fail,
            FailurePolicyArg::Ignore => FailurePolicy::Ignore,
        }
    }
}

/// Days the self-made serving certificate is valid; its CA lives ten years.
const SERVER_DAYS: u32 = 365;
const CA_DAYS: u32 = 3650;

pub fn run(args: &AdmissionArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        AdmissionCommand::Manifests(m) => manifests(m),
    }
}

fn manifests(args: &ManifestsArgs) -> anyhow::Result<ExitCode> {
    // The CA's kind now, its content once the options are known to be good.
    let mut opts = InstallOptions::new(if args.cert_manager {
        CaSource::CertManager
    } else {
        CaSource::Bundle(String::new())
    });
    opts.namespace = args.namespace.clone();
    opts.image = args.image.clone();
    opts.failure_policy = args.failure_policy.into();
    opts.rbac_failure_policy = args.rbac_failure_policy.into();
    opts.timeout_seconds = args.timeout_seconds;
    opts.webhook_url = args.webhook_url.clone();
    opts.api_server_cidrs = args.api_server_cidrs.clone();
    if let Some(path) = &args.config {
        opts.config = Some(crate::serve_cmd::read_config(path)?.0);
    }
    if !args.policies.is_empty() {
        opts.policies = policy_config_map(&args.policies)?;
    }
    // Options are checked before any file is written.
    opts.check()?;
    opts.ca = match (&args.ca_file, &args.cert_dir) {
        (Some(file), _) => CaSource::Bundle(
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read --ca-file {}", file.display()))?,
        ),
        (None, Some(dir)) => CaSource::Bundle(cert_dir(dir, &opts)?),
        (None, None) => CaSource::CertManager,
    };
    let text = palisade_server::manifests(&opts)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The CA of `dir`: made there with a serving certificate for the webhook's names when the
/// directory holds none of the three files, read when it holds all three.
fn cert_dir(dir: &Path, opts: &InstallOptions) -> anyhow::Result<String> {
    let files = ["ca.crt", "tls.crt", "tls.key"].map(|f| dir.join(f));
    let present = files.iter().filter(|p| p.exists()).count();
    let [ca, crt, key] = &files;
    let secret_hint = format!(
        "kubectl -n {} create secret tls {TLS_SECRET} --cert {} --key {}",
        opts.namespace,
        crt.display(),
        key.display()
    );
    match present {
        3 => {
            eprintln!(
                "palisade: using the certificates in {} (the Secret: {secret_hint})",
                dir.display()
            );
            std::fs::read_to_string(ca).with_context(|| format!("cannot read {}", ca.display()))
        }
        0 => {
            let names = opts.server_names();
            let issued = palisade_server::issue(
                &format!("{NAME} CA ({})", opts.namespace),
                &names,
                CA_DAYS,
                SERVER_DAYS,
            )
            .map_err(|e| anyhow::anyhow!("making the certificates: {e}"))?;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            write_file(ca, &issued.ca_pem, 0o644)?;
            write_file(crt, &issued.server.cert_pem, 0o644)?;
            write_file(key, &issued.server.key_pem, 0o600)?;
            eprintln!(
                "palisade: made a CA and a certificate for {} in {} (valid until {}; renew \
                 before then: docs/admission.md). Create the Secret: {secret_hint}",
                names.join(", "),
                dir.display(),
                issued.not_after
            );
            Ok(issued.ca_pem)
        }
        _ => bail!(
            "{} holds some of ca.crt, tls.crt and tls.key but not all: give a directory with \
             all three or none",
            dir.display()
        ),
    }
}

fn write_file(path: &Path, text: &str, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The policy files as ConfigMap entries, after checking that the server would load them: a
/// key is the file's path below the directory given, its `/`s made `.` (ConfigMap keys have
/// none), so the server finds the same files under its mount.
fn policy_config_map(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, String)>> {
    let (_, diagnostics) = crate::policy_files::load(paths)?;
    if !diagnostics.is_empty() {
        for d in &diagnostics {
            eprintln!("{d}");
        }
        anyhow::bail!(
            "{} policy problem(s); the server would not start with these --policies",
            diagnostics.len()
        );
    }
    let mut entries = Vec::new();
    for (file, relative) in crate::policy_files::policy_files(paths)? {
        let name = if relative.as_os_str().is_empty() {
            file.file_name().map(PathBuf::from).unwrap_or_default()
        } else {
            relative
        };
        let key = name.to_string_lossy().replace('/', ".");
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        entries.push((key, text));
    }
    if entries.is_empty() {
        anyhow::bail!("--policies: no policy files (*.yaml, *.yml, *.json, *.rego) found");
    }
    Ok(entries)
}
