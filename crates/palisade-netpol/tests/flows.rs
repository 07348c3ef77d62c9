//! Learning from Hubble flows: the reader, mapping onto the model, generated policies
//! (checked by loading them back into the model), Cilium output, and `check_flows`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Read};

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::yaml::Node;
use palisade_core::Object;
use palisade_netpol::flows::{
    check_flows, generate, map_flows, parse_flows, read_flows, FlowPeer, Flows, Format,
    GenerateOptions, L7Type, Layer4, ReadLimits, SkipReason, Transport, Verdict,
};
use palisade_netpol::{ConnectionSet, Direction, EndpointId, Model, PortSet, Protocol};

const SHOP: &str = include_str!("fixtures/flows/shop.yaml");
const FLOWS: &str = include_str!("fixtures/flows/shop.jsonl");
const DAMAGED: &str = include_str!("fixtures/flows/shop-damaged.jsonl");
const CAMEL: &str = include_str!("fixtures/flows/shop-camel.jsonl");
const RESTRICTIVE: &str = include_str!("fixtures/flows/restrictive-policies.yaml");

fn objects(docs: &[(&str, &str)]) -> Vec<Object> {
    docs.iter()
        .flat_map(|(path, text)| load_str(path, text, &LoadLimits::default()).objects)
        .collect()
}

fn shop() -> Model {
    Model::from_objects(&objects(&[("shop.yaml", SHOP)]))
}

fn flows(text: &str) -> Flows {
    parse_flows(text, &ReadLimits::default())
}

fn id(model: &Model, name: &str) -> EndpointId {
    model.lookup(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---------------------------------------------------------------------------------------
// Reader

#[test]
fn reader_reads_every_kind_of_fixture_flow() {
    let f = flows(FLOWS);
    assert_eq!(f.lines, 26);
    assert_eq!(f.flows.len(), 24);
    assert_eq!(f.other_records, 2, "node_status and lost_events");
    assert_eq!(f.skipped_count, 0, "{:?}", f.skipped);

    let first = &f.flows[0];
    assert_eq!(first.line, 1);
    assert_eq!(first.verdict, Verdict::Forwarded);
    assert_eq!(first.source_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(first.source.labels, vec!["reserved:world".to_string()]);
    assert_eq!(first.source.identity, Some(2));
    assert_eq!(
        first.destination.pod_name.as_deref(),
        Some("frontend-6d4cf56db6-7xkqp")
    );
    assert_eq!(first.destination.workloads[0].kind, "Deployment");
    assert_eq!(first.is_reply, Some(false));
    assert_eq!(first.summary.as_deref(), Some("TCP Flags: SYN"));
    assert_eq!(first.node_name.as_deref(), Some("kind-worker"));
    assert!(first.time.as_deref().is_some_and(|t| t.ends_with('Z')));
    assert!(matches!(
        first.l4,
        Some(Layer4::Tcp { source_port: 51514, destination_port: 8080, flags }) if flags.syn && !flags.ack
    ));

    let udp = f
        .flows
        .iter()
        .filter(|x| {
            matches!(
                x.l4,
                Some(Layer4::Udp {
                    destination_port: 53,
                    ..
                })
            )
        })
        .count();
    assert!(udp >= 3);
    assert!(f
        .flows
        .iter()
        .any(|x| matches!(x.l4, Some(Layer4::IcmpV4 { icmp_type: 8, .. }))));
    let http_get = f
        .flows
        .iter()
        .filter_map(|x| x.l7.as_ref())
        .filter(|l| l.kind == L7Type::Request)
        .filter_map(|l| l.http.as_ref())
        .map(|h| (h.method.as_str(), h.url.as_str()))
        .collect::<Vec<_>>();
    assert!(http_get.contains(&("POST", "http://api.shop.svc.cluster.local:8080/v1/orders")));
    assert!(http_get.contains(&("GET", "/healthz")));
    let response = f
        .flows
        .iter()
        .filter_map(|x| x.l7.as_ref())
        .find(|l| l.kind == L7Type::Response && l.http.is_some())
        .and_then(|l| l.http.as_ref())
        .expect("an HTTP response");
    assert_eq!(response.code, Some(200));
    let dns = f
        .flows
        .iter()
        .filter_map(|x| x.l7.as_ref()?.dns.as_ref())
        .collect::<Vec<_>>();
    assert_eq!(dns.len(), 2);
    assert!(dns.iter().all(|d| d.query == "api.shop.svc.cluster.local."));
    assert!(dns.iter().any(|d| d.ips == vec!["10.96.112.9".to_string()]));
    let dropped: Vec<_> = f
        .flows
        .iter()
        .filter(|x| x.verdict == Verdict::Dropped)
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].drop_reason.as_deref(), Some("POLICY_DENIED"));
    let replies = f.flows.iter().filter(|x| x.is_reply == Some(true)).count();
    assert_eq!(replies, 8);
}

#[test]
fn corrupt_and_truncated_lines_are_skipped_with_their_line_numbers() {
    let f = flows(DAMAGED);
    assert_eq!(f.lines, 32);
    let lines: Vec<usize> = f.skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![2, 7, 9, 16, 17, 32]);
    assert_eq!(f.skipped_count, 6);
    assert!(matches!(f.skipped[0].reason, SkipReason::BadJson(_)));
    assert!(matches!(f.skipped[2].reason, SkipReason::NotAFlow(_)));
    assert!(matches!(&f.skipped[4].reason, SkipReason::NotAFlow(m) if m.contains("70000")));
    assert!(matches!(f.skipped[5].reason, SkipReason::BadJson(_)));
    // The rest is used: every intact flow line.
    assert_eq!(f.flows.len(), 23);
    assert_eq!(f.other_records, 2);
    assert!(f.flows.iter().all(|x| !lines.contains(&x.line)));
    // Listing is capped; counting is not.
    let capped = parse_flows(
        DAMAGED,
        &ReadLimits {
            max_listed: 2,
            ..ReadLimits::default()
        },
    );
    assert_eq!(capped.skipped.len(), 2);
    assert_eq!(capped.skipped_count, 6);
    let summary = capped.skipped_summary().expect("a summary");
    assert!(
        summary.starts_with("skipped 6 of 32 lines: 2 (corrupt"),
        "{summary}"
    );
    assert!(summary.ends_with(", and 4 more"), "{summary}");
    assert_eq!(flows(FLOWS).skipped_summary(), None);
}

