//! Small helpers for walking untyped JSON with a JSON path, so every problem can say where
//! it is (`$.matches[3].artifact.name: expected a string, found a number`).

use serde_json::{Map, Value};

use super::error::{ReadError, ReadErrorKind};
use super::model::{ReadWarning, MAX_JSON_CONTAINERS, MAX_LIST, MAX_REPORT_BYTES};

/// A problem at one place in the document.
#[derive(Debug)]
pub(crate) struct Bad {
    pub path: String,
    pub message: String,
}

pub(crate) type Res<T> = Result<T, Bad>;

pub(crate) fn bad(path: &str, message: impl Into<String>) -> Bad {
    Bad {
        path: path.to_string(),
        message: message.into(),
    }
}

/// JSON type name for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Parses bytes as JSON, with the size limit and errors naming the source.
pub(crate) fn parse(source: &str, bytes: &[u8]) -> Result<Value, ReadError> {
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(ReadError::new(
            source,
            ReadErrorKind::TooLarge {
                size: bytes.len() as u64,
                limit: MAX_REPORT_BYTES,
            },
        ));
    }
    let containers = bytes.iter().filter(|&&b| b == b'{' || b == b'[').count();
    if containers > MAX_JSON_CONTAINERS {
        return Err(ReadError::shape(
            source,
            "$",
            format!("more than {MAX_JSON_CONTAINERS} JSON objects and arrays"),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ReadError::new(
            source,
            ReadErrorKind::InvalidJson {
                line: e.line(),
                column: e.column(),
                truncated: e.is_eof(),
                message: e.to_string(),
            },
        )
    })
}

/// The object at `path`, or a problem.
pub(crate) fn as_object<'v>(v: &'v Value, path: &str) -> Res<&'v Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| bad(path, format!("expected an object, found {}", type_name(v))))
}

/// An optional string member: missing and `null` are `None`.
pub(crate) fn opt_str<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Res<Option<&'v str>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(bad(
            &child(path, key),
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

/// An optional non-empty string member, owned and trimmed.
pub(crate) fn opt_string(obj: &Map<String, Value>, key: &str, path: &str) -> Res<Option<String>> {
    Ok(opt_str(obj, key, path)?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string))
}

/// A required non-empty string member.
pub(crate) fn req_string(obj: &Map<String, Value>, key: &str, path: &str) -> Res<String> {
    opt_string(obj, key, path)?.ok_or_else(|| bad(&child(path, key), "missing or empty"))
}

/// An optional array member: missing and `null` are empty.
pub(crate) fn opt_array<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Res<&'v [Value]> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a.as_slice()),
        Some(other) => Err(bad(
            &child(path, key),
            format!("expected an array, found {}", type_name(other)),
        )),
    }
}

/// An optional object member.
pub(crate) fn opt_object<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    path: &str,
) -> Res<Option<&'v Map<String, Value>>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(bad(
            &child(path, key),
            format!("expected an object, found {}", type_name(other)),
        )),
    }
}

/// Collects warnings for one source and caps lists.
pub(crate) struct Sink<'a> {
    pub source: &'a str,
    pub warnings: Vec<ReadWarning>,
}

impl<'a> Sink<'a> {
    pub fn new(source: &'a str) -> Self {
        Sink {
            source,
            warnings: Vec::new(),
        }
    }

    pub fn warn(&mut self, b: Bad) {
        // A hostile file could produce one warning per element; keep memory bounded.
        if self.warnings.len() < 1000 {
            self.warnings.push(ReadWarning {
                source: self.source.to_string(),
                json_path: b.path,
                message: b.message,
            });
        }
    }

    /// Truncates a list to [`MAX_LIST`] with a warning.
    pub fn cap<T>(&mut self, list: &mut Vec<T>, path: &str) {
        if list.len() > MAX_LIST {
            list.truncate(MAX_LIST);
            self.warn(bad(
                path,
                format!("more than {MAX_LIST} entries; the rest ignored"),
            ));
        }
    }

    /// Turns a fatal shape problem into a [`ReadError`].
    pub fn fatal(&self, b: Bad) -> ReadError {
        ReadError::shape(self.source, &b.path, b.message)
    }
}

/// Pushes `s` unless already present (lists are short).
pub(crate) fn push_unique(list: &mut Vec<String>, s: String) {
    if !s.is_empty() && !list.contains(&s) {
        list.push(s);
    }
}
