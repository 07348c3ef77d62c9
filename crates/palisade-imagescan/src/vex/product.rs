//! Whether a statement's product or subcomponent names a given image or package.
//!
//! Identifiers are read as one of three kinds:
//! - a purl (`pkg:TYPE/…`, except `oci`/`docker`): the statement's purl must cover the
//!   candidate's (go-vex `PurlMatches`): type, namespace and name equal; a version, when
//!   the statement gives one, equal; qualifiers ignored unless the statement gives them,
//!   then each must be present and equal;
//! - an image: a reference (`registry/path/name:tag@sha256:…`), a bare digest
//!   (`sha256:…`), or an `oci`/`docker` purl (`pkg:oci/name@sha256%3A…?repository_url=…&tag=…`).
//!   A digest on the statement must equal the candidate's; else a tag on the statement must
//!   equal the candidate's; else any version matches. Repositories compare by path (a
//!   leading `library/` dropped); a side without a registry host matches any host; an `oci`
//!   purl without `repository_url` compares by its last path segment only;
//! - anything else (an IRI): exact string equality.
//!
//! A component's `hashes` (`sha-256`) also match a candidate digest.

use crate::merge::purl::Purl;

use super::openvex::Component;

#[derive(Debug, Default, PartialEq, Eq)]
struct ImageRef {
    host: Option<String>,
    /// Repository path without host; `None` when only a digest is known.
    path: Option<String>,
    /// Only the last path segment is known (an `oci` purl without `repository_url`).
    name_only: bool,
    tag: Option<String>,
    digest: Option<String>,
}

enum Ident {
    Purl(Purl),
    Image(ImageRef),
    /// Anything else: only exact equality, checked before classifying.
    Other,
}

fn classify(s: &str) -> Ident {
    let s = s.trim();
    if let Some(p) = Purl::parse(s) {
        if p.ty == "oci" || p.ty == "docker" {
            return Ident::Image(image_from_purl(&p));
        }
        return Ident::Purl(p);
    }
    if s.contains("://") || s.starts_with("urn:") || s.starts_with("cpe:") || s.starts_with("pkg:")
    {
        return Ident::Other;
    }
    match parse_image_ref(s) {
        Some(r) => Ident::Image(r),
        None => Ident::Other,
    }
}

fn image_from_purl(p: &Purl) -> ImageRef {
    let digest = (!p.version.is_empty()).then(|| p.version.to_ascii_lowercase());
    let tag = p.qualifier("tag").map(str::to_string);
    match p.qualifier("repository_url") {
        Some(url) => {
            let url = url.split_once("://").map_or(url, |(_, rest)| rest);
            let mut r = parse_image_ref(url).unwrap_or_default();
            r.digest = digest;
            r.tag = tag;
            r
        }
        None => {
            let name = if p.namespace.is_empty() {
                p.name.clone()
            } else {
                format!("{}/{}", p.namespace, p.name)
            };
            ImageRef {
                host: None,
                path: Some(name),
                name_only: p.ty == "oci",
                tag,
                digest,
            }
        }
    }
}

fn parse_image_ref(s: &str) -> Option<ImageRef> {
    if s.is_empty() || s.contains(char::is_whitespace) {
        return None;
    }
    if let Some(hex) = s.strip_prefix("sha256:") {
        return hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
            .then(|| ImageRef {
                digest: Some(s.to_ascii_lowercase()),
                ..ImageRef::default()
            });
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d.to_ascii_lowercase())),
        None => (s, None),
    };
    let (rest, tag) = match rest.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, Some(t.to_string())),
        _ => (rest, None),
    };
    let (host, path) = match rest.split_once('/') {
        Some((h, p)) if h.contains('.') || h.contains(':') || h == "localhost" => {
            (Some(h.to_ascii_lowercase()), p)
        }
        _ => (None, rest),
    };
    let path = path.strip_prefix("library/").unwrap_or(path);
    if path.is_empty() {
        return None;
    }
    Some(ImageRef {
        host,
        path: Some(path.to_string()),
        name_only: false,
        tag,
        digest,
    })
}

