//! Images of the manifests: which workload runs which image, and an image's findings told on
//! each workload that runs it (workload → image → package → vulnerability), so a finding
//! says which Deployment runs the vulnerable package, at the line that names the image.
//!
//! [`judge`] does the whole of `palisade scan PATH --images` but the printing: it looks the
//! images up in saved-image directories (`image_dir`) or pulls them, reads each once, judges
//! and matches it, and tells the findings on the workloads; [`WorkloadImages`] hands them
//! to the engine as an analyzer, and [`catalog`] lists the rules it may report. Any entry
//! point that builds an inventory (the CLI scan today) can call the same two.

use std::sync::Arc;

use palisade_core::workload::Workload;
use palisade_core::yaml::Node;
use palisade_core::{Finding, Inventory, Location, ObjectRef};

mod analyzer;
mod image_dir;
mod judge;

pub use analyzer::{catalog, WorkloadImages};
pub use judge::{judge, Judged, WorkloadImageOptions};

/// One container of one workload and the image it runs.
#[derive(Debug, Clone)]
pub struct ImageUse {
    /// The workload.
    pub object: Arc<ObjectRef>,
    /// How findings name the container (`container `web``, `init container `setup``).
    pub container: String,
    /// The image as written.
    pub image: String,
    /// Where the image is written.
    pub location: Location,
    /// Field path of the image (`spec.template.spec.containers[0].image`).
    pub field: Arc<str>,
    /// The manifest decides the user, so the image's `USER` does not matter: `runAsUser`
    /// is set, or `runAsNonRoot: true` makes the kubelet refuse a root image (container
    /// settings over the pod's, as the kubelet merges them).
    pub manifest_sets_user: bool,
}

/// Every container image the inventory's workloads reference, in object order. Containers
/// without an image (or with an empty one) are left out: the posture rules report those.
pub fn image_uses(inventory: &Inventory) -> Vec<ImageUse> {
    let mut uses = Vec::new();
    for object in &inventory.objects {
        let Some(workload) = Workload::of(object) else {
            continue;
        };
        for container in workload.containers() {
            let Some(node) = container.node.get("image") else {
                continue;
            };
            let Some(image) = node.as_str().map(str::trim).filter(|s| !s.is_empty()) else {
                continue;
            };
            uses.push(ImageUse {
                object: Arc::clone(&object.id),
                container: container.describe().to_string(),
                image: image.to_string(),
                location: object.location_of(node.pos),
                field: container.field_path("image"),
                manifest_sets_user: sets_user(container.security_context(), &workload),
            });
        }
    }
    uses
}

/// Whether the effective security context fixes the user: `runAsUser` in the container or
/// the pod, or an effective `runAsNonRoot: true` (the container's value wins when set).
fn sets_user(container: &Node, workload: &Workload<'_>) -> bool {
    let pod = workload.pod_security_context();
    let run_as_user = |ctx: &Node| ctx.get("runAsUser").is_some_and(|n| !n.is_null());
    let non_root = |ctx: &Node| ctx.get("runAsNonRoot").and_then(Node::as_bool);
    run_as_user(container)
        || run_as_user(pod)
        || non_root(container).or_else(|| non_root(pod)) == Some(true)
}

/// Whether an image finding still holds for a workload that runs the image. The image's
/// own healthcheck (PAL-IMAGE-005) is ignored by Kubernetes, which uses probes; the
/// registry rule (PAL-IMAGE-006) is the manifest scan's own image rule already; the image's
/// user (PAL-IMAGE-003) is moot when the manifest sets one.
fn holds_on(finding: &Finding, usage: &ImageUse) -> bool {
    match finding.rule_id.as_ref() {
        "PAL-IMAGE-005" | "PAL-IMAGE-006" => false,
        "PAL-IMAGE-003" => !usage.manifest_sets_user,
        _ => true,
    }
}

/// The findings of the image `usage` runs, told on its workload: same rule and severity,
/// the workload as object, the image line as location; the message names the container and
/// image and keeps where in the image the finding was. Findings that do not hold once the
/// manifest is known are left out (see `holds_on`).
pub fn on_workload(image_findings: &[Finding], usage: &ImageUse) -> Vec<Finding> {
    image_findings
        .iter()
        .filter(|f| holds_on(f, usage))
        .map(|f| Finding {
            rule_id: f.rule_id.clone(),
            severity: f.severity,
            object: Arc::clone(&usage.object),
            location: usage.location.clone(),
            field: Some(Arc::clone(&usage.field)),
            message: format!(
                "{} runs image `{}`: {} (in the image at {})",
                usage.container, usage.image, f.message, f.location
            )
            .into(),
            evidence: f.evidence.clone(),
        })
        .collect()
}

