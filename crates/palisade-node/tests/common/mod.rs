//! Fixture preparation: git keeps no file modes but +x and no owners, so each fixture is
//! copied to a temporary directory and given the modes (and, when the test runs as root,
//! the owners) listed in its `modes.txt` (`path mode uid gid`, `-` to leave an id alone).
//! Run as another user, the ownership checks see that user's uid: the tests then skip the
//! ownership expectations (see `is_root`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn is_root() -> bool {
    // The owner of a file we just created is our effective uid.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("probe");
    fs::write(&f, "").unwrap();
    use std::os::unix::fs::MetadataExt;
    fs::metadata(&f).unwrap().uid() == 0
}

/// A copy of the fixture with its modes applied.
pub fn prepare(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(name), dir.path());
    apply_modes(dir.path());
    dir
}

pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
            fs::set_permissions(&dst, fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

pub fn apply_modes(root: &Path) {
    let Ok(text) = fs::read_to_string(root.join("modes.txt")) else {
        return;
    };
    let root_user = is_root();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let path = root.join(parts[0]);
        let mode = u32::from_str_radix(parts[1], 8).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if root_user {
            let id = |s: &str| (s != "-").then(|| s.parse::<u32>().unwrap());
            std::os::unix::fs::chown(&path, id(parts[2]), id(parts[3])).unwrap();
        }
    }
}
