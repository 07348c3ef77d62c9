//! The manifest walk: every string scalar of an object (env values, ConfigMap data,
//! annotations, args, probe headers, custom resource fields) goes through the detector, and
//! what it finds becomes one finding per value and rule, at the line of the value's key (or
//! of the item, in a sequence).

use std::sync::Arc;

use palisade_core::yaml::{Entry, Node, Pos, Value};
use palisade_core::{Emitter, Object};

use super::detector::{scan_named, Detection, Slot};
use super::names::Name;
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

/// The field path of a map or sequence being walked: its last step and its parent's path,
/// a chain on the call stack. Nothing is allocated or pushed per node; the path is spelled
/// out only for a finding.
#[derive(Clone, Copy)]
struct Path<'p, 'o> {
    seg: Seg<'o>,
    parent: Option<&'p Path<'p, 'o>>,
}

impl Path<'_, '_> {
    /// Is this the top-level `metadata`?
    fn is_metadata(&self) -> bool {
        matches!(self.seg, Seg::Key("metadata")) && self.parent.is_none()
    }

    /// Is this `metadata.annotations`?
    fn is_annotations(&self) -> bool {
        matches!(self.seg, Seg::Key("annotations")) && self.parent.is_some_and(Path::is_metadata)
    }
}

struct Walker<'o, 'e, 'c> {
    obj: &'o Object,
    em: &'e mut Emitter<'c>,
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
        config_map: obj.is("ConfigMap"),
    };
    for e in obj.root.entries() {
        let Some(key) = e.key.scalar_text() else {
            continue;
        };
        if matches!(key, "apiVersion" | "kind") {
            continue;
        }
        if w.config_map && matches!(key, "data" | "binaryData") {
            let here = Path {
                seg: Seg::Key(key),
                parent: None,
            };
            w.config_data(&e.value, &here, key == "binaryData");
        } else {
            w.node(&e.value, Seg::Key(key), None, None, e.key.pos, Slot::Field);
        }
    }
}

impl<'o> Walker<'o, '_, '_> {
    /// Walks `node`, the child `seg` of `parent` (`None`: of the object). A scalar is
    /// judged with `seg` as the last step of its field; maps and sequences extend the path.
    /// Inlined into the loops over entries and items, so that the scalars most nodes are
    /// cost no call.
    #[inline(always)]
    fn node(
        &mut self,
        node: &'o Node,
        seg: Seg<'o>,
        parent: Option<&Path<'_, 'o>>,
        name: Option<&'o str>,
        pos: Pos,
        slot: Slot,
    ) {
        match &node.value {
            Value::Plain(_) | Value::Quoted(_) => {
                if let Some(text) = node.as_str() {
                    self.value(text, name, pos, slot, seg, parent);
                }
            }
            Value::Map(entries) => self.map(entries, &Path { seg, parent }, slot),
            Value::Seq(items) => self.seq(items, &Path { seg, parent }, name, slot),
        }
    }

    /// The entries of the map at `here`.
    #[inline(never)]
    fn map(&mut self, entries: &'o [Entry], here: &Path<'_, 'o>, slot: Slot) {
        let in_metadata = here.is_metadata();
        let in_annotations = here.is_annotations();
        for e in entries {
            let Some(key) = e.key.scalar_text() else {
                continue;
            };
            if in_metadata && key == "managedFields" {
                continue;
            }
            if in_annotations && SKIPPED_ANNOTATIONS.contains(&key) {
                continue;
            }
            // `{name: X, value: Y}` (env vars, probe headers, CRD parameters): Y's name is
            // X, and it is a variable, not a field. Looked up only for a `value` key: most
            // maps have none.
            let pair_name = if key == "value" {
                pair_name(entries)
            } else {
                None
            };
            let (name, slot) = match pair_name {
                Some(n) => (n, Slot::Variable),
                None if in_annotations => (annotation_name(key), slot),
                None => (key, slot),
            };
            self.node(
                &e.value,
                Seg::Key(key),
                Some(here),
                Some(name),
                e.key.pos,
                slot,
            );
        }
    }

