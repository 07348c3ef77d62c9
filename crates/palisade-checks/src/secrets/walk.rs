//! The manifest walk: every string scalar of an object (env values, ConfigMap data,
//! annotations, args, probe headers, custom resource fields) goes through the detector, and
//! what it finds becomes one finding per value and rule, at the line of the value's key (or
//! of the item, in a sequence).

use palisade_core::yaml::{Node, Pos, Value};
use palisade_core::{Emitter, Object};

use super::detector::{scan_named, Detection, Slot};
use super::names::is_secret_name;
use super::values::decode_base64;
use super::{LITERAL_SECRET, NAMED_SECRET};

/// Annotations that repeat the object itself (already walked) or record machinery state.
const SKIPPED_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

/// Shortest value a known format can match; shorter values are judged by name alone.
const MIN_FORMAT_LEN: usize = 8;

/// Evidence items listed in one finding; a generated file can hold thousands.
const MAX_EVIDENCE: usize = 5;

/// One step of a field path.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Walker<'o, 'e, 'c> {
    obj: &'o Object,
    em: &'e mut Emitter<'c>,
    path: Vec<Seg<'o>>,
    /// ConfigMap: `data`/`binaryData` keys are variables, `binaryData` is base64.
    config_map: bool,
}

/// Runs PAL-SECRET-001 and PAL-SECRET-002 over every string of `obj`.
pub(super) fn scan_object(obj: &Object, em: &mut Emitter) {
    if !em.enabled(&LITERAL_SECRET) && !em.enabled(&NAMED_SECRET) {
        return;
    }
    let mut w = Walker {
        obj,
        em,
        path: Vec::with_capacity(16),
        config_map: obj.is("ConfigMap"),
    };
    for e in obj.root.entries() {
        let Some(key) = e.key.scalar_text() else {
            continue;
        };
        if matches!(key, "apiVersion" | "kind") {
            continue;
        }
        w.path.push(Seg::Key(key));
        if w.config_map && matches!(key, "data" | "binaryData") {
            w.config_data(&e.value, key == "binaryData");
        } else {
            w.node(&e.value, None, e.key.pos, Slot::Field);
        }
        w.path.pop();
    }
}

impl<'o> Walker<'o, '_, '_> {
    fn node(&mut self, node: &'o Node, name: Option<&'o str>, pos: Pos, slot: Slot) {
        match &node.value {
            Value::Plain(_) | Value::Quoted(_) => {
                if let Some(text) = node.as_str() {
                    self.value(text, name, pos, slot);
                }
            }
            Value::Map(entries) => {
                // `{name: X, value: Y}` (env vars, probe headers, CRD parameters): Y's name
                // is X, and it is a variable, not a field.
                let pair_name = entries
                    .iter()
                    .find(|e| e.key.scalar_text() == Some("name"))
                    .and_then(|e| e.value.as_str());
                let in_metadata = matches!(self.path.as_slice(), [Seg::Key("metadata")]);
                for e in entries {
                    let Some(key) = e.key.scalar_text() else {
                        continue;
                    };
                    if in_metadata && key == "managedFields" {
                        continue;
                    }
                    if self.in_annotations() && SKIPPED_ANNOTATIONS.contains(&key) {
                        continue;
                    }
                    let (name, slot) = match pair_name {
                        Some(n) if key == "value" => (n, Slot::Variable),
                        _ if self.in_annotations() => (annotation_name(key), slot),
                        _ => (key, slot),
                    };
                    self.path.push(Seg::Key(key));
                    self.node(&e.value, Some(name), e.key.pos, slot);
                    self.path.pop();
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    // `--password`, `value` as two items: the value's name is the option.
                    let option = i
                        .checked_sub(1)
                        .and_then(|p| items.get(p))
                        .and_then(Node::as_str)
                        .filter(|p| p.starts_with('-') && !p.contains(['=', ' ']))
                        .map(|p| p.trim_start_matches('-'));
                    let (name, slot) = match option {
                        Some(o) => (Some(o), Slot::Variable),
                        None => (name, slot),
                    };
                    self.path.push(Seg::Index(i));
                    self.node(item, name, item.pos, slot);
                    self.path.pop();
                }
            }
        }
    }

