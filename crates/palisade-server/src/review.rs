//! The `admission.k8s.io/v1` AdmissionReview wire format: reading a request (refusing what
//! the API server would never send) and writing the response.
//!
//! Mirrors the API server's side of the exchange in `k8s.io/apiserver`'s webhook request
//! code (`CreateV1AdmissionReview`, `VerifyAdmissionResponse`: the response must be an
//! `admission.k8s.io/v1` AdmissionReview carrying the request's `uid`) and its warning
//! recorder (`WithWarningRecorder`: warnings are deduplicated; once they add up to more than
//! 4096 runes each is cut to 256 runes).

use serde_json::{json, Map, Value as Json};

/// The only apiVersion the server accepts (the webhook configuration must list it in
/// `admissionReviewVersions`).
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// The fields of an AdmissionRequest the server reads.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request uid, echoed in the response.
    pub uid: String,
    /// CREATE, UPDATE, DELETE or CONNECT.
    pub operation: String,
    /// The object's kind (`kind.kind`).
    pub kind: String,
    /// The resource's subresource (`status`, `exec`, ...), empty for the main resource.
    pub sub_resource: String,
    /// The request namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// The object name (empty when the API server generates it).
    pub name: String,
    /// `dryRun`.
    pub dry_run: bool,
}

/// Reads an AdmissionReview body. Errors are messages for a 400 answer.
pub fn parse(body: &[u8]) -> Result<(Json, Request), String> {
    let review: Json =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let text = |v: &Json, key: &str| v.get(key).and_then(Json::as_str).map(str::to_string);
    if !review.is_object() {
        return Err("the body must be an AdmissionReview object".into());
    }
    match (text(&review, "apiVersion"), text(&review, "kind")) {
        (Some(v), Some(k)) if v == API_VERSION && k == "AdmissionReview" => {}
        (v, k) => {
            return Err(format!(
                "expected apiVersion {API_VERSION} kind AdmissionReview, got apiVersion {} kind {}",
                v.as_deref().unwrap_or("(none)"),
                k.as_deref().unwrap_or("(none)")
            ))
        }
    }
    let req = review
        .get("request")
        .filter(|r| r.is_object())
        .ok_or("the AdmissionReview has no request object")?;
    let uid = text(req, "uid")
        .filter(|u| !u.is_empty())
        .ok_or("request.uid is missing or empty")?;
    let operation = text(req, "operation").ok_or("request.operation is missing")?;
    if !matches!(
        operation.as_str(),
        "CREATE" | "UPDATE" | "DELETE" | "CONNECT"
    ) {
        return Err(format!(
            "request.operation must be CREATE, UPDATE, DELETE or CONNECT, got {operation}"
        ));
    }
    let kind = req
        .get("kind")
        .and_then(|k| k.get("kind"))
        .and_then(Json::as_str)
        .ok_or("request.kind.kind is missing")?
        .to_string();
    let request = Request {
        uid,
        operation,
        kind,
        sub_resource: text(req, "subResource").unwrap_or_default(),
        namespace: text(req, "namespace").unwrap_or_default(),
        name: text(req, "name").unwrap_or_default(),
        dry_run: req.get("dryRun").and_then(Json::as_bool).unwrap_or(false),
    };
    Ok((review, request))
}

/// What the server answers.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// Allowed?
    pub allowed: bool,
    /// The refusal message (when not allowed).
    pub message: String,
    /// Warnings for the client.
    pub warnings: Vec<String>,
    /// Audit annotations (keys are valid qualified-name parts).
    pub audit_annotations: Vec<(String, String)>,
}

/// The AdmissionReview response for `uid`.
pub fn response(uid: &str, answer: &Answer) -> Json {
    let mut resp = Map::new();
    resp.insert("uid".into(), Json::String(uid.into()));
    resp.insert("allowed".into(), Json::Bool(answer.allowed));
    if !answer.allowed {
        resp.insert(
            "status".into(),
            json!({"code": 403, "reason": "Forbidden", "message": answer.message}),
        );
    }
    let warnings = fit_warnings(&answer.warnings);
    if !warnings.is_empty() {
        resp.insert("warnings".into(), json!(warnings));
    }
    let annotations: Map<String, Json> = answer
        .audit_annotations
        .iter()
        .filter(|(k, _)| is_qualified_name_part(k))
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    if !annotations.is_empty() {
        resp.insert("auditAnnotations".into(), Json::Object(annotations));
    }
    json!({"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": resp})
}

