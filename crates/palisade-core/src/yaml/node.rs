//! The positioned YAML tree: every node remembers the line and column it starts at.

use super::scalar;

/// Scalar text. Most manifest scalars are short (`apiVersion`, `8080`, `nginx:1.25`), and a
/// compact string keeps up to 24 bytes inline: no allocation for them, and a third less
/// memory for a loaded inventory.
pub type Text = compact_str::CompactString;

/// A position in a source text: 1-based line and 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
}

impl Pos {
    /// A position from 1-based line and column.
    pub fn new(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }
}

/// A YAML node with its start position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the node starts.
    pub pos: Pos,
}

/// A YAML value. Scalars keep their text: what a plain scalar means (bool, number, null)
/// depends on the Kubernetes field it lands in, exactly as with kubectl's decoder, so it is
/// resolved when a rule reads it (see [`crate::yaml::scalar`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An unquoted scalar (`true`, `8080`, `nginx`, `~`, or nothing at all).
    Plain(Text),
    /// A quoted or block scalar: always a string.
    Quoted(Text),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order, duplicate keys already collapsed (last wins).
    Map(Vec<Entry>),
}

/// One key/value pair of a mapping. The key keeps its own position, which is the line a
/// finding about the field should point at.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key (almost always a string).
    pub key: Node,
    /// The value.
    pub value: Node,
}

impl Entry {
    /// The key as a string, if it is one.
    pub fn key_str(&self) -> Option<&str> {
        self.key.as_str()
    }
}

static NULL_NODE: Node = Node {
    value: Value::Plain(Text::const_new("")),
    pos: Pos { line: 0, col: 0 },
};

impl Node {
    /// A shared null node, handy as a default.
    pub fn null() -> &'static Node {
        &NULL_NODE
    }

    /// The mapping entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Sequence items, or an empty slice for anything else (absent lists are common).
    pub fn items(&self) -> &[Node] {
        self.as_seq().unwrap_or(&[])
    }

    /// Mapping entries, or an empty slice for anything else.
    pub fn entries(&self) -> &[Entry] {
        self.as_map().unwrap_or(&[])
    }

    /// The text of a scalar that is not null, as a string-typed field would receive it.
    /// Inlined: walks over every string of every object (the secrets detector's) call it
    /// for each scalar.
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Quoted(s) => Some(s.as_str()),
            Value::Plain(s) if !scalar::is_null(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The boolean a bool-typed field would receive (YAML 1.1 spellings included).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Plain(s) => scalar::parse_bool(s),
            _ => None,
        }
    }

    /// The integer an integer-typed field would receive.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Plain(s) => scalar::parse_int(s),
            _ => None,
        }
    }

    /// True for `null`, `~` and an empty value.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Plain(s) if scalar::is_null(s))
    }

    /// The entry under `key`, when this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        // Raw text comparison: a key spelled `null` is still the key `null`, and skipping the
        // null check keeps this hottest of lookups to a length test and one memcmp.
        self.as_map()?
            .iter()
            .find(|e| e.key.scalar_text() == Some(key))
    }

    /// The value under `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Follows a path of mapping keys.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The raw text of any scalar (null included, as its spelling).
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::Plain(s) | Value::Quoted(s) => Some(s.as_str()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// Converts the tree to JSON (positions dropped), resolving plain scalars the way
    /// kubectl's YAML-to-JSON step does.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Plain(s) => scalar::plain_to_json(s),
            Value::Quoted(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| {
                        let key = match &e.key.value {
                            Value::Plain(s) | Value::Quoted(s) => s.to_string(),
                            _ => e.key.to_json().to_string(),
                        };
                        (key, e.value.to_json())
                    })
                    .collect(),
            ),
        }
    }

    /// The tree a YAML parser makes of this JSON, every node at `pos` (JSON is YAML: strings
    /// and keys are quoted scalars, numbers, booleans and null plain ones). Skips printing
    /// and re-parsing a value that is already parsed (an admission request's object).
    pub fn from_json(json: &serde_json::Value, pos: Pos) -> Node {
        use serde_json::Value as J;
        let value = match json {
            J::Null => Value::Plain("null".into()),
            J::Bool(b) => Value::Plain(if *b { "true" } else { "false" }.into()),
            J::Number(n) => Value::Plain(n.to_string().into()),
            J::String(s) => Value::Quoted(s.as_str().into()),
            J::Array(items) => Value::Seq(items.iter().map(|i| Node::from_json(i, pos)).collect()),
            J::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: Node {
                            value: Value::Quoted(k.as_str().into()),
                            pos,
                        },
                        value: Node::from_json(v, pos),
                    })
                    .collect(),
            ),
        };
        Node { value, pos }
    }

    /// Counts this node and all nodes below it.
    pub fn count_nodes(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::count_nodes).sum(),
            Value::Map(entries) => entries
                .iter()
                .map(|e| e.key.count_nodes() + e.value.count_nodes())
                .sum(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str, line: u32) -> Node {
        Node {
            value: Value::Quoted(text.into()),
            pos: Pos::new(line, 1),
        }
    }

    #[test]
    fn get_path_walks_mappings() {
        let inner = Node {
            value: Value::Map(vec![Entry {
                key: s("b", 2),
                value: s("x", 2),
            }]),
            pos: Pos::new(2, 3),
        };
        let root = Node {
            value: Value::Map(vec![Entry {
                key: s("a", 1),
                value: inner,
            }]),
            pos: Pos::new(1, 1),
        };
        assert_eq!(root.get_path(&["a", "b"]).and_then(Node::as_str), Some("x"));
        assert!(root.get_path(&["a", "c"]).is_none());
        assert_eq!(root.count_nodes(), 5);
        assert_eq!(root.to_json(), serde_json::json!({"a": {"b": "x"}}));
    }
}
