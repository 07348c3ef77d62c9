//! YAML with positions: a pull-based loader over saphyr-parser that builds [`Node`] trees
//! whose every node knows its line and column, bounded against hostile input.

mod load;
mod node;
pub mod scalar;

pub use load::{parse_stream, Document, DuplicateKey, Limits, Stream, YamlError};
pub use node::{Entry, Node, Pos, Text, Value};
