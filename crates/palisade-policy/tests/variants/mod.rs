//! Variants of a JSON value for the decision-cache tests: each of its first scalars changed
//! in turn.

use serde_json::{json, Value as Json};

/// Paths of the first `limit` scalars of a value, depth first.
pub fn scalar_paths(v: &Json, limit: usize) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out, limit);
    out
}

fn walk(v: &Json, at: &mut Vec<String>, out: &mut Vec<Vec<String>>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    match v {
        Json::Object(map) => {
            for (k, child) in map {
                at.push(k.clone());
                walk(child, at, out, limit);
                at.pop();
            }
        }
        Json::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(i.to_string());
                walk(child, at, out, limit);
                at.pop();
            }
        }
        _ => out.push(at.clone()),
    }
}

/// `v` with the scalar at `path` changed (a string extended, a boolean negated, a number
/// plus one, null made a string).
pub fn changed(v: &Json, path: &[String]) -> Option<Json> {
    let mut v = v.clone();
    let mut cur = &mut v;
    for p in path {
        cur = match cur {
            Json::Object(map) => map.get_mut(p)?,
            Json::Array(items) => items.get_mut(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    *cur = match cur {
        Json::String(s) => json!(format!("{s}-x")),
        Json::Bool(b) => json!(!*b),
        Json::Number(n) => json!(n.as_f64().unwrap_or(0.0) as i64 + 1),
        _ => json!("x"),
    };
    Some(v)
}
