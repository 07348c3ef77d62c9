//! Collecting diagnostics while parsing one object: each problem at its own line, and
//! whether any of them makes the object one the API server would reject.

use std::sync::Arc;

use palisade_core::yaml::Node;
use palisade_core::Object;
use serde_json::Value as Json;

use crate::diag::{Diagnostic, DiagnosticKind, Level};

pub(crate) struct Reporter<'a> {
    pub obj: &'a Object,
    pub diags: &'a mut Vec<Diagnostic>,
    pub rejected: bool,
}

impl<'a> Reporter<'a> {
    pub fn new(obj: &'a Object, diags: &'a mut Vec<Diagnostic>) -> Reporter<'a> {
        Reporter {
            obj,
            diags,
            rejected: false,
        }
    }

    pub fn report(
        &mut self,
        level: Level,
        kind: DiagnosticKind,
        node: &Node,
        field: &str,
        msg: String,
    ) {
        if level == Level::Rejected {
            self.rejected = true;
        }
        let pos = if node.pos.line == 0 {
            self.obj.root.pos
        } else {
            node.pos
        };
        self.diags.push(Diagnostic {
            level,
            kind,
            object: Arc::clone(&self.obj.id),
            location: self.obj.location_of(pos),
            field: field.to_string(),
            message: msg,
        });
    }

    pub fn reject(&mut self, kind: DiagnosticKind, node: &Node, field: &str, msg: String) {
        self.report(Level::Rejected, kind, node, field, msg);
    }

    pub fn warn(&mut self, kind: DiagnosticKind, node: &Node, field: &str, msg: String) {
        self.report(Level::Warning, kind, node, field, msg);
    }

    /// A present, non-null child.
    pub fn child<'n>(parent: &'n Node, key: &str) -> Option<&'n Node> {
        parent.get(key).filter(|n| !n.is_null())
    }

    /// A list field (absent or null: empty); anything else is malformed.
    pub fn list<'n>(&mut self, parent: &'n Node, key: &str, field: &str) -> &'n [Node] {
        let Some(node) = Self::child(parent, key) else {
            return &[];
        };
        match node.as_seq() {
            Some(items) => items,
            None => {
                self.reject(
                    DiagnosticKind::Malformed,
                    node,
                    field,
                    format!("`{key}` must be a list"),
                );
                &[]
            }
        }
    }

    /// A string field (absent or null: `None`); anything else is malformed.
    pub fn string(&mut self, parent: &Node, key: &str, field: &str) -> Option<String> {
        let node = Self::child(parent, key)?;
        match node.to_json() {
            Json::String(s) => Some(s),
            other => {
                self.reject(
                    DiagnosticKind::Malformed,
                    node,
                    field,
                    format!("{other} is not a string"),
                );
                None
            }
        }
    }

    /// A mapping field (absent or null: `None`); anything else is malformed.
    pub fn mapping<'n>(&mut self, parent: &'n Node, key: &str, field: &str) -> Option<&'n Node> {
        let node = Self::child(parent, key)?;
        if node.as_map().is_some() {
            Some(node)
        } else {
            self.reject(
                DiagnosticKind::Malformed,
                node,
                field,
                format!("`{key}` must be a mapping"),
            );
            None
        }
    }
}
