//! Java archives (JAR, WAR, EAR): Maven coordinates from every
//! `META-INF/maven/GROUP/ARTIFACT/pom.properties` (shaded jars hold several), else from the
//! main section of `META-INF/MANIFEST.MF` (`Implementation-Title`/`-Version`,
//! `Bundle-SymbolicName`/`Bundle-Version`); archives nested in archives (`WEB-INF/lib`,
//! `BOOT-INF/lib`, `lib/`) are read too, bounded in depth and size. A zip needs to seek, so an
//! archive is held in memory, up to [`MAX_ARCHIVE_BYTES`].

use std::io::{Cursor, Read};

use crate::package::{Package, PackageKind, Warning};
use crate::purl;

/// Largest archive read (outer file).
pub const MAX_ARCHIVE_BYTES: u64 = 256 << 20;
/// Largest nested archive read, uncompressed.
const MAX_NESTED_BYTES: u64 = 64 << 20;
/// Largest `pom.properties` or manifest read.
const MAX_META_BYTES: u64 = 1 << 20;
/// Archives inside archives inside … at most this deep.
const MAX_DEPTH: usize = 3;
/// Zip entries looked at per archive.
const MAX_ENTRIES: usize = 100_000;

/// Whether `path` names a Java archive.
pub fn is_archive(path: &str) -> bool {
    let lower = |ext: &str| {
        path.len() > ext.len()
            && path.is_char_boundary(path.len() - ext.len())
            && path[path.len() - ext.len()..].eq_ignore_ascii_case(ext)
    };
    lower(".jar") || lower(".war") || lower(".ear")
}

/// Key/value pairs of a `.properties` file (`k=v`, `k: v`, `#`/`!` comments; the simple
/// forms Maven writes).
pub fn parse_properties(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(sep) = line.find(['=', ':']) else {
            continue;
        };
        out.push((
            line[..sep].trim().to_string(),
            line[sep + 1..].trim().to_string(),
        ));
    }
    out
}

