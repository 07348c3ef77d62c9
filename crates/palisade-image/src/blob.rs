//! Where an image's blobs live: files under a directory (OCI layout), or members of an
//! outer tar (oci-archive, docker-archive). A tar is indexed once (names, data offsets and
//! sizes) and each member is then read in place by seeking, so nothing is unpacked.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::path::normalize;

/// A store of named blobs (`blobs/sha256/<hex>`, `manifest.json`, `<id>/layer.tar`).
#[derive(Debug)]
pub enum BlobStore {
    /// Files under this directory.
    Dir(PathBuf),
    /// Members of this tar file, by normalized name: (data offset, size).
    Tar {
        /// The outer tar.
        file: PathBuf,
        /// Regular members by normalized name.
        index: HashMap<String, (u64, u64)>,
    },
    /// Blobs held in memory, by name (images built by tests and fuzzers).
    Memory(HashMap<String, Arc<[u8]>>),
}

impl BlobStore {
    /// Indexes the regular members of an outer tar (reads headers only, seeking past data).
    pub fn index_tar(path: &Path) -> io::Result<BlobStore> {
        let mut archive = tar::Archive::new(File::open(path)?);
        let mut index = HashMap::new();
        for entry in archive.entries_with_seek()? {
            let entry = entry?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            if let Ok(name) = normalize(&entry.path_bytes()) {
                index.insert(name, (entry.raw_file_position(), entry.size()));
            }
        }
        Ok(BlobStore::Tar {
            file: path.to_path_buf(),
            index,
        })
    }

    /// Whether a blob of this name exists.
    pub fn contains(&self, name: &str) -> bool {
        match self {
            BlobStore::Dir(dir) => safe_name(name).is_some_and(|n| dir.join(n).is_file()),
            BlobStore::Tar { index, .. } => index.contains_key(name),
            BlobStore::Memory(blobs) => blobs.contains_key(name),
        }
    }

    /// Opens a blob for streaming.
    pub fn open(&self, name: &str) -> io::Result<Box<dyn Read>> {
        match self {
            BlobStore::Dir(dir) => {
                let name = safe_name(name).ok_or_else(|| bad_name(name))?;
                Ok(Box::new(File::open(dir.join(name))?))
            }
            BlobStore::Tar { file, index } => {
                let &(offset, size) = index.get(name).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("no member {name}"))
                })?;
                let mut f = File::open(file)?;
                f.seek(SeekFrom::Start(offset))?;
                Ok(Box::new(f.take(size)))
            }
            BlobStore::Memory(blobs) => match blobs.get(name) {
                Some(bytes) => Ok(Box::new(io::Cursor::new(Arc::clone(bytes)))),
                None => Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no blob {name}"),
                )),
            },
        }
    }

    /// Reads a small blob (manifest, index, config) whole, refusing more than `max` bytes.
    pub fn read_small(&self, name: &str, max: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.open(name)?.take(max + 1).read_to_end(&mut out)?;
        if out.len() as u64 > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{name} is larger than {max} bytes"),
            ));
        }
        Ok(out)
    }
}

/// A blob name from a manifest, checked to stay under the store's directory.
fn safe_name(name: &str) -> Option<String> {
    normalize(name.as_bytes()).ok().filter(|n| !n.is_empty())
}

fn bad_name(name: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("bad blob name {name:?}"),
    )
}

/// The blob name of a content digest in an OCI layout (`sha256:ab…` → `blobs/sha256/ab…`).
pub fn digest_path(digest: &str) -> Option<String> {
    let (algo, hex) = digest.split_once(':')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    (ok(algo) && ok(hex)).then(|| format!("blobs/{algo}/{hex}"))
}
