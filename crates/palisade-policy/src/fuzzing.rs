//! Harnesses for the fuzz targets (not a stable API).

use std::time::Duration;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Inventory};

use crate::{Limits, PolicySet};

/// `rego_policy`: `rego` as a template's Rego and as a plain module; nothing may panic.
pub fn rego_policy(rego: &str) {
    // A JSON string is a valid YAML double-quoted scalar, so any text embeds safely.
    let quoted = serde_json::to_string(rego).unwrap_or_default();
    let text = format!(
        "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata: {{name: fuzz}}\nspec:\n  crd: {{spec: {{names: {{kind: Fuzz}}}}}}\n  targets:\n  - target: admission.k8s.gatekeeper.sh\n    rego: {quoted}\n    libs: [{quoted}]\n---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: Fuzz\nmetadata: {{name: f}}\nspec:\n  parameters: {{a: [1, x]}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: n, labels: {{a: b}}}}\nspec: {{containers: [{{name: c, image: i}}]}}\n"
    );
    let mut inv = Inventory::default();
    inv.add(load_str("fuzz.yaml", &text, &LoadLimits::default()));
    let limits = Limits {
        eval_time: Duration::from_millis(200),
    };
    let (mut set, _) = PolicySet::from_objects(&inv.objects, limits);
    let _ = set.add_rego_module("fuzz.rego", rego);
    let _ = set.evaluate(&inv, &Config::default());
    let review = serde_json::json!({"kind": "AdmissionReview", "request": {"operation": "CREATE",
        "namespace": "n", "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}}});
    let _ = set.evaluate_review(&review);
}