fn repo_matches(stmt: &ImageRef, cand: &ImageRef) -> bool {
    let (Some(sp), Some(cp)) = (&stmt.path, &cand.path) else {
        // A digest-only side says nothing about the repository.
        return true;
    };
    let last = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let paths = if stmt.name_only || cand.name_only {
        last(sp) == last(cp)
    } else {
        sp == cp
    };
    let hosts = match (&stmt.host, &cand.host) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    paths && hosts
}

fn image_matches(stmt: &ImageRef, cand: &ImageRef) -> bool {
    if !repo_matches(stmt, cand) {
        return false;
    }
    if let Some(d) = &stmt.digest {
        return cand.digest.as_ref() == Some(d);
    }
    if let Some(t) = &stmt.tag {
        return cand.tag.as_ref() == Some(t);
    }
    stmt.path.is_some()
}

/// Whether one statement-side identifier names the candidate.
pub fn ident_matches(statement_side: &str, candidate: &str) -> bool {
    if statement_side.trim() == candidate.trim() && !candidate.trim().is_empty() {
        return true;
    }
    match (classify(statement_side), classify(candidate)) {
        (Ident::Purl(s), Ident::Purl(c)) => s.covers(&c),
        (Ident::Image(s), Ident::Image(c)) => image_matches(&s, &c),
        _ => false,
    }
}

impl Component {
    /// Whether the component names `candidate` (a purl, image reference or digest) by its
    /// `@id`, a software identifier, or a `sha-256` hash equal to the candidate's digest.
    pub fn matches(&self, candidate: &str) -> bool {
        if self
            .id
            .iter()
            .chain(self.identifiers.iter().map(|(_, v)| v))
            .any(|id| ident_matches(id, candidate))
        {
            return true;
        }
        let digest = match classify(candidate) {
            Ident::Image(r) => r.digest,
            _ => None,
        };
        let Some(hex) = digest.as_deref().and_then(|d| d.strip_prefix("sha256:")) else {
            return false;
        };
        self.hashes
            .iter()
            .any(|(alg, h)| alg.eq_ignore_ascii_case("sha-256") && h.eq_ignore_ascii_case(hex))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn image_refs_compare_by_digest_then_tag() {
        let by_digest = format!("registry.example/team/app@{D}");
        assert!(ident_matches(
            &by_digest,
            &format!("registry.example/team/app:1.0@{D}")
        ));
        assert!(!ident_matches(&by_digest, "registry.example/team/app:1.0"));
        assert!(ident_matches(
            "team/app:1.0",
            "registry.example/team/app:1.0"
        ));
        assert!(!ident_matches(
            "team/app:1.0",
            "registry.example/team/app:2.0"
        ));
        assert!(ident_matches("team/app", "registry.example/team/app:2.0"));
        assert!(!ident_matches(
            "other.example/team/app",
            "registry.example/team/app"
        ));
        assert!(
            ident_matches(D, &by_digest),
            "a bare digest matches by digest"
        );
    }

    #[test]
    fn oci_purls_are_images() {
        let purl = "pkg:oci/app@sha256%3Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?repository_url=registry.example/team/app";
        assert!(ident_matches(
            purl,
            &format!("registry.example/team/app@{D}")
        ));
        let bare =
            "pkg:oci/app@sha256%3Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        assert!(ident_matches(
            bare,
            &format!("registry.example/team/app@{D}")
        ));
        assert!(!ident_matches(
            bare,
            &format!("registry.example/team/other@{D}")
        ));
    }

    #[test]
    fn hashes_match_digests() {
        let c = Component {
            hashes: vec![("sha-256".into(), D[7..].to_uppercase())],
            ..Component::default()
        };
        assert!(c.matches(&format!("registry.example/app@{D}")));
        assert!(!c.matches("registry.example/app:1"));
    }
}
