//! Learning from Hubble flows, part two: generated policies (checked by loading them back
//! into the model), Cilium output, and `check_flows`.

mod flows_common;

use std::collections::{BTreeMap, BTreeSet};

use flows_common::*;
use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::yaml::Node;
use palisade_core::Object;
use palisade_netpol::flows::{
    check_flows, generate, map_flows, FlowPeer, Flows, Format, GenerateOptions, Transport,
};
use palisade_netpol::{ConnectionSet, Direction, EndpointId, Model, PortSet, Protocol};

// ---------------------------------------------------------------------------------------
// Generate

/// The observed connections as the model's endpoints and connection sets.
fn observed_sets(m: &Model, f: &Flows) -> BTreeMap<(EndpointId, EndpointId), ConnectionSet> {
    let mut out: BTreeMap<(EndpointId, EndpointId), ConnectionSet> = BTreeMap::new();
    for o in map_flows(m, f).passed {
        let place = |p: &FlowPeer| match p {
            FlowPeer::Workload(id) => Some(*id),
            FlowPeer::External { address, .. } => m.lookup(address).ok(),
            _ => None,
        };
        let (Some(s), Some(d)) = (place(&o.src), place(&o.dst)) else {
            continue;
        };
        if let Transport::Port(proto, port) = o.transport {
            out.entry((s, d))
                .or_insert_with(ConnectionSet::none)
                .add(proto, &PortSet::single(port));
        }
    }
    out
}

