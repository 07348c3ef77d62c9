//! Names that hold a secret (`DB_PASSWORD`, `apiKey`, `client-secret`, `--db-password`),
//! as opposed to names *about* one (`PASSWORD_FILE`, `TOKEN_URL`, `secretKeyRef`,
//! `existingSecret`, `tokenTTL`). Case- and separator-insensitive.

use super::pass::{next_marked, NEEDLE};
use super::values::contains_ci;

/// Cheap first gate, one pass and no allocation: every secret-like name contains `pass`,
/// `pw`, `secret`, `token`, `key` or `cred` (ASCII, any case). Most keys of a manifest
/// (`name`, `image`, `port`) contain none. Only where a pair of bytes may start one
/// (`pa`, `pw`, `se`, `to`, `ke`, `cr`, in the scanning pass's pair table) is it checked.
#[inline]
pub(super) fn has_needle(name: &str) -> bool {
    let b = name.as_bytes();
    let mut from = 0;
    while let Some((i, _)) = next_marked(b, from, NEEDLE) {
        from = i + 1;
        if needle_at(b, i) {
            return true;
        }
    }
    false
}

/// True when one of the needles starts at byte `i` of `b` (ASCII, any case).
#[inline]
fn needle_at(b: &[u8], i: usize) -> bool {
    // `| 0x20` lower-cases ASCII letters and maps no other byte onto the letters below.
    let lower = |i: usize| b.get(i).map_or(0, |c| c | 0x20);
    match lower(i) {
        b'p' => {
            (lower(i + 1) == b'a' && lower(i + 2) == b's' && lower(i + 3) == b's')
                || lower(i + 1) == b'w'
        }
        b's' => lower(i + 1) == b'e' && lower(i + 2) == b'c' && lower(i + 3) == b'r',
        b't' => lower(i + 1) == b'o' && lower(i + 2) == b'k' && lower(i + 3) == b'e',
        b'k' => lower(i + 1) == b'e' && lower(i + 2) == b'y',
        b'c' => lower(i + 1) == b'r' && lower(i + 2) == b'e' && lower(i + 3) == b'd',
        _ => false,
    }
}

/// Most words a name is split into; later humps extend the last word.
const MAX_WORDS: usize = 32;

/// The lower-case words of a name, split at separators (anything but ASCII letters and
/// digits) and camelCase humps (`awsSecretAccessKey` → aws, secret, access, key;
/// `tokenTTL` → token, ttl), in a fixed buffer: no allocation on this hot path.
struct Words {
    buf: [u8; 128],
    len: usize,
    /// Word starts in `buf` (`buf` is at most 128 bytes long).
    starts: [u8; MAX_WORDS],
    count: usize,
}

impl Words {
    /// `None` for names longer than the buffer (no real name is).
    #[inline]
    fn of(name: &str) -> Option<Words> {
        let mut w = Words {
            buf: [0; 128],
            len: 0,
            starts: [0; MAX_WORDS],
            count: 0,
        };
        let mut in_word = false;
        let mut prev_lower = false;
        for &c in name.as_bytes() {
            if !c.is_ascii_alphanumeric() {
                in_word = false;
                prev_lower = false;
                continue;
            }
            let hump = c.is_ascii_uppercase() && prev_lower;
            if (!in_word || hump) && w.count < MAX_WORDS {
                *w.starts.get_mut(w.count)? = u8::try_from(w.len).ok()?;
                w.count += 1;
            }
            in_word = true;
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            *w.buf.get_mut(w.len)? = c.to_ascii_lowercase();
            w.len += 1;
        }
        Some(w)
    }

    fn word(&self, k: usize) -> &[u8] {
        let start = self.starts.get(k).map_or(self.len, |&s| usize::from(s));
        let end = if k + 1 < self.count {
            self.starts.get(k + 1).map_or(self.len, |&s| usize::from(s))
        } else {
            self.len
        };
        self.buf.get(start..end).unwrap_or_default()
    }

