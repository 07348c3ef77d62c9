//! The dpkg database: `var/lib/dpkg/status` (one paragraph per package) and the distroless
//! layout `var/lib/dpkg/status.d/NAME` (one file per package, usually without `Status`), plus
//! `var/lib/dpkg/info/*.list` (files each package owns) and DEP-5 `copyright` licenses.
//!
//! Semantics mirror dpkg's own reading of the database (lib/dpkg/parse.c, `parsedb`): fields are
//! case-insensitive, `Status` is "want flag state" and only state `installed` is an installed
//! package; `Source: NAME (VERSION)` gives the source version, which dpkg-gencontrol writes
//! whenever it differs from the binary version (binNMUs such as `5.2.15-2+b13`), so when it is
//! absent the source version is the binary version. The source name is the `Source` text up to
//! the first space and the version the text in parentheses, as dpkg-query computes
//! `${source:Package}` and `${source:Version}` (lib/dpkg/pkg-format.c, `virt_source_package`
//! and `virt_source_version`).

use crate::package::{OsRelease, Package, PackageKind, Warning};
use crate::purl;
use crate::stanza;

/// The classic status database.
pub const STATUS_PATH: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d/";
const INFO_DIR: &str = "var/lib/dpkg/info/";
const DOC_DIR: &str = "usr/share/doc/";

/// A distroless per-package status file (`status.d/NAME`; not the `NAME.md5sums` beside it).
pub fn is_status_d(path: &str) -> bool {
    path.strip_prefix(STATUS_D)
        .is_some_and(|name| !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums"))
}

/// A file list in `var/lib/dpkg/info/` (`NAME.list` or `NAME:ARCH.list`).
pub fn is_file_list(path: &str) -> bool {
    path.strip_prefix(INFO_DIR)
        .is_some_and(|name| !name.contains('/') && name.ends_with(".list"))
}

/// Whether `path` is `usr/share/doc/NAME/copyright`.
pub fn is_copyright(path: &str) -> bool {
    copyright_package(path).is_some()
}

/// The package name of `usr/share/doc/NAME/copyright`.
pub fn copyright_package(path: &str) -> Option<&str> {
    let name = path.strip_prefix(DOC_DIR)?.strip_suffix("/copyright")?;
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// The package name (with `:ARCH` when multi-arch) of an `info/NAME.list` file.
pub fn list_package(path: &str) -> Option<&str> {
    path.strip_prefix(INFO_DIR)?.strip_suffix(".list")
}

/// The DEP-5 copyright file of binary package `name`.
pub fn copyright_path(name: &str) -> String {
    format!("{DOC_DIR}{name}/copyright")
}

/// Parses a status file. In `status.d` files a paragraph without `Status` counts as installed
/// (`status_optional`); in the main database it is malformed.
pub fn parse_status(
    path: &str,
    text: &str,
    os: Option<&OsRelease>,
    status_optional: bool,
    warnings: &mut Vec<Warning>,
) -> Vec<Package> {
    let distro = purl::distro_qualifier(os);
    let namespace = os
        .map(|o| o.id.as_str())
        .filter(|id| !id.is_empty())
        .unwrap_or("debian");
    let mut out = Vec::new();
    for st in stanza::parse(text, false) {
        if let Some((line, msg)) = &st.error {
            warnings.push(Warning::new(
                path,
                Some(*line),
                format!("paragraph skipped: {msg}"),
            ));
            continue;
        }
        match st.get("Status") {
            Some(status) => {
                let words: Vec<&str> = status.split_whitespace().collect();
                if words.len() != 3 {
                    warnings.push(Warning::new(
                        path,
                        Some(st.line),
                        format!("paragraph skipped: Status `{status}` is not `want flag state`"),
                    ));
                    continue;
                }
                if words[2] != "installed" {
                    continue;
                }
            }
            None if status_optional => {}
            None => {
                warnings.push(Warning::new(
                    path,
                    Some(st.line),
                    "paragraph skipped: no Status",
                ));
                continue;
            }
        }
        let (Some(name), Some(version)) = (st.get("Package"), st.get("Version")) else {
            warnings.push(Warning::new(
                path,
                Some(st.line),
                "paragraph skipped: installed package without Package or Version",
            ));
            continue;
        };
        if name.is_empty() || version.is_empty() || name.contains(char::is_whitespace) {
            warnings.push(Warning::new(
                path,
                Some(st.line),
                format!("paragraph skipped: bad Package `{name}` or Version `{version}`"),
            ));
            continue;
        }
        let arch = st
            .get("Architecture")
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        let (source_name, source_version) = match st.get("Source") {
            Some(src) => parse_source(src),
            None => (name.to_string(), None),
        };
        let source_version = source_version.filter(|v| v != version);
        let purl = purl::build(
            "deb",
            Some(namespace),
            &name.to_ascii_lowercase(),
            version,
            &[("arch", arch.as_deref()), ("distro", distro.as_deref())],
        );
        out.push(Package {
            kind: PackageKind::Deb,
            name: name.to_string(),
            version: version.to_string(),
            arch,
            source_name: Some(source_name),
            source_version,
            licenses: Vec::new(),
            purl,
            found_in: path.to_string(),
            layer_digest: None,
            layer_created_by: None,
            file_sha256: None,
        });
    }
    out
}

/// Splits `Source: NAME` or `Source: NAME (VERSION)`: the name ends at the first whitespace,
/// the version is what the parentheses enclose.
pub fn parse_source(field: &str) -> (String, Option<String>) {
    let field = field.trim();
    let name = field.split_whitespace().next().unwrap_or_default();
    let name = name.split('(').next().unwrap_or_default();
    let version = field.split_once('(').and_then(|(_, rest)| {
        let v = rest.split(')').next().unwrap_or_default().trim();
        (!v.is_empty()).then(|| v.to_string())
    });
    (name.to_string(), version)
}

/// `License:` short names of a DEP-5 copyright file, deduplicated in order. Files not in DEP-5
/// form (no `Format:` header) yield nothing: guessing from free text is not "cheap".
pub fn copyright_licenses(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let is_dep5 = text
        .lines()
        .next()
        .is_some_and(|l| l.to_ascii_lowercase().starts_with("format:"));
    if !is_dep5 {
        return out;
    }
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if !key.eq_ignore_ascii_case("License") {
            continue;
        }
        let value = value.trim();
        if !value.is_empty() && !out.iter().any(|l| l == value) {
            out.push(value.to_string());
        }
    }
    out
}

/// Paths listed in a `.list` file, made relative (`/usr/bin/x` → `usr/bin/x`).
pub fn list_entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|l| l.trim().trim_start_matches('/'))
        .filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: bash
