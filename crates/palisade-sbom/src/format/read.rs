//! Reads CycloneDX (1.4–1.6) and SPDX 2.x JSON documents back into a package list: what a
//! later scan, a diff or a merge of another scanner's SBOM needs (name, version, purl,
//! ecosystem, licenses, layer of origin). Elements that are not usable (no name, wrong JSON
//! type) are skipped with a warning naming their JSON path; the rest is still read.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::Value;

use super::{prop, Format};

/// One package read from a document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadPackage {
    /// Ecosystem label: the `palisade:package:type` property when present, else derived from
    /// the purl type (`pypi` → `python`, `golang` → `go`, otherwise the purl type itself).
    pub ecosystem: String,
    /// Name.
    pub name: String,
    /// Version (empty when the document has none).
    pub version: String,
    /// Package URL (empty when the document has none).
    pub purl: String,
    /// License strings: CycloneDX ids, names and expressions; SPDX `licenseDeclared` split at
    /// its top-level `AND`, `LicenseRef-`s mapped back to their names.
    pub licenses: Vec<String>,
    /// Layer of origin, from the `palisade:layer:digest` property or annotation.
    pub layer_digest: Option<String>,
}

/// A document read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSbom {
    /// Which format it was.
    pub format: Format,
    /// Name of the root (CycloneDX `metadata.component`, SPDX described package).
    pub subject: Option<String>,
    /// The OS component: name and version.
    pub os: Option<(String, String)>,
    /// Packages, in document order.
    pub packages: Vec<ReadPackage>,
    /// Elements skipped, each with its JSON path.
    pub warnings: Vec<String>,
}

/// Why a document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not JSON; the parser's message (with line and column).
    Json(String),
    /// JSON, but neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`).
    NotSbom,
    /// A CycloneDX or SPDX version this reader does not handle.
    UnsupportedVersion(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(m) => write!(f, "not JSON: {m}"),
            Self::NotSbom => f.write_str(
                "not an SBOM: neither `bomFormat: CycloneDX` nor `spdxVersion` is present",
            ),
            Self::UnsupportedVersion(v) => write!(f, "unsupported SBOM version `{v}`"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads a CycloneDX or SPDX JSON document, telling them apart by their version member.
pub fn read(text: &str) -> Result<ReadSbom, ReadError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| ReadError::Json(e.to_string()))?;
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        read_cyclonedx(&doc)
    } else if doc.get("spdxVersion").is_some() {
        read_spdx(&doc)
    } else {
        Err(ReadError::NotSbom)
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The ecosystem label for a purl's type.
fn ecosystem_of_purl(purl: &str) -> String {
    let ty = purl
        .strip_prefix("pkg:")
        .and_then(|rest| rest.trim_start_matches('/').split('/').next())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ty.as_str() {
        "pypi" => "python".to_string(),
        "golang" => "go".to_string(),
        _ => ty,
    }
}

/// Reads a CycloneDX document (`specVersion` 1.4, 1.5 or 1.6).
pub fn read_cyclonedx(doc: &Value) -> Result<ReadSbom, ReadError> {
    let version = str_at(doc, "specVersion");
    if !matches!(version, "1.4" | "1.5" | "1.6") {
        return Err(ReadError::UnsupportedVersion(format!(
            "CycloneDX {version}"
        )));
    }
    let mut out = ReadSbom {
        format: Format::CycloneDxJson,
        subject: doc
            .pointer("/metadata/component/name")
            .and_then(Value::as_str)
            .map(str::to_string),
        os: None,
        packages: Vec::new(),
        warnings: Vec::new(),
    };
    if let Some(list) = doc.get("components") {
        cdx_components(list, "$.components", &mut out);
    }
    Ok(out)
}

/// Components, nested ones included (depth first, parent before children).
fn cdx_components(list: &Value, path: &str, out: &mut ReadSbom) {
    let Some(items) = list.as_array() else {
        out.warnings.push(format!("{path}: not an array"));
        return;
    };
    for (i, c) in items.iter().enumerate() {
        let here = format!("{path}[{i}]");
        let name = str_at(c, "name");
        if name.is_empty() {
            out.warnings
                .push(format!("{here}: component without a name, skipped"));
            continue;
        }
        let version = str_at(c, "version").to_string();
        if str_at(c, "type") == "operating-system" {
            out.os = Some((name.to_string(), version));
        } else {
            let props = cdx_props(c);
            let purl = str_at(c, "purl").to_string();
            out.packages.push(ReadPackage {
                ecosystem: props
                    .get(prop::PACKAGE_TYPE)
                    .map_or_else(|| ecosystem_of_purl(&purl), |s| s.to_string()),
                name: name.to_string(),
                version,
                licenses: cdx_licenses(c),
                layer_digest: props.get(prop::LAYER_DIGEST).map(|s| s.to_string()),
                purl,
            });
        }
        if let Some(children) = c.get("components") {
            cdx_components(children, &format!("{here}.components"), out);
        }
    }
}

/// First value of each property name.
fn cdx_props(c: &Value) -> HashMap<&str, &str> {
    let mut m = HashMap::new();
    for p in c
        .get("properties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(k), Some(v)) = (
            p.get("name").and_then(Value::as_str),
            p.get("value").and_then(Value::as_str),
        ) {
            m.entry(k).or_insert(v);
        }
    }
    m
}

