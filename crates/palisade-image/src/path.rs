//! Normalizing paths found in layer tars and resolving symlinks inside the image root.
//!
//! A layer names its entries as `./usr/bin/x`, `usr/bin/x` or `/usr/bin/x`; all mean the
//! same file relative to the image root. `..` that would climb above the root is refused
//! (Docker's `UnpackLayer` in moby `pkg/archive/diff.go` rejects such an entry as a
//! "breakout"; we do the same and report it instead of guessing where it lands).

/// Why a raw entry path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// `..` climbs above the image root.
    Escapes,
    /// The path has a NUL byte or is not UTF-8.
    Invalid,
}

/// Normalizes a tar entry path to `a/b/c` (no leading `/`, no `.`, no `..`, no trailing
/// `/`); the root itself is `""`. Leading `/` is dropped because layer paths are relative
/// to the image root whatever they say.
pub fn normalize(raw: &[u8]) -> Result<String, PathError> {
    let text = std::str::from_utf8(raw).map_err(|_| PathError::Invalid)?;
    if text.contains('\0') {
        return Err(PathError::Invalid);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(PathError::Escapes);
                }
            }
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

/// Joins a symlink's target to the directory that holds the link, the way the kernel
/// would inside a container whose root is the image root: an absolute target starts at
/// the image root, and `..` at the root stays at the root (as `..` of `/` is `/`).
/// Returns the joined path and whether the target tried to climb above the root.
pub fn join_link(link_dir: &str, target: &str) -> (String, bool) {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        link_dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    let mut climbed_out = false;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    climbed_out = true;
                }
            }
            other => parts.push(other),
        }
    }
    (parts.join("/"), climbed_out)
}

/// The parent directory of a normalized path (`""` for a top-level name).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The last component of a normalized path.
pub fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_forms() {
        assert_eq!(normalize(b"./usr/bin/x").unwrap(), "usr/bin/x");
        assert_eq!(normalize(b"/usr//bin/./x/").unwrap(), "usr/bin/x");
        assert_eq!(normalize(b"usr/lib/../bin").unwrap(), "usr/bin");
        assert_eq!(normalize(b"./").unwrap(), "");
        assert_eq!(normalize(b"../etc/passwd"), Err(PathError::Escapes));
        assert_eq!(normalize(b"a/../../x"), Err(PathError::Escapes));
        assert_eq!(normalize(b"a\xffb"), Err(PathError::Invalid));
    }

    #[test]
    fn link_join_stays_in_root() {
        assert_eq!(
            join_link("usr/bin", "../lib/x"),
            ("usr/lib/x".into(), false)
        );
        assert_eq!(join_link("usr/bin", "/etc/x"), ("etc/x".into(), false));
        assert_eq!(join_link("a", "../../../etc"), ("etc".into(), true));
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(file_name("a/b/c"), "c");
        assert_eq!(parent("c"), "");
    }
}
