//! CycloneDX 1.6 JSON (specification `schema/bom-1.6.schema.json` and its guide).
//!
//! Shape of the document:
//! - `metadata.component` is the scanned subject: type `container` for an image, `file` for a
//!   directory; its digest is a `hashes` entry when it is a SHA-2 digest, and always the
//!   `palisade:image:digest` property; layers and platform are properties too.
//! - `metadata.tools.components` names Palisade (the 1.5+ form; the array form is deprecated).
//! - `components`: the OS as type `operating-system` (name = os-release `ID`, version =
//!   `VERSION_ID`, as the spec's examples and other scanners do), then every package as type
//!   `library` with `purl`, `licenses`, a SHA-256 `hashes` entry when known and `palisade:`
//!   properties (layer of origin included).
//! - `dependencies`: the subject depends on every component; the OS depends on the packages
//!   its package manager installed; every other component has an empty entry (the spec asks
//!   that components without dependencies be listed with none rather than left out).
//!
//! Licenses: a single SPDX id goes in `license.id`, a lone SPDX expression in `expression`
//! (the schema allows an expression only as the single entry), and anything else in
//! `license.name` (see [`super::license`]).

use serde_json::{json, Map, Value};

use super::ids::Unique;
use super::license::{classify, LicenseForm};
use super::{
    id_rng, is_os_kind, is_sha256_hex, package_props, prop, split_digest, subject_props, uuid_v4,
    SbomInput, SbomPackage, SubjectKind, WriteOptions,
};

/// The specification version written.
pub const SPEC_VERSION: &str = "1.6";

/// The `$schema` value that names the 1.6 JSON schema.
const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// Writes the document as pretty-printed JSON with a trailing newline.
pub fn write(input: &SbomInput, opts: WriteOptions) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(input, opts)).unwrap_or_default();
    text.push('\n');
    text
}

/// Builds the document.
pub fn to_value(input: &SbomInput, opts: WriteOptions) -> Value {
    let mut rng = id_rng(input, opts);
    let serial = format!("urn:uuid:{}", uuid_v4(&mut rng));
    let mut refs = Unique::default();

    let root_ref = refs.claim(format!("palisade:subject:{}", input.subject.name), "#");
    let mut components = Vec::new();
    let mut deps = Vec::new();
    let mut root_depends = Vec::new();

    let os_ref = input.os.as_ref().map(|os| {
        let version = os.version_id.as_deref().unwrap_or("");
        let r = refs.claim(format!("os:{}@{}", os.id, version), "#");
        let mut c = Map::new();
        c.insert("bom-ref".into(), json!(r));
        c.insert("type".into(), json!("operating-system"));
        c.insert("name".into(), json!(os.id));
        if !version.is_empty() {
            c.insert("version".into(), json!(version));
        }
        if let Some(pretty) = os.pretty_name.as_deref().filter(|s| !s.is_empty()) {
            c.insert("description".into(), json!(pretty));
        }
        if let Some(code) = os.codename.as_deref().filter(|s| !s.is_empty()) {
            c.insert("properties".into(), props(&[(prop::OS_CODENAME, code)]));
        }
        components.push(Value::Object(c));
        root_depends.push(r.clone());
        r
    });

    let mut os_depends = Vec::new();
    let mut leaf_refs = Vec::new();
    for p in &input.packages {
        let base = if p.purl.is_empty() {
            format!("palisade:package:{}:{}@{}", p.kind, p.name, p.version)
        } else {
            p.purl.clone()
        };
        // `#n` keeps the purl readable and cannot be mistaken for another package's purl
        // (a purl subpath is never a bare number here).
        let r = refs.claim(base, "#");
        components.push(component(p, &r));
        root_depends.push(r.clone());
        if os_ref.is_some() && is_os_kind(&p.kind) {
            os_depends.push(r.clone());
        }
        leaf_refs.push(r);
    }

    deps.push(json!({"ref": root_ref, "dependsOn": root_depends}));
    if let Some(os_ref) = &os_ref {
        deps.push(json!({"ref": os_ref, "dependsOn": os_depends}));
    }
    for r in leaf_refs {
        deps.push(json!({"ref": r, "dependsOn": []}));
    }

    json!({
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": serial,
        "version": 1,
        "metadata": {
            "timestamp": input.timestamp,
            "tools": {
                "components": [{
                    "type": "application",
                    "name": "palisade",
                    "version": input.tool_version,
                }]
            },
            "component": root_component(input, &root_ref),
        },
        "components": components,
        "dependencies": deps,
    })
}

fn root_component(input: &SbomInput, bom_ref: &str) -> Value {
    let s = &input.subject;
    let mut c = Map::new();
    c.insert("bom-ref".into(), json!(bom_ref));
    let ty = match s.kind {
        SubjectKind::Image => "container",
        SubjectKind::Directory => "file",
    };
    c.insert("type".into(), json!(ty));
    c.insert("name".into(), json!(s.name));
    if let Some((alg, hex)) = s.digest.as_deref().and_then(split_digest) {
        c.insert("hashes".into(), json!([{"alg": alg, "content": hex}]));
    }
    let p = subject_props(s);
    if !p.is_empty() {
        let pairs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.insert("properties".into(), props(&pairs));
    }
    Value::Object(c)
}

fn component(p: &SbomPackage, bom_ref: &str) -> Value {
    let mut c = Map::new();
    c.insert("bom-ref".into(), json!(bom_ref));
    c.insert("type".into(), json!("library"));
    c.insert("name".into(), json!(p.name));
    if !p.version.is_empty() {
        c.insert("version".into(), json!(p.version));
    }
    if let Some(h) = p.sha256.as_deref().filter(|h| is_sha256_hex(h)) {
        c.insert(
            "hashes".into(),
            json!([{"alg": "SHA-256", "content": h.to_ascii_lowercase()}]),
        );
    }
    if let Some(l) = licenses(&p.licenses) {
        c.insert("licenses".into(), l);
    }
    if !p.purl.is_empty() {
        c.insert("purl".into(), json!(p.purl));
    }
    c.insert("properties".into(), props(&package_props(p)));
    Value::Object(c)
}

/// The `licenses` array, or `None` when the package declares none.
pub(crate) fn licenses(list: &[String]) -> Option<Value> {
    let forms: Vec<LicenseForm<'_>> = list
        .iter()
        .map(|l| classify(l))
        .filter(|f| !matches!(f, LicenseForm::Name("")))
        .collect();
    match forms.as_slice() {
        [] => None,
        [LicenseForm::Expression(e)] => Some(json!([{ "expression": e }])),
        many => Some(Value::Array(
            many.iter()
                .map(|f| match f {
                    LicenseForm::Id(id) => json!({"license": {"id": id}}),
                    LicenseForm::Expression(s) | LicenseForm::Name(s) => {
                        json!({"license": {"name": s}})
                    }
                })
                .collect(),
        )),
    }
}

fn props(pairs: &[(&str, &str)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_shapes() {
        let l = |v: &[&str]| licenses(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(l(&[]), None);
        assert_eq!(l(&["MIT"]), Some(json!([{"license": {"id": "MIT"}}])));
        assert_eq!(
            l(&["MIT OR Apache-2.0"]),
            Some(json!([{"expression": "MIT OR Apache-2.0"}]))
        );
        assert_eq!(
            l(&["MIT", "GPL-2+", "MIT OR Apache-2.0"]),
            Some(json!([
                {"license": {"id": "MIT"}},
                {"license": {"name": "GPL-2+"}},
                {"license": {"name": "MIT OR Apache-2.0"}},
            ]))
        );
    }
}