#[test]
fn generated_policies_allow_exactly_the_observed_flows() {
    let m = shop();
    let f = flows(FLOWS);
    let g = generate(&m, &f, &GenerateOptions::default());
    assert!(g.yaml.contains("Default deny is implied"), "{}", g.yaml);
    let names: Vec<String> = g
        .policies
        .iter()
        .map(|p| format!("{}/{}", p.namespace, p.name))
        .collect();
    assert_eq!(
        names,
        vec![
            "ops/prober-egress",
            "shop/api-ingress",
            "shop/api-egress",
            "shop/db-ingress",
            "shop/frontend-ingress",
            "shop/frontend-egress",
        ]
    );
    // Loaded back next to the workloads, every policy is admitted as written.
    let after = Model::from_objects(&objects(&[("shop.yaml", SHOP), ("gen.yaml", &g.yaml)]));
    assert_eq!(after.policies().len(), g.policies.len());
    assert!(after.diagnostics().is_empty(), "{:?}", after.diagnostics());

    let observed = observed_sets(&after, &f);
    assert_eq!(observed.len(), 5);
    for ((s, d), seen) in &observed {
        let allowed = after.connections(*s, *d).expect("pair");
        assert_eq!(
            allowed.intersection(seen),
            *seen,
            "{} -> {}",
            after.endpoints()[s.index()],
            after.endpoints()[d.index()]
        );
    }
    // Every pair into a workload that got an ingress policy, or out of one that got an
    // egress policy, allows exactly what was observed: the other side allows at least that
    // (checked above), and the policy side allows nothing more.
    let placed = |p: &palisade_netpol::flows::GeneratedPolicy| {
        id(&after, &m.endpoints()[p.workload.index()].to_string())
    };
    let with = |dir: Direction| -> BTreeSet<EndpointId> {
        g.policies
            .iter()
            .filter(|p| p.direction == dir)
            .map(placed)
            .collect()
    };
    let (ingress, egress) = (with(Direction::Ingress), with(Direction::Egress));
    assert_eq!(ingress.len() + egress.len(), g.policies.len());
    let n = after.endpoints().len();
    let mut checked = 0;
    for s in (0..n).map(|i| EndpointId(i as u32)) {
        for d in (0..n).map(|i| EndpointId(i as u32)) {
            if s == d || !(ingress.contains(&d) || egress.contains(&s)) {
                continue;
            }
            let Some(allowed) = after.connections(s, d) else {
                continue;
            };
            let seen = observed
                .get(&(s, d))
                .cloned()
                .unwrap_or_else(ConnectionSet::none);
            assert_eq!(
                allowed,
                seen,
                "{} -> {}",
                after.endpoints()[s.index()],
                after.endpoints()[d.index()]
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked}");
    // Unobserved pairs sampled by name: denied.
    for (s, d) in [
        ("shop/frontend", "shop/db"),
        ("shop/db", "shop/api"),
        ("shop/worker", "shop/api"),
        ("shop/api", "shop/frontend"),
        ("ops/prober", "shop/db"),
    ] {
        let c = after
            .connections(id(&after, s), id(&after, d))
            .expect("pair");
        assert!(c.is_empty(), "{s} -> {d}: {c}");
    }
    // The dropped attempt stays denied; ICMP could not be expressed and is noted.
    let why = after
        .explain(
            id(&after, "shop/frontend"),
            id(&after, "shop/db"),
            5432,
            Protocol::Tcp,
        )
        .expect("explain");
    assert!(!why.allowed);
    assert!(g.notes.iter().any(|n| n.contains("ICMP")), "{:?}", g.notes);
    assert!(
        g.notes.iter().any(|n| n.contains("reserved:host")),
        "{:?}",
        g.notes
    );
}

#[test]
fn generated_yaml_is_stable_whatever_the_flow_order() {
    let m = shop();
    let a = generate(&m, &flows(FLOWS), &GenerateOptions::default());
    let reversed: String = FLOWS.lines().rev().map(|l| format!("{l}\n")).collect();
    let b = generate(&m, &flows(&reversed), &GenerateOptions::default());
    assert_eq!(a.yaml, b.yaml);
    assert_eq!(a.notes, b.notes);
}

#[test]
fn external_addresses_are_single_hosts_or_aggregated() {
    let m = shop();
    let f = flows(FLOWS);
    let exact = generate(&m, &f, &GenerateOptions::default());
    assert!(
        exact.yaml.contains("cidr: \"198.51.100.20/32\""),
        "{}",
        exact.yaml
    );
    assert!(exact.yaml.contains("cidr: \"203.0.113.7/32\""));
    let wide = generate(
        &m,
        &f,
        &GenerateOptions {
            ipv4_prefix: 24,
            ..GenerateOptions::default()
        },
    );
    assert!(
        wide.yaml.contains("cidr: \"198.51.100.0/24\""),
        "{}",
        wide.yaml
    );
    let after = Model::from_objects(&objects(&[("shop.yaml", SHOP), ("gen.yaml", &wide.yaml)]));
    let api = id(&after, "shop/api");
    let neighbour = id(&after, "198.51.100.77");
    let other = id(&after, "198.51.101.1");
    assert!(after
        .connections(api, neighbour)
        .expect("pair")
        .contains(Protocol::Tcp, 443));
    assert!(after.connections(api, other).expect("pair").is_empty());
}

#[test]
fn dns_egress_goes_to_kube_dns_only_on_the_observed_port() {
    let m = shop();
    let g = generate(&m, &flows(FLOWS), &GenerateOptions::default());
    let front = g
        .policies
        .iter()
        .find(|p| p.name == "frontend-egress")
        .expect("frontend egress");
    let doc = &load_str("f.yaml", &front.yaml, &LoadLimits::default()).objects[0].root;
    let rules = doc.get_path(&["spec", "egress"]).expect("egress").items();
    let dns_rule = rules
        .iter()
        .find(|r| {
            r.get("to")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|p| {
                    p.get_path(&["podSelector", "matchLabels", "k8s-app"])
                        .and_then(Node::as_str)
                        == Some("kube-dns")
                })
        })
        .expect("a rule to kube-dns");
    let peer = &dns_rule.get("to").expect("to").items()[0];
    assert_eq!(
        peer.get_path(&[
            "namespaceSelector",
            "matchLabels",
            "kubernetes.io/metadata.name"
        ])
        .and_then(Node::as_str),
        Some("kube-system")
    );
    let ports = dns_rule.get("ports").expect("ports").items();
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].get("protocol").and_then(Node::as_str), Some("UDP"));
    assert_eq!(ports[0].get("port").and_then(Node::as_i64), Some(53));
}

