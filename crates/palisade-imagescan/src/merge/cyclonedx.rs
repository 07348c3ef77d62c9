//! CycloneDX 1.4–1.6 JSON with `vulnerabilities[]` (the `vulnerability` definition of the
//! 1.6 schema): `id`, `source.name`, `references[].id` (equivalent ids: aliases),
//! `ratings[]`, `analysis.{state,justification,response,detail}` (VEX) and `affects[].ref`,
//! a component's `bom-ref` or a BOM-Link (`urn:cdx:SERIAL/VERSION#BOM-REF`). Each entry of
//! `affects` is one finding; a ref that names no component is read as a purl when it is
//! one, and a ref to the BOM's subject (`metadata.component`), or no `affects` at all, makes
//! a product-level finding with an empty package.
//!
//! Choices where the format leaves room (documented here because scanners differ):
//! - severity: the rating whose `source.name` equals the vulnerability's `source.name`, else
//!   the first rating with a `severity`, else the first with a `score` (CVSS v3 scale);
//! - fixed versions: `affects[].versions[]` entries with status `unaffected` — a `version`,
//!   or the lower bound of a `vers:` range (`>=X`);
//! - a BOM without components whose every vulnerability carries `analysis.state` is a VEX
//!   document ([`ReportKind::Vex`]).

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error::{ReadError, ReadErrorKind};
use super::json::{self, bad, child, index, Res, Sink};
use super::model::{
    ReportKind, ReportedPackage, ReportedVuln, ScannerReport, Severity, VexAnalysis, VexState,
    MAX_FINDINGS,
};
use super::purl::{self, Purl};

/// Reads a CycloneDX JSON BOM already parsed as JSON.
pub fn read_cyclonedx(source: &str, doc: &Value) -> Result<ScannerReport, ReadError> {
    let mut sink = Sink::new(source);
    let top = json::as_object(doc, "$").map_err(|b| sink.fatal(b))?;
    match json::opt_str(top, "bomFormat", "$").map_err(|b| sink.fatal(b))? {
        Some("CycloneDX") => {}
        _ => {
            return Err(ReadError::shape(
                source,
                "$.bomFormat",
                "expected \"CycloneDX\"",
            ))
        }
    }
    match top.get("specVersion").and_then(Value::as_str) {
        Some("1.4" | "1.5" | "1.6") => {}
        other => sink.warn(bad(
            "$.specVersion",
            format!("expected 1.4, 1.5 or 1.6, found {other:?}; read as 1.6"),
        )),
    }
    let mut components: HashMap<String, &Map<String, Value>> = HashMap::new();
    let listed = json::opt_array(top, "components", "$").map_err(|b| sink.fatal(b))?;
    collect_components(listed, &mut components, 0);
    let meta = top.get("metadata").and_then(Value::as_object);
    let subject = meta
        .and_then(|m| m.get("component"))
        .and_then(Value::as_object);
    let subject_ref = subject
        .and_then(|c| c.get("bom-ref"))
        .and_then(Value::as_str);

    let vulns = json::opt_array(top, "vulnerabilities", "$").map_err(|b| sink.fatal(b))?;
    if !top.contains_key("vulnerabilities") {
        // An SBOM without vulnerability data: merged, it would "miss" every finding.
        sink.warn(bad(
            "$.vulnerabilities",
            "missing: an SBOM without vulnerability data, read as a scan that found nothing",
        ));
    }
    let affects_total: usize = vulns
        .iter()
        .map(|v| {
            v.get("affects")
                .and_then(Value::as_array)
                .map_or(1, |a| a.len().max(1))
        })
        .sum();
    if affects_total > MAX_FINDINGS {
        return Err(ReadError::new(
            source,
            ReadErrorKind::TooManyFindings {
                json_path: "$.vulnerabilities".into(),
                limit: MAX_FINDINGS,
            },
        ));
    }
    let ctx = Ctx {
        components: &components,
        subject_ref,
    };
    let mut findings = Vec::new();
    let mut all_analysed = !vulns.is_empty();
    for (i, v) in vulns.iter().enumerate() {
        let path = index("$.vulnerabilities", i);
        match read_vuln(v, &path, &ctx, &mut findings, &mut sink) {
            Ok(analysed) => all_analysed &= analysed,
            Err(b) => sink.warn(b),
        }
    }
    let kind = if listed.is_empty() && all_analysed {
        ReportKind::Vex
    } else {
        ReportKind::Scan
    };
    let target = subject.and_then(|c| {
        let name = c.get("name").and_then(Value::as_str)?;
        Some(match c.get("version").and_then(Value::as_str) {
            Some(v) if !v.is_empty() && !v.starts_with("sha256:") => format!("{name}:{v}"),
            _ => name.to_string(),
        })
    });
    let target_digest = subject
        .and_then(|c| c.get("version"))
        .and_then(Value::as_str)
        .filter(|v| v.starts_with("sha256:"))
        .map(str::to_string);
    Ok(ScannerReport {
        scanner: "cyclonedx".into(),
        version: meta.and_then(tool_of),
        target,
        target_digest,
        source: source.to_string(),
        kind,
        findings,
        warnings: sink.warnings,
    })
}

