//! Walking one layer's raw entries, from a tar stream or a root filesystem directory,
//! under the byte budget. Both passes of a scan walk layers through here, so they see the
//! same entries with the same ordinals.

use std::borrow::Cow;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::model::{EntryKind, Layer, Limits};
use crate::source::{Image, Store};
use crate::stream::{decompress, Bounded, LIMIT_MESSAGE};

/// One entry as the layer wrote it (path not yet normalized).
pub(crate) struct RawEntry<'a> {
    pub path: Cow<'a, [u8]>,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub link: Option<Cow<'a, [u8]>>,
}

/// What a callback wants after an entry.
#[derive(PartialEq, Eq)]
pub(crate) enum Flow {
    Next,
    Stop,
}

/// Shared byte budget of one pass.
pub(crate) struct Budget {
    pub total_left: Cell<u64>,
    pub hit: Cell<bool>,
}

impl Budget {
    pub fn new(limits: &Limits) -> Budget {
        Budget {
            total_left: Cell::new(limits.max_total_bytes),
            hit: Cell::new(false),
        }
    }
}

/// A layer that could not be read to its end.
pub(crate) struct LayerFailure {
    pub message: String,
    /// The byte budget ran out (per layer or in total).
    pub limit: bool,
}

/// Calls `f` on each entry of `layer`, in order, with a reader of its content.
pub(crate) fn each_entry(
    image: &Image,
    layer: &Layer,
    limits: &Limits,
    budget: &Budget,
    f: &mut dyn FnMut(RawEntry<'_>, &mut dyn Read) -> Flow,
) -> Result<(), LayerFailure> {
    match &image.store {
        Store::Rootfs(root) => walk_rootfs(root, f).map_err(|e| LayerFailure {
            message: e.to_string(),
            limit: false,
        }),
        Store::Blobs(store) => {
            // `hit` tells this layer's failure apart from an earlier layer's.
            budget.hit.set(false);
            let fail = |e: io::Error| LayerFailure {
                limit: budget.hit.get() || e.to_string().contains(LIMIT_MESSAGE),
                message: if budget.hit.get() {
                    format!(
                        "{LIMIT_MESSAGE} ({} bytes per layer, {} in all)",
                        limits.max_layer_bytes, limits.max_total_bytes
                    )
                } else {
                    e.to_string()
                },
            };
            let blob = store.open(&layer.blob).map_err(fail)?;
            let (_, plain) = decompress(blob).map_err(fail)?;
            let bounded = Bounded::new(
                plain,
                limits.max_layer_bytes,
                &budget.total_left,
                &budget.hit,
            );
            walk_tar(bounded, f).map_err(fail)
        }
    }
}

fn walk_tar(
    reader: impl Read,
    f: &mut dyn FnMut(RawEntry<'_>, &mut dyn Read) -> Flow,
) -> io::Result<()> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let header = entry.header();
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Link => EntryKind::HardLink,
            _ => EntryKind::Other,
        };
        let raw = RawEntry {
            path: Cow::Owned(entry.path_bytes().into_owned()),
            kind,
            size: entry.size(),
            mode: header.mode().unwrap_or(0),
            uid: header.uid().unwrap_or(0),
            gid: header.gid().unwrap_or(0),
            link: entry.link_name_bytes().map(|l| Cow::Owned(l.into_owned())),
        };
        if f(raw, &mut entry) == Flow::Stop {
            break;
        }
    }
    Ok(())
}

/// A root filesystem is one layer; links are never followed (a symlink is reported as a
/// symlink and only regular files are opened), and names are visited in sorted order so
/// both passes agree.
fn walk_rootfs(
    root: &Path,
    f: &mut dyn FnMut(RawEntry<'_>, &mut dyn Read) -> Flow,
) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    for item in walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1)
    {
        let item = item.map_err(io::Error::other)?;
        let rel = item.path().strip_prefix(root).map_err(io::Error::other)?;
        let meta = item.path().symlink_metadata()?;
        let ft = meta.file_type();
        let kind = if ft.is_file() {
            EntryKind::File
        } else if ft.is_dir() {
            EntryKind::Dir
        } else if ft.is_symlink() {
            EntryKind::Symlink
        } else {
            EntryKind::Other
        };
        let link = if ft.is_symlink() {
            Some(Cow::Owned(
                std::fs::read_link(item.path())?
                    .as_os_str()
                    .as_bytes()
                    .to_vec(),
            ))
        } else {
            None
        };
        let raw = RawEntry {
            path: Cow::Borrowed(rel.as_os_str().as_bytes()),
            kind,
            size: if ft.is_file() { meta.len() } else { 0 },
            mode: meta.mode() & 0o7777,
            uid: u64::from(meta.uid()),
            gid: u64::from(meta.gid()),
            link,
        };
        let flow = if kind == EntryKind::File {
            // An unreadable file is visited with no content rather than ending the walk.
            match File::open(item.path()) {
                Ok(mut file) => f(raw, &mut file),
                Err(_) => f(raw, &mut io::empty()),
            }
        } else {
            f(raw, &mut io::empty())
        };
        if flow == Flow::Stop {
            break;
        }
    }
    Ok(())
}
