//! Trivy's JSON report (`trivy image -f json`, `SchemaVersion` 2), after
//! `pkg/types/report.go` (`Report`, `Metadata`, `Result`) and `pkg/types/vulnerability.go`
//! (`DetectedVulnerability`) of aquasecurity/trivy: `Results[].Vulnerabilities[]` with
//! `VulnerabilityID`, `VendorIDs`, `PkgName`, `PkgIdentifier.PURL`, `InstalledVersion`,
//! `FixedVersion` (several versions joined with `, `), `Status`, `Severity`,
//! `Layer.{Digest,DiffID}` and `PkgPath`. When `Results[].Packages[]` is present (Trivy's
//! `--list-all-pkgs`), a vulnerable package's `SrcName` is taken from it.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::ecosystem;
use super::error::{ReadError, ReadErrorKind};
use super::json::{self, bad, child, index, Res, Sink};
use super::model::{
    ReportKind, ReportedPackage, ReportedVuln, ScannerReport, Severity, MAX_FINDINGS,
};
use super::purl::Purl;

/// Reads a Trivy JSON report already parsed as JSON. `source` names the input in messages.
pub fn read_trivy(source: &str, doc: &Value) -> Result<ScannerReport, ReadError> {
    let mut sink = Sink::new(source);
    let top = json::as_object(doc, "$").map_err(|b| sink.fatal(b))?;
    match top.get("SchemaVersion") {
        Some(Value::Number(n)) if n.as_u64() == Some(2) => {}
        None => {}
        Some(other) => sink.warn(bad(
            "$.SchemaVersion",
            format!("expected 2, found {other}; read as schema 2"),
        )),
    }
    let results = json::opt_array(top, "Results", "$").map_err(|b| sink.fatal(b))?;
    let total: usize = results
        .iter()
        .filter_map(|r| r.get("Vulnerabilities").and_then(Value::as_array))
        .map(Vec::len)
        .sum();
    if total > MAX_FINDINGS {
        return Err(ReadError::new(
            source,
            ReadErrorKind::TooManyFindings {
                json_path: "$.Results[*].Vulnerabilities".into(),
                limit: MAX_FINDINGS,
            },
        ));
    }
    let mut findings = Vec::with_capacity(total);
    for (i, result) in results.iter().enumerate() {
        let path = index("$.Results", i);
        if let Err(b) = read_result(result, &path, &mut findings, &mut sink) {
            sink.warn(b);
        }
    }
    let (target, target_digest) = target_of(top, &mut sink);
    let version = top
        .get("Trivy")
        .and_then(|t| t.get("Version"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(ScannerReport {
        scanner: "trivy".into(),
        version,
        target,
        target_digest,
        source: source.to_string(),
        kind: ReportKind::Scan,
        findings,
        warnings: sink.warnings,
    })
}

fn target_of(top: &Map<String, Value>, sink: &mut Sink<'_>) -> (Option<String>, Option<String>) {
    let name = json::opt_string(top, "ArtifactName", "$").unwrap_or_else(|b| {
        sink.warn(b);
        None
    });
    let meta = top.get("Metadata").and_then(Value::as_object);
    let digest = meta
        .and_then(|m| m.get("RepoDigests"))
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find_map(Value::as_str))
        // The manifest digest; `ImageID` is the config digest, which other scanners do not
        // report, so it would only make equal images look different.
        .and_then(|d| d.rsplit_once('@').map(|(_, dg)| dg.to_string()));
    (name, digest)
}

/// Source names by package id, from the result's package list.
fn source_names(result: &Map<String, Value>) -> HashMap<&str, &str> {
    let mut map = HashMap::new();
    let Some(pkgs) = result.get("Packages").and_then(Value::as_array) else {
        return map;
    };
    for p in pkgs {
        let Some(src) = p
            .get("SrcName")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        for id in [
            p.get("ID").and_then(Value::as_str),
            p.get("Identifier")
                .and_then(|i| i.get("UID"))
                .and_then(Value::as_str),
        ]
        .into_iter()
        .flatten()
        {
            map.insert(id, src);
        }
    }
    map
}

fn read_result(
    result: &Value,
    path: &str,
    out: &mut Vec<ReportedVuln>,
    sink: &mut Sink<'_>,
) -> Res<()> {
    let obj = json::as_object(result, path)?;
    let ty = json::opt_str(obj, "Type", path)?.unwrap_or("");
    let eco = ecosystem::from_trivy_type(ty);
    let sources = source_names(obj);
    let vulns = json::opt_array(obj, "Vulnerabilities", path)?;
    let vpath = child(path, "Vulnerabilities");
    for (i, v) in vulns.iter().enumerate() {
        match read_vuln(v, &index(&vpath, i), eco, &sources, sink) {
            Ok(f) => out.push(f),
            Err(b) => sink.warn(b),
        }
    }
    Ok(())
}

fn read_vuln(
    v: &Value,
    path: &str,
    eco: &str,
    sources: &HashMap<&str, &str>,
    sink: &mut Sink<'_>,
) -> Res<ReportedVuln> {
    let obj = json::as_object(v, path)?;
    let id = json::req_string(obj, "VulnerabilityID", path)?;
    let name = json::req_string(obj, "PkgName", path)?;
    let version = json::opt_string(obj, "InstalledVersion", path)?.unwrap_or_default();
    let ident = json::opt_object(obj, "PkgIdentifier", path)?;
    let ident_path = child(path, "PkgIdentifier");
    let purl = match ident {
        Some(i) => json::opt_string(i, "PURL", &ident_path)?,
        None => None,
    };
    let parsed = purl.as_deref().and_then(Purl::parse);
    let ecosystem = match (&parsed, eco) {
        (Some(p), _) => p.ty.clone(),
        (None, e) => e.to_string(),
    };
    let pkg_id = json::opt_str(obj, "PkgID", path)?;
    let uid = match ident {
        Some(i) => json::opt_str(i, "UID", &ident_path)?,
        None => None,
    };
    let source_name = [pkg_id, uid]
        .into_iter()
        .flatten()
        .find_map(|k| sources.get(k))
        .map(|s| s.to_string())
        .or_else(|| parsed.as_ref().and_then(Purl::source_name));

    let mut aliases = Vec::new();
    let vendor = json::opt_array(obj, "VendorIDs", path)?;
    for (i, a) in vendor.iter().enumerate() {
        match a.as_str() {
            Some(s) if ecosystem::looks_like_id(s) => {
                json::push_unique(&mut aliases, s.trim().into())
            }
            Some(_) => {}
            None => sink.warn(bad(
                &index(&child(path, "VendorIDs"), i),
                format!("expected a string, found {}", json::type_name(a)),
            )),
        }
    }
    aliases.retain(|a| a != &id);
    sink.cap(&mut aliases, &child(path, "VendorIDs"));

    let mut fixed_versions: Vec<String> = Vec::new();
    if let Some(f) = json::opt_str(obj, "FixedVersion", path)? {
        for part in f.split(',') {
            json::push_unique(&mut fixed_versions, part.trim().to_string());
        }
    }
    sink.cap(&mut fixed_versions, &child(path, "FixedVersion"));

    let severity = json::opt_str(obj, "Severity", path)?
        .map(Severity::parse)
        .unwrap_or_default();
    let (layer_digest, layer_diff_id) = match json::opt_object(obj, "Layer", path)? {
        Some(l) => {
            let lp = child(path, "Layer");
            (
                json::opt_string(l, "Digest", &lp)?,
                json::opt_string(l, "DiffID", &lp)?,
            )
        }
        None => (None, None),
    };
    Ok(ReportedVuln {
        id,
        aliases,
        package: ReportedPackage {
            name,
            version,
            ecosystem,
            purl,
            source_name,
        },
        fixed_versions,
        severity,
        fix_state: json::opt_string(obj, "Status", path)?,
        layer_digest,
        layer_diff_id,
        path: json::opt_string(obj, "PkgPath", path)?,
        vex: None,
    })
}
