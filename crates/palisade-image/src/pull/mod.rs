//! The registry source: [`pull`] resolves a reference on an OCI distribution registry
//! (through the `oci-client` crate), picks the manifest for the platform in an image
//! index, downloads the config and layer blobs, compressed as served, into a
//! content-addressed cache (an OCI layout, see `cache.rs`), verifying each digest while
//! streaming, and opens the result like a local OCI layout. Layers are never unpacked.
//!
//! The client is asynchronous; a current-thread tokio runtime lives for one call, so the
//! API is blocking and callers need no runtime.

mod auth;
mod cache;
mod error;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use futures_util::StreamExt;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::Value;

use crate::blob::BlobStore;
use crate::model::{Diagnostic, Platform, Severity, SourceKind};
use crate::source::{choose, image_from_manifest, no_platform, Image};
pub use auth::{docker_config_path, Auth};
use cache::{BlobCache, BlobDigest, PutError};
pub use error::PullError;
use error::{map_client_error, with_causes};

/// The manifest media types asked for: OCI and Docker, image manifests and indexes.
const ACCEPTED: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// Nested indexes followed at most this deep (as for a local layout).
const MAX_INDEX_DEPTH: usize = 4;

/// Bounds on what a pull downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullLimits {
    /// Bytes of one manifest or index (distribution refuses to store more than 4 MiB).
    pub max_manifest_bytes: u64,
    /// Bytes of the image config.
    pub max_config_bytes: u64,
    /// Layers in one manifest.
    pub max_layers: usize,
    /// Bytes of one (compressed) layer blob.
    pub max_blob_bytes: u64,
}

impl Default for PullLimits {
    fn default() -> Self {
        PullLimits {
            max_manifest_bytes: 4 << 20,
            max_config_bytes: 16 << 20,
            max_layers: 1000,
            max_blob_bytes: 16 << 30,
        }
    }
}

/// How to pull.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The platform to pick in a multi-platform index (default `linux/amd64`).
    pub platform: Platform,
    /// Credentials (default: the docker CLI config file's entry for the registry).
    pub auth: Auth,
    /// Talk plain HTTP to the registry of the reference (`--insecure`).
    pub insecure_http: bool,
    /// A PEM file of CA certificates to trust besides the system's (`--ca-file`).
    pub ca_file: Option<PathBuf>,
    /// The blob cache directory (an OCI layout; see [`default_cache_dir`]).
    pub cache_dir: PathBuf,
    /// Size and count bounds.
    pub limits: PullLimits,
}

impl PullOptions {
    /// Defaults with this cache directory.
    pub fn new(cache_dir: PathBuf) -> PullOptions {
        PullOptions {
            platform: Platform::default(),
            auth: Auth::default(),
            insecure_http: false,
            ca_file: None,
            cache_dir,
            limits: PullLimits::default(),
        }
    }
}

/// `$XDG_CACHE_HOME/palisade/images`, else `~/.cache/palisade/images`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })?;
    Some(base.join("palisade/images"))
}

/// A pulled image and how it was obtained.
#[derive(Debug)]
pub struct Pulled {
    /// The image, read from the cache like an OCI layout ([`SourceKind::Registry`]).
    pub image: Image,
    /// The reference in full (`host:port/repo:tag`).
    pub reference: String,
    /// The digest of the image manifest that was read.
    pub manifest_digest: String,
    /// The digest of the index the manifest was chosen from, if the reference named one.
    pub index_digest: Option<String>,
    /// Blobs (config and layers) downloaded by this pull.
    pub downloaded: usize,
    /// Blobs found in the cache instead.
    pub cached: usize,
    /// Bytes downloaded for those blobs.
    pub downloaded_bytes: u64,
}

/// Pulls `reference` and opens it; see [`pull_details`] for the digests and cache use.
pub fn pull(reference: &str, options: &PullOptions) -> Result<Image, PullError> {
    pull_details(reference, options).map(|p| p.image)
}

/// Pulls `reference` (`host[:port]/repository[:tag][@digest]`) into the cache and opens it.
pub fn pull_details(reference: &str, options: &PullOptions) -> Result<Pulled, PullError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PullError::Registry {
            reference: reference.to_string(),
            message: format!("cannot start the async runtime: {e}"),
        })?;
    runtime.block_on(pull_async(reference, options))
}

/// A reference that names a single-platform manifest gets no choice; say so when its
/// config is for another platform than the one asked for (as `docker pull` warns).
fn warn_other_platform(image: &mut Image, platform: &Platform) {
    let config = &image.config;
    let (Some(os), Some(arch)) = (config.os.as_deref(), config.architecture.as_deref()) else {
        return;
    };
    if !platform.matches(os, arch, None) {
        image.diagnostics.push(Diagnostic {
            severity: Severity::Warning,
            layer: None,
            digest: None,
            path: None,
            message: format!(
                "the image is for {os}/{arch}, not the requested {}/{}",
                platform.os, platform.architecture
            ),
        });
    }
}