#[test]
fn lower_camel_case_field_names_read_like_proto_names() {
    let proto = flows(FLOWS);
    let camel = flows(CAMEL);
    assert_eq!(camel.skipped_count, 0);
    assert_eq!(camel.flows.len(), 8);
    for (c, p) in camel.flows.iter().zip(&proto.flows[6..14]) {
        let mut c = c.clone();
        c.line = p.line;
        assert_eq!(&c, p);
    }
}

#[test]
fn crlf_line_ends_and_a_leading_byte_order_mark_are_tolerated() {
    let text: String = FLOWS.lines().take(3).map(|l| format!("{l}\r\n")).collect();
    let f = flows(&format!("\u{feff}{text}"));
    assert_eq!(f.skipped_count, 0, "{:?}", f.skipped);
    assert_eq!(f.flows.len(), 3);
}

#[test]
fn a_bare_flow_object_is_read_too() {
    let line = r#"{"verdict":"DROPPED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{"source_port":5000,"destination_port":53}},"reply":true}"#;
    let f = flows(line);
    assert_eq!(f.flows.len(), 1);
    assert_eq!(f.flows[0].verdict, Verdict::Dropped);
    assert_eq!(
        f.flows[0].is_reply,
        Some(true),
        "the deprecated `reply` when set"
    );
}

/// Yields `head`, then `len` bytes of `x` in small reads, then `tail`: a line far longer
/// than any limit, never present in memory as a whole.
struct HugeLine {
    head: Vec<u8>,
    len: usize,
    tail: Vec<u8>,
    pos: usize,
}

