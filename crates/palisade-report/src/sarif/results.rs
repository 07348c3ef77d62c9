//! SARIF results: one per finding (and per suppressed finding, with its `suppressions`),
//! written one per line and in parallel, so that a scan with hundreds of thousands of
//! findings is written in a fraction of a second, holding a few megabytes beyond the report.
//!
//! Keys are written in alphabetical order, as in the rest of the log.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;

use palisade_core::exceptions::{Suppressed, Suppression};
use palisade_core::{Finding, ObjectRef, Severity};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::level;
use crate::common::object_label;

/// The base id relative URIs are resolved against: the checkout root for GitHub.
const SRCROOT: &str = "%SRCROOT%";

/// A result to write: a finding, or a suppressed one, with its fingerprint.
pub(super) struct Item<'a> {
    finding: &'a Finding,
    suppressed: Option<&'a Suppression>,
    fingerprint: Fingerprint,
}

/// The findings, then the suppressed findings, as results, each with its fingerprint.
pub(super) fn items<'a>(findings: &'a [Finding], suppressed: &'a [Suppressed]) -> Vec<Item<'a>> {
    let all: Vec<(&Finding, Option<&Suppression>)> = findings
        .iter()
        .map(|f| (f, None))
        .chain(suppressed.iter().map(|s| (&s.finding, Some(&s.by))))
        .collect();
    // Hashing is most of the work and needs no order; counting occurrences does.
    let hashes: Vec<u128> = all.par_iter().map(|(f, _)| fingerprint_hash(f)).collect();
    let mut seen: HashMap<u128, usize> = HashMap::with_capacity(hashes.len());
    all.into_iter()
        .zip(hashes)
        .map(|((finding, suppressed), hash)| {
            let n = seen.entry(hash).or_insert(0);
            *n += 1;
            Item {
                finding,
                suppressed,
                fingerprint: Fingerprint {
                    hash,
                    occurrence: *n,
                },
            }
        })
        .collect()
}

/// Writes one result, compact, to `buf`.
pub(super) fn write(
    buf: &mut Vec<u8>,
    item: &Item,
    rule_index: &HashMap<&str, usize>,
) -> io::Result<()> {
    let f = item.finding;
    // A file can hold many objects: say which one, and which field.
    let mut message = format!("{}: {}", object_label(&f.object), f.message);
    if let Some(field) = &f.field {
        let _ = write!(message, " ({field})");
    }
    let result = ResultOut {
        level: level(f.severity),
        locations: [LocationOut {
            physical_location: physical_location(
                &f.location.path,
                Some(f.location.line),
                Some(f.location.col),
            ),
        }],
        message: Text { text: message },
        partial_fingerprints: Fingerprints {
            palisade: item.fingerprint.to_string(),
        },
        properties: Properties {
            evidence: f.evidence.as_deref(),
            field: f.field.as_deref(),
            object: ObjectOut::of(&f.object),
            severity: f.severity,
        },
        rule_id: &f.rule_id,
        rule_index: rule_index.get(&*f.rule_id).copied(),
        suppressions: item.suppressed.map(|s| [suppression(s)]),
    };
    serde_json::to_writer(buf, &result).map_err(io::Error::from)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut<'a> {
    level: &'static str,
    locations: [LocationOut; 1],
    message: Text,
    partial_fingerprints: Fingerprints,
    properties: Properties<'a>,
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Value; 1]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LocationOut {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "palisadeFinding/v1")]
    palisade: String,
}

#[derive(Serialize)]
struct Properties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    object: ObjectOut<'a>,
    severity: Severity,
}

/// The object, its keys in alphabetical order like every other key of the log.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectOut<'a> {
    api_version: &'a str,
    kind: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

impl<'a> ObjectOut<'a> {
    fn of(o: &'a ObjectRef) -> Self {
        ObjectOut {
            api_version: &o.api_version,
            kind: &o.kind,
            name: &o.name,
            namespace: o.namespace.as_deref(),
        }
    }
}

fn suppression(by: &Suppression) -> Value {
    match by {
        Suppression::Config {
            location,
            reason,
            expires,
        } => {
            let mut properties = Map::new();
            properties.insert("exception".into(), json!(location));
            if let Some(expires) = expires {
                properties.insert("expires".into(), json!(expires));
            }
            json!({
                "kind": "external",
                "status": "accepted",
                "justification": reason,
                "properties": properties,
            })
        }
        Suppression::Annotation { reason } => json!({
            "kind": "inSource",
            "status": "accepted",
            "justification": reason,
        }),
    }
}

