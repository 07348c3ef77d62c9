//! Helpers shared by the flows tests.
#![allow(dead_code)]

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::Object;
use palisade_netpol::flows::{parse_flows, Flows, ReadLimits};
use palisade_netpol::{EndpointId, Model};

pub const SHOP: &str = include_str!("../fixtures/flows/shop.yaml");
pub const FLOWS: &str = include_str!("../fixtures/flows/shop.jsonl");
pub const DAMAGED: &str = include_str!("../fixtures/flows/shop-damaged.jsonl");
pub const CAMEL: &str = include_str!("../fixtures/flows/shop-camel.jsonl");
pub const TELCO: &str = include_str!("../fixtures/flows/telco.jsonl");
pub const RESTRICTIVE: &str = include_str!("../fixtures/flows/restrictive-policies.yaml");

pub fn objects(docs: &[(&str, &str)]) -> Vec<Object> {
    docs.iter()
        .flat_map(|(path, text)| load_str(path, text, &LoadLimits::default()).objects)
        .collect()
}

pub fn shop() -> Model {
    Model::from_objects(&objects(&[("shop.yaml", SHOP)]))
}

pub fn flows(text: &str) -> Flows {
    parse_flows(text, &ReadLimits::default())
}

pub fn id(model: &Model, name: &str) -> EndpointId {
    model.lookup(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One `GetFlowsResponse` line from `api` in `shop` to `dst` (an IP outside, or a pod of
/// `shop` by its labels), with the given verdict, TCP flags and `is_reply`.
pub fn line_from_api(
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
