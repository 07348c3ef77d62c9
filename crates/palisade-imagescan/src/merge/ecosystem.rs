//! One vocabulary for ecosystems (purl types), package names and vulnerability ids across
//! scanners, so that the same package and the same vulnerability compare equal.

use super::purl::Purl;

/// Ecosystem (as a purl type) of a Trivy result `Type` (the analyzer names of
/// `pkg/fanal/types/const.go`: OS families and language package types).
pub fn from_trivy_type(ty: &str) -> &'static str {
    match ty.to_ascii_lowercase().as_str() {
        "debian" | "ubuntu" => "deb",
        "alpine" | "wolfi" | "chainguard" | "minimos" => "apk",
        "redhat"
        | "centos"
        | "rocky"
        | "alma"
        | "amazon"
        | "fedora"
        | "oracle"
        | "suse"
        | "opensuse"
        | "opensuse.leap"
        | "opensuse.tumbleweed"
        | "sles"
        | "photon"
        | "cbl-mariner"
        | "azurelinux"
        | "echo" => "rpm",
        "python-pkg" | "pip" | "pipenv" | "poetry" | "uv" => "pypi",
        "gomod" | "gobinary" => "golang",
        "jar" | "pom" | "gradle" | "sbt" => "maven",
        "npm" | "node-pkg" | "yarn" | "pnpm" | "bun" => "npm",
        "gemspec" | "bundler" => "gem",
        "cargo" | "rustbinary" => "cargo",
        "nuget" | "dotnet-core" | "packages-props" => "nuget",
        "composer" | "composer-vendor" => "composer",
        "conan" => "conan",
        "cocoapods" => "cocoapods",
        "swift" => "swift",
        "pub" => "pub",
        "hex" => "hex",
        "conda-pkg" | "conda-environment" => "conda",
        "julia" => "julia",
        _ => "unknown",
    }
}

/// Ecosystem of a Grype artifact `type` (Syft's package types, `syft/pkg/type.go`).
pub fn from_grype_type(ty: &str) -> &'static str {
    match ty {
        "deb" => "deb",
        "apk" => "apk",
        "rpm" => "rpm",
        "python" => "pypi",
        "go-module" => "golang",
        "java-archive" | "jenkins-plugin" | "graalvm-native-image" => "maven",
        "npm" => "npm",
        "gem" => "gem",
        "rust-crate" => "cargo",
        "dotnet" => "nuget",
        "php-composer" | "php-pecl" | "php-pear" => "composer",
        "conan" => "conan",
        "cocoapods" => "cocoapods",
        "swift" => "swift",
        "dart-pub" => "pub",
        "hex" => "hex",
        "alpm" => "alpm",
        "portage" => "ebuild",
        "github-action" | "github-action-workflow" => "github",
        _ => "unknown",
    }
}

/// PEP 503 normalisation: lower-case, runs of `-`, `_`, `.` become one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
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

/// The name two scanners' findings are compared by: from the purl when there is one (so
/// Maven `group:artifact` and Go module paths come out whole), else the scanner's name,
/// normalised for the ecosystem (PEP 503 for PyPI; lower-case for npm and OS packages).
pub fn key_name(ecosystem: &str, name: &str, purl: Option<&Purl>) -> String {
    if let Some(p) = purl {
        return p.full_name();
    }
    let name = name.trim();
    match ecosystem {
        "pypi" => pep503(name),
        "npm" | "deb" | "apk" => name.to_lowercase(),
        _ => name.to_string(),
    }
}

/// The version two findings are compared by: trimmed; Go versions without their `v`/`go`
/// prefix (Grype spells the toolchain `go1.21.0`, Trivy `v1.21.0`); a Debian `0:` epoch
/// dropped (it is the default).
pub fn key_version(ecosystem: &str, version: &str) -> String {
    let v = version.trim();
    match ecosystem {
        "golang" => v
            .strip_prefix("go")
            .or_else(|| v.strip_prefix('v'))
            .unwrap_or(v)
            .to_string(),
        "deb" | "rpm" => v.strip_prefix("0:").unwrap_or(v).to_string(),
        _ => v.to_string(),
    }
}

