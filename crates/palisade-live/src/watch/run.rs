//! The watch loop: every stream's updates into the [`Judge`], per-object re-judging at once,
//! the inventory-wide analyses debounced, the report and metrics published to the HTTP
//! endpoint, each settled change set handed to a callback (the CLI records it), until
//! SIGTERM or SIGINT.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use palisade_core::{Config, Inventory, Report};
use palisade_engine::{Engine, ScanOptions};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::sleep_until;

use super::http::{self, Page, Pages};
use super::judge::Judge;
use super::metrics::{self, Snapshot};
use super::reflector::{reflect, Counters, Update};
use super::streams::{streams, Stream};
use crate::connect::{connect, ClusterOptions, Connected, Scope};
use crate::discover::discover;
use crate::Error;

/// Longest the `/report` page lags the judged state while changes keep coming.
const RENDER_EVERY: Duration = Duration::from_millis(100);

/// Renders a report as the `/report` page's body (the CLI passes the scan's JSON renderer).
pub type RenderReport = Box<dyn Fn(&Report) -> Vec<u8> + Send + Sync>;
/// Called with each settled report whose findings differ from the last one handed over
/// (the first full sync included), the inventory it judged, and what was watched as
/// `scan --cluster --record` names it (the API server URL, and ` namespace NS` when one).
pub type OnChange = Box<dyn FnMut(&Report, &Inventory, &str) + Send>;

/// What `palisade watch` needs.
pub struct WatchOptions {
    /// Which cluster, as whom, which namespaces.
    pub cluster: ClusterOptions,
    /// Address of the HTTP endpoint (port 0 picks one; the bound address is printed).
    pub listen: SocketAddr,
    /// How long after a change the inventory-wide analyses wait for more changes.
    pub debounce: Duration,
    /// The engine (`Engine::builtin()`).
    pub engine: Engine,
    /// `palisade.yaml`.
    pub config: Config,
    /// Scan options (today, frameworks).
    pub scan: ScanOptions,
    /// The `/report` renderer.
    pub render: RenderReport,
    /// The change callback (recording), when any.
    pub on_change: Option<OnChange>,
}

/// What the HTTP endpoint shows: the latest report and metrics.
struct Published {
    report: RwLock<Option<Vec<u8>>>,
    snapshot: Mutex<Snapshot>,
    counters: Arc<Counters>,
    ready: AtomicBool,
}

impl Pages for Published {
    fn page(&self, path: &str) -> Option<Page> {
        Some(match path {
            "/healthz" => Page::text(200, "ok\n"),
            "/readyz" if self.ready.load(Ordering::Acquire) => Page::text(200, "ok\n"),
            "/readyz" => Page::text(503, "the first full list is not done\n"),
            "/metrics" => {
                let snapshot = self.snapshot.lock().ok()?;
                Page {
                    status: 200,
                    content_type: "text/plain; version=0.0.4; charset=utf-8",
                    body: metrics::render(&snapshot, &self.counters).into_bytes(),
                }
            }
            "/report" => match self.report.read().ok()?.as_ref() {
                Some(body) => Page {
                    status: 200,
                    content_type: "application/json",
                    body: body.clone(),
                },
                None => Page::text(503, "the first full list is not done\n"),
            },
            _ => return None,
        })
    }
}

/// Watches until SIGTERM or SIGINT (blocking; runs its own runtime).
pub fn run(options: WatchOptions) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(watch(options))
}

async fn watch(mut options: WatchOptions) -> Result<(), Error> {
    let listener = http::bind(options.listen)
        .await
        .map_err(|source| Error::Listen {
            addr: options.listen,
            source,
        })?;
    let bound = listener.local_addr().unwrap_or(options.listen);
    let connected = connect(&options.cluster).await?;
    let namespace = match &options.cluster.scope {
        Scope::All => None,
        Scope::Namespace(ns) => Some(ns.clone()),
        Scope::Context => Some(connected.default_namespace.clone()),
    };
    let streams = discover_streams(
        &connected,
        namespace.as_deref(),
        options.cluster.concurrency,
    )
    .await?;
    let counters = Arc::new(Counters::default());
    let published = Arc::new(Published {
        report: RwLock::new(None),
        snapshot: Mutex::new(Snapshot::default()),
        counters: Arc::clone(&counters),
        ready: AtomicBool::new(false),
    });
    let server = tokio::spawn(http::serve(listener, published.clone()));
    let scope = namespace.as_deref().map_or_else(
        || "all namespaces".to_string(),
        |ns| format!("namespace {ns}"),
    );
    eprintln!(
        "watching {} streams of {} ({scope}); listening on {bound}",
        streams.len(),
        connected.cluster
    );
    let receiver = start(
        &connected,
        &streams,
        options.cluster.page_size,
        &counters,
        None,
    );
    let engine = Arc::new(std::mem::replace(&mut options.engine, Engine::empty()));
    let judge = Judge::new(
        engine,
        options.config.clone(),
        options.scan.clone(),
        streams.iter().map(Stream::describe).collect(),
    );
    let mut judge = judge;
    for (i, s) in streams.iter().enumerate() {
        let same = |t: &Stream| {
            t.target.resource.api_version == s.target.resource.api_version
                && t.target.resource.kind == s.target.resource.kind
        };
        if let Some(first) = streams.iter().position(same) {
            judge.set_rank(i, first);
        }
    }
    let target = match &namespace {
        Some(ns) => format!("{} namespace {ns}", connected.cluster),
        None => connected.cluster.clone(),
    };
    let result = event_loop(judge, receiver, &mut options, &published, &target).await;
    server.abort();
    eprintln!("stopped");
    result
}

