//! Exposure: entry points through Services, Ingresses and Gateway routes judged against the
//! policies, sensitive ports, and `reachers` held to the matrix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::Object;
use palisade_netpol::exposure::{self, reachers, Reacher, Source, Via, Want};
use palisade_netpol::{matrix, EndpointId, Model, Protocol};

fn load(text: &str) -> Vec<Object> {
    let loaded = load_str("t.yaml", text, &LoadLimits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.objects
}

fn deploy(name: &str, ns: &str, ports: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: x, ports: [{ports}]}}]}}\n---\n"
    )
}

fn service(name: &str, ns: &str, kind: &str, ports: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  type: {kind}\n  selector: {{app: {name}}}\n  ports: [{ports}]\n---\n"
    )
}

const WEB_PORTS: &str =
    "{name: http, containerPort: 8080}, {name: dns, containerPort: 5353, protocol: UDP}";

#[test]
fn named_target_ports_resolve_with_the_service_ports_protocol() {
    let text = deploy("web", "shop", WEB_PORTS)
        + &service(
            "web",
            "shop",
            "NodePort",
            "{port: 80, targetPort: http}, {port: 53, targetPort: dns, protocol: TCP}, {port: 54, targetPort: dns, protocol: UDP}, {port: 9000}",
        );
    let objects = load(&text);
    let model = Model::from_objects(&objects);
    let got: Vec<(u16, u16, Protocol)> = exposure::entry_points(&model, &objects)
        .iter()
        .map(|e| (e.service_port, e.port, e.protocol))
        .collect();
    // `dns` over TCP names no TCP container port: no endpoint for that Service port. A
    // missing targetPort is the port itself.
    assert_eq!(
        got,
        [
            (80, 8080, Protocol::Tcp),
            (54, 5353, Protocol::Udp),
            (9000, 9000, Protocol::Tcp)
        ]
    );
}

#[test]
fn only_external_services_are_entry_points() {
    let text = deploy("web", "shop", WEB_PORTS)
        + &service("web", "shop", "ClusterIP", "{port: 80}")
        + "apiVersion: v1\nkind: Service\nmetadata: {name: manual, namespace: shop}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n---\n"
        + "apiVersion: v1\nkind: Service\nmetadata: {name: web-ext, namespace: shop}\nspec:\n  selector: {app: web}\n  externalIPs: [203.0.113.9]\n  ports: [{port: 80, targetPort: 8080}]\n";
    let objects = load(&text);
    let model = Model::from_objects(&objects);
    let entries = exposure::entry_points(&model, &objects);
    // ClusterIP: not an entry point; no selector: endpoints unknown; externalIPs: yes.
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].via, Via::ExternalIps);
    assert_eq!(entries[0].service, "web-ext");
    assert!(entries[0].allowed && !entries[0].isolated);
}

#[test]
fn node_ports_are_judged_from_external_addresses() {
    let policy = |from: &str| {
        format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress: [{{from: [{from}]}}]\n")
    };
    let base = deploy("web", "shop", WEB_PORTS)
        + &service("web", "shop", "NodePort", "{port: 80, targetPort: http}");
    let allowed = load(&(base.clone() + &policy("{ipBlock: {cidr: 10.0.0.0/8}}")));
    let model = Model::from_objects(&allowed);
    let e = &exposure::entry_points(&model, &allowed)[0];
    assert!(e.allowed && e.isolated, "{e:?}");
    assert!(
        e.why.contains("10.0.0.0/8") && e.why.contains("shop/p"),
        "{}",
        e.why
    );
    assert_eq!(e.location.line, 15); // the Service port entry

    let denied = load(&(base + &policy("{podSelector: {}}")));
    let model = Model::from_objects(&denied);
    let e = &exposure::entry_points(&model, &denied)[0];
    assert!(!e.allowed && e.isolated);
    assert!(e.why.starts_with("denied: shop/p"), "{}", e.why);
}

const INGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  rules:\n  - http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend: {service: {name: web, port: {name: web}}}\n---\n";

