//! The minimal view of a filesystem that the catalogers need: a list of regular files and a way
//! to read one, with a size cap. The image reader (another crate) will implement this over
//! merged layers; here there is a rootfs directory and an in-memory map for tests.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Largest file a cataloger reads; bigger files are reported and skipped, so a hostile image
/// cannot make the scan allocate without bound. A real dpkg status of a large system is a few MB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A read-only tree of regular files addressed by relative, `/`-separated paths with no leading
/// slash (`var/lib/dpkg/status`).
pub trait FileSource {
    /// Every regular file in the tree, in any order.
    fn files(&self) -> Vec<String>;
    /// The content of `path`, failing with `InvalidData` if it is larger than `limit` bytes.
    fn read(&self, path: &str, limit: u64) -> io::Result<Vec<u8>>;

    /// A stream of `path`'s content (binaries are sniffed, not read whole). The default reads
    /// the file whole, up to [`MAX_FILE_BYTES`].
    fn open(&self, path: &str) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(io::Cursor::new(self.read(path, MAX_FILE_BYTES)?)))
    }

    /// Every regular file with the mode and size the source knows without extra work (a
    /// file no cataloger wants by name is sniffed as a binary when it has an execute bit, or
    /// when its mode is unknown). The default knows neither.
    fn entries(&self) -> Vec<SourceFile> {
        self.files()
            .into_iter()
            .map(|path| SourceFile {
                path,
                mode: None,
                size: None,
            })
            .collect()
    }

    /// Where `path` is on the local disk, when it is a plain file there (SQLite then opens
    /// the rpm database in place instead of a copy).
    fn local_path(&self, _path: &str) -> Option<PathBuf> {
        None
    }
}

/// One regular file of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Relative `/`-separated path.
    pub path: String,
    /// Permission bits, when known.
    pub mode: Option<u32>,
    /// Size in bytes, when known.
    pub size: Option<u64>,
}

/// A root filesystem unpacked in a directory. Symbolic links are neither listed nor followed,
/// so nothing outside the root is ever read.
#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    /// A source rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn walk(&self, dir: &Path, rel: &str, out: &mut Vec<SourceFile>) {
        // Unreadable directories (permissions) are skipped: a partial listing is more useful
        // than none, and the catalogers only care about a handful of well-known paths.
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let child = if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            };
            if kind.is_dir() {
                self.walk(&entry.path(), &child, out);
            } else if kind.is_file() {
                // Only files no cataloger wants by name need their mode (a binary to sniff);
                // DirEntry::metadata stats relative to the open directory, not from the root.
                let meta = if crate::route::by_path(&child).is_none()
                    && !crate::route::data_only(&child)
                {
                    entry.metadata().ok()
                } else {
                    None
                };
                out.push(SourceFile {
                    path: child,
                    mode: meta.as_ref().map(|m| {
                        use std::os::unix::fs::PermissionsExt;
                        m.permissions().mode()
                    }),
                    size: meta.as_ref().map(std::fs::Metadata::len),
                });
            }
        }
    }
}

impl FileSource for DirSource {
    fn files(&self) -> Vec<String> {
        self.entries().into_iter().map(|f| f.path).collect()
    }

    fn entries(&self) -> Vec<SourceFile> {
        let mut out = Vec::new();
        self.walk(&self.root, "", &mut out);
        out
    }

    fn read(&self, path: &str, limit: u64) -> io::Result<Vec<u8>> {
        if path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "path leaves the root",
            ));
        }
        let full = self.root.join(path);
        // symlink_metadata: refuse a link rather than follow it out of the root.
        let meta = std::fs::symlink_metadata(&full)?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        if meta.len() > limit {
            return Err(too_large(meta.len(), limit));
        }
        let mut buf = Vec::with_capacity(meta.len() as usize);
        // take(): the file may grow between stat and read.
        std::fs::File::open(&full)?
            .take(limit + 1)
            .read_to_end(&mut buf)?;
        if buf.len() as u64 > limit {
            return Err(too_large(buf.len() as u64, limit));
        }
        Ok(buf)
    }

    fn open(&self, path: &str) -> io::Result<Box<dyn Read + '_>> {
        use std::os::unix::fs::OpenOptionsExt;
        if path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "path leaves the root",
            ));
        }
        // O_NOFOLLOW: a link in the last component is refused rather than followed (the walk
        // never descends through a linked directory); fstat then checks the kind.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(self.root.join(path))?;
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok(Box::new(file))
    }

    fn local_path(&self, path: &str) -> Option<PathBuf> {
        let full = self.checked(path).ok()?;
        std::fs::symlink_metadata(&full)
            .is_ok_and(|m| m.is_file())
            .then_some(full)
    }
}

impl DirSource {
    /// `root/path` for a path that stays inside the root and is a regular file, not a link.
    fn checked(&self, path: &str) -> io::Result<PathBuf> {
        if path.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "path leaves the root",
            ));
        }
        let full = self.root.join(path);
        if !std::fs::symlink_metadata(&full)?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok(full)
    }
}

fn too_large(size: u64, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("file of {size} bytes exceeds the {limit}-byte limit"),
    )
}

/// Files held in memory, for tests and for callers that already have the bytes.
#[derive(Debug, Clone, Default)]
pub struct MemSource {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemSource {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file; a leading `/` is dropped.
    pub fn insert(&mut self, path: &str, content: impl Into<Vec<u8>>) -> &mut Self {
        self.files
            .insert(path.trim_start_matches('/').to_string(), content.into());
        self
    }

    /// Builder form of [`MemSource::insert`].
    pub fn with(mut self, path: &str, content: impl Into<Vec<u8>>) -> Self {
        self.insert(path, content);
        self
    }
}

impl FileSource for MemSource {
    fn files(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    fn read(&self, path: &str, limit: u64) -> io::Result<Vec<u8>> {
        let data = self
            .files
            .get(path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))?;
        if data.len() as u64 > limit {
            return Err(too_large(data.len() as u64, limit));
        }
        Ok(data.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_source_lists_files_and_refuses_escapes_and_big_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/sub")).unwrap();
        std::fs::write(dir.path().join("etc/sub/a"), b"hello").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("etc/link")).unwrap();
        let src = DirSource::new(dir.path());
        assert_eq!(src.files(), vec!["etc/sub/a".to_string()]);
        assert_eq!(src.read("etc/sub/a", 10).unwrap(), b"hello");
        assert!(src.read("etc/sub/a", 4).is_err());
        assert!(src.read("../etc/passwd", 1 << 20).is_err());
        #[cfg(unix)]
        assert!(src.read("etc/link", 1 << 20).is_err());
    }

    #[test]
    fn mem_source_caps_reads() {
        let src = MemSource::new().with("/x", "12345");
        assert_eq!(src.files(), vec!["x".to_string()]);
        assert!(src.read("x", 5).is_ok());
        assert!(src.read("x", 4).is_err());
    }
}
