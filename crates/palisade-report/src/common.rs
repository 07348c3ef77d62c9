//! Small helpers the formats share, so that an object or a control reads the same in every
//! output.

use std::collections::HashMap;
use std::fmt::Write as _;

use palisade_core::{Controls, ObjectRef, Report, Rule};

/// Rule metadata by id, for lookups once per finding on large reports.
pub(crate) fn rules_by_id(report: &Report) -> HashMap<&str, &'static Rule> {
    report.rules.iter().map(|r| (r.id, *r)).collect()
}

/// `Kind namespace/name`, or `Kind name` for an object without a namespace.
pub(crate) fn object_label(object: &ObjectRef) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {}/{}", object.kind, ns, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

/// One line naming the mapped controls (`PSS baseline; CIS 5.2.1; MITRE T1611`), empty when
/// the rule maps to none.
pub(crate) fn controls_line(controls: &Controls) -> String {
    let mut parts = Vec::new();
    if let Some(level) = controls.pss {
        parts.push(format!("PSS {}", level.as_str()));
    }
    for (name, ids) in [
        ("CIS", controls.cis),
        ("NSA/CISA", controls.nsa),
        ("MITRE ATT&CK", controls.mitre),
    ] {
        if !ids.is_empty() {
            parts.push(format!("{name} {}", ids.join(", ")));
        }
    }
    parts.join("; ")
}

/// Makes text from a manifest safe to print on a terminal: control characters (an ANSI
/// escape hidden in a name could rewrite the screen) and bidirectional overrides (which make
/// text read differently from how it is stored) are shown as `\u{..}` escapes; newlines and
/// tabs as `\n` and `\t`, so that one finding stays one line.
pub(crate) fn terminal_safe(text: &str) -> String {
    // Printable ASCII, which most text is, stands as it is; checking bytes is much cheaper
    // than decoding characters, and a large table holds hundreds of thousands of lines.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters that change how the rest of a line is shown rather than showing themselves.
pub(crate) fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_escapes_what_would_act_on_the_terminal() {
        assert_eq!(terminal_safe("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(terminal_safe("x\ny\tz"), "x\\ny\\tz");
        assert_eq!(terminal_safe("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(terminal_safe("\u{9b}"), "\\u{9b}");
        assert_eq!(terminal_safe("ünïcödé 名前"), "ünïcödé 名前");
        assert_eq!(terminal_safe("plain ~text"), "plain ~text");
        assert_eq!(terminal_safe("del\u{7f}"), "del\\u{7f}");
    }

    #[test]
    fn object_label_omits_a_missing_namespace() {
        let mut o = ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some("prod".into()),
            name: "web".into(),
        };
        assert_eq!(object_label(&o), "Pod prod/web");
        o.namespace = None;
        assert_eq!(object_label(&o), "Pod web");
    }
}
