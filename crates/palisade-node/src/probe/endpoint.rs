//! One host:port: connect, find out whether it speaks TLS or plain HTTP, and send requests
//! over a fresh connection each (so one stalled answer never blocks the next request).

use std::net::{IpAddr, SocketAddr};

use super::conn::{connect, Bounded, Connect, Limits};
use super::http::{exchange, HttpError, Request, Response};
use super::tls::{handshake, Handshake, TlsInfo};

/// Which transport carries the HTTP requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Tls,
    Plain,
}

/// How the first contact with an open port went.
pub(crate) enum Contact {
    /// Nothing listens.
    Closed,
    /// No answer to the connection attempt before the timeout.
    Filtered,
    /// The connection failed otherwise.
    Failed(String),
    /// No time was left to connect.
    OutOfTime,
    /// Open; HTTP spoken over `transport`; the first response (`GET /version`) or why none.
    Speaks {
        transport: Transport,
        tls: Option<TlsInfo>,
        first: Result<Response, String>,
    },
    /// Open, but TLS could not be set up and the port does not speak plain HTTP either.
    Silent {
        tls: Option<TlsInfo>,
        /// The peer required a client certificate (TLS 1.2 alert during the handshake).
        client_cert_required: bool,
        /// TLS 1.1 or older only.
        legacy_tls: bool,
        why: String,
    },
}

/// The address, names and limits of one endpoint.
pub(crate) struct Endpoint {
    pub addr: SocketAddr,
    /// The `Host` header (`name:port` or `[v6]:port`).
    pub authority: String,
    /// What the certificate should be valid for (the name, else the address).
    pub tls_host: String,
    pub limits: Limits,
    /// Plain HTTP is the usual case here (API server insecure port, kubelet read-only port,
    /// dashboard's plain port): tried before TLS.
    pub plain_first: bool,
}

impl Endpoint {
    pub fn new(
        ip: IpAddr,
        name: Option<&str>,
        port: u16,
        limits: Limits,
        plain_first: bool,
    ) -> Endpoint {
        let host = match (name, ip) {
            (Some(n), _) => n.to_string(),
            (None, IpAddr::V6(v6)) => format!("[{v6}]"),
            (None, IpAddr::V4(v4)) => v4.to_string(),
        };
        Endpoint {
            addr: SocketAddr::new(ip, port),
            authority: format!("{host}:{port}"),
            tls_host: name.map_or_else(|| ip.to_string(), str::to_string),
            limits,
            plain_first,
        }
    }

    fn open(&self) -> Result<Bounded, Box<Contact>> {
        match connect(self.addr, &self.limits) {
            Connect::Open(stream) => Ok(Bounded {
                stream,
                limits: self.limits,
            }),
            Connect::Closed => Err(Box::new(Contact::Closed)),
            Connect::Filtered => Err(Box::new(Contact::Filtered)),
            Connect::Failed(e) => Err(Box::new(Contact::Failed(e))),
            Connect::OutOfTime => Err(Box::new(Contact::OutOfTime)),
        }
    }

    fn request<'a>(&'a self, method: &'a str, path: &'a str, body: Option<&'a str>) -> Request<'a> {
        Request {
            method,
            path,
            host: &self.authority,
            body,
        }
    }

    /// First contact: connect, settle the transport, and send `GET /version`.
    pub fn contact(&self) -> Contact {
        let socket = match self.open() {
            Ok(s) => s,
            Err(c) => return *c,
        };
        let version = self.request("GET", "/version", None);
        if self.plain_first {
            let mut socket = socket;
            let answer = exchange(&mut socket, &version, self.limits.max_bytes);
            // One socket at a time: this one closes before TLS opens the next.
            drop(socket);
            let plain = match answer {
                Ok(r) if !is_http_to_https(&r) => {
                    return Contact::Speaks {
                        transport: Transport::Plain,
                        tls: None,
                        first: Ok(r),
                    }
                }
                Ok(r) => format!("answered {} (a TLS port)", r.status),
                Err(HttpError::NotHttp(start)) if looks_like_tls(&start) => {
                    "answered with a TLS record".to_string()
                }
                // A TLS server may close on, or ignore, a plain request: TLS is tried too.
                Err(e @ (HttpError::Empty | HttpError::NoAnswer | HttpError::Io(_))) => {
                    e.to_string()
                }
                Err(e) => {
                    return Contact::Silent {
                        tls: None,
                        client_cert_required: false,
                        legacy_tls: false,
                        why: e.to_string(),
                    }
                }
            };
            return match self.open() {
                Ok(s) => self.over_tls(s, &version, Some(plain)),
                Err(c) => *c,
            };
        }
        self.over_tls(socket, &version, None)
    }

