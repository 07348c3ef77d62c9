//! `load_json` builds the objects `load_str` builds from the same JSON printed as text
//! (positions aside): checked on every object of ../shared/corpora/realworld/ as JSON.

use std::path::{Path, PathBuf};

use palisade_core::inventory::{load_json, load_str, LoadLimits};
use palisade_core::yaml::{Node, Pos, Value};

fn realworld() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/realworld")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
}

/// The tree with every position zeroed.
fn unplaced(node: &Node) -> Node {
    let value = match &node.value {
        Value::Seq(items) => Value::Seq(items.iter().map(unplaced).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|e| palisade_core::yaml::Entry {
                    key: unplaced(&e.key),
                    value: unplaced(&e.value),
                })
                .collect(),
        ),
        scalar => scalar.clone(),
    };
    Node {
        value,
        pos: Pos::default(),
    }
}

#[test]
fn json_values_load_as_their_text_does() {
    let mut all = Vec::new();
    files(&realworld(), &mut all);
    assert!(all.len() > 50, "the real-world corpus is missing");
    let mut compared = 0;
    for path in all {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for object in load_str("in.yaml", &text, &LoadLimits::default()).objects {
            let json = object.root.to_json();
            let from_text = load_str("o.json", &json.to_string(), &LoadLimits::default());
            let from_value = load_json("o.json", &json);
            assert!(from_value.errors.is_empty() && from_value.notes.is_empty());
            assert_eq!(
                from_text.objects.len(),
                from_value.objects.len(),
                "{}",
                path.display()
            );
            for (a, b) in from_text.objects.iter().zip(&from_value.objects) {
                assert_eq!(a.id, b.id, "{}", path.display());
                assert_eq!(unplaced(&a.root), unplaced(&b.root), "{}", path.display());
                assert_eq!(b.root.pos, Pos::new(1, 1));
                compared += 1;
            }
        }
    }
    assert!(compared > 500, "only {compared} objects compared");
    // A List is unwrapped as from text, and a document without a kind is a note.
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}]});
    assert_eq!(load_json("l.json", &list).objects[0].id.name, "a");
    let loose = load_json("x.json", &serde_json::json!({"metadata": {}}));
    assert!(loose.objects.is_empty() && loose.notes.len() == 1);
}
