//! Palisade's own JSON: a documented, versioned schema (`docs/json-output.md`,
//! `schema/report-v1.schema.json`). The structs below *are* that schema, kept apart from
//! the core types' serde derives so that a change in core cannot silently change the
//! output: optional values are always present (`null`), lists always present (maybe empty).

use std::collections::HashMap;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::Arc;

use palisade_core::exceptions::{Suppressed, Suppression};
use palisade_core::{
    ControlResult, Controls, Finding, FrameworkSummary, LoadError, LoadNote, ObjectRef, Report,
    Rule, Severity,
};
use serde::{Serialize, Serializer};

/// The value of `schemaVersion`. Bumped only on an incompatible change.
pub const SCHEMA_VERSION: &str = "1";

/// Writes the document. The small top-level parts are pretty-printed; the lists are written
/// one element per line (compact), so the output stays readable and greppable, is about half
/// the size of fully indented JSON, and large lists serialize in parallel.
pub(crate) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document::of(report);
    let rules = rule_views(report);
    out.write_all(b"{\n")?;
    field(out, "schemaVersion", &doc.schema_version, false)?;
    field(out, "tool", &doc.tool, false)?;
    field(out, "summary", &doc.summary, false)?;
    // The two long lists are converted element by element inside the parallel chunks, so
    // no second copy of them is ever held.
    list_with(
        out,
        "findings",
        &report.findings,
        |buf, f, last| {
            write_finding(buf, &rules, f, last);
            Ok(())
        },
        false,
    )?;
    list(
        out,
        "suppressed",
        &report.suppressed,
        |s| SuppressedOut::of(&rules, s),
        false,
    )?;
    list(out, "errors", &doc.errors, |e| e, false)?;
    list(out, "notes", &doc.notes, |n| n, false)?;
    list(out, "rules", &doc.rules, |r| r, false)?;
    list(
        out,
        "frameworks",
        &report.frameworks,
        FrameworkOut::of,
        true,
    )?;
    out.write_all(b"}\n")
}

/// `  "name": <compact value>,`
fn field<T: Serialize>(out: &mut dyn Write, name: &str, value: &T, last: bool) -> io::Result<()> {
    write!(out, "  \"{name}\": ")?;
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(if last { b"\n" } else { b",\n" })
}

/// `  "name": [` then one compact element per line (each item as `view` shows it), then
/// `  ],`.
fn list<'a, T: Sync, V: Serialize>(
    out: &mut dyn Write,
    name: &str,
    items: &'a [T],
    view: impl Fn(&'a T) -> V + Sync,
    last: bool,
) -> io::Result<()> {
    list_with(
        out,
        name,
        items,
        |buf, item, _: &mut ()| serde_json::to_writer(buf, &view(item)).map_err(io::Error::from),
        last,
    )
}

/// [`list`] with a writer of its own for each element, which may keep state from one element
/// to the next within a chunk (`S`, fresh for each chunk).
fn list_with<'a, T: Sync, S: Default>(
    out: &mut dyn Write,
    name: &str,
    items: &'a [T],
    write_item: impl Fn(&mut Vec<u8>, &'a T, &mut S) -> io::Result<()> + Sync,
    last: bool,
) -> io::Result<()> {
    let end: &[u8] = if last { b"]\n" } else { b"],\n" };
    if items.is_empty() {
        write!(out, "  \"{name}\": [")?;
        return out.write_all(end);
    }
    writeln!(out, "  \"{name}\": [")?;
    crate::lines::write_lines(out, b"    ", items, write_item)?;
    out.write_all(b"  ")?;
    out.write_all(end)
}

/// The whole document, written by [`render`] field by field.
struct Document<'a> {
    schema_version: &'static str,
    tool: Tool<'a>,
    summary: Summary,
    errors: Vec<ErrorOut<'a>>,
    notes: Vec<NoteOut<'a>>,
    rules: Vec<RuleOut<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    findings: usize,
    by_severity: BySeverity,
    objects: usize,
    dockerfiles: usize,
    inputs: usize,
    suppressed: usize,
    errors: usize,
    notes: usize,
}

/// Every severity always present, worst first.
#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FindingOut<'a> {
    rule_id: &'a str,
    title: Option<&'static str>,
    severity: Severity,
    object: ObjectOut<'a>,
    location: LocationOut<'a>,
    field: Option<&'a str>,
    message: &'a str,
    evidence: Option<&'a str>,
    controls: Option<&'a RuleControls>,
    /// The rule's [`RuleView::head`], when the rule is known.
    #[serde(skip)]
    head: Option<&'a [u8]>,
}

