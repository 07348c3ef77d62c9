//! Small helpers shared by rule families.

use palisade_core::yaml::{Node, Pos};

/// The position of `key` inside `node` (the key's line), or `fallback` when absent.
pub fn key_pos(node: &Node, key: &str, fallback: Pos) -> Pos {
    node.entry(key).map_or(fallback, |e| e.key.pos)
}
