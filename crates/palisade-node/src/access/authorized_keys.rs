//! `authorized_keys` files (sshd(8) AUTHORIZED_KEYS FILE FORMAT; OpenSSH auth-options.c
//! `sshauthopt_parse`): `[options] keytype base64 [comment]` per line. An option sshd does
//! not know makes it skip the line, so such a line grants nothing and is reported.

use serde::Serialize;

use super::keyblob::{self, KeyInfo};
use super::rootfs::{Diagnostic, RootFs};

/// Key options sshd accepts (the restricting ones, `restrict`'s re-enabling ones, and
/// those that carry values).
const KNOWN_OPTIONS: &[&str] = &[
    "agent-forwarding",
    "cert-authority",
    "command",
    "environment",
    "expiry-time",
    "from",
    "no-agent-forwarding",
    "no-port-forwarding",
    "no-pty",
    "no-touch-required",
    "no-user-rc",
    "no-x11-forwarding",
    "permitlisten",
    "permitopen",
    "port-forwarding",
    "principals",
    "pty",
    "restrict",
    "touch-required",
    "tunnel",
    "user-rc",
    "verify-required",
    "x11-forwarding",
];

/// Minimum RSA modulus considered strong (NIST SP 800-131A; OpenSSH refuses < 1024 since
/// 7.6 and Debian's policy warns below 2048).
pub const MIN_RSA_BITS: u32 = 2048;

/// One option of a key line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyOption {
    /// Name, lowercase.
    pub name: String,
    /// Value, unquoted, for `name="value"` options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// One usable key line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizedKey {
    /// File (path in the node).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// Key type as written.
    pub key_type: String,
    /// What the blob holds.
    #[serde(flatten)]
    pub info: KeyInfo,
    /// Comment (often who the key belongs to).
    pub comment: String,
    /// Options, in order.
    pub options: Vec<KeyOption>,
    /// Why the key is weak, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weak: Option<String>,
}

impl AuthorizedKey {
    /// The value of an option (`from`, `command`).
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|o| o.name == name)
            .and_then(|o| o.value.as_deref())
    }

    /// Does the line carry the option (with or without a value)?
    pub fn has(&self, name: &str) -> bool {
        self.options.iter().any(|o| o.name == name)
    }

    /// Is the key limited to some source addresses or to one command?
    pub fn restricted(&self) -> bool {
        self.option("from").is_some() || self.option("command").is_some()
    }

    /// A short summary of the limits (`from=10.0.0.0/8 command restrict`).
    pub fn restrictions(&self) -> String {
        let mut parts = Vec::new();
        if let Some(f) = self.option("from") {
            parts.push(format!("from={f}"));
        }
        if self.option("command").is_some() {
            parts.push("command".to_string());
        }
        for flag in ["restrict", "no-pty", "no-port-forwarding", "cert-authority"] {
            if self.has(flag) {
                parts.push(flag.to_string());
            }
        }
        parts.join(" ")
    }
}

/// Parses an authorized_keys text; unusable lines become diagnostics.
pub fn parse(fs: &RootFs, file: &str, text: &str) -> (Vec<AuthorizedKey>, Vec<Diagnostic>) {
    let mut keys = Vec::new();
    let mut diags = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match parse_line(trimmed) {
            Ok(mut key) => {
                key.file = file.to_string();
                key.line = line;
                keys.push(key);
            }
            Err(msg) => diags.push(fs.diag(file, Some(line), msg)),
        }
    }
    (keys, diags)
}

fn parse_line(line: &str) -> Result<AuthorizedKey, String> {
    let (options, rest) = if starts_with_key_type(line) {
        (Vec::new(), line)
    } else {
        let (options, rest) = split_options(line)?;
        (options, rest.trim_start())
    };
    let mut words = rest.splitn(3, char::is_whitespace);
    let key_type = words.next().unwrap_or_default().to_string();
    if !is_key_type(&key_type) {
        return Err(format!(
            "not a key line: {} is not a key type",
            truncate(&key_type, 40)
        ));
    }
    for o in &options {
        if !KNOWN_OPTIONS.contains(&o.name.as_str()) {
            return Err(format!(
                "unknown key option {}; sshd skips this key",
                o.name
            ));
        }
    }
    let blob = words.next().unwrap_or_default().trim();
    if blob.is_empty() {
        return Err(format!("{key_type} key without key data"));
    }
    let info = keyblob::inspect(blob)?;
    if info.algorithm != key_type {
        return Err(format!(
            "key type {key_type} but the key data holds {}",
            truncate(&info.algorithm, 40)
        ));
    }
    let weak = weakness(&info);
    Ok(AuthorizedKey {
        file: String::new(),
        line: 0,
        key_type,
        info,
        comment: words.next().unwrap_or_default().trim().to_string(),
        options,
        weak,
    })
}

