//! Images built in the tests: layer tars made with the `tar` crate, written with a config
//! into an OCI image layout directory, then opened the way the CLI opens one.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use palisade_core::{Config, Finding};
use palisade_image::{Image, Platform};
use serde_json::{json, Value};

/// A layer under construction.
#[derive(Default)]
pub struct LayerTar {
    builder: Option<tar::Builder<Vec<u8>>>,
}

impl LayerTar {
    pub fn new() -> Self {
        LayerTar {
            builder: Some(tar::Builder::new(Vec::new())),
        }
    }

    fn append(mut self, path: &str, kind: tar::EntryType, content: &[u8]) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_path(path).unwrap();
        h.set_entry_type(kind);
        h.set_size(content.len() as u64);
        h.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_cksum();
        self.builder.as_mut().unwrap().append(&h, content).unwrap();
        self
    }

    pub fn file(self, path: &str, content: &[u8]) -> Self {
        self.append(path, tar::EntryType::Regular, content)
    }

    pub fn dir(self, path: &str) -> Self {
        self.append(path, tar::EntryType::Directory, b"")
    }

    pub fn gzip(mut self) -> Vec<u8> {
        let tar = self.builder.take().unwrap().into_inner().unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&tar).unwrap();
        enc.finish().unwrap()
    }
}

/// The image config's `config` part, and `history` lines (one per layer unless given).
pub struct Spec {
    pub config: Value,
    pub history: Option<Value>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            config: json!({"User": "10001", "Healthcheck": {"Test": ["CMD", "true"]}}),
            history: None,
        }
    }
}

fn digest(n: usize) -> String {
    format!("sha256:{n:064x}")
}

fn put(dir: &Path, n: usize, bytes: &[u8]) -> String {
    let d = digest(n);
    let path = dir.join("blobs/sha256").join(&d[7..]);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    d
}

/// Writes an OCI layout of these layers (gzip blobs) and config into `dir`.
pub fn write_layout(dir: &Path, layers: &[Vec<u8>], spec: &Spec) {
    let history = spec.history.clone().unwrap_or_else(|| {
        Value::Array(
            (0..layers.len())
                .map(|i| json!({"created_by": format!("RUN step {i}")}))
                .collect(),
        )
    });
    let config = json!({
        "os": "linux", "architecture": "amd64",
        "config": spec.config,
        "rootfs": {"type": "layers", "diff_ids": (0..layers.len()).map(|i| digest(500 + i)).collect::<Vec<_>>()},
        "history": history,
    });
    let cfg = put(dir, 1, config.to_string().as_bytes());
    let descs: Vec<Value> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(dir, 0xa0 + i, l)})
        })
        .collect();
    let manifest = json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg},
        "layers": descs,
    });
    let m = put(dir, 2, manifest.to_string().as_bytes());
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m}]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// A built and opened image (the directory lives as long as it).
pub struct Built {
    pub dir: tempfile::TempDir,
    pub image: Image,
}

pub fn build(layers: Vec<Vec<u8>>, spec: Spec) -> Built {
    let dir = tempfile::tempdir().unwrap();
    write_layout(dir.path(), &layers, &spec);
    let image = Image::open(dir.path(), &Platform::default()).unwrap();
    Built { dir, image }
}

/// The findings of one rule.
pub fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule_id == rule).collect()
}

pub fn config(text: &str) -> Config {
    Config::parse("palisade.yaml", text).unwrap()
}

/// Where `build-test-images.sh` output is cached (built once per machine by
/// `scripts/setup.sh`). Missing images fail the test: a skipped test checks nothing.
pub fn real_images() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME is set");
    let dir = base.join("palisade-test/images-1");
    assert!(
        dir.join("bookworm-docker.tar").is_file(),
        "test images missing in {}: run scripts/setup.sh",
        dir.display()
    );
    dir
}

pub const RSA_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAPALISADEFAKEKEYNOTREAL0000000000000000000000000000\n-----END RSA PRIVATE KEY-----\n";
pub const GITHUB_TOKEN: &str = "ghp_EXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE0";
