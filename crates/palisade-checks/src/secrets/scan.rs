//! Text analysis for the secrets rules: known credential formats, high-entropy values under
//! secret-ish names, placeholders, redaction. Pure functions over `&str`; no regex engine,
//! just small scanners that never panic on any input.

/// A credential found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    /// What it is ("AWS access key ID").
    pub kind: &'static str,
    /// The secret part, redacted.
    pub redacted: String,
}

/// A credential format recognised by its prefix, alphabet and length.
struct Prefixed {
    kind: &'static str,
    prefixes: &'static [&'static str],
    alphabet: fn(u8) -> bool,
    /// Allowed length of the part after the prefix.
    len: (usize, usize),
}

fn upper_alnum(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}
fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
fn word_dash(b: u8) -> bool {
    word(b) || b == b'-'
}
fn alnum_dash(b: u8) -> bool {
    alnum(b) || b == b'-'
}
fn webhook_path(b: u8) -> bool {
    alnum(b) || b == b'/'
}

const PREFIXED: &[Prefixed] = &[
    Prefixed {
        kind: "AWS access key ID",
        prefixes: &["AKIA", "ASIA"],
        alphabet: upper_alnum,
        len: (16, 16),
    },
    Prefixed {
        kind: "GitHub token",
        prefixes: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        alphabet: alnum,
        len: (36, 255),
    },
    Prefixed {
        kind: "GitHub fine-grained token",
        prefixes: &["github_pat_"],
        alphabet: word,
        len: (50, 255),
    },
    Prefixed {
        kind: "GitLab token",
        prefixes: &["glpat-", "gldt-", "glrt-", "glptt-"],
        alphabet: word_dash,
        len: (20, 255),
    },
    Prefixed {
        kind: "Slack token",
        prefixes: &["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-"],
        alphabet: alnum_dash,
        len: (20, 255),
    },
    Prefixed {
        kind: "Slack webhook URL",
        prefixes: &["https://hooks.slack.com/services/"],
        alphabet: webhook_path,
        len: (20, 255),
    },
    Prefixed {
        kind: "Stripe live key",
        prefixes: &["sk_live_", "rk_live_"],
        alphabet: alnum,
        len: (20, 255),
    },
    Prefixed {
        kind: "Google API key",
        prefixes: &["AIza"],
        alphabet: word_dash,
        len: (35, 35),
    },
    Prefixed {
        kind: "npm token",
        prefixes: &["npm_"],
        alphabet: alnum,
        len: (36, 36),
    },
];

/// Every known-format credential in `text`.
pub(super) fn known_secrets(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    // Cheap gates first: most values in a manifest are short words, and each scanner below
    // needs a minimum length or a telltale byte. This keeps secret scanning off the profile.
    let bytes = text.as_bytes();
    if bytes.len() < MIN_FORMAT_LEN {
        return found;
    }
    if bytes.contains(&b'@') {
        found.extend(url_passwords(text));
    }
    if bytes.contains(&b'=') {
        found.extend(connection_string_passwords(text));
    }
    if bytes.len() < MIN_TOKEN_LEN {
        return found;
    }
    for format in PREFIXED {
        for prefix in format.prefixes {
            for (start, _) in text.match_indices(prefix) {
                if let Some(token) = prefixed_at(text, start, prefix, format) {
                    found.push(Found {
                        kind: format.kind,
                        redacted: redact(token),
                    });
                }
            }
        }
    }
    found.extend(private_keys(text));
    found.extend(jwts(text));
    found
}

/// Shortest text any scanner can match (`?pwd=abc`, `s://u:p@h`).
const MIN_FORMAT_LEN: usize = 8;
/// Shortest token, key block or JWT (an AWS key ID: 4 + 16 characters).
const MIN_TOKEN_LEN: usize = 20;

/// The token starting at `start` when it is a whole word of the right shape.
fn prefixed_at<'t>(text: &'t str, start: usize, prefix: &str, f: &Prefixed) -> Option<&'t str> {
    let bytes = text.as_bytes();
    if start > 0 && bytes.get(start - 1).copied().is_some_and(word) {
        return None;
    }
    let body = start + prefix.len();
    let run = bytes
        .get(body..)?
        .iter()
        .take_while(|&&b| (f.alphabet)(b))
        .take(f.len.1 + 1)
        .count();
    // A longer run is some other, longer token, not this format.
    if run < f.len.0 || run > f.len.1 {
        return None;
    }
    text.get(start..body + run)
}

