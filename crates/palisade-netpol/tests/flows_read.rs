//! Learning from Hubble flows, part one: the reader and the mapping onto the model.

mod flows_common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Read};

use flows_common::*;
use palisade_netpol::flows::{
    map_flows, parse_flows, read_flows, FlowPeer, L7Type, Layer4, ReadLimits, SkipReason,
    Transport, Verdict,
};
use palisade_netpol::{Model, Protocol};

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
    let f = flows(TELCO);
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
