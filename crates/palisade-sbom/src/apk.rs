//! The Alpine package database `lib/apk/db/installed`: one block per package, blocks separated
//! by a blank line, each line `X:value` with a one-letter key (apk-tools `apk_db_index_read`:
//! `P` name, `V` version, `A` arch, `o` origin, `L` license, `F` directory, `R` file in the last
//! `F`). Files recorded by `F`/`R` are the ones apk owns.

use crate::package::{OsRelease, Package, PackageKind, Warning};
use crate::purl;

/// The installed-package database.
pub const INSTALLED_PATH: &str = "lib/apk/db/installed";

/// Parses the database. Returns the packages and the files they own (relative paths).
pub fn parse_installed(
    path: &str,
    text: &str,
    os: Option<&OsRelease>,
    warnings: &mut Vec<Warning>,
) -> (Vec<Package>, Vec<String>) {
    let distro = purl::distro_qualifier(os);
    let mut pkgs = Vec::new();
    let mut owned = Vec::new();
    let mut block = Block::default();
    for (idx, raw) in text.lines().enumerate() {
        let lineno = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            block.finish(path, distro.as_deref(), &mut pkgs, &mut owned, warnings);
            continue;
        }
        if block.start == 0 {
            block.start = lineno;
        }
        if block.error.is_some() {
            continue;
        }
        let bytes = line.as_bytes();
        if bytes.len() < 2 || bytes[1] != b':' {
            block.error = Some(lineno);
            continue;
        }
        let value = &line[2..];
        match bytes[0] {
            b'P' => block.name = Some(value.to_string()),
            b'V' => block.version = Some(value.to_string()),
            b'A' => block.arch = Some(value.to_string()),
            b'o' => block.origin = Some(value.to_string()),
            b'L' => block.license = Some(value.to_string()),
            b'F' => block.dir = value.trim_matches('/').to_string(),
            b'R' => block.files.push(if block.dir.is_empty() {
                value.to_string()
            } else {
                format!("{}/{}", block.dir, value)
            }),
            _ => {}
        }
    }
    block.finish(path, distro.as_deref(), &mut pkgs, &mut owned, warnings);
    (pkgs, owned)
}

#[derive(Default)]
struct Block {
    start: usize,
    error: Option<usize>,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    origin: Option<String>,
    license: Option<String>,
    dir: String,
    files: Vec<String>,
}

impl Block {
    fn finish(
        &mut self,
        path: &str,
        distro: Option<&str>,
        pkgs: &mut Vec<Package>,
        owned: &mut Vec<String>,
        warnings: &mut Vec<Warning>,
    ) {
        let b = std::mem::take(self);
        if b.start == 0 {
            return;
        }
        if let Some(line) = b.error {
            warnings.push(Warning::new(
                path,
                Some(line),
                "package skipped: line is not `X:value`",
            ));
            return;
        }
        let (Some(name), Some(version)) = (b.name, b.version) else {
            warnings.push(Warning::new(
                path,
                Some(b.start),
                "package skipped: no P or V line",
            ));
            return;
        };
        if name.is_empty() || version.is_empty() {
            warnings.push(Warning::new(
                path,
                Some(b.start),
                "package skipped: empty P or V",
            ));
            return;
        }
        let purl = purl::build(
            "apk",
            Some("alpine"),
            &name.to_ascii_lowercase(),
            &version,
            &[("arch", b.arch.as_deref()), ("distro", distro)],
        );
        owned.extend(b.files);
        pkgs.push(Package {
            kind: PackageKind::Apk,
            source_name: Some(b.origin.unwrap_or_else(|| name.clone())),
            name,
            version,
            arch: b.arch,
            source_version: None,
            licenses: b.license.filter(|l| !l.is_empty()).into_iter().collect(),
            purl,
            found_in: path.to_string(),
            layer_digest: None,
            layer_created_by: None,
            file_sha256: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: &str = "\
C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
L:MIT
o:musl
F:lib
R:ld-musl-x86_64.so.1

P:py3-six
V:1.16.0-r9
A:noarch
L:MIT
o:py-six
F:usr/lib/python3.12/site-packages/six-1.16.0.dist-info
R:METADATA

garbage
P:bad

P:noversion
";

    #[test]
    fn installed_db_packages_origins_and_owned_files() {
        let os = OsRelease {
            id: "alpine".into(),
            version_id: Some("3.20.3".into()),
            ..OsRelease::default()
        };
        let mut w = Vec::new();
        let (pkgs, owned) = parse_installed(INSTALLED_PATH, DB, Some(&os), &mut w);
        assert_eq!(pkgs.len(), 2);
        assert_eq!(
            pkgs[0].purl,
            "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3"
        );
        assert_eq!(pkgs[1].source_name.as_deref(), Some("py-six"));
        assert_eq!(pkgs[1].licenses, vec!["MIT"]);
        assert!(owned.contains(&"lib/ld-musl-x86_64.so.1".to_string()));
        assert!(owned.contains(
            &"usr/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA".to_string()
        ));
        let lines: Vec<Option<usize>> = w.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![Some(18), Some(21)], "{w:?}");
    }
}
