//! Palisade's admission webhook: an HTTPS server that answers `admission.k8s.io/v1`
//! AdmissionReviews with the same engine as `palisade scan`, plus the user policies.
//!
//! [`serve`] runs until SIGTERM or SIGINT; [`start`] runs in the background and returns a
//! [`ServerHandle`] (bound address, shutdown) for tests and embedding. Endpoints:
//! `POST /validate`, `GET /healthz`, `GET /readyz`, `GET /metrics`. See `docs/admission.md`.
//!
//! [`manifests`] makes the in-cluster install from [`InstallOptions`]; [`issue`] makes a CA
//! and a serving certificate for it when cert-manager is not used.
//!
//! Stack: hyper 1 (HTTP/1.1) on tokio with tokio-rustls (ring provider, TLS 1.2 and 1.3):
//! all three were already in the workspace's lock file through the image registry client,
//! and hyper gives per-request header deadlines, keep-alive and graceful shutdown without a
//! framework for four routes.

mod cache;
mod certs;
mod decide;
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod install;
mod install_docs;
mod install_watch;
mod install_webhook;
mod metrics;
mod modes;
mod pool;
mod review;
mod tls;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use palisade_core::{Config, Date};
use palisade_engine::Engine;
use palisade_policy::PolicySet;
use tokio::sync::{watch, Semaphore};

pub use cache::{CacheError, Change, ContextCache, CACHED_KINDS};
pub use certs::{issue, IssuedCert};
pub use decide::{Hit, Judge, Verdict};
pub use install::{
    manifests, CaSource, FailurePolicy, InstallError, InstallOptions, NAME, RBAC_WEBHOOK_NAME,
    TLS_SECRET, WEBHOOK_NAME,
};
pub use install_watch::{watch_manifests, WatchInstallOptions, WATCH_NAME, WATCH_PORT};
pub use metrics::{Metrics, BUCKETS};
pub use modes::{AdmissionConfig, Mode};
pub use review::{fit_warnings, is_qualified_name_part, Answer, Request, API_VERSION};
pub use tls::{certified_key, dev_cert, CertSource, PemPair, Reload, ReloadingResolver};

/// Limits that protect the server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest body accepted (413 above). Default 3 MiB, the API server's own request limit.
    pub max_body_bytes: usize,
    /// Time allowed for a request's headers (hyper's header read timeout).
    pub header_read_timeout: Duration,
    /// Time allowed for a request's body once its headers are in.
    pub body_read_timeout: Duration,
    /// Time allowed for the TLS handshake.
    pub handshake_timeout: Duration,
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Requests judged at once; more wait up to `queue_timeout`, then get 429.
    pub max_in_flight: usize,
    /// Threads that judge (the engine and the policies run there, not on the async
    /// workers); default one per core.
    pub judging_threads: usize,
    /// How long a request waits for a judging slot.
    pub queue_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
    /// How long the server keeps accepting after a stop is asked for, answering `/readyz`
    /// with 503: in a cluster, the Service's endpoints (and every node's proxy rules) still
    /// send new connections to a terminating pod for a moment, and a closed port there is
    /// a failed call, which `failurePolicy: Fail` turns into a refused request. Default 0.
    pub shutdown_delay: Duration,
    /// How often the certificate files are checked for changes.
    pub reload_interval: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Limits {
            max_body_bytes: 3 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_in_flight: cores * 4,
            judging_threads: cores,
            queue_timeout: Duration::from_secs(2),
            // Below Kubernetes' default 30 s termination grace period.
            drain_timeout: Duration::from_secs(20),
            shutdown_delay: Duration::ZERO,
            reload_interval: Duration::from_secs(5),
        }
    }
}

