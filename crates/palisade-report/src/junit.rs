//! JUnit XML (the Ant schema every CI reads): one `<testsuite>` per input file, so that a
//! CI test report reads like a list of files to fix, and a file that could not be loaded
//! carries its `<error>` next to its findings. Each finding is a failing `<testcase>`,
//! each suppressed finding a skipped one, each load error an errored one. A clean scan is
//! one passing test case, so that CI shows a pass rather than "no tests".
//!
//! Each framework asked for with `--framework` adds a suite of its own, one test case per
//! control: a failure for a failed control (naming the failing objects), skipped for a
//! control Palisade does not cover (with the reason), a pass otherwise.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use palisade_core::exceptions::{Suppressed, Suppression};
use palisade_core::{
    ControlResult, ControlStatus, Date, Finding, FrameworkSummary, LoadError, LoadNote, Report,
    Rule,
};

use rayon::prelude::*;

use crate::common::{controls_line, object_label, rules_by_id};

type Rules<'a> = HashMap<&'a str, &'static Rule>;

/// Files whose suites are rendered in parallel before they are written.
const SUITES_PER_BATCH: usize = 64;

/// What goes in one file's suite.
#[derive(Default)]
struct Suite<'a> {
    errors: Vec<&'a LoadError>,
    findings: Vec<&'a Finding>,
    suppressed: Vec<&'a Suppressed>,
    notes: Vec<&'a LoadNote>,
}

pub(crate) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut suites: BTreeMap<&str, Suite<'_>> = BTreeMap::new();
    for e in &report.errors {
        suites.entry(&e.path).or_default().errors.push(e);
    }
    for f in &report.findings {
        suites.entry(&f.location.path).or_default().findings.push(f);
    }
    for s in &report.suppressed {
        let path = &*s.finding.location.path;
        suites.entry(path).or_default().suppressed.push(s);
    }
    for n in &report.notes {
        suites.entry(&n.location.path).or_default().notes.push(n);
    }
    // Stable order inside a file whatever order the report holds.
    for suite in suites.values_mut() {
        suite
            .findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        suite
            .suppressed
            .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
    }
    let timestamp = timestamp(SystemTime::now());
    let rules = rules_by_id(report);

    let mut head = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let has_cases = suites
        .values()
        .any(|s| !(s.errors.is_empty() && s.findings.is_empty() && s.suppressed.is_empty()));
    if !has_cases {
        // Nothing failed: one passing case saying what was scanned.
        let summary = format!(
            "no findings; objects scanned: {}, inputs: {}",
            report.stats.objects, report.stats.inputs
        );
        suite_open(
            &mut head,
            "palisade",
            0,
            [1, 0, 0, 0],
            &timestamp,
            report.version,
        );
        let _ = writeln!(
            head,
            "    <testcase name=\"scan\" classname=\"palisade\" time=\"0\"/>"
        );
        suite_close(&mut head, &summary);
    }
    out.write_all(head.as_bytes())?;
    // Each file's suite is rendered on its own, in parallel (a large scan has hundreds of
    // thousands of findings), a batch of files at a time, so that the document is never
    // held whole.
    let suites: Vec<(&str, Suite<'_>)> = suites.into_iter().collect();
    let first = usize::from(!has_cases);
    for (b, batch) in suites.chunks(SUITES_PER_BATCH).enumerate() {
        let rendered: Vec<String> = batch
            .par_iter()
            .enumerate()
            .map(|(i, (path, suite))| {
                let id = first + b * SUITES_PER_BATCH + i;
                file_suite(path, suite, id, &rules, &timestamp, report.version)
            })
            .collect();
        for part in &rendered {
            out.write_all(part.as_bytes())?;
        }
    }
    let mut tail = String::new();
    let first_id = suites.len() + usize::from(!has_cases);
    for (i, framework) in report.frameworks.iter().enumerate() {
        framework_suite(
            &mut tail,
            framework,
            first_id + i,
            &timestamp,
            report.version,
        );
    }
    tail.push_str("</testsuites>\n");
    out.write_all(tail.as_bytes())
}

