//! Scale check (ignored by default; run with `--release -- --ignored --nocapture`): 2,000
//! workloads in 100 namespaces under 1,000 policies of every kind (NetworkPolicies, Calico
//! policies in three tiers, AdminNetworkPolicies, a baseline), timing the model, the
//! matrix and one explain, and checking the matrix against the pairwise evaluator on a
//! sample of cells.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write;
use std::time::Instant;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::{matrix, Model, Protocol};

/// `apps`: how many distinct `app` labels the workloads carry (policies pick among 40).
fn world(seed: u64, apps: usize) -> String {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = String::new();
    for t in ["platform", "security"] {
        let order = if t == "platform" { 100 } else { 200 };
        let _ = writeln!(out, "---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {{name: {t}}}\nspec: {{order: {order}}}");
    }
    for n in 0..100 {
        let _ = writeln!(out, "---\napiVersion: v1\nkind: Namespace\nmetadata: {{name: ns{n}, labels: {{team: t{}, env: e{}}}}}", n % 7, n % 3);
    }
    for w in 0..2000 {
        let _ = writeln!(
            out,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{w}, namespace: ns{}}}\nspec:\n  template:\n    metadata: {{labels: {{app: a{}, tier: t{}}}}}\n    spec: {{containers: [{{name: c, image: x, ports: [{{name: http, containerPort: {}}}]}}]}}",
            w % 100,
            w % apps,
            w % 4,
            8000 + w % 5
        );
    }
    for p in 0..1000 {
        let ns = rng.usize(0..100);
        let app = rng.usize(0..40);
        let other = rng.usize(0..40);
        let port = 8000 + rng.usize(0..5);
        match p % 10 {
            0..=5 => {
                let _ = writeln!(out, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: k{p}, namespace: ns{ns}}}\nspec:\n  podSelector: {{matchLabels: {{app: a{app}}}}}\n  ingress:\n  - from: [{{podSelector: {{matchLabels: {{app: a{other}}}}}}}, {{namespaceSelector: {{matchLabels: {{team: t{}}}}}}}]\n    ports: [{{port: http}}]", p % 7);
            }
            6 | 7 => {
                let tier = ["default", "platform", "security"][p % 3];
                let _ = writeln!(out, "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {{name: g{p}}}\nspec:\n  tier: {tier}\n  order: {}\n  selector: app == 'a{app}' || tier in {{'t{}'}}\n  ingress:\n  - {{action: Deny, protocol: TCP, source: {{selector: \"app starts with 'a{other}'\", namespaceSelector: team == 't{}'}}, destination: {{ports: [{port}]}}}}\n  - {{action: Pass, source: {{nets: [10.{}.0.0/16]}}}}\n  - {{action: Allow, source: {{notSelector: has(foo)}}}}\n  egress:\n  - {{action: Allow, protocol: UDP, destination: {{ports: [53]}}}}\n  - {{action: Deny, destination: {{notNets: [10.0.0.0/8]}}}}", rng.usize(0..50), p % 4, p % 7, p % 200);
            }
            8 => {
                let _ = writeln!(out, "---\napiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: c{p}, namespace: ns{ns}}}\nspec:\n  order: {}\n  selector: app == 'a{app}'\n  ingress:\n  - {{action: Allow, protocol: TCP, source: {{selector: app == 'a{other}'}}, destination: {{ports: [http, \"9000:9100\"]}}}}", rng.usize(0..2000));
            }
            _ => {
                let _ = writeln!(out, "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {{name: a{p}}}\nspec:\n  priority: {}\n  subject: {{namespaces: {{matchLabels: {{team: t{}}}}}}}\n  ingress:\n  - {{action: Pass, from: [{{namespaces: {{matchLabels: {{team: t{}}}}}}}]}}\n  - {{action: Deny, from: [{{pods: {{namespaceSelector: {{}}, podSelector: {{matchLabels: {{app: a{other}}}}}}}}}], ports: [{{portNumber: {{port: {port}}}}}]}}\n  egress:\n  - {{action: Allow, to: [{{networks: [192.168.{}.0/24]}}]}}", p / 10, p % 7, (p + 1) % 7, p % 250);
            }
        }
    }
    out.push_str("---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec:\n  subject: {namespaces: {}}\n  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {env: e2}}}]}]\n");
    out
}

#[test]
#[ignore = "scale check; run in release"]
fn two_thousand_workloads_thousand_policies() {
    for apps in [40, 2000] {
        run(apps);
    }
}

fn run(apps: usize) {
    let text = world(7, apps);
    let objects = load_str("scale.yaml", &text, &LoadLimits::default()).objects;
    let t0 = Instant::now();
    let model = Model::from_objects(&objects);
    let t_model = t0.elapsed();
    assert_eq!(model.workload_count(), 2000);
    let admitted =
        model.policies().len() + model.calico_policies().len() + model.admin_policies().len();
    assert_eq!(admitted, 1001, "{:?}", model.diagnostics().first());
    let t1 = Instant::now();
    let m = matrix(&model);
    let t_matrix = t1.elapsed();
    let t2 = Instant::now();
    let (a, b) = (
        model.lookup("ns3/w3").unwrap(),
        model.lookup("ns7/w1207").unwrap(),
    );
    let ex = model.explain(a, b, 8002, Protocol::Tcp).unwrap();
    let t_explain = t2.elapsed();
    println!(
        "{apps} app labels, endpoints {} policies {admitted}: model {t_model:?}, matrix {t_matrix:?}, explain {t_explain:?}; {} allowed cells; explain {}",
        m.size(),
        m.allowed().count(),
        ex.allowed
    );
    let mut rng = fastrand::Rng::with_seed(1);
    for _ in 0..3000 {
        let s = palisade_netpol::EndpointId(rng.u32(..m.size() as u32));
        let d = palisade_netpol::EndpointId(rng.u32(..m.size() as u32));
        assert_eq!(m.get(s, d), model.connections(s, d).as_ref());
    }
}
