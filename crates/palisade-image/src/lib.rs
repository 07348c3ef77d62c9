//! Palisade's image sources. [`Image::open`] reads an OCI image layout directory, an
//! `oci-archive` tar, a `docker-archive` tar (`docker save`) or a plain root filesystem
//! directory, picks the manifest for a [`Platform`] (default `linux/amd64`), and exposes
//! the [`ImageConfig`] (env, user, history) and the [`Layer`]s in order.
//!
//! [`Image::for_each_file`] visits the final filesystem, whiteouts applied, without
//! unpacking anything: pass one reads the layers' tar headers (gzip, zstd or plain, detected
//! from the bytes) to decide which entry of which layer survives; pass two streams the
//! layers again and hands the visitor only those entries with a reader of their content.
//! Every entry carries the [`Layer`] (digest, index, `created_by`) that added it. [`Limits`]
//! bound expanded bytes, entries and path length; anything wrong becomes a [`Diagnostic`]
//! naming the layer, and reading goes on where it can.
//!
//! [`Image::for_each_layer_entry`] visits every entry of every layer instead (files a later
//! layer deletes or overwrites, which still ship in their layer, and whiteout markers), with
//! its content, in one read of each layer that also computes the final view.
//!
//! With the `registry` feature (on by default here, off through the workspace dependency),
//! `pull` fetches an image from an OCI distribution registry into a verified,
//! content-addressed blob cache and opens it like a local layout (`docs/images-registry.md`).
//!
//! ```
//! use palisade_image::{Image, Limits, Platform};
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::create_dir_all(dir.path().join("etc")).unwrap();
//! std::fs::write(dir.path().join("etc/os-release"), "ID=debian\n").unwrap();
//! let image = Image::open(dir.path(), &Platform::default()).unwrap();
//! let mut seen = Vec::new();
//! image.for_each_file(&Limits::default(), |entry, reader| {
//!     let mut text = String::new();
//!     reader.read_to_string(&mut text).unwrap();
//!     seen.push((entry.path.to_string(), text));
//! });
//! assert!(seen.contains(&("etc/os-release".to_string(), "ID=debian\n".to_string())));
//! ```

mod blob;
mod entries;
mod model;
mod named;
pub mod path;
#[cfg(feature = "registry")]
mod pull;
mod scan;
mod source;
mod stream;
mod view;

pub use model::{
    Diagnostic, EntryKind, FileEntry, History, ImageConfig, Layer, LayerEntry, Limits, Platform,
    Severity, SourceKind, Whiteout,
};
pub use named::{image_names, ImageName, NameForm};
/// An image reference, parsed and completed the way container runtimes complete short names
/// (default registry, `library/` for official images, tag `latest`).
#[cfg(feature = "registry")]
pub use oci_client::Reference;
#[cfg(feature = "registry")]
pub use pull::{
    default_cache_dir, docker_config_path, pull, pull_details, Auth, PullError, PullLimits,
    PullOptions, Pulled,
};
pub use scan::ScanReport;
pub use source::{Image, OpenError};
pub use stream::Compression;
pub use view::{FinalView, Node};