fn cdx_licenses(c: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for l in c
        .get("licenses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(e) = l.get("expression").and_then(Value::as_str) {
            out.push(e.to_string());
        } else if let Some(lic) = l.get("license") {
            let s = lic
                .get("id")
                .and_then(Value::as_str)
                .or_else(|| lic.get("name").and_then(Value::as_str));
            if let Some(s) = s {
                out.push(s.to_string());
            }
        }
    }
    out
}

/// Reads an SPDX 2.x document.
pub fn read_spdx(doc: &Value) -> Result<ReadSbom, ReadError> {
    let version = str_at(doc, "spdxVersion");
    if !version.starts_with("SPDX-2.") {
        return Err(ReadError::UnsupportedVersion(version.to_string()));
    }
    let mut described: HashSet<&str> = doc
        .get("documentDescribes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for r in doc
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if str_at(r, "spdxElementId") == "SPDXRef-DOCUMENT"
            && str_at(r, "relationshipType") == "DESCRIBES"
        {
            described.insert(str_at(r, "relatedSpdxElement"));
        }
    }
    let extracted: HashMap<&str, &str> = doc
        .get("hasExtractedLicensingInfos")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let id = e.get("licenseId")?.as_str()?;
            let name = e
                .get("name")
                .and_then(Value::as_str)
                .or_else(|| e.get("extractedText").and_then(Value::as_str))?;
            Some((id, name))
        })
        .collect();

    let mut out = ReadSbom {
        format: Format::SpdxJson,
        subject: None,
        os: None,
        packages: Vec::new(),
        warnings: Vec::new(),
    };
    let packages = doc.get("packages").and_then(Value::as_array);
    for (i, p) in packages.into_iter().flatten().enumerate() {
        let name = str_at(p, "name");
        if name.is_empty() {
            out.warnings
                .push(format!("$.packages[{i}]: package without a name, skipped"));
            continue;
        }
        let version = str_at(p, "versionInfo").to_string();
        if described.contains(str_at(p, "SPDXID")) {
            out.subject.get_or_insert_with(|| name.to_string());
            continue;
        }
        // The JSON schema spells it with `_`; some tools write the tag-value `-` form.
        if matches!(
            str_at(p, "primaryPackagePurpose"),
            "OPERATING_SYSTEM" | "OPERATING-SYSTEM"
        ) {
            out.os = Some((name.to_string(), version));
            continue;
        }
        let notes = spdx_annotations(p);
        let purl = spdx_purl(p);
        out.packages.push(ReadPackage {
            ecosystem: notes
                .get(prop::PACKAGE_TYPE)
                .map_or_else(|| ecosystem_of_purl(&purl), |s| s.to_string()),
            name: name.to_string(),
            version,
            licenses: split_declared(str_at(p, "licenseDeclared"), &extracted),
            layer_digest: notes.get(prop::LAYER_DIGEST).map(|s| s.to_string()),
            purl,
        });
    }
    Ok(out)
}

fn spdx_purl(p: &Value) -> String {
    p.get("externalRefs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|r| str_at(r, "referenceType") == "purl")
        .map(|r| str_at(r, "referenceLocator").to_string())
        .unwrap_or_default()
}

/// `NAME=VALUE` annotations in the `palisade:` namespace.
fn spdx_annotations(p: &Value) -> HashMap<&str, &str> {
    let mut m = HashMap::new();
    for a in p
        .get("annotations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some((k, v)) = str_at(a, "comment").split_once('=') {
            if k.starts_with("palisade:") {
                m.entry(k).or_insert(v);
            }
        }
    }
    m
}

