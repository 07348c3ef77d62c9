//! Package catalogers for container images and root filesystems: the OS (`os-release`), dpkg,
//! apk and rpm databases, Python, npm, Java and Go packages, each with a purl and licenses,
//! found in one pass over a [`FileSource`] ([`catalog`]) or over an image's final filesystem
//! ([`catalog_image`], streamed layer by layer). Language packages whose files an OS package
//! manager owns are not reported a second time.
//!
//! Every [`Package`] has a purl, its licenses, the file it was read from and, in an image, the
//! layer that added that file. [`Catalog`] also holds the OS and the warnings about skipped
//! input.
//!
//! ```
//! use palisade_sbom::{catalog, MemSource, PackageKind};
//!
//! let src = MemSource::new()
//!     .with("etc/os-release", "ID=debian\nVERSION_ID=12\n")
//!     .with(
//!         "var/lib/dpkg/status",
//!         "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b7\nArchitecture: amd64\n",
//!     )
//!     .with("app/node_modules/lodash/package.json", r#"{"name":"lodash","version":"4.17.21"}"#);
//! let cat = catalog(&src);
//! assert_eq!(cat.packages[0].purl, "pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12");
//! assert_eq!(cat.packages[1].kind, PackageKind::Npm);
//! assert_eq!(cat.packages[1].purl, "pkg:npm/lodash@4.17.21");
//! ```

pub mod apk;
pub mod catalog;
mod collect;
pub mod dpkg;
pub mod format;
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
