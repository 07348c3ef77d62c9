//! Test servers on loopback (127.0.0.1 only) and certificates made with `openssl` at test
//! time: the HTTPS stand-ins for kubelets, API servers and dashboards, and hostile servers
//! that stall, send garbage or never stop sending.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use palisade_node::probe::{self, PortRoles, ProbeOptions, ProbeRun};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate and its key, as PEM files.
#[derive(Clone)]
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Every certificate the tests use, made once per test binary.
pub struct Certs {
    _dir: tempfile::TempDir,
    pub ca: PathBuf,
    /// Signed by `ca`, valid for 127.0.0.1 and localhost.
    pub server: Pair,
    /// What a kubelet makes for itself without a serving certificate: a `HOST@TIME` leaf
    /// for 127.0.0.1 signed by its own `HOST-ca@TIME` root, served as a two-certificate chain.
    pub kubelet_generated: Pair,
    /// Self-signed, valid 2020-01-01 to 2021-01-01.
    pub expired: Pair,
    /// Signed by `ca`, valid only for other.example.
    pub other_name: Pair,
}

pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

fn self_signed(dir: &Path, name: &str, cn: &str, san: &str) -> Pair {
    let (key, cert) = (format!("{name}.key"), format!("{name}.crt"));
    let subj = format!("/CN={cn}");
    let ext = format!("subjectAltName={san}");
    let mut args = vec!["req", "-x509"];
    args.extend(EC);
    args.extend(["-nodes", "-keyout", &key, "-out", &cert, "-days", "30"]);
    args.extend(["-subj", &subj, "-addext", &ext]);
    openssl(dir, &args);
    Pair {
        cert: dir.join(cert),
        key: dir.join(key),
    }
}

fn ca_signed(dir: &Path, name: &str, cn: &str, san: &str) -> Pair {
    let (key, csr, cert) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.crt"),
    );
    let subj = format!("/CN={cn}");
    let ext = format!("subjectAltName={san}");
    let mut args = vec!["req", "-new"];
    args.extend(EC);
    args.extend(["-nodes", "-keyout", &key, "-out", &csr, "-subj", &subj]);
    args.extend(["-addext", &ext]);
    openssl(dir, &args);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "30",
            "-copy_extensions",
            "copy",
        ],
    );
    Pair {
        cert: dir.join(cert),
        key: dir.join(key),
    }
}

fn kubelet_generated(dir: &Path) -> Pair {
    let root = self_signed(dir, "kubelet-ca", "127.0.0.1-ca@1700000000", "IP:127.0.0.1");
    let mut args = vec!["req", "-new"];
    args.extend(EC);
    args.extend(["-nodes", "-keyout", "kubelet.key", "-out", "kubelet.csr"]);
    args.extend([
        "-subj",
        "/CN=127.0.0.1@1700000000",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
    ]);
    openssl(dir, &args);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "kubelet.csr",
            "-CA",
            "kubelet-ca.crt",
            "-CAkey",
            "kubelet-ca.key",
            "-CAcreateserial",
            "-out",
            "kubelet-leaf.crt",
            "-days",
            "30",
            "-copy_extensions",
            "copy",
        ],
    );
    let leaf = std::fs::read_to_string(dir.join("kubelet-leaf.crt")).unwrap();
    let ca = std::fs::read_to_string(&root.cert).unwrap();
    std::fs::write(dir.join("kubelet.crt"), leaf + &ca).unwrap();
    Pair {
        cert: dir.join("kubelet.crt"),
        key: dir.join("kubelet.key"),
    }
}

/// An expired self-signed certificate: `openssl ca` is the 3.0 tool that takes explicit
/// start and end dates.
fn expired(dir: &Path) -> Pair {
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n\
         default_md = sha256\npolicy = p\ncopy_extensions = copy\n[p]\ncommonName = supplied\n",
    )
    .unwrap();
    let mut args = vec!["req", "-new"];
    args.extend(EC);
    args.extend(["-nodes", "-keyout", "expired.key", "-out", "expired.csr"]);
    args.extend([
        "-subj",
        "/CN=expired-dashboard",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
    ]);
    openssl(dir, &args);
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-selfsign",
            "-keyfile",
            "expired.key",
            "-in",
            "expired.csr",
            "-out",
            "expired.crt",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
        ],
    );
    Pair {
        cert: dir.join("expired.crt"),
        key: dir.join("expired.key"),
    }
}

