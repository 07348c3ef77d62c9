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
//! List indices in the field path are replaced by the item's `name` when the object is at hand
//! and the item has one (`containers[0]` → `containers[name=app]`, also volumes, env, ports):
//! adding a sidecar in front of a container, or reordering volumes, leaves the other items'
//! findings as they were. Items without a name (RBAC rules, …) keep their index.
//!
//! Findings that share that key within one scan (a rule reporting several problems on one
//! object without a field) are told apart by their message, and, when messages match too, by
//! their order of place. Such a finding's fingerprint changes when its siblings come and go.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use palisade_core::inventory::Inventory;
use palisade_core::yaml::Node;
use palisade_core::{Finding, ObjectRef, Report};
use sha2::{Digest, Sha256};

use crate::model::{NewScan, StoredFinding, Timestamp};

/// Version of the fingerprint recipe, hashed in: changing the recipe changes every fingerprint
/// (all findings then show as new once) rather than silently matching differently.
const RECIPE: &str = "palisade-fp-1";

/// The identity key of one finding (before disambiguation); `field` is the finding's field
/// path with names for indices where known.
fn key<'a>(finding: &'a StoredFinding, field: Option<&'a str>) -> [&'a str; 5] {
    [
        &finding.rule_id,
        &finding.kind,
        finding.namespace.as_deref().unwrap_or(""),
        &finding.name,
        field.unwrap_or(""),
    ]
}

/// `spec.template.spec.containers[1].image` → `spec.template.spec.containers[name=app].image`:
/// each `[N]` whose item in `root` is a mapping with a string `name` becomes `[name=…]`. What
/// cannot be followed in `root` (a key holding dots, a missing item) is kept as written.
pub fn stable_field(field: &str, root: &Node) -> String {
    let mut out = String::with_capacity(field.len() + 8);
    let mut node = Some(root);
    for (i, segment) in field.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        let Some((key, indices)) = split_indices(segment) else {
            out.push_str(segment);
            node = None;
            continue;
        };
        out.push_str(key);
        node = node.and_then(|n| n.get(key));
        for index in indices {
            let item = node.and_then(|n| n.items().get(index));
            match item.and_then(|it| it.get("name")).and_then(Node::as_str) {
                Some(name) => {
                    let _ = write!(out, "[name={name}]");
                }
                None => {
                    let _ = write!(out, "[{index}]");
                }
            }
            node = item;
        }
    }
    out
}

/// `containers[0]` → (`containers`, [0]); `None` unless the brackets are all `[digits]`.
fn split_indices(segment: &str) -> Option<(&str, Vec<usize>)> {
    let Some(open) = segment.find('[') else {
        return Some((segment, Vec::new()));
    };
    let (key, mut rest) = segment.split_at(open);
    let mut indices = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        indices.push(inner[..close].parse().ok()?);
        rest = &inner[close + 1..];
    }
    Some((key, indices))
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

/// Sets every finding's `fingerprint`, unique within the list, from its field path as
/// written.
pub fn assign(findings: &mut [StoredFinding]) {
    let fields: Vec<Option<String>> = findings.iter().map(|f| f.field.clone()).collect();
    assign_with_fields(findings, &fields);
}