    fn in_annotations(&self) -> bool {
        matches!(
            self.path.as_slice(),
            [Seg::Key("metadata"), Seg::Key("annotations")]
        )
    }

    /// ConfigMap `data` (text) and `binaryData` (base64, judged when it decodes to text).
    fn config_data(&mut self, data: &'o Node, binary: bool) {
        for e in data.entries() {
            let (Some(key), Some(raw)) = (e.key.scalar_text(), e.value.as_str()) else {
                continue;
            };
            self.path.push(Seg::Key(key));
            if binary {
                if let Some(text) = decode_base64(raw).and_then(|b| String::from_utf8(b).ok()) {
                    self.value(&text, Some(key), e.key.pos, Slot::Variable);
                }
            } else {
                self.value(raw, Some(key), e.key.pos, Slot::Variable);
            }
            self.path.pop();
        }
    }

    /// Judges one string value; `pos` is where its finding points.
    fn value(&mut self, text: &str, name: Option<&str>, pos: Pos, slot: Slot) {
        // The cheap gate that keeps the walk off the profile: a short value can only be a
        // finding under a secret-like name, and most names are not.
        let secret_name = name.filter(|n| is_secret_name(n));
        if text.len() < MIN_FORMAT_LEN && secret_name.is_none() {
            return;
        }
        let found = scan_named(slot, secret_name, name, text);
        if found.is_empty() {
            return;
        }
        let field = self.field();
        for rule in [&LITERAL_SECRET, &NAMED_SECRET] {
            let mine: Vec<&Detection> = found.iter().filter(|d| d.rule.id == rule.id).collect();
            let Some(first) = mine.first() else {
                continue;
            };
            let at = line_note(text, first.offset);
            let message = if rule.id == LITERAL_SECRET.id {
                let mut kinds: Vec<&str> = Vec::new();
                for d in &mine {
                    if !kinds.contains(&d.what) {
                        kinds.push(d.what);
                    }
                }
                format!("`{field}` holds a literal {}{at}", kinds.join(", "))
            } else {
                // A few names make the message; a generated file can hold thousands.
                let mut names: Vec<&str> = Vec::new();
                for d in &mine {
                    if names.len() == MAX_EVIDENCE {
                        break;
                    }
                    if let Some(n) = d.name.as_deref().filter(|n| !names.contains(n)) {
                        names.push(n);
                    }
                }
                let own = mine.len() == 1 && names.first().copied() == name && first.offset == 0;
                if own {
                    format!("`{}` holds a literal value (`{field}`)", names.join(""))
                } else {
                    let mut list = names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    if names.len() == MAX_EVIDENCE && mine.len() > MAX_EVIDENCE {
                        list.push_str(" and more");
                    }
                    format!("`{field}` sets {list} to a literal value{at}")
                }
            };
            let mut evidence: Vec<String> = mine
                .iter()
                .take(MAX_EVIDENCE)
                .map(|d| match &d.name {
                    Some(n) => format!("{n}: {}", d.evidence),
                    None => format!("{}: {}", d.what, d.evidence),
                })
                .collect();
            if mine.len() > MAX_EVIDENCE {
                evidence.push(format!("{} more", mine.len() - MAX_EVIDENCE));
            }
            if let Some(f) = self
                .em
                .emit(rule, self.obj, pos, Some(field.clone()), message)
            {
                f.evidence = Some(evidence.join("; "));
            }
        }
    }

    /// `spec.template.spec.containers[0].env[2].value`, `data.app.properties`.
    fn field(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

/// `example.com/db-password` is named `db-password`.
fn annotation_name(key: &str) -> &str {
    key.rsplit_once('/').map_or(key, |(_, n)| n)
}

/// " (line 3 of the value)" for a detection inside a multi-line value; findings point at
/// the value's key, since the loader keeps no block scalar style to place inner lines.
fn line_note(text: &str, offset: usize) -> String {
    if !text.trim_end().contains('\n') {
        return String::new();
    }
    let line = text
        .get(..offset)
        .map_or(0, |t| t.bytes().filter(|&b| b == b'\n').count())
        + 1;
    format!(" (line {line} of the value)")
}
