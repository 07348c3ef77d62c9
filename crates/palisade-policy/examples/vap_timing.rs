//! Timings for ValidatingAdmissionPolicies: five policies in the shape of the Kubernetes
//! documentation's examples (replica limit with ConfigMap params, trusted registry over all
//! containers, matchConditions, variables with messageExpression, quantities), judging N
//! Deployments in a scan and N admission requests one at a time.
//!
//! ```sh
//! cargo run --release -p palisade-policy --example vap_timing -- 2000
//! ```

use std::time::Instant;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Inventory};
use palisade_policy::vap::VapSet;
use serde_json::json;

const POLICIES: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  validations:
  - expression: "object.spec.replicas <= int(params.data.maxReplicas)"
    messageExpression: "'replicas ' + string(object.spec.replicas) + ' exceed ' + params.data.maxReplicas"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replica-limit}
spec:
  policyName: replica-limit
  validationActions: [Deny]
  paramRef: {name: limits, namespace: policy, parameterNotFoundAction: Deny}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: policy}
data: {maxReplicas: "5"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: registry}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  validations:
  - expression: "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/'))"
    message: images must come from registry.example.com
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: registry}
spec: {policyName: registry, validationActions: [Warn]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-latest}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  matchConditions:
  - {name: not-admins, expression: "!('system:masters' in request.userInfo.groups)"}
  validations:
  - expression: "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-latest}
spec: {policyName: no-latest, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: named-ports}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  variables:
  - {name: containers, expression: "object.spec.template.spec.containers"}
  - {name: unnamed, expression: "variables.containers.filter(c, has(c.ports) && c.ports.exists(p, !has(p.name))).map(c, c.name)"}
  validations:
  - expression: "size(variables.unnamed) == 0"
    messageExpression: "'containers ' + variables.unnamed.join(', ') + ' have unnamed ports'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: named-ports}
spec: {policyName: named-ports, validationActions: [Audit]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: memory}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  validations:
  - expression: "object.spec.template.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && has(c.resources.limits.memory) && quantity(c.resources.limits.memory).compareTo(quantity('2Gi')) <= 0)"
    message: memory limits must be at most 2Gi
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: memory}
spec: {policyName: memory, validationActions: [Deny]}
"#;

fn deployment(i: usize) -> serde_json::Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": format!("web-{i}"), "namespace": "web", "labels": {"app": "web"}},
        "spec": {"replicas": i % 8, "template": {"spec": {"containers": [
            {"name": "app", "image": if i % 3 == 0 { "nginx:latest" } else { "registry.example.com/app:1" },
             "ports": [{"containerPort": 80, "name": "http"}], "resources": {"limits": {"memory": "1Gi", "cpu": "500m"}}},
            {"name": "sidecar", "image": "registry.example.com/proxy:2", "ports": [{"containerPort": 15001}], "resources": {"limits": {"memory": "128Mi"}}}]}}}})
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let started = Instant::now();
    let mut inv = Inventory::default();
    inv.add(load_str("policies.yaml", POLICIES, &LoadLimits::default()));
    let (mut set, diags) = VapSet::from_objects(&inv.objects);
    // The figures are of evaluation: the same requests again would be decision-cache hits.
    set.set_cache_bytes(0);
    assert!(diags.is_empty(), "{diags:?}");
    println!(
        "load and compile 5 policies, 5 bindings: {:?}",
        started.elapsed()
    );

    let manifests: String = (0..n)
        .map(|i| format!("---\n{}\n", deployment(i)))
        .collect();
    let mut objects = Inventory::default();
    objects.add(load_str("objects.yaml", &manifests, &LoadLimits::default()));
    let started = Instant::now();
    let eval = set.evaluate(&objects, &Config::default());
    let took = started.elapsed();
    println!(
        "scan: {n} Deployments in {took:?} ({:.1} µs per object, {} findings; rayon over all cores)",
        took.as_secs_f64() * 1e6 / n as f64,
        eval.findings.len()
    );

    let reviews: Vec<_> = (0..n)
        .map(|i| {
            json!({"kind": "AdmissionReview", "request": {"uid": "u", "operation": "CREATE",
            "namespace": "web", "name": format!("web-{i}"),
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "userInfo": {"username": "alice", "groups": ["dev"]}, "object": deployment(i)}})
        })
        .collect();
    let mut latencies = Vec::with_capacity(n);
    let mut denied = 0;
    for r in &reviews {
        let t = Instant::now();
        if set.evaluate_request(r).is_ok_and(|o| o.denied()) {
            denied += 1;
        }
        latencies.push(t.elapsed());
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "requests: {n} one at a time, one thread: p50 {:?}, p90 {:?}, p95 {:?}, p99 {:?}, max {:?} ({denied} denied)",
        pct(0.5),
        pct(0.9),
        pct(0.95),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
}