pub fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut args = vec!["req", "-x509"];
        args.extend(EC);
        args.extend([
            "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "30",
        ]);
        args.extend(["-subj", "/CN=palisade-test-ca"]);
        openssl(d, &args);
        Certs {
            ca: d.join("ca.crt"),
            server: ca_signed(d, "server", "kube-apiserver", "IP:127.0.0.1,DNS:localhost"),
            kubelet_generated: kubelet_generated(d),
            expired: expired(d),
            other_name: ca_signed(d, "other", "other", "DNS:other.example"),
            _dir: dir,
        }
    })
}

/// What a test server does with a request.
pub enum Reply {
    /// A complete response.
    Http(u16, String),
    /// These bytes, then hold the connection open without sending more.
    Stall(Vec<u8>),
    /// A response header, then an endless body until the client goes away.
    Endless,
}

pub type Handler = Arc<dyn Fn(&str, &str) -> Reply + Send + Sync>;

/// A server on 127.0.0.1:PORT, stopped when dropped.
pub struct Server {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Accepts connections on a fresh loopback port and hands each to `serve` on its own thread.
pub fn listen(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let serve = Arc::new(serve);
    thread::spawn(move || {
        for conn in listener.incoming() {
            if stopped.load(Ordering::SeqCst) {
                break;
            }
            let Ok(conn) = conn else { continue };
            let serve = Arc::clone(&serve);
            thread::spawn(move || serve(conn));
        }
    });
    Server { port, stop }
}

/// Plain HTTP server answering with `handler`. A TLS ClientHello gets a 400, as most plain
/// servers answer bytes that are no request line.
pub fn http(handler: Handler) -> Server {
    listen(move |mut conn| {
        let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
        let mut first = [0u8; 1];
        if conn.peek(&mut first).is_ok() && first[0] == 0x16 {
            let _ = conn.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return;
        }
        respond(&mut conn, &handler);
    })
}

fn tls_config(
    pair: &Pair,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ServerConfig> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&pair.cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(&pair.key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap(),
    )
}

/// HTTPS server with the certificate `pair`, answering with `handler`.
pub fn https(pair: &Pair, handler: Handler) -> Server {
    https_with(pair, rustls::DEFAULT_VERSIONS, handler)
}

/// HTTPS server speaking only the given TLS versions.
pub fn https_with(
    pair: &Pair,
    versions: &[&'static rustls::SupportedProtocolVersion],
    handler: Handler,
) -> Server {
    let config = tls_config(pair, versions);
    listen(move |conn| {
        let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
        let Ok(tls) = rustls::ServerConnection::new(Arc::clone(&config)) else {
            return;
        };
        let mut stream = rustls::StreamOwned::new(tls, conn);
        respond(&mut stream, &handler);
        stream.conn.send_close_notify();
        let _ = stream.flush();
    })
}

fn respond(conn: &mut (impl Read + Write), handler: &Handler) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 64 * 1024 {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut parts = head.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    match handler(&method, &path) {
        Reply::Http(status, body) => {
            let _ = write!(
                conn,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Reply::Stall(bytes) => {
            let _ = conn.write_all(&bytes);
            let _ = conn.flush();
            thread::sleep(Duration::from_secs(10));
        }
        Reply::Endless => {
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
            let block = vec![b'x'; 64 * 1024];
            // At most 1 GiB, in case the client never goes away.
            for _ in 0..16 * 1024 {
                if conn.write_all(&block).is_err() {
                    break;
                }
            }
        }
    }
}

/// Options for tests: short timeouts, only loopback, the given roles.
pub fn quick() -> ProbeOptions {
    ProbeOptions {
        connect_timeout: Duration::from_millis(500),
        io_timeout: Duration::from_millis(700),
        endpoint_timeout: Duration::from_secs(5),
        budget: Duration::from_secs(30),
        ..ProbeOptions::default()
    }
}

/// Options where `port` gets the given role.
pub fn with_roles(f: impl FnOnce(&mut PortRoles)) -> ProbeOptions {
    let mut options = quick();
    f(&mut options.roles);
    options
}

/// Probes 127.0.0.1:PORT.
pub fn probe_port(port: u16, options: &ProbeOptions) -> ProbeRun {
    let target = probe::parse_target(&format!("127.0.0.1:{port}"), options).unwrap();
    probe::run(&[target], options)
}

/// Rule ids of a run's findings.
pub fn rule_ids(run: &ProbeRun) -> Vec<String> {
    probe::findings(run)
        .iter()
        .map(|f| f.rule_id.to_string())
        .collect()
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