/// Everything the server needs; policies are compiled and the certificate source named
/// before it starts.
pub struct ServerConfig {
    /// Address to listen on (`0.0.0.0:8443`; port 0 picks one).
    pub listen: SocketAddr,
    /// Certificate and key.
    pub cert: CertSource,
    /// The scan engine (`Engine::builtin()`).
    pub engine: Engine,
    /// `palisade.yaml`: exceptions and rule settings.
    pub config: Config,
    /// The `admission:` section.
    pub admission: AdmissionConfig,
    /// User policies (Gatekeeper, Rego), when any.
    pub policies: Option<PolicySet>,
    /// The cluster context (Namespaces, ServiceAccounts, LimitRanges) a watcher keeps, when
    /// the server runs against a cluster; `/readyz` waits for its first sync.
    pub cache: Option<Arc<ContextCache>>,
    /// Limits.
    pub limits: Limits,
}

impl ServerConfig {
    /// The built-in engine, no config, default modes and limits, on `listen` with `cert`.
    pub fn new(listen: SocketAddr, cert: CertSource) -> ServerConfig {
        ServerConfig {
            listen,
            cert,
            engine: Engine::builtin(),
            config: Config::default(),
            admission: AdmissionConfig::default(),
            policies: None,
            cache: None,
            limits: Limits::default(),
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The certificate or key could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// The address could not be bound.
    #[error("listening on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The runtime could not start.
    #[error("runtime: {0}")]
    Runtime(std::io::Error),
    /// The server thread panicked.
    #[error("the server thread stopped abnormally")]
    Panicked,
}

/// A running server.
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    shared: Arc<http::Shared>,
    thread: std::thread::JoinHandle<()>,
}

impl ServerHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Is `/readyz` answering 200?
    pub fn is_ready(&self) -> bool {
        self.shared.ready.load(Ordering::Acquire)
    }

    /// The server's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Starts a graceful shutdown without waiting for it.
    pub fn trigger_shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Stops accepting, drains in-flight requests (up to the drain timeout) and waits.
    pub fn shutdown(self) -> Result<(), ServerError> {
        self.trigger_shutdown();
        self.wait()
    }

    /// Waits until the server stops (on a signal when started by [`serve`]).
    pub fn wait(self) -> Result<(), ServerError> {
        self.thread.join().map_err(|_| ServerError::Panicked)
    }
}

/// Runs the server until SIGTERM or SIGINT, then drains and returns.
pub fn serve(config: ServerConfig) -> Result<(), ServerError> {
    launch(config, true)?.wait()
}

/// Starts the server in the background (no signal handling).
pub fn start(config: ServerConfig) -> Result<ServerHandle, ServerError> {
    launch(config, false)
}

/// Today (UTC), for exception expiry.
pub(crate) fn today() -> Date {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date::from_unix_days(i64::try_from(secs / 86_400).unwrap_or(0))
}

fn launch(config: ServerConfig, signals: bool) -> Result<ServerHandle, ServerError> {
    let resolver = Arc::new(tls::ReloadingResolver::new(config.cert).map_err(ServerError::Tls)?);
    let tls_config = tls::server_config(Arc::clone(&resolver)).map_err(ServerError::Tls)?;
    let listener =
        std::net::TcpListener::bind(config.listen).map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.listen,
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(ServerError::Runtime)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("palisade-admission")
        .build()
        .map_err(ServerError::Runtime)?;
    let limits = config.limits;
    let shared = Arc::new(http::Shared {
        judge: Judge::new(
            config.engine,
            config.config,
            config.admission,
            config.policies,
        )
        .with_cache(config.cache),
        metrics: Metrics::default(),
        judging: Semaphore::new(limits.max_in_flight.max(1)),
        pool: pool::JudgePool::new(limits.judging_threads).map_err(ServerError::Runtime)?,
        limits,
        // The certificate is loaded, the policies compiled and the socket bound (connections
        // wait in its accept queue until the loop runs): ready, once the cluster context (if
        // any) has synced too (`/readyz` checks it).
        ready: AtomicBool::new(true),
    });
    let (stop, stop_rx) = watch::channel(false);
    let run_shared = Arc::clone(&shared);
    let run_shared_pool = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("palisade-admission-main".into())
        .spawn(move || {
            runtime.block_on(run(
                listener, tls_config, resolver, run_shared, stop_rx, signals,
            ));
            // Requests are drained by now: do not wait on idle blocking threads.
            runtime.shutdown_timeout(Duration::from_millis(200));
            run_shared_pool.pool.shutdown();
        })
        .map_err(ServerError::Runtime)?;
    Ok(ServerHandle {
        addr,
        stop,
        shared,
        thread,
    })
}