struct Ctx<'a, 'v> {
    components: &'a HashMap<String, &'v Map<String, Value>>,
    subject_ref: Option<&'v str>,
}

/// `TOOL VERSION` of the first tool: `metadata.tools` is an array of tools in 1.4 and an
/// object with `components` in 1.5 and later.
fn tool_of(meta: &Map<String, Value>) -> Option<String> {
    let tools = meta.get("tools")?;
    let first = match tools {
        Value::Array(a) => a.first()?,
        Value::Object(o) => o.get("components")?.as_array()?.first()?,
        _ => return None,
    };
    let name = first.get("name").and_then(Value::as_str)?;
    Some(match first.get("version").and_then(Value::as_str) {
        Some(v) => format!("{name} {v}"),
        None => name.to_string(),
    })
}

fn collect_components<'v>(
    list: &'v [Value],
    out: &mut HashMap<String, &'v Map<String, Value>>,
    depth: usize,
) {
    // serde_json already refuses documents nested deeper than 128 levels; this bound only
    // keeps the walk cheap on odd inputs.
    if depth > 64 {
        return;
    }
    for c in list {
        let Some(obj) = c.as_object() else { continue };
        if let Some(r) = obj.get("bom-ref").and_then(Value::as_str) {
            out.insert(r.to_string(), obj);
        }
        if let Some(nested) = obj.get("components").and_then(Value::as_array) {
            collect_components(nested, out, depth + 1);
        }
    }
}

/// Reads one vulnerability; returns whether it carries an analysis state.
fn read_vuln(
    v: &Value,
    path: &str,
    ctx: &Ctx<'_, '_>,
    out: &mut Vec<ReportedVuln>,
    sink: &mut Sink<'_>,
) -> Res<bool> {
    let obj = json::as_object(v, path)?;
    let id = json::req_string(obj, "id", path)?;
    let source_name = match json::opt_object(obj, "source", path)? {
        Some(s) => json::opt_string(s, "name", &child(path, "source"))?,
        None => None,
    };
    let mut aliases = Vec::new();
    let rpath = child(path, "references");
    for (i, r) in json::opt_array(obj, "references", path)?.iter().enumerate() {
        let p = index(&rpath, i);
        match json::as_object(r, &p).and_then(|o| json::req_string(o, "id", &p)) {
            Ok(a) if a != id => json::push_unique(&mut aliases, a),
            Ok(_) => {}
            Err(b) => sink.warn(b),
        }
    }
    sink.cap(&mut aliases, &rpath);
    let severity = severity_of(obj, path, source_name.as_deref(), sink)?;
    let vex = match json::opt_object(obj, "analysis", path)? {
        Some(a) => analysis(a, &child(path, "analysis"))?,
        None => None,
    };
    let affects = json::opt_array(obj, "affects", path)?;
    let template = ReportedVuln {
        id,
        aliases,
        package: ReportedPackage {
            ecosystem: "unknown".into(),
            ..ReportedPackage::default()
        },
        fixed_versions: Vec::new(),
        severity,
        fix_state: None,
        layer_digest: None,
        layer_diff_id: None,
        path: None,
        vex: vex.clone(),
    };
    if affects.is_empty() {
        out.push(template);
        return Ok(vex.is_some());
    }
    let apath = child(path, "affects");
    for (i, a) in affects.iter().enumerate() {
        let p = index(&apath, i);
        match affected(a, &p, ctx, &template, sink) {
            Ok(f) => out.push(f),
            Err(b) => sink.warn(b),
        }
    }
    Ok(vex.is_some())
}

