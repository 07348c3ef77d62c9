//! Installed Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and the older
//! single-file `*.egg-info`, all in the core metadata format (RFC 822 headers, then the
//! description after the first blank line).

use crate::package::{Package, PackageKind, Warning};
use crate::purl;
use crate::stanza;

/// Whether `path` is a core-metadata file of an installed distribution.
pub fn is_metadata(path: &str) -> bool {
    path.ends_with(".dist-info/METADATA")
        || path.ends_with(".egg-info/PKG-INFO")
        || (path.ends_with(".egg-info") && !path.ends_with("/.egg-info"))
}

/// A `License` header longer than this is the full license text, not a name.
const MAX_LICENSE_NAME: usize = 100;

/// Parses one metadata file; `None` (with a warning) when the headers are malformed or lack
/// `Name`/`Version`.
pub fn parse_metadata(path: &str, text: &str, warnings: &mut Vec<Warning>) -> Option<Package> {
    let st = stanza::parse(text, true).into_iter().next();
    let Some(st) = st else {
        warnings.push(Warning::new(path, None, "empty metadata"));
        return None;
    };
    if let Some((line, msg)) = &st.error {
        warnings.push(Warning::new(
            path,
            Some(*line),
            format!("metadata skipped: {msg}"),
        ));
        return None;
    }
    let (Some(name), Some(version)) = (st.get("Name"), st.get("Version")) else {
        warnings.push(Warning::new(
            path,
            Some(st.line),
            "metadata skipped: no Name or Version",
        ));
        return None;
    };
    if name.is_empty() || version.is_empty() {
        warnings.push(Warning::new(
            path,
            Some(st.line),
            "metadata skipped: empty Name or Version",
        ));
        return None;
    }
    Some(Package {
        kind: PackageKind::Python,
        name: name.to_string(),
        version: version.to_string(),
        arch: None,
        source_name: None,
        source_version: None,
        licenses: licenses(&st),
        purl: purl::build(
            "pypi",
            None,
            &purl::normalize_python_name(name),
            version,
            &[],
        ),
        found_in: path.to_string(),
        layer_digest: None,
        layer_created_by: None,
        file_sha256: None,
    })
}

/// Core metadata 2.4 `License-Expression` (SPDX) wins; otherwise a short `License` header;
/// otherwise the `License ::` trove classifiers (their last segment).
fn licenses(st: &stanza::Stanza<'_>) -> Vec<String> {
    if let Some(expr) = st.get("License-Expression").filter(|e| !e.is_empty()) {
        return vec![expr.to_string()];
    }
    if let Some(lic) = st.get("License") {
        let lic = lic.trim();
        let unknown = lic.is_empty() || lic.eq_ignore_ascii_case("UNKNOWN");
        if !unknown && !lic.contains('\n') && lic.len() <= MAX_LICENSE_NAME {
            return vec![lic.to_string()];
        }
    }
    let mut out: Vec<String> = Vec::new();
    for c in st.all("Classifier") {
        let mut parts = c.split("::").map(str::trim);
        if parts.next() != Some("License") {
            continue;
        }
        if let Some(last) = parts
            .last()
            .filter(|l| !l.is_empty() && *l != "OSI Approved")
        {
            if !out.iter().any(|o| o == last) {
                out.push(last.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_name_version_and_license_precedence() {
        let text = "Metadata-Version: 2.4\nName: Typing_Extensions\nVersion: 4.12.2\n\
                    License: long text\n that continues\nLicense-Expression: PSF-2.0\n\nBody: no\n";
        let mut w = Vec::new();
        let p = parse_metadata("x.dist-info/METADATA", text, &mut w).unwrap();
        assert_eq!(p.purl, "pkg:pypi/typing-extensions@4.12.2");
        assert_eq!(p.licenses, vec!["PSF-2.0"]);
        let text = "Name: six\nVersion: 1.16.0\nLicense: UNKNOWN\n\
                    Classifier: License :: OSI Approved :: MIT License\n";
        let p = parse_metadata("six.egg-info/PKG-INFO", text, &mut w).unwrap();
        assert_eq!(p.licenses, vec!["MIT License"]);
        assert!(w.is_empty());
    }

    #[test]
    fn malformed_metadata_is_a_warning() {
        let mut w = Vec::new();
        assert!(parse_metadata("a/METADATA", "Name: a\nnot a header\n", &mut w).is_none());
        assert!(parse_metadata("b/METADATA", "Name: b\n", &mut w).is_none());
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].path.as_str(), w[0].line), ("a/METADATA", Some(2)));
    }

    #[test]
    fn metadata_paths() {
        assert!(is_metadata(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"
        ));
        assert!(is_metadata(
            "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO"
        ));
        assert!(is_metadata(
            "usr/lib/python3/dist-packages/six-1.16.0.egg-info"
        ));
        assert!(!is_metadata(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD"
        ));
    }
}
