//! TLS for the probes (rustls, ring): a verifier that accepts any server certificate so the
//! probe can look at it (the handshake signatures are still checked, so the server proved it
//! holds the key), and a client-certificate resolver that offers none but records that the
//! server asked (how etcd's `--client-cert-auth` and the kubelet's x509 authentication show).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme,
    StreamOwned,
};

use super::conn::{is_timeout, Bounded};
use super::der::{parse_certificate, CertSummary};

/// What the TLS handshake showed about an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// Negotiated protocol (`TLSv1_3`, `TLSv1_2`).
    pub version: String,
    /// Negotiated cipher suite.
    pub cipher: String,
    /// The leaf certificate, when it could be read.
    pub certificate: Option<CertSummary>,
    /// Certificates the server sent (leaf first).
    pub chain_length: usize,
    /// The server asked for a client certificate.
    pub client_cert_requested: bool,
    /// The leaf is self-signed (issuer and subject identical), or issued by a self-signed
    /// root that the server sends itself: what the kubelet does when it has no serving
    /// certificate (client-go's `GenerateSelfSignedCertKeyWithFixtures` makes a
    /// `HOST-ca@TIME` root and a `HOST@TIME` leaf and serves both).
    pub self_signed: bool,
    /// Now is after `notAfter`.
    pub expired: bool,
    /// Now is before `notBefore`.
    pub not_yet_valid: bool,
    /// The name or address the certificate was checked against, when it does not match.
    pub name_mismatch: Option<String>,
}

/// A TLS stream over a bounded socket.
pub(crate) type TlsStream = StreamOwned<ClientConnection, Bounded>;

/// How a handshake ended.
pub(crate) enum Handshake {
    /// Done; HTTP can follow.
    Done(Box<TlsStream>, Box<TlsInfo>),
    /// The peer answered with something that is not TLS (the first bytes are no TLS record).
    NotTls(String),
    /// The peer sent nothing before the timeout.
    NoAnswer,
    /// The peer refused every protocol version rustls offers (TLS 1.2 and 1.3): it speaks
    /// only TLS 1.1 or older.
    LegacyOnly(String),
    /// Any other failure (alert, reset, close).
    Failed {
        /// What failed.
        error: String,
        /// The server had asked for a client certificate before it failed.
        client_cert_requested: bool,
    },
}

/// Runs a TLS handshake over `socket`; `host` is the name or address the certificate should
/// be valid for (sent as SNI when it is a name).
pub(crate) fn handshake(socket: Bounded, host: &str) -> Handshake {
    let address = socket.stream.peer_addr().ok().map(|a| a.ip());
    let asked = Arc::new(AskedForCert::default());
    let config = match client_config(Arc::clone(&asked)) {
        Ok(c) => c,
        Err(e) => return failed(e.to_string()),
    };
    let server_name = match ServerName::try_from(host.to_string()) {
        Ok(n) => n,
        // A name rustls does not accept as a DNS name (an underscore): no SNI, the address.
        Err(_) => ServerName::IpAddress(
            address
                .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
                .into(),
        ),
    };
    let conn = match ClientConnection::new(config, server_name) {
        Ok(c) => c,
        Err(e) => return failed(e.to_string()),
    };
    let mut stream = StreamOwned::new(conn, socket);
    while stream.conn.is_handshaking() {
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            return classify(&e, asked.0.load(Ordering::Relaxed));
        }
    }
    let info = describe(&stream.conn, host, asked.0.load(Ordering::Relaxed));
    Handshake::Done(Box::new(stream), Box::new(info))
}

fn failed(error: String) -> Handshake {
    Handshake::Failed {
        error,
        client_cert_requested: false,
    }
}

fn classify(e: &std::io::Error, client_cert_requested: bool) -> Handshake {
    if is_timeout(e) {
        return Handshake::NoAnswer;
    }
    // Closed or reset without a TLS alert: a plain server giving up on the ClientHello (etcd's
    // port multiplexer closes so), not a TLS server refusing.
    if matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
    ) {
        return Handshake::NotTls(format!("closed during the TLS handshake ({e})"));
    }
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidMessage(_)) => Handshake::NotTls(e.to_string()),
        Some(rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)) => {
            Handshake::LegacyOnly(e.to_string())
        }
        _ => Handshake::Failed {
            error: e.to_string(),
            client_cert_requested,
        },
    }
}

fn describe(conn: &ClientConnection, host: &str, client_cert_requested: bool) -> TlsInfo {
    let chain = conn.peer_certificates().unwrap_or_default();
    let parsed: Vec<Option<CertSummary>> = chain
        .iter()
        .map(|c| parse_certificate(c.as_ref()))
        .collect();
    let certificate = parsed.first().cloned().flatten();
    let own_root = certificate.as_ref().is_some_and(|leaf| {
        parsed
            .iter()
            .skip(1)
            .flatten()
            .any(|c| c.self_issued && c.subject == leaf.issuer)
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let name_mismatch = certificate
        .as_ref()
        .filter(|c| !c.matches_host(host))
        .map(|_| host.to_string());
    TlsInfo {
        version: conn
            .protocol_version()
            .map_or_else(|| "unknown".to_string(), |v| format!("{v:?}")),
        cipher: conn
            .negotiated_cipher_suite()
            .map_or_else(|| "unknown".to_string(), |s| format!("{:?}", s.suite())),
        chain_length: chain.len(),
        client_cert_requested,
        self_signed: own_root || certificate.as_ref().is_some_and(|c| c.self_issued),
        expired: certificate.as_ref().is_some_and(|c| now > c.not_after),
        not_yet_valid: certificate.as_ref().is_some_and(|c| now < c.not_before),
        name_mismatch,
        certificate,
    }
}

fn client_config(asked: Arc<AskedForCert>) -> Result<Arc<ClientConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(RecordAnyCert(Arc::clone(&provider)));
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(asked);
    Ok(Arc::new(config))
}

/// Accepts any certificate chain (the probe reports on it instead of trusting it) but checks
/// the handshake signatures against the leaf's key.
#[derive(Debug)]
struct RecordAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for RecordAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Offers no client certificate; remembers whether the server asked for one.
#[derive(Debug, Default)]
struct AskedForCert(AtomicBool);

impl ResolvesClientCert for AskedForCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.0.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        true
    }
}