#[test]
fn ingresses_are_judged_from_the_controller_when_it_is_in_the_input() {
    let web_in = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-in, namespace: shop}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]}]\n---\n";
    let base = deploy("web", "shop", WEB_PORTS)
        + &service(
            "web",
            "shop",
            "ClusterIP",
            "{name: web, port: 80, targetPort: http}",
        )
        + INGRESS
        + web_in;
    // No controller in the input: judged as from outside, which the policy denies.
    let objects = load(&base);
    let model = Model::from_objects(&objects);
    let e = &exposure::entry_points(&model, &objects)[0];
    assert_eq!(
        e.source,
        Source::Outside {
            controller_missing: true
        }
    );
    assert!(!e.allowed);
    assert!(e
        .why
        .starts_with("controller not in the input: judged as from outside"));

    // The controller's namespace is in the input: judged from its pods, allowed.
    let with_controller =
        base.clone() + &deploy("controller", "ingress-nginx", "{containerPort: 80}");
    let objects = load(&with_controller);
    let model = Model::from_objects(&objects);
    let e = &exposure::entry_points(&model, &objects)[0];
    let controller = model.lookup("ingress-nginx/controller").unwrap();
    assert_eq!(e.source, Source::Controllers(vec![controller]));
    assert!(e.allowed, "{}", e.why);
    assert_eq!((e.via, e.port, e.service_port), (Via::Ingress, 8080, 80));

    // Its own egress policy forbids it: denied, and the reason names the egress side.
    let deny_egress = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: no-out, namespace: ingress-nginx}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n";
    let objects = load(&(with_controller + deny_egress));
    let model = Model::from_objects(&objects);
    let e = &exposure::entry_points(&model, &objects)[0];
    assert!(!e.allowed);
    assert!(
        e.why.contains("ingress-nginx/no-out isolate its egress"),
        "{}",
        e.why
    );
}

fn gateway(from: &str) -> String {
    format!("apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: gw, namespace: edge}}\nspec:\n  gatewayClassName: c\n  listeners: [{{name: web, port: 80, protocol: HTTP, allowedRoutes: {{namespaces: {{from: {from}}}}}}}]\n---\n")
}

fn route(ns: &str, backend_ns: &str) -> String {
    format!("apiVersion: gateway.networking.k8s.io/v1beta1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: {ns}}}\nspec:\n  parentRefs: [{{name: gw, namespace: edge}}]\n  rules: [{{backendRefs: [{{name: web, namespace: {backend_ns}, port: 80}}]}}]\n---\n")
}

fn route_entries(text: &str) -> (Model, Vec<exposure::EntryPoint>) {
    let objects = load(text);
    let model = Model::from_objects(&objects);
    let entries = exposure::entry_points(&model, &objects);
    (model, entries)
}

#[test]
fn routes_attach_as_the_gateway_allows_and_cross_namespace_refs_need_a_grant() {
    let app = deploy("web", "shop", WEB_PORTS)
        + &service("web", "shop", "ClusterIP", "{port: 80, targetPort: http}");
    // Listener admits only its own namespace (the default, Same): not attached.
    let (_, e) = route_entries(&(app.clone() + &gateway("Same") + &route("shop", "shop")));
    assert!(e.is_empty());
    let (_, e) = route_entries(&(app.clone() + &gateway("All") + &route("shop", "shop")));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].via, Via::HttpRoute);
    // A route in `edge` pointing at `shop`: needs a ReferenceGrant in `shop`.
    let (_, e) = route_entries(&(app.clone() + &gateway("Same") + &route("edge", "shop")));
    assert!(e.is_empty());
    let grant = "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: shop}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: edge}]\n  to: [{group: '', kind: Service}]\n---\n";
    let (_, e) = route_entries(&(app.clone() + &gateway("Same") + &route("edge", "shop") + grant));
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].source,
        Source::Outside {
            controller_missing: true
        }
    );
    // The Gateway's own proxy pods are in the input: judged from them.
    let proxy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gw-proxy, namespace: edge}\nspec:\n  template:\n    metadata: {labels: {gateway.networking.k8s.io/gateway-name: gw}}\n    spec: {containers: [{name: envoy, image: x}]}\n---\n";
    let (model, e) = route_entries(&(app + &gateway("All") + &route("shop", "shop") + proxy));
    let proxy = model.lookup("edge/gw-proxy").unwrap();
    assert_eq!(e[0].source, Source::Controllers(vec![proxy]));
    assert!(e[0].allowed);
}

#[test]
fn sensitive_ports_list_who_reaches_them() {
    let db_in = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-in, namespace: db}\nspec:\n  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: app}}}], ports: [{port: 5432}]}]\n---\n";
    let text = deploy("pg", "db", "{containerPort: 5432}, {containerPort: 9187}")
        + &deploy("api", "app", "{containerPort: 8080}")
        + &deploy("batch", "jobs", "{containerPort: 8080}")
        + db_in;
    let objects = load(&text);
    let model = Model::from_objects(&objects);
    let x = exposure::exposure(&model, &objects);
    assert!(x.entry_points.is_empty());
    assert_eq!(x.sensitive.len(), 1);
    let s = &x.sensitive[0];
    assert_eq!(s.port.port, 5432);
    assert_eq!(s.namespaces, ["app"]);
    assert!(!s.from_outside());
}