/// `-----BEGIN ... PRIVATE KEY-----` blocks with a body (a header with `<your key>` under
/// it is documentation, not a key).
fn private_keys(text: &str) -> Vec<Found> {
    const BEGIN: &str = "-----BEGIN ";
    let mut found = Vec::new();
    for (start, _) in text.match_indices(BEGIN) {
        let rest = &text[start + BEGIN.len()..];
        let Some(end) = rest.find("-----") else {
            continue;
        };
        let label = &rest[..end];
        if label.len() > 40
            || label.contains('\n')
            || !(label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK"))
        {
            continue;
        }
        let after = &rest[end + 5..];
        // The body runs to the next `-----` (the END line, or the next block's BEGIN), which
        // keeps a text full of unterminated headers linear to scan.
        let body = after.find("-----").map_or(after, |i| &after[..i]);
        let base64 = body
            .bytes()
            .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            .count();
        if base64 >= 40 {
            found.push(Found {
                kind: "private key",
                redacted: format!("{label} block ({base64} base64 chars)"),
            });
        }
    }
    found
}

/// JSON Web Tokens: three base64url segments, the first two JSON objects (`eyJ` is `{"`).
fn jwts(text: &str) -> Vec<Found> {
    let bytes = text.as_bytes();
    let b64url = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_');
    let mut found = Vec::new();
    for (start, _) in text.match_indices("eyJ") {
        if start > 0
            && bytes
                .get(start - 1)
                .copied()
                .is_some_and(|b| b64url(b) || b == b'.')
        {
            continue;
        }
        let mut end = start;
        let mut segments = Vec::new();
        for i in 0..3 {
            let seg = bytes
                .get(end..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| b64url(b))
                .count();
            segments.push((end, seg));
            end += seg;
            if i < 2 {
                if bytes.get(end) != Some(&b'.') {
                    break;
                }
                end += 1;
            }
        }
        let shaped = segments.len() == 3
            && segments.iter().all(|&(_, len)| len >= 10)
            && segments
                .get(1)
                .is_some_and(|&(s, _)| text.get(s..s + 3) == Some("eyJ"));
        if shaped {
            if let Some(token) = text.get(start..end) {
                found.push(Found {
                    kind: "JSON Web Token",
                    redacted: redact(token),
                });
            }
        }
    }
    found
}

/// Passwords in URL userinfo: `scheme://user:password@host`.
fn url_passwords(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("://") {
        let before = &text[..at];
        let scheme_len = before
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
            .count();
        if scheme_len == 0
            || !before[before.len() - scheme_len..].starts_with(|c: char| c.is_ascii_alphabetic())
        {
            continue;
        }
        let rest = &text[at + 3..];
        let authority_end = rest
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let Some((userinfo, _host)) = authority.rsplit_once('@') else {
            continue;
        };
        let Some((_user, password)) = userinfo.split_once(':') else {
            continue;
        };
        if !password.is_empty() && !is_placeholder(password) {
            found.push(Found {
                kind: "password in a URL",
                redacted: redact(password),
            });
        }
    }
    found
}

/// How far a connection-string value is read; real passwords are far shorter.
const MAX_VALUE_SCAN: usize = 256;

/// `password=` parameters of URL queries and connection strings (`?password=`, `&pwd=`,
/// `;Password=`).
fn connection_string_passwords(text: &str) -> Vec<Found> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for key in ["password=", "passwd=", "pwd="] {
        for (start, _) in lower.match_indices(key) {
            let preceded =
                start > 0 && matches!(lower.as_bytes().get(start - 1), Some(b'?' | b'&' | b';'));
            if !preceded {
                continue;
            }
            let rest = &text[start + key.len()..];
            // Bounded, so that a text of repeated `?pwd=` stays linear to scan.
            let rest = rest
                .char_indices()
                .nth(MAX_VALUE_SCAN)
                .map_or(rest, |(i, _)| &rest[..i]);
            let end = rest
                .find(|c: char| matches!(c, '&' | ';' | '#' | '"' | '\'') || c.is_whitespace())
                .unwrap_or(rest.len());
            let value = &rest[..end];
            if !value.is_empty() && !is_placeholder(value) {
                found.push(Found {
                    kind: "password in a connection string",
                    redacted: redact(value),
                });
            }
        }
    }
    found
}

