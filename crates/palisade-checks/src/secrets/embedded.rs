//! Credentials recognised by their surroundings rather than a prefix: passwords in URLs and
//! connection strings, `Authorization` header values, cloud keys in connection strings and
//! key files, AWS secret keys under their name. Each scanner gates on a cheap needle first.

use super::formats::Hit;
use super::names::{is_aws_secret_name, Name};
use super::values::{contains_ci, decode_base64, find_ci, is_placeholder, redact};

/// How far a value is read after its marker; real credentials are far shorter, and the
/// bound keeps a text of repeated markers linear to scan.
const MAX_VALUE_SCAN: usize = 512;

/// `text[from..]`, cut at `MAX_VALUE_SCAN` bytes (on a character boundary).
fn window(text: &str, from: usize) -> &str {
    let rest = text.get(from..).unwrap_or_default();
    let mut end = rest.len().min(MAX_VALUE_SCAN);
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    &rest[..end]
}

/// Passwords in URL userinfo: `scheme://user:password@host` (not `user@host`, not
/// `${VAR}` / `$(VAR)` / `<password>` stand-ins).
pub(super) fn url_passwords(text: &str, _: Option<&str>, what: &'static str, out: &mut Vec<Hit>) {
    if !text.contains('@') {
        return;
    }
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|t| t.find("://")) {
        let at = from + found;
        from = at + 3;
        let before = &text[..at];
        let scheme_len = before
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
            .count();
        let scheme_ok = scheme_len > 0
            && before
                .as_bytes()
                .get(at - scheme_len)
                .is_some_and(u8::is_ascii_alphabetic);
        if !scheme_ok {
            continue;
        }
        let rest = window(text, from);
        let authority_end = rest
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`' | ',')
                    || c.is_whitespace()
            })
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let Some((userinfo, host)) = authority.rsplit_once('@') else {
            continue;
        };
        let Some((_user, password)) = userinfo.split_once(':') else {
            continue;
        };
        if !password.is_empty() && !host.is_empty() && !is_placeholder(password) {
            out.push(Hit {
                what,
                start: at - scheme_len,
                evidence: redact(password),
            });
        }
    }
}

/// `password=` parameters of URL queries and connection strings (`?password=`, `&pwd=`,
/// `;Password=`).
pub(super) fn connection_string_passwords(
    text: &str,
    _: Option<&str>,
    what: &'static str,
    out: &mut Vec<Hit>,
) {
    if !text.contains('=') {
        return;
    }
    for key in ["password=", "passwd=", "pwd="] {
        let mut from = 0;
        while let Some(start) = find_ci(text, key, from) {
            from = start + key.len();
            let preceded = start
                .checked_sub(1)
                .and_then(|p| text.as_bytes().get(p))
                .is_some_and(|b| matches!(b, b'?' | b'&' | b';'));
            if !preceded {
                continue;
            }
            let rest = window(text, from);
            let end = rest
                .find(|c: char| matches!(c, '&' | ';' | '#' | '"' | '\'') || c.is_whitespace())
                .unwrap_or(rest.len());
            let value = &rest[..end];
            if !value.is_empty() && !is_placeholder(value) {
                out.push(Hit {
                    what,
                    start,
                    evidence: redact(value),
                });
            }
        }
    }
}

/// A whole value that may be an `Authorization` header value.
pub(super) fn is_authorization_value(text: &str, name: Option<&str>) -> bool {
    name.is_some_and(|n| n.eq_ignore_ascii_case("authorization"))
        || text.starts_with("Bearer ")
        || text.starts_with("Basic ")
}

/// A value under an AWS secret key's name. Such a name contains `secret`, a needle: a
/// name without one is not looked at again.
pub(super) fn under_aws_secret_name(_: &str, name: Option<Name>) -> bool {
    name.is_some_and(|n| n.needle && is_aws_secret_name(n.text))
}

/// `Authorization: Bearer <token>` / `Basic <base64>` written out (a header line, a
/// `curl -H` argument), or a whole value that is such a credential (an `httpHeaders` entry
/// named `Authorization`). The token must look like one: long enough, of token characters,
/// not a `$VAR` reference.
pub(super) fn authorization_headers(
    text: &str,
    name: Option<&str>,
    what: &'static str,
    out: &mut Vec<Hit>,
) {
    if is_authorization_value(text, name) {
        if let Some(evidence) = credential(text.trim()) {
            out.push(Hit {
                what,
                start: 0,
                evidence,
            });
            return;
        }
    }
    let mut from = 0;
    while let Some(start) = find_ci(text, "authorization", from) {
        from = start + "authorization".len();
        let rest = window(text, from);
        let Some(rest) = rest
            .trim_start_matches(['"', '\''])
            .trim_start()
            .strip_prefix([':', '='])
        else {
            continue;
        };
        if let Some(evidence) = credential(rest.trim_start()) {
            out.push(Hit {
                what,
                start,
                evidence,
            });
        }
    }
}

/// `Bearer <token>` or `Basic <user:password in base64>` at the start of `text`: the
/// redacted evidence when it is a literal credential.
fn credential(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once(' ')?;
    let token: &str = rest
        .trim_start()
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '\\'))
        .next()?;
    let token68 = token.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
    });
    if !token68 || is_placeholder(token) {
        return None;
    }
    if scheme.eq_ignore_ascii_case("bearer") && token.len() >= 16 {
        return Some(format!("Bearer {}", redact(token)));
    }
    if scheme.eq_ignore_ascii_case("basic") && token.len() >= 8 {
        let decoded = decode_base64(token)?;
        let pair = String::from_utf8(decoded).ok()?;
        let (_, password) = pair.split_once(':')?;
        if !password.is_empty() {
            return Some(format!("Basic {}", redact(token)));
        }
    }
    None
}

/// Azure `AccountKey=` (storage) and `SharedAccessKey=` (Service Bus, Event Hubs) in
/// connection strings: base64 keys of 40 or more characters.
pub(super) fn azure_keys(text: &str, _: Option<&str>, what: &'static str, out: &mut Vec<Hit>) {
    if !text.contains("Key=") {
        return;
    }
    for marker in ["AccountKey=", "SharedAccessKey="] {
        let mut from = 0;
        while let Some(found) = text.get(from..).and_then(|t| t.find(marker)) {
            let start = from + found;
            from = start + marker.len();
            let key = text
                .get(from..)
                .unwrap_or_default()
                .bytes()
                .take(MAX_VALUE_SCAN)
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                .count();
            if key >= 40 {
                let value = text.get(from..from + key).unwrap_or_default();
                out.push(Hit {
                    what,
                    start,
                    evidence: format!("{marker}{}", redact(value)),
                });
            }
        }
    }
}

/// A Google Cloud service account JSON key file: `"type": "service_account"` together
/// with a non-empty `"private_key"`.
pub(super) fn gcp_key_files(text: &str, _: Option<&str>, what: &'static str, out: &mut Vec<Hit>) {
    let Some(start) = text.find("service_account") else {
        return;
    };
    let Some(key) = text.find("\"private_key\"") else {
        return;
    };
    let value = text
        .get(key + "\"private_key\"".len()..)
        .unwrap_or_default()
        .trim_start()
        .strip_prefix(':')
        .map(str::trim_start)
        .and_then(|v| v.strip_prefix('"'));
    if value.is_some_and(|v| !v.starts_with('"')) {
        out.push(Hit {
            what,
            start: start.min(key),
            evidence: "service account JSON key with a private_key".into(),
        });
    }
}

/// AWS secret access keys: 40 base64 characters, under an AWS secret's name (the value's
/// own name, or `aws_secret_access_key = ...` inside a credentials file).
pub(super) fn aws_secret_keys(
    text: &str,
    name: Option<&str>,
    what: &'static str,
    out: &mut Vec<Hit>,
) {
    if name.is_some_and(is_aws_secret_name) && is_aws_secret(text.trim()) {
        out.push(Hit {
            what,
            start: 0,
            evidence: redact(text.trim()),
        });
        return;
    }
    if !contains_ci(text, "secret") {
        return;
    }
    let mut from = 0;
    while let Some(start) = find_ci(text, "secret_access_key", from) {
        from = start + "secret_access_key".len();
        let rest = window(text, from);
        let value = rest
            .trim_start_matches(['"', '\''])
            .trim_start()
            .strip_prefix(['=', ':'])
            .map(|v| v.trim_start().trim_start_matches(['"', '\'']))
            .and_then(|v| v.get(..40));
        if let Some(v) = value.filter(|v| is_aws_secret(v)) {
            let after = rest.as_bytes().get(rest.find(v).unwrap_or(0) + 40);
            if !after.is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/')) {
                out.push(Hit {
                    what,
                    start,
                    evidence: redact(v),
                });
            }
        }
    }
}

/// 40 characters of base64, mixing cases and digits (a generated key, not a word).
fn is_aws_secret(v: &str) -> bool {
    v.len() == 40
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
        && v.bytes().any(|b| b.is_ascii_uppercase())
        && v.bytes().any(|b| b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::super::formats::find;

    fn whats(text: &str, name: Option<&str>) -> Vec<&'static str> {
        find(text, name).into_iter().map(|h| h.what).collect()
    }

    #[test]
    fn passwords_in_urls() {
        assert_eq!(
            whats("postgres://app:Fake-Pa55w0rd@db.app.svc:5432/orders", None),
            ["password in a URL"]
        );
        for miss in [
            "postgres://app:$(DB_PASSWORD)@db:5432/x",
            "postgres://app:${DB_PASSWORD}@db:5432/x",
            "redis://:<password>@cache:6379",
            "https://user@host.test/path",
            "http://host.test:8080/a:b@c",
            "git@github.com:org/repo.git",
        ] {
            assert_eq!(whats(miss, None), Vec::<&str>::new(), "{miss}");
        }
    }

    #[test]
    fn passwords_in_connection_strings() {
        assert_eq!(
            whats(
                "jdbc:sqlserver://db.test;user=app;Password=Fake-Pa55;encrypt=true",
                None
            ),
            ["password in a connection string"]
        );
        assert_eq!(
            whats("https://db.test/?user=a&password=changeme", None),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn authorization_values() {
        let bearer = "Bearer EXAMPLEEXAMPLEEXAMPLE00";
        assert_eq!(whats(bearer, None), ["Authorization header credential"]);
        assert_eq!(
            whats(
                &format!("curl -H \"Authorization: {bearer}\" https://x"),
                None
            ),
            ["Authorization header credential"]
        );
        // "user:EXAMPLE" in base64
        assert_eq!(
            whats("Basic dXNlcjpFWEFNUExF", Some("Authorization")),
            ["Authorization header credential"]
        );
        for miss in [
            "Authorization: Bearer $(TOKEN)",
            "Authorization: Bearer ${TOKEN}",
            "Authorization: Bearer <token>",
            "the Authorization header carries a Bearer token",
            "Basic auth is enabled",
            "Bearer short",
        ] {
            assert_eq!(whats(miss, None), Vec::<&str>::new(), "{miss}");
        }
    }

    #[test]
    fn cloud_keys() {
        let azure = format!(
            "DefaultEndpointsProtocol=https;AccountName=example;AccountKey={}==;EndpointSuffix=core.windows.net",
            "EXAMPLE0".repeat(11)
        );
        assert_eq!(whats(&azure, None), ["Azure storage account key"]);
        assert_eq!(whats("AccountKey=short==", None), Vec::<&str>::new());

        let gcp = "{\"type\": \"service_account\", \"project_id\": \"example\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nEXAMPLE\\n-----END PRIVATE KEY-----\\n\"}";
        let found = whats(gcp, None);
        assert!(found.contains(&"GCP service account key"), "{found:?}");
        assert_eq!(
            whats(
                "{\"type\": \"service_account\", \"private_key\": \"\"}",
                None
            ),
            Vec::<&str>::new()
        );

        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            whats(secret, Some("AWS_SECRET_ACCESS_KEY")),
            ["AWS secret access key"]
        );
        assert_eq!(whats(secret, Some("BUILD_HASH")), Vec::<&str>::new());
        assert_eq!(
            whats(
                &format!("[default]\naws_secret_access_key = {secret}\n"),
                None
            ),
            ["AWS secret access key"]
        );
        assert_eq!(
            whats("aws_secret_access_key = ${AWS_SECRET}", None),
            Vec::<&str>::new()
        );
    }
}