    fn joined(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    fn has_part(&self, part: &str) -> bool {
        let (j, p) = (self.joined(), part.as_bytes());
        j.len() >= p.len() && j.windows(p.len()).any(|w| w == p)
    }

    fn has_word(&self, word: &str) -> bool {
        (0..self.count).any(|k| self.word(k) == word.as_bytes())
    }
}

/// Words that make a name secret-like, matched inside the name's letters and digits
/// (`DB_PASSWORD`, `apiKey`, `client-secret`, `awsSecretAccessKey`).
#[rustfmt::skip]
const PARTS: &[&str] = &[
    "password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "credential",
    "accesskey", "authkey", "signingkey", "encryptionkey", "masterkey", "secretkey",
];

/// Short words that count only as a whole word (`DB_PASS`, `REDIS_PWD`, not `PASSENGER`).
const WORDS: &[&str] = &["pass", "pwd", "pw"];

/// Last words of names about a secret rather than of one (`TOKEN_TTL`, `PASSWORD_FILE`,
/// `SECRET_NAME`, `tokenUrl`, `AWS_ACCESS_KEY_ID`, `secretKeyRef`). Sorted: looked up by
/// binary search.
#[rustfmt::skip]
const ABOUT: &[&str] = &[
    "alg", "algorithm", "annotation", "arn", "audience", "authentication", "backend", "cache",
    "charset", "checksum", "class", "complexity", "config", "count", "digest", "dir", "disabled",
    "duration", "enable", "enabled", "encoding", "encryption", "endpoint", "env", "expiration",
    "expires", "expiry", "field", "file", "files", "fingerprint", "format", "generator", "hash",
    "hasher", "hashing", "header", "history", "host", "id", "ids", "interval", "issuer", "keyref",
    "kind", "label", "len", "length", "lifetime", "location", "lockout", "max", "method", "min",
    "mode", "mount", "mountpath", "name", "names", "namespace", "path", "paths", "pattern",
    "period", "policy", "port", "prefix", "provider", "query", "ref", "reference", "refs",
    "regex", "required", "requirements", "reset", "resource", "retries", "role", "rotation",
    "rules", "scope", "scopes", "seconds", "selector", "sha", "size", "source", "stdin", "store",
    "strategy", "strength", "suffix", "sync", "template", "timeout", "ttl", "type", "uri", "url",
    "usage", "user", "username", "validation", "verification", "version", "volume", "webhook",
];

/// First words that make the name a pointer or a switch (`existingSecret`,
/// `useSecretStore`, `create-secret`, `SKIP_TOKEN`). Sorted, as [`ABOUT`].
#[rustfmt::skip]
const ABOUT_FIRST: &[&str] = &[
    "allow", "auto", "create", "disable", "enable", "existing", "generate", "has", "hide", "is",
    "mount", "no", "require", "required", "rotate", "show", "skip", "sync", "use", "with",
];

/// A name with the one fact about it that the hot path needs: whether it holds a needle
/// ([`has_needle`]), found once and shared by the checks that gate on it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Name<'a> {
    /// The name.
    pub text: &'a str,
    /// `has_needle(text)`.
    pub needle: bool,
}

impl<'a> Name<'a> {
    /// Looks at `text` once.
    #[inline]
    pub(super) fn of(text: &'a str) -> Name<'a> {
        Name {
            text,
            needle: has_needle(text),
        }
    }

    /// [`is_secret_name`].
    #[inline]
    pub(super) fn is_secret(self) -> bool {
        self.needle && self.text.len() <= 128 && secret_by_words(self.text)
    }
}

/// Does `name` suggest that its value is a secret?
pub(crate) fn is_secret_name(name: &str) -> bool {
    Name::of(name).is_secret()
}

/// The rest of [`is_secret_name`], for a name of at most 128 bytes with a needle.
#[inline(never)]
fn secret_by_words(name: &str) -> bool {
    let Some(words) = Words::of(name) else {
        return false;
    };
    if words.count == 0 {
        return false;
    }
    let is_in = |list: &[&str], w: &[u8]| list.binary_search_by(|x| x.as_bytes().cmp(w)).is_ok();
    // The secret-like parts first: most names with a needle (`key0`, `monkey`) have none,
    // and then the lists of names about a secret need no look-up.
    let secret_like =
        PARTS.iter().any(|p| words.has_part(p)) || WORDS.iter().any(|w| words.has_word(w));
    secret_like
        && !is_in(ABOUT, words.word(words.count - 1))
        && !(words.count > 1 && is_in(ABOUT_FIRST, words.word(0)))
}

/// The secret-like parts of a name (`auth-secret` → secret; `DB_PASSWORD` → password).
pub(super) fn secret_words(name: &str) -> Vec<&'static str> {
    let Some(words) = Words::of(name) else {
        return Vec::new();
    };
    let mut found: Vec<&'static str> = PARTS
        .iter()
        .copied()
        .filter(|p| words.has_part(p))
        .collect();
    found.extend(WORDS.iter().copied().filter(|w| words.has_word(w)));
    found
}

