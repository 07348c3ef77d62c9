//! [`FaultProxy`]: a loopback HTTPS proxy that provokes the faults a real API server will not
//! produce on demand: a connection cut after N bytes of an answer, a 429 with `Retry-After`, a
//! 500, a 410 Gone; and counts the requests it saw. In front of a real [`ApiServer`] it relays
//! everything else; in replay mode it answers from a function (recorded API responses, a
//! generated huge list).
//!
//! One thread per connection, HTTP/1.1 only (it offers only `http/1.1` by ALPN), GET-sized
//! requests. Its own CA (rcgen, made per proxy) signs its certificate for `127.0.0.1`;
//! [`FaultProxy::kubeconfig`] writes a kubeconfig that trusts it.

use std::io::{BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use tempfile::TempDir;

use crate::ApiServer;

/// What to do to a request a rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a JSON `Status` body (`reason` as its reason), and
    /// `Retry-After: secs` when given; the request never reaches the server.
    Status {
        /// HTTP status (429, 500, 410, 401...).
        code: u16,
        /// `Status.reason` (`TooManyRequests`, `InternalError`, `Expired`).
        reason: String,
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
    },
    /// Pass the request on, relay the first `n` bytes of the answer (head included), then
    /// close the connection without a TLS close_notify: a connection cut mid-answer.
    CutAfter(usize),
}

impl Fault {
    /// `Fault::Status` without `Retry-After`.
    pub fn status(code: u16, reason: &str) -> Fault {
        Fault::Status {
            code,
            reason: reason.to_string(),
            retry_after: None,
        }
    }
}

/// Answers a request target (`/api/v1/pods?limit=500`) with a status and a JSON body.
pub type Responder = dyn Fn(&str) -> (u16, String) + Send + Sync;

enum Backend {
    /// A real server: `127.0.0.1:PORT`, trusted through its CA.
    Upstream {
        addr: String,
        tls: Arc<ClientConfig>,
    },
    Replay(Arc<Responder>),
}

struct Rule {
    /// The request target must contain every one of these.
    needles: Vec<String>,
    fault: Fault,
    remaining: usize,
}

struct Shared {
    backend: Backend,
    rules: Mutex<Vec<Rule>>,
    log: Mutex<Vec<String>>,
    stop: AtomicBool,
}

/// A running proxy; stops on drop.
pub struct FaultProxy {
    shared: Arc<Shared>,
    port: u16,
    dir: TempDir,
    accept: Option<thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// A proxy in front of `server`: requests no rule matches reach it unchanged (the
    /// client's bearer token included).
    pub fn in_front_of(server: &ApiServer) -> anyhow::Result<FaultProxy> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(server.ca()).context("reading the test CA")? {
            roots.add(cert.context("reading the test CA")?)?;
        }
        let tls = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let addr = format!("127.0.0.1:{}", server.api_port());
        FaultProxy::start(Backend::Upstream {
            addr,
            tls: Arc::new(tls),
        })
    }

    /// A proxy that answers every request itself with `responder` (replay mode).
    pub fn replay(
        responder: impl Fn(&str) -> (u16, String) + Send + Sync + 'static,
    ) -> anyhow::Result<FaultProxy> {
        FaultProxy::start(Backend::Replay(Arc::new(responder)))
    }

    fn start(backend: Backend) -> anyhow::Result<FaultProxy> {
        let dir = tempfile::Builder::new()
            .prefix("palisade-fault-proxy-")
            .tempdir()?;
        let server_tls = Arc::new(certificate(dir.path())?);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            backend,
            rules: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (shared, tls) = (Arc::clone(&accept_shared), Arc::clone(&server_tls));
                thread::spawn(move || {
                    // A client that hangs up mid-request is none of the test's business.
                    let _ = serve(stream, &tls, &shared);
                });
            }
        });
        Ok(FaultProxy {
            shared,
            port,
            dir,
            accept: Some(accept),
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The PEM file of the CA that signed the proxy's certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Writes a kubeconfig for this proxy with one context, `user`, holding `token`; returns
    /// its path (inside the proxy's directory).
    pub fn kubeconfig(&self, user: &str, token: &str) -> anyhow::Result<PathBuf> {
        let path = self.dir.path().join(format!("kubeconfig-{user}"));
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {user}\n\
             clusters: [{{name: proxy, cluster: {{server: '{}', certificate-authority: '{}'}}}}]\n\
             users: [{{name: {user}, user: {{token: '{token}'}}}}]\n\
             contexts: [{{name: {user}, context: {{cluster: proxy, user: {user}}}}}]\n",
            self.url(),
            self.ca().display()
        );
        std::fs::write(&path, text)?;
        Ok(path)
    }

    /// From now on, the next `times` requests whose target (path and query) contains every
    /// one of `needles` meet `fault`. Rules are tried in the order they were added.
    pub fn inject(&self, needles: &[&str], fault: Fault, times: usize) {
        let rule = Rule {
            needles: needles.iter().map(|s| s.to_string()).collect(),
            fault,
            remaining: times,
        };
        lock(&self.shared.rules).push(rule);
    }

    /// Every request target seen so far, in arrival order.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.shared.log).clone()
    }

    /// How many requests seen so far contain every one of `needles`.
    pub fn count(&self, needles: &[&str]) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|t| needles.iter().all(|n| t.contains(n)))
            .count()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A fresh CA (written to `dir/ca.pem`) and a certificate it signs for `127.0.0.1`.