/// State of one pull.
struct Session<'a> {
    client: Client,
    auth: RegistryAuth,
    credentials: String,
    reference: Reference,
    name: String,
    cache: BlobCache,
    limits: &'a PullLimits,
}

async fn pull_async(text: &str, options: &PullOptions) -> Result<Pulled, PullError> {
    let reference = Reference::from_str(text).map_err(|e| PullError::BadReference {
        reference: text.to_string(),
        message: e.to_string(),
    })?;
    let registry = reference.resolve_registry().to_string();
    let resolved = auth::resolve(&options.auth, &registry)
        .map_err(|(path, message)| PullError::Local { path, message })?;
    let cache = BlobCache::open(&options.cache_dir).map_err(|e| PullError::Local {
        path: options.cache_dir.clone(),
        message: e.to_string(),
    })?;
    let session = Session {
        client: Client::new(client_config(options, &registry)?),
        auth: match resolved.basic {
            Some((user, pass)) => RegistryAuth::Basic(user, pass),
            None => RegistryAuth::Anonymous,
        },
        credentials: resolved.describe,
        name: reference.whole(),
        reference,
        cache,
        limits: &options.limits,
    };
    session.run(&options.platform).await
}

/// The client's configuration: TLS roots, plain HTTP for `--insecure`, no platform
/// resolver (indexes are resolved here, with the same matcher as local layouts).
fn client_config(options: &PullOptions, registry: &str) -> Result<ClientConfig, PullError> {
    // reqwest is built without a default crypto provider; use the ring provider the rest
    // of the workspace builds. Installing fails harmlessly when one is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = ClientConfig {
        protocol: if options.insecure_http {
            ClientProtocol::HttpsExcept(vec![registry.to_string()])
        } else {
            ClientProtocol::Https
        },
        platform_resolver: None,
        connect_timeout: Some(Duration::from_secs(30)),
        read_timeout: Some(Duration::from_secs(120)),
        ..ClientConfig::default()
    };
    if let Some(path) = &options.ca_file {
        let data = std::fs::read(path).map_err(|e| PullError::Local {
            path: path.clone(),
            message: format!("cannot read the CA file: {e}"),
        })?;
        config.extra_root_certificates.push(Certificate {
            encoding: CertificateEncoding::Pem,
            data,
        });
    }
    Ok(config)
}

