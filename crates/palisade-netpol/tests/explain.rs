//! `explain`, endpoint lookup and the matrix's shape, through the public API.

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::{explain, matrix, Direction, EndpointId, LookupError, Model, Protocol};

const SHOP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web-state}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {role: client}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-http, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: client}}}]
    ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-any, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 203.0.113.0/24}}]
  - ports: [{port: 8080}, {port: 9090}]
";

fn model() -> Model {
    Model::from_objects(&load_str("shop.yaml", SHOP, &LoadLimits::default()).objects)
}

#[test]
fn explain_names_the_rules_that_allow_in_each_direction() {
    let m = model();
    let client = m.lookup("shop/client").expect("client");
    let web = m.lookup("Deployment/shop/web").expect("web");
    let why = explain(&m, client, web, 8080, Protocol::Tcp).expect("explanation");
    assert!(why.allowed);
    assert!(!why.egress.isolated && why.egress.allowed && why.egress.governed);
    assert!(why.ingress.isolated && why.ingress.allowed);
    assert_eq!(why.ingress.direction, Direction::Ingress);
    // Both policies isolate web; both have a rule allowing client on 8080 (the named port
    // resolves to 8080, and the second policy's second rule lists 8080).
    let names: Vec<String> = why
        .ingress
        .policies
        .iter()
        .map(|p| m.policy(*p).expect("policy").full_name())
        .collect();
    assert_eq!(names, ["shop/web-any", "shop/web-http"]);
    let lines: Vec<(usize, u32)> = why
        .ingress
        .allowed_by
        .iter()
        .map(|r| (r.index, r.location.line))
        .collect();
    assert_eq!(lines, [(1, 38), (0, 28)]);
}

#[test]
fn explain_says_no_rule_allowed_a_denied_connection() {
    let m = model();
    let client = m.lookup("shop/client").expect("client");
    let web = m.lookup("Deployment/shop/web").expect("web");
    let why = m
        .explain(client, web, 22, Protocol::Tcp)
        .expect("explanation");
    assert!(!why.allowed && why.ingress.isolated && !why.ingress.allowed);
    assert!(why.ingress.allowed_by.is_empty());
    assert_eq!(why.ingress.policies.len(), 2);
    // UDP to the named port's number is not the named port (TCP).
    assert!(
        !m.explain(client, web, 8080, Protocol::Udp)
            .expect("udp")
            .allowed
    );
}

#[test]
fn external_sides_are_not_governed() {
    let m = model();
    let web = m.lookup("Deployment/shop/web").expect("web");
    let outside = m.lookup("203.0.113.9").expect("address class");
    let why = m
        .explain(outside, web, 443, Protocol::Tcp)
        .expect("explanation");
    assert!(why.allowed && !why.egress.governed && why.egress.policies.is_empty());
    assert_eq!(why.ingress.allowed_by.len(), 1);
    assert_eq!(why.ingress.allowed_by[0].location.line, 37);
    let elsewhere = m.lookup("198.51.100.1").expect("other class");
    assert_ne!(elsewhere, outside);
    assert!(
        !m.explain(elsewhere, web, 443, Protocol::Tcp)
            .expect("x")
            .allowed
    );
    // Between two external classes there is nothing to explain.
    assert!(m.explain(elsewhere, outside, 1, Protocol::Tcp).is_none());
}

#[test]
fn lookup_understands_both_spellings_and_says_why_not() {
    let m = model();
    match m.lookup("shop/web") {
        Err(LookupError::Ambiguous(c)) => {
            assert_eq!(c, ["Deployment/shop/web", "StatefulSet/shop/web"])
        }
        other => panic!("expected ambiguity, got {other:?}"),
    }
    let state = m
        .lookup("statefulset/shop/web")
        .expect("kind is case-insensitive");
    assert_eq!(
        m.endpoint(state).expect("endpoint").to_string(),
        "StatefulSet/shop/web"
    );
    assert!(matches!(
        m.lookup("shop/nope"),
        Err(LookupError::NotFound(_))
    ));
    assert!(matches!(m.lookup("nope"), Err(LookupError::BadSyntax(_))));
    assert!(matches!(
        m.lookup("a/b/c/d"),
        Err(LookupError::BadSyntax(_))
    ));
}