/// `physicalLocation`: the file, and the line and column when known.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
    start_line: u32,
}

pub(super) fn physical_location(
    path: &str,
    line: Option<u32>,
    col: Option<u32>,
) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: artifact_location(path),
        region: line.map(|line| Region {
            start_column: col.map(|c| c.max(1)),
            start_line: line.max(1),
        }),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// A relative path becomes a relative URI against `%SRCROOT%` (what GitHub wants: the
/// path from the repository root, with forward slashes); an absolute one a `file:` URI.
fn artifact_location(path: &str) -> ArtifactLocation {
    let mut slashed = path.replace('\\', "/");
    while let Some(rest) = slashed.strip_prefix("./") {
        slashed = rest.to_string();
    }
    let bytes = slashed.as_bytes();
    let windows_drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    let (uri, uri_base_id) = if slashed.starts_with('/') {
        (format!("file://{}", percent_encode(&slashed)), None)
    } else if windows_drive {
        let (drive, rest) = slashed.split_at(2);
        (format!("file:///{drive}{}", percent_encode(rest)), None)
    } else {
        (percent_encode(&slashed), Some(SRCROOT))
    };
    ArtifactLocation { uri, uri_base_id }
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`. `:` is encoded
/// too, so that `a:b.yaml` cannot read as a URI with scheme `a`.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A fingerprint that survives edits that move lines: a hash of the rule, the object (kind,
/// namespace, name; not apiVersion, so `v1beta1` -> `v1` keeps the alert) and the field,
/// plus an occurrence number for findings that share all of those. Findings on something
/// other than a Kubernetes object (a Dockerfile stage: no apiVersion) add the file's path,
/// since stage names repeat from one Dockerfile to the next.
struct Fingerprint {
    hash: u128,
    occurrence: usize,
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}:{}", self.hash, self.occurrence)
    }
}

fn fingerprint_hash(f: &Finding) -> u128 {
    let parts: [&str; 5] = [
        &f.rule_id,
        &f.object.kind,
        f.object.namespace.as_deref().unwrap_or(""),
        &f.object.name,
        f.field.as_deref().unwrap_or(""),
    ];
    if f.object.api_version.is_empty() {
        fnv1a_128(&[&parts[..], &[&*f.location.path]].concat())
    } else {
        fnv1a_128(&parts)
    }
}

/// FNV-1a (128-bit) over length-prefixed parts: tiny, and fixed forever, unlike std's
/// hasher, which may change between Rust releases.
fn fnv1a_128(parts: &[&str]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut hash = OFFSET;
    for part in parts {
        let len = u64::try_from(part.len()).unwrap_or(u64::MAX);
        for b in len.to_le_bytes().iter().chain(part.as_bytes()) {
            hash ^= u128::from(*b);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str) -> Value {
        serde_json::to_value(artifact_location(path)).unwrap_or(Value::Null)
    }

    #[test]
    fn uris_are_relative_slashed_and_encoded() {
        assert_eq!(
            uri("./deploy/my app/ü.yaml"),
            json!({ "uri": "deploy/my%20app/%C3%BC.yaml", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            uri("k8s\\web#1.yaml"),
            json!({ "uri": "k8s/web%231.yaml", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            uri("a:b.yaml"),
            json!({ "uri": "a%3Ab.yaml", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            uri("/srv/k 8s/x.yaml"),
            json!({ "uri": "file:///srv/k%208s/x.yaml" })
        );
        assert_eq!(
            uri("C:\\k8s\\x.yaml"),
            json!({ "uri": "file:///C:/k8s/x.yaml" })
        );
    }

    #[test]
    fn fnv_matches_an_independent_implementation() {
        // Expected values computed with a separate Python FNV-1a 128 over the same
        // length-prefixed bytes: fingerprints must never change by accident.
        assert_eq!(fnv1a_128(&[]), 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d);
        assert_eq!(fnv1a_128(&["a"]), 0x426d56754e03ad9adb79f299c730f21f);
        assert_eq!(
            fnv1a_128(&["PAL-POD-002", "Deployment", "prod", "web", "spec.x"]),
            0x6763d4531f3097559b9cc3e3c844e8ea
        );
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        assert_ne!(fnv1a_128(&["ab", "c"]), fnv1a_128(&["a", "bc"]));
    }
}
