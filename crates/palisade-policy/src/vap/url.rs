//! URLs for CEL's `url()` / `isURL()` (`k8s.io/apiserver/pkg/cel/library/urls.go`), which
//! accept what Go's `url.ParseRequestURI` accepts: an absolute URI (`https://h:8443/p?q`,
//! or an opaque one such as `mailto:x`) or an absolute path (`/p`); no fragment handling
//! (a `#` stays in the path or query, as in a request URI).

/// A parsed URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Lower-cased scheme (empty for a path).
    pub scheme: String,
    /// Host with port (IPv6 literals keep their brackets).
    pub host: String,
    /// The path as written (escaped form).
    pub path: String,
    /// The raw query (without `?`).
    pub raw_query: String,
}

fn valid_scheme(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic())
        && cs.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl Url {
    /// Parses like `url.ParseRequestURI`.
    pub fn parse(text: &str) -> Result<Url, String> {
        if text.is_empty() {
            return Err("empty url".into());
        }
        if text.chars().any(|c| c.is_ascii_control() || c == ' ') {
            return Err(format!("parse {text:?}: invalid character in URL"));
        }
        let (scheme, rest) = match text.split_once(':') {
            Some((s, r)) if valid_scheme(s) => (s.to_ascii_lowercase(), r),
            Some(("", _)) => return Err(format!("parse {text:?}: missing protocol scheme")),
            _ if text.starts_with('/') => (String::new(), text),
            _ => return Err(format!("parse {text:?}: invalid URI for request")),
        };
        let (rest, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut url = Url {
            scheme,
            host: String::new(),
            path: String::new(),
            raw_query: raw_query.to_string(),
        };
        if !url.scheme.is_empty() && !rest.starts_with('/') {
            // An opaque URI (`mailto:x`): no host, no path.
            return Ok(url);
        }
        if !url.scheme.is_empty() && rest.starts_with("//") {
            let after = &rest[2..];
            let end = after.find('/').unwrap_or(after.len());
            let authority = &after[..end];
            url.host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, h)| h)
                .to_string();
            url.path = after[end..].to_string();
            if !url.port_is_valid() {
                return Err(format!("parse {text:?}: invalid port"));
            }
        } else {
            url.path = rest.to_string();
        }
        Ok(url)
    }

    fn split_port(&self) -> (&str, &str) {
        let h = self.host.as_str();
        if let Some(stripped) = h.strip_prefix('[') {
            return match stripped.split_once(']') {
                Some((ip, rest)) => (ip, rest.strip_prefix(':').unwrap_or("")),
                None => (stripped, ""),
            };
        }
        match h.rsplit_once(':') {
            Some((name, port)) => (name, port),
            None => (h, ""),
        }
    }

    fn port_is_valid(&self) -> bool {
        self.split_port().1.chars().all(|c| c.is_ascii_digit())
    }

    /// The host without port and brackets (`getHostname`).
    pub fn hostname(&self) -> String {
        self.split_port().0.to_string()
    }

    /// The port, or `""` (`getPort`).
    pub fn port(&self) -> String {
        self.split_port().1.to_string()
    }

    /// The query parameters in order, decoded as `url.ParseQuery` does (`+` is a space;
    /// pairs containing `;` are dropped).
    pub fn query(&self) -> Vec<(String, String)> {
        self.raw_query
            .split('&')
            .filter(|p| !p.is_empty() && !p.contains(';'))
            .filter_map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                Some((unescape(k)?, unescape(v)?))
            })
            .collect()
    }
}

fn unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

impl cel::objects::Opaque for Url {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.URL"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_uris_and_parts() {
        let u = Url::parse("HTTPS://user@example.com:8443/a%20b?x=1&x=2&y=a+b").unwrap();
        assert_eq!(u.scheme, "https");
        assert_eq!(u.host, "example.com:8443");
        assert_eq!(u.hostname(), "example.com");
        assert_eq!(u.port(), "8443");
        assert_eq!(u.path, "/a%20b");
        assert_eq!(
            u.query(),
            vec![
                ("x".into(), "1".into()),
                ("x".into(), "2".into()),
                ("y".into(), "a b".into())
            ]
        );
        let v6 = Url::parse("https://[::1]:80").unwrap();
        assert_eq!((v6.hostname().as_str(), v6.port().as_str()), ("::1", "80"));
        assert_eq!(Url::parse("/absolute/path").unwrap().path, "/absolute/path");
        assert!(Url::parse("mailto:a@b").is_ok());
        for bad in [
            "",
            "relative/path",
            "../x",
            ":no-scheme",
            "https://h:port/",
            "a b",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }
}