    /// TLS on `socket`; when the peer does not speak TLS, plain HTTP on a new connection
    /// unless it was tried already (`plain_tried` holds how that went).
    fn over_tls(
        &self,
        socket: Bounded,
        version: &Request<'_>,
        plain_tried: Option<String>,
    ) -> Contact {
        let tls_error = match handshake(socket, &self.tls_host) {
            Handshake::Done(mut stream, info) => {
                let first = exchange(&mut *stream, version, self.limits.max_bytes)
                    .map_err(|e| e.to_string());
                return Contact::Speaks {
                    transport: Transport::Tls,
                    tls: Some(*info),
                    first,
                };
            }
            Handshake::NotTls(e) => format!("not TLS: {e}"),
            Handshake::NoAnswer => "no TLS answer before the timeout".to_string(),
            Handshake::LegacyOnly(e) => {
                return Contact::Silent {
                    tls: None,
                    client_cert_required: false,
                    legacy_tls: true,
                    why: e,
                }
            }
            Handshake::Failed {
                error,
                client_cert_requested,
            } => {
                return Contact::Silent {
                    tls: None,
                    client_cert_required: client_cert_requested,
                    legacy_tls: false,
                    why: format!("TLS handshake failed: {error}"),
                }
            }
        };
        if let Some(plain) = plain_tried {
            return Contact::Silent {
                tls: None,
                client_cert_required: false,
                legacy_tls: false,
                why: format!("plain HTTP: {plain}; {tls_error}"),
            };
        }
        let mut socket = match self.open() {
            Ok(s) => s,
            Err(c) => return *c,
        };
        match exchange(&mut socket, version, self.limits.max_bytes) {
            Ok(r) => Contact::Speaks {
                transport: Transport::Plain,
                tls: None,
                first: Ok(r),
            },
            Err(e) => Contact::Silent {
                tls: None,
                client_cert_required: false,
                legacy_tls: false,
                why: format!("{tls_error}; plain HTTP: {e}"),
            },
        }
    }

    /// One more request over `transport`, on a new connection.
    pub fn send(
        &self,
        transport: Transport,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<Response, String> {
        let mut socket = self.open().map_err(|c| match *c {
            Contact::Closed => "connection refused".to_string(),
            Contact::Filtered => "connection timed out".to_string(),
            Contact::Failed(e) => e,
            Contact::OutOfTime => "no time left".to_string(),
            _ => "connection failed".to_string(),
        })?;
        let request = self.request(method, path, body);
        match transport {
            Transport::Plain => exchange(&mut socket, &request, self.limits.max_bytes),
            Transport::Tls => match handshake(socket, &self.tls_host) {
                Handshake::Done(mut stream, _) => {
                    exchange(&mut *stream, &request, self.limits.max_bytes)
                }
                Handshake::NoAnswer => Err(HttpError::NoAnswer),
                Handshake::NotTls(e) | Handshake::LegacyOnly(e) => Err(HttpError::Io(e)),
                Handshake::Failed { error, .. } => Err(HttpError::Io(error)),
            },
        }
        .map_err(|e| e.to_string())
    }
}

/// A TLS record header (handshake 0x16 or alert 0x15, version 3.x) at the start of the
/// answer to a plain request.
fn looks_like_tls(start: &[u8]) -> bool {
    matches!(start, [0x15 | 0x16, 0x03, ..])
}

/// Go's `net/http` answer to plain HTTP on a TLS port.
fn is_http_to_https(r: &Response) -> bool {
    r.status == 400 && r.text().contains("HTTP request to an HTTPS server")
}
