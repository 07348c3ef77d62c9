//! docs/node.md lists every check and every rule, so the page cannot silently fall behind
//! the catalog.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use palisade_node::cis::rules::CATALOG;
use palisade_node::{audit, NodeRoot};

#[test]
fn every_check_and_rule_is_documented() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/node.md"),
    )
    .unwrap();
    let words: Vec<&str> = doc
        .split(|c: char| c.is_whitespace() || c == '|' || c == '/' || c == '`')
        .collect();
    let dir = common::prepare("kubeadm-hardened");
    let a = audit(&NodeRoot::new(dir.path()));
    for r in &a.results {
        assert!(
            words.contains(&r.check),
            "check {} is not in docs/node.md",
            r.check
        );
    }
    for rule in CATALOG {
        let number = rule.id.trim_start_matches("PAL-NODE-");
        assert!(
            words.contains(&rule.id) || words.contains(&number),
            "rule {} is not in docs/node.md",
            rule.id
        );
    }
}
