//! Comparing two snapshots: workloads matched by name, external classes on the common
//! refinement, critical flows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use palisade_core::inventory::load_str;
use palisade_netpol::{compare, matrix, parse_critical, End, Model, Snapshot};

fn model(text: &str) -> Model {
    Model::from_objects(&load_str("x.yaml", text, &Default::default()).objects)
}

const APP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [EXCEPT]}}]
";

#[test]
fn external_classes_are_compared_on_the_common_refinement() {
    let old = model(&APP.replace("EXCEPT", "10.0.0.0/8"));
    let new = model(&APP.replace("EXCEPT", "10.0.0.0/16"));
    let (om, nm) = (matrix(&old), matrix(&new));
    let changes = compare(
        &Snapshot {
            model: &old,
            matrix: &om,
        },
        &Snapshot {
            model: &new,
            matrix: &nm,
        },
    );
    // Only 10.1.0.0-10.255.255.255 changes: denied before, allowed after.
    assert_eq!(changes.len(), 1, "{changes:?}");
    let c = &changes[0];
    assert_eq!(c.src, End::Workload("Deployment/shop/web".into()));
    assert_eq!(c.dst.to_string(), "10.1.0.0-10.255.255.255");
    assert!(c.before.is_empty() && c.after.is_all());
    let flows = parse_critical(
        "c.yaml",
        "critical:\n- {from: shop/web, to: 10.2.3.4}\n- {from: shop/web, to: 10.0.0.1}\n",
    )
    .unwrap();
    // Reversed (new -> old), the change cuts the flow to 10.2.3.4 only.
    let back = compare(
        &Snapshot {
            model: &new,
            matrix: &nm,
        },
        &Snapshot {
            model: &old,
            matrix: &om,
        },
    );
    assert!(flows[0].cut_by(&back[0]));
    assert!(!flows[1].cut_by(&back[0]));
}

#[test]
fn a_workload_gone_loses_its_connections() {
    let old = model(&APP.replace("EXCEPT", "10.0.0.0/8"));
    let new = model("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
    let (om, nm) = (matrix(&old), matrix(&new));
    let changes = compare(
        &Snapshot {
            model: &old,
            matrix: &om,
        },
        &Snapshot {
            model: &new,
            matrix: &nm,
        },
    );
    assert!(!changes.is_empty());
    assert!(changes
        .iter()
        .all(|c| c.after.is_empty() && !c.before.is_empty()));
}