/// What a finding repeats of its rule: the title, and the controls, rendered to JSON once
/// per rule rather than once per finding.
struct RuleView {
    title: &'static str,
    controls: RuleControls,
    /// `{"ruleId":…,"title":…`: how every finding of the rule starts.
    head: Vec<u8>,
}

/// A rule's controls and their compact JSON.
struct RuleControls {
    value: ControlsOut,
    json: Vec<u8>,
}

impl RuleControls {
    fn of(c: &Controls) -> RuleControls {
        let value = ControlsOut::of(c);
        // Serializing plain strings and arrays into a Vec cannot fail.
        let json = serde_json::to_vec(&value).unwrap_or_else(|_| b"null".to_vec());
        RuleControls { value, json }
    }
}

impl Serialize for RuleControls {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

/// Rule views by id, looked up once per finding: a few hundred ids, for which the default
/// hasher's flood resistance costs more than the lookup itself.
type RuleViews<'r> = HashMap<&'r str, RuleView, foldhash::fast::RandomState>;

fn rule_views(report: &Report) -> RuleViews<'static> {
    report
        .rules
        .iter()
        .map(|r| (r.id, RuleView::of(r)))
        .collect()
}

impl RuleView {
    fn of(r: &Rule) -> RuleView {
        RuleView {
            title: r.title,
            controls: RuleControls::of(&r.controls),
            head: head(r.id, Some(r.title)),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectOut<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
struct LocationOut<'a> {
    path: &'a str,
    line: u32,
    col: u32,
}

#[derive(Serialize)]
struct ControlsOut {
    pss: Option<&'static str>,
    cis: &'static [&'static str],
    nsa: &'static [&'static str],
    mitre: &'static [&'static str],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FrameworkOut<'a> {
    id: &'a str,
    title: &'a str,
    uri: &'a str,
    score: Option<f64>,
    passed: usize,
    failed: usize,
    not_covered: usize,
    controls: Vec<ControlOut<'a>>,
}

#[derive(Serialize)]
struct ControlOut<'a> {
    id: &'a str,
    title: &'a str,
    status: &'static str,
    rules: &'a [&'static str],
    failing: Vec<ObjectOut<'a>>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct SuppressedOut<'a> {
    finding: FindingOut<'a>,
    by: ByOut<'a>,
}

#[derive(Serialize)]
struct ByOut<'a> {
    /// `config` or `annotation`.
    kind: &'static str,
    reason: &'a str,
    /// Where the config exception is written (`palisade.yaml:12`); `null` for annotations.
    location: Option<&'a str>,
    expires: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    path: &'a str,
    line: Option<u32>,
    col: Option<u32>,
    message: &'a str,
}

#[derive(Serialize)]
struct NoteOut<'a> {
    path: &'a str,
    line: u32,
    col: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct RuleOut<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    family: palisade_core::Family,
    description: &'a str,
    remediation: &'a str,
    references: &'a [&'a str],
    controls: ControlsOut,
}

impl<'a> Document<'a> {
    fn of(report: &'a Report) -> Document<'a> {
        // One pass over the findings (hundreds of thousands, out of cache by now) for every
        // severity.
        let mut by_severity = [0usize; 5];
        for f in &report.findings {
            let at = match f.severity {
                Severity::Critical => 0,
                Severity::High => 1,
                Severity::Medium => 2,
                Severity::Low => 3,
                Severity::Info => 4,
            };
            if let Some(n) = by_severity.get_mut(at) {
                *n += 1;
            }
        }
        let [critical, high, medium, low, info] = by_severity;
        Document {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "palisade",
                version: report.version,
            },
            summary: Summary {
                findings: report.findings.len(),
                by_severity: BySeverity {
                    critical,
                    high,
                    medium,
                    low,
                    info,
                },
                objects: report.stats.objects,
                dockerfiles: report.stats.dockerfiles,
                inputs: report.stats.inputs,
                suppressed: report.suppressed.len(),
                errors: report.errors.len(),
                notes: report.notes.len(),
            },
            errors: report.errors.iter().map(ErrorOut::of).collect(),
            notes: report.notes.iter().map(NoteOut::of).collect(),
            rules: report.rules.iter().copied().map(RuleOut::of).collect(),
        }
    }
}

impl<'a> FindingOut<'a> {
    fn of(rules: &'a RuleViews, f: &'a Finding) -> FindingOut<'a> {
        let rule = rules.get(&*f.rule_id);
        FindingOut {
            rule_id: &f.rule_id,
            title: rule.map(|r| r.title),
            controls: rule.map(|r| &r.controls),
            head: rule.map(|r| r.head.as_slice()),
            severity: f.severity,
            object: ObjectOut::of(&f.object),
            location: LocationOut {
                path: &f.location.path,
                line: f.location.line,
                col: f.location.col,
            },
            field: f.field.as_deref(),
            message: &f.message,
            evidence: f.evidence.as_deref(),
        }
    }
}

