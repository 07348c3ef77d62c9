//! [`Answer`]: what the API server said to one request, with its `Warning` headers (where
//! admission warnings arrive).

use serde_json::Value;

/// An API server's answer: status code, body (JSON, or the text as a JSON string), warnings.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body.
    pub body: Value,
    /// The text of each `Warning` header, unquoted.
    pub warnings: Vec<String>,
}

/// The text of a `Warning: 299 - "text"` header (RFC 7234 §5.5, as the API server writes it:
/// code, agent `-`, quoted text with `\"` and `\\` escaped).
pub(crate) fn warning_text(header: &str) -> String {
    let Some(start) = header.find('"') else {
        return header.to_owned();
    };
    let mut out = String::new();
    let mut chars = header[start + 1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '"' => break,
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_headers_are_unquoted() {
        assert_eq!(warning_text(r#"299 - "plain text""#), "plain text");
        assert_eq!(
            warning_text(r#"299 - "a \"quoted\" \\ word" "Mon, 30 Nov 2026""#),
            r#"a "quoted" \ word"#
        );
        assert_eq!(warning_text("no quotes"), "no quotes");
    }
}