// ---------------------------------------------------------------------------------------
// Cilium

fn find<'a>(objs: &'a [Object], name: &str) -> &'a Node {
    &objs
        .iter()
        .find(|o| o.id.name == name)
        .unwrap_or_else(|| panic!("{name}"))
        .root
}

fn selector_labels(node: &Node) -> BTreeMap<String, String> {
    node.get("matchLabels")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e.key.scalar_text().unwrap_or_default().to_string(),
                e.value.as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn cilium_policies_carry_l7_http_rules_from_the_flows() {
    let m = shop();
    let g = generate(
        &m,
        &flows(FLOWS),
        &GenerateOptions {
            format: Format::Cilium,
            ..GenerateOptions::default()
        },
    );
    let loaded = load_str("cnp.yaml", &g.yaml, &LoadLimits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let objs = loaded.objects;
    assert_eq!(objs.len(), g.policies.len());
    assert!(objs
        .iter()
        .all(|o| o.id.api_version == "cilium.io/v2" && o.id.kind == "CiliumNetworkPolicy"));

    let api = find(&objs, "api-ingress");
    assert_eq!(
        selector_labels(
            api.get_path(&["spec", "endpointSelector"])
                .expect("selector")
        ),
        BTreeMap::from([("app".to_string(), "api".to_string())])
    );
    let rules = api.get_path(&["spec", "ingress"]).expect("ingress").items();
    let from_frontend = rules
        .iter()
        .find(|r| {
            r.get("fromEndpoints")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|s| selector_labels(s).get("app").map(String::as_str) == Some("frontend"))
        })
        .expect("a rule from frontend");
    let sel = selector_labels(&from_frontend.get("fromEndpoints").expect("from").items()[0]);
    assert_eq!(
        sel.get("k8s:io.kubernetes.pod.namespace")
            .map(String::as_str),
        Some("shop")
    );
    assert_eq!(sel.get("tier").map(String::as_str), Some("web"));
    let to_ports = from_frontend.get("toPorts").expect("toPorts").items();
    assert_eq!(to_ports.len(), 1);
    let port = &to_ports[0].get("ports").expect("ports").items()[0];
    assert_eq!(port.get("port").and_then(Node::as_str), Some("8080"));
    assert_eq!(port.get("protocol").and_then(Node::as_str), Some("TCP"));
    let http: Vec<(String, String)> = to_ports[0]
        .get_path(&["rules", "http"])
        .expect("http rules")
        .items()
        .iter()
        .map(|h| {
            (
                h.get("method")
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_string(),
                h.get("path")
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        http,
        vec![
            ("GET".to_string(), "^/v1/items$".to_string()),
            ("GET".to_string(), r"^/v1/items/42\.json$".to_string()),
            ("POST".to_string(), "^/v1/orders$".to_string()),
        ]
    );
    // The prober from another namespace, with its one request; the node as an entity; ICMP.
    let from_prober = rules
        .iter()
        .find(|r| {
            r.get("fromEndpoints")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .any(|s| {
                    selector_labels(s)
                        .get("k8s:io.kubernetes.pod.namespace")
                        .map(String::as_str)
                        == Some("ops")
                })
                && r.get("toPorts").is_some()
        })
        .expect("a rule from ops");
    let paths = from_prober.get("toPorts").expect("toPorts").items()[0]
        .get_path(&["rules", "http"])
        .expect("http")
        .items();
    assert_eq!(paths.len(), 1);
    assert_eq!(
        paths[0].get("path").and_then(Node::as_str),
        Some("^/healthz$")
    );
    assert!(rules.iter().any(|r| r
        .get("fromEntities")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|e| e.as_str() == Some("host"))));
    assert!(rules.iter().any(|r| r
        .get_path(&["icmps"])
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|i| i
            .get("fields")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .any(|f| {
                f.get("type").and_then(Node::as_i64) == Some(8)
                    && f.get("family").and_then(Node::as_str) == Some("IPv4")
            }))));

    // Egress: DNS to kube-dns with the queried name, the payment provider by CIDR.
    let front = find(&objs, "frontend-egress");
    let egress = front.get_path(&["spec", "egress"]).expect("egress").items();
    let dns = egress
        .iter()
        .find(|r| r.get("toEndpoints").is_some())
        .expect("to kube-dns");
    let sel = selector_labels(&dns.get("toEndpoints").expect("to").items()[0]);
    assert_eq!(sel.get("k8s-app").map(String::as_str), Some("kube-dns"));
    assert_eq!(
        sel.get("k8s:io.kubernetes.pod.namespace")
            .map(String::as_str),
        Some("kube-system")
    );
    let tp = &dns.get("toPorts").expect("toPorts").items()[0];
    assert_eq!(
        tp.get_path(&["rules", "dns"]).expect("dns").items()[0]
            .get("matchName")
            .and_then(Node::as_str),
        Some("api.shop.svc.cluster.local")
    );
    let api_out = find(&objs, "api-egress");
    let cidrs: Vec<&str> = api_out
        .get_path(&["spec", "egress"])
        .expect("egress")
        .items()
        .iter()
        .filter_map(|r| r.get("toCIDR"))
        .flat_map(Node::items)
        .filter_map(Node::as_str)
        .collect();
    assert_eq!(cidrs, vec!["198.51.100.20/32"]);
    // The node's probes carry no HTTP record: their L4-only rule lets any request through.
    assert!(
        g.notes
            .iter()
            .any(|n| n.contains("shop/api: host reached TCP 8080")),
        "{:?}",
        g.notes
    );
}

// ---------------------------------------------------------------------------------------
// check_flows

/// Source, destination, transport, denying sides, denying policies.
type Verdict4 = (String, String, Transport, Vec<Direction>, Vec<String>);

#[test]
fn check_flows_names_the_side_and_policy_that_deny_observed_flows() {
    let m = Model::from_objects(&objects(&[("shop.yaml", SHOP), ("pol.yaml", RESTRICTIVE)]));
    let c = check_flows(&m, &flows(FLOWS));
    let name = |e: EndpointId| m.endpoints()[e.index()].to_string();
    let policy_names = |ids: &[palisade_netpol::PolicyId]| -> Vec<String> {
        ids.iter()
            .map(|p| m.policy(*p).expect("policy").name.clone())
            .collect()
    };
    let denied: Vec<Verdict4> = c
        .denied
        .iter()
        .map(|d| {
            (
                name(d.src),
                name(d.dst),
                d.transport,
                d.denied_by.clone(),
                policy_names(&d.policies),
            )
        })
        .collect();
    let tcp = |p| Transport::Port(Protocol::Tcp, p);
    assert!(
        denied.contains(&(
            "Deployment/shop/api".into(),
            "StatefulSet/shop/db".into(),
            tcp(5432),
            vec![Direction::Ingress],
            vec!["db-from-api-v2".into()]
        )),
        "{denied:#?}"
    );
    assert!(
        denied.contains(&(
            "Deployment/shop/frontend".into(),
            "Deployment/shop/api".into(),
            tcp(8080),
            vec![Direction::Egress],
            vec!["frontend-dns-only".into()]
        )),
        "{denied:#?}"
    );
    assert_eq!(denied.len(), 2, "{denied:#?}");
    // world -> frontend, api -> the provider, prober -> api (TCP and ICMP) are allowed;
    // the DNS and host flows have an endpoint outside the model.
    assert_eq!(c.allowed, 4);
    assert_eq!(c.unjudged, 3);
    let first = c
        .denied
        .iter()
        .find(|d| name(d.dst) == "StatefulSet/shop/db")
        .unwrap();
    assert_eq!(first.first_line, 14);

    // Allowed but unused: worker may reach api, nobody used it; used pairs never appear.
    let unused: BTreeSet<(String, String)> = c
        .unused
        .iter()
        .map(|u| (name(u.src), name(u.dst)))
        .collect();
    assert!(unused.contains(&(
        "Deployment/shop/worker".into(),
        "Deployment/shop/api".into()
    )));
    assert!(unused.contains(&(
        "Deployment/ops/prober".into(),
        "Deployment/shop/frontend".into()
    )));
    assert!(!unused.contains(&("Deployment/ops/prober".into(), "Deployment/shop/api".into())));
    // Nothing denied is listed as an allowed path.
    assert!(!unused.contains(&("Deployment/shop/api".into(), "StatefulSet/shop/db".into())));
    assert!(c
        .unused
        .iter()
        .all(|u| c.allowed_on(u).is_some_and(|a| !a.is_empty()) && u.src != u.dst));
}

#[test]
fn generating_over_existing_policies_says_what_still_applies() {
    let m = Model::from_objects(&objects(&[("shop.yaml", SHOP), ("pol.yaml", RESTRICTIVE)]));
    let g = generate(&m, &flows(FLOWS), &GenerateOptions::default());
    assert!(
        g.notes
            .iter()
            .any(|n| n.contains("shop/db is already isolated for ingress by shop/db-from-api-v2")),
        "{:?}",
        g.notes
    );
    assert!(g
        .notes
        .iter()
        .any(|n| n
            .contains("shop/frontend is already isolated for egress by shop/frontend-dns-only")));
    // A generated name taken by an input policy is pointed out.
    let clash = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-ingress, namespace: shop}
spec: {podSelector: {matchLabels: {app: nothing}}}
";
    let m = Model::from_objects(&objects(&[("shop.yaml", SHOP), ("clash.yaml", clash)]));
    let g = generate(&m, &flows(FLOWS), &GenerateOptions::default());
    assert!(g
        .notes
        .iter()
        .any(|n| n.contains("already has NetworkPolicy shop/api-ingress")));
}