fn affected(
    a: &Value,
    path: &str,
    ctx: &Ctx<'_, '_>,
    template: &ReportedVuln,
    sink: &mut Sink<'_>,
) -> Res<ReportedVuln> {
    let obj = json::as_object(a, path)?;
    let reference = json::req_string(obj, "ref", path)?;
    let mut f = template.clone();
    // A BOM-Link names an element of a (possibly other) BOM by its bom-ref after `#`.
    let local = match reference.strip_prefix("urn:cdx:") {
        Some(rest) => rest
            .split_once('#')
            .map_or(reference.clone(), |(_, r)| purl::decode(r)),
        None => reference.clone(),
    };
    if Some(local.as_str()) == ctx.subject_ref {
        // About the product as a whole: package left empty.
    } else if let Some(c) = ctx.components.get(local.as_str()) {
        component(c, &mut f);
    } else if let Some(p) = Purl::parse(&local) {
        f.package = ReportedPackage {
            name: p.full_name(),
            version: p.version.clone(),
            ecosystem: p.ty.clone(),
            source_name: p.source_name(),
            purl: Some(local),
        };
    } else {
        sink.warn(bad(
            &child(path, "ref"),
            format!("{reference:?} names no component; read as about the whole product"),
        ));
    }
    let vpath = child(path, "versions");
    for (i, v) in json::opt_array(obj, "versions", path)?.iter().enumerate() {
        let p = index(&vpath, i);
        let Some(vo) = v.as_object() else {
            sink.warn(bad(
                &p,
                format!("expected an object, found {}", json::type_name(v)),
            ));
            continue;
        };
        if json::opt_str(vo, "status", &p)? != Some("unaffected") {
            continue;
        }
        if let Some(ver) = json::opt_string(vo, "version", &p)? {
            json::push_unique(&mut f.fixed_versions, ver);
        } else if let Some(range) = json::opt_str(vo, "range", &p)? {
            if let Some(lower) = vers_lower_bound(range) {
                json::push_unique(&mut f.fixed_versions, lower);
            }
        }
    }
    sink.cap(&mut f.fixed_versions, &vpath);
    Ok(f)
}