impl Read for HugeLine {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let total = self.head.len() + self.len + self.tail.len();
        if self.pos >= total {
            return Ok(0);
        }
        let mut n = 0;
        while n < buf.len() && self.pos < total {
            let p = self.pos;
            buf[n] = if p < self.head.len() {
                self.head[p]
            } else if p < self.head.len() + self.len {
                b'x'
            } else {
                self.tail[p - self.head.len() - self.len]
            };
            n += 1;
            self.pos += 1;
        }
        Ok(n)
    }
}

#[test]
fn a_huge_line_is_rejected_without_being_held_in_memory() {
    let good: Vec<&str> = FLOWS.lines().take(2).collect();
    let len = 16 << 20;
    let input = HugeLine {
        head: format!("{}\n{{\"flow\":\"", good[0]).into_bytes(),
        len,
        tail: format!("\"}}\n{}\n", good[1]).into_bytes(),
        pos: 0,
    };
    let limits = ReadLimits {
        max_line: 64 << 10,
        ..ReadLimits::default()
    };
    let f = read_flows(BufReader::with_capacity(8192, input), &limits).expect("read");
    assert_eq!(f.flows.len(), 2);
    assert_eq!(f.lines, 3);
    assert_eq!(f.skipped.len(), 1);
    assert_eq!(f.skipped[0].line, 2);
    assert_eq!(f.skipped[0].reason, SkipReason::TooLong(len as u64 + 11));
    assert!(
        f.peak_line_bytes <= limits.max_line,
        "{}",
        f.peak_line_bytes
    );
}

// ---------------------------------------------------------------------------------------
// Mapping

#[test]
fn flow_endpoints_map_by_workload_pod_name_and_labels() {
    let m = shop();
    let mapped = map_flows(&m, &flows(FLOWS));
    let (frontend, api, db, prober) = (
        id(&m, "shop/frontend"),
        id(&m, "shop/api"),
        id(&m, "shop/db"),
        id(&m, "ops/prober"),
    );
    let pairs: BTreeSet<(FlowPeer, FlowPeer, Transport)> = mapped
        .passed
        .iter()
        .map(|o| (o.src.clone(), o.dst.clone(), o.transport))
        .collect();
    let w = FlowPeer::Workload;
    let tcp = |p| Transport::Port(Protocol::Tcp, p);
    // frontend by `workloads`, api by its pod name (no `workloads`), db by labels alone.
    assert!(pairs.contains(&(w(frontend), w(api), tcp(8080))));
    assert!(pairs.contains(&(w(api), w(db), tcp(5432))));
    assert!(pairs.contains(&(w(prober), w(api), tcp(8080))));
    let dns = FlowPeer::Pod {
        namespace: "kube-system".into(),
        labels: BTreeMap::from([("k8s-app".to_string(), "kube-dns".to_string())]),
        name: "coredns".into(),
    };
    assert!(pairs.contains(&(w(frontend), dns.clone(), Transport::Port(Protocol::Udp, 53))));
    assert!(pairs.contains(&(w(api), dns, Transport::Port(Protocol::Udp, 53))));
    assert!(pairs.iter().any(|(s, d, t)| *d == w(frontend)
        && *t == tcp(8080)
        && matches!(s, FlowPeer::External { address, .. } if address == "203.0.113.7")));
    assert!(pairs.iter().any(|(s, d, _)| *s == w(api)
        && matches!(d, FlowPeer::External { address, .. } if address == "198.51.100.20")));
    assert!(pairs.contains(&(FlowPeer::Reserved("host".into()), w(api), tcp(8080))));
    assert!(pairs
        .iter()
        .any(|(s, d, t)| *s == w(prober) && *d == w(api) && matches!(t, Transport::Icmp(..))));
    // Replies never become connections (no connection from a server's port back).
    assert_eq!(mapped.replies, 8);
    assert!(!pairs
        .iter()
        .any(|(s, _, t)| *s == w(api) && *t == tcp(43122)));
    assert_eq!(pairs.len(), mapped.passed.len());
    assert_eq!(mapped.passed.len(), 9);
    // The dropped flow is kept apart.
    assert_eq!(mapped.dropped.len(), 1);
    assert_eq!(mapped.dropped[0].dst, w(db));
    // L7 detail is folded into its connection, queries stripped.
    let to_api = mapped
        .passed
        .iter()
        .find(|o| o.src == w(frontend) && o.dst == w(api))
        .expect("frontend -> api");
    let http: Vec<(&str, &str)> = to_api
        .http
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        http,
        vec![
            ("GET", "/v1/items"),
            ("GET", "/v1/items/42.json"),
            ("POST", "/v1/orders")
        ]
    );
    assert_eq!(to_api.count, 5, "two L3/L4 observations and three requests");
}

