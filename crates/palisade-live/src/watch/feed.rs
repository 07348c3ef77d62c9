//! The same streams into any [`Sink`]: what keeps the admission webhook's context cache
//! (Namespaces, ServiceAccounts, LimitRanges) current. Runs on its own thread and runtime,
//! beside whatever server owns the sink.

use std::sync::Arc;

use serde_json::Value;

use super::reflector::{Counters, Update};
use super::run::{discover_streams, start};
use crate::connect::{connect, ClusterOptions};
use crate::Error;

/// Where a feed's objects go.
pub trait Sink: Send + Sync + 'static {
    /// Every object of `kind` now (a full list of its stream).
    fn replace(&self, kind: &str, objects: &[Value]);
    /// One object added or modified (`deleted` false) or deleted.
    fn apply(&self, kind: &str, deleted: bool, object: &Value);
    /// A stream cannot be listed (it keeps retrying).
    fn failed(&self, kind: &str, message: &str);
    /// Every stream has been listed, or refused (403 forbidden, 404 not served), once
    /// (called once).
    fn synced(&self);
}

/// A running feed.
pub struct Feed {
    /// Counters of its streams.
    pub counters: Arc<Counters>,
    /// The feed's thread: it runs for the life of the process.
    pub thread: std::thread::JoinHandle<()>,
}

/// Connects (in `options.scope`, usually all namespaces), finds the streams of `kinds`
/// among those `scan --cluster` reads, and feeds them to `sink` from a thread of its own.
/// Fails if the cluster cannot be reached or serves none of the kinds; later failures are
/// retried with backoff and reported to the sink.
pub fn feed(options: &ClusterOptions, kinds: &[&str], sink: Arc<dyn Sink>) -> Result<Feed, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let namespace = match &options.scope {
        crate::Scope::Namespace(ns) => Some(ns.clone()),
        _ => None,
    };
    let (connected, streams) = runtime.block_on(async {
        let connected = connect(options).await?;
        let all = discover_streams(&connected, namespace.as_deref(), options.concurrency).await?;
        Ok::<_, Error>((connected, all))
    })?;
    let streams: Vec<_> = streams
        .into_iter()
        .filter(|s| kinds.contains(&s.target.resource.kind.as_str()))
        .collect();
    if streams.is_empty() {
        return Err(Error::Unreachable {
            cluster: connected.cluster,
            message: format!("the server serves none of {}", kinds.join(", ")),
        });
    }
    let counters = Arc::new(Counters::default());
    let shared = Arc::clone(&counters);
    let page_size = options.page_size;
    let thread = std::thread::Builder::new()
        .name("palisade-feed".into())
        .spawn(move || {
            runtime.block_on(async move {
                let mut updates = start(&connected, &streams, page_size, &shared, None);
                let mut listed = vec![false; streams.len()];
                let mut synced = false;
                let kind = |i: usize| {
                    streams
                        .get(i)
                        .map(|s| s.target.resource.kind.clone())
                        .unwrap_or_default()
                };
                while let Some(update) = updates.recv().await {
                    let refused = update.is_refusal();
                    match update {
                        Update::Listed { stream, items } => {
                            sink.replace(&kind(stream), &items);
                            if let Some(l) = listed.get_mut(stream) {
                                *l = true;
                            }
                        }
                        Update::Applied { stream, item } => sink.apply(&kind(stream), false, &item),
                        Update::Deleted { stream, item } => sink.apply(&kind(stream), true, &item),
                        Update::Failed {
                            stream, message, ..
                        } => {
                            sink.failed(&kind(stream), &message);
                            // A refused kind will not come: the rest is still worth serving.
                            if let (true, Some(l)) = (refused, listed.get_mut(stream)) {
                                *l = true;
                            }
                        }
                    }
                    if !synced && listed.iter().all(|l| *l) {
                        synced = true;
                        sink.synced();
                    }
                }
            });
        })
        .map_err(Error::Runtime)?;
    Ok(Feed { counters, thread })
}