/// The main section of a manifest (up to the first blank line), continuation lines (starting
/// with one space) joined.
pub fn parse_manifest(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(last) = out.last_mut() {
                last.1.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

fn get<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn maven(group: Option<&str>, artifact: &str, version: &str, found_in: &str) -> Package {
    let purl = purl::build("maven", group, artifact, version, &[]);
    let name = match group {
        Some(g) => format!("{g}:{artifact}"),
        None => artifact.to_string(),
    };
    let mut p = Package::new(PackageKind::Java, &name, version, purl, found_in);
    p.source_name = group.map(str::to_string);
    p
}

/// Every package of the archive `bytes` read from `path`.
pub fn catalog_archive(path: &str, bytes: Vec<u8>, warnings: &mut Vec<Warning>) -> Vec<Package> {
    let mut out = Vec::new();
    archive(path, bytes, 0, &mut out, warnings);
    out
}

fn read_entry(entry: &mut dyn Read, cap: u64) -> Option<Vec<u8>> {
    crate::collect::read_capped(entry, cap).ok()
}

fn archive(path: &str, bytes: Vec<u8>, depth: usize, out: &mut Vec<Package>, w: &mut Vec<Warning>) {
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => {
            w.push(Warning::new(
                path,
                None,
                format!("not a readable zip archive: {e}"),
            ));
            return;
        }
    };
    let names: Vec<String> = zip
        .file_names()
        .take(MAX_ENTRIES)
        .map(str::to_string)
        .collect();
    let mut poms = Vec::new();
    let mut manifest = None;
    let mut nested = Vec::new();
    for name in &names {
        if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
            poms.push(name.clone());
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest = Some(name.clone());
        } else if is_archive(name) {
            nested.push(name.clone());
        }
    }
    poms.sort();
    let text_of = |name: &str, zip: &mut zip::ZipArchive<Cursor<Vec<u8>>>| {
        let mut f = zip.by_name(name).ok()?;
        read_entry(&mut f, MAX_META_BYTES).map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let manifest = manifest
        .and_then(|m| text_of(&m, &mut zip))
        .map(|t| parse_manifest(&t))
        .unwrap_or_default();
    let bundle_license = get(&manifest, "Bundle-License").map(str::to_string);
    let before = out.len();
    for pom in &poms {
        let Some(text) = text_of(pom, &mut zip) else {
            w.push(Warning::new(path, None, format!("{pom}: not read")));
            continue;
        };
        let kv = parse_properties(&text);
        match (
            get(&kv, "groupId"),
            get(&kv, "artifactId"),
            get(&kv, "version"),
        ) {
            (group, Some(artifact), Some(version)) => {
                out.push(maven(group, artifact, version, path));
            }
            _ => w.push(Warning::new(
                path,
                None,
                format!("{pom}: no artifactId or version"),
            )),
        }
    }
    if out.len() == before {
        if let Some(p) = from_manifest(&manifest, path) {
            out.push(p);
        }
    }
    // A single artifact is the archive itself: the manifest's license is its license.
    if out.len() == before + 1 {
        if let Some(l) = bundle_license {
            out[before].licenses.push(l);
        }
    }
    if depth >= MAX_DEPTH {
        return;
    }
    nested.sort();
    for name in nested {
        let Ok(mut f) = zip.by_name(&name) else {
            continue;
        };
        let inner = format!("{path}!{name}");
        if f.size() > MAX_NESTED_BYTES {
            w.push(Warning::new(
                &inner,
                None,
                format!("nested archive over {MAX_NESTED_BYTES} bytes; skipped"),
            ));
            continue;
        }
        match read_entry(&mut f, MAX_NESTED_BYTES) {
            Some(b) => {
                drop(f);
                archive(&inner, b, depth + 1, out, w);
            }
            None => w.push(Warning::new(&inner, None, "nested archive not read")),
        }
    }
}

/// Coordinates from the manifest alone: the title (or bundle name) and version; the group
/// from `Implementation-Vendor-Id`, else the bundle name's prefix.
fn from_manifest(m: &[(String, String)], path: &str) -> Option<Package> {
    let bundle = get(m, "Bundle-SymbolicName").map(|b| b.split(';').next().unwrap_or(b).trim());
    let version = get(m, "Implementation-Version").or_else(|| get(m, "Bundle-Version"))?;
    let title = get(m, "Implementation-Title");
    let group = get(m, "Implementation-Vendor-Id")
        .or_else(|| bundle.and_then(|b| b.rsplit_once('.')).map(|(g, _)| g));
    let artifact = match (title, bundle) {
        (_, Some(b)) if b.contains('.') => b.rsplit_once('.').map_or(b, |(_, a)| a),
        (Some(t), _) => t,
        (None, Some(b)) => b,
        (None, None) => return None,
    };
    Some(maven(group, artifact, version, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_and_manifest_forms() {
        let kv = parse_properties("#Generated\n!x\ngroupId=org.a\nartifactId : b\nversion=1.0\n");
        assert_eq!(get(&kv, "artifactId"), Some("b"));
        let m = parse_manifest(
            "Manifest-Version: 1.0\r\nImplementation-Title: very-long-na\r\n me\r\n\r\nName: x\r\nImplementation-Version: 9\r\n",
        );
        assert_eq!(get(&m, "Implementation-Title"), Some("very-long-name"));
        assert_eq!(get(&m, "Implementation-Version"), None);
        assert!(is_archive("a/B.JAR") && is_archive("x.war") && !is_archive("jar"));
    }

    #[test]
    fn garbage_is_a_warning() {
        let mut w = Vec::new();
        assert!(catalog_archive("x.jar", b"PK\x03\x04junk".to_vec(), &mut w).is_empty());
        assert_eq!(w.len(), 1);
    }
}
