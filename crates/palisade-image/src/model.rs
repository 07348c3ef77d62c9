//! The image model shared by every source: platform, config, layers, limits, diagnostics
//! and the entry handed to a visitor.

use std::collections::BTreeMap;

/// An OS/architecture pair (with optional variant), as in `--platform linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`, `windows`, …
    pub os: String,
    /// `amd64`, `arm64`, …
    pub architecture: String,
    /// `v7`, `v8`, … when given.
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(text: &str) -> Option<Platform> {
        let mut parts = text.split('/');
        let os = parts.next().filter(|s| !s.is_empty())?.to_string();
        let architecture = parts.next().filter(|s| !s.is_empty())?.to_string();
        let variant = parts.next().map(str::to_string);
        parts.next().is_none().then_some(Platform {
            os,
            architecture,
            variant,
        })
    }

    /// Whether an index entry's platform fields select this platform. A missing variant on
    /// either side matches any variant (as containerd's default matcher does for `arm64`).
    pub fn matches(&self, os: &str, architecture: &str, variant: Option<&str>) -> bool {
        self.os == os
            && self.architecture == architecture
            && match (&self.variant, variant) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            }
    }
}

impl Default for Platform {
    /// `linux/amd64`.
    fn default() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

/// Which kind of source an image was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/`).
    OciLayout,
    /// An OCI image layout in a tar (`oci-archive`).
    OciArchive,
    /// `docker save` output (`manifest.json`, config, layer tars).
    DockerArchive,
    /// A plain root filesystem directory (one pseudo-layer, no whiteouts).
    Rootfs,
    /// Pulled from a registry into the blob cache (read like an OCI layout).
    Registry,
}

/// One line of the image history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The build step (`RUN apt-get install …`).
    pub created_by: Option<String>,
    /// Whether the step produced no layer (`ENV`, `CMD`, …).
    pub empty_layer: bool,
}

/// The parts of the image config the scanners need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    /// `os` of the config.
    pub os: Option<String>,
    /// `architecture` of the config.
    pub architecture: Option<String>,
    /// `config.Env`, as `NAME=value`.
    pub env: Vec<String>,
    /// `config.User`; `None` or empty means root.
    pub user: Option<String>,
    /// `config.ExposedPorts` keys (`22/tcp`).
    pub exposed_ports: Vec<String>,
    /// `config.Labels`.
    pub labels: BTreeMap<String, String>,
    /// Whether `config.Healthcheck` is set.
    pub healthcheck: bool,
    /// The history, in build order.
    pub history: Vec<History>,
    /// `rootfs.diff_ids`: digests of the uncompressed layers, in order.
    pub diff_ids: Vec<String>,
}

/// One layer of the chosen image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Position from the base (0) up.
    pub index: usize,
    /// The layer's digest (the manifest's, or the diff id for docker-archive; empty for a
    /// root filesystem).
    pub digest: String,
    /// The blob name within the source.
    pub blob: String,
    /// The media type the manifest gives, if any.
    pub media_type: Option<String>,
    /// The history `created_by` of the step that produced the layer.
    pub created_by: Option<String>,
}

/// Bounds on what a scan will read (decompression bombs, huge or hostile layers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Expanded (uncompressed tar) bytes per layer.
    pub max_layer_bytes: u64,
    /// Expanded bytes over all layers of one pass.
    pub max_total_bytes: u64,
    /// Tar entries over all layers.
    pub max_entries: u64,
    /// Length of an entry path, in bytes.
    pub max_path_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 16 << 30,
            max_total_bytes: 64 << 30,
            max_entries: 5_000_000,
            max_path_len: 4096,
        }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Something was read in a way worth knowing (a symlink clamped at the root).
    Warning,
    /// Part of the input could not be read (corrupt layer, limit, escape).
    Error,
}

/// A problem met while reading an image; the rest is still read where sensible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The layer index, when the problem is in a layer.
    pub layer: Option<usize>,
    /// The layer's digest, when the problem is in a layer.
    pub digest: Option<String>,
    /// The entry path, when the problem is one entry.
    pub path: Option<String>,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(i) = self.layer {
            write!(f, "layer {i}")?;
            if let Some(d) = self.digest.as_deref().filter(|d| !d.is_empty()) {
                write!(f, " ({d})")?;
            }
            f.write_str(": ")?;
        }
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The kind of a filesystem entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A hard link to another entry (its target is in `link_target`).
    HardLink,
    /// A device, FIFO or other special file.
    Other,
}

/// One file of the final filesystem, as handed to a visitor. A hard link comes with an
/// empty reader; its content is that of the entry named by `link_target`.
#[derive(Debug, Clone, Copy)]
pub struct FileEntry<'a> {
    /// Normalized path relative to the image root (`usr/bin/env`).
    pub path: &'a str,
    /// What the entry is.
    pub kind: EntryKind,
    /// Size in bytes of a regular file's content.
    pub size: u64,
    /// Permission bits (and set-id bits).
    pub mode: u32,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// Symlink target as written, or the normalized path of a hard link's target.
    pub link_target: Option<&'a str>,
    /// The layer that added this final version of the entry.
    pub layer: &'a Layer,
}

/// What a whiteout entry of a layer does to the layers below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whiteout<'a> {
    /// `.wh.NAME`: this path (and everything under it) from lower layers is deleted.
    Delete(&'a str),
    /// `.wh..wh..opq`: every lower-layer child of this directory is hidden (`""` is the root).
    Opaque(&'a str),
}

/// One tar entry of one layer, as [`crate::Image::for_each_layer_entry`] hands it out:
/// every entry the layer holds, including those a later layer deletes or replaces (they
/// still ship in this layer) and whiteout markers.
#[derive(Debug, Clone, Copy)]
pub struct LayerEntry<'a> {
    /// Normalized path relative to the image root, placed as the final view places it (an
    /// entry written under a symlinked directory lands at the link's target); for a
    /// whiteout, the path of the `.wh.` entry itself.
    pub path: &'a str,
    /// What the entry is.
    pub kind: EntryKind,
    /// Size in bytes of a regular file's content.
    pub size: u64,
    /// Permission bits (and set-id bits).
    pub mode: u32,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// Symlink target as written, or the normalized path of a hard link's target.
    pub link_target: Option<&'a str>,
    /// The layer holding the entry.
    pub layer: &'a Layer,
    /// Position of the entry within its layer (0-based, counting every tar entry); with
    /// the layer index it names the entry the final view keeps ([`crate::Node`]).
    pub ordinal: u64,
    /// Set when the entry is a whiteout marker rather than a file.
    pub whiteout: Option<Whiteout<'a>>,
}