impl FindingOut<'_> {
    /// Appends the finding as compact JSON, exactly as its `Serialize` derive would write it
    /// (a test holds the two equal). Hand-written because findings are most of a large
    /// report, and most of their strings need no escaping: checking that is cheaper than
    /// escaping byte by byte. The report writes findings with [`write_finding`], which
    /// reuses what it wrote of a place; this is the same without reuse.
    #[cfg(test)]
    fn write_json(&self, buf: &mut Vec<u8>) {
        self.write_head(buf);
        self.write_place(buf);
        self.write_tail(buf);
    }

    /// `{"ruleId":…,"title":…,"severity":…,`
    fn write_head(&self, buf: &mut Vec<u8>) {
        match self.head {
            Some(head) => buf.extend_from_slice(head),
            None => buf.extend_from_slice(&head(self.rule_id, self.title)),
        }
        buf.extend_from_slice(b",\"severity\":\"");
        buf.extend_from_slice(self.severity.as_str().as_bytes());
        buf.extend_from_slice(b"\",");
    }

    /// `"object":{…},"location":{"path":…`: the same for every finding on one object.
    fn write_place(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(b"\"object\":{\"apiVersion\":");
        push_str(buf, self.object.api_version);
        buf.extend_from_slice(b",\"kind\":");
        push_str(buf, self.object.kind);
        buf.extend_from_slice(b",\"namespace\":");
        push_opt(buf, self.object.namespace);
        buf.extend_from_slice(b",\"name\":");
        push_str(buf, self.object.name);
        buf.extend_from_slice(b"},\"location\":{\"path\":");
        push_str(buf, self.location.path);
    }

    /// `,"line":…}` to the end.
    fn write_tail(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(b",\"line\":");
        push_u32(buf, self.location.line);
        buf.extend_from_slice(b",\"col\":");
        push_u32(buf, self.location.col);
        buf.extend_from_slice(b"},\"field\":");
        push_opt(buf, self.field);
        buf.extend_from_slice(b",\"message\":");
        push_str(buf, self.message);
        buf.extend_from_slice(b",\"evidence\":");
        push_opt(buf, self.evidence);
        buf.extend_from_slice(b",\"controls\":");
        match self.controls {
            Some(c) => buf.extend_from_slice(&c.json),
            None => buf.extend_from_slice(b"null"),
        }
        buf.push(b'}');
    }
}

/// `{"ruleId":…,"title":…` for a rule id and title.
fn head(rule_id: &str, title: Option<&str>) -> Vec<u8> {
    let mut buf = b"{\"ruleId\":".to_vec();
    push_str(&mut buf, rule_id);
    buf.extend_from_slice(b",\"title\":");
    push_opt(&mut buf, title);
    buf
}

/// The place a finding's chunk last wrote: the object and file, and where their JSON lies
/// in the chunk's buffer.
struct Place<'a> {
    object: &'a Arc<ObjectRef>,
    path: &'a Arc<str>,
    bytes: Range<usize>,
}

/// Appends one finding as [`FindingOut::write_json`] does. Findings come sorted by place, so
/// most follow another on the same object: its object and path are copied from where `last`
/// wrote them in this buffer instead of being checked for escapes and written again.
fn write_finding<'a>(
    buf: &mut Vec<u8>,
    rules: &RuleViews,
    f: &'a Finding,
    last: &mut Option<Place<'a>>,
) {
    let out = FindingOut::of(rules, f);
    out.write_head(buf);
    match last {
        Some(place)
            if Arc::ptr_eq(place.object, &f.object)
                && Arc::ptr_eq(place.path, &f.location.path) =>
        {
            buf.extend_from_within(place.bytes.clone());
        }
        _ => {
            let start = buf.len();
            out.write_place(buf);
            *last = Some(Place {
                object: &f.object,
                path: &f.location.path,
                bytes: start..buf.len(),
            });
        }
    }
    out.write_tail(buf);
}

