//! Builds positioned [`Node`] trees from the YAML event stream.
//!
//! The event parser (saphyr-parser) is pulled one event at a time, so nothing here
//! recurses on input depth; nesting and alias expansion are bounded by [`Limits`], which
//! keeps hostile input (deep nesting, "billion laughs" alias bombs) to bounded memory.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::node::{Entry, Node, Pos, Text, Value};

/// Bounds that keep parsing hostile input cheap.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of sequences and mappings accepted.
    pub max_depth: usize,
    /// Most nodes that alias expansion may add to one document.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 256,
            max_alias_nodes: 1_000_000,
        }
    }
}

/// One parsed YAML document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The root node.
    pub root: Node,
    /// First line of the document (its `---` marker when there is one).
    pub start_line: u32,
    /// Mapping keys that appeared twice; the last value was kept.
    pub duplicate_keys: Vec<DuplicateKey>,
}

/// A mapping key written twice in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key.
    pub key: String,
    /// Where it first appeared.
    pub first: Pos,
    /// Where it appeared again (this value wins).
    pub again: Pos,
}

/// A syntax error or a limit hit while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Where parsing stopped.
    pub pos: Pos,
    /// What went wrong.
    pub message: String,
}

/// Everything parsed from one YAML stream: the documents before any error, and the error.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    /// Documents parsed completely.
    pub documents: Vec<Document>,
    /// The error that stopped parsing, if any. Documents after it are not read.
    pub error: Option<YamlError>,
}

/// Parses a multi-document YAML stream.
pub fn parse_stream(text: &str, limits: &Limits) -> Stream {
    let mut builder = Builder::new(*limits);
    let mut parser = Parser::new_from_str(text);
    let mut stream = Stream::default();
    while let Some(next) = parser.next_event() {
        let result = match next {
            Ok((event, span)) => builder.on_event(event, span, &mut stream),
            Err(err) => Err(YamlError {
                pos: Pos::new(to_u32(err.marker().line()), to_u32(err.marker().col() + 1)),
                message: err.info().to_string(),
            }),
        };
        match result {
            Ok(Flow::Continue) => {}
            Ok(Flow::End) => break,
            Err(err) => {
                stream.error = Some(err);
                break;
            }
        }
    }
    stream
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn pos_of(span: &Span) -> Pos {
    Pos::new(to_u32(span.start.line()), to_u32(span.start.col() + 1))
}

enum Flow {
    Continue,
    End,
}

/// A collection being built, with the anchor to register when it completes. Children wait
/// in the builder's shared scratch stacks from `start` on; a completed collection takes them
/// in one allocation of exactly the right size (no growth, no slack: that halves the memory
/// of a loaded inventory).
enum Frame {
    Seq {
        start: usize,
        pos: Pos,
        anchor: usize,
    },
    Map {
        start: usize,
        pos: Pos,
        anchor: usize,
        pending_key: Option<Node>,
        /// Key text -> index in the mapping, built lazily once a mapping grows large.
        index: Option<HashMap<String, usize>>,
    },
}

struct Builder {
    limits: Limits,
    stack: Vec<Frame>,
    items: Vec<Node>,
    entries: Vec<Entry>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    doc_start: u32,
    duplicates: Vec<DuplicateKey>,
}

impl Builder {
    fn new(limits: Limits) -> Builder {
        Builder {
            limits,
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            doc_start: 1,
            duplicates: Vec::new(),
        }
    }

    fn on_event(
        &mut self,
        event: Event<'_>,
        span: Span,
        stream: &mut Stream,
    ) -> Result<Flow, YamlError> {
        let pos = pos_of(&span);
        match event {
            Event::StreamEnd => return Ok(Flow::End),
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.alias_nodes = 0;
                self.doc_start = pos.line;
            }
            Event::Scalar(text, style, anchor, tag) => {
                // An explicit tag (`!!str 1`) makes the scalar a string whatever it reads as.
                let value = if style == ScalarStyle::Plain && tag.is_none() {
                    Value::Plain(Text::from(text))
                } else {
                    Value::Quoted(Text::from(text))
                };
                self.complete(Node { value, pos }, anchor, stream)?;
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).ok_or_else(|| YamlError {
                    pos,
                    message: "alias refers to an unknown anchor".into(),
                })?;
                self.alias_nodes = self.alias_nodes.saturating_add(node.count_nodes());
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(YamlError {
                        pos,
                        message: format!(
                            "aliases expand to more than {} nodes in this document \
                             (an alias bomb?); refusing to expand further",
                            self.limits.max_alias_nodes
                        ),
                    });
                }
                let mut copy = node.clone();
                copy.pos = pos;
                self.complete(copy, 0, stream)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(pos)?;
                self.stack.push(Frame::Seq {
                    start: self.items.len(),
                    pos,
                    anchor,
                });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(pos)?;
                self.stack.push(Frame::Map {
                    start: self.entries.len(),
                    pos,
                    anchor,
                    pending_key: None,
                    index: None,
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { start, pos, anchor }) = self.stack.pop() {
                    let node = Node {
                        value: Value::Seq(self.items.drain(start..).collect()),
                        pos,
                    };
                    self.complete(node, anchor, stream)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    start, pos, anchor, ..
                }) = self.stack.pop()
                {
                    let mut entries: Vec<Entry> = self.entries.drain(start..).collect();
                    apply_merge_keys(&mut entries);
                    let node = Node {
                        value: Value::Map(entries),
                        pos,
                    };
                    self.complete(node, anchor, stream)?;
                }
            }
        }
        Ok(Flow::Continue)
    }

    fn check_depth(&self, pos: Pos) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(YamlError {
                pos,
                message: format!(
                    "nesting deeper than {} levels; refusing to parse further",
                    self.limits.max_depth
                ),
            });
        }
        Ok(())
    }

    /// A node is complete: register its anchor and hand it to its parent (or the stream).
    fn complete(
        &mut self,
        node: Node,
        anchor: usize,
        stream: &mut Stream,
    ) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                stream.documents.push(Document {
                    root: node,
                    start_line: self.doc_start,
                    duplicate_keys: std::mem::take(&mut self.duplicates),
                });
            }
            Some(Frame::Seq { .. }) => self.items.push(node),
            Some(Frame::Map {
                start,
                pending_key,
                index,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    if let Some(dup) = insert_entry(&mut self.entries, *start, index, key, node) {
                        self.duplicates.push(dup);
                    }
                }
            },
        }
        Ok(())
    }
}

