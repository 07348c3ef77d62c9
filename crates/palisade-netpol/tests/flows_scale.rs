//! Scale of the flows path: 2,000 workloads in 100 namespaces and 200,000 flow lines read,
//! mapped and turned into policies. Ignored by default (run with `--ignored --nocapture`,
//! preferably with `--release`); it prints its timings.

use std::time::Instant;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::flows::{
    check_flows, generate, map_flows, read_flows, GenerateOptions, ReadLimits,
};
use palisade_netpol::Model;

#[test]
#[ignore = "scale measurement"]
fn two_hundred_thousand_flows_over_two_thousand_workloads() {
    let (namespaces, per_ns, lines) = (100usize, 20usize, 200_000usize);
    let mut yaml = String::new();
    for n in 0..namespaces {
        for w in 0..per_ns {
            yaml.push_str(&format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{w}, namespace: ns{n}}}\n\
                 spec: {{template: {{metadata: {{labels: {{app: w{w}}}}}, spec: {{containers: \
                 [{{name: c, image: x, ports: [{{containerPort: 8080}}]}}]}}}}}}\n---\n"
            ));
        }
    }
    let model = Model::from_objects(&load_str("m.yaml", &yaml, &LoadLimits::default()).objects);
    assert_eq!(model.workload_count(), namespaces * per_ns);
    let mut rng = fastrand::Rng::with_seed(7);
    let mut text = String::with_capacity(lines * 700);
    for i in 0..lines {
        // Each workload talks to a few neighbours, so pairs repeat as in real traffic.
        let (n, w) = (rng.usize(..namespaces), rng.usize(..per_ns));
        let (dn, dw) = (
            (n + rng.usize(..2)) % namespaces,
            (w + 1 + rng.usize(..3)) % per_ns,
        );
        let port = 8080 + rng.u16(..2);
        let ep = |ns: usize, w: usize| {
            format!(
                r#"{{"ID":{},"identity":{},"namespace":"ns{ns}","labels":["k8s:app=w{w}","k8s:io.kubernetes.pod.namespace=ns{ns}"],"pod_name":"w{w}-7f9c8b5d4-abcde","workloads":[{{"name":"w{w}","kind":"Deployment"}}]}}"#,
                ns * 100 + w,
                ns * 1000 + w
            )
        };
        text.push_str(&format!(
            r#"{{"flow":{{"time":"2026-11-29T21:14:01.{i:09}Z","verdict":"FORWARDED","IP":{{"source":"10.1.{n}.{w}","destination":"10.1.{dn}.{dw}","ipVersion":"IPv4"}},"l4":{{"TCP":{{"source_port":40000,"destination_port":{port},"flags":{{"SYN":true}}}}}},"source":{},"destination":{},"Type":"L3_L4","node_name":"n1","traffic_direction":"EGRESS","is_reply":false,"Summary":"TCP Flags: SYN"}},"node_name":"n1","time":"2026-11-29T21:14:01Z"}}"#,
            ep(n, w),
            ep(dn, dw)
        ));
        text.push('\n');
    }
    let rss0 = high_water();
    let t = Instant::now();
    let flows = read_flows(text.as_bytes(), &ReadLimits::default()).expect("read");
    let read = t.elapsed();
    assert_eq!(flows.flows.len(), lines);
    let rss_read = high_water();
    let t = Instant::now();
    let mapped = map_flows(&model, &flows);
    let map = t.elapsed();
    assert!(mapped.passed.len() > 1000);
    let t = Instant::now();
    let g = generate(&model, &flows, &GenerateOptions::default());
    let gen = t.elapsed();
    assert!(g.policies.len() >= namespaces * per_ns);
    let rss_gen = high_water();
    let t = Instant::now();
    let c = check_flows(&model, &flows);
    let check = t.elapsed();
    assert!(c.denied.is_empty());
    println!(
        "{} MB, {lines} lines: read {read:?}, map {map:?}, generate {gen:?} ({} policies, {} KB), \
         check {check:?} ({} unused paths); peak RSS MB: input built {rss0}, after read \
         {rss_read}, after generate {rss_gen}, after check {}",
        text.len() >> 20,
        g.policies.len(),
        g.yaml.len() >> 10,
        c.unused.len(),
        high_water()
    );
}

/// The process's peak resident set in MB (Linux; 0 elsewhere).
fn high_water() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb >> 10)
}
