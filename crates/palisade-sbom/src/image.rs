//! Catalogs an image's final filesystem without unpacking it: [`Image::for_each_file`] computes
//! the final view (pass one, headers only) and then streams the surviving entries (pass two);
//! each entry is routed by its path and mode, and only wanted files are read: small metadata
//! whole (capped), Go binaries through a bounded sniffer, Java archives up to a cap (zip needs
//! to seek), the rpm database into a temporary file. Memory stays bounded for any image: the
//! final view, one file at a time, and the parsed packages.
//!
//! Every package records the layer that added the file it was read from.

use palisade_image::{EntryKind, Image, Limits};

use crate::catalog::Catalog;
use crate::collect::{Collector, LayerRef};
use crate::route;

/// Catalogs every package in `image`; problems reading the image are in
/// [`Catalog::image_diagnostics`], problems with package data in [`Catalog::warnings`].
pub fn catalog_image(image: &Image, limits: &Limits) -> Catalog {
    let mut col = Collector::default();
    let report = image.for_each_file(limits, |entry, reader| {
        // A hard link is visited with no content: the content is read at its target, which
        // is itself an entry of the final filesystem.
        if entry.kind != EntryKind::File {
            return;
        }
        let Some(want) = route::route(entry.path, Some(entry.mode), Some(entry.size)) else {
            return;
        };
        let layer = LayerRef {
            digest: Some(entry.layer.digest.as_str()),
            created_by: entry.layer.created_by.as_deref(),
        };
        col.add(entry.path, want, reader, layer);
    });
    let mut cat = col.finish();
    cat.image_diagnostics = report.diagnostics;
    cat
}
