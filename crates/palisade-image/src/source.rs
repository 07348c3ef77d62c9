//! Opening an image: detecting the source kind, choosing the platform in an index,
//! reading the manifest and config, and listing the layers in order.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::blob::{digest_path, BlobStore};
use crate::model::{Diagnostic, History, ImageConfig, Layer, Platform, Severity, SourceKind};

/// Manifests, indexes and configs larger than this are refused (they are JSON documents
/// of a few KiB; a huge one is hostile).
const MAX_JSON: u64 = 16 << 20;
/// Nested indexes followed at most this deep.
const MAX_INDEX_DEPTH: usize = 4;

/// Why an image could not be opened at all.
#[derive(Debug)]
pub struct OpenError {
    /// The source path.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for OpenError {}

/// Where the layers' bytes come from.
#[derive(Debug)]
pub(crate) enum Store {
    Blobs(BlobStore),
    Rootfs(PathBuf),
}

/// An opened image: its config and layers for one platform, ready to be scanned.
#[derive(Debug)]
pub struct Image {
    /// The kind of source.
    pub source: SourceKind,
    /// The config (empty for a root filesystem).
    pub config: ImageConfig,
    /// The layers, base first.
    pub layers: Vec<Layer>,
    /// Warnings met while opening (several images in one archive, …).
    pub diagnostics: Vec<Diagnostic>,
    pub(crate) store: Store,
}

impl Image {
    /// Opens `path` as whichever source kind it is: a directory with `oci-layout` is an OCI
    /// layout, another directory a root filesystem; a tar with `index.json` is an
    /// oci-archive, one with `manifest.json` a docker-archive.
    pub fn open(path: &Path, platform: &Platform) -> Result<Image, OpenError> {
        let fail = |message: String| OpenError {
            path: path.to_path_buf(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
        if meta.is_dir() {
            if path.join("oci-layout").is_file() && path.join("index.json").is_file() {
                let store = BlobStore::Dir(path.to_path_buf());
                return open_oci(store, SourceKind::OciLayout, platform, None).map_err(fail);
            }
            return Ok(Image {
                source: SourceKind::Rootfs,
                config: ImageConfig::default(),
                layers: vec![Layer {
                    index: 0,
                    digest: String::new(),
                    blob: String::new(),
                    media_type: None,
                    created_by: None,
                }],
                diagnostics: Vec::new(),
                store: Store::Rootfs(path.to_path_buf()),
            });
        }
        let store =
            BlobStore::index_tar(path).map_err(|e| fail(format!("not a readable tar: {e}")))?;
        if store.contains("index.json") {
            open_oci(store, SourceKind::OciArchive, platform, None).map_err(fail)
        } else if store.contains("manifest.json") {
            open_docker(store, None).map_err(fail)
        } else {
            Err(fail("tar has neither index.json nor manifest.json".into()))
        }
    }
}

impl Image {
    /// An image made of these layer blobs (any compression), base first, with an empty
    /// config: for tests and fuzzing of the layer reader without files.
    pub fn from_layer_blobs(blobs: Vec<Vec<u8>>) -> Image {
        let mut store = std::collections::HashMap::new();
        let mut layers = Vec::new();
        for (index, bytes) in blobs.into_iter().enumerate() {
            let blob = format!("layer{index}");
            store.insert(blob.clone(), std::sync::Arc::from(bytes));
            layers.push(Layer {
                index,
                digest: format!("memory:{index}"),
                blob,
                media_type: None,
                created_by: None,
            });
        }
        Image {
            source: SourceKind::OciLayout,
            config: ImageConfig::default(),
            layers,
            diagnostics: Vec::new(),
            store: Store::Blobs(BlobStore::Memory(store)),
        }
    }
}

pub(crate) fn read_json(store: &BlobStore, name: &str) -> Result<Value, String> {
    let bytes = store
        .read_small(name, MAX_JSON)
        .map_err(|e| format!("{name}: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{name}: {e}"))
}

pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Follows `index.json` (and nested indexes) to the manifest for `platform`, the way
/// containerd's `images.Manifest` walks an index with a platform matcher. With `entry`, the
/// walk starts at that descriptor of `index.json` (one named image of several).
pub(crate) fn open_oci(
    store: BlobStore,
    kind: SourceKind,
    platform: &Platform,
    entry: Option<usize>,
) -> Result<Image, String> {
    let mut doc = read_json(&store, "index.json")?;
    if let Some(n) = entry {
        let list = doc.get("manifests").and_then(Value::as_array);
        let chosen = list
            .and_then(|l| l.get(n))
            .ok_or_else(|| format!("index.json has no manifest #{n}"))?;
        doc = read_descriptor(&store, chosen)?;
    }
    let mut depth = 0;
    let manifest = loop {
        let Some(list) = doc.get("manifests").and_then(Value::as_array) else {
            break doc; // an image manifest
        };
        depth += 1;
        if depth > MAX_INDEX_DEPTH {
            return Err("indexes nested too deep".into());
        }
        let chosen = choose(list, platform).ok_or_else(|| no_platform(list, platform))?;
        doc = read_descriptor(&store, chosen)?;
    };
    image_from_manifest(store, kind, &manifest)
}

/// The document a descriptor points at.
fn read_descriptor(store: &BlobStore, descriptor: &Value) -> Result<Value, String> {
    let digest = str_of(descriptor, "digest").ok_or("manifest descriptor without digest")?;
    let name = digest_path(digest).ok_or_else(|| format!("bad digest {digest:?}"))?;
    read_json(store, &name)
}

/// The image an image manifest describes, its config and layers read from `store` by digest.
pub(crate) fn image_from_manifest(
    store: BlobStore,
    kind: SourceKind,
    manifest: &Value,
) -> Result<Image, String> {
    let mut diagnostics = Vec::new();
    let config_digest = manifest
        .get("config")
        .and_then(|c| str_of(c, "digest"))
        .ok_or("manifest without config digest")?;
    let config_name = digest_path(config_digest).ok_or("bad config digest")?;
    let config = parse_config(&read_json(&store, &config_name)?);
    let mut layers = Vec::new();
    for (index, desc) in manifest
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let digest = str_of(desc, "digest").unwrap_or_default().to_string();
        let Some(blob) = digest_path(&digest) else {
            diagnostics.push(open_diag(format!(
                "layer {index} has a bad digest {digest:?}"
            )));
            continue;
        };
        layers.push(Layer {
            index,
            digest,
            blob,
            media_type: str_of(desc, "mediaType").map(str::to_string),
            created_by: None,
        });
    }
    attach_history(&mut layers, &config);
    Ok(Image {
        source: kind,
        config,
        layers,
        diagnostics,
        store: Store::Blobs(store),
    })
}

/// The error for an index that has nothing for `platform`, naming the platforms it has.
pub(crate) fn no_platform(list: &[Value], platform: &Platform) -> String {
    let mut present: Vec<String> = list
        .iter()
        .filter_map(|d| d.get("platform"))
        .map(|p| {
            let mut name = format!(
                "{}/{}",
                str_of(p, "os").unwrap_or("?"),
                str_of(p, "architecture").unwrap_or("?")
            );
            if let Some(v) = str_of(p, "variant") {
                name.push('/');
                name.push_str(v);
            }
            name
        })
        .collect();
    present.sort();
    present.dedup();
    let wanted = match &platform.variant {
        Some(v) => format!("{}/{}/{v}", platform.os, platform.architecture),
        None => format!("{}/{}", platform.os, platform.architecture),
    };
    if present.is_empty() {
        format!("no manifest for platform {wanted} (the index names no platform)")
    } else {
        format!(
            "no manifest for platform {wanted}; the index has {}",
            present.join(", ")
        )
    }
}

/// The descriptor of an index that fits the platform; a descriptor without a platform is
/// taken when nothing names one (single-image layouts written by skopeo or umoci).
/// Attestation manifests (`vnd.docker.reference.type`) are never chosen.
pub(crate) fn choose<'a>(list: &'a [Value], platform: &Platform) -> Option<&'a Value> {
    let usable = |d: &&Value| {
        d.get("annotations")
            .and_then(|a| a.get("vnd.docker.reference.type"))
            .is_none()
    };
    list.iter()
        .filter(usable)
        .find(|d| {
            d.get("platform").is_some_and(|p| {
                platform.matches(
                    str_of(p, "os").unwrap_or_default(),
                    str_of(p, "architecture").unwrap_or_default(),
                    str_of(p, "variant"),
                )
            })
        })
        .or_else(|| {
            list.iter()
                .filter(usable)
                .find(|d| d.get("platform").is_none())
        })
}