fn certificate(dir: &Path) -> anyhow::Result<ServerConfig> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "palisade fault proxy CA");
    let ca = ca_params.self_signed(&ca_key)?;
    std::fs::write(dir.join("ca.pem"), ca.pem())?;
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .subject_alt_names
        .push(rcgen::SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let cert = params.signed_by(&key, &ca, &ca_key)?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// One request as read off the wire.
struct Head {
    target: String,
    /// Request line and headers, `Connection` removed, without the blank line.
    lines: Vec<String>,
    body: Vec<u8>,
}

/// Serves one client connection: one request, answered with `Connection: close` (a relayed
/// answer carries the server's own, as the relayed request asked for it). One request per
/// connection keeps a fault from leaving a half-used connection in the client's pool.
fn serve(tcp: TcpStream, tls: &Arc<ServerConfig>, shared: &Shared) -> anyhow::Result<()> {
    let conn = ServerConnection::new(Arc::clone(tls))?;
    let mut reader = BufReader::new(rustls::StreamOwned::new(conn, tcp));
    let Some(head) = read_head(&mut reader)? else {
        return Ok(());
    };
    lock(&shared.log).push(head.target.clone());
    let fault = {
        let mut rules = lock(&shared.rules);
        rules
            .iter_mut()
            .find(|r| r.remaining > 0 && r.needles.iter().all(|n| head.target.contains(n)))
            .map(|r| {
                r.remaining -= 1;
                r.fault.clone()
            })
    };
    let out = reader.get_mut();
    let answer = match (&fault, &shared.backend) {
        (
            Some(Fault::Status {
                code,
                reason,
                retry_after,
            }),
            _,
        ) => {
            let body = serde_json::json!({"kind": "Status", "apiVersion": "v1",
                "metadata": {}, "status": "Failure", "code": code, "reason": reason,
                "message": format!("injected by the fault proxy: {reason}")})
            .to_string();
            response(*code, &body, *retry_after)
        }
        (_, Backend::Replay(responder)) => {
            let (code, body) = responder(&head.target);
            response(code, &body, None)
        }
        (_, Backend::Upstream { addr, tls }) => relay(&head, addr, tls)?,
    };
    if let Some(Fault::CutAfter(n)) = fault {
        out.write_all(&answer[..n.min(answer.len())])?;
        out.flush()?;
        // No close_notify: the client sees the connection die mid-answer.
        out.sock.shutdown(Shutdown::Both)?;
        return Ok(());
    }
    out.write_all(&answer)?;
    out.flush()?;
    out.conn.send_close_notify();
    out.flush()?;
    Ok(())
}

/// Reads a request head and its body (`Content-Length` only; GETs have none). `None` when
/// the client closed the connection before sending one.
fn read_head(reader: &mut impl std::io::BufRead) -> anyhow::Result<Option<Head>> {
    let mut lines = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            lines.push(line);
        }
    }
    let target = lines
        .first()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Head {
        target,
        lines,
        body,
    }))
}

/// An HTTP/1.1 answer with a JSON body.
fn response(code: u16, body: &str, retry_after: Option<u64>) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n",
        reason_phrase(code),
        body.len()
    );
    if let Some(secs) = retry_after {
        head.push_str(&format!("Retry-After: {secs}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Sends the request to the real server on a fresh connection (`Connection: close`) and
/// returns its whole answer, bytes as they came (the client parses the framing).
fn relay(head: &Head, addr: &str, tls: &Arc<ClientConfig>) -> anyhow::Result<Vec<u8>> {
    let name = ServerName::IpAddress(Ipv4Addr::LOCALHOST.into());
    let conn = ClientConnection::new(Arc::clone(tls), name)?;
    let mut stream = rustls::StreamOwned::new(conn, TcpStream::connect(addr)?);
    let mut request = head.lines.join("\r\n");
    request.push_str("\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(&head.body)?;
    stream.flush()?;
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        // A server that closes without close_notify after a complete answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(e) => return Err(e.into()),
    }
    Ok(answer)
}
