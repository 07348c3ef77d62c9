//! Catalogs a [`FileSource`] in one pass: the file list is walked once, each path is routed to
//! the cataloger that wants it ([`crate::route`]), and only those files are opened.

use crate::collect::{Collector, LayerRef};
use crate::package::{OsRelease, Package, Warning};
use crate::route::{self, Want};
use crate::source::FileSource;

/// Everything found in one source.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The OS, if an os-release file was found.
    pub os: Option<OsRelease>,
    /// Packages: dpkg, apk and rpm first (in database order), then the language packages
    /// (Python, npm, Java, Go) sorted by the file they were read from.
    pub packages: Vec<Package>,
    /// Input that was skipped, with file and line.
    pub warnings: Vec<Warning>,
    /// Language packages not reported because an OS package owns the file they were read
    /// from (a Debian `python3-six`'s `METADATA`, an rpm's jar or Go binary).
    pub skipped_os_owned: usize,
    /// Problems met reading an image (empty for a [`FileSource`]).
    pub image_diagnostics: Vec<palisade_image::Diagnostic>,
}

/// Catalogs every package in `src`.
pub fn catalog(src: &dyn FileSource) -> Catalog {
    let mut col = Collector::default();
    let none = LayerRef::default();
    for file in src.entries() {
        let path = file.path;
        let Some(want) = route::route(&path, file.mode, file.size) else {
            continue;
        };
        if want == Want::RpmDb {
            // SQLite reads the database in place, with no copy, unless a WAL holds changes
            // not yet in it (then both are copied and SQLite applies the log to the copy).
            let wal = format!("{path}{}", crate::rpm::WAL_SUFFIX);
            let wal_empty = src
                .local_path(&wal)
                .is_none_or(|w| std::fs::metadata(w).is_ok_and(|m| m.len() == 0));
            if let (Some(local), true) = (src.local_path(&path), wal_empty) {
                col.add_rpm_file(&path, &local, none);
                continue;
            }
        }
        match src.open(&path) {
            Ok(mut reader) => col.add(&path, want, &mut reader, none),
            Err(e) => col.warn(&path, format!("not read: {e}")),
        }
    }
    col.finish()
}
