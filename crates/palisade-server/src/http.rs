//! The HTTP side: routing, the body limit and read deadline, the bound on requests judged at
//! once, and the decision log line.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{header, Method, Request, Response, StatusCode};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::decide::{Judge, Verdict};
use crate::metrics::Metrics;
use crate::modes::Mode;
use crate::review;
use crate::Limits;

/// State every connection shares.
pub(crate) struct Shared {
    pub judge: Judge,
    pub metrics: Metrics,
    pub limits: Limits,
    pub ready: AtomicBool,
    pub judging: Semaphore,
    pub pool: crate::pool::JudgePool,
}

type Answer = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Answer {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn problem(status: StatusCode, message: &str) -> Answer {
    let body = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": status.as_u16(), "message": message});
    reply(status, "application/json", body.to_string())
}

/// Routes one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Answer, Infallible> {
    let path = req.uri().path().to_string();
    Ok(match (req.method(), path.as_str()) {
        (&Method::GET, "/healthz") => reply(StatusCode::OK, "text/plain", "ok\n"),
        (&Method::GET, "/readyz") => {
            if shared.ready.load(Ordering::Acquire) && shared.judge.context_synced() {
                reply(StatusCode::OK, "text/plain", "ready\n")
            } else {
                reply(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "not ready\n")
            }
        }
        (&Method::GET, "/metrics") => reply(
            StatusCode::OK,
            "text/plain; version=0.0.4",
            shared.metrics.render(shared.judge.policy_cache_stats()),
        ),
        (&Method::POST, "/validate") => validate(&shared, req).await,
        (_, "/validate" | "/healthz" | "/readyz" | "/metrics") => {
            problem(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            "no such path; POST AdmissionReviews to /validate",
        ),
    })
}

async fn validate(shared: &Arc<Shared>, req: Request<Incoming>) -> Answer {
    let start = Instant::now();
    let limits = &shared.limits;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        close(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body exceeds {} bytes", limits.max_body_bytes),
        ))
    };
    if declared.is_some_and(|n| n > drain_cap(limits) as u64) {
        // Far too large to read and discard: answer and close at once.
        shared
            .metrics
            .request("unknown", "too_large", start.elapsed());
        return too_large();
    }
    let read = tokio::time::timeout(
        limits.body_read_timeout,
        read_body(req.into_body(), limits.max_body_bytes, drain_cap(limits)),
    )
    .await;
    let bytes = match read {
        Ok(Ok(b)) => b,
        Ok(Err(BodyError::TooLarge)) => {
            shared
                .metrics
                .request("unknown", "too_large", start.elapsed());
            return too_large();
        }
        Ok(Err(BodyError::Broken(e))) => {
            shared
                .metrics
                .request("unknown", "bad_request", start.elapsed());
            return close(problem(
                StatusCode::BAD_REQUEST,
                &format!("reading the body: {e}"),
            ));
        }
        Err(_) => {
            shared
                .metrics
                .request("unknown", "timeout", start.elapsed());
            return close(problem(
                StatusCode::REQUEST_TIMEOUT,
                "the body was not received in time",
            ));
        }
    };
    let (review, request) = match review::parse(&bytes) {
        Ok(r) => r,
        Err(msg) => {
            shared
                .metrics
                .request("unknown", "bad_request", start.elapsed());
            return problem(StatusCode::BAD_REQUEST, &msg);
        }
    };
    // Bounded queue: wait a little for a slot, then tell the API server to back off.
    let permit = match tokio::time::timeout(limits.queue_timeout, shared.judging.acquire()).await {
        Ok(Ok(p)) => p,
        _ => {
            shared
                .metrics
                .request(&request.operation, "overloaded", start.elapsed());
            return problem(StatusCode::TOO_MANY_REQUESTS, "too many requests in flight");
        }
    };
    shared.metrics.in_flight(1);
    let on_pool = Arc::clone(shared);
    let judged = shared
        .pool
        .run(move || {
            let verdict = on_pool.judge.decide(&review, &request, crate::today());
            (verdict, request)
        })
        .await;
    shared.metrics.in_flight(-1);
    drop(permit);
    let Some((verdict, request)) = judged else {
        shared
            .metrics
            .request("unknown", "unavailable", start.elapsed());
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down or could not judge the request",
        );
    };
    let body = review::response(&request.uid, &verdict.answer).to_string();
    let took = start.elapsed();
    let result = if verdict.exempt {
        "exempt"
    } else if verdict.answer.allowed {
        "allowed"
    } else {
        "denied"
    };
    shared.metrics.request(&request.operation, result, took);
    for h in &verdict.hits {
        shared.metrics.decision(&h.rule_id, h.mode.as_str());
    }
    for _ in &verdict.policy_errors {
        shared.metrics.policy_error();
    }
    log_decision(&request, &verdict, took);
    reply(StatusCode::OK, "application/json", body)
}