Status: install ok installed
Priority: required
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b13
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
 .
 It also includes features from the Korn and C shells.

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4

Package: oldpkg
Status: deinstall ok config-files
Architecture: all
Version: 1.0-1

Package: gone
Status: purge ok not-installed
Architecture: amd64

Package: nover
Status: install ok installed

this is not a field
Package: broken
Status: install ok installed
Version: 1

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
";

    fn os() -> OsRelease {
        OsRelease {
            id: "debian".into(),
            version_id: Some("12".into()),
            ..OsRelease::default()
        }
    }

    #[test]
    fn status_keeps_installed_and_reads_source_versions() {
        let mut w = Vec::new();
        let pkgs = parse_status(STATUS_PATH, STATUS, Some(&os()), false, &mut w);
        let names: Vec<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["bash", "libc6", "tzdata"]);
        let bash = &pkgs[0];
        assert_eq!(bash.version, "5.2.15-2+b13");
        assert_eq!(bash.source_name.as_deref(), Some("bash"));
        assert_eq!(bash.source_version.as_deref(), Some("5.2.15-2"));
        assert_eq!(
            bash.purl,
            "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12"
        );
        assert_eq!(pkgs[1].source_name.as_deref(), Some("glibc"));
        assert_eq!(pkgs[1].source_version, None);
        assert_eq!(pkgs[2].arch.as_deref(), Some("all"));
        // `nover` (line 28) and the paragraph with a non-field line (line 31) are warned about.
        let lines: Vec<Option<usize>> = w.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![Some(28), Some(31)], "{w:?}");
        assert!(w.iter().all(|w| w.path == STATUS_PATH));
    }

    #[test]
    fn status_d_paragraphs_need_no_status() {
        let mut w = Vec::new();
        let text = "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n";
        let pkgs = parse_status("var/lib/dpkg/status.d/base", text, None, true, &mut w);
        assert_eq!(pkgs.len(), 1);
        assert!(w.is_empty());
        assert!(parse_status(STATUS_PATH, text, None, false, &mut w).is_empty());
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn source_field_forms() {
        assert_eq!(parse_source("glibc"), ("glibc".into(), None));
        assert_eq!(
            parse_source("bash (5.2.15-2)"),
            ("bash".into(), Some("5.2.15-2".into()))
        );
        assert_eq!(parse_source("x(1.0)"), ("x".into(), Some("1.0".into())));
        assert_eq!(parse_source("y ()"), ("y".into(), None));
    }

    #[test]
    fn path_classifiers() {
        assert!(is_status_d("var/lib/dpkg/status.d/base"));
        assert!(!is_status_d("var/lib/dpkg/status.d/base.md5sums"));
        assert!(!is_status_d("var/lib/dpkg/status.d/x/y"));
        assert!(is_file_list("var/lib/dpkg/info/libc6:amd64.list"));
        assert!(!is_file_list("var/lib/dpkg/info/libc6:amd64.md5sums"));
    }

    #[test]
    fn dep5_licenses_are_deduplicated_and_free_text_is_ignored() {
        let dep5 = "Format: https://example.invalid/dep5\n\nFiles: *\nLicense: GPL-3+\n\n\
                    Files: lib/*\nLicense: GPL-3+\n\nLicense: GPL-3+\n text\n";
        assert_eq!(copyright_licenses(dep5), vec!["GPL-3+"]);
        assert!(copyright_licenses("This package is under the GPL.\nLicense: x\n").is_empty());
    }
}