/// Is this an AWS secret access key's name (`AWS_SECRET_ACCESS_KEY`,
/// `aws_secret_access_key`, `awsSecretKey`)?
pub(super) fn is_aws_secret_name(name: &str) -> bool {
    contains_ci(name, "secret") && (contains_ci(name, "aws") || contains_ci(name, "accesskey"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "dbPassword",
            "db-password",
            "api-key",
            "API_KEY",
            "APIKEY",
            "apiKey",
            "client_secret",
            "GITHUB_TOKEN",
            "db.pass",
            "REDIS_PWD",
            "MYSQL_ROOT_PASSWD",
            "private_key",
            "awsSecretAccessKey",
            "SECRET_KEY",
            "JWT_SECRET",
            "refresh_token",
            "spring.datasource.password",
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            "MINIO_ACCESS_KEY",
            "--db-password",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn names_about_secrets() {
        for n in [
            "TOKEN_TTL",
            "tokenTTL",
            "PASSWORD_FILE",
            "TOKEN_PATH",
            "SECRET_NAME",
            "secretName",
            "secretKeyRef",
            "existingSecret",
            "DB_SECRET_REF",
            "tokenUrl",
            "TOKEN_URL",
            "PASSWORD_MIN_LENGTH",
            "LOG_LEVEL",
            "PASSENGER",
            "COMPASS",
            "SORT_KEY",
            "KEY",
            "",
            "AWS_ACCESS_KEY_ID",
            "passwordPolicy",
            "useSecretStore",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        for list in [ABOUT, ABOUT_FIRST] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
        // Every listed word is found, and a word in neither list is not.
        let words = Words::of("secretFoo").unwrap();
        assert_eq!(words.count, 2);
        for list in [ABOUT, ABOUT_FIRST] {
            for w in list {
                assert!(list.binary_search(w).is_ok(), "{w}");
            }
        }
        assert!(is_secret_name("TOKEN_FOO") && !is_secret_name("TOKEN_TTL"));
    }

    /// The needle search at every byte, without the pair table (the table is what the test
    /// holds to it).
    fn has_needle_bytewise(name: &str) -> bool {
        let b = name.as_bytes();
        (0..b.len()).any(|i| needle_at(b, i))
    }

    /// [`is_secret_name`] with linear look-ups, names about a secret judged first.
    fn is_secret_name_linear(name: &str) -> bool {
        if name.len() > 128 || !has_needle_bytewise(name) {
            return false;
        }
        let Some(words) = Words::of(name) else {
            return false;
        };
        if words.count == 0 {
            return false;
        }
        let is_in = |list: &[&str], w: &[u8]| list.iter().any(|x| x.as_bytes() == w);
        if is_in(ABOUT, words.word(words.count - 1))
            || (words.count > 1 && is_in(ABOUT_FIRST, words.word(0)))
        {
            return false;
        }
        PARTS.iter().any(|p| words.has_part(p)) || WORDS.iter().any(|w| words.has_word(w))
    }

    /// Names: the samples, every listed word alone and around secret-like parts.
    fn names() -> Vec<String> {
        let mut out = super::super::pass::tests::samples();
        for w in ABOUT.iter().chain(ABOUT_FIRST).chain(PARTS).chain(WORDS) {
            for p in ["", "password", "API_KEY", "secret", "pw", "key"] {
                out.push(format!("{p}_{w}"));
                out.push(format!("{w}_{p}"));
                out.push(format!("{w}{}", p.to_uppercase()));
            }
        }
        out.push("x".repeat(129) + "password");
        out
    }

    #[test]
    fn fast_paths_match_the_plain_searches() {
        let mut secret = 0;
        for name in names() {
            assert_eq!(has_needle(&name), has_needle_bytewise(&name), "{name:?}");
            let verdict = is_secret_name(&name);
            assert_eq!(verdict, is_secret_name_linear(&name), "{name:?}");
            secret += usize::from(verdict);
            // The AWS scanner skips names without a needle.
            if is_aws_secret_name(&name) {
                assert!(has_needle(&name), "{name:?}");
            }
        }
        assert!(secret > 200, "{secret}");
    }

    #[test]
    fn aws_secret_names() {
        assert!(is_aws_secret_name("AWS_SECRET_ACCESS_KEY"));
        assert!(is_aws_secret_name("secretAccessKey"));
        assert!(!is_aws_secret_name("AWS_ACCESS_KEY_ID"));
    }
}
