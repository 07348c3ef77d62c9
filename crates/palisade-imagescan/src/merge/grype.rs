//! Grype's JSON report (`grype -o json`), after `grype/presenter/models/` of anchore/grype:
//! `Document.matches[]` (`Match`: `vulnerability`, `relatedVulnerabilities[]`,
//! `matchDetails[]`, `artifact`), `Vulnerability` (`id`, `dataSource`, `severity`,
//! `fix.{versions,state}`), `Package` (`name`, `version`, `type`, `purl`, `locations[]` with
//! `path` and `layerID`, `upstreams[]`), `descriptor.{name,version}` and `source.target`
//! (for images: `userInput`, `manifestDigest`, `repoDigests`). `ignoredMatches` are not
//! findings and are not read.

use serde_json::{Map, Value};

use super::ecosystem;
use super::error::{ReadError, ReadErrorKind};
use super::json::{self, bad, child, index, Res, Sink};
use super::model::{
    ReportKind, ReportedPackage, ReportedVuln, ScannerReport, Severity, MAX_FINDINGS,
};
use super::purl::Purl;

/// Reads a Grype JSON report already parsed as JSON.
pub fn read_grype(source: &str, doc: &Value) -> Result<ScannerReport, ReadError> {
    let mut sink = Sink::new(source);
    let top = json::as_object(doc, "$").map_err(|b| sink.fatal(b))?;
    let matches = json::opt_array(top, "matches", "$").map_err(|b| sink.fatal(b))?;
    if matches.len() > MAX_FINDINGS {
        return Err(ReadError::new(
            source,
            ReadErrorKind::TooManyFindings {
                json_path: "$.matches".into(),
                limit: MAX_FINDINGS,
            },
        ));
    }
    let mut findings = Vec::with_capacity(matches.len());
    for (i, m) in matches.iter().enumerate() {
        match read_match(m, &index("$.matches", i), &mut sink) {
            Ok(f) => findings.push(f),
            Err(b) => sink.warn(b),
        }
    }
    let version = top
        .get("descriptor")
        .and_then(|d| d.get("version"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let (target, target_digest) = target_of(top);
    Ok(ScannerReport {
        scanner: "grype".into(),
        version,
        target,
        target_digest,
        source: source.to_string(),
        kind: ReportKind::Scan,
        findings,
        warnings: sink.warnings,
    })
}

fn target_of(top: &Map<String, Value>) -> (Option<String>, Option<String>) {
    let Some(t) = top.get("source").and_then(|s| s.get("target")) else {
        return (None, None);
    };
    if let Some(s) = t.as_str() {
        return (Some(s.to_string()), None);
    }
    let name = t
        .get("userInput")
        .and_then(Value::as_str)
        .map(str::to_string);
    let digest = t
        .get("repoDigests")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find_map(Value::as_str))
        .and_then(|d| d.rsplit_once('@').map(|(_, dg)| dg.to_string()))
        .or_else(|| {
            t.get("manifestDigest")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    (name, digest)
}

fn read_match(m: &Value, path: &str, sink: &mut Sink<'_>) -> Res<ReportedVuln> {
    let obj = json::as_object(m, path)?;
    let vpath = child(path, "vulnerability");
    let vuln =
        json::opt_object(obj, "vulnerability", path)?.ok_or_else(|| bad(&vpath, "missing"))?;
    let id = json::req_string(vuln, "id", &vpath)?;
    let severity = json::opt_str(vuln, "severity", &vpath)?
        .map(Severity::parse)
        .unwrap_or_default();
    let (fixed_versions, fix_state) = match json::opt_object(vuln, "fix", &vpath)? {
        Some(fix) => {
            let fpath = child(&vpath, "fix");
            let mut versions = strings(
                json::opt_array(fix, "versions", &fpath)?,
                &child(&fpath, "versions"),
                sink,
            );
            sink.cap(&mut versions, &child(&fpath, "versions"));
            (versions, json::opt_string(fix, "state", &fpath)?)
        }
        None => (Vec::new(), None),
    };

    let mut aliases = Vec::new();
    let rpath = child(path, "relatedVulnerabilities");
    for (i, r) in json::opt_array(obj, "relatedVulnerabilities", path)?
        .iter()
        .enumerate()
    {
        let p = index(&rpath, i);
        match json::as_object(r, &p).and_then(|o| json::req_string(o, "id", &p)) {
            Ok(a) if a != id => json::push_unique(&mut aliases, a),
            Ok(_) => {}
            Err(b) => sink.warn(b),
        }
    }
    sink.cap(&mut aliases, &rpath);

    let apath = child(path, "artifact");
    let art = json::opt_object(obj, "artifact", path)?.ok_or_else(|| bad(&apath, "missing"))?;
    let name = json::req_string(art, "name", &apath)?;
    let version = json::opt_string(art, "version", &apath)?.unwrap_or_default();
    let ty = json::opt_str(art, "type", &apath)?.unwrap_or("");
    let purl = json::opt_string(art, "purl", &apath)?;
    let parsed = purl.as_deref().and_then(Purl::parse);
    let ecosystem = match &parsed {
        Some(p) => p.ty.clone(),
        None => ecosystem::from_grype_type(ty).to_string(),
    };
    // Syft records a Debian package's source package, and an Alpine package's origin, as
    // its first upstream.
    let upstream = json::opt_array(art, "upstreams", &apath)?
        .iter()
        .find_map(|u| u.get("name").and_then(Value::as_str))
        .map(str::to_string);
    let source_name = upstream.or_else(|| parsed.as_ref().and_then(Purl::source_name));

    let lpath = child(&apath, "locations");
    let mut file = None;
    let mut layer = None;
    if let Some(first) = json::opt_array(art, "locations", &apath)?.first() {
        let p = index(&lpath, 0);
        let loc = json::as_object(first, &p)?;
        file = json::opt_string(loc, "path", &p)?;
        layer = json::opt_string(loc, "layerID", &p)?;
    }
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
        fix_state,
        layer_digest: None,
        // Syft's `layerID` is the layer's diff id (the digest of the uncompressed tar).
        layer_diff_id: layer,
        path: file,
        vex: None,
    })
}

fn strings(list: &[Value], path: &str, sink: &mut Sink<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        match v.as_str() {
            Some(s) => json::push_unique(&mut out, s.trim().to_string()),
            None => sink.warn(bad(
                &index(path, i),
                format!("expected a string, found {}", json::type_name(v)),
            )),
        }
    }
    out
}
