//! A light check of a Constraint's `spec.parameters` against its template's
//! `openAPIV3Schema`: types (`object`, `array`, `string`, `integer`, `number`, `boolean`),
//! `properties`, `items` and `enum`, the parts the API server's structural-schema validation
//! rejects a Constraint for most often. Unknown properties are allowed (Gatekeeper's
//! generated CRDs keep them), and formats, patterns and bounds are not checked.

use serde_json::Value as Json;

/// The first few problems found, each with the dotted path of the offending value.
pub fn check(schema: &Json, value: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    walk(schema, value, "spec.parameters", &mut problems, 0);
    problems
}

const MAX_PROBLEMS: usize = 5;
const MAX_DEPTH: usize = 64;

fn walk(schema: &Json, value: &Json, path: &str, out: &mut Vec<String>, depth: usize) {
    if out.len() >= MAX_PROBLEMS || depth > MAX_DEPTH || value.is_null() {
        return;
    }
    if schema
        .get("x-kubernetes-int-or-string")
        .and_then(Json::as_bool)
        == Some(true)
    {
        if !(value.is_string() || value.is_i64() || value.is_u64()) {
            out.push(format!("{path}: must be an integer or a string"));
        }
        return;
    }
    if let Some(ty) = schema.get("type").and_then(Json::as_str) {
        let ok = match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => true,
        };
        if !ok {
            out.push(format!(
                "{path}: must be of type {ty}, found {}",
                type_name(value)
            ));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Json::as_array) {
        if !allowed.contains(value) {
            out.push(format!(
                "{path}: {value} is not one of {}",
                Json::Array(allowed.clone())
            ));
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Json::as_object),
        value.as_object(),
    ) {
        for (key, sub) in obj {
            if let Some(s) = props.get(key) {
                walk(s, sub, &format!("{path}.{key}"), out, depth + 1);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, sub) in arr.iter().enumerate() {
            walk(items, sub, &format!("{path}[{i}]"), out, depth + 1);
        }
    }
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_f64() => "number",
        Json::Number(_) => "integer",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_items_and_enums_are_checked() {
        let schema = json!({"type": "object", "properties": {
            "labels": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}}}},
            "mode": {"type": "string", "enum": ["a", "b"]},
            "n": {"type": "integer"}
        }});
        assert!(check(
            &schema,
            &json!({"labels": [{"key": "owner"}], "mode": "a", "n": 3, "extra": 1})
        )
        .is_empty());
        let problems = check(
            &schema,
            &json!({"labels": [{"key": 5}], "mode": "c", "n": "x"}),
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems
            .iter()
            .any(|p| p.starts_with("spec.parameters.labels[0].key: must be of type string")));
        assert!(check(&schema, &json!("nope"))[0].contains("must be of type object"));
    }
}