/// Fills the package (and the layer/path properties Trivy and Syft add) from a component.
fn component(c: &Map<String, Value>, f: &mut ReportedVuln) {
    let text = |k: &str| {
        c.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let purl = text("purl").map(str::to_string);
    let parsed = purl.as_deref().and_then(Purl::parse);
    let name = match (&parsed, text("group"), text("name")) {
        (Some(p), _, _) => p.full_name(),
        (None, Some(g), Some(n)) => format!("{g}:{n}"),
        (None, None, Some(n)) => n.to_string(),
        (None, _, None) => String::new(),
    };
    let mut source_name = parsed.as_ref().and_then(Purl::source_name);
    if let Some(props) = c.get("properties").and_then(Value::as_array) {
        for p in props {
            let (Some(k), Some(v)) = (
                p.get("name").and_then(Value::as_str),
                p.get("value").and_then(Value::as_str),
            ) else {
                continue;
            };
            let v = v.trim().to_string();
            if v.is_empty() {
                continue;
            }
            match k {
                _ if k.ends_with(":SrcName") => source_name = source_name.or(Some(v)),
                _ if k.ends_with(":LayerDigest") => f.layer_digest = Some(v),
                _ if k.ends_with(":LayerDiffID") || k == "syft:location:0:layerID" => {
                    f.layer_diff_id = Some(v)
                }
                _ if k.ends_with(":FilePath") || k == "syft:location:0:path" => f.path = Some(v),
                _ => {}
            }
        }
    }
    f.package = ReportedPackage {
        name,
        version: text("version")
            .map(str::to_string)
            .or_else(|| parsed.as_ref().map(|p| p.version.clone()))
            .unwrap_or_default(),
        ecosystem: parsed
            .as_ref()
            .map_or_else(|| "unknown".to_string(), |p| p.ty.clone()),
        purl,
        source_name,
    };
}

fn severity_of(
    obj: &Map<String, Value>,
    path: &str,
    source: Option<&str>,
    sink: &mut Sink<'_>,
) -> Res<Severity> {
    let rpath = child(path, "ratings");
    let mut preferred = None;
    let mut first_label = None;
    let mut first_score = None;
    for (i, r) in json::opt_array(obj, "ratings", path)?.iter().enumerate() {
        let p = index(&rpath, i);
        let Some(ro) = r.as_object() else {
            sink.warn(bad(
                &p,
                format!("expected an object, found {}", json::type_name(r)),
            ));
            continue;
        };
        let label = json::opt_str(ro, "severity", &p)?.map(Severity::parse);
        let rsource = ro
            .get("source")
            .and_then(|s| s.get("name"))
            .and_then(Value::as_str);
        if let (Some(l), Some(s), Some(want)) = (label, rsource, source) {
            if s.eq_ignore_ascii_case(want) && preferred.is_none() {
                preferred = Some(l);
            }
        }
        if first_label.is_none() {
            first_label = label.filter(|l| *l != Severity::Unknown);
        }
        if first_score.is_none() {
            first_score = ro
                .get("score")
                .and_then(Value::as_f64)
                .map(Severity::from_cvss_score);
        }
    }
    Ok(preferred
        .or(first_label)
        .or(first_score)
        .unwrap_or_default())
}

fn analysis(a: &Map<String, Value>, path: &str) -> Res<Option<VexAnalysis>> {
    let Some(state) = json::opt_str(a, "state", path)? else {
        return Ok(None);
    };
    let state = VexState::parse(state).ok_or_else(|| {
        bad(
            &child(path, "state"),
            format!("unknown analysis state {state:?}"),
        )
    })?;
    let responses = json::opt_array(a, "response", path)?
        .iter()
        .filter_map(Value::as_str)
        .take(32)
        .map(str::to_string)
        .collect();
    Ok(Some(VexAnalysis {
        state,
        justification: json::opt_string(a, "justification", path)?,
        responses,
        detail: json::opt_string(a, "detail", path)?,
    }))
}

/// The lower bound of a `vers:` range whose constraints include `>=X` (`vers:deb/>=1.2-3`).
fn vers_lower_bound(range: &str) -> Option<String> {
    let body = range.strip_prefix("vers:")?.split_once('/')?.1;
    body.split('|')
        .find_map(|c| c.trim().strip_prefix(">="))
        .map(|v| purl::decode(v.trim()))
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vers_lower_bounds() {
        assert_eq!(
            vers_lower_bound("vers:deb/>=1.2-3").as_deref(),
            Some("1.2-3")
        );
        assert_eq!(
            vers_lower_bound("vers:pypi/>=2.0|<3.0").as_deref(),
            Some("2.0")
        );
        assert_eq!(vers_lower_bound("vers:pypi/<3.0"), None);
        assert_eq!(vers_lower_bound("1.0"), None);
    }
}
