//! Package URLs, following the purl specification (package-url/purl-spec,
//! `docs/standard/specification.md` and `PURL-TYPES`): percent-encoding with the allowed set
//! "alphanumerics and `.-_~`", `:` never encoded, qualifiers sorted by key, empty values dropped.

use crate::package::OsRelease;

/// Percent-encodes one purl component (name, version, namespace segment or qualifier value).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds `pkg:TYPE/NAMESPACE/NAME@VERSION?k=v&…`; qualifiers with empty values are left out
/// and the rest are sorted by key, as the canonical form requires.
pub fn build(
    ty: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, Option<&str>)],
) -> String {
    let mut out = format!("pkg:{ty}/");
    // Namespace segments are encoded one by one: `/` separates them (`pkg:golang/a.io/b/c`).
    if let Some(ns) = namespace.filter(|ns| !ns.is_empty()) {
        for seg in ns.split('/').filter(|s| !s.is_empty()) {
            out.push_str(&encode(seg));
            out.push('/');
        }
    }
    out.push_str(&encode(name));
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(version));
    }
    let mut qs: Vec<(&str, &str)> = qualifiers
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    qs.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (k, v)) in qs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// The `distro` qualifier: `ID-VERSION_ID` (`debian-12`, `alpine-3.20.3`), or the codename or
/// bare ID when there is no version (Debian testing/sid has no `VERSION_ID`).
pub fn distro_qualifier(os: Option<&OsRelease>) -> Option<String> {
    let os = os?;
    if os.id.is_empty() {
        return None;
    }
    match (&os.version_id, &os.codename) {
        (Some(v), _) => Some(format!("{}-{}", os.id, v)),
        (None, Some(c)) => Some(format!("{}-{}", os.id, c)),
        (None, None) => Some(os.id.clone()),
    }
}

/// PEP 503 name normalization (lowercase, runs of `-_.` become one `-`), so that `Foo_Bar`,
/// `foo.bar` and `foo-bar` get one purl; vulnerability data for Python is keyed by this form.
pub fn normalize_python_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_encodes_plus_keeps_colon_and_sorts_qualifiers() {
        let p = build(
            "deb",
            Some("debian"),
            "bash",
            "1:5.2.15-2+b13",
            &[
                ("distro", Some("debian-12")),
                ("arch", Some("amd64")),
                ("upstream", None),
            ],
        );
        assert_eq!(
            p,
            "pkg:deb/debian/bash@1:5.2.15-2%2Bb13?arch=amd64&distro=debian-12"
        );
    }

    #[test]
    fn python_names_normalize_per_pep_503() {
        assert_eq!(normalize_python_name("Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize_python_name("PyYAML"), "pyyaml");
    }
}
