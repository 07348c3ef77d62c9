//! One stream kept current: list, then watch from the list's resourceVersion; on a dropped
//! connection resume from the last resourceVersion seen (with backoff); on 410 Gone list
//! again. Mirrors client-go's `Reflector.ListAndWatch` / `watchHandler`: bookmarks move the
//! resourceVersion on without an object, an expired version (`isExpiredError`: 410, or a
//! watch `ERROR` event whose status is 410) means relist from the latest state (the
//! reflector's `relistResourceVersion` falls back to `""` then), and every other failure
//! retries the watch after a growing pause (its `backoffManager`, 800 ms to 30 s; here
//! 250 ms to 30 s, reset once a watch has delivered).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use kube::core::params::{ListParams, WatchParams};
use kube::core::request::Request;
use kube::core::WatchEvent;
use kube::Client;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::streams::Stream;
use crate::kinds::Fetch;
use crate::list::{collection_path, describe};

/// Server-side timeout of one watch request. Below the client's 60 s read timeout
/// (connect.rs), so a quiet watch ends cleanly at the server and is resumed, instead of
/// failing as a read timeout.
const WATCH_TIMEOUT_SECONDS: u32 = 45;
/// First pause after a failure, and its cap.
const BACKOFF_START: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// What a stream reports to the watcher.
#[derive(Debug)]
pub enum Update {
    /// A full list: every object of the stream now (those not in it are gone).
    Listed {
        /// Index of the stream.
        stream: usize,
        /// Every object, each with `kind` and `apiVersion` set.
        items: Vec<Value>,
    },
    /// ADDED or MODIFIED.
    Applied {
        /// Index of the stream.
        stream: usize,
        /// The object as it is now.
        item: Value,
    },
    /// DELETED.
    Deleted {
        /// Index of the stream.
        stream: usize,
        /// The object as it was last.
        item: Value,
    },
    /// The stream cannot be listed (it keeps retrying).
    Failed {
        /// Index of the stream.
        stream: usize,
        /// What the server or the connection said.
        message: String,
        /// The HTTP status when the server answered: 403, the credentials may not list it;
        /// 404, it is not served (a kind removed since discovery).
        status: Option<u16>,
    },
}

impl Update {
    /// Whether this failure is the server's final word for now (403 forbidden, 404 not
    /// served): the stream counts as answered for readiness, though it keeps retrying.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Update::Failed {
                status: Some(403 | 404),
                ..
            }
        )
    }
}

/// Counters of what the streams did, for metrics and tests.
#[derive(Debug, Default)]
pub struct Counters {
    /// Full lists (the first of each stream included).
    pub lists: AtomicU64,
    /// Relists after 410 Gone.
    pub expired: AtomicU64,
    /// Watches that failed (connection or server error) and are resumed after a pause.
    pub reconnects: AtomicU64,
    /// Watches started again from the last resourceVersion seen, after the stream ended
    /// (the server's timeout, a cut connection: kube reports a dropped chunked stream as its
    /// end) or failed; no relist.
    pub resumes: AtomicU64,
    /// Watch events received (ADDED, MODIFIED, DELETED).
    pub events: AtomicU64,
    /// Bookmarks received.
    pub bookmarks: AtomicU64,
}

/// Keeps one stream current until the receiver is dropped. `resume_from` starts with a
/// watch from that resourceVersion instead of a list (a watcher that knew the stream
/// before); an expired one is relisted like any other.
pub async fn reflect(
    client: Client,
    index: usize,
    stream: Stream,
    page_size: u32,
    resume_from: Option<String>,
    updates: UnboundedSender<Update>,
    counters: Arc<Counters>,
) {
    let mut version = resume_from;
    let mut pause = BACKOFF_START;
    let request = Request::new(collection_path(&stream.target, stream.namespace.as_deref()));
    loop {
        if updates.is_closed() {
            return;
        }
        let Some(from) = version.clone() else {
            match list(&client, &request, &stream, page_size).await {
                Ok((items, listed_at)) => {
                    counters.lists.fetch_add(1, Ordering::Relaxed);
                    let items = items.into_iter().map(|i| stamp(i, &stream)).collect();
                    if updates
                        .send(Update::Listed {
                            stream: index,
                            items,
                        })
                        .is_err()
                    {
                        return;
                    }
                    version = Some(listed_at);
                    pause = BACKOFF_START;
                }
                Err(error) => {
                    let status = match &error {
                        kube::Error::Api(s) => Some(s.code),
                        _ => None,
                    };
                    let message = describe(&error);
                    let failed = Update::Failed {
                        stream: index,
                        message,
                        status,
                    };
                    if updates.send(failed).is_err() {
                        return;
                    }
                    pause = sleep_and_grow(pause).await;
                }
            }
            continue;
        };
        match watch(
            &client, &request, &stream, &from, index, &updates, &counters,
        )
        .await
        {
            Ended::Timeout(at) => {
                counters.resumes.fetch_add(1, Ordering::Relaxed);
                version = Some(at);
                pause = BACKOFF_START;
            }
            Ended::Expired => {
                counters.expired.fetch_add(1, Ordering::Relaxed);
                version = None;
            }
            Ended::Failed { at, delivered } => {
                counters.reconnects.fetch_add(1, Ordering::Relaxed);
                counters.resumes.fetch_add(1, Ordering::Relaxed);
                version = Some(at);
                if delivered {
                    pause = BACKOFF_START;
                }
                pause = sleep_and_grow(pause).await;
            }
            Ended::Closed => return,
        }
    }
}