/// Resolves when a stop is asked for, by the handle or (with `signals`) SIGTERM/SIGINT.
async fn stopped(mut stop: watch::Receiver<bool>, signals: bool) {
    let asked = async {
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                // The handle is gone: only a signal can stop the server now.
                std::future::pending::<()>().await;
            }
        }
    };
    if !signals {
        return asked.await;
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = asked => {}
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    tokio::select! {
        _ = asked => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

async fn run(
    listener: std::net::TcpListener,
    tls_config: Arc<rustls::ServerConfig>,
    resolver: Arc<tls::ReloadingResolver>,
    shared: Arc<http::Shared>,
    stop: watch::Receiver<bool>,
    signals: bool,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            http::log_event("listener failed", serde_json::json!(e.to_string()));
            return;
        }
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config);
    let connections = Arc::new(Semaphore::new(shared.limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let reloader = tokio::spawn(reload_loop(Arc::clone(&resolver), Arc::clone(&shared)));
    http::log_event(
        "admission server listening",
        serde_json::json!(listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()),
    );
    let delay = shared.limits.shutdown_delay;
    let delay_shared = Arc::clone(&shared);
    let stop_signal = async move {
        stopped(stop, signals).await;
        if !delay.is_zero() {
            // Out of the Service's endpoints first; keep serving while that propagates.
            delay_shared.ready.store(false, Ordering::Release);
            http::log_event(
                "admission server stopping: not ready, still serving",
                serde_json::json!(format!("{} ms", delay.as_millis())),
            );
            tokio::time::sleep(delay).await;
        }
    };
    tokio::pin!(stop_signal);
    loop {
        let permit = tokio::select! {
            _ = &mut stop_signal => break,
            p = Arc::clone(&connections).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (tcp, _peer) = tokio::select! {
            _ = &mut stop_signal => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: back off briefly, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let shared = Arc::clone(&shared);
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            let handshake =
                tokio::time::timeout(shared.limits.handshake_timeout, acceptor.accept(tcp)).await;
            // TLS garbage and slow handshakes just close the connection.
            let Ok(Ok(stream)) = handshake else { return };
            let service_shared = Arc::clone(&shared);
            let service = service_fn(move |req| http::handle(Arc::clone(&service_shared), req));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(shared.limits.header_read_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            let _ = watcher.watch(conn).await;
        });
    }
    // Out of the Service's endpoints first, then drain.
    shared.ready.store(false, Ordering::Release);
    drop(listener);
    reloader.abort();
    http::log_event(
        "admission server draining",
        serde_json::json!(graceful.count()),
    );
    let drained = tokio::time::timeout(shared.limits.drain_timeout, graceful.shutdown()).await;
    http::log_event(
        "admission server stopped",
        serde_json::json!(if drained.is_ok() {
            "drained"
        } else {
            "drain timeout"
        }),
    );
}

async fn reload_loop(resolver: Arc<tls::ReloadingResolver>, shared: Arc<http::Shared>) {
    let mut tick = tokio::time::interval(shared.limits.reload_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let r = Arc::clone(&resolver);
        match tokio::task::spawn_blocking(move || r.check()).await {
            Ok(Reload::Loaded) => {
                shared.metrics.cert_reload("ok");
                http::log_event("certificate reloaded", serde_json::Value::Null);
            }
            Ok(Reload::Failed(e)) => {
                shared.metrics.cert_reload("error");
                http::log_event(
                    "certificate reload failed; keeping the old one",
                    serde_json::json!(e),
                );
            }
            _ => {}
        }
    }
}