/// Appends a JSON string literal. Text without `"`, `\\` or control characters is copied as
/// is; anything else goes through serde_json's escaping, so both paths agree byte for byte.
fn push_str(buf: &mut Vec<u8>, s: &str) {
    if !needs_escape(s.as_bytes()) {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else if serde_json::to_writer(&mut *buf, s).is_err() {
        // Writing to a Vec cannot fail; keep the document valid regardless.
        buf.extend_from_slice(b"null");
    }
}

/// Whether any byte needs escaping in a JSON string. Judged 32 bytes at a time without an
/// early exit inside a block, which the compiler turns into vector compares (a byte-by-byte
/// `all` cannot be vectorised and was 4% of a large scan's instructions); the rest (most
/// strings of a report are shorter than a block) eight bytes at a time in a word.
fn needs_escape(bytes: &[u8]) -> bool {
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        if block.iter().fold(false, |acc, &b| acc | is_special(b)) {
            return true;
        }
    }
    let mut words = blocks.remainder().chunks_exact(8);
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        if word_has_special(u64::from_le_bytes(eight)) {
            return true;
        }
    }
    words.remainder().iter().any(|&b| is_special(b))
}

fn is_special(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

/// [`is_special`] for any of eight bytes at once. `(x - 0x20..) & !x & 0x80..` has a high bit
/// set when some byte is below 0x20, and the same of `x ^ c..` (below 1) when some byte
/// equals `c`; a borrow can only mark bytes above a true match, so the answer is exact.
fn word_has_special(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGH;
    let control = below(x, 0x20);
    let quote = below(x ^ (ONES * u64::from(b'"')), 1);
    let backslash = below(x ^ (ONES * u64::from(b'\\')), 1);
    (control | quote | backslash) != 0
}

/// Appends a number in decimal, as `Display` writes it, without the formatting machinery or a
/// `String` per number (two per finding).
fn push_u32(buf: &mut Vec<u8>, n: u32) {
    let mut digits = [0u8; 20];
    buf.extend_from_slice(palisade_core::text::decimal(u64::from(n), &mut digits));
}

fn push_opt(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => push_str(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

impl<'a> SuppressedOut<'a> {
    fn of(rules: &'a RuleViews, s: &'a Suppressed) -> SuppressedOut<'a> {
        let by = match &s.by {
            Suppression::Config {
                location,
                reason,
                expires,
            } => ByOut {
                kind: "config",
                reason,
                location: Some(location),
                expires: expires.as_deref(),
            },
            Suppression::Annotation { reason } => ByOut {
                kind: "annotation",
                reason,
                location: None,
                expires: None,
            },
        };
        SuppressedOut {
            finding: FindingOut::of(rules, &s.finding),
            by,
        }
    }
}

impl<'a> ObjectOut<'a> {
    fn of(o: &'a ObjectRef) -> ObjectOut<'a> {
        ObjectOut {
            api_version: &o.api_version,
            kind: &o.kind,
            namespace: o.namespace.as_deref(),
            name: &o.name,
        }
    }
}

impl<'a> FrameworkOut<'a> {
    fn of(f: &'a FrameworkSummary) -> FrameworkOut<'a> {
        use palisade_core::ControlStatus;
        FrameworkOut {
            id: f.id,
            title: f.title,
            uri: f.uri,
            score: f.score,
            passed: f.count(ControlStatus::Pass),
            failed: f.count(ControlStatus::Fail),
            not_covered: f.count(ControlStatus::NotCovered),
            controls: f.controls.iter().map(ControlOut::of).collect(),
        }
    }
}

impl<'a> ControlOut<'a> {
    fn of(c: &'a ControlResult) -> ControlOut<'a> {
        ControlOut {
            id: c.id,
            title: c.title,
            status: c.status.as_str(),
            rules: &c.rules,
            failing: c.failing.iter().map(|o| ObjectOut::of(o)).collect(),
            reason: c.reason,
        }
    }
}

impl<'a> ErrorOut<'a> {
    fn of(e: &'a LoadError) -> ErrorOut<'a> {
        ErrorOut {
            path: &e.path,
            line: e.line,
            col: e.col,
            message: &e.message,
        }
    }
}

impl<'a> NoteOut<'a> {
    fn of(n: &'a LoadNote) -> NoteOut<'a> {
        NoteOut {
            path: &n.location.path,
            line: n.location.line,
            col: n.location.col,
            message: &n.message,
        }
    }
}

impl<'a> RuleOut<'a> {
    fn of(r: &'a Rule) -> RuleOut<'a> {
        RuleOut {
            id: r.id,
            title: r.title,
            severity: r.severity,
            family: r.family,
            description: r.description,
            remediation: r.remediation,
            references: r.references,
            controls: ControlsOut::of(&r.controls),
        }
    }
}

impl ControlsOut {
    fn of(c: &Controls) -> ControlsOut {
        ControlsOut {
            pss: c.pss.map(|l| l.as_str()),
            cis: c.cis,
            nsa: c.nsa,
            mitre: c.mitre,
        }
    }
}

#[cfg(test)]
mod fast_writer_tests;