/// The suite of one file: its load errors, findings and suppressed findings, and its notes
/// as the suite's output.
fn file_suite(
    path: &str,
    suite: &Suite<'_>,
    id: usize,
    rules: &Rules<'_>,
    timestamp: &str,
    version: &str,
) -> String {
    let mut xml = String::new();
    let counts = [
        suite.errors.len() + suite.findings.len() + suite.suppressed.len(),
        suite.findings.len(),
        suite.errors.len(),
        suite.suppressed.len(),
    ];
    let name = if path.is_empty() { "-" } else { path };
    suite_open(&mut xml, name, id, counts, timestamp, version);
    for e in &suite.errors {
        load_error_case(&mut xml, name, e);
    }
    for f in &suite.findings {
        finding_case(&mut xml, rules, name, f, None);
    }
    for s in &suite.suppressed {
        finding_case(&mut xml, rules, name, &s.finding, Some(&s.by));
    }
    let mut notes = String::new();
    for n in &suite.notes {
        let _ = writeln!(notes, "note: {n}");
    }
    suite_close(&mut xml, &notes);
    xml
}

/// A framework's suite: one case per control.
fn framework_suite(
    xml: &mut String,
    f: &FrameworkSummary,
    id: usize,
    timestamp: &str,
    version: &str,
) {
    let counts = [
        f.controls.len(),
        f.count(ControlStatus::Fail),
        0,
        f.count(ControlStatus::NotCovered),
    ];
    let name = format!("framework {}: {}", f.id, f.title);
    suite_open(xml, &name, id, counts, timestamp, version);
    let classname = format!("framework.{}", f.id);
    for c in &f.controls {
        control_case(xml, &classname, c);
    }
    let score = f
        .score
        .map_or_else(|| "n/a".to_string(), |s| format!("{s:.1}%"));
    let summary = format!(
        "{}: score {score} ({} passed, {} failed, {} not covered)\n",
        f.title,
        f.count(ControlStatus::Pass),
        f.count(ControlStatus::Fail),
        f.count(ControlStatus::NotCovered),
    );
    suite_close(xml, &summary);
}

fn control_case(xml: &mut String, classname: &str, c: &ControlResult) {
    let name = format!("{} {}", c.id, c.title);
    let open = format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"0\"",
        attr(&name),
        attr(classname)
    );
    match c.status {
        ControlStatus::Pass => {
            let _ = writeln!(xml, "{open}/>");
        }
        ControlStatus::Fail => {
            let mut body = format!("Rules: {}\nFailing objects:\n", c.rules.join(", "));
            for o in &c.failing {
                let _ = writeln!(body, "  {o}");
            }
            let _ = writeln!(
                xml,
                "{open}>\n      <failure message=\"{}\" type=\"control\">{}</failure>\n    </testcase>",
                attr(&format!(
                    "{} failing object(s): {}",
                    c.failing.len(),
                    c.failing
                        .iter()
                        .take(3)
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                text(&body)
            );
        }
        ControlStatus::NotCovered => {
            let reason = c.reason.unwrap_or("not covered");
            let _ = writeln!(
                xml,
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                attr(&format!("not covered: {reason}"))
            );
        }
    }
}

/// `counts` is tests, failures, errors, skipped.
fn suite_open(
    xml: &mut String,
    name: &str,
    id: usize,
    counts: [usize; 4],
    timestamp: &str,
    version: &str,
) {
    let [tests, failures, errors, skipped] = counts;
    let name = attr(name);
    let _ = writeln!(
        xml,
        "  <testsuite name=\"{name}\" package=\"{name}\" id=\"{id}\" tests=\"{tests}\" \
         failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\" \
         timestamp=\"{timestamp}\" hostname=\"localhost\">"
    );
    let _ = writeln!(
        xml,
        "    <properties>\n      <property name=\"palisade.version\" value=\"{}\"/>\n    </properties>",
        attr(version)
    );
}

fn suite_close(xml: &mut String, system_out: &str) {
    let _ = writeln!(
        xml,
        "    <system-out>{}</system-out>\n    <system-err></system-err>\n  </testsuite>",
        text(system_out)
    );
}

fn finding_case(
    xml: &mut String,
    rules: &Rules<'_>,
    classname: &str,
    f: &Finding,
    suppressed_by: Option<&Suppression>,
) {
    let rule = rules.get(&*f.rule_id).copied();
    let mut name = f.rule_id.to_string();
    if let Some(rule) = rule {
        let _ = write!(name, " {}", rule.title);
    }
    let _ = write!(name, ": {}", object_label(&f.object));
    if let Some(field) = &f.field {
        let _ = write!(name, " at {field}");
    }
    let _ = writeln!(
        xml,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">",
        attr(&name),
        attr(classname)
    );
    match suppressed_by {
        None => {
            let _ = writeln!(
                xml,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                attr(&f.message),
                f.severity,
                text(&details(rule, f))
            );
        }
        Some(by) => {
            let _ = writeln!(
                xml,
                "      <skipped message=\"{}\">{}</skipped>",
                attr(&suppression_text(by)),
                text(&details(rule, f))
            );
        }
    }
    xml.push_str("    </testcase>\n");
}

fn load_error_case(xml: &mut String, classname: &str, e: &LoadError) {
    let place = match (e.line, e.col) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", e.path),
        (Some(l), None) => format!("{}:{l}", e.path),
        _ => e.path.to_string(),
    };
    let _ = writeln!(
        xml,
        "    <testcase name=\"{}\" classname=\"{}\" time=\"0\">\n      \
         <error message=\"{}\" type=\"LoadError\">{}</error>\n    </testcase>",
        attr(&format!("load {place}")),
        attr(classname),
        attr(&e.message),
        text(&e.to_string())
    );
}

