//! Private key blocks: PEM (RFC 7468) and OpenPGP armor (RFC 4880 §6.2) whose label names
//! a private key. The BEGIN line alone is enough (a truncated or shortened key is still a
//! leak and still tells what was pasted), unless what follows it is a stand-in
//! (`<your key here>`, `...`), which is documentation.

use super::formats::Hit;

const BEGIN: &str = "-----BEGIN ";

/// Labels that hold a private key: `RSA PRIVATE KEY`, `EC PRIVATE KEY`, `DSA PRIVATE KEY`,
/// `OPENSSH PRIVATE KEY`, PKCS#8 `PRIVATE KEY` and `ENCRYPTED PRIVATE KEY`, and OpenPGP's
/// `PGP PRIVATE KEY BLOCK`. Certificates and public keys are public and not reported.
fn is_private_label(label: &str) -> bool {
    label.len() <= 40
        && !label.contains(['\n', '\r'])
        && (label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK"))
}

/// Every private key block in `text`.
pub(super) fn private_keys(text: &str, what: &'static str, out: &mut Vec<Hit>) {
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|t| t.find(BEGIN)) {
        let start = from + found;
        from = start + BEGIN.len();
        let Some(rest) = text.get(from..) else {
            break;
        };
        let Some(end) = rest.find("-----") else {
            continue;
        };
        let label = &rest[..end];
        if !is_private_label(label) {
            continue;
        }
        // The body runs to the next `-----` (the END line, or the next block's BEGIN), which
        // keeps a text full of unterminated headers linear to scan.
        let after = &rest[end + 5..];
        let body = after.find("-----").map_or(after, |i| &after[..i]);
        if is_stand_in(body) {
            continue;
        }
        let base64 = body
            .bytes()
            .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            .count();
        let evidence = if base64 == 0 {
            format!("{label} header (no body)")
        } else {
            format!("{label} block ({base64} base64 chars)")
        };
        out.push(Hit {
            what,
            start,
            evidence,
        });
    }
}

/// A body that is documentation: `<...>` slots, ellipses or `x` masks, and no run of
/// base64 long enough to be key material.
fn is_stand_in(body: &str) -> bool {
    let marked = body.contains('<') || body.contains("...") || body.contains('…');
    let longest_run = body
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let masked = body.contains("xxxx") || body.contains("XXXX");
    (marked || masked) && longest_run < 24
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        private_keys(text, "private key", &mut out);
        out.into_iter().map(|h| h.evidence).collect()
    }

    #[test]
    fn every_private_key_label() {
        for label in [
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "DSA PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
        ] {
            let text = format!(
                "-----BEGIN {label}-----\nEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE\n-----END {label}-----\n"
            );
            assert_eq!(labels(&text), [format!("{label} block (42 base64 chars)")]);
        }
    }

    #[test]
    fn the_begin_line_is_enough() {
        assert_eq!(
            labels("key: -----BEGIN OPENSSH PRIVATE KEY-----"),
            ["OPENSSH PRIVATE KEY header (no body)"]
        );
        assert_eq!(
            labels("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIEXAMPLE"),
            ["EC PRIVATE KEY block (16 base64 chars)"]
        );
    }

    #[test]
    fn near_misses() {
        for text in [
            "-----BEGIN CERTIFICATE-----\nMIIBEXAMPLEEXAMPLEEXAMPLE\n-----END CERTIFICATE-----",
            "-----BEGIN PUBLIC KEY-----\nMIIBEXAMPLEEXAMPLEEXAMPLE\n-----END PUBLIC KEY-----",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBEXAMPLE\n-----END PGP PUBLIC KEY BLOCK-----",
            "-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
            "BEGIN RSA PRIVATE KEY",
            "-----BEGIN ",
            "-----BEGIN -----",
            "-----BEGIN é-----BEGIN ",
        ] {
            assert!(labels(text).is_empty(), "{text}");
        }
    }
}
