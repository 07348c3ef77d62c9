//! The rpm database of the current RHEL/Fedora family: SQLite (`rpmdb.sqlite`, rpm ≥ 4.16),
//! one row per installed package in table `Packages (hnum, blob)`, the blob an rpm header
//! ([`header`]). SQLite needs a file: a rootfs directory's database is opened in place,
//! read-only and `immutable` (no lock or journal files written), an image's is copied to a
//! temporary file first.

pub mod header;

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::package::{OsRelease, Package, PackageKind, Warning};
use crate::purl;
pub use header::Header;

/// Where rpm keeps the sqlite database (`%_dbpath`): `/usr/lib/sysimage/rpm` since Fedora 36,
/// `/var/lib/rpm` before (and as a symlink after).
pub const DB_PATHS: [&str; 2] = [
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
    "var/lib/rpm/rpmdb.sqlite",
];

/// The write-ahead log beside a database (SQLite's `-wal` file).
pub const WAL_SUFFIX: &str = "-wal";

/// Whether `path` is the write-ahead log of a database in [`DB_PATHS`].
pub fn is_wal(path: &str) -> bool {
    path.strip_suffix(WAL_SUFFIX)
        .is_some_and(|db| DB_PATHS.contains(&db))
}

/// Largest database read (a full Fedora workstation's is ~100 MB).
pub const MAX_DB_BYTES: u64 = 1 << 30;

/// Percent-encodes the characters that end or escape a path in an SQLite URI.
fn uri(file: &Path, immutable: bool) -> String {
    let mut out = String::from("file:");
    for c in file.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    if immutable {
        out.push_str("?immutable=1");
    }
    out
}

/// Reads every package header of the database in `file` (named `path` in the source);
/// rows that are no valid header become warnings. `in_place` opens a database in a source
/// directory read-only and immutable (nothing written beside it; its WAL must be empty); a
/// private copy is opened read-write so SQLite can apply a WAL staged beside it.
pub fn read_db(
    path: &str,
    file: &Path,
    in_place: bool,
    warnings: &mut Vec<Warning>,
) -> Vec<Header> {
    let mut out = Vec::new();
    let access = if in_place {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    };
    let flags = access | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let result = (|| -> rusqlite::Result<()> {
        let conn = Connection::open_with_flags(uri(file, in_place), flags)?;
        let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let hnum: i64 = row.get(0).unwrap_or(-1);
            let blob = match row.get_ref(1)? {
                rusqlite::types::ValueRef::Blob(b) => b,
                _ => {
                    warnings.push(Warning::new(
                        path,
                        None,
                        format!("Packages row {hnum}: not a blob"),
                    ));
                    continue;
                }
            };
            match header::parse(blob) {
                // rpm's pseudo-packages for imported signing keys install nothing.
                Ok(h) if h.name == "gpg-pubkey" => {}
                Ok(h) => out.push(h),
                Err(e) => warnings.push(Warning::new(
                    path,
                    None,
                    format!("Packages row {hnum} skipped: {e}"),
                )),
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        warnings.push(Warning::new(
            path,
            None,
            format!("not an rpm sqlite database: {e}"),
        ));
    }
    out
}

/// `[EPOCH:]VERSION-RELEASE`, as `rpm -q --qf '%{EVR}'` prints it.
pub fn evr(h: &Header) -> String {
    match h.epoch {
        Some(e) => format!("{e}:{}-{}", h.version, h.release),
        None => format!("{}-{}", h.version, h.release),
    }
}

/// Splits `name-version-release.src.rpm` into the source name and `version-release`.
pub fn parse_source_rpm(s: &str) -> Option<(String, String)> {
    let stem = s
        .strip_suffix(".src.rpm")
        .or_else(|| s.strip_suffix(".nosrc.rpm"))?;
    let mut parts = stem.rsplitn(3, '-');
    let release = parts.next()?;
    let version = parts.next()?;
    let name = parts.next().filter(|n| !n.is_empty())?;
    Some((name.to_string(), format!("{version}-{release}")))
}

/// The package for one header: purl `pkg:rpm/ID/NAME@VERSION-RELEASE?arch=&distro=&epoch=`.
pub fn to_package(h: &Header, path: &str, os: Option<&OsRelease>) -> Package {
    let version = evr(h);
    let distro = purl::distro_qualifier(os);
    let epoch = h.epoch.map(|e| e.to_string());
    let purl = purl::build(
        "rpm",
        os.map(|o| o.id.as_str()),
        &h.name,
        &format!("{}-{}", h.version, h.release),
        &[
            ("arch", h.arch.as_deref()),
            ("distro", distro.as_deref()),
            ("epoch", epoch.as_deref()),
        ],
    );
    let mut p = Package::new(PackageKind::Rpm, &h.name, &version, purl, path);
    p.arch = h.arch.clone().filter(|a| !a.is_empty());
    if let Some((name, src_version)) = h.source_rpm.as_deref().and_then(parse_source_rpm) {
        // The source rpm's file name has no epoch; the binary's applies to it.
        let src_version = match h.epoch {
            Some(e) => format!("{e}:{src_version}"),
            None => src_version,
        };
        p.source_version = (src_version != version).then_some(src_version);
        p.source_name = Some(name);
    }
    p.licenses = h
        .license
        .iter()
        .filter(|l| !l.is_empty())
        .cloned()
        .collect();
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        assert_eq!(
            parse_source_rpm("glibc-2.39-17.fc40.src.rpm"),
            Some(("glibc".into(), "2.39-17.fc40".into()))
        );
        assert_eq!(
            parse_source_rpm("python-six-1.16.0-14.fc40.src.rpm"),
            Some(("python-six".into(), "1.16.0-14.fc40".into()))
        );
        assert_eq!(parse_source_rpm("x.src.rpm"), None);
    }

    #[test]
    fn not_a_database_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("rpmdb.sqlite");
        std::fs::write(&f, b"not sqlite at all, just text").unwrap();
        let mut w = Vec::new();
        assert!(read_db("var/lib/rpm/rpmdb.sqlite", &f, true, &mut w).is_empty());
        assert_eq!(w.len(), 1);
    }
}