/// Toward a destination whose ingress is not isolated, a namespace reaches a port when one
/// of its workloads' egress is open or allows it; one workload whose egress allows it is
/// enough, and workloads denied everything do not count.
#[test]
fn namespaces_reach_by_their_egress() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join("tests/fixtures/exposure/egress-shapes.yaml")).unwrap();
    let objects = load(&text);
    let model = Model::from_objects(&objects);
    let reacher = Reacher::new(&model);
    let pg = model.lookup("StatefulSet/db/pg").unwrap();
    let reaching = |port| {
        reacher
            .summary(pg, Want::Port(Protocol::Tcp, port))
            .namespaces
    };
    assert_eq!(reaching(5432), ["db", "src-a", "src-c"]);
    assert_eq!(reaching(6379), ["db", "src-c"]);
    assert_eq!(
        reacher.summary(pg, Want::Any).namespaces,
        ["db", "src-a", "src-c"]
    );
}

/// `reachers` is a column of the matrix, filtered: checked on every fixture of this crate
/// and on the network example, for every workload, for "anything" and for each of its ports.
#[test]
fn reachers_agree_with_the_matrix() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<String> = Vec::new();
    for dir in [
        "tests/fixtures/semantics",
        "tests/fixtures/diagnostics",
        "tests/fixtures/exposure",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            inputs.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
    }
    let mut example = String::new();
    for entry in std::fs::read_dir(root.join("../../examples/network")).unwrap() {
        example.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        example.push_str("\n---\n");
    }
    inputs.push(example);
    let mut checked = 0;
    for text in inputs {
        let objects = load_str("t.yaml", &text, &LoadLimits::default()).objects;
        let model = Model::from_objects(&objects);
        let m = matrix(&model);
        let reacher = Reacher::new(&model);
        for d in 0..model.workload_count() {
            let dst = EndpointId(d as u32);
            let pods = model.endpoint(dst).unwrap().as_pods().unwrap();
            let mut wants = vec![Want::Any];
            wants.extend(pods.ports.iter().map(|p| Want::Port(p.protocol, p.number)));
            for want in wants {
                let expected: Vec<EndpointId> = (0..model.endpoints().len())
                    .map(|s| EndpointId(s as u32))
                    .filter(|&s| {
                        m.get(s, dst).is_some_and(|c| match want {
                            Want::Any => !c.is_empty(),
                            Want::Port(proto, port) => c.contains(proto, port),
                        })
                    })
                    .collect();
                assert_eq!(reachers(&model, dst, want), expected, "{want:?} to {dst:?}");
                // The per-namespace summary says the same.
                let summary = reacher.summary(dst, want);
                let external: Vec<EndpointId> = expected
                    .iter()
                    .copied()
                    .filter(|e| e.index() >= model.workload_count())
                    .collect();
                let namespaces: std::collections::BTreeSet<String> = expected
                    .iter()
                    .filter_map(|&e| model.endpoint(e).unwrap().as_pods())
                    .map(|p| p.namespace.to_string())
                    .collect();
                assert_eq!(summary.external, external);
                assert_eq!(
                    summary.namespaces,
                    namespaces.into_iter().collect::<Vec<_>>()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "{checked}");
}

/// Malformed Services, Ingresses, routes and Gateways are skipped, never a panic, and the
/// scan rules still judge the rest.
#[test]
fn odd_shapes_do_not_panic() {
    let docs = [
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\nspec: 5\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\nspec: {type: [x], selector: [a], externalIPs: {a: b}, ports: [1, null, {port: [1]}, {port: 99999}, {port: 80, targetPort: {a: 1}}, {port: 81, targetPort: -4}, {port: 82, protocol: tcp}]}\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\nspec: {type: NodePort, selector: {app: web}, ports: x}\n",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: a}\nspec: {defaultBackend: 3, rules: [null, {http: {paths: [null, {backend: {service: {name: [x], port: 80}}}, {backend: {service: {name: s, port: {number: 70000}}}}, {backend: {resource: {kind: X}}}]}}]}\n",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: a}\nspec: {rules: 7}\n",
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: a}\nspec: {parentRefs: [null, {name: [g]}, {name: g, kind: Service}, {name: g}], rules: [{backendRefs: [null, {name: s}, {name: s, port: 99999}, {name: s, port: 80, kind: X}]}]}\n",
        "apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\nmetadata: {name: t, namespace: a}\nspec: [1]\n",
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: a}\nspec: {listeners: [null, {allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions: [{key: x, operator: Bad}]}}}}]}\n",
        "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: a}\nspec: {from: 3, to: [null]}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\nspec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x, ports: [{containerPort: 22}, {containerPort: [1]}, null]}]}}}\n",
    ];
    let text = docs.join("---\n");
    let objects = load(&text);
    let model = Model::from_objects(&objects);
    let x = exposure::exposure(&model, &objects);
    // The route attaches to `g` (admitted: a listener without allowedRoutes admits its own
    // namespace) but no backendRef is valid; the NodePort's ports are unreadable.
    assert!(x.entry_points.is_empty(), "{:?}", x.entry_points);
    // The SSH port still counts: nothing isolates it.
    assert_eq!(x.sensitive.len(), 1);
    assert_eq!(x.sensitive[0].port.port, 22);
    let mut inv = palisade_core::Inventory::default();
    inv.add(load_str("t.yaml", &text, &LoadLimits::default()));
    let findings = palisade_netpol::scan::check(&inv, &palisade_core::Config::default());
    // Its namespace has no policy at all: PAL-NET-005 (palisade-checks) says so, and the
    // scan adds no PAL-NET-013 without an entry point.
    assert!(!findings.iter().any(|f| f.rule_id == "PAL-NET-013"));
}