#[test]
fn matrix_cells_are_deterministic_and_complete() {
    let m = model();
    let a = matrix(&m);
    let b = matrix(&m);
    assert_eq!(a, b);
    let n = m.endpoints().len();
    let externals = n - m.workload_count();
    assert_eq!(a.size(), n);
    assert_eq!(a.cells().count(), n * n - externals * externals);
    let order: Vec<(u32, u32)> = a.cells().map(|c| (c.src.0, c.dst.0)).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "row-major order");
    for c in a.cells() {
        assert_eq!(Some(c.connections.clone()), m.connections(c.src, c.dst));
    }
    assert!(a.get(EndpointId(n as u32), EndpointId(0)).is_none());
    // The StatefulSet is selected by web-any only: 8080, 9090 from pods, all from the block.
    let state = m.lookup("StatefulSet/shop/web").expect("state");
    let client = m.lookup("shop/client").expect("client");
    assert_eq!(
        a.get(client, state).expect("cell").to_string(),
        "TCP 8080,9090"
    );
    assert!(a.allowed().all(|c| !c.connections.is_empty()));
}

const TIERED: &str = "\
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: gate}
spec:
  priority: 3
  subject: {namespaces: {}}
  ingress: [{name: hand-over, action: Pass, from: [{namespaces: {}}]}]
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 10}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: audit}
spec:
  tier: security
  selector: all()
  ingress: [{action: Log}, {action: Pass, protocol: TCP}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  order: 5
  selector: app == 'web'
  ingress: [{action: Allow, protocol: TCP, destination: {ports: [80]}}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop}
spec: {containers: [{name: c, image: x}]}
";

#[test]
fn explain_lists_the_rules_met_in_order_across_tiers() {
    use palisade_netpol::{Action, Decision, Tier};
    let objects = load_str("t.yaml", TIERED, &LoadLimits::default()).objects;
    let model = Model::from_objects(&objects);
    assert!(model.diagnostics().is_empty(), "{:?}", model.diagnostics());
    let (client, web) = (
        model.lookup("shop/client").expect("client"),
        model.lookup("shop/web").expect("web"),
    );
    let ex = model
        .explain(client, web, 80, Protocol::Tcp)
        .expect("explained");
    let trail: Vec<(Tier, Action, u32)> = ex
        .ingress
        .trail
        .iter()
        .map(|r| (r.tier, r.action, r.location.line))
        .collect();
    // The admin Pass, the security tier's Log and Pass, then the default tier's Allow.
    assert_eq!(
        trail,
        [
            (Tier::Admin, Action::Pass, 7),
            (Tier::Calico, Action::Log, 20),
            (Tier::Calico, Action::Pass, 20),
            (Tier::Calico, Action::Allow, 28),
        ]
    );
    assert!(
        ex.allowed
            && matches!(&ex.ingress.decision, Decision::Rule(r) if r.action == Action::Allow)
    );
    // Port 81: nothing in the default tier allows it, so its end-of-tier Deny decides.
    let ex = model
        .explain(client, web, 81, Protocol::Tcp)
        .expect("explained");
    assert!(!ex.allowed);
    assert_eq!(
        ex.ingress.decision,
        Decision::EndOfTier {
            tier: "default".into(),
            action: Action::Deny
        }
    );
    // UDP is not passed by the security tier: its end-of-tier Deny decides there.
    let ex = model
        .explain(client, web, 80, Protocol::Udp)
        .expect("explained");
    assert_eq!(
        ex.ingress.decision,
        Decision::EndOfTier {
            tier: "security".into(),
            action: Action::Deny
        }
    );
    assert_eq!(ex.ingress.trail.len(), 2, "{:?}", ex.ingress.trail);
    let cell = matrix(&model).get(client, web).cloned().expect("cell");
    assert_eq!(cell.to_string(), "TCP 80");
}