/// How much of an oversized body is read and discarded before answering 413: closing a
/// socket with unread data makes the kernel send a reset, which can destroy the answer
/// before the client reads it (the lingering close web servers do).
fn drain_cap(limits: &Limits) -> usize {
    limits.max_body_bytes.saturating_mul(2)
}

enum BodyError {
    TooLarge,
    Broken(hyper::Error),
}

/// Reads a body of at most `max` bytes; a longer one is read on (and discarded) up to `cap`
/// so that the 413 reaches the client, then refused.
async fn read_body(mut body: Incoming, max: usize, cap: usize) -> Result<Bytes, BodyError> {
    let mut buf = bytes::BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total > cap {
                return Err(BodyError::TooLarge);
            }
            if total <= max {
                buf.extend_from_slice(&data);
            }
        }
    }
    if total > max {
        Err(BodyError::TooLarge)
    } else {
        Ok(buf.freeze())
    }
}

/// Closes the connection after this answer (the rest of the body is not read).
fn close(mut r: Answer) -> Answer {
    r.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    r
}

/// One JSON line on stderr per decision: the audit trail.
fn log_decision(req: &review::Request, v: &Verdict, took: std::time::Duration) {
    let strongest = v
        .hits
        .iter()
        .map(|h| h.mode)
        .max()
        .filter(|m| *m != Mode::Off);
    let mode = if v.exempt {
        "exempt"
    } else {
        strongest.map_or("none", Mode::as_str)
    };
    let rules: Vec<_> = v
        .hits
        .iter()
        .map(|h| json!({"id": h.rule_id, "mode": h.mode.as_str()}))
        .collect();
    let line = json!({
        "time": timestamp(),
        "msg": "admission decision",
        "uid": req.uid,
        "kind": req.kind,
        "namespace": req.namespace,
        "name": req.name,
        "operation": req.operation,
        "subResource": req.sub_resource,
        "dryRun": req.dry_run,
        "allowed": v.answer.allowed,
        "mode": mode,
        "rules": rules,
        "policyErrors": v.policy_errors,
        "ignoredPolicyErrors": v.ignored_errors,
        "durationMs": took.as_secs_f64() * 1e3,
    });
    write_log_line(&line);
}

/// Writes one JSON log line to stderr with a single `write`: stderr is unbuffered, and
/// formatting a `serde_json::Value` straight into it (`eprintln!("{line}")`) issued one
/// system call per token, about a tenth of the server's CPU under load.
fn write_log_line(line: &serde_json::Value) {
    use std::io::Write;
    let mut text = line.to_string();
    text.push('\n');
    // Nothing sensible to do when stderr is gone; the decision itself was already answered.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Logs a server event (start, reload, shutdown) as a JSON line.
pub(crate) fn log_event(msg: &str, detail: serde_json::Value) {
    write_log_line(&json!({"time": timestamp(), "msg": msg, "detail": detail}));
}

/// RFC 3339 UTC with milliseconds.
fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let day = palisade_core::Date::from_unix_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let s = secs % 86_400;
    format!(
        "{day}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60,
        now.subsec_millis()
    )
}