/// Why a key is weak: DSA (1024-bit by definition, disabled by OpenSSH 7.0) or RSA below
/// [`MIN_RSA_BITS`].
pub fn weakness(info: &KeyInfo) -> Option<String> {
    match (info.algorithm.as_str(), info.bits) {
        ("ssh-dss", bits) => Some(format!(
            "DSA key ({} bits): DSA is broken and disabled by default since OpenSSH 7.0",
            bits.unwrap_or(0)
        )),
        ("ssh-rsa", Some(bits)) if bits < MIN_RSA_BITS => {
            Some(format!("RSA key of {bits} bits (under {MIN_RSA_BITS})"))
        }
        _ => None,
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn starts_with_key_type(line: &str) -> bool {
    is_key_type(line.split_whitespace().next().unwrap_or_default())
}

fn is_key_type(word: &str) -> bool {
    matches!(word, "ssh-rsa" | "ssh-dss" | "ssh-ed25519" | "ssh-ed448")
        || word.starts_with("ecdsa-sha2-")
        || word.starts_with("sk-ecdsa-sha2-")
        || word.starts_with("sk-ssh-ed25519")
        || word.ends_with("-cert-v01@openssh.com")
}

/// Splits the leading option list (`a,b="x, y",c`) from the rest of the line; quotes may
/// hold commas, blanks and `\"`.
fn split_options(line: &str) -> Result<(Vec<KeyOption>, &str), String> {
    let mut options = Vec::new();
    let mut name = String::new();
    let mut value: Option<String> = None;
    let mut in_quotes = false;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if in_quotes {
            match c {
                '\\' if chars.peek().is_some_and(|&(_, n)| n == '"') => {
                    chars.next();
                    value.get_or_insert_with(String::new).push('"');
                }
                '"' => in_quotes = false,
                _ => value.get_or_insert_with(String::new).push(c),
            }
            continue;
        }
        match c {
            '"' if value.is_some() => in_quotes = true,
            '=' if value.is_none() => value = Some(String::new()),
            ',' | ' ' | '\t' => {
                options.push(finish(&mut name, &mut value)?);
                if c != ',' {
                    return Ok((options, &line[i..]));
                }
            }
            _ => match &mut value {
                Some(v) => v.push(c),
                None => name.push(c),
            },
        }
    }
    if in_quotes {
        return Err("unterminated quote in key options".to_string());
    }
    Err("key options without a key".to_string())
}

fn finish(name: &mut String, value: &mut Option<String>) -> Result<KeyOption, String> {
    if name.is_empty() {
        return Err("empty key option".to_string());
    }
    Ok(KeyOption {
        name: std::mem::take(name).to_ascii_lowercase(),
        value: value.take(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // An Ed25519 public key made for these tests with ssh-keygen.
    const ED: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIHC7coE2mN9KXO5ooLd2HDJDXQoaXPEQT0JAHqpWzO0p";
    // `ssh-keygen -lf` of that key.
    const ED_FP: &str = "SHA256:Yl792XWAbdXCsFecJ0K0O1cS0dfs/cvKGOOyTn1Cvl0";

    #[test]
    fn options_with_quotes_commas_and_escapes_are_split() {
        let line = format!(
            "from=\"10.0.0.0/8,192.0.2.1\",command=\"echo \\\"hi, there\\\"\",no-pty ssh-ed25519 {ED} ops@laptop"
        );
        let key = parse_line(&line).unwrap();
        assert_eq!(key.option("from"), Some("10.0.0.0/8,192.0.2.1"));
        assert_eq!(key.option("command"), Some("echo \"hi, there\""));
        assert!(key.has("no-pty"));
        assert_eq!(key.comment, "ops@laptop");
        assert_eq!(key.info.bits, Some(256));
        assert_eq!(key.info.fingerprint, ED_FP);
        assert!(key.restricted());
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(parse_line("hello world")
            .unwrap_err()
            .contains("not a key type"));
        assert!(parse_line(&format!("bogus-opt ssh-ed25519 {ED}"))
            .unwrap_err()
            .contains("unknown key option"));
        assert!(parse_line("ssh-rsa")
            .unwrap_err()
            .contains("without key data"));
        assert!(parse_line(&format!("ssh-rsa {ED}"))
            .unwrap_err()
            .contains("holds ssh-ed25519"));
        assert!(parse_line("from=\"x ssh-ed25519 AAAA").is_err());
        assert!(parse_line("ssh-ed25519 !!!!").is_err());
    }
}