/// `docker save`: `manifest.json` lists `Config` and `Layers` by member name; the layer
/// digests are the config's `rootfs.diff_ids`. With `entry`, that image of the list; else
/// the first.
pub(crate) fn open_docker(store: BlobStore, entry: Option<usize>) -> Result<Image, String> {
    let mut diagnostics = Vec::new();
    let doc = read_json(&store, "manifest.json")?;
    let list = doc.as_array().ok_or("manifest.json is not a list")?;
    let first = list
        .get(entry.unwrap_or(0))
        .ok_or("manifest.json lists no such image")?;
    if list.len() > 1 && entry.is_none() {
        diagnostics.push(open_diag(format!(
            "archive holds {} images; reading the first",
            list.len()
        )));
    }
    let config_name = str_of(first, "Config").ok_or("manifest.json entry without Config")?;
    let config = parse_config(&read_json(&store, config_name)?);
    let mut layers = Vec::new();
    for (index, blob) in first
        .get("Layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(blob) = blob.as_str() else {
            diagnostics.push(open_diag(format!("layer {index} is not a name")));
            continue;
        };
        layers.push(Layer {
            index,
            digest: config.diff_ids.get(index).cloned().unwrap_or_default(),
            blob: blob.to_string(),
            media_type: None,
            created_by: None,
        });
    }
    attach_history(&mut layers, &config);
    Ok(Image {
        source: SourceKind::DockerArchive,
        config,
        layers,
        diagnostics,
        store: Store::Blobs(store),
    })
}

