//! Package URL parsing for matching, after the purl specification's parse procedure
//! (package-url/purl-spec, "How to parse a purl string in its components"): split the
//! subpath at the last `#`, the qualifiers at the last `?`, the scheme, the type at the first
//! `/`, the version at the last `@`, then the name at the last `/`; every component is
//! percent-decoded. Type-specific normalisation follows the purl types list where it matters
//! for matching (`pypi` names per PEP 503; `deb`, `apk`, `npm` names and namespaces lower-case).

/// A parsed package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// Type, lower-cased (`deb`, `pypi`, `golang`, `maven`, `oci`, …).
    pub ty: String,
    /// Namespace segments joined with `/`, decoded; empty when absent.
    pub namespace: String,
    /// Name, decoded and normalised for its type.
    pub name: String,
    /// Version, decoded; empty when absent.
    pub version: String,
    /// Qualifiers with lower-cased keys and decoded values, sorted by key; empty values dropped.
    pub qualifiers: Vec<(String, String)>,
    /// Subpath, decoded; empty when absent.
    pub subpath: String,
}

impl Purl {
    /// Parses `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS#SUBPATH`; `None` when the text is not
    /// a purl (no `pkg:` scheme, no type, or no name).
    pub fn parse(text: &str) -> Option<Purl> {
        let text = text.trim();
        let (rest, subpath) = match text.rsplit_once('#') {
            Some((r, s)) => (r, decode_path(s)),
            None => (text, String::new()),
        };
        let (rest, qualifiers) = match rest.rsplit_once('?') {
            Some((r, q)) => (r, parse_qualifiers(q)),
            None => (rest, Vec::new()),
        };
        let scheme_end = rest.find(':')?;
        if !rest[..scheme_end].eq_ignore_ascii_case("pkg") {
            return None;
        }
        let rest = rest[scheme_end + 1..].trim_start_matches('/');
        let (ty, rest) = rest.split_once('/')?;
        if ty.is_empty() {
            return None;
        }
        let ty = ty.to_ascii_lowercase();
        let rest = rest.trim_matches('/');
        let (rest, version) = match rest.rsplit_once('@') {
            // An `@` inside the last segment is the version separator; npm scopes are
            // percent-encoded (`%40scope`) in canonical purls, and a leading `@` in the
            // namespace of a non-canonical one is not a version.
            Some((r, v)) if !r.is_empty() && !r.ends_with('/') => (r, decode(v)),
            _ => (rest, String::new()),
        };
        let (namespace, name) = match rest.rsplit_once('/') {
            Some((ns, n)) => (
                ns.split('/')
                    .filter(|s| !s.is_empty())
                    .map(decode)
                    .collect::<Vec<_>>()
                    .join("/"),
                decode(n),
            ),
            None => (String::new(), decode(rest)),
        };
        if name.is_empty() {
            return None;
        }
        let (namespace, name) = normalise_for_type(&ty, namespace, name);
        Some(Purl {
            ty,
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }

    /// The value of one qualifier.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `self` (the general side, e.g. a VEX statement's purl) covers `specific` (an
    /// installed package's purl), in the manner of go-vex's `PurlMatches`: type, namespace
    /// and name must be equal; a version on `self` must equal the other's; every qualifier
    /// `self` states must be present with the same value (qualifiers it leaves out do not
    /// matter); a subpath on `self` must be equal.
    pub fn covers(&self, specific: &Purl) -> bool {
        self.ty == specific.ty
            && self.namespace == specific.namespace
            && self.name == specific.name
            && (self.version.is_empty() || self.version == specific.version)
            && self
                .qualifiers
                .iter()
                .all(|(k, v)| specific.qualifier(k) == Some(v.as_str()))
            && (self.subpath.is_empty() || self.subpath == specific.subpath)
    }

    /// The source package named by the `upstream` qualifier (`openssl` or
    /// `openssl@3.0.11-1`), for Debian and Alpine purls.
    pub fn source_name(&self) -> Option<String> {
        if !matches!(self.ty.as_str(), "deb" | "apk") {
            return None;
        }
        let up = self.qualifier("upstream")?;
        let name = up.split_once('@').map_or(up, |(n, _)| n).trim();
        (!name.is_empty()).then(|| name.to_string())
    }

    /// The package name as its ecosystem spells it whole: `group:artifact` for Maven,
    /// `namespace/name` for Go modules, npm scopes and other namespaced types where the
    /// namespace is part of the name; the bare name for OS packages, whose namespace is the
    /// distribution.
    pub fn full_name(&self) -> String {
        match self.ty.as_str() {
            _ if self.namespace.is_empty() => self.name.clone(),
            "maven" => format!("{}:{}", self.namespace, self.name),
            "deb" | "apk" | "rpm" | "alpm" | "oci" | "docker" => self.name.clone(),
            _ => format!("{}/{}", self.namespace, self.name),
        }
    }
}

fn normalise_for_type(ty: &str, namespace: String, name: String) -> (String, String) {
    match ty {
        "pypi" => (namespace, crate::merge::ecosystem::pep503(&name)),
        "deb" | "apk" | "npm" | "alpm" | "github" | "bitbucket" => {
            (namespace.to_lowercase(), name.to_lowercase())
        }
        _ => (namespace, name),
    }
}

fn parse_qualifiers(q: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = q
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let v = decode(v);
            (!k.is_empty() && !v.is_empty()).then(|| (k.to_ascii_lowercase(), v))
        })
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

fn decode_path(s: &str) -> String {
    s.split('/')
        .filter(|seg| !seg.is_empty() && *seg != "." && *seg != "..")
        .map(decode)
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-decodes; invalid escapes are kept literally and invalid UTF-8 is replaced.
pub fn decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_components_and_decodes() {
        let p = Purl::parse("pkg:deb/debian/bash@1:5.2.15-2%2Bb13?distro=debian-12&arch=amd64")
            .unwrap();
        assert_eq!(p.ty, "deb");
        assert_eq!(p.namespace, "debian");
        assert_eq!(p.name, "bash");
        assert_eq!(p.version, "1:5.2.15-2+b13");
        assert_eq!(p.qualifier("arch"), Some("amd64"));
        assert_eq!(p.qualifiers[0].0, "arch", "sorted by key");
    }

    #[test]
    fn maven_go_npm_and_pypi_names() {
        let m = Purl::parse("pkg:maven/ch.qos.logback/logback-core@1.2.13").unwrap();
        assert_eq!(m.full_name(), "ch.qos.logback:logback-core");
        let g = Purl::parse("pkg:golang/golang.org/x/net@v0.17.0").unwrap();
        assert_eq!(g.full_name(), "golang.org/x/net");
        let n = Purl::parse("pkg:npm/%40babel/Core@7.0.0").unwrap();
        assert_eq!(n.full_name(), "@babel/core");
        let py = Purl::parse("pkg:pypi/Django_REST.framework@3.0").unwrap();
        assert_eq!(py.name, "django-rest-framework");
    }

    #[test]
    fn rejects_non_purls() {
        assert!(Purl::parse("cpe:2.3:a:x").is_none());
        assert!(Purl::parse("pkg:").is_none());
        assert!(Purl::parse("pkg:deb/").is_none());
        assert!(Purl::parse("").is_none());
    }

    #[test]
    fn decode_leaves_bad_escapes() {
        assert_eq!(decode("a%2"), "a%2");
        assert_eq!(decode("a%zz"), "a%zz");
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("%41%42"), "AB");
    }

    #[test]
    fn covers_ignores_unstated_qualifiers_and_version() {
        let general = Purl::parse("pkg:apk/alpine/busybox").unwrap();
        let specific = Purl::parse("pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64").unwrap();
        assert!(general.covers(&specific));
        let arm = Purl::parse("pkg:apk/alpine/busybox@1.36.1-r2?arch=armv7").unwrap();
        assert!(!arm.covers(&specific), "stated qualifier must match");
        let other = Purl::parse("pkg:apk/alpine/busybox@1.36.1-r3").unwrap();
        assert!(!other.covers(&specific), "stated version must match");
    }
}
