//! Package catalogers for container images and root filesystems: the OS (`os-release`), dpkg,
//! apk and rpm databases, Python, npm, Java and Go packages, each with a purl and licenses,
//! found in one pass over a [`FileSource`] ([`catalog`]) or over an image's final filesystem
//! ([`catalog_image`], streamed layer by layer). Language packages whose files an OS package
//! manager owns are not reported a second time.

pub mod apk;
pub mod catalog;
mod collect;
pub mod dpkg;
pub mod golang;
pub mod image;
pub mod java;
pub mod npm;
pub mod os;
pub mod package;
pub mod purl;
pub mod python;
pub mod route;
pub mod rpm;
pub mod source;
mod stanza;

#[doc(hidden)]
pub mod fuzzing;

pub use catalog::{catalog, Catalog};
pub use image::catalog_image;
pub use package::{OsRelease, Package, PackageKind, Warning};
pub use source::{DirSource, FileSource, MemSource, SourceFile, MAX_FILE_BYTES};