impl Session<'_> {
    async fn run(self, platform: &Platform) -> Result<Pulled, PullError> {
        let (mut doc, mut digest) = self.manifest(&self.reference, None).await?;
        let mut index_digest = None;
        let mut depth = 0;
        while let Some(list) = doc.get("manifests").and_then(Value::as_array) {
            depth += 1;
            if depth > MAX_INDEX_DEPTH {
                return Err(self.invalid("indexes nested too deep".into()));
            }
            let chosen = choose(list, platform).ok_or_else(|| PullError::NoPlatform {
                reference: self.name.clone(),
                message: no_platform(list, platform),
            })?;
            // The entry's size bounds the child manifest before it is fetched.
            let (child, size, _) = self.descriptor(chosen, self.limits.max_manifest_bytes)?;
            index_digest.get_or_insert(digest);
            let by_digest = Reference::with_digest(
                self.reference.registry().to_string(),
                self.reference.repository().to_string(),
                child.as_str().to_string(),
            );
            (doc, digest) = self.manifest(&by_digest, Some(size)).await?;
        }
        let (downloaded, cached, downloaded_bytes) = self.blobs(&doc).await?;
        let store = BlobStore::Dir(self.cache.root().to_path_buf());
        let mut image = image_from_manifest(store, SourceKind::Registry, &doc)
            .map_err(|message| self.invalid(message))?;
        if index_digest.is_none() {
            warn_other_platform(&mut image, platform);
        }
        Ok(Pulled {
            image,
            reference: self.name,
            manifest_digest: digest,
            index_digest,
            downloaded,
            cached,
            downloaded_bytes,
        })
    }

    /// Fetches a manifest or index, checks its size (against the limit, and against the
    /// index entry's `size` when it was reached from one) and digest, keeps it in the cache.
    /// The client reads a manifest body whole, so the limit applies once it has arrived,
    /// except for a manifest reached from an index, whose announced size is checked first.
    async fn manifest(
        &self,
        reference: &Reference,
        announced: Option<u64>,
    ) -> Result<(Value, String), PullError> {
        let (bytes, digest) = self
            .client
            .pull_manifest_raw(reference, &self.auth, ACCEPTED)
            .await
            .map_err(|e| map_client_error(e, &reference.whole(), &self.credentials))?;
        let size = bytes.len() as u64;
        if size > self.limits.max_manifest_bytes {
            return Err(PullError::TooLarge {
                what: format!("manifest of {}", reference.whole()),
                size,
                limit: self.limits.max_manifest_bytes,
            });
        }
        if announced.is_some_and(|n| n != size) {
            return Err(self.invalid(format!(
                "manifest {digest} is {size} bytes, the index says {}",
                announced.unwrap_or_default()
            )));
        }
        let parsed = BlobDigest::parse(&digest)
            .ok_or_else(|| self.invalid(format!("unusable manifest digest {digest:?}")))?;
        self.cache
            .put(&parsed, &bytes)
            .map_err(|e| self.put_error(&parsed, e))?;
        let doc = serde_json::from_slice(&bytes)
            .map_err(|e| self.invalid(format!("manifest {digest} is not JSON: {e}")))?;
        Ok((doc, digest))
    }

    /// Makes sure the config and every layer blob are in the cache; counts downloads.
    async fn blobs(&self, manifest: &Value) -> Result<(usize, usize, u64), PullError> {
        let config = manifest
            .get("config")
            .ok_or_else(|| self.invalid("manifest without config".into()))?;
        let layers = manifest
            .get("layers")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if layers.len() > self.limits.max_layers {
            return Err(PullError::TooLarge {
                what: "layer count".into(),
                size: layers.len() as u64,
                limit: self.limits.max_layers as u64,
            });
        }
        let wanted = std::iter::once((config, self.limits.max_config_bytes))
            .chain(layers.iter().map(|l| (l, self.limits.max_blob_bytes)));
        let (mut downloaded, mut cached, mut bytes) = (0, 0, 0);
        for (desc, limit) in wanted {
            let (digest, size, media_type) = self.descriptor(desc, limit)?;
            if self.cache.has(&digest, size) {
                cached += 1;
                continue;
            }
            self.download(&digest, size, media_type).await?;
            downloaded += 1;
            bytes += size;
        }
        Ok((downloaded, cached, bytes))
    }

    /// The digest and size a descriptor announces, checked against `limit` before any
    /// byte is fetched.
    fn descriptor(&self, desc: &Value, limit: u64) -> Result<(BlobDigest, u64, String), PullError> {
        let text = desc
            .get("digest")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let digest = BlobDigest::parse(text)
            .ok_or_else(|| self.invalid(format!("unusable blob digest {text:?}")))?;
        let size = desc
            .get("size")
            .and_then(Value::as_u64)
            .ok_or_else(|| self.invalid(format!("descriptor of {text} without a size")))?;
        if size > limit {
            return Err(PullError::TooLarge {
                what: format!("blob {text}"),
                size,
                limit,
            });
        }
        let media_type = desc
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Ok((digest, size, media_type))
    }

    /// Streams one blob into the cache, verifying size and digest on the way.
    async fn download(
        &self,
        digest: &BlobDigest,
        size: u64,
        media_type: String,
    ) -> Result<(), PullError> {
        let desc = OciDescriptor {
            media_type,
            digest: digest.as_str().to_string(),
            size: i64::try_from(size).unwrap_or(i64::MAX),
            ..OciDescriptor::default()
        };
        let mut stream = self
            .client
            .pull_blob_stream(&self.reference, &desc)
            .await
            .map_err(|e| map_client_error(e, digest.as_str(), &self.credentials))?;
        if let Some(announced) = stream.content_length.filter(|&n| n != size) {
            return Err(self.invalid(format!(
                "blob {} is {announced} bytes, its descriptor says {size}",
                digest.as_str()
            )));
        }
        let mut writer = self
            .cache
            .writer(digest, size)
            .map_err(|e| PullError::Local {
                path: self.cache.path_of(digest),
                message: e.to_string(),
            })?;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => writer
                    .write(&chunk)
                    .map_err(|e| self.put_error(digest, e))?,
                Err(e) => {
                    // The client's own verification fails at the end of a tampered blob:
                    // report it as the mismatch it is when all bytes arrived.
                    let actual = writer.digest_so_far();
                    if writer.len() == size && actual != digest.as_str() {
                        return Err(PullError::DigestMismatch {
                            expected: digest.as_str().to_string(),
                            actual,
                        });
                    }
                    return Err(PullError::Registry {
                        reference: self.name.clone(),
                        message: format!("downloading {}: {}", digest.as_str(), with_causes(&e)),
                    });
                }
            }
        }
        writer.commit().map_err(|e| self.put_error(digest, e))
    }

    fn put_error(&self, digest: &BlobDigest, err: PutError) -> PullError {
        let expected = digest.as_str().to_string();
        match err {
            PutError::Mismatch(actual) => PullError::DigestMismatch { expected, actual },
            PutError::TooLong => self.invalid(format!(
                "blob {expected} is longer than its descriptor says"
            )),
            PutError::TooShort(n) => self.invalid(format!(
                "blob {expected} ended after {n} bytes, shorter than its descriptor says"
            )),
            PutError::Io(e) => PullError::Local {
                path: self.cache.path_of(digest),
                message: e.to_string(),
            },
        }
    }

    fn invalid(&self, message: String) -> PullError {
        PullError::Invalid {
            reference: self.name.clone(),
            message,
        }
    }
}
