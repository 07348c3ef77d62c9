//! The OSV record model (schema 1.6) and its JSON and YAML readers.
//!
//! The model keeps what import, matching and reporting need; fields the
//! schema leaves open (`ecosystem_specific`, `database_specific`) are kept as
//! JSON values. Readers are lenient where the schema allows absence (a
//! missing or `null` list is empty) and strict where matching would go wrong
//! otherwise (an event with two kinds, a missing `id`).

use serde::{Deserialize, Deserializer, Serialize};

use palisade_core::yaml::{self, Node, Value as YamlValue};

/// One OSV vulnerability record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The record's id (`GO-2020-0001`, `PYSEC-2020-342`, `GHSA-…`, `CVE-…`).
    pub id: String,
    /// Last modification time, RFC 3339 (verbatim).
    #[serde(default, deserialize_with = "null_default")]
    pub modified: String,
    /// Publication time, RFC 3339 (verbatim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// When the record was withdrawn; a withdrawn record is never matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// Other ids of the same vulnerability.
    #[serde(default, deserialize_with = "null_default")]
    pub aliases: Vec<String>,
    /// Ids of upstream vulnerabilities this one derives from (a
    /// distribution's `DEBIAN-CVE-…` record names its CVE here, schema 1.7).
    #[serde(default, deserialize_with = "null_default")]
    pub upstream: Vec<String>,
    /// Ids of related but different vulnerabilities.
    #[serde(default, deserialize_with = "null_default")]
    pub related: Vec<String>,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Longer description (CommonMark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Quantitative severities (CVSS vectors, Ubuntu priorities).
    #[serde(default, deserialize_with = "null_default")]
    pub severity: Vec<SeverityScore>,
    /// Affected packages and their versions.
    #[serde(default, deserialize_with = "null_default")]
    pub affected: Vec<Affected>,
    /// Links.
    #[serde(default, deserialize_with = "null_default")]
    pub references: Vec<Reference>,
    /// Database-specific data (GitHub-sourced records put `severity` here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

/// One `severity[]` entry: a scoring type and its score string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityScore {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: String,
    /// The vector string (CVSS) or priority word (Ubuntu).
    #[serde(default, deserialize_with = "null_default")]
    pub score: String,
}

/// One `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The package; entries without one cannot be matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// Per-package severities (schema 1.6).
    #[serde(default, deserialize_with = "null_default")]
    pub severity: Vec<SeverityScore>,
    /// Version ranges.
    #[serde(default, deserialize_with = "null_default")]
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    #[serde(default, deserialize_with = "null_default")]
    pub versions: Vec<String>,
    /// Ecosystem-defined data (Go: affected symbols).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<serde_json::Value>,
    /// Database-defined data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

/// `affected[].package`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// OSV ecosystem name, with its release suffix (`Debian:12`, `Alpine:v3.20`).
    #[serde(default, deserialize_with = "null_default")]
    pub ecosystem: String,
    /// Package name as the ecosystem spells it.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Package URL without version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// `affected[].ranges[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: String,
    /// Repository URL (GIT ranges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The timeline of events, in record order.
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<Event>,
}

/// One range event. The schema allows exactly one kind per event object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The vulnerability appears at this version (`"0"`: before every version).
    Introduced(String),
    /// This version fixes it.
    Fixed(String),
    /// The last version still affected.
    LastAffected(String),
    /// Versions at or above this are not evaluated (`"*"`: infinity).
    Limit(String),
}

impl Event {
    /// The event's version string.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// `references[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `FIX`, `WEB`, ...
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: String,
    /// The link.
    #[serde(default, deserialize_with = "null_default")]
    pub url: String,
}

/// `null` reads as the type's default (an empty list or string), as an
/// absent field does.
fn null_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

impl Record {
    /// The database-specific severity word of GitHub-sourced records
    /// (`database_specific.severity`: `LOW`, `MODERATE`, `HIGH`, `CRITICAL`).
    pub fn database_severity(&self) -> Option<&str> {
        self.database_specific
            .as_ref()?
            .get("severity")?
            .as_str()
            .filter(|s| !s.is_empty())
    }

