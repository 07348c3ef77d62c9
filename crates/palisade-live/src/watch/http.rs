//! The watcher's HTTP endpoint: `GET /metrics`, `/report`, `/healthz`, `/readyz`. A few
//! read-only pages polled by Prometheus and probes need no framework: one request per
//! connection (`Connection: close`), a bounded header read under a timeout, nothing else
//! accepted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body.
    pub body: Vec<u8>,
}

impl Page {
    /// A plain-text page.
    pub fn text(status: u16, body: impl Into<String>) -> Page {
        Page {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into().into_bytes(),
        }
    }
}

/// What answers a path (`/metrics`, ...); `None`: 404.
pub trait Pages: Send + Sync + 'static {
    /// The page at `path` (query string removed).
    fn page(&self, path: &str) -> Option<Page>;
}

/// Binds `addr` (before anything is listed, so a taken port fails at start).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves `pages` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, pages: Arc<dyn Pages>) {
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            // Out of descriptors and the like: pause rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let pages = Arc::clone(&pages);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(HEAD_TIMEOUT * 2, answer(socket, pages.as_ref())).await;
        });
    }
}

async fn answer(mut socket: TcpStream, pages: &dyn Pages) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(HEAD_TIMEOUT, async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            let n = socket.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    let page = match read {
        Ok(Ok(())) => route(&head, pages),
        _ => Page::text(408, "request head not received in time\n"),
    };
    let reason = match page.status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        503 => "Service Unavailable",
        _ => "Bad Request",
    };
    let header = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        page.status,
        page.content_type,
        page.body.len()
    );
    socket.write_all(header.as_bytes()).await?;
    socket.write_all(&page.body).await?;
    socket.shutdown().await
}

/// The page for a request head.
fn route(head: &[u8], pages: &dyn Pages) -> Page {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Page::text(400, "bad request line\n");
    };
    if method != "GET" && method != "HEAD" {
        return Page::text(405, "only GET\n");
    }
    let path = target.split('?').next().unwrap_or(target);
    pages
        .page(path)
        .unwrap_or_else(|| Page::text(404, "not found: try /metrics, /report, /healthz, /readyz\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Hello;
    impl Pages for Hello {
        fn page(&self, path: &str) -> Option<Page> {
            (path == "/hello").then(|| Page::text(200, "hi"))
        }
    }

    #[test]
    fn routes_by_path_and_method() {
        assert_eq!(
            route(b"GET /hello?x=1 HTTP/1.1\r\n\r\n", &Hello).status,
            200
        );
        assert_eq!(route(b"GET /other HTTP/1.1\r\n\r\n", &Hello).status, 404);
        assert_eq!(route(b"POST /hello HTTP/1.1\r\n\r\n", &Hello).status, 405);
        assert_eq!(route(b"\r\n\r\n", &Hello).status, 400);
    }
}
