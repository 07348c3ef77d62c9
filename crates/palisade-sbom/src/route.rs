//! Which cataloger wants a file, decided from its path alone (plus its execute bits for
//! binaries), so that a source is read in one pass and only the wanted files are opened.

use crate::{apk, dpkg, golang, java, npm, os, python, rpm};

/// What a cataloger wants of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// `etc/os-release` or `usr/lib/os-release`.
    OsRelease,
    /// `var/lib/dpkg/status`.
    DpkgStatus,
    /// A distroless `var/lib/dpkg/status.d/NAME`.
    DpkgStatusD,
    /// A `var/lib/dpkg/info/*.list` file list.
    DpkgList,
    /// A distroless `var/lib/dpkg/status.d/NAME.md5sums` (names the package's files).
    DpkgMd5sums,
    /// `usr/share/doc/NAME/copyright`.
    Copyright,
    /// `lib/apk/db/installed`.
    ApkInstalled,
    /// An rpm sqlite database.
    RpmDb,
    /// The write-ahead log beside an rpm sqlite database.
    RpmWal,
    /// Python core metadata.
    Python,
    /// `node_modules/[@scope/]NAME/package.json`.
    NpmPackage,
    /// `package-lock.json`, `npm-shrinkwrap.json` or `node_modules/.package-lock.json`.
    NpmLock,
    /// A Java archive (`.jar`, `.war`, `.ear`).
    JavaArchive,
    /// A file with an execute bit that might be a Go binary (sniffed, not read whole).
    Executable,
}

impl Want {
    /// The most bytes read of a file read whole; bigger files are skipped with a warning.
    pub fn cap(self) -> u64 {
        match self {
            Want::OsRelease => 64 << 10,
            Want::Copyright | Want::NpmPackage => 4 << 20,
            Want::RpmDb | Want::RpmWal => rpm::MAX_DB_BYTES,
            Want::JavaArchive => java::MAX_ARCHIVE_BYTES,
            Want::Executable => golang::MAX_SCAN_BYTES,
            _ => crate::source::MAX_FILE_BYTES,
        }
    }
}

/// The cataloger that wants `path` by its name, if any.
pub fn by_path(path: &str) -> Option<Want> {
    let w = if os::OS_RELEASE_PATHS.contains(&path) {
        Want::OsRelease
    } else if path == dpkg::STATUS_PATH {
        Want::DpkgStatus
    } else if dpkg::is_status_d(path) {
        Want::DpkgStatusD
    } else if path.starts_with("var/lib/dpkg/status.d/") && path.ends_with(".md5sums") {
        Want::DpkgMd5sums
    } else if dpkg::is_file_list(path) {
        Want::DpkgList
    } else if dpkg::is_copyright(path) {
        Want::Copyright
    } else if path == apk::INSTALLED_PATH {
        Want::ApkInstalled
    } else if rpm::DB_PATHS.contains(&path) {
        Want::RpmDb
    } else if rpm::is_wal(path) {
        Want::RpmWal
    } else if python::is_metadata(path) {
        Want::Python
    } else if npm::is_package_json(path) {
        Want::NpmPackage
    } else if npm::is_lockfile(path) {
        Want::NpmLock
    } else if java::is_archive(path) {
        Want::JavaArchive
    } else {
        return None;
    };
    Some(w)
}

/// The cataloger that wants a file: by name, else a sniff for a Go binary when any execute
/// bit is set and the file is big enough to hold an executable header.
/// An unknown mode or size does not rule a file out.
pub fn route(path: &str, mode: Option<u32>, size: Option<u64>) -> Option<Want> {
    by_path(path).or_else(|| {
        let exec = mode.is_none_or(|m| m & 0o111 != 0);
        let big = size.is_none_or(|s| s >= golang::MIN_BINARY_BYTES);
        (exec && big).then_some(Want::Executable)
    })
}

/// Files a directory walk need not stat to look for binaries: data trees and extensions no
/// executable carries (a Go program named `x.gz` under `usr/share/zoneinfo` is not worth
/// a `stat` of every time zone and man page).
pub fn data_only(path: &str) -> bool {
    const TREES: [&str; 5] = [
        "usr/share/zoneinfo/",
        "usr/share/locale/",
        "usr/share/i18n/",
        "usr/share/man/",
        "usr/share/doc/",
    ];
    const EXTS: [&str; 22] = [
        "gz", "xz", "bz2", "zst", "mo", "txt", "html", "css", "png", "svg", "py", "pyc", "pm",
        "pl", "h", "json", "xml", "conf", "md", "pem", "crt", "list",
    ];
    if TREES.iter().any(|t| path.starts_with(t)) {
        return true;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| EXTS.contains(&ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_path_and_mode() {
        assert_eq!(by_path("var/lib/dpkg/status"), Some(Want::DpkgStatus));
        assert_eq!(
            by_path("usr/share/doc/bash/copyright"),
            Some(Want::Copyright)
        );
        assert_eq!(
            by_path("usr/lib/sysimage/rpm/rpmdb.sqlite"),
            Some(Want::RpmDb)
        );
        assert_eq!(
            by_path("app/node_modules/@types/node/package.json"),
            Some(Want::NpmPackage)
        );
        assert_eq!(by_path("app/package-lock.json"), Some(Want::NpmLock));
        assert_eq!(by_path("opt/app/lib/x.JAR"), Some(Want::JavaArchive));
        assert_eq!(
            route("usr/bin/app", Some(0o755), Some(4096)),
            Some(Want::Executable)
        );
        assert_eq!(route("usr/bin/app", Some(0o644), Some(4096)), None);
        assert_eq!(route("usr/bin/app", Some(0o755), Some(10)), None);
    }
}
