//! The secret detector of the manifest scan, for callers outside this crate (the image
//! scan judges layer files, env values, labels and history lines with it). This is a thin
//! facade over `secrets::detector`: the same formats, names, placeholders and redaction as
//! PAL-SECRET-001/002 and PAL-DOCKER-009, so an image and a manifest never disagree on what
//! a secret is. Nothing here reports findings; callers decide rules and places.
//!
//! ```
//! use palisade_checks::secret_scan::{scan_text, scan_value};
//!
//! let hits = scan_value(Some("DB_PASSWORD"), "hunter2");
//! assert_eq!(hits.len(), 1);
//! assert!(!hits[0].known_format);
//! assert!(!hits[0].redacted.contains("hunter2"));
//!
//! let file = "# settings\nuser=app\npassword=Fake-Pa55w0rd-Not-Real\n";
//! let hits = scan_text(file);
//! assert_eq!(hits.iter().map(|h| h.line).collect::<Vec<_>>(), [Some(3)]);
//! ```

use crate::secrets::detector::{self, Detection};
use crate::secrets::LITERAL_SECRET;

/// One credential the detector found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHit {
    /// What was found: a known format (`"GitHub personal access token"`, `"private key"`)
    /// or `"literal value"` for a literal under a secret-like name.
    pub kind: &'static str,
    /// Whether it is a known credential format (what PAL-SECRET-001 reports, high) rather
    /// than a literal under a secret-like name (PAL-SECRET-002, medium).
    pub known_format: bool,
    /// The secret-like name a literal was under (`DB_PASSWORD`, or an assignment's name
    /// inside a text); `None` for a known format.
    pub name: Option<String>,
    /// 1-based line in the text ([`scan_text`]); `None` from [`scan_value`].
    pub line: Option<u32>,
    /// Byte offset in the value or text where it was found.
    pub offset: usize,
    /// Redacted evidence: at most a short prefix and the length, never the secret.
    pub redacted: String,
}

fn hit(d: Detection, line: Option<u32>) -> SecretHit {
    SecretHit {
        kind: d.what,
        known_format: d.rule.id == LITERAL_SECRET.id,
        name: d.name,
        line,
        offset: d.offset,
        redacted: d.evidence,
    }
}

/// Every credential in one value; `name` is its variable, key or option name when there
/// is one (an env var `NAME=value` is `scan_value(Some("NAME"), "value")`). A value with
/// several lines or assignments (`--db-password=x`) is judged assignment by assignment.
pub fn scan_value(name: Option<&str>, value: &str) -> Vec<SecretHit> {
    detector::scan_value(name, value)
        .into_iter()
        .map(|d| hit(d, None))
        .collect()
}

/// Every credential in a text file (a config file, a script, a key file): known formats
/// anywhere, and literals assigned to secret-like names (`KEY=value`, `key: value`,
/// `"key": "value"`, `--key=value`). Hits come in offset order, each with its 1-based line;
/// linear in the text whatever the number of hits.
pub fn scan_text(text: &str) -> Vec<SecretHit> {
    let mut found = detector::scan_value(None, text);
    found.sort_by_key(|d| d.offset);
    let bytes = text.as_bytes();
    let mut line: u32 = 1;
    let mut at = 0;
    found
        .into_iter()
        .map(|d| {
            let to = d.offset.min(bytes.len());
            let newlines = bytes
                .get(at..to)
                .map_or(0, |s| s.iter().filter(|&&b| b == b'\n').count());
            line = line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
            at = at.max(to);
            hit(d, Some(line))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_verdicts_as_the_manifest_detector() {
        let v = "ghp_EXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE0";
        let ours = scan_value(Some("GITHUB_TOKEN"), v);
        let theirs = detector::scan_value(Some("GITHUB_TOKEN"), v);
        assert_eq!(ours.len(), theirs.len());
        assert!(ours[0].known_format);
        assert_eq!(ours[0].kind, theirs[0].what);
        assert_eq!(scan_value(Some("PASSWORD_FILE"), "/run/secrets/db"), []);
    }

    #[test]
    fn lines_are_counted_for_every_hit() {
        let text = "a=1\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n\n\napi_key: Fake-Api-Key-1234567890\n";
        let lines: Vec<Option<u32>> = scan_text(text).iter().map(|h| h.line).collect();
        assert_eq!(lines, [Some(2), Some(7)]);
    }

    #[test]
    fn many_hits_stay_linear() {
        let file = "db.password=hunter2\n".repeat(50_000);
        let hits = scan_text(&file);
        assert_eq!(hits.len(), 50_000);
        assert_eq!(hits.last().and_then(|h| h.line), Some(50_000));
    }
}