fn open_diag(message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        layer: None,
        digest: None,
        path: None,
        message,
    }
}

/// The n-th history line that is not `empty_layer` describes the n-th layer (the rule the
/// OCI image spec gives for `history`).
fn attach_history(layers: &mut [Layer], config: &ImageConfig) {
    let steps = config.history.iter().filter(|h| !h.empty_layer);
    for (layer, step) in layers.iter_mut().zip(steps) {
        layer.created_by.clone_from(&step.created_by);
    }
}

/// Reads the config fields leniently: a missing or mistyped field is left empty.
pub(crate) fn parse_config(v: &Value) -> ImageConfig {
    let c = v.get("config").cloned().unwrap_or(Value::Null);
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    ImageConfig {
        os: str_of(v, "os").map(str::to_string),
        architecture: str_of(v, "architecture").map(str::to_string),
        env: strings(c.get("Env")),
        user: str_of(&c, "User").map(str::to_string),
        exposed_ports: c
            .get("ExposedPorts")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
        labels: c
            .get("Labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default(),
        healthcheck: c.get("Healthcheck").is_some_and(|h| !h.is_null()),
        history: v
            .get("history")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|h| History {
                created_by: str_of(h, "created_by").map(str::to_string),
                empty_layer: h
                    .get("empty_layer")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            })
            .collect(),
        diff_ids: strings(v.get("rootfs").and_then(|r| r.get("diff_ids"))),
    }
}