/// Mappings up to this size are searched linearly for duplicate keys.
const LINEAR_KEY_SCAN: usize = 16;

/// Inserts an entry, keeping the last value of a duplicated key (as kubectl's decoder does)
/// and reporting the duplicate.
fn insert_entry(
    scratch: &mut Vec<Entry>,
    start: usize,
    index: &mut Option<HashMap<String, usize>>,
    key: Node,
    value: Node,
) -> Option<DuplicateKey> {
    let existing = key.scalar_text().and_then(|text| match index {
        Some(map) => map.get(text).copied(),
        None => scratch[start..]
            .iter()
            .position(|e| e.key.scalar_text() == Some(text)),
    });
    if let Some(i) = existing {
        let slot = &mut scratch[start + i];
        let dup = DuplicateKey {
            key: key.scalar_text().unwrap_or_default().to_string(),
            first: slot.key.pos,
            again: key.pos,
        };
        *slot = Entry { key, value };
        return Some(dup);
    }
    scratch.push(Entry { key, value });
    let len = scratch.len() - start;
    if let Some(map) = index {
        if let Some(text) = scratch[scratch.len() - 1].key.scalar_text() {
            map.insert(text.to_string(), len - 1);
        }
    } else if len > LINEAR_KEY_SCAN {
        *index = Some(
            scratch[start..]
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.key.scalar_text().map(|k| (k.to_owned(), i)))
                .collect(),
        );
    }
    None
}