/// The body of a failure: everything needed to fix it without another tool.
fn details(rule: Option<&Rule>, f: &Finding) -> String {
    let mut s = format!(
        "{} {}{}\n",
        f.severity.as_str().to_ascii_uppercase(),
        f.rule_id,
        rule.map_or(String::new(), |r| format!(" {}", r.title))
    );
    // Dockerfile stages have no apiVersion.
    let _ = match f.object.api_version.as_str() {
        "" => writeln!(s, "Object: {}", object_label(&f.object)),
        api => writeln!(s, "Object: {} ({api})", object_label(&f.object)),
    };
    let _ = writeln!(s, "Location: {}", f.location);
    if let Some(field) = &f.field {
        let _ = writeln!(s, "Field: {field}");
    }
    let _ = writeln!(s, "Message: {}", f.message);
    if let Some(evidence) = &f.evidence {
        let _ = writeln!(s, "Evidence: {evidence}");
    }
    if let Some(rule) = rule {
        let _ = writeln!(s, "Remediation: {}", rule.remediation);
        let controls = controls_line(&rule.controls);
        if !controls.is_empty() {
            let _ = writeln!(s, "Controls: {controls}");
        }
    }
    s
}

fn suppression_text(by: &Suppression) -> String {
    match by {
        Suppression::Config {
            location,
            reason,
            expires,
        } => match expires {
            Some(d) => format!("suppressed by exception at {location} (expires {d}): {reason}"),
            None => format!("suppressed by exception at {location}: {reason}"),
        },
        Suppression::Annotation { reason } => {
            format!("suppressed by annotation palisade.dev/ignore: {reason}")
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC: the Ant schema's timestamp has no zone.
fn timestamp(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let date = Date::from_unix_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let s = secs % 86_400;
    format!("{date}T{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

/// Escapes element text. Characters XML 1.0 cannot carry at all, even as references
/// (most C0 controls, U+FFFE, U+FFFF), are written as visible `\u{..}` escapes.
fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value; newlines and tabs become references, since a parser would
/// otherwise normalise them to spaces.
fn attr(s: &str) -> String {
    escape(s, true)
}

/// Bytes that may start a character to escape, in element text (`[0]`) and in attribute
/// values (`[1]`): `&`, `<`, `>`, C0 controls (in text, not newline and tab), `"`, `'` (in
/// attributes), and 0xEF, the first byte of U+FFFE and U+FFFF.
const SPECIAL: [[bool; 256]; 2] = [special_bytes(false), special_bytes(true)];

const fn special_bytes(attribute: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = attribute || (b != b'\n' as usize && b != b'\t' as usize);
        b += 1;
    }
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = attribute;
    table[b'\'' as usize] = attribute;
    table[0xef] = true;
    table
}

fn escape(s: &str, attribute: bool) -> String {
    let special = &SPECIAL[usize::from(attribute)];
    let mut out = String::with_capacity(s.len());
    // Runs of characters that stand as they are are copied whole: most text has none to
    // escape, and a large report holds hundreds of megabytes of it. The scan is over bytes,
    // and stops only at the first byte of a character (every byte in `SPECIAL` is one).
    let bytes = s.as_bytes();
    let mut plain = 0;
    let mut i = 0;
    while let Some(found) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| special[usize::from(b)]))
    {
        let at = i + found;
        // `None`: a character XML cannot hold, written as a visible escape.
        let (replacement, len) = match bytes.get(at..).unwrap_or_default() {
            [b'&', ..] => (Some("&amp;"), 1),
            [b'<', ..] => (Some("&lt;"), 1),
            [b'>', ..] => (Some("&gt;"), 1),
            [b'"', ..] => (Some("&quot;"), 1),
            [b'\'', ..] => (Some("&apos;"), 1),
            [b'\n', ..] => (Some("&#10;"), 1),
            [b'\r', ..] => (Some("&#13;"), 1),
            [b'\t', ..] => (Some("&#9;"), 1),
            [0xef, 0xbf, 0xbe | 0xbf, ..] => (None, 3),
            [0xef, ..] => {
                // Another character of the same first byte: it stands.
                i = at + 1;
                continue;
            }
            _ => (None, 1),
        };
        out.push_str(s.get(plain..at).unwrap_or_default());
        match replacement {
            Some(r) => out.push_str(r),
            None => {
                for c in s.get(at..at + len).unwrap_or_default().chars() {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
            }
        }
        plain = at + len;
        i = plain;
    }
    out.push_str(s.get(plain..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn escapes_markup_and_characters_xml_cannot_hold() {
        assert_eq!(text("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(text("x\u{1}y\u{1b}z\u{ffff}"), "x\\u{1}y\\u{1b}z\\u{ffff}");
        assert_eq!(text("l1\nl2\tt\r"), "l1\nl2\tt&#13;");
        assert_eq!(
            attr("\"q\" 'a'\n\t"),
            "&quot;q&quot; &apos;a&apos;&#10;&#9;"
        );
        assert_eq!(text("ünï 名"), "ünï 名");
        // U+FFFE and U+FFFF escaped, their UTF-8 neighbours (U+FFFD, U+EFBF) kept.
        assert_eq!(
            text("a\u{fffe}b\u{fffd}\u{efbf}"),
            "a\\u{fffe}b\u{fffd}\u{efbf}"
        );
    }

    /// The escaping character by character, as the XML rules read: the reference the fast
    /// byte scan is held to.
    fn escape_by_char(s: &str, attribute: bool) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' if attribute => out.push_str("&quot;"),
                '\'' if attribute => out.push_str("&apos;"),
                '\n' if attribute => out.push_str("&#10;"),
                '\r' => out.push_str("&#13;"),
                '\t' if attribute => out.push_str("&#9;"),
                '\n' | '\t' => out.push(c),
                c if c < '\u{20}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn the_byte_scan_escapes_as_the_characters_read() {
        let alphabet = [
            'a',
            '&',
            '<',
            '>',
            '"',
            '\'',
            '\n',
            '\r',
            '\t',
            '\u{0}',
            '\u{1f}',
            '\u{7f}',
            'é',
            '名',
            '\u{fffd}',
            '\u{fffe}',
            '\u{ffff}',
            '\u{efbf}',
            '\u{10000}',
        ];
        // Every string of up to three characters of the alphabet, in both modes.
        let mut strings = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = strings
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.extend(longer);
        }
        strings.sort();
        strings.dedup();
        for s in &strings {
            for attribute in [false, true] {
                assert_eq!(escape(s, attribute), escape_by_char(s, attribute), "{s:?}");
            }
        }
    }

    #[test]
    fn timestamp_is_utc_without_zone() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20");
    }
}
