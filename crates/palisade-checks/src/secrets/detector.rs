//! The secrets detector: one value (and the name it is under, when it has one) in, the
//! credentials it holds out. Shared by the manifest walk and by other families (Dockerfile
//! `ENV`/`ARG`), so that every place judges a value the same way.

use palisade_core::Rule;

use super::assign::assignments;
use super::names::{has_needle, is_secret_name, secret_words, Name};
use super::pass::Marks;
use super::values::{is_not_a_secret, redact};
use super::{formats, pass, LITERAL_SECRET, NAMED_SECRET};

/// One credential found in a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detection {
    /// [`LITERAL_SECRET`] for a known format, [`NAMED_SECRET`] for a literal under a
    /// secret-like name.
    pub rule: &'static Rule,
    /// What it is ("GitHub personal access token", "literal value").
    pub what: &'static str,
    /// Redacted: at most a short prefix and the length.
    pub evidence: String,
    /// Byte offset in the value where it was found (a line inside a file).
    pub offset: usize,
    /// The secret-like name of a [`NAMED_SECRET`] detection (the value's own name, or an
    /// assignment's inside it).
    pub name: Option<String>,
}

/// Where a value sits, which changes what a bare object name under `*secret*` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// An environment variable, ConfigMap key, command-line option or file assignment:
    /// `JWT_SECRET: s3cr3t` is the secret itself.
    Variable,
    /// A structured field of an API object or an annotation: `tlsSecret: web-tls` or
    /// `nginx.ingress.kubernetes.io/auth-secret: basic-auth` names a Secret object.
    Field,
}

/// Every credential in `value`; `name` is its variable or key name when there is one.
pub(crate) fn scan_value(name: Option<&str>, value: &str) -> Vec<Detection> {
    scan(Slot::Variable, name, value)
}

/// [`scan_value`] for a value in a given slot.
pub(super) fn scan(slot: Slot, name: Option<&str>, value: &str) -> Vec<Detection> {
    let name = name.map(Name::of);
    let secret_name = name.filter(|n| n.is_secret()).map(|n| n.text);
    scan_named(slot, secret_name, name, value)
}

/// [`scan`] when the caller has already judged the name: `secret_name` is `name` when it is
/// secret-like.
pub(super) fn scan_named(
    slot: Slot,
    secret_name: Option<&str>,
    name: Option<Name>,
    value: &str,
) -> Vec<Detection> {
    let (hits, marks) = pass::scan(value, name);
    judge(slot, secret_name, value, hits, marks)
}

/// The rest of [`scan_named`], once the pass has found `hits` and `marks` in `value`. The
/// marks only skip steps that would find nothing ([`Marks::ALL`] runs every step; the
/// tests compare both).
fn judge(
    slot: Slot,
    secret_name: Option<&str>,
    value: &str,
    hits: Vec<formats::Hit>,
    marks: Marks,
) -> Vec<Detection> {
    let mut out: Vec<Detection> = hits
        .iter()
        .map(|h| Detection {
            rule: &LITERAL_SECRET,
            what: h.what,
            evidence: h.evidence.clone(),
            offset: h.start,
            name: None,
        })
        .collect();
    let one_line = !marks.newline() || !value.trim_end().contains('\n');
    if let Some(name) = secret_name.filter(|_| one_line) {
        if hits.is_empty() && is_literal(slot, name, value) {
            out.push(named(name, value.trim(), 0));
        }
        if hits.is_empty() {
            return out;
        }
    }
    // A file or a command line: judge each assignment inside by its own name. Every name
    // is a part of `value`, so a value without a needle holds no secret-like name.
    if marks.assign() && marks.needle() && may_hold_assignments(value) && has_needle(value) {
        // Sorted hit offsets: each assignment asks "is there a hit on my line?" in log time,
        // so a generated file with thousands of both stays fast.
        let mut starts: Vec<usize> = hits.iter().map(|h| h.start).collect();
        starts.sort_unstable();
        for a in assignments(value) {
            if !is_secret_name(a.name) || !is_literal(Slot::Variable, a.name, a.value) {
                continue;
            }
            // A known format from the start of the line to the end of this value is already
            // reported (`password=ghp_...`, `aws_secret_access_key = ...`); a token further
            // along the line is another secret.
            let first = starts.partition_point(|&s| s < a.line);
            let end = a.offset + a.value.len();
            let covered = starts.get(first).is_some_and(|&s| s < end);
            if !covered {
                out.push(named(a.name, a.value, a.offset));
            }
        }
    }
    out
}

fn named(name: &str, value: &str, offset: usize) -> Detection {
    Detection {
        rule: &NAMED_SECRET,
        what: "literal value",
        evidence: redact(value),
        offset,
        name: Some(name.to_owned()),
    }
}

/// A value that a reviewer would call a written-out secret: not a reference, path, flag,
/// number or stand-in, and (in a structured field) not the name of a Secret object.
fn is_literal(slot: Slot, name: &str, value: &str) -> bool {
    if is_not_a_secret(value) {
        return false;
    }
    // `tlsSecret: web-tls`, `secretKey: db-password`: the name of a Secret or of its key.
    let names_a_secret_object = slot == Slot::Field
        && is_object_name(value.trim())
        && secret_words(name)
            .iter()
            .all(|w| matches!(*w, "secret" | "secretkey"));
    !names_a_secret_object
}