#[test]
fn check_flows_on_the_generated_policies_denies_nothing_observed() {
    let m = shop();
    let f = flows(FLOWS);
    let g = generate(&m, &f, &GenerateOptions::default());
    let after = Model::from_objects(&objects(&[("shop.yaml", SHOP), ("gen.yaml", &g.yaml)]));
    let c = check_flows(&after, &f);
    // Only the ping is denied: NetworkPolicy cannot allow ICMP alone.
    assert_eq!(c.denied.len(), 1, "{:?}", c.denied);
    assert!(matches!(c.denied[0].transport, Transport::Icmp(..)));
    assert_eq!(
        c.denied[0].denied_by,
        vec![Direction::Egress, Direction::Ingress]
    );
}

#[test]
fn ipv6_addresses_become_single_host_blocks() {
    let m = shop();
    let world = serde_json::json!({"identity": 2, "labels": ["reserved:world"]});
    let text = line_from_api(
        world,
        "2001:db8::10",
        "FORWARDED",
        serde_json::json!({"SYN": true}),
        Some(false),
    );
    let g = generate(&m, &flows(&text), &GenerateOptions::default());
    assert!(g.yaml.contains("cidr: \"2001:db8::10/128\""), "{}", g.yaml);
    let after = Model::from_objects(&objects(&[("shop.yaml", SHOP), ("gen.yaml", &g.yaml)]));
    let api = id(&after, "shop/api");
    let seen = after
        .connections(api, id(&after, "2001:db8::10"))
        .expect("pair");
    assert_eq!(seen, ConnectionSet::of(Protocol::Tcp, PortSet::single(443)));
    assert!(after
        .connections(api, id(&after, "2001:db8::11"))
        .expect("pair")
        .is_empty());
    assert!(after
        .connections(api, id(&after, "198.51.100.1"))
        .expect("pair")
        .is_empty());
}