/// Words that make a name secret-like, matched inside the name with separators removed
/// (`DB_PASSWORD`, `apiKey`, `client-secret`, `awsSecretAccessKey`).
#[rustfmt::skip]
const SECRET_NAME_PARTS: &[&str] = &[
    "password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "credential",
    "accesskey", "authkey", "signingkey", "encryptionkey", "masterkey",
];

/// Short words that count only as a whole word (`DB_PASS`, `REDIS_PWD`, not `PASSENGER`).
const SECRET_NAME_WORDS: &[&str] = &["pass", "pwd"];

/// Last words of names about a secret rather than of one (`TOKEN_TTL`, `PASSWORD_FILE`,
/// `SECRET_NAME`, `tokenUrl`, `AWS_ACCESS_KEY_ID`).
#[rustfmt::skip]
const ABOUT_A_SECRET: &[&str] = &[
    "ttl", "expiry", "expires", "expiration", "timeout", "lifetime", "duration", "seconds",
    "length", "len", "size", "min", "max", "count", "file", "path", "dir", "url", "uri",
    "endpoint", "name", "ref", "id", "enabled", "type", "mode", "header", "issuer", "audience",
    "algorithm", "policy",
];

/// Names that suggest a secret, minus names about one (see the lists above).
pub(super) fn is_secret_name(name: &str) -> bool {
    // Every part and word below is a substring of the name's lower-case letters and digits;
    // most names contain none, and are rejected here without splitting them into words.
    let letters: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if !SECRET_NAME_PARTS
        .iter()
        .chain(SECRET_NAME_WORDS)
        .any(|p| letters.contains(p))
    {
        return false;
    }
    let words = split_words(name);
    let Some(last) = words.last() else {
        return false;
    };
    if ABOUT_A_SECRET.contains(&last.as_str()) {
        return false;
    }
    let joined = words.concat();
    SECRET_NAME_PARTS.iter().any(|p| joined.contains(p))
        || words
            .iter()
            .any(|w| SECRET_NAME_WORDS.contains(&w.as_str()))
}

/// Lower-case words of an identifier, split at separators and camelCase humps.
fn split_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The shortest value judged by entropy: shorter literals are too weak a signal.
pub(super) const MIN_SECRET_LEN: usize = 12;

/// Is `value` a random-looking literal (as a generated password or key is), rather than a
/// word, number, path, URL, reference or placeholder? Returns its entropy in bits per
/// character when it is.
pub(super) fn high_entropy(value: &str) -> Option<f64> {
    let len = value.chars().count();
    if len < MIN_SECRET_LEN
        || value.chars().any(char::is_whitespace)
        || value.contains("://")
        || value.starts_with(['/', '~', '.'])
        || is_placeholder(value)
        || value.parse::<f64>().is_ok()
    {
        return None;
    }
    // Generated secrets mix character classes; identifiers and words mostly do not.
    let classes = [
        value.chars().any(|c| c.is_ascii_lowercase()),
        value.chars().any(|c| c.is_ascii_uppercase()),
        value.chars().any(|c| c.is_ascii_digit()),
        value.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|&&c| c).count() < 2 {
        return None;
    }
    let bits = shannon_entropy(value);
    // A string of n characters has at most log2(n) bits per character, so short values get a
    // proportionally lower bar; from 16 characters on the bar is 3.5 bits.
    let threshold = ((len as f64).log2() - 0.6).min(3.5);
    (bits >= threshold).then_some(bits)
}

/// Shannon entropy of the characters of `text`, in bits per character (0 for "").
pub(super) fn shannon_entropy(text: &str) -> f64 {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return 0.0;
    }
    chars.sort_unstable();
    let total = chars.len() as f64;
    chars
        .chunk_by(|a, b| a == b)
        .map(|run| {
            let p = run.len() as f64 / total;
            -p * p.log2()
        })
        .sum()
}