/// The bundled network example, as docs/network.md shows it: each way in, judged.
#[test]
fn the_network_example_s_entry_points() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/network");
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut objects = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        objects.extend(load_str(&p.display().to_string(), &text, &LoadLimits::default()).objects);
    }
    let model = Model::from_objects(&objects);
    let x = exposure::exposure(&model, &objects);
    let seen: Vec<(String, Via, String, u16, bool)> = x
        .entry_points
        .iter()
        .map(|e| {
            (
                e.object.name.clone(),
                e.via,
                model.endpoint(e.workload).unwrap().to_string(),
                e.port,
                e.allowed,
            )
        })
        .collect();
    let want = |name: &str, via: Via, w: &str, port: u16, allowed: bool| {
        assert!(
            seen.contains(&(name.to_string(), via, w.to_string(), port, allowed)),
            "{name} {via} {w} {port} {allowed} not in {seen:#?}"
        );
    };
    let controller = "Deployment/ingress-nginx/ingress-nginx-controller";
    want(
        "ingress-nginx-controller",
        Via::LoadBalancer,
        controller,
        80,
        true,
    );
    want(
        "ingress-nginx-controller",
        Via::LoadBalancer,
        controller,
        443,
        true,
    );
    want(
        "storefront",
        Via::Ingress,
        "Deployment/storefront-web/frontend",
        8080,
        true,
    );
    want(
        "partner-api",
        Via::HttpRoute,
        "Deployment/storefront-api/api",
        8443,
        false,
    );
    want(
        "postgres-reporting",
        Via::LoadBalancer,
        "StatefulSet/storefront-db/postgres",
        5432,
        // The database's NetworkPolicy admits 0.0.0.0/0, but the Calico security tier
        // (examples/network/calico.yaml) admits PostgreSQL from the backend tier only.
        false,
    );
    want(
        "promo",
        Via::NodePort,
        "Deployment/marketing/promo",
        8080,
        true,
    );
    assert_eq!(seen.len(), 6, "{seen:#?}");
    let ingress = x
        .entry_points
        .iter()
        .find(|e| e.via == Via::Ingress)
        .unwrap();
    assert_eq!(
        ingress.source,
        Source::Controllers(vec![model.lookup(controller).unwrap()])
    );
    let route = x
        .entry_points
        .iter()
        .find(|e| e.via == Via::HttpRoute)
        .unwrap();
    assert!(
        route.why.starts_with("controller not in the input"),
        "{}",
        route.why
    );
    // The database: from the API's namespace only; its LoadBalancer is closed by the Calico
    // security tier.
    let db = x.sensitive.iter().find(|s| s.port.port == 5432).unwrap();
    assert!(db.entry_points.is_empty());
    assert_eq!(db.namespaces, ["storefront-api"]);
}
