//! Names that hold a secret (`DB_PASSWORD`, `apiKey`, `client-secret`, `--db-password`),
//! as opposed to names *about* one (`PASSWORD_FILE`, `TOKEN_URL`, `secretKeyRef`,
//! `existingSecret`, `tokenTTL`). Case- and separator-insensitive.

use super::values::contains_ci;

/// Cheap first gate, one pass and no allocation: every secret-like name contains `pass`,
/// `pw`, `secret`, `token`, `key` or `cred` (ASCII, any case). Most keys of a manifest
/// (`name`, `image`, `port`) contain none.
fn has_needle(name: &str) -> bool {
    let b = name.as_bytes();
    // `| 0x20` lower-cases ASCII letters and maps no other byte onto the letters below.
    let lower = |i: usize| b.get(i).map_or(0, |c| c | 0x20);
    b.iter().enumerate().any(|(i, &c)| match c | 0x20 {
        b'p' => {
            (lower(i + 1) == b'a' && lower(i + 2) == b's' && lower(i + 3) == b's')
                || lower(i + 1) == b'w'
        }
        b's' => lower(i + 1) == b'e' && lower(i + 2) == b'c' && lower(i + 3) == b'r',
        b't' => lower(i + 1) == b'o' && lower(i + 2) == b'k' && lower(i + 3) == b'e',
        b'k' => lower(i + 1) == b'e' && lower(i + 2) == b'y',
        b'c' => lower(i + 1) == b'r' && lower(i + 2) == b'e' && lower(i + 3) == b'd',
        _ => false,
    })
}

/// Most words a name is split into; later humps extend the last word.
const MAX_WORDS: usize = 32;

/// The lower-case words of a name, split at separators (anything but ASCII letters and
/// digits) and camelCase humps (`awsSecretAccessKey` → aws, secret, access, key;
/// `tokenTTL` → token, ttl), in a fixed buffer: no allocation on this hot path.
struct Words {
    buf: [u8; 128],
    len: usize,
    starts: [usize; MAX_WORDS],
    count: usize,
}

impl Words {
    /// `None` for names longer than the buffer (no real name is).
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
                *w.starts.get_mut(w.count)? = w.len;
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
        let start = self.starts.get(k).copied().unwrap_or(self.len);
        let end = if k + 1 < self.count {
            self.starts.get(k + 1).copied().unwrap_or(self.len)
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
/// `SECRET_NAME`, `tokenUrl`, `AWS_ACCESS_KEY_ID`, `secretKeyRef`).
#[rustfmt::skip]
const ABOUT: &[&str] = &[
    "ttl", "expiry", "expires", "expiration", "timeout", "lifetime", "duration", "seconds",
    "length", "len", "size", "min", "max", "count", "file", "files", "path", "paths", "dir",
    "url", "uri", "endpoint", "name", "names", "ref", "refs", "id", "ids", "enabled", "disabled",
    "enable", "type", "mode", "header", "issuer", "audience", "algorithm", "alg", "policy",
    "arn", "version", "class", "store", "provider", "format", "prefix", "suffix", "field",
    "env", "kind", "regex", "pattern", "template", "label", "selector", "mount", "volume",
    "namespace", "source", "scope", "scopes", "method", "location", "interval", "period",
    "required", "rotation", "strategy", "generator", "backend", "reference", "keyref", "query",
    "cache", "config", "mountpath", "host", "port", "user", "username", "usage", "retries",
    "hash", "digest", "checksum", "annotation", "resource", "sha", "fingerprint", "sync",
    "encryption", "encoding", "hasher", "hashing", "complexity", "strength", "reset", "lockout",
    "history", "rules", "requirements", "validation", "verification", "authentication",
    "charset", "webhook", "role", "stdin",
];

/// First words that make the name a pointer or a switch (`existingSecret`,
/// `useSecretStore`, `create-secret`, `SKIP_TOKEN`).
#[rustfmt::skip]
const ABOUT_FIRST: &[&str] = &[
    "existing", "use", "create", "skip", "enable", "disable", "require", "required", "show",
    "hide", "mount", "generate", "auto", "rotate", "sync", "no", "with", "is", "has", "allow",
];

/// Does `name` suggest that its value is a secret?
pub(crate) fn is_secret_name(name: &str) -> bool {
    if name.len() > 128 || !has_needle(name) {
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
    fn aws_secret_names() {
        assert!(is_aws_secret_name("AWS_SECRET_ACCESS_KEY"));
        assert!(is_aws_secret_name("secretAccessKey"));
        assert!(!is_aws_secret_name("AWS_ACCESS_KEY_ID"));
    }
}