/// Total runes of warnings before the API server starts cutting each one.
const TRUNCATE_AT_TOTAL_RUNES: usize = 4 * 1024;
/// The length each warning is cut to once the total is exceeded.
const TRUNCATE_ITEM_RUNES: usize = 256;

/// Warnings as the API server's recorder would pass them on: empty ones dropped, duplicates
/// dropped, control characters (which its `NewWarningHeader` refuses, dropping the warning)
/// made spaces, and, when the total exceeds 4096 runes, each cut to 256 runes.
pub fn fit_warnings(warnings: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in warnings {
        let clean: String = w
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if !clean.is_empty() && !out.contains(&clean) {
            out.push(clean);
        }
    }
    let total: usize = out.iter().map(|w| w.chars().count()).sum();
    if total > TRUNCATE_AT_TOTAL_RUNES {
        for w in &mut out {
            if let Some((at, _)) = w.char_indices().nth(TRUNCATE_ITEM_RUNES) {
                w.truncate(at);
            }
        }
    }
    out
}

/// The API server prefixes each audit annotation key with `<webhook name>/` and then checks
/// the whole with `IsQualifiedName` (`admission.Attributes.AddAnnotation`): what we send
/// must be a valid name part: at most 63 characters, alphanumeric at both ends, `-`, `_`,
/// `.` and alphanumerics inside.
pub fn is_qualified_name_part(key: &str) -> bool {
    let b = key.as_bytes();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(req: Json) -> Vec<u8> {
        serde_json::to_vec(
            &json!({"apiVersion": API_VERSION, "kind": "AdmissionReview", "request": req}),
        )
        .unwrap()
    }

    #[test]
    fn parse_reads_fields_and_refuses_bad_shapes() {
        let (_, r) = parse(&review(json!({"uid": "u1", "operation": "CREATE", "kind": {"kind": "Pod"}, "namespace": "a", "dryRun": true, "subResource": "status"}))).unwrap();
        assert_eq!(
            (r.uid.as_str(), r.kind.as_str(), r.dry_run),
            ("u1", "Pod", true)
        );
        assert_eq!(r.sub_resource, "status");
        assert!(parse(b"{").unwrap_err().contains("not JSON"));
        assert!(
            parse(br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#)
                .unwrap_err()
                .contains("v1beta1")
        );
        assert!(parse(&review(json!({"operation": "CREATE"})))
            .unwrap_err()
            .contains("uid"));
        assert!(parse(&review(
            json!({"uid": "u", "operation": "PATCH", "kind": {"kind": "Pod"}})
        ))
        .unwrap_err()
        .contains("PATCH"));
    }

    #[test]
    fn warnings_are_cut_as_the_api_server_cuts_them() {
        let short = vec!["a\nb".to_string(), "a\nb".to_string(), String::new()];
        assert_eq!(fit_warnings(&short), vec!["a b"]);
        let long: Vec<String> = (0..20).map(|i| format!("{i}{}", "é".repeat(300))).collect();
        let fit = fit_warnings(&long);
        assert_eq!(fit.len(), 20);
        assert!(fit.iter().all(|w| w.chars().count() == 256));
    }

    #[test]
    fn audit_keys_are_qualified_name_parts() {
        assert!(is_qualified_name_part("PAL-POD-001"));
        assert!(is_qualified_name_part("decision"));
        assert!(!is_qualified_name_part("-x"));
        assert!(!is_qualified_name_part("a/b"));
        assert!(!is_qualified_name_part(&"a".repeat(64)));
        let r = response(
            "u",
            &Answer {
                allowed: false,
                message: "no".into(),
                warnings: vec![],
                audit_annotations: vec![("ok".into(), "1".into()), ("bad/key".into(), "2".into())],
            },
        );
        assert_eq!(r["response"]["status"]["code"], 403);
        assert_eq!(r["response"]["auditAnnotations"], json!({"ok": "1"}));
    }
}
