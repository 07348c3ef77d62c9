//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Kubernetes security posture scanner.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan manifests (files, directories, `-` for stdin) for security misconfigurations.
    Scan(ScanArgs),
    /// List the rule catalog, or explain one rule (`palisade rules show PAL-POD-002`).
    Rules(RulesArgs),
    /// List the frameworks `scan --framework` knows, their controls and the rules that
    /// judge each.
    Frameworks(FrameworksArgs),
    /// RBAC questions: who can do what, what a subject holds, which kubectl commands it can
    /// run.
    Rbac(crate::rbac_cmd::RbacArgs),
    /// Network connectivity: what can talk to what, and why.
    Netpol(crate::netpol_cmd::NetpolArgs),
    /// Audit a node's filesystem (`--root`, default `/`): CIS Kubernetes Benchmark sections
    /// 1–4 (control plane, etcd, kubelet, file permissions) and host hardening; `palisade
    /// node access`: who can SSH in.
    Node(crate::node_cmd::NodeArgs),
    /// Probe Kubernetes components over the network (etcd, kubelet, API server, dashboard,
    /// NodePorts, TLS) with read-only requests. Loopback only unless --allow-remote.
    Probe(crate::probe_cmd::ProbeArgs),
    /// User policies: `palisade policy test DIR` runs Gatekeeper suites (as `gator verify`).
    Policy(crate::policy_cmd::PolicyArgs),
    /// Images: `palisade image scan TARGET` (vulnerabilities, secrets, run configuration).
    Image(crate::image_cmd::ImageArgs),
    /// The packages of an image or root filesystem as CycloneDX, SPDX or a table.
    Sbom(crate::image_cmd::sbom::SbomArgs),
    /// The vulnerability database: `import`, `update`, `status`.
    Db(crate::db_cmd::DbArgs),
    /// Servers: `palisade serve --admission` runs the validating admission webhook.
    Serve(crate::serve_cmd::ServeArgs),
    /// The asset list of a cluster (`--cluster`) or of manifests: namespaces, workloads and
    /// their images, service accounts and their permissions, Services, nodes.
    Inventory(crate::inventory_cmd::InventoryArgs),
    /// The admission webhook in a cluster: `palisade admission manifests` prints its install.
    Admission(crate::admission_cmd::AdmissionArgs),
    /// Recorded scans (`scan --record`): what appeared, what was fixed, the trend per
    /// severity; `palisade history diff A B` compares two scans.
    History(crate::history_cmd::HistoryArgs),
    /// Keep a cluster's findings current with watch streams; serve `/metrics` and
    /// `/report`; record changes with `--record`. `palisade watch manifests` prints the
    /// install that runs it in a cluster.
    Watch(crate::watch_cmd::WatchArgs),
}

/// Which cluster to read, as kubectl's flags say it (`scan --cluster`, `inventory
/// --cluster`).
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Read a running cluster instead of files (kubeconfig as kubectl finds it, or the
    /// in-cluster service account when run in a pod). See docs/live.md.
    #[arg(long, conflicts_with = "paths")]
    pub cluster: bool,

    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,

    /// Read one namespace (default: the context's namespace).
    #[arg(short = 'n', long, value_name = "NS", requires = "cluster")]
    pub namespace: Option<String>,

    /// Read every namespace.
    #[arg(
        short = 'A',
        long = "all-namespaces",
        requires = "cluster",
        conflicts_with = "namespace"
    )]
    pub all_namespaces: bool,
}

/// `palisade frameworks`.
#[derive(Debug, Args)]
pub struct FrameworksArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = FrameworksFormat::Table)]
    pub format: FrameworksFormat,
}

/// Formats of the framework list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FrameworksFormat {
    /// Each framework with its controls, one line each.
    Table,
    /// The generated part of docs/frameworks.md.
    Markdown,
}

/// `palisade scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (recursively: *.yaml, *.yml, *.json); `-` reads stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<String>,

    /// A running cluster instead of files.
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,

    /// Write the report to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,

    /// Exit 1 when a finding is at or above this severity (`none`: never).
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub fail_on: FailOn,

    /// Configuration file (default: palisade.yaml in the first scanned directory).
    #[arg(short, long)]
    pub config: Option<PathBuf>,

    /// Environment for data-class rules (overrides `environment:` in the config).
    #[arg(long)]
    pub environment: Option<String>,

    /// Largest input file accepted, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: usize,

    /// Benchmarking aid: read and parse the inputs, print counts, run no rule.
    #[arg(long, hide = true)]
    pub parse_only: bool,

    /// Benchmarking aid: print how long loading, analysis and rendering took, on stderr.
    #[arg(long, hide = true)]
    pub timings: bool,

    /// When to colour the table: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Add a compliance summary against a framework: each control passed, failed or not
    /// covered, the failing objects, and a score. Repeat it or give a comma list
    /// (`--framework cis,nsa`). See docs/frameworks.md.
    #[arg(
        long = "framework",
        value_enum,
        value_delimiter = ',',
        value_name = "FRAMEWORK"
    )]
    pub frameworks: Vec<FrameworkArg>,

    /// User policies judged with the built-in rules (repeatable): files or directories of
    /// Gatekeeper ConstraintTemplates and Constraints, ValidatingAdmissionPolicies and
    /// bindings, plain `*.rego` modules.
    #[arg(long, value_name = "PATH")]
    pub policies: Vec<PathBuf>,

    #[command(flatten)]
    pub image_flags: crate::scan_images::ImageFlags,
    /// Record the report in the history store (see `palisade history`, docs/history.md).
    #[arg(long)]
    pub record: bool,

    /// History database for --record: a file path or a `postgres://` URL (default:
    /// `$XDG_DATA_HOME/palisade/history.db`, else `~/.local/share/palisade/history.db`).
    #[arg(long, requires = "record", value_name = "URL|PATH")]
    pub db: Option<String>,

    /// Name the scan is recorded under; scans of one target are compared with each other
    /// (default: the scanned paths, made absolute).
    #[arg(long, requires = "record")]
    pub target: Option<String>,
}

/// Frameworks `--framework` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FrameworkArg {
    /// Pod Security Standards, baseline profile.
    PssBaseline,
    /// Pod Security Standards, restricted profile (includes baseline).
    PssRestricted,
    /// CIS Kubernetes Benchmark, section 5 (Policies).
    Cis,
    /// NSA/CISA Kubernetes Hardening Guide.
    Nsa,
    /// MITRE ATT&CK for Containers.
    Mitre,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human table grouped by object.
    Table,
    /// Palisade JSON (schema: docs/json-output.md).
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// JUnit XML.
    Junit,
}

/// `--fail-on` thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding.
    Info,
    /// Low and above.
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
    /// Never fail on findings (errors still exit 2).
    None,
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `palisade rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `show ID` explains one rule.
    #[command(subcommand)]
    pub command: Option<RulesCommand>,

    /// Output format of the list.
    #[arg(short, long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

/// `palisade rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Explain one rule.
    Show {
        /// Rule id, e.g. PAL-POD-002.
        id: String,
    },
}

/// Formats of the rule list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// One line per rule.
    Table,
    /// The catalog as JSON.
    Json,
    /// The reference page (docs/rules.md is this output).
    Markdown,
}