/// A Kubernetes object name (`web-tls`), `namespace/name`, a key in a Secret
/// (`db-password`) or a secret store path (`database/creds/app`): lower-case segments of
/// letters, digits, `-`, `.` and `_` separated by `/`. A single run of letters and digits
/// (a hex key) counts only without a digit.
fn is_object_name(v: &str) -> bool {
    let separated = v.contains(['-', '.', '/', '_']);
    if !separated && v.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    v.split('/').all(|part| {
        !part.is_empty()
            && part.len() <= 253
            && part.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_')
            })
            && part
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

/// Cheap gate before splitting a value into assignments.
fn may_hold_assignments(value: &str) -> bool {
    let b = value.as_bytes();
    // `[u8]::contains` on a byte is a memchr; the pair search runs only when a `:` is there.
    let pair = |x: u8, y: u8| b.windows(2).any(|w| w[0] == x && w[1] == y);
    b.len() >= 3
        && (b.contains(&b'=')
            || (b.contains(&b':') && (pair(b':', b' ') || pair(b'"', b':')))
            || (b.contains(&b' ') && pair(b'-', b'-'))
            || (b.contains(&b'<') && pair(b'<', b'/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(name: Option<&str>, value: &str) -> Vec<(&'static str, Option<String>)> {
        scan_value(name, value)
            .into_iter()
            .map(|d| (d.rule.id, d.name))
            .collect()
    }

    #[test]
    fn literal_under_a_secret_name_whatever_its_entropy() {
        assert_eq!(
            rules(Some("DB_PASSWORD"), "hunter2"),
            [("PAL-SECRET-002", Some("DB_PASSWORD".into()))]
        );
        for v in [
            "",
            "${DB_PASSWORD}",
            "$(DB_PASSWORD)",
            "/run/secrets/db",
            "true",
            "5432",
            "<password>",
            "changeme",
        ] {
            assert_eq!(rules(Some("DB_PASSWORD"), v), [], "{v}");
        }
        assert_eq!(rules(Some("PASSWORD_FILE"), "hunter2"), []);
        assert_eq!(rules(None, "hunter2"), []);
    }

    #[test]
    fn known_formats_win_over_names() {
        assert_eq!(
            rules(
                Some("GITHUB_TOKEN"),
                "ghp_EXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE0"
            ),
            [("PAL-SECRET-001", None)]
        );
    }

    #[test]
    fn assignments_inside_files() {
        let file = "server.port=8080\nspring.datasource.password=hunter2\ntoken.ttl=30\n";
        let found = scan_value(Some("application.properties"), file);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found.first().map(|d| d.offset), file.find("hunter2"));
        assert_eq!(
            rules(None, "--db-password=hunter2"),
            [("PAL-SECRET-002", Some("db-password".into()))]
        );
        assert_eq!(rules(None, "--db-password=$(DB_PASSWORD)"), []);
    }

    /// A generated file with thousands of secret assignments and tokens: every one found,
    /// in linear time (a per-assignment search back to its line start was quadratic).
    #[test]
    fn large_files_stay_linear() {
        let line =
            "db.password=hunter2\ntoken=ghp_EXAMPLE0EXAMPLE0EXAMPLE0EXAMPLE0EXAM\napi_key=abc\n";
        let file = line.repeat(20_000);
        let found = scan_value(Some("app.properties"), &file);
        assert_eq!(found.len(), 60_000);
    }

    /// The pass's marks only skip steps that would find nothing: every sample under every
    /// name and slot gives what the same value gives with every step run.
    #[test]
    fn gates_skip_only_steps_that_find_nothing() {
        let names = [
            None,
            Some("DB_PASSWORD"),
            Some("key0"),
            Some("tlsSecret"),
            Some("authorization"),
            Some("AWS_SECRET_ACCESS_KEY"),
            Some("image"),
            Some("app.properties"),
        ];
        let mut found = 0;
        for value in super::super::pass::tests::samples() {
            let (_, marks) = pass::scan(&value, None);
            if !marks.assign() {
                assert!(!may_hold_assignments(&value), "{value:?}");
            }
            for name in names {
                let judged = name.map(Name::of);
                let secret = judged.filter(|n| n.is_secret()).map(|n| n.text);
                for slot in [Slot::Variable, Slot::Field] {
                    let gated = scan_named(slot, secret, judged, &value);
                    let (hits, _) = pass::scan(&value, judged);
                    let all = judge(slot, secret, &value, hits, Marks::ALL);
                    assert_eq!(gated, all, "{value:?} under {name:?}");
                    found += gated.len();
                }
            }
        }
        assert!(found > 1000, "{found}");
    }

    #[test]
    fn object_names_in_fields_are_references() {
        assert_eq!(
            scan(Slot::Field, Some("auth-secret"), "ingress/basic-auth"),
            []
        );
        assert_eq!(scan(Slot::Field, Some("tlsSecret"), "web-tls"), []);
        assert_eq!(scan(Slot::Field, Some("secretKey"), "db-password"), []);
        assert_eq!(
            scan(
                Slot::Field,
                Some("agent-inject-secret-db"),
                "database/creds/app"
            ),
            []
        );
        assert_eq!(scan(Slot::Field, Some("secretKey"), "minio123").len(), 1);
        assert_eq!(scan(Slot::Field, Some("password"), "hunter2").len(), 1);
        assert_eq!(scan(Slot::Variable, Some("JWT_SECRET"), "web-tls").len(), 1);
    }
}
