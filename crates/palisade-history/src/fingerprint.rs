//! Finding identity across scans.
//!
//! A finding is "the same" in two scans of one target when the same rule fires on the same
//! object at the same field: rule id + object kind/namespace/name + the field path inside the
//! object (`spec.template.spec.containers[0].securityContext.privileged`). Deliberately left
//! out:
//! - line and column, and the file path: editing lines above, moving the object to another
//!   file, or reading it from the cluster instead of a file does not make it new;
//! - `apiVersion`: `apps/v1` and `extensions/v1beta1` name the same object;
//! - the message and evidence: rewording a message in a new Palisade release, or a different
//!   offending value on the same field, is the same problem still open.
//!
//! Findings that share that key within one scan (a rule reporting several problems on one
//! object without a field) are told apart by their message, and, when messages match too, by
//! their order of place. Such a finding's fingerprint changes when its siblings come and go;
//! field paths use container indices (the finding does not carry the container name), so
//! reordering containers changes identities too.

use std::collections::HashMap;

use palisade_core::Report;
use sha2::{Digest, Sha256};

use crate::model::{NewScan, StoredFinding, Timestamp};

/// Version of the fingerprint recipe, hashed in: changing the recipe changes every fingerprint
/// (all findings then show as new once) rather than silently matching differently.
const RECIPE: &str = "palisade-fp-1";

/// The identity key of one finding (before disambiguation).
fn key(finding: &StoredFinding) -> [&str; 5] {
    [
        &finding.rule_id,
        &finding.kind,
        finding.namespace.as_deref().unwrap_or(""),
        &finding.name,
        finding.field.as_deref().unwrap_or(""),
    ]
}

fn hash(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(RECIPE.as_bytes());
    for part in parts {
        // Length-prefixed so that no two part lists hash the same bytes.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Sets every finding's `fingerprint`, unique within the list.
pub fn assign(findings: &mut [StoredFinding]) {
    let mut groups: HashMap<[&str; 5], Vec<usize>> = HashMap::new();
    for (i, finding) in findings.iter().enumerate() {
        groups.entry(key(finding)).or_default().push(i);
    }
    let mut prints = vec![String::new(); findings.len()];
    for (key, mut members) in groups {
        if let [only] = members[..] {
            prints[only] = hash(&key);
            continue;
        }
        members.sort_by(|&a, &b| {
            let (a, b) = (&findings[a], &findings[b]);
            (&a.message, &a.path, a.line, a.col).cmp(&(&b.message, &b.path, b.line, b.col))
        });
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for i in members {
            let message = findings[i].message.as_str();
            let n = seen.entry(message).or_insert(0);
            *n += 1;
            let ordinal = n.to_string();
            let mut parts = key.to_vec();
            parts.push(message);
            if *n > 1 {
                parts.push(&ordinal);
            }
            prints[i] = hash(&parts);
        }
    }
    for (finding, print) in findings.iter_mut().zip(prints) {
        finding.fingerprint = print;
    }
}

impl NewScan {
    /// The findings of a report (not the suppressed ones), fingerprinted, as a scan of
    /// `target`. The evidence is not kept: it may quote values from the manifests.
    pub fn from_report(report: &Report, target: &str, started_at: Timestamp) -> NewScan {
        let mut findings: Vec<StoredFinding> = report
            .findings
            .iter()
            .map(|f| StoredFinding {
                fingerprint: String::new(),
                rule_id: f.rule_id.to_string(),
                severity: f.severity,
                api_version: f.object.api_version.clone(),
                kind: f.object.kind.clone(),
                namespace: f.object.namespace.clone(),
                name: f.object.name.clone(),
                path: f.location.path.to_string(),
                line: f.location.line,
                col: f.location.col,
                field: f.field.clone(),
                message: f.message.clone(),
            })
            .collect();
        assign(&mut findings);
        NewScan {
            target: target.to_owned(),
            started_at,
            tool_version: report.version.to_owned(),
            load_errors: report.errors.len() as u64,
            findings,
            inventory: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::Severity;

    fn finding(rule: &str, name: &str, field: Option<&str>, line: u32, msg: &str) -> StoredFinding {
        StoredFinding {
            fingerprint: String::new(),
            rule_id: rule.into(),
            severity: Severity::High,
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("prod".into()),
            name: name.into(),
            path: "a.yaml".into(),
            line,
            col: 3,
            field: field.map(Into::into),
            message: msg.into(),
        }
    }

    #[test]
    fn lines_and_messages_do_not_change_identity() {
        let mut a = [finding(
            "PAL-POD-001",
            "web",
            Some("spec.x"),
            10,
            "old words",
        )];
        let mut b = [finding(
            "PAL-POD-001",
            "web",
            Some("spec.x"),
            40,
            "new words",
        )];
        b[0].path = "moved.yaml".into();
        b[0].api_version = "extensions/v1beta1".into();
        assign(&mut a);
        assign(&mut b);
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        assert_eq!(a[0].fingerprint.len(), 32);
    }

    #[test]
    fn rule_object_and_field_do() {
        let base = finding("PAL-POD-001", "web", Some("spec.x"), 10, "m");
        let variants = [
            finding("PAL-POD-002", "web", Some("spec.x"), 10, "m"),
            finding("PAL-POD-001", "api", Some("spec.x"), 10, "m"),
            finding("PAL-POD-001", "web", Some("spec.y"), 10, "m"),
            finding("PAL-POD-001", "web", None, 10, "m"),
            StoredFinding {
                namespace: None,
                ..base.clone()
            },
        ];
        let mut all = vec![base];
        all.extend(variants);
        assign(&mut all);
        let mut prints: Vec<_> = all.iter().map(|f| f.fingerprint.clone()).collect();
        prints.sort();
        prints.dedup();
        assert_eq!(prints.len(), all.len());
    }

    #[test]
    fn siblings_are_told_apart_by_message_then_place() {
        let mut scan1 = vec![
            finding("PAL-RBAC-001", "r", None, 5, "can exec"),
            finding("PAL-RBAC-001", "r", None, 9, "can create pods"),
            finding("PAL-RBAC-001", "r", None, 12, "can create pods"),
        ];
        // Same findings, lines shifted and listed in another order.
        let mut scan2 = vec![
            finding("PAL-RBAC-001", "r", None, 30, "can create pods"),
            finding("PAL-RBAC-001", "r", None, 20, "can exec"),
            finding("PAL-RBAC-001", "r", None, 25, "can create pods"),
        ];
        assign(&mut scan1);
        assign(&mut scan2);
        let set = |s: &[StoredFinding]| {
            let mut v: Vec<_> = s.iter().map(|f| f.fingerprint.clone()).collect();
            v.sort();
            v
        };
        assert_eq!(set(&scan1), set(&scan2));
        let mut unique = set(&scan1);
        unique.dedup();
        assert_eq!(unique.len(), 3);
        assert_eq!(scan1[0].fingerprint, scan2[1].fingerprint, "can exec");
    }
}
