//! SPDX 2.3 JSON (the SPDX 2.3 specification and its `spdx-schema.json`).
//!
//! Shape of the document:
//! - The document `DESCRIBES` one package for the subject (purpose `CONTAINER` for an image,
//!   `FILE` for a directory), whose digest is a `SHA256` checksum when it is one.
//! - The OS is a package of purpose `OPERATING_SYSTEM` (the JSON schema's spelling; the
//!   tag-value form in the spec text is `OPERATING-SYSTEM`, which the JSON schema of both
//!   2.3 and 2.3.1 rejects); the subject `CONTAINS` it, and it
//!   `CONTAINS` the packages its package manager installed. The subject `CONTAINS` every
//!   other package directly.
//! - Each package: `filesAnalyzed: false` (no file list is produced), `downloadLocation`,
//!   `licenseConcluded` and `copyrightText` `NOASSERTION` (nothing was concluded; the spec
//!   reserves those fields for the SPDX file creator's own analysis), `licenseDeclared` from
//!   the package metadata, a `PACKAGE-MANAGER` `purl` external reference, a `SHA256`
//!   checksum when known.
//! - `licenseDeclared`: every license string joined with `AND`; SPDX expressions are kept
//!   (in parentheses when compound), other strings become `LicenseRef-…` with a
//!   `hasExtractedLicensingInfos` entry whose `extractedText` and `name` hold the original.
//! - Layer of origin and the other `palisade:` facts: package `annotations` (clause 12; type
//!   `OTHER`, annotator the tool, comment `NAME=VALUE`). SPDX 2.3 has no property list; an
//!   annotation is the element meant for a tool's remarks about another element, keeps one
//!   fact per entry, and the schema allows it inside a package.
//! - Element ids: `SPDXRef-` followed by the idstring set `[A-Za-z0-9.-]`; other characters
//!   are replaced and clashes get a numeric suffix.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::ids::{spdx_idstring, Unique};
use super::license::{classify, license_ref, list_version, LicenseForm};
use super::{
    id_rng, is_os_kind, is_sha256_hex, package_props, prop, split_digest, subject_props, uuid_v4,
    SbomInput, SbomPackage, SubjectKind, WriteOptions,
};

/// The specification version written.
pub const SPEC_VERSION: &str = "SPDX-2.3";

/// Where document namespaces live: the project's repository address (never fetched; SPDX
/// only needs a unique absolute URI), followed by `/spdx/NAME-UUID`.
const NAMESPACE_BASE: &str = env!("CARGO_PKG_REPOSITORY");

/// Writes the document as pretty-printed JSON with a trailing newline.
pub fn write(input: &SbomInput, opts: WriteOptions) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(input, opts)).unwrap_or_default();
    text.push('\n');
    text
}