/// How an id takes part in alias grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IdKind {
    /// `CVE-…`: at most one per group.
    Cve,
    /// `GHSA-…`.
    Ghsa,
    /// `PYSEC-…`.
    Pysec,
    /// `GO-…`.
    Go,
    /// Other one-vulnerability ids (OSV-style `ALPINE-CVE-…`, `RUSTSEC-…`, `GSD-…`, …).
    Other,
    /// Distribution advisories that bundle several vulnerabilities (`DSA-`, `DLA-`, `USN-`,
    /// `RHSA-`, `ALAS…`, `SUSE-SU-`, …): kept as aliases but never used to join groups, or
    /// every CVE one advisory fixes would collapse into one row.
    Advisory,
}

/// Classifies an id by its prefix.
pub fn id_kind(id: &str) -> IdKind {
    let up = id.to_ascii_uppercase();
    if up.starts_with("CVE-") {
        IdKind::Cve
    } else if up.starts_with("GHSA-") {
        IdKind::Ghsa
    } else if up.starts_with("PYSEC-") {
        IdKind::Pysec
    } else if up.starts_with("GO-") {
        IdKind::Go
    } else if [
        "DSA-",
        "DLA-",
        "DTSA-",
        "USN-",
        "RHSA-",
        "RHBA-",
        "RHEA-",
        "ALAS",
        "ALSA-",
        "ELSA-",
        "RLSA-",
        "SUSE-SU-",
        "OPENSUSE-SU-",
        "PHSA-",
        "MGASA-",
        "FEDORA-",
    ]
    .iter()
    .any(|p| up.starts_with(p))
    {
        IdKind::Advisory
    } else {
        IdKind::Other
    }
}

/// The one spelling of an id used for comparison and display: trimmed; `CVE-`/`GHSA-`/…
/// prefixes upper-case; GHSA's body lower-case, as the GitHub advisory database writes it.
pub fn canonical_id(id: &str) -> String {
    let id = id.trim();
    match id_kind(id) {
        IdKind::Ghsa => format!("GHSA-{}", id[5..].to_ascii_lowercase()),
        IdKind::Cve | IdKind::Pysec | IdKind::Go => id.to_ascii_uppercase(),
        _ => id.to_string(),
    }
}

/// Whether a string looks like a vulnerability id at all (not a URL or free text), so that
/// reference lists do not pull in links as aliases.
pub fn looks_like_id(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 128
        && !s.contains("://")
        && !s.contains(char::is_whitespace)
        && s.contains('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_classify_and_canonicalise() {
        assert_eq!(id_kind("cve-2024-1"), IdKind::Cve);
        assert_eq!(id_kind("DSA-5000-1"), IdKind::Advisory);
        assert_eq!(id_kind("ALPINE-CVE-2024-1"), IdKind::Other);
        assert_eq!(canonical_id(" cve-2024-1 "), "CVE-2024-1");
        assert_eq!(canonical_id("ghsa-ABCD-efgh-1234"), "GHSA-abcd-efgh-1234");
        assert!(!looks_like_id("https://nvd.example/CVE-1"));
    }

    #[test]
    fn versions_and_names_normalise() {
        assert_eq!(key_version("golang", "go1.21.0"), "1.21.0");
        assert_eq!(key_version("golang", "v1.21.0"), "1.21.0");
        assert_eq!(key_version("deb", "0:1.2-3"), "1.2-3");
        assert_eq!(key_name("pypi", "Flask_Login", None), "flask-login");
        assert_eq!(from_trivy_type("debian"), "deb");
        assert_eq!(from_grype_type("go-module"), "golang");
    }
}