/// [`assign`] with the field path each finding is identified by (`fields[i]` for
/// `findings[i]`, typically from [`stable_field`]).
pub fn assign_with_fields(findings: &mut [StoredFinding], fields: &[Option<String>]) {
    let mut groups: HashMap<[&str; 5], Vec<usize>> = HashMap::new();
    for (i, finding) in findings.iter().enumerate() {
        let field = fields.get(i).and_then(Option::as_deref);
        groups.entry(key(finding, field)).or_default().push(i);
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

fn stored(f: &Finding) -> StoredFinding {
    StoredFinding {
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
        field: f.field.as_deref().map(str::to_string),
        message: f.message.to_string(),
    }
}

impl NewScan {
    /// The findings of a report (not the suppressed ones), fingerprinted with their field
    /// paths as written, as a scan of `target`. The evidence is not kept: it may quote values
    /// from the manifests. Prefer [`NewScan::from_scan`] when the inventory is at hand.
    pub fn from_report(report: &Report, target: &str, started_at: Timestamp) -> NewScan {
        let mut findings: Vec<StoredFinding> = report.findings.iter().map(stored).collect();
        assign(&mut findings);
        NewScan::of(report, target, started_at, findings)
    }

    /// As [`NewScan::from_report`], with list indices in field paths identified by item name
    /// ([`stable_field`]) using the objects of the inventory the report was made from.
    pub fn from_scan(
        report: &Report,
        inventory: &Inventory,
        target: &str,
        started_at: Timestamp,
    ) -> NewScan {
        // Findings share their object's `Arc<ObjectRef>`: the pointer names the exact object,
        // even when two inputs define objects with the same kind, namespace and name.
        let objects: HashMap<*const ObjectRef, &Node> = inventory
            .objects
            .iter()
            .map(|o| (Arc::as_ptr(&o.id), &o.root))
            .collect();
        let mut findings: Vec<StoredFinding> = report.findings.iter().map(stored).collect();
        let fields: Vec<Option<String>> = report
            .findings
            .iter()
            .map(|f| {
                let field = f.field.as_deref()?;
                Some(match objects.get(&Arc::as_ptr(&f.object)) {
                    Some(root) => stable_field(field, root),
                    None => field.to_owned(),
                })
            })
            .collect();
        assign_with_fields(&mut findings, &fields);
        NewScan::of(report, target, started_at, findings)
    }

    fn of(
        report: &Report,
        target: &str,
        started_at: Timestamp,
        findings: Vec<StoredFinding>,
    ) -> NewScan {
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

    fn object(yaml: &str) -> Node {
        let loaded = palisade_core::inventory::load_str("d.yaml", yaml, &Default::default());
        loaded.objects.into_iter().next().unwrap().root
    }

    #[test]
    fn indices_become_names_where_the_item_has_one() {
        let root = object(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      \
             containers:\n      - name: sidecar\n      - name: app\n        ports: [{containerPort: 80}]\n      \
             volumes: [{name: data, hostPath: {path: /}}]\n",
        );
        let f = |p: &str| stable_field(p, &root);
        assert_eq!(
            f("spec.template.spec.containers[1].securityContext.privileged"),
            "spec.template.spec.containers[name=app].securityContext.privileged"
        );
        assert_eq!(
            f("spec.template.spec.volumes[0].hostPath"),
            "spec.template.spec.volumes[name=data].hostPath"
        );
        // No name on the item, no such item, an index that is not a number: kept as written.
        assert_eq!(
            f("spec.template.spec.containers[1].ports[0]"),
            "spec.template.spec.containers[name=app].ports[0]"
        );
        assert_eq!(
            f("spec.template.spec.containers[7].image"),
            "spec.template.spec.containers[7].image"
        );
        assert_eq!(f("spec.x[a].y"), "spec.x[a].y");
        assert_eq!(
            f("metadata.annotations.a.b/c"),
            "metadata.annotations.a.b/c"
        );
        assert_eq!(f(""), "");
    }

    #[test]
    fn a_sidecar_in_front_keeps_the_app_container_identity() {
        let before = object(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n",
        );
        let after = object(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: proxy\n  - name: app\n",
        );
        let mut a = [finding(
            "PAL-POD-002",
            "p",
            Some("spec.containers[0].securityContext"),
            5,
            "m",
        )];
        let mut b = [finding(
            "PAL-POD-002",
            "p",
            Some("spec.containers[1].securityContext"),
            6,
            "m",
        )];
        let fa = [Some(stable_field(
            "spec.containers[0].securityContext",
            &before,
        ))];
        let fb = [Some(stable_field(
            "spec.containers[1].securityContext",
            &after,
        ))];
        assign_with_fields(&mut a, &fa);
        assign_with_fields(&mut b, &fb);
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        // Without the objects, the index decides.
        assign(&mut a);
        assign(&mut b);
        assert_ne!(a[0].fingerprint, b[0].fingerprint);
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
