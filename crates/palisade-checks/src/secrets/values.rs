//! Judging values: what is clearly not a secret (references, paths, placeholders, flags,
//! numbers), redaction for evidence, base64 for ConfigMap `binaryData`, and a few byte-level
//! helpers the scanners share. Pure functions; none panics on any input.

/// Letters, digits and `_`: the characters a token runs on, and what may not touch its ends.
pub(super) fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Finds `needle` (ASCII, lower-case) in `hay` ignoring ASCII case, from `from` on.
pub(super) fn find_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let first = *n.first()?;
    let last_start = h.len().checked_sub(n.len())?;
    (from..=last_start).find(|&i| {
        h.get(i).is_some_and(|b| b.to_ascii_lowercase() == first)
            && h.get(i..i + n.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(n))
    })
}

/// True when `hay` contains `needle` (ASCII, lower-case) in any case.
pub(super) fn contains_ci(hay: &str, needle: &str) -> bool {
    find_ci(hay, needle, 0).is_some()
}

/// Stand-in values, compared with non-alphanumerics removed and lower-cased.
#[rustfmt::skip]
const PLACEHOLDER_WORDS: &[&str] = &[
    "changeme", "changeit", "password", "passwd", "secret", "example", "placeholder", "dummy",
    "redacted", "todo", "tbd", "replaceme", "none", "null", "nil", "empty", "test", "fixme",
    "undefined", "notset", "unset", "default", "token", "apikey", "value", "string", "foo",
    "bar", "foobar", "mysecret", "mypassword", "secretvalue", "yoursecret",
];

/// Fragments that mark a stand-in wherever they appear (`your-api-token-here`).
#[rustfmt::skip]
const PLACEHOLDER_FRAGMENTS: &[&str] = &[
    "yourpassword", "yoursecret", "yourtoken", "yourapikey", "yourkey", "replaceme", "changeme",
    "changethis", "insertyour", "puthere", "gohere", "goeshere", "redacted",
];

/// Openings of fill-me-in values (`INSERT_ETCD_TOKEN`, `REPLACE_WITH_KEY`, `YOUR_API_KEY`).
const STAND_IN_STARTS: &[&str] = &[
    "insert",
    "replace",
    "your",
    "enteryour",
    "putyour",
    "fillin",
];

/// References (`$(VAR)`, `${VAR}`, `$VAR`, `{{ .Values.x }}`, `%(x)s`), masks (`****`,
/// `xxxx`), `<...>` slots and the usual stand-in words are not secrets.
pub(super) fn is_placeholder(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    if v.is_empty() {
        return true;
    }
    // `ENC[AES256_GCM,...]` is a SOPS-encrypted value: encrypted, not a secret in clear.
    let reference = ["$(", "${", "{{", "%(", "#{", "@@", "ENC["]
        .iter()
        .any(|r| v.contains(r))
        || (v.starts_with('$') && v.len() > 1);
    let slot = (v.starts_with('<') && v.ends_with('>')) || (v.starts_with('[') && v.ends_with(']'));
    let mask = v
        .chars()
        .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_' | '#' | '•' | '?'));
    if reference || slot || mask {
        return true;
    }
    // Squashing allocates, so only short values (stand-ins are short) get that far.
    if v.len() > 64 {
        return false;
    }
    let squashed: String = v
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    squashed.is_empty()
        || PLACEHOLDER_WORDS.contains(&squashed.as_str())
        || PLACEHOLDER_FRAGMENTS.iter().any(|f| squashed.contains(f))
        || (squashed.starts_with("your") && squashed.ends_with("here"))
        || STAND_IN_STARTS.iter().any(|p| squashed.starts_with(p))
        || squashed.chars().all(|c| c == 'x')
}

/// YAML and env-file spellings of a flag.
const FLAGS: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "y", "n", "enabled", "disabled",
];

/// Is `value`, found under a secret-like name, clearly *not* a secret? Empty values,
/// placeholders and references, paths (`/run/secrets/db`, `./x`, `~/x`, `file:...`), URLs
/// without credentials (the URL scanner reports those that have them), flags and numbers.
pub(super) fn is_not_a_secret(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || is_placeholder(v) {
        return true;
    }
    let path = v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("../")
        || v.starts_with("~/")
        || v.starts_with("file:")
        || v.starts_with("secret:")
        || v.starts_with("vault:")
        || v.starts_with("arn:aws:");
    let url = v.contains("://");
    let flag = FLAGS.iter().any(|f| v.eq_ignore_ascii_case(f));
    let number = v.parse::<f64>().is_ok()
        || (v.len() > 1
            && v.ends_with(['s', 'm', 'h', 'd'])
            && v[..v.len() - 1].bytes().all(|b| b.is_ascii_digit()));
    path || url || flag || number
}

/// A secret shown safely: a few leading characters and the length (never more than a
/// quarter of the value, at most four characters).
pub(crate) fn redact(secret: &str) -> String {
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
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_references() {
        for p in [
            "",
            "changeme",
            "CHANGE_ME",
            "${DB_PASSWORD}",
            "$(DB_PASSWORD)",
            "$DB_PASSWORD",
            "{{ .Values.db.password }}",
            "<password>",
            "your-token-here",
            "REDACTED",
            "***",
            "xxxxxxxx",
            "[secret]",
            "%(password)s",
            "INSERT_ETCD_INITIAL_CLUSTER_TOKEN",
            "YOUR_API_KEY",
            "ENC[AES256_GCM,data:EXAMPLE,iv:EXAMPLE,tag:EXAMPLE,type:str]",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for s in ["hunter2", "Fake-Pa55w0rd", "s3cr3t-EXAMPLE"] {
            assert!(!is_placeholder(s), "{s}");
        }
    }

    #[test]
    fn not_secrets() {
        for v in [
            "/run/secrets/db",
            "./token",
            "true",
            "No",
            "3600",
            "30s",
            "https://vault.test/v1/secret",
            "0.5",
        ] {
            assert!(is_not_a_secret(v), "{v}");
        }
        for v in ["hunter2", "p@ss w0rd", "a"] {
            assert!(!is_not_a_secret(v), "{v}");
        }
    }

    #[test]
    fn case_insensitive_search() {
        assert_eq!(find_ci("xAuthorization: y", "authorization", 0), Some(1));
        assert_eq!(find_ci("ab", "abc", 0), None);
        assert_eq!(find_ci("é", "a", 0), None);
        assert!(contains_ci("DB_PASSWORD", "pass"));
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
}