/// Builds the document.
pub fn to_value(input: &SbomInput, opts: WriteOptions) -> Value {
    let mut rng = id_rng(input, opts);
    let namespace = format!(
        "{NAMESPACE_BASE}/spdx/{}-{}",
        uri_segment(&input.subject.name),
        uuid_v4(&mut rng)
    );
    let annotator = format!("Tool: palisade-{}", input.tool_version);
    let mut ids = Unique::default();
    ids.claim("SPDXRef-DOCUMENT".to_string(), "-");
    let mut refs = LicenseRefs::default();

    let mut packages = Vec::new();
    let mut rels = Vec::new();

    let s = &input.subject;
    let (prefix, purpose) = match s.kind {
        SubjectKind::Image => ("Image", "CONTAINER"),
        SubjectKind::Directory => ("Directory", "FILE"),
    };
    let root_id = ids.claim(format!("SPDXRef-{prefix}-{}", spdx_idstring(&s.name)), "-");
    let mut root = base_package(&root_id, &s.name, s.digest.as_deref(), purpose);
    if let Some((alg, hex)) = s.digest.as_deref().and_then(split_digest) {
        root.insert(
            "checksums".into(),
            json!([{"algorithm": alg.replace('-', ""), "checksumValue": hex}]),
        );
    }
    let notes = subject_props(s);
    let root_notes: Vec<(&str, &str)> = notes.iter().map(|(k, v)| (*k, v.as_str())).collect();
    add_annotations(&mut root, &root_notes, &annotator, &input.timestamp);
    packages.push(Value::Object(root));
    rels.push(rel("SPDXRef-DOCUMENT", "DESCRIBES", &root_id));

    let os_id = input.os.as_ref().map(|os| {
        let id = ids.claim(
            format!("SPDXRef-OperatingSystem-{}", spdx_idstring(&os.id)),
            "-",
        );
        let mut p = base_package(&id, &os.id, os.version_id.as_deref(), "OPERATING_SYSTEM");
        if let Some(pretty) = os.pretty_name.as_deref().filter(|x| !x.is_empty()) {
            p.insert("description".into(), json!(pretty));
        }
        if let Some(code) = os.codename.as_deref().filter(|x| !x.is_empty()) {
            add_annotations(
                &mut p,
                &[(prop::OS_CODENAME, code)],
                &annotator,
                &input.timestamp,
            );
        }
        packages.push(Value::Object(p));
        rels.push(rel(&root_id, "CONTAINS", &id));
        id
    });

    for pkg in &input.packages {
        let id = ids.claim(
            format!(
                "SPDXRef-Package-{}-{}-{}",
                spdx_idstring(&pkg.kind),
                spdx_idstring(&pkg.name),
                spdx_idstring(&pkg.version)
            ),
            "-",
        );
        packages.push(package(pkg, &id, &mut refs, &annotator, &input.timestamp));
        let parent = match &os_id {
            Some(os) if is_os_kind(&pkg.kind) => os.as_str(),
            _ => root_id.as_str(),
        };
        rels.push(rel(parent, "CONTAINS", &id));
    }

    let mut doc = Map::new();
    doc.insert("spdxVersion".into(), json!(SPEC_VERSION));
    doc.insert("dataLicense".into(), json!("CC0-1.0"));
    doc.insert("SPDXID".into(), json!("SPDXRef-DOCUMENT"));
    doc.insert("name".into(), json!(s.name));
    doc.insert("documentNamespace".into(), json!(namespace));
    doc.insert(
        "creationInfo".into(),
        json!({
            "created": input.timestamp,
            "creators": [annotator],
            "licenseListVersion": list_version(),
        }),
    );
    doc.insert("packages".into(), Value::Array(packages));
    doc.insert("relationships".into(), Value::Array(rels));
    if !refs.by_name.is_empty() {
        doc.insert("hasExtractedLicensingInfos".into(), refs.infos());
    }
    Value::Object(doc)
}

/// The fields every package carries.
fn base_package(id: &str, name: &str, version: Option<&str>, purpose: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("SPDXID".into(), json!(id));
    p.insert("name".into(), json!(name));
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        p.insert("versionInfo".into(), json!(v));
    }
    p.insert("downloadLocation".into(), json!("NOASSERTION"));
    p.insert("filesAnalyzed".into(), json!(false));
    p.insert("licenseConcluded".into(), json!("NOASSERTION"));
    p.insert("licenseDeclared".into(), json!("NOASSERTION"));
    p.insert("copyrightText".into(), json!("NOASSERTION"));
    p.insert("primaryPackagePurpose".into(), json!(purpose));
    p
}

fn package(
    pkg: &SbomPackage,
    id: &str,
    refs: &mut LicenseRefs,
    annotator: &str,
    date: &str,
) -> Value {
    let mut p = base_package(id, &pkg.name, Some(&pkg.version), "LIBRARY");
    p.insert(
        "licenseDeclared".into(),
        json!(declared(&pkg.licenses, refs)),
    );
    if let Some(h) = pkg.sha256.as_deref().filter(|h| is_sha256_hex(h)) {
        p.insert(
            "checksums".into(),
            json!([{"algorithm": "SHA256", "checksumValue": h.to_ascii_lowercase()}]),
        );
    }
    if !pkg.purl.is_empty() {
        p.insert(
            "externalRefs".into(),
            json!([{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": pkg.purl,
            }]),
        );
    }
    add_annotations(&mut p, &package_props(pkg), annotator, date);
    Value::Object(p)
}