/// The unique image references of `uses`, in first-use order.
pub fn distinct_images(uses: &[ImageUse]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    uses.iter()
        .map(|u| u.image.as_str())
        .filter(|i| seen.insert(*i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::inventory;

    const MANIFESTS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      initContainers:
      - name: setup
        image: example.test/tools:1
      containers:
      - name: app
        image: example.test/shop:2
      - name: noimage
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: job, image: example.test/shop:2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-workload}
data: {image: example.test/other:3}
";

    fn inventory() -> Inventory {
        let mut inv = Inventory::default();
        inv.add(inventory::load_str(
            "m.yaml",
            MANIFESTS,
            &Default::default(),
        ));
        inv
    }

    #[test]
    fn every_container_image_of_every_workload_kind_with_its_line() {
        let uses = image_uses(&inventory());
        let got: Vec<(String, &str, &str, u32)> = uses
            .iter()
            .map(|u| {
                (
                    u.object.to_string(),
                    u.container.as_str(),
                    u.image.as_str(),
                    u.location.line,
                )
            })
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!((got[0].2, got[0].3), ("example.test/shop:2", 12));
        assert_eq!((got[1].2, got[1].3), ("example.test/tools:1", 9));
        assert!(got[1].1.contains("init container"), "{got:?}");
        assert!(got[2].0.contains("nightly"), "{got:?}");
        assert_eq!(
            &*uses[2].field,
            "spec.jobTemplate.spec.template.spec.containers[0].image"
        );
        assert_eq!(
            distinct_images(&uses),
            vec!["example.test/shop:2", "example.test/tools:1"]
        );
    }

    #[test]
    fn the_image_user_matters_only_when_the_manifest_leaves_it_open() {
        let text = "\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
  - {name: a, image: i}
  - {name: b, image: i, securityContext: {runAsNonRoot: false}}
  - {name: c, image: i, securityContext: {runAsNonRoot: false, runAsUser: 1000}}
";
        let mut inv = Inventory::default();
        inv.add(inventory::load_str("p.yaml", text, &Default::default()));
        let sets: Vec<bool> = image_uses(&inv)
            .iter()
            .map(|u| u.manifest_sets_user)
            .collect();
        assert_eq!(sets, vec![true, false, true]);
        let root = |rule: &'static str| Finding {
            rule_id: rule.into(),
            severity: palisade_core::Severity::Medium,
            object: Arc::clone(&image_uses(&inv)[0].object),
            location: image_uses(&inv)[0].location.clone(),
            field: None,
            message: String::new().into(),
            evidence: None,
        };
        let found = [
            root("PAL-IMAGE-003"),
            root("PAL-IMAGE-005"),
            root("PAL-IMAGE-001"),
        ];
        let uses = image_uses(&inv);
        let ids = |u: &ImageUse| -> Vec<String> {
            on_workload(&found, u)
                .into_iter()
                .map(|f| f.rule_id.to_string())
                .collect()
        };
        assert_eq!(ids(&uses[0]), vec!["PAL-IMAGE-001"]);
        assert_eq!(ids(&uses[1]), vec!["PAL-IMAGE-003", "PAL-IMAGE-001"]);
    }

    #[test]
    fn an_image_finding_is_told_on_the_workload_at_the_image_line() {
        let uses = image_uses(&inventory());
        let in_image = Finding {
            rule_id: "PAL-VULN-001".into(),
            severity: palisade_core::Severity::High,
            object: Arc::new(ObjectRef {
                api_version: String::new(),
                kind: "Image".into(),
                namespace: None,
                name: "example.test/shop:2".into(),
            }),
            location: Location {
                path: "example.test/shop:2!layer1/usr/lib/python3/x.dist-info/METADATA".into(),
                line: 1,
                col: 1,
            },
            field: Some("pkg:pypi/x@1.0".into()),
            message: "Python package `x` 1.0 is affected by GHSA-test".into(),
            evidence: Some("GHSA-test".into()),
        };
        let told = on_workload(std::slice::from_ref(&in_image), &uses[2]);
        assert_eq!(told.len(), 1);
        let f = &told[0];
        assert_eq!(f.rule_id, "PAL-VULN-001");
        assert_eq!(f.object.name, "nightly");
        assert_eq!((f.location.path.as_ref(), f.location.line), ("m.yaml", 24));
        assert!(
            f.message.starts_with(
                "container `job` runs image `example.test/shop:2`: Python package `x`"
            ),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("layer1/usr/lib/python3"),
            "{}",
            f.message
        );
    }
}