    /// The items of the sequence at `here`, under `name` (the sequence's).
    #[inline(never)]
    fn seq(&mut self, items: &'o [Node], here: &Path<'_, 'o>, name: Option<&'o str>, slot: Slot) {
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
            self.node(item, Seg::Index(i), Some(here), name, item.pos, slot);
        }
    }

    /// ConfigMap `data` (text) and `binaryData` (base64, judged when it decodes to text),
    /// at `here`.
    fn config_data(&mut self, data: &'o Node, here: &Path<'_, 'o>, binary: bool) {
        for e in data.entries() {
            let (Some(key), Some(raw)) = (e.key.scalar_text(), e.value.as_str()) else {
                continue;
            };
            let (pos, seg, parent) = (e.key.pos, Seg::Key(key), Some(here));
            if binary {
                if let Some(text) = decode_base64(raw).and_then(|b| String::from_utf8(b).ok()) {
                    self.value(&text, Some(key), pos, Slot::Variable, seg, parent);
                }
            } else {
                self.value(raw, Some(key), pos, Slot::Variable, seg, parent);
            }
        }
    }

    /// Judges one string value, the child `leaf` of `parent`; `pos` is where its finding
    /// points. Inlined: most values stop at the first gates.
    #[inline(always)]
    fn value(
        &mut self,
        text: &str,
        name: Option<&str>,
        pos: Pos,
        slot: Slot,
        leaf: Seg,
        parent: Option<&Path>,
    ) {
        // The cheap gate that keeps the walk off the profile: a short value can only be a
        // finding under a secret-like name, and most names are not.
        if text.len() < MIN_FORMAT_LEN && is_plainly_not_a_secret(text) {
            // Empty, a number or a boolean: not a secret under any name
            // (`is_not_a_secret`), and too short for a format or an assignment.
            return;
        }
        let judged = name.map(Name::of);
        let secret_name = judged.filter(|n| n.is_secret()).map(|n| n.text);
        if text.len() < MIN_FORMAT_LEN && secret_name.is_none() {
            return;
        }
        let found = scan_named(slot, secret_name, judged, text);
        if !found.is_empty() {
            self.report(text, name, pos, field(parent, leaf).into(), &found);
        }
    }

    /// Emits the findings of one value: one per rule, listing what was found.
    #[inline(never)]
    fn report(
        &mut self,
        text: &str,
        name: Option<&str>,
        pos: Pos,
        field: Arc<str>,
        found: &[Detection],
    ) {
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
                .emit(rule, self.obj, pos, Some(Arc::clone(&field)), message)
            {
                f.evidence = Some(evidence.join("; ").into());
            }
        }
    }
}

/// `spec.template.spec.containers[0].env[2].value`, `data.app.properties`: the path of
/// `parent`, then `leaf`.
fn field(parent: Option<&Path>, leaf: Seg) -> String {
    let mut steps = vec![leaf];
    let mut at = parent;
    while let Some(p) = at {
        steps.push(p.seg);
        at = p.parent;
    }
    let mut out = String::new();
    for seg in steps.iter().rev() {
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

/// The string under `name` in a map's entries (`{name: X, value: Y}`).
fn pair_name(entries: &[Entry]) -> Option<&str> {
    entries
        .iter()
        .find(|e| e.key.scalar_text() == Some("name"))
        .and_then(|e| e.value.as_str())
}

/// `example.com/db-password` is named `db-password`.
fn annotation_name(key: &str) -> &str {
    key.rsplit_once('/').map_or(key, |(_, n)| n)
}

/// Empty, ASCII digits only (`80`, `10001`) or `true`/`false`: the ports, counts, IDs and
/// switches most short values of a manifest are, and values that `is_not_a_secret` rules
/// out under any name.
fn is_plainly_not_a_secret(text: &str) -> bool {
    matches!(text, "true" | "false") || text.bytes().all(|b| b.is_ascii_digit())
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

#[cfg(test)]
mod tests {
    use super::super::detector::scan;
    use super::*;

    /// The values the walk drops before looking at their name find nothing under any
    /// name, in any slot.
    #[test]
    fn plain_non_secrets_find_nothing_under_any_name() {
        for text in ["", "0", "8080", "1234567", "true", "false"] {
            assert!(text.len() < MIN_FORMAT_LEN && is_plainly_not_a_secret(text));
            for name in [
                "DB_PASSWORD",
                "apiKey",
                "JWT_SECRET",
                "token",
                "db.pass",
                "x",
            ] {
                for slot in [Slot::Variable, Slot::Field] {
                    assert_eq!(scan(slot, Some(name), text), [], "{name}: {text:?}");
                }
            }
        }
        for text in ["hunter2", "-1", "True", "0x10", "1.5"] {
            assert!(!is_plainly_not_a_secret(text), "{text}");
        }
    }

    #[test]
    fn fields_spell_the_whole_path() {
        let root = Path {
            seg: Seg::Key("spec"),
            parent: None,
        };
        let containers = Path {
            seg: Seg::Key("containers"),
            parent: Some(&root),
        };
        let first = Path {
            seg: Seg::Index(0),
            parent: Some(&containers),
        };
        assert_eq!(
            field(Some(&first), Seg::Key("image")),
            "spec.containers[0].image"
        );
        assert_eq!(field(None, Seg::Key("data")), "data");
        let metadata = Path {
            seg: Seg::Key("metadata"),
            parent: None,
        };
        let annotations = Path {
            seg: Seg::Key("annotations"),
            parent: Some(&metadata),
        };
        assert!(metadata.is_metadata() && annotations.is_annotations());
        assert!(!first.is_metadata() && !containers.is_annotations());
    }
}
