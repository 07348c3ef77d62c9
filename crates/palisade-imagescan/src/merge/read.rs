//! Reading any supported report: detect the format from the document's top-level keys and
//! hand it to its reader.

use std::path::Path;

use serde_json::Value;

use super::cyclonedx::read_cyclonedx;
use super::error::{ReadError, ReadErrorKind};
use super::grype::read_grype;
use super::json::{self, index, Sink};
use super::model::{ReportKind, ReportedVuln, ScannerReport, MAX_FINDINGS, MAX_REPORT_BYTES};
use super::trivy::read_trivy;

/// The formats [`read_report`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Trivy JSON (`SchemaVersion`, `Results`).
    Trivy,
    /// Grype JSON (`matches` with `descriptor`/`source`).
    Grype,
    /// CycloneDX JSON (`bomFormat: CycloneDX`).
    CycloneDx,
    /// Palisade's common model serialised as JSON (`scanner` and `findings`).
    Palisade,
}

/// Which format a parsed document is in, from its top-level keys.
pub fn detect(doc: &Value) -> Option<Format> {
    let obj = doc.as_object()?;
    if obj.contains_key("bomFormat") {
        Some(Format::CycloneDx)
    } else if obj.contains_key("matches")
        && (obj.contains_key("descriptor")
            || obj.contains_key("source")
            || obj.contains_key("distro"))
    {
        Some(Format::Grype)
    } else if obj.contains_key("SchemaVersion")
        || (obj.contains_key("Results") && obj.contains_key("ArtifactName"))
    {
        Some(Format::Trivy)
    } else if obj.contains_key("scanner") && obj.contains_key("findings") {
        Some(Format::Palisade)
    } else {
        None
    }
}

/// Reads one report from bytes, detecting its format. `source` names the input (a file
/// name) in errors and warnings.
pub fn read_report(source: &str, bytes: &[u8]) -> Result<ScannerReport, ReadError> {
    let doc = json::parse(source, bytes)?;
    match detect(&doc) {
        Some(Format::Trivy) => read_trivy(source, &doc),
        Some(Format::Grype) => read_grype(source, &doc),
        Some(Format::CycloneDx) => read_cyclonedx(source, &doc),
        Some(Format::Palisade) => read_palisade(source, &doc),
        None if doc
            .get("@context")
            .and_then(Value::as_str)
            .is_some_and(|c| c.contains("openvex")) =>
        {
            Err(ReadError::shape(
                source,
                "$.@context",
                "an OpenVEX document, not a scanner report (read it with vex::OpenVexDocument)",
            ))
        }
        None => Err(ReadError::new(source, ReadErrorKind::UnknownFormat)),
    }
}

/// Reads one report from a file, refusing files over [`MAX_REPORT_BYTES`] before reading.
pub fn read_report_file(path: &Path) -> Result<ScannerReport, ReadError> {
    let name = path.display().to_string();
    let io = |e| ReadError::new(&name, ReadErrorKind::Io(e));
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_REPORT_BYTES as u64 {
        return Err(ReadError::new(
            &name,
            ReadErrorKind::TooLarge {
                size,
                limit: MAX_REPORT_BYTES,
            },
        ));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    read_report(&name, &bytes)
}

/// Palisade's own findings in the common model, as JSON: each finding is deserialised on its
/// own so a bad one is skipped with a warning naming it.
pub fn read_palisade(source: &str, doc: &Value) -> Result<ScannerReport, ReadError> {
    let mut sink = Sink::new(source);
    let top = json::as_object(doc, "$").map_err(|b| sink.fatal(b))?;
    let findings = json::opt_array(top, "findings", "$").map_err(|b| sink.fatal(b))?;
    if findings.len() > MAX_FINDINGS {
        return Err(ReadError::new(
            source,
            ReadErrorKind::TooManyFindings {
                json_path: "$.findings".into(),
                limit: MAX_FINDINGS,
            },
        ));
    }
    let text = |k: &str| -> Result<Option<String>, ReadError> {
        json::opt_string(top, k, "$").map_err(|b| sink.fatal(b))
    };
    let scanner = text("scanner")?.unwrap_or_else(|| "palisade".into());
    let version = text("version")?;
    let target = text("target")?;
    let target_digest = text("target_digest")?;
    let kind = match top.get("kind").and_then(Value::as_str) {
        Some("vex") => ReportKind::Vex,
        _ => ReportKind::Scan,
    };
    let mut out = Vec::with_capacity(findings.len());
    for (i, f) in findings.iter().enumerate() {
        match serde_json::from_value::<ReportedVuln>(f.clone()) {
            Ok(v) if !v.id.trim().is_empty() => out.push(v),
            Ok(_) => sink.warn(json::bad(
                &format!("{}.id", index("$.findings", i)),
                "missing or empty",
            )),
            Err(e) => sink.warn(json::bad(&index("$.findings", i), e.to_string())),
        }
    }
    Ok(ScannerReport {
        scanner,
        version,
        target,
        target_digest,
        source: source.to_string(),
        kind,
        findings: out,
        warnings: sink.warnings,
    })
}