/// `licenseDeclared` for a list of license strings.
fn declared(list: &[String], refs: &mut LicenseRefs) -> String {
    let terms: Vec<String> = list
        .iter()
        .filter_map(|l| match classify(l) {
            LicenseForm::Name("") => None,
            LicenseForm::Id(id) => Some(id.to_string()),
            LicenseForm::Expression(e) if is_compound(e) => Some(format!("({e})")),
            LicenseForm::Expression(e) => Some(e.to_string()),
            LicenseForm::Name(n) => Some(refs.get(n)),
        })
        .collect();
    if terms.is_empty() {
        "NOASSERTION".to_string()
    } else {
        terms.join(" AND ")
    }
}

/// Whether an expression needs parentheses to be one term of an `AND` list.
fn is_compound(e: &str) -> bool {
    e.split_whitespace().count() > 1
}

/// The `LicenseRef-` ids handed out in one document, one per distinct name.
#[derive(Default)]
struct LicenseRefs {
    by_name: BTreeMap<String, String>,
    ids: Unique,
}

impl LicenseRefs {
    fn get(&mut self, name: &str) -> String {
        if let Some(id) = self.by_name.get(name) {
            return id.clone();
        }
        let id = self.ids.claim(license_ref(name), "-");
        self.by_name.insert(name.to_string(), id.clone());
        id
    }

    fn infos(&self) -> Value {
        Value::Array(
            self.by_name
                .iter()
                .map(|(name, id)| json!({"licenseId": id, "extractedText": name, "name": name}))
                .collect(),
        )
    }
}

fn add_annotations(
    p: &mut Map<String, Value>,
    notes: &[(&str, &str)],
    annotator: &str,
    date: &str,
) {
    let list: Vec<Value> = notes
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            json!({
                "annotationType": "OTHER",
                "annotator": annotator,
                "annotationDate": date,
                "comment": format!("{k}={v}"),
            })
        })
        .collect();
    if !list.is_empty() {
        p.insert("annotations".into(), Value::Array(list));
    }
}

fn rel(from: &str, ty: &str, to: &str) -> Value {
    json!({"spdxElementId": from, "relationshipType": ty, "relatedSpdxElement": to})
}

/// Percent-encodes everything outside RFC 3986's unreserved set, so any subject name makes a
/// valid URI path segment.
fn uri_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_licenses() {
        let mut refs = LicenseRefs::default();
        let l = |v: &[&str], refs: &mut LicenseRefs| {
            declared(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), refs)
        };
        assert_eq!(l(&[], &mut refs), "NOASSERTION");
        assert_eq!(l(&["MIT"], &mut refs), "MIT");
        assert_eq!(
            l(&["MIT OR Apache-2.0", "GPL-2+", "BSD License"], &mut refs),
            "(MIT OR Apache-2.0) AND LicenseRef-GPL-2- AND LicenseRef-BSD-License"
        );
        // The same name maps to the same ref; a different name with the same sanitised form
        // gets its own.
        assert_eq!(l(&["GPL-2+"], &mut refs), "LicenseRef-GPL-2-");
        assert_eq!(l(&["GPL-2 "], &mut refs), "LicenseRef-GPL-2");
        assert_eq!(l(&["GPL-2*"], &mut refs), "LicenseRef-GPL-2--2");
        assert_eq!(refs.by_name.len(), 4);
    }

    #[test]
    fn namespace_segment() {
        assert_eq!(
            uri_segment("registry.local/a b:1"),
            "registry.local%2Fa%20b%3A1"
        );
        assert_eq!(uri_segment("ü"), "%C3%BC");
    }
}
