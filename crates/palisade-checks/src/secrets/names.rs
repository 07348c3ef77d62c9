//! Names that hold a secret (`DB_PASSWORD`, `apiKey`, `client-secret`, `--db-password`),
//! as opposed to names *about* one (`PASSWORD_FILE`, `TOKEN_URL`, `secretKeyRef`,
//! `existingSecret`, `tokenTTL`). Case- and separator-insensitive.

use super::values::contains_ci;

/// Cheap first gate, without allocating: every secret-like name contains one of these
/// (ASCII, any case). Most keys of a manifest (`name`, `image`, `port`) contain none.
const NEEDLES: &[&str] = &["pass", "pwd", "secret", "token", "key", "cred"];

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
    if name.len() > 128 || !NEEDLES.iter().any(|n| contains_ci(name, n)) {
        return false;
    }
    let words = split_words(name);
    let (Some(first), Some(last)) = (words.first(), words.last()) else {
        return false;
    };
    if ABOUT.contains(&last.as_str()) || (words.len() > 1 && ABOUT_FIRST.contains(&first.as_str()))
    {
        return false;
    }
    let joined = words.concat();
    PARTS.iter().any(|p| joined.contains(p)) || words.iter().any(|w| WORDS.contains(&w.as_str()))
}

/// The secret-like parts of a name (`auth-secret` → secret; `DB_PASSWORD` → password).
pub(super) fn secret_words(name: &str) -> Vec<&'static str> {
    let words = split_words(name);
    let joined = words.concat();
    let mut found: Vec<&'static str> = PARTS
        .iter()
        .copied()
        .filter(|p| joined.contains(p))
        .collect();
    found.extend(
        WORDS
            .iter()
            .copied()
            .filter(|w| words.iter().any(|x| x == w)),
    );
    found
}

/// Is this an AWS secret access key's name (`AWS_SECRET_ACCESS_KEY`,
/// `aws_secret_access_key`, `awsSecretKey`)?
pub(super) fn is_aws_secret_name(name: &str) -> bool {
    contains_ci(name, "secret") && (contains_ci(name, "aws") || contains_ci(name, "accesskey"))
}

/// Lower-case words of an identifier, split at separators and camelCase humps
/// (`awsSecretAccessKey` → aws, secret, access, key; `tokenTTL` → token, ttl).
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