/// Applies YAML merge keys (`<<: *base`): merged keys never override explicit ones.
fn apply_merge_keys(entries: &mut Vec<Entry>) {
    let Some(at) = entries.iter().position(|e| e.key.as_str() == Some("<<")) else {
        return;
    };
    let merge = entries.remove(at);
    let sources: Vec<&Node> = match &merge.value.value {
        Value::Map(_) => vec![&merge.value],
        Value::Seq(items) => items.iter().collect(),
        _ => return,
    };
    let mut present: HashSet<String> = entries
        .iter()
        .filter_map(|e| e.key.scalar_text().map(str::to_owned))
        .collect();
    for source in sources {
        for entry in source.entries() {
            if let Some(k) = entry.key.scalar_text() {
                if present.insert(k.to_owned()) {
                    entries.push(entry.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Stream {
        parse_stream(text, &Limits::default())
    }

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let s = parse("a: 1\nb:\n  c: true\n");
        assert!(s.error.is_none());
        let root = &s.documents[0].root;
        let b = root.entry("b").unwrap();
        assert_eq!(b.key.pos, Pos::new(2, 1));
        let c = b.value.entry("c").unwrap();
        assert_eq!(c.key.pos, Pos::new(3, 3));
        assert_eq!(c.value.as_bool(), Some(true));
    }

    #[test]
    fn multi_document_streams_keep_start_lines() {
        let s = parse("a: 1\n---\nb: 2\n---\n# only a comment\n---\nc: 3\n");
        let roots: Vec<_> = s.documents.iter().filter(|d| !d.root.is_null()).collect();
        assert_eq!(roots.len(), 3);
        assert_eq!(roots[1].start_line, 2);
        assert_eq!(roots[2].root.entry("c").unwrap().key.pos.line, 7);
    }

    #[test]
    fn duplicate_keys_last_wins_and_are_reported() {
        let s = parse("a: 1\nb: 2\na: 3\n");
        let doc = &s.documents[0];
        assert_eq!(doc.root.get("a").and_then(Node::as_i64), Some(3));
        assert_eq!(doc.root.entries().len(), 2);
        assert_eq!(
            doc.duplicate_keys,
            vec![DuplicateKey {
                key: "a".into(),
                first: Pos::new(1, 1),
                again: Pos::new(3, 1)
            }]
        );
    }

    #[test]
    fn duplicate_keys_in_large_mappings_use_the_index() {
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k3: last\n");
        let s = parse(&text);
        let doc = &s.documents[0];
        assert_eq!(doc.root.get("k3").and_then(Node::as_str), Some("last"));
        assert_eq!(doc.duplicate_keys.len(), 1);
    }

    #[test]
    fn syntax_error_keeps_earlier_documents() {
        let s = parse("a: 1\n---\nb: [1, 2\n");
        assert_eq!(s.documents.len(), 1);
        let err = s.error.unwrap();
        assert!(err.pos.line >= 3, "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        // Flow nesting is stopped by the scanner's own recursion limit...
        let s = parse(&"[".repeat(100_000));
        let err = s.error.unwrap();
        assert!(err.message.contains("recursion limit"), "{err:?}");
        // ...block nesting by ours.
        let block: String = (0..300)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        let s = parse(&block);
        let err = s.error.unwrap();
        assert!(err.message.contains("nesting deeper than 256"), "{err:?}");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        let names: Vec<char> = "abcdefghijk".chars().collect();
        for w in names.windows(2) {
            let (prev, next) = (w[0], w[1]);
            text.push_str(&format!(
                "{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let s = parse(&text);
        let err = s.error.unwrap();
        assert!(err.message.contains("alias bomb"), "{err:?}");
    }

    #[test]
    fn aliases_and_merge_keys_resolve() {
        let s = parse("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n");
        let d = s.documents[0].root.get("derived").unwrap();
        assert_eq!(d.get("x").and_then(Node::as_i64), Some(1));
        assert_eq!(d.get("y").and_then(Node::as_i64), Some(3));
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let s = parse("a: \"true\"\nb: 'yes'\nc: !!str 1\nd: yes\n");
        let r = &s.documents[0].root;
        assert_eq!(r.get("a").and_then(Node::as_str), Some("true"));
        assert_eq!(r.get("b").and_then(Node::as_str), Some("yes"));
        assert_eq!(r.get("c").and_then(Node::as_str), Some("1"));
        assert_eq!(r.get("d").and_then(Node::as_bool), Some(true));
    }
}