/// The streams of every kind `scan --cluster` reads that the server serves, in `namespace`
/// (all namespaces when `None`).
pub async fn discover_streams(
    connected: &Connected,
    namespace: Option<&str>,
    concurrency: usize,
) -> Result<Vec<Stream>, Error> {
    let found = discover(
        &connected.client,
        concurrency,
        &crate::retry::RetryPolicy::default(),
    )
    .await
    .map_err(|e| Error::Unreachable {
        cluster: connected.cluster.clone(),
        message: e.describe(),
    })?;
    for (gv, why) in &found.failures {
        eprintln!("warning: cannot discover {gv}; its kinds are not watched: {why}");
    }
    Ok(streams(&found.targets, namespace))
}

/// Starts one reflector task per stream; their updates arrive on the returned receiver.
/// `resume_from` (stream index → resourceVersion) starts those streams with a watch.
pub(crate) fn start(
    connected: &Connected,
    streams: &[Stream],
    page_size: u32,
    counters: &Arc<Counters>,
    resume_from: Option<&dyn Fn(usize) -> Option<String>>,
) -> UnboundedReceiver<Update> {
    let (sender, receiver) = unbounded_channel();
    for (index, stream) in streams.iter().enumerate() {
        let from = resume_from.and_then(|f| f(index));
        tokio::spawn(reflect(
            connected.client.clone(),
            index,
            stream.clone(),
            page_size,
            from,
            sender.clone(),
            Arc::clone(counters),
        ));
    }
    receiver
}

async fn event_loop(
    mut judge: Judge,
    mut updates: UnboundedReceiver<Update>,
    options: &mut WatchOptions,
    published: &Published,
    target: &str,
) -> Result<(), Error> {
    let mut stop = Box::pin(stop_signal());
    // When the inventory-wide analyses run next (a change they read waits `debounce`).
    let mut whole_at: Option<tokio::time::Instant> = None;
    let mut last_fingerprint: Option<u64> = None;
    let mut whole_runs = 0u64;
    // When the page was last rendered, and whether its change set had settled then.
    let mut last_render: Option<(Instant, bool)> = None;
    loop {
        let mut arrived = None;
        let mut listed = false;
        tokio::select! {
            update = updates.recv() => {
                let Some(update) = update else { return Ok(()) };
                arrived = Some(Instant::now());
                listed |= matches!(update, Update::Listed { .. });
                judge.apply(update);
                // A burst is taken in whole: one settle, one report.
                while let Ok(more) = updates.try_recv() {
                    listed |= matches!(more, Update::Listed { .. });
                    judge.apply(more);
                }
            }
            () = async { if let Some(at) = whole_at { sleep_until(at).await } }, if whole_at.is_some() => {
                whole_at = None;
                judge.rejudge_whole();
                whole_runs += 1;
            }
            () = &mut stop => return Ok(()),
        }
        if !judge.synced() {
            continue;
        }
        judge.settle();
        let first = !published.ready.load(Ordering::Acquire);
        if judge.whole_stale() {
            if first {
                judge.rejudge_whole();
                whole_runs += 1;
            } else if whole_at.is_none() {
                whole_at = Some(tokio::time::Instant::now() + options.debounce);
            }
        }
        judge.refresh();
        let judged_in = arrived.map(|at| at.elapsed().as_secs_f64());
        let report = judge.current();
        // Rendering every finding costs more than judging a change: the first change after a
        // quiet spell is rendered at once, then at most every RENDER_EVERY until the change
        // set settles, which is rendered too.
        let settled = whole_at.is_none();
        let due = last_render
            .is_none_or(|(t, quiet): (Instant, bool)| quiet || t.elapsed() >= RENDER_EVERY);
        if settled || due {
            let body = (options.render)(report);
            if let Ok(mut slot) = published.report.write() {
                *slot = Some(body);
            }
            last_render = Some((Instant::now(), settled));
        }
        if let Ok(mut snapshot) = published.snapshot.lock() {
            snapshot.count_findings(report);
            snapshot.objects = judge.objects_per_kind();
            snapshot.ready = true;
            snapshot.whole_runs = whole_runs;
            if listed || first {
                snapshot.last_full_sync = unix_now();
            }
            if let Some(seconds) = judged_in {
                snapshot.latency.observe(seconds);
            }
        }
        published.ready.store(true, Ordering::Release);
        // A change set is settled once no inventory-wide run waits: hand it over if its
        // findings differ from the last one handed over.
        if settled {
            let fingerprint = fingerprint(report);
            if last_fingerprint != Some(fingerprint) {
                last_fingerprint = Some(fingerprint);
                if let Some(on_change) = options.on_change.as_mut() {
                    let inventory = judge.inventory();
                    tokio::task::block_in_place(|| on_change(report, inventory, target));
                }
            }
        }
    }
}

/// A hash of the findings (rule, place, message) and the errors: what a recording compares.
fn fingerprint(report: &Report) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in &report.findings {
        (&f.rule_id, &f.location.path, f.location.line, &f.message).hash(&mut h);
    }
    for e in &report.errors {
        e.message.hash(&mut h);
    }
    h.finish()
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Resolves on SIGTERM or SIGINT.
pub(crate) async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