async fn sleep_and_grow(pause: Duration) -> Duration {
    tokio::time::sleep(pause).await;
    (pause * 2).min(BACKOFF_MAX)
}

/// How a watch ended.
enum Ended {
    /// The server closed it (its timeout): resume from this version.
    Timeout(String),
    /// 410 Gone: the version is no longer in the server's window; relist.
    Expired,
    /// Connection or server error: resume from this version after a pause.
    Failed { at: String, delivered: bool },
    /// Nobody listens any more.
    Closed,
}

async fn watch(
    client: &Client,
    request: &Request,
    stream: &Stream,
    from: &str,
    index: usize,
    updates: &UnboundedSender<Update>,
    counters: &Counters,
) -> Ended {
    let params = WatchParams {
        field_selector: stream.field_selector.clone(),
        timeout: Some(WATCH_TIMEOUT_SECONDS),
        bookmarks: true,
        ..WatchParams::default()
    };
    let built = match stream.target.wanted.fetch {
        Fetch::Full => request.watch(&params, from),
        Fetch::MetadataOnly => request.watch_metadata(&params, from),
    };
    let mut at = from.to_string();
    let failed = |at: String, delivered| Ended::Failed { at, delivered };
    let Ok(http) = built else {
        return failed(at, false);
    };
    let events = match client.request_events::<Value>(http).await {
        Ok(events) => events,
        Err(kube::Error::Api(status)) if status.code == 410 => return Ended::Expired,
        Err(_) => return failed(at, false),
    };
    let mut events = std::pin::pin!(events);
    let mut delivered = false;
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(_) => return failed(at, delivered),
        };
        let update = match event {
            WatchEvent::Added(item) | WatchEvent::Modified(item) => {
                at = resource_version(&item).unwrap_or(at);
                Update::Applied {
                    stream: index,
                    item: stamp(item, stream),
                }
            }
            WatchEvent::Deleted(item) => {
                at = resource_version(&item).unwrap_or(at);
                Update::Deleted {
                    stream: index,
                    item: stamp(item, stream),
                }
            }
            WatchEvent::Bookmark(bookmark) => {
                counters.bookmarks.fetch_add(1, Ordering::Relaxed);
                at = bookmark.metadata.resource_version;
                continue;
            }
            WatchEvent::Error(status) if status.code == 410 => return Ended::Expired,
            WatchEvent::Error(_) => return failed(at, delivered),
        };
        counters.events.fetch_add(1, Ordering::Relaxed);
        delivered = true;
        if updates.send(update).is_err() {
            return Ended::Closed;
        }
    }
    Ended::Timeout(at)
}

/// Lists the stream page by page (client-go's pager); the items and the list's
/// resourceVersion, where the watch starts.
async fn list(
    client: &Client,
    request: &Request,
    stream: &Stream,
    page_size: u32,
) -> Result<(Vec<Value>, String), kube::Error> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let params = ListParams {
            limit: Some(page_size.max(1)),
            continue_token: token.take(),
            field_selector: stream.field_selector.clone(),
            ..ListParams::default()
        };
        let built = match stream.target.wanted.fetch {
            Fetch::Full => request.list(&params),
            Fetch::MetadataOnly => request.list_metadata(&params),
        };
        let http = built.map_err(kube::Error::BuildRequest)?;
        let mut page: Value = client.request(http).await?;
        if let Some(Value::Array(page_items)) = page.get_mut("items").map(Value::take) {
            items.extend(page_items);
        }
        let meta = |key: &str| {
            page.get("metadata")
                .and_then(|m| m.get(key))
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        token = meta("continue");
        if token.is_none() {
            // Every page of a paginated list is served at the first page's version.
            return Ok((items, meta("resourceVersion").unwrap_or_default()));
        }
    }
}

/// `metadata.resourceVersion` of an object.
fn resource_version(item: &Value) -> Option<String> {
    item.get("metadata")?
        .get("resourceVersion")?
        .as_str()
        .map(str::to_string)
}

/// The item with its stream's kind and apiVersion (list items carry neither; metadata-only
/// ones say `PartialObjectMetadata`) and, for a Secret stream filtered by type, that type.
fn stamp(mut item: Value, stream: &Stream) -> Value {
    if let Value::Object(map) = &mut item {
        let r = &stream.target.resource;
        map.insert("kind".into(), Value::String(r.kind.clone()));
        map.insert("apiVersion".into(), Value::String(r.api_version.clone()));
        if let Some(t) = stream.secret_type {
            map.insert("type".into(), Value::String(t.to_string()));
        }
    }
    item
}
