//! Network probes of Kubernetes components: etcd (2379), kubelet (10250, read-only 10255),
//! API server (6443, 8443, insecure 8080), the dashboard (443, 8443, 9090), a sample of the
//! NodePort range, and the TLS certificate of every TLS port.
//!
//! Only read-only requests are sent (GET, and etcd's JSON-gateway range read, a POST that
//! reads). Every endpoint ends in a definite [`PortState`] and a one-line summary, within
//! per-connection, per-endpoint and whole-run time limits; responses are read up to a byte
//! cap. Targets outside loopback are refused unless [`ProbeOptions::allow_remote`] is set.
//! See docs/probe.md for each request and what it concludes.

mod components;
mod conn;
mod der;
mod endpoint;
mod etcd;
mod http;
mod report;
mod rules;
mod target;
mod tls;

use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use palisade_core::Rule;

pub use der::{parse_certificate, CertSummary};
pub use http::{read_response, HttpError, Response};
pub use report::{findings, location, notes, object};
pub use rules::RULES;
pub use target::{parse_target, Target, TargetError, MAX_BLOCK_ADDRESSES};
pub use tls::TlsInfo;

/// Well-known component ports probed on targets given without a port.
pub const DEFAULT_PORTS: &[u16] = &[2379, 6443, 8443, 8080, 10250, 10255, 443, 9090];
/// The default sample of the NodePort range (30000-32767).
pub const DEFAULT_NODEPORTS: &[u16] = &[30000, 30080, 30443, 31000, 32000];

/// Which ports get which component's probes besides the content-based ones (etcd and the
/// API server are recognised by their `/version` answer on any port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRoles {
    /// Kubelet API ports (anonymous `/pods`, `/runningpods`).
    pub kubelet: Vec<u16>,
    /// Kubelet read-only ports (`/pods`).
    pub kubelet_read_only: Vec<u16>,
    /// Ports where the dashboard is looked for (NodePorts too).
    pub dashboard: Vec<u16>,
    /// Ports tried with plain HTTP before TLS.
    pub plain_first: Vec<u16>,
}

impl Default for PortRoles {
    fn default() -> Self {
        PortRoles {
            kubelet: vec![10250],
            kubelet_read_only: vec![10255],
            dashboard: vec![443, 8443, 9090],
            plain_first: vec![8080, 10255, 9090],
        }
    }
}

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Component ports probed on targets without a port.
    pub ports: Vec<u16>,
    /// NodePort-range ports probed on targets without a port (reported as NodePorts).
    pub nodeports: Vec<u16>,
    /// Longest wait for a connection to be accepted.
    pub connect_timeout: Duration,
    /// Longest wait for any read or write to progress.
    pub io_timeout: Duration,
    /// Longest time spent on one host:port, all its requests together.
    pub endpoint_timeout: Duration,
    /// Longest time for the whole run; endpoints not started by then are skipped.
    pub budget: Duration,
    /// Endpoints probed at once (each holds at most one socket).
    pub concurrency: usize,
    /// Most bytes kept of one response.
    pub max_response_bytes: usize,
    /// Allow targets outside loopback (127.0.0.0/8, ::1).
    pub allow_remote: bool,
    /// Which ports get the kubelet and dashboard probes, and which try plain HTTP first.
    pub roles: PortRoles,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            ports: DEFAULT_PORTS.to_vec(),
            nodeports: DEFAULT_NODEPORTS.to_vec(),
            connect_timeout: Duration::from_millis(1500),
            io_timeout: Duration::from_millis(1500),
            endpoint_timeout: Duration::from_secs(10),
            budget: Duration::from_secs(120),
            concurrency: 64,
            max_response_bytes: 1024 * 1024,
            allow_remote: false,
            roles: PortRoles::default(),
        }
    }
}

/// How an endpoint ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortState {
    /// Something accepted the connection.
    Open,
    /// Connection refused.
    Closed,
    /// No answer to the connection attempt within the timeout.
    Filtered,
    /// The connection failed otherwise (no route, ...).
    Error(String),
    /// Not probed: the run's time budget was spent first.
    Skipped,
}

impl fmt::Display for PortState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PortState::Open => "open",
            PortState::Closed => "closed",
            PortState::Filtered => "filtered",
            PortState::Error(_) => "error",
            PortState::Skipped => "skipped",
        })
    }
}

/// What was recognised on an open port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// etcd (from its `/version`).
    Etcd {
        /// `etcdserver` version.
        version: String,
    },
    /// A Kubernetes API server (`/version` or a `Status` error).
    ApiServer {
        /// `gitVersion`, when the server told it.
        version: Option<String>,
    },
    /// A kubelet.
    Kubelet,
    /// The Kubernetes Dashboard.
    Dashboard,
    /// Some other HTTP server.
    Http {
        /// Status of its answer to `/version`.
        status: u16,
        /// Its `Server` header.
        server: Option<String>,
    },
    /// A TLS server that let nothing through without a client certificate.
    Tls,
    /// Open, but neither TLS nor HTTP that could be understood.
    Unknown,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Etcd { version } => write!(f, "etcd {version}"),
            Service::ApiServer { version: Some(v) } => write!(f, "kube-apiserver {v}"),
            Service::ApiServer { version: None } => f.write_str("kube-apiserver"),
            Service::Kubelet => f.write_str("kubelet"),
            Service::Dashboard => f.write_str("kubernetes-dashboard"),
            Service::Http {
                server: Some(s), ..
            } => write!(f, "HTTP ({s})"),
            Service::Http { .. } => f.write_str("HTTP"),
            Service::Tls => f.write_str("TLS"),
            Service::Unknown => f.write_str("unknown"),
        }
    }
}

