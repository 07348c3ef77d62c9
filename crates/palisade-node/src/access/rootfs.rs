//! Reading a node's files from a root directory (a mounted image, a fixture tree, or `/`),
//! as a process chrooted there would see them: absolute symlinks are resolved against the
//! root and `..` never climbs above it, so nothing outside the root is ever read. Reads are
//! capped in size; every failure is a value, never a panic.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Symlink hops allowed while resolving one path (the kernel's limit is 40).
const MAX_LINK_HOPS: usize = 40;

/// Largest file read by default (configuration files are small; a bigger one is hostile or
/// not what it claims to be).
pub const DEFAULT_MAX_BYTES: u64 = 1024 * 1024;

/// A problem met while reading a node, with its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The file, as a path on the analysing machine (root + path in the node).
    pub path: String,
    /// The line, when the problem is on one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// It does not exist (or a directory on its way does not).
    Missing,
    /// It is larger than the cap (its size).
    TooLarge(u64),
    /// It is not a regular file.
    NotAFile,
    /// Symlinks loop or chain too long.
    LinkLoop,
    /// The OS refused (permissions, I/O error).
    Unreadable(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Missing => f.write_str("does not exist"),
            ReadError::TooLarge(n) => write!(f, "is too large ({n} bytes); not read"),
            ReadError::NotAFile => f.write_str("is not a regular file"),
            ReadError::LinkLoop => f.write_str("has a symlink loop"),
            ReadError::Unreadable(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// A node's filesystem below a root directory.
#[derive(Debug, Clone)]
pub struct RootFs {
    root: PathBuf,
    max_bytes: u64,
}

impl RootFs {
    /// The filesystem under `root`, reading files of at most `max_bytes`.
    pub fn new(root: &Path, max_bytes: u64) -> RootFs {
        RootFs {
            root: root.to_path_buf(),
            max_bytes,
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How a path in the node is shown: the root joined with it.
    pub fn display(&self, path: &str) -> String {
        let root = self.root.to_string_lossy();
        let root = root.trim_end_matches('/');
        format!("{root}/{}", path.trim_start_matches('/'))
    }

    /// A diagnostic about a path in the node.
    pub fn diag(&self, path: &str, line: Option<u32>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: self.display(path),
            line,
            message: message.into(),
        }
    }

    /// Resolves a path in the node to a path on this machine, following symlinks as a
    /// chrooted process would (absolute targets restart at the root; `..` stops there).
    /// With `follow_last` false, a symlink in the last component is not followed (lstat).
    pub fn resolve(&self, path: &str, follow_last: bool) -> Result<PathBuf, ReadError> {
        let mut pending: Vec<String> = components(path).rev().map(str::to_string).collect();
        let mut current: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    current.pop();
                    continue;
                }
                _ => {}
            }
            current.push(part);
            let host = self.host_path(&current);
            let meta = match fs::symlink_metadata(&host) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(ReadError::Missing)
                }
                Err(e) => return Err(ReadError::Unreadable(e.to_string())),
            };
            let last = pending.is_empty();
            if !meta.file_type().is_symlink() || (last && !follow_last) {
                continue;
            }
            hops += 1;
            if hops > MAX_LINK_HOPS {
                return Err(ReadError::LinkLoop);
            }
            let target = fs::read_link(&host).map_err(|e| ReadError::Unreadable(e.to_string()))?;
            let target = target.to_string_lossy().into_owned();
            current.pop();
            if target.starts_with('/') {
                current.clear();
            }
            pending.extend(components(&target).rev().map(str::to_string));
        }
        Ok(self.host_path(&current))
    }

    fn host_path(&self, parts: &[String]) -> PathBuf {
        let mut p = self.root.clone();
        p.extend(parts);
        p
    }

    /// Reads a text file (invalid UTF-8 replaced), refusing files above the size cap.
    pub fn read(&self, path: &str) -> Result<String, ReadError> {
        let host = self.resolve(path, true)?;
        let meta = fs::metadata(&host).map_err(|e| ReadError::Unreadable(e.to_string()))?;
        if !meta.is_file() {
            return Err(ReadError::NotAFile);
        }
        if meta.len() > self.max_bytes {
            return Err(ReadError::TooLarge(meta.len()));
        }
        let file = fs::File::open(&host).map_err(|e| ReadError::Unreadable(e.to_string()))?;
        let mut bytes = Vec::new();
        // The file may grow between stat and read: read at most one byte past the cap.
        file.take(self.max_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ReadError::Unreadable(e.to_string()))?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Metadata of a path in the node (symlinks followed), if it exists.
    pub fn metadata(&self, path: &str) -> Option<fs::Metadata> {
        let host = self.resolve(path, true).ok()?;
        fs::metadata(host).ok()
    }

    /// Does the path exist as an entry (a dangling symlink counts: systemd's `wants` links
    /// point into /lib, which a partial image may lack)?
    pub fn entry_exists(&self, path: &str) -> bool {
        self.resolve(path, false)
            .is_ok_and(|p| fs::symlink_metadata(p).is_ok())
    }

    /// Is the path a directory?
    pub fn is_dir(&self, path: &str) -> bool {
        self.metadata(path).is_some_and(|m| m.is_dir())
    }

    /// The names in a directory, sorted (bytewise, as glob(3) in the C locale), capped.
    pub fn list_dir(&self, path: &str, cap: usize) -> Result<Vec<String>, ReadError> {
        let host = self.resolve(path, true)?;
        let entries = fs::read_dir(&host).map_err(|e| ReadError::Unreadable(e.to_string()))?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .take(cap)
            .collect();
        names.sort();
        Ok(names)
    }
}

/// The non-empty components of a slash-separated path.
fn components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

/// Joins a node path and a relative part.
pub fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return rel.to_string();
    }
    format!("{}/{}", dir.trim_end_matches('/'), rel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn absolute_symlinks_resolve_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc/real")).unwrap();
        fs::write(dir.path().join("etc/real/f"), "inside").unwrap();
        symlink("/etc/real/f", dir.path().join("etc/link")).unwrap();
        symlink("../../../../etc/real/f", dir.path().join("etc/up")).unwrap();
        let fs = RootFs::new(dir.path(), 100);
        assert_eq!(fs.read("/etc/link").unwrap(), "inside");
        assert_eq!(fs.read("etc/up").unwrap(), "inside");
        // /etc/passwd of the analysing machine is never reached.
        symlink("/etc/passwd", dir.path().join("etc/host")).unwrap();
        assert_eq!(fs.read("/etc/host"), Err(ReadError::Missing));
    }

    #[test]
    fn loops_caps_and_non_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        symlink("/a", dir.path().join("b")).unwrap();
        symlink("/b", dir.path().join("a")).unwrap();
        fs::write(dir.path().join("big"), vec![b'x'; 101]).unwrap();
        let fs = RootFs::new(dir.path(), 100);
        assert_eq!(fs.read("/a"), Err(ReadError::LinkLoop));
        assert_eq!(fs.read("/big"), Err(ReadError::TooLarge(101)));
        assert_eq!(fs.read("/"), Err(ReadError::NotAFile));
        assert!(fs.entry_exists("/a"));
        assert!(!fs.entry_exists("/c"));
    }
}