/// Splits `licenseDeclared` at its top-level `AND`s, unwraps one pair of enclosing
/// parentheses per term, and maps `LicenseRef-`s back to the names they were made from.
fn split_declared(expr: &str, extracted: &HashMap<&str, &str>) -> Vec<String> {
    let expr = expr.trim();
    if expr.is_empty() || expr == "NOASSERTION" || expr == "NONE" {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut depth = 0i32;
    let mut current: Vec<&str> = Vec::new();
    for tok in tokens(expr) {
        match tok {
            "(" => depth += 1,
            ")" => depth -= 1,
            _ => {}
        }
        if depth == 0 && tok.eq_ignore_ascii_case("AND") {
            terms.push(join_tokens(&current));
            current.clear();
        } else {
            current.push(tok);
        }
    }
    terms.push(join_tokens(&current));
    terms
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(|t| {
            let t = unwrap_parens(&t);
            extracted.get(t.as_str()).map_or(t, |n| n.to_string())
        })
        .collect()
}

/// Whitespace-separated tokens, with `(` and `)` as tokens of their own.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for word in s.split_whitespace() {
        let mut rest = word;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('(') {
                out.push("(");
                rest = r;
            } else if let Some(pos) = rest.find(['(', ')']) {
                if pos == 0 {
                    out.push(&rest[..1]);
                    rest = &rest[1..];
                } else {
                    out.push(&rest[..pos]);
                    rest = &rest[pos..];
                }
            } else {
                out.push(rest);
                rest = "";
            }
        }
    }
    out
}

/// Joins tokens with single spaces, without spaces inside parentheses.
fn join_tokens(toks: &[&str]) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        let prev_open = i > 0 && toks[i - 1] == "(";
        if i > 0 && !prev_open && *t != ")" {
            s.push(' ');
        }
        s.push_str(t);
    }
    s
}

/// `(A OR B)` → `A OR B` when the outer pair encloses the whole term.
fn unwrap_parens(t: &str) -> String {
    let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) else {
        return t.to_string();
    };
    let mut depth = 0i32;
    for c in inner.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return t.to_string();
        }
    }
    inner.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_splits_back() {
        let ex: HashMap<&str, &str> = [("LicenseRef-GPL-2-", "GPL-2+")].into_iter().collect();
        assert_eq!(
            split_declared(
                "(MIT OR Apache-2.0) AND LicenseRef-GPL-2- AND (A WITH B) AND ((X OR Y) AND Z)",
                &ex
            ),
            ["MIT OR Apache-2.0", "GPL-2+", "A WITH B", "(X OR Y) AND Z"]
        );
        assert!(split_declared("NOASSERTION", &ex).is_empty());
        assert_eq!(split_declared("(A) OR (B)", &ex), ["(A) OR (B)"]);
    }

    #[test]
    fn purl_ecosystems() {
        assert_eq!(ecosystem_of_purl("pkg:pypi/requests@2"), "python");
        assert_eq!(ecosystem_of_purl("pkg:deb/debian/bash@5"), "deb");
        assert_eq!(ecosystem_of_purl("pkg:golang/x/y@1"), "go");
        assert_eq!(ecosystem_of_purl("nonsense"), "");
    }

    #[test]
    fn rejects_non_sboms() {
        assert!(matches!(read("{"), Err(ReadError::Json(_))));
        assert_eq!(read("{}"), Err(ReadError::NotSbom));
        assert!(matches!(
            read(r#"{"bomFormat":"CycloneDX","specVersion":"1.2"}"#),
            Err(ReadError::UnsupportedVersion(_))
        ));
        assert!(matches!(
            read(r#"{"spdxVersion":"SPDX-3.0"}"#),
            Err(ReadError::UnsupportedVersion(_))
        ));
    }

    #[test]
    fn skips_bad_elements_and_reads_the_rest() {
        let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
            {"type":"library"}, 7,
            {"type":"library","name":"ok","version":"1","purl":"pkg:npm/ok@1",
             "components":[{"type":"library","name":"inner"}]}]}"#;
        let r = read(doc).unwrap();
        let names: Vec<&str> = r.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["ok", "inner"]);
        assert_eq!(r.packages[0].ecosystem, "npm");
        assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
        assert!(r.warnings[0].starts_with("$.components[0]"));
    }
}
