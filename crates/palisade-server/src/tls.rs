//! TLS: certificate and key from PEM files, swapped without restart when they change on disk
//! (cert-manager rewrites the Secret's files in place), and self-signed pairs for local use.
//!
//! The resolver hands every handshake the pair in force; a poller compares the files'
//! modification times and sizes every few seconds and loads a changed pair. A pair that
//! does not load (half-written files, a key that does not match) keeps the old one in force
//! and is logged; the next change is tried again.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// A certificate and its key, PEM-encoded.
#[derive(Clone)]
pub struct PemPair {
    /// The certificate chain, leaf first.
    pub cert_pem: String,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: String,
}

impl fmt::Debug for PemPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the key.
        f.debug_struct("PemPair").finish_non_exhaustive()
    }
}

/// A self-signed certificate for `names` (DNS names or IP addresses; the default is
/// `localhost` and `127.0.0.1`), valid for the key's lifetime as rcgen sets it.
pub fn dev_cert(names: &[&str]) -> Result<PemPair, String> {
    let names: Vec<String> = if names.is_empty() {
        vec!["localhost".into(), "127.0.0.1".into()]
    } else {
        names.iter().map(|n| n.to_string()).collect()
    };
    let ck = rcgen::generate_simple_self_signed(names).map_err(|e| e.to_string())?;
    Ok(PemPair {
        cert_pem: ck.cert.pem(),
        key_pem: ck.key_pair.serialize_pem(),
    })
}

/// Parses a PEM pair into what rustls serves.
pub fn certified_key(cert_pem: &[u8], key_pem: &[u8]) -> Result<CertifiedKey, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("certificate: {e}"))?;
    if chain.is_empty() {
        return Err("certificate: no CERTIFICATE block".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("key: {e}"))?;
    let signing = any_supported_type(&key).map_err(|e| format!("key: {e}"))?;
    let ck = CertifiedKey::new(chain, signing);
    // A key that does not belong to the certificate would fail every handshake.
    ck.keys_match()
        .map_err(|e| format!("key does not match certificate: {e}"))?;
    Ok(ck)
}

/// Where the pair comes from.
#[derive(Debug, Clone)]
pub enum CertSource {
    /// PEM files, watched for changes.
    Files {
        /// Certificate chain file.
        cert: PathBuf,
        /// Key file.
        key: PathBuf,
    },
    /// A pair in memory (`--dev-cert`): never reloaded.
    Pem(PemPair),
}

/// What identifies a file version cheaply: modification time and size.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// The resolver: the pair in force, swapped atomically.
#[derive(Debug)]
pub struct ReloadingResolver {
    current: RwLock<Arc<CertifiedKey>>,
    source: CertSource,
    stamps: RwLock<(Stamp, Stamp)>,
}

/// The outcome of one reload check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The files did not change.
    Unchanged,
    /// A new pair is in force.
    Loaded,
    /// The files changed but do not load; the old pair stays.
    Failed(String),
}

impl ReloadingResolver {
    /// Loads the first pair; an error here means the server cannot start.
    pub fn new(source: CertSource) -> Result<ReloadingResolver, String> {
        let (ck, stamps) = match &source {
            CertSource::Files { cert, key } => {
                let stamps = (stamp(cert), stamp(key));
                (load_files(cert, key)?, stamps)
            }
            CertSource::Pem(p) => (
                certified_key(p.cert_pem.as_bytes(), p.key_pem.as_bytes())?,
                (None, None),
            ),
        };
        Ok(ReloadingResolver {
            current: RwLock::new(Arc::new(ck)),
            source,
            stamps: RwLock::new(stamps),
        })
    }

    /// Reloads the pair if its files changed since the last look.
    pub fn check(&self) -> Reload {
        let CertSource::Files { cert, key } = &self.source else {
            return Reload::Unchanged;
        };
        let now = (stamp(cert), stamp(key));
        let changed = match self.stamps.read() {
            Ok(s) => *s != now,
            Err(_) => true,
        };
        if !changed {
            return Reload::Unchanged;
        }
        // Remember the stamps either way: a bad pair is reported once, not every poll.
        if let Ok(mut s) = self.stamps.write() {
            *s = now;
        }
        match load_files(cert, key) {
            Ok(ck) => {
                if let Ok(mut c) = self.current.write() {
                    *c = Arc::new(ck);
                }
                Reload::Loaded
            }
            Err(e) => Reload::Failed(e),
        }
    }

    /// The pair in force.
    pub fn current(&self) -> Arc<CertifiedKey> {
        match self.current.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

impl ResolvesServerCert for ReloadingResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn load_files(cert: &Path, key: &Path) -> Result<CertifiedKey, String> {
    let c = std::fs::read(cert).map_err(|e| format!("{}: {e}", cert.display()))?;
    let k = std::fs::read(key).map_err(|e| format!("{}: {e}", key.display()))?;
    certified_key(&c, &k).map_err(|e| format!("{} / {}: {e}", cert.display(), key.display()))
}

/// A rustls server config (TLS 1.2 and 1.3 only, ring, HTTP/1.1 by ALPN) over the resolver.
pub fn server_config(
    resolver: Arc<ReloadingResolver>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_cert_loads_and_a_foreign_key_is_refused() {
        let a = dev_cert(&[]).unwrap();
        let b = dev_cert(&["example.test"]).unwrap();
        assert!(certified_key(a.cert_pem.as_bytes(), a.key_pem.as_bytes()).is_ok());
        let err = certified_key(a.cert_pem.as_bytes(), b.key_pem.as_bytes()).unwrap_err();
        assert!(err.contains("does not match"), "{err}");
        assert!(certified_key(b"junk", a.key_pem.as_bytes()).is_err());
    }

    #[test]
    fn files_reload_and_a_bad_pair_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        let a = dev_cert(&[]).unwrap();
        std::fs::write(&cert, &a.cert_pem).unwrap();
        std::fs::write(&key, &a.key_pem).unwrap();
        let r = ReloadingResolver::new(CertSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        })
        .unwrap();
        let first = r.current().cert[0].clone();
        assert_eq!(r.check(), Reload::Unchanged);
        // Half a rotation: a new certificate with the old key.
        let b = dev_cert(&[]).unwrap();
        std::fs::write(&cert, format!("{}\n", b.cert_pem)).unwrap();
        assert!(matches!(r.check(), Reload::Failed(_)));
        assert_eq!(r.current().cert[0], first);
        std::fs::write(&key, &b.key_pem).unwrap();
        assert_eq!(r.check(), Reload::Loaded);
        assert_ne!(r.current().cert[0], first);
    }
}
