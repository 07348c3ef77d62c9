//! One request with bounded retries: what client-go's REST client retries, Palisade retries.
//!
//! Mirrors `checkWait` and `IsNextRetry` in client-go's `rest/with_retry.go` (with
//! `isErrRetryableFunc` of `rest/request.go`): a 429 or a 5xx answer is retried after the
//! server's `Retry-After` (whole seconds), a connection that fails or is cut before the whole
//! answer arrived (reset, EOF) is retried too, because every request here is a read (GET) and
//! reads are safe to repeat. Where client-go waits one second when a 5xx names no
//! `Retry-After` (and retries nothing else), Palisade backs off exponentially from
//! [`RetryPolicy::backoff`]; and every wait is capped by [`RetryPolicy::max_wait`] so a server
//! asking for an hour does not hold the scan for an hour.
//!
//! kube's `Client::request` reads the answer's JSON `Status` but drops its headers, so the
//! request is sent with `Client::send` and the status and `Retry-After` read here.

use std::time::Duration;

use http_body_util::BodyExt as _;
use kube::Client;
use serde_json::Value;

/// How often and how long a failed request is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries of one request after its first attempt (client-go's default is 10; a scan
    /// reports a failed kind instead of waiting that long).
    pub retries: u32,
    /// First wait when the server names none; doubled at each retry.
    pub backoff: Duration,
    /// The longest single wait, `Retry-After` included.
    pub max_wait: Duration,
    /// How many times a list whose `continue` token expired (410 Gone) is started again.
    pub relists: u32,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            retries: 4,
            backoff: Duration::from_millis(250),
            max_wait: Duration::from_secs(10),
            relists: 2,
        }
    }
}

/// Why a request failed for good.
#[derive(Debug)]
pub enum Failure {
    /// The server answered with an error status (after the retries, for 429 and 5xx).
    Status {
        /// HTTP status.
        code: u16,
        /// The `Status` reason (`Expired`, `Forbidden`), when the body is one.
        reason: String,
        /// The `Status` message, or the body's text.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No (whole) answer: connection refused, reset or cut, a timeout, a body that is not
    /// JSON (after the retries).
    Transport {
        /// What went wrong.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
}

impl Failure {
    /// HTTP status, when the server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            Failure::Status { code, .. } => Some(*code),
            Failure::Transport { .. } => None,
        }
    }

    /// One line: `500 InternalError: message (after 5 attempts)`.
    pub fn describe(&self) -> String {
        let (text, attempts) = match self {
            Failure::Status {
                code,
                reason,
                message,
                attempts,
            } => {
                let reason = if reason.is_empty() {
                    String::new()
                } else {
                    format!(" {reason}")
                };
                (format!("{code}{reason}: {message}"), *attempts)
            }
            Failure::Transport { message, attempts } => (message.clone(), *attempts),
        };
        if attempts > 1 {
            format!("{text} (after {attempts} attempts)")
        } else {
            text
        }
    }
}

/// What one attempt ended in.
enum Attempt {
    Done(Value),
    /// Retry after this long (the server's `Retry-After`, or `None`: back off).
    Again(Failure, Option<Duration>),
    Stop(Failure),
}

/// Sends `request` (a GET) and parses its JSON answer, retrying as the module says.
pub async fn fetch_json(
    client: &Client,
    request: &http::Request<Vec<u8>>,
    policy: &RetryPolicy,
) -> Result<Value, Failure> {
    let mut attempt = 1;
    loop {
        let outcome = once(client, copy(request), attempt).await;
        let (failure, asked) = match outcome {
            Attempt::Done(value) => return Ok(value),
            Attempt::Stop(failure) => return Err(failure),
            Attempt::Again(failure, asked) => (failure, asked),
        };
        if attempt > policy.retries {
            return Err(failure);
        }
        let backoff = policy
            .backoff
            .saturating_mul(2u32.saturating_pow(attempt - 1));
        let wait = asked.unwrap_or(backoff).min(policy.max_wait);
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

async fn once(client: &Client, request: http::Request<Vec<u8>>, attempts: u32) -> Attempt {
    let transport = |message: String| Failure::Transport { message, attempts };
    let response = match client.send(request.map(kube::client::Body::from)).await {
        Ok(r) => r,
        Err(e) => return Attempt::Again(transport(crate::list::describe(&e)), None),
    };
    let status = response.status();
    let retry_after = retry_after(response.headers());
    // A cut connection shows here: the head arrived, the body did not finish.
    let body = match response.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let message = format!("the answer was cut off: {}", crate::list::describe(&e));
            return Attempt::Again(transport(message), None);
        }
    };
    if status.is_success() {
        return match serde_json::from_slice(&body) {
            Ok(value) => Attempt::Done(value),
            Err(e) => Attempt::Stop(transport(format!("the answer is not JSON: {e}"))),
        };
    }
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let failure = Failure::Status {
        code: status.as_u16(),
        reason: field("reason").unwrap_or_default(),
        message: field("message")
            .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string()),
        attempts,
    };
    if status.as_u16() == 429 || status.is_server_error() {
        Attempt::Again(failure, retry_after)
    } else {
        Attempt::Stop(failure)
    }
}

/// `Retry-After` in whole seconds, as client-go's `checkWait` reads it (an HTTP date is
/// ignored, as there).
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let text = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A copy of a GET request (http's requests are not `Clone`).
fn copy(request: &http::Request<Vec<u8>>) -> http::Request<Vec<u8>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_whole_seconds_only() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(http::header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            http::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn a_failure_says_how_often_it_was_tried() {
        let f = Failure::Status {
            code: 503,
            reason: "ServiceUnavailable".into(),
            message: "busy".into(),
            attempts: 5,
        };
        assert_eq!(
            f.describe(),
            "503 ServiceUnavailable: busy (after 5 attempts)"
        );
        let once = Failure::Transport {
            message: "reset".into(),
            attempts: 1,
        };
        assert_eq!(once.describe(), "reset");
        assert_eq!(once.code(), None);
    }
}
