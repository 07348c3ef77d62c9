//! Package catalogers for container images and root filesystems: the OS (`os-release`), dpkg,
//! apk and Python packages, each with a purl and licenses, found in one pass over a
//! [`FileSource`]. Python packages whose files the OS package manager owns are not reported a
//! second time.

pub mod apk;
pub mod catalog;
pub mod dpkg;
pub mod format;
pub mod os;
pub mod package;
pub mod purl;
pub mod python;
pub mod source;
mod stanza;

pub use catalog::{catalog, Catalog};
pub use package::{OsRelease, Package, PackageKind, Warning};
pub use source::{DirSource, FileSource, MemSource, MAX_FILE_BYTES};