    /// Checks what matching relies on; the message says what is wrong.
    fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err("record has no id".into());
        }
        for (i, affected) in self.affected.iter().enumerate() {
            for (j, range) in affected.ranges.iter().enumerate() {
                let has_introduced = range
                    .events
                    .iter()
                    .any(|e| matches!(e, Event::Introduced(_)));
                if !has_introduced && !range.events.is_empty() {
                    return Err(format!(
                        "affected[{i}].ranges[{j}] has events but no `introduced`"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Reads one OSV record from JSON bytes.
pub fn parse_json(bytes: &[u8]) -> Result<Record, String> {
    let record: Record = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    record.validate()?;
    Ok(record)
}

/// Reads one OSV record from YAML text (the form the PyPA advisory database
/// keeps). Scalars are read as text, never as numbers, so `1.10` stays
/// `1.10`.
pub fn parse_yaml(text: &str) -> Result<Record, String> {
    record_from_value(yaml_document(text)?)
}

/// Reads a record from an already parsed JSON value.
pub(crate) fn record_from_value(value: serde_json::Value) -> Result<Record, String> {
    let record: Record = serde_json::from_value(value).map_err(|e| e.to_string())?;
    record.validate()?;
    Ok(record)
}

/// Parses the single YAML document of `text` into JSON whose scalars are all
/// strings (null stays null).
pub(crate) fn yaml_document(text: &str) -> Result<serde_json::Value, String> {
    let stream = yaml::parse_stream(text, &yaml::Limits::default());
    if let Some(err) = stream.error {
        return Err(format!("YAML line {}: {}", err.pos.line, err.message));
    }
    let mut docs = stream.documents.into_iter();
    let doc = docs.next().ok_or("empty YAML document")?;
    if docs.next().is_some() {
        return Err("more than one YAML document".into());
    }
    Ok(yaml_to_text_json(&doc.root))
}

fn yaml_to_text_json(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        YamlValue::Plain(s) if yaml::scalar::is_null(s) => J::Null,
        YamlValue::Plain(s) | YamlValue::Quoted(s) => J::String(s.to_string()),
        YamlValue::Seq(items) => J::Array(items.iter().map(yaml_to_text_json).collect()),
        YamlValue::Map(entries) => J::Object(
            entries
                .iter()
                .map(|e| {
                    let key = e
                        .key
                        .scalar_text()
                        .map(str::to_string)
                        .unwrap_or_else(|| yaml_to_text_json(&e.key).to_string());
                    (key, yaml_to_text_json(&e.value))
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_record_with_all_fields() {
        let text = br#"{
          "schema_version": "1.6.0", "id": "GHSA-xxxx-yyyy-zzzz",
          "modified": "2024-01-02T03:04:05Z", "published": "2023-01-01T00:00:00Z",
          "aliases": ["CVE-2023-0001"], "related": null, "summary": "s", "details": "d",
          "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
          "affected": [{"package": {"ecosystem": "npm", "name": "left-pad", "purl": "pkg:npm/left-pad"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]},
                       {"type": "GIT", "repo": "https://example.invalid/r", "events": [{"introduced": "abc"}, {"limit": "def"}]}],
            "versions": ["1.0.0"], "database_specific": {"source": "x"}}],
          "references": [{"type": "FIX", "url": "https://example.invalid/fix"}],
          "database_specific": {"severity": "CRITICAL"}
        }"#;
        let r = parse_json(text).unwrap();
        assert_eq!(r.id, "GHSA-xxxx-yyyy-zzzz");
        assert_eq!(r.aliases, vec!["CVE-2023-0001"]);
        assert!(r.related.is_empty());
        assert_eq!(r.database_severity(), Some("CRITICAL"));
        let a = &r.affected[0];
        assert_eq!(a.package.as_ref().unwrap().name, "left-pad");
        assert_eq!(
            a.ranges[0].events,
            vec![Event::Introduced("0".into()), Event::Fixed("1.3.0".into())]
        );
        assert_eq!(a.ranges[1].events[1], Event::Limit("def".into()));
        assert_eq!(r.references[0].kind, "FIX");
    }

    #[test]
    fn bad_records_are_errors() {
        assert!(parse_json(b"{").is_err());
        assert!(parse_json(b"[]").is_err());
        assert!(parse_json(br#"{"id": ""}"#).unwrap_err().contains("no id"));
        // Two kinds in one event object are invalid per the schema.
        let two = br#"{"id":"X","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}"#;
        assert!(parse_json(two).is_err());
        let no_intro = br#"{"id":"X","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1"}]}]}]}"#;
        assert!(parse_json(no_intro).unwrap_err().contains("introduced"));
    }

    #[test]
    fn yaml_keeps_versions_as_text() {
        let text = "id: PYSEC-1\nmodified: 2021-01-01T00:00:00Z\naffected:\n- package:\n    ecosystem: PyPI\n    name: Foo_Bar\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: \"0\"\n    - fixed: 1.10\n  versions:\n  - 1.0\n  - 1.10\nwithdrawn: ~\n";
        let r = parse_yaml(text).unwrap();
        assert_eq!(r.affected[0].versions, vec!["1.0", "1.10"]);
        assert_eq!(
            r.affected[0].ranges[0].events[1],
            Event::Fixed("1.10".into())
        );
        assert_eq!(r.withdrawn, None);
        assert!(parse_yaml("id: [unclosed").is_err());
        assert!(parse_yaml("id: a\n---\nid: b\n").is_err());
    }
}