/// Stand-in values, compared with non-alphanumerics removed and lower-cased.
#[rustfmt::skip]
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme", "changeit", "password", "passwd", "secret", "example", "placeholder", "dummy",
    "redacted", "todo", "replaceme", "none", "null", "empty", "test",
];

/// Fragments that mark a stand-in wherever they appear (`your-api-token-here`).
#[rustfmt::skip]
const PLACEHOLDER_FRAGMENTS: &[&str] = &[
    "yourpassword", "yoursecret", "yourtoken", "yourapikey", "replaceme", "changeme",
];

/// References (`$(VAR)`, `${VAR}`, `{{ .Values.x }}`), masks (`****`, `xxxx`), `<...>`
/// slots and the usual stand-in words are not secrets.
pub(super) fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let reference = ["$(", "${", "{{"].iter().any(|r| v.contains(r));
    let slot = v.starts_with('<') && v.ends_with('>');
    let mask = v
        .chars()
        .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_' | '#' | '•'));
    if reference || slot || mask {
        return true;
    }
    let squashed = v
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    PLACEHOLDER_WORDS.contains(&squashed.as_str())
        || PLACEHOLDER_FRAGMENTS.iter().any(|f| squashed.contains(f))
}

/// A secret shown safely: a few leading characters and the length (never more than a
/// quarter of the value).
pub(super) fn redact(secret: &str) -> String {
    let len = secret.chars().count();
    let shown: String = secret.chars().take((len / 4).min(4)).collect();
    format!("{shown}…({len} chars)")
}

/// Decodes standard base64 (padding optional, whitespace ignored); `None` when invalid.
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut padding = 0;
    for b in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            _ => return None,
        };
        if padding > 0 {
            return None; // data after padding
        }
        acc = ((acc << 6) | u32::from(v)) & 0xffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    (padding <= 2 && bits < 6).then_some(out)
}

/// `name = value` / `name: value` assignments in a config file or command line: lines of
/// properties, env, YAML and JSON files, and `NAME=value` / `--name=value` words.
pub(super) fn assignments(text: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        if let Some(pair) = split_assignment(line) {
            found.push(pair);
        } else {
            // A command line: look at each word.
            found.extend(line.split_whitespace().filter_map(|w| {
                let (name, value) = w.split_once('=')?;
                Some((name.trim_start_matches('-'), unquote(value)))
            }));
        }
    }
    found.retain(|(name, value)| is_identifier(name) && !value.is_empty());
    found
}

