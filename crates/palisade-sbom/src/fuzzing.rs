//! Entry points for the fuzz targets (not a stable API): each feeds arbitrary bytes to one
//! parser and returns what it found, so a target only has to call it.

use crate::package::{Package, Warning};

/// An rpm header blob.
pub fn rpm_header(data: &[u8]) -> Option<crate::rpm::Header> {
    crate::rpm::header::parse(data).ok()
}

/// A file sniffed as a Go binary (streamed from a slice).
pub fn go_binary(data: &[u8]) -> Vec<Package> {
    let mut w: Vec<Warning> = Vec::new();
    crate::golang::sniff("bin", &mut &data[..], &mut w)
        .map(|s| s.packages)
        .unwrap_or_default()
}

/// An npm lockfile and the same bytes as a `package.json`.
pub fn npm(data: &[u8]) -> Vec<Package> {
    let mut w = Vec::new();
    let mut out = crate::npm::parse_lockfile("package-lock.json", data, &mut w);
    out.extend(crate::npm::parse_package_json(
        "node_modules/x/package.json",
        data,
        &mut w,
    ));
    out
}

/// Java metadata: the bytes as `pom.properties`, as a manifest, and as an archive.
pub fn java(data: &[u8]) -> Vec<Package> {
    let text = String::from_utf8_lossy(data);
    let _ = crate::java::parse_properties(&text);
    let _ = crate::java::parse_manifest(&text);
    let mut w = Vec::new();
    crate::java::catalog_archive("x.jar", data.to_vec(), &mut w)
}