#[test]
fn pod_names_pick_the_longest_controller_of_the_right_shape() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec: {template: {metadata: {labels: {app: api}}, spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api-gateway, namespace: shop}
spec: {template: {metadata: {labels: {app: gw}}, spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: shop}
spec: {template: {metadata: {labels: {app: cache}}, spec: {containers: [{name: c, image: x}]}}}
";
    let m = Model::from_objects(&objects(&[("m.yaml", text)]));
    let resolve = |pod: &str| {
        let ep = palisade_netpol::flows::FlowEndpoint {
            namespace: Some("shop".into()),
            pod_name: Some(pod.into()),
            ..Default::default()
        };
        palisade_netpol::flows::resolve(&m, &ep, Some("10.0.0.9"))
    };
    let w = |n: &str| FlowPeer::Workload(id(&m, n));
    assert_eq!(
        resolve("api-gateway-5f6d7c8b9-abcde"),
        w("shop/api-gateway")
    );
    assert_eq!(resolve("api-7f9c8b5d4-q2w8z"), w("shop/api"));
    assert_eq!(resolve("cache-2"), w("shop/cache"));
    // A StatefulSet's pods end in an ordinal; this is no pod of `cache`.
    assert!(matches!(resolve("cache-abc"), FlowPeer::Pod { .. }));
}

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

// ---------------------------------------------------------------------------------------
// Smaller cases built inline

/// One `GetFlowsResponse` line from `api` in `shop` to `dst` (an IP outside, or a pod of
/// `shop` by its labels), with the given verdict, TCP flags and `is_reply`.
fn line_from_api(
    dst: serde_json::Value,
    dst_ip: &str,
    verdict: &str,
    flags: serde_json::Value,
    reply: Option<bool>,
) -> String {
    let mut flow = serde_json::json!({
        "verdict": verdict,
        "IP": {"source": "10.244.2.31", "destination": dst_ip, "ipVersion": if dst_ip.contains(':') { "IPv6" } else { "IPv4" }},
        "l4": {"TCP": {"source_port": 40000, "destination_port": 443, "flags": flags}},
        "source": {"ID": 1877, "identity": 23001, "namespace": "shop",
                   "labels": ["k8s:app=api", "k8s:io.kubernetes.pod.namespace=shop"],
                   "pod_name": "api-7f9c8b5d4-q2w8z",
                   "workloads": [{"name": "api", "kind": "Deployment"}]},
        "destination": dst,
        "Type": "L3_L4",
        "traffic_direction": "EGRESS"
    });
    if let Some(r) = reply {
        flow["is_reply"] = serde_json::Value::Bool(r);
    }
    serde_json::json!({"flow": flow, "node_name": "kind-worker"}).to_string()
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

#[test]
fn audit_flows_count_and_replies_are_recognised_without_is_reply() {
    let m = shop();
    let db = serde_json::json!({"identity": 51230, "namespace": "shop",
        "labels": ["k8s:app=db", "k8s:tier=data", "k8s:io.kubernetes.pod.namespace=shop"]});
    let lines = [
        // Policy audit mode: passed, would have been dropped: learned.
        line_from_api(
            db.clone(),
            "10.244.2.40",
            "AUDIT",
            serde_json::json!({"SYN": true}),
            None,
        ),
        // is_reply absent, SYN+ACK: the reply of a connection, not a new one.
        line_from_api(
            db.clone(),
            "10.244.2.40",
            "FORWARDED",
            serde_json::json!({"SYN": true, "ACK": true}),
            None,
        ),
        // Dropped: never learned.
        line_from_api(
            db.clone(),
            "10.244.2.40",
            "DROPPED",
            serde_json::json!({"SYN": true}),
            Some(false),
        ),
        // Other verdicts are no evidence either way.
        line_from_api(
            db,
            "10.244.2.40",
            "TRACED",
            serde_json::json!({"SYN": true}),
            Some(false),
        ),
    ];
    let text = lines.join("\n");
    let mapped = map_flows(&m, &flows(&text));
    assert_eq!(mapped.passed.len(), 1);
    assert_eq!(mapped.passed[0].first_line, 1);
    assert_eq!(mapped.passed[0].dst, FlowPeer::Workload(id(&m, "shop/db")));
    assert_eq!(mapped.replies, 1);
    assert_eq!(mapped.dropped.len(), 1);
    assert_eq!(mapped.dropped[0].first_line, 3);
    assert_eq!(mapped.ignored, 1);
}

#[test]
fn ambiguous_labels_leave_the_pod_unplaced() {
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: shop}
spec: {template: {metadata: {labels: {app: x, v: '1'}}, spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: shop}
spec: {template: {metadata: {labels: {app: x, w: '2'}}, spec: {containers: [{name: c, image: x}]}}}
";
    let m = Model::from_objects(&objects(&[("m.yaml", text)]));
    let ep = |labels: &[&str]| palisade_netpol::flows::FlowEndpoint {
        namespace: Some("shop".into()),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        ..Default::default()
    };
    let r = |labels: &[&str]| palisade_netpol::flows::resolve(&m, &ep(labels), None);
    assert_eq!(
        r(&["k8s:app=x", "k8s:v=1"]),
        FlowPeer::Workload(id(&m, "shop/a"))
    );
    assert_eq!(
        r(&["k8s:app=x", "k8s:w=2"]),
        FlowPeer::Workload(id(&m, "shop/b"))
    );
    // Both fit with two labels each: no guess.
    assert!(matches!(
        r(&["k8s:app=x", "k8s:v=1", "k8s:w=2"]),
        FlowPeer::Pod { .. }
    ));
    // Neither fits.
    assert!(matches!(r(&["k8s:app=y"]), FlowPeer::Pod { .. }));
}

#[test]
fn sctp_icmpv6_kafka_and_socket_events_are_read_and_sorted_out() {
    let f = flows(include_str!("fixtures/flows/telco.jsonl"));
    assert_eq!(f.flows.len(), 5);
    assert_eq!(f.skipped_count, 0);
    assert!(matches!(
        f.flows[0].l4,
        Some(Layer4::Sctp {
            source_port: 38412,
            destination_port: 38412
        })
    ));
    assert!(matches!(
        f.flows[1].l4,
        Some(Layer4::IcmpV6 {
            icmp_type: 128,
            code: 0
        })
    ));
    assert!(f.flows[2]
        .l7
        .as_ref()
        .is_some_and(|l| l.kafka && l.http.is_none()));
    assert_eq!(f.flows[3].flow_type.as_deref(), Some("SOCK"));
    assert_eq!(f.flows[4].verdict, Verdict::Error);

    // Mapped onto a model that knows nothing of these pods: they stay pods with labels.
    let m = shop();
    let mapped = map_flows(&m, &f);
    assert_eq!(mapped.passed.len(), 3);
    assert_eq!(mapped.ignored, 2, "the socket event and the error");
    let sctp = &mapped
        .passed
        .iter()
        .find(|o| o.transport == Transport::Port(Protocol::Sctp, 38412));
    let sctp = sctp.expect("the SCTP association");
    assert!(
        matches!(&sctp.dst, FlowPeer::Pod { namespace, name, .. } if namespace == "telco" && name == "sig")
    );
    assert!(mapped.passed.iter().any(|o| matches!(
        o.transport,
        Transport::Icmp(palisade_netpol::Family::V6, 128)
    ) && matches!(&o.dst, FlowPeer::External { address, .. } if address == "2001:db8:7::1")));
}