/// One conclusion that becomes a finding.
#[derive(Debug, Clone)]
pub struct Exposure {
    /// The rule it is reported under.
    pub rule: &'static Rule,
    /// What was observed, specific to this endpoint.
    pub message: String,
    /// A short, non-secret piece of evidence (key names, pod names, certificate subject).
    pub evidence: Option<String>,
}

/// The result for one host:port.
#[derive(Debug, Clone)]
pub struct EndpointResult {
    /// Address probed.
    pub address: IpAddr,
    /// The target's host name, when it was given as a name.
    pub name: Option<String>,
    /// Port probed.
    pub port: u16,
    /// The port is in the NodePort sample.
    pub nodeport: bool,
    /// How it ended.
    pub state: PortState,
    /// What answered, when it was open.
    pub service: Option<Service>,
    /// TLS details, when a handshake completed.
    pub tls: Option<TlsInfo>,
    /// The component refused anonymous access (401/403, client certificate required, etcd
    /// authentication).
    pub protected: bool,
    /// One-line conclusion.
    pub summary: String,
    /// What it exposes.
    pub exposures: Vec<Exposure>,
    /// Time spent on it.
    pub elapsed: Duration,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct ProbeRun {
    /// One result per endpoint, in target order then port order.
    pub endpoints: Vec<EndpointResult>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Some endpoints were skipped because the budget ran out.
    pub budget_exhausted: bool,
}

/// One unit of work: an address, a port, and whether the port is a NodePort sample.
struct Job {
    address: IpAddr,
    name: Option<String>,
    port: u16,
    nodeport: bool,
}

fn jobs(targets: &[Target], options: &ProbeOptions) -> Vec<Job> {
    let mut jobs = Vec::new();
    for target in targets {
        let ports: Vec<(u16, bool)> = match target.port {
            Some(p) => vec![(p, options.nodeports.contains(&p))],
            None => options
                .ports
                .iter()
                .map(|&p| (p, false))
                .chain(options.nodeports.iter().map(|&p| (p, true)))
                .collect(),
        };
        for &address in &target.addresses {
            for &(port, nodeport) in &ports {
                let duplicate = jobs
                    .iter()
                    .any(|j: &Job| j.address == address && j.port == port);
                if !duplicate {
                    jobs.push(Job {
                        address,
                        name: target.name.clone(),
                        port,
                        nodeport,
                    });
                }
            }
        }
    }
    jobs
}

/// Probes every endpoint of `targets` with at most `options.concurrency` at once, and
/// returns when all have a result or the budget is spent (in-flight endpoints are bounded
/// by the budget too, so the run ends within it plus one I/O timeout).
pub fn run(targets: &[Target], options: &ProbeOptions) -> ProbeRun {
    let started = Instant::now();
    let run_deadline = started + options.budget;
    let jobs = jobs(targets, options);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<EndpointResult>>> = Mutex::new(vec![None; jobs.len()]);
    let workers = options.concurrency.clamp(1, 1024).min(jobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let result = probe_one(job, options, run_deadline);
                if let Ok(mut slots) = results.lock() {
                    slots[i] = Some(result);
                }
            });
        }
    });
    let slots = results.into_inner().unwrap_or_else(|p| p.into_inner());
    let endpoints: Vec<EndpointResult> = slots
        .into_iter()
        .zip(&jobs)
        .map(|(slot, job)| slot.unwrap_or_else(|| skipped(job, "worker failed")))
        .collect();
    ProbeRun {
        budget_exhausted: endpoints.iter().any(|e| e.state == PortState::Skipped),
        endpoints,
        elapsed: started.elapsed(),
    }
}

fn skipped(job: &Job, why: &str) -> EndpointResult {
    EndpointResult {
        address: job.address,
        name: job.name.clone(),
        port: job.port,
        nodeport: job.nodeport,
        state: PortState::Skipped,
        service: None,
        tls: None,
        protected: false,
        summary: format!("skipped: {why}"),
        exposures: Vec::new(),
        elapsed: Duration::ZERO,
    }
}

fn probe_one(job: &Job, options: &ProbeOptions, run_deadline: Instant) -> EndpointResult {
    let started = Instant::now();
    if started >= run_deadline {
        return skipped(
            job,
            "the time budget was spent before this endpoint started",
        );
    }
    let limits = conn::Limits {
        connect: options.connect_timeout,
        io: options.io_timeout,
        deadline: (started + options.endpoint_timeout).min(run_deadline),
        max_bytes: options.max_response_bytes.max(1024),
    };
    let plain_first = options.roles.plain_first.contains(&job.port);
    let ep = endpoint::Endpoint::new(
        job.address,
        job.name.as_deref(),
        job.port,
        limits,
        plain_first,
    );
    let examined = components::examine(&ep, job.nodeport, &options.roles);
    EndpointResult {
        address: job.address,
        name: job.name.clone(),
        port: job.port,
        nodeport: job.nodeport,
        state: examined
            .state
            .unwrap_or_else(|| PortState::Error("no result".into())),
        service: examined.service,
        tls: examined.tls,
        protected: examined.protected,
        summary: examined.summary,
        exposures: examined.exposures,
        elapsed: started.elapsed(),
    }
}