/// `key = value`, `key: value`, `"key": "value",` on one line.
fn split_assignment(line: &str) -> Option<(&str, &str)> {
    let eq = line.find('=');
    // `:` separates only when followed by a space, so URLs and times stay whole.
    let colon = line
        .find(": ")
        .or_else(|| line.strip_suffix(':').map(str::len));
    let at = match (eq, colon) {
        (Some(e), Some(c)) => e.min(c),
        (Some(i), None) | (None, Some(i)) => i,
        (None, None) => return None,
    };
    let name = unquote(line.get(..at)?.trim()).trim_start_matches('-');
    let value = line.get(at + 1..)?.trim().trim_end_matches(',').trim();
    if name.contains(char::is_whitespace) {
        return None;
    }
    Some((name, unquote(value)))
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        known_secrets(text).into_iter().map(|f| f.kind).collect()
    }

    #[test]
    fn entropy_of_simple_strings() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("ab") - 1.0).abs() < 1e-9);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
        assert!((shannon_entropy("0123456789abcdef") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn high_entropy_needs_length_mixture_and_randomness() {
        assert!(high_entropy("q8Z!v2#Lr9@xT4$kW7pN").is_some());
        assert!(high_entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEFAKEKEY").is_some());
        assert!(high_entropy("x7#Kp2!mQz9L").is_some());
        for weak in [
            "3600",
            "short1A",
            "administrators",
            "aaaaaaaaaaaa1111",
            "/var/run/secrets/token",
            "https://auth.corp.test/token",
            "$(DB_PASSWORD_FROM_SECRET)",
            "${VAULT_TOKEN_REFERENCE}",
            "<your-api-token-goes-here>",
            "changeme-changeme",
            "correct horse battery staple",
            "123456789012345",
        ] {
            assert_eq!(high_entropy(weak), None, "{weak}");
        }
    }

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "dbPassword",
            "api-key",
            "API_KEY",
            "apiKey",
            "client_secret",
            "GITHUB_TOKEN",
            "db.pass",
            "REDIS_PWD",
            "private_key",
            "awsSecretAccessKey",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "TOKEN_TTL",
            "PASSWORD_FILE",
            "SECRET_NAME",
            "tokenUrl",
            "LOG_LEVEL",
            "PASSENGER",
            "COMPASS",
            "SORT_KEY",
            "",
            "AWS_ACCESS_KEY_ID",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn finds_known_formats() {
        assert_eq!(kinds("key=AKIAPALISADEFAKE0001"), ["AWS access key ID"]);
        assert_eq!(kinds("AKIAPALISADEFAKE00012345"), Vec::<&str>::new());
        assert_eq!(kinds("XAKIAPALISADEFAKE0001"), Vec::<&str>::new());
        assert_eq!(
            kinds("ghp_Pa1isadeFakeT0kenNotReal000000000000"),
            ["GitHub token"]
        );
        assert_eq!(kinds("glpat-PalisadeFake00000000"), ["GitLab token"]);
        assert_eq!(
            kinds(
                "-----BEGIN CERTIFICATE-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnz\n"
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            kinds("-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----"),
            Vec::<&str>::new()
        );
        assert_eq!(
            kinds("-----BEGIN EC PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnz\n-----END EC PRIVATE KEY-----"),
            ["private key"]
        );
        assert_eq!(
            kinds("postgres://app:Fake-Pa55w0rd@db.app.svc:5432/orders"),
            ["password in a URL"]
        );
        assert_eq!(
            kinds("postgres://app:$(DB_PASSWORD)@db:5432/x"),
            Vec::<&str>::new()
        );
        assert_eq!(kinds("https://user@host.test/path"), Vec::<&str>::new());
        assert_eq!(kinds("http://host.test:8080/a:b@c"), Vec::<&str>::new());
        assert_eq!(
            kinds("jdbc:sqlserver://db.test;user=app;Password=Fake-Pa55;encrypt=true"),
            ["password in a connection string"]
        );
        assert_eq!(
            kinds("https://db.test/?user=a&password=changeme"),
            Vec::<&str>::new()
        );
        let jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwYWxpc2FkZS1mYWtlIn0.ZmFrZS1zaWduYXR1cmUtbm90LXJlYWw";
        assert_eq!(kinds(jwt), ["JSON Web Token"]);
        assert_eq!(kinds("eyJhbGciOiJIUzI1NiJ9"), Vec::<&str>::new());
        // Arbitrary text never panics.
        for s in [
            "://",
            "a://@",
            "a://:@",
            "-----BEGIN ",
            "eyJ.eyJ.",
            "é://é:é@é",
            ";pwd=",
            "💥AKIA💥",
        ] {
            let _ = known_secrets(s);
        }
    }

    #[test]
    fn redacts_to_a_short_prefix_and_length() {
        assert_eq!(redact("AKIAPALISADEFAKE0001"), "AKIA…(20 chars)");
        assert_eq!(redact("hunter2"), "h…(7 chars)");
        assert_eq!(redact("abc"), "…(3 chars)");
        assert_eq!(redact("ééééééééé"), "éé…(9 chars)");
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(decode_base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("aGVs\nbG8"), Some(b"hello".to_vec()));
        assert_eq!(decode_base64(""), Some(Vec::new()));
        assert_eq!(decode_base64("a=b="), None);
        assert_eq!(decode_base64("!!!!"), None);
        assert_eq!(decode_base64("a"), None);
    }

    #[test]
    fn finds_assignments_in_files_and_command_lines() {
        let text = "# comment\nspring.datasource.password=Fake#Pa55\n\"apiKey\": \"abc\",\nurl: http://x.test:80\nexport TOKEN='t'\n";
        assert_eq!(
            assignments(text),
            [
                ("spring.datasource.password", "Fake#Pa55"),
                ("apiKey", "abc"),
                ("url", "http://x.test:80"),
                ("TOKEN", "t")
            ]
        );
        assert_eq!(
            assignments("--db-password=Fake#Pa55"),
            [("db-password", "Fake#Pa55")]
        );
        assert_eq!(assignments("run --token=abc --verbose"), [("token", "abc")]);
    }
}
