//! [`NodeRoot`]: a node's filesystem seen from a directory (`/`, a mounted node image, a
//! fixture tree). Every path the audits name is absolute *on the node* (`/etc/kubernetes/...`)
//! and is resolved under the root, symlinks included: an absolute symlink target restarts
//! from the root, as it would inside a chroot, so a mounted image never leads the audit
//! into the auditing host's own files.

use std::fs;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

/// Largest file read, in bytes. Node config files are a few KiB; anything bigger is not one.
pub const MAX_READ: u64 = 1024 * 1024;

/// Most symlinks followed while resolving one path (Linux's own limit is 40).
const MAX_LINKS: usize = 40;

/// What reading a file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The text.
    Text(String),
    /// No such file (or a directory where a file was expected).
    Missing,
    /// The file exists but could not be used: unreadable, over [`MAX_READ`], not UTF-8.
    Error(String),
}

/// Owner, group and permission bits of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMeta {
    /// Permission bits (`0o600`), without the file type.
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Group gid.
    pub gid: u32,
    /// True for a directory.
    pub is_dir: bool,
}

/// A node's filesystem under a directory.
#[derive(Debug, Clone)]
pub struct NodeRoot {
    dir: PathBuf,
}

impl NodeRoot {
    /// The node whose `/` is `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> NodeRoot {
        NodeRoot { dir: dir.into() }
    }

    /// The directory standing for the node's `/`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The host path of a node path, symlinks resolved inside the root. `None` when the
    /// path leaves the root through too many links.
    pub fn resolve(&self, node_path: &str) -> Option<PathBuf> {
        let mut pending: Vec<String> = components(node_path);
        pending.reverse();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                done.pop();
                continue;
            }
            let host = self.host_path(&done).join(&part);
            match fs::symlink_metadata(&host) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    links += 1;
                    if links > MAX_LINKS {
                        return None;
                    }
                    let target = fs::read_link(&host).ok()?;
                    let target = target.to_string_lossy().into_owned();
                    if target.starts_with('/') {
                        done.clear();
                    }
                    let mut more = components(&target);
                    more.reverse();
                    pending.extend(more);
                }
                _ => done.push(part),
            }
        }
        Some(self.host_path(&done))
    }

    fn host_path(&self, parts: &[String]) -> PathBuf {
        let mut path = self.dir.clone();
        path.extend(parts);
        path
    }

    /// Reads a text file, at most [`MAX_READ`] bytes.
    pub fn read(&self, node_path: &str) -> ReadOutcome {
        let Some(host) = self.resolve(node_path) else {
            return ReadOutcome::Error("too many levels of symbolic links".into());
        };
        let file = match fs::File::open(&host) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return ReadOutcome::Missing,
            Err(e) => return ReadOutcome::Error(format!("cannot read: {e}")),
        };
        match file.metadata() {
            Ok(m) if m.is_dir() => return ReadOutcome::Missing,
            Ok(m) if m.len() > MAX_READ => {
                return ReadOutcome::Error(format!(
                    "file is {} bytes, over the {MAX_READ} byte limit for node config files",
                    m.len()
                ))
            }
            _ => {}
        }
        let mut bytes = Vec::new();
        // The size check above can race with a growing file: cap the read itself too.
        if let Err(e) = file.take(MAX_READ + 1).read_to_end(&mut bytes) {
            return ReadOutcome::Error(format!("cannot read: {e}"));
        }
        if bytes.len() as u64 > MAX_READ {
            return ReadOutcome::Error(format!(
                "file is over the {MAX_READ} byte limit for node config files"
            ));
        }
        match String::from_utf8(bytes) {
            Ok(text) => ReadOutcome::Text(text),
            Err(e) => ReadOutcome::Error(format!(
                "not valid UTF-8 (byte offset {})",
                e.utf8_error().valid_up_to()
            )),
        }
    }

    /// Owner, group and mode of a file (following symlinks inside the root).
    pub fn stat(&self, node_path: &str) -> Option<FileMeta> {
        let host = self.resolve(node_path)?;
        let meta = fs::metadata(host).ok()?;
        Some(meta_of(&meta))
    }

    /// True when the path itself exists (a dangling symlink counts: `systemctl enable`
    /// links are checked for presence, not followed).
    pub fn exists_link(&self, node_path: &str) -> bool {
        let parts = components(node_path);
        let Some((last, parent)) = parts.split_last() else {
            return true;
        };
        let parent_path = format!("/{}", parent.join("/"));
        self.resolve(&parent_path)
            .is_some_and(|p| fs::symlink_metadata(p.join(last)).is_ok())
    }

    /// Names in a directory, sorted (empty when it is missing).
    pub fn list(&self, node_dir: &str) -> Vec<String> {
        let Some(host) = self.resolve(node_dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = fs::read_dir(host)
            .map(|it| {
                it.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Every file below a directory (not directories), as node paths, sorted; at most
    /// `limit` of them.
    pub fn walk_files(&self, node_dir: &str, limit: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![node_dir.trim_end_matches('/').to_string()];
        while let Some(dir) = stack.pop() {
            for name in self.list(&dir) {
                let path = format!("{dir}/{name}");
                match self.stat(&path) {
                    Some(m) if m.is_dir => stack.push(path),
                    Some(_) => out.push(path),
                    None => {}
                }
                if out.len() >= limit {
                    out.sort();
                    return out;
                }
            }
        }
        out.sort();
        out
    }
}

fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect()
}

#[cfg(unix)]
fn meta_of(meta: &fs::Metadata) -> FileMeta {
    use std::os::unix::fs::MetadataExt;
    FileMeta {
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        is_dir: meta.is_dir(),
    }
}

#[cfg(not(unix))]
fn meta_of(meta: &fs::Metadata) -> FileMeta {
    FileMeta {
        mode: if meta.permissions().readonly() {
            0o444
        } else {
            0o644
        },
        uid: 0,
        gid: 0,
        is_dir: meta.is_dir(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_symlinks_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc/real")).unwrap();
        fs::write(dir.path().join("etc/real/f.conf"), "inside").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/real", dir.path().join("etc/link")).unwrap();
        let root = NodeRoot::new(dir.path());
        #[cfg(unix)]
        assert_eq!(
            root.read("/etc/link/f.conf"),
            ReadOutcome::Text("inside".into())
        );
        assert_eq!(
            root.read("/etc/../etc/real/f.conf"),
            ReadOutcome::Text("inside".into())
        );
        assert_eq!(root.read("/etc/missing"), ReadOutcome::Missing);
        assert_eq!(root.read("/etc/real"), ReadOutcome::Missing);
    }

    #[test]
    fn oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("big"), vec![b'a'; (MAX_READ + 1) as usize]).unwrap();
        let root = NodeRoot::new(dir.path());
        assert!(matches!(root.read("/big"), ReadOutcome::Error(m) if m.contains("limit")));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("/a", dir.path().join("b")).unwrap();
        let root = NodeRoot::new(dir.path());
        assert!(matches!(root.read("/a"), ReadOutcome::Error(_)));
        assert!(root.exists_link("/a"));
    }
}
