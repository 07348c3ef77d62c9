//! Seeded random worlds for the np-guard comparison: namespaces (declared with labels, or only
//! referenced), workloads of every kind both analyzers read, and valid NetworkPolicies, written
//! as manifest files.
//!
//! Only what np-guard v1.4.2 analyses without failing the whole run, or without its known
//! wrong answers, is generated (see the differences table in `np_guard.rs`): IPv4 blocks
//! only, named ports only where every destination is a pod (ingress rules, and egress rules
//! whose peers are all selectors), and port ranges (`endPort`) only in ingress rules.
//! Everything is valid for the API server, so Palisade rejects nothing either.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

type Labels = BTreeMap<String, String>;

const POD_VOCAB: &[(&str, &[&str])] = &[
    ("app", &["a", "b", "c"]),
    ("tier", &["front", "back"]),
    ("role", &["x"]),
];
const NS_VOCAB: &[(&str, &[&str])] = &[("team", &["t1", "t2"]), ("env", &["prod", "dev"])];

/// IPv4 blocks as (network, prefix): nested ones so that `except` has room, and disjoint ones.
pub const CIDRS: [(u32, u32); 10] = [
    (0, 0),
    (0, 1),
    (0x8000_0000, 1),
    (0x0A00_0000, 8),
    (0x0A01_0000, 16),
    (0x0A01_0100, 24),
    (0xAC10_0000, 12),
    (0xC0A8_0000, 16),
    (0xC0A8_0100, 24),
    (0x0808_0808, 32),
];

/// Named ports containers define (name, two numbers, usual protocol), and one no container
/// defines.
const NAMED: &[(&str, u16, u16, &str)] = &[
    ("http", 80, 8080, "TCP"),
    ("dns", 53, 5353, "UDP"),
    ("metrics", 9090, 9091, "TCP"),
    ("stream", 7000, 7001, "SCTP"),
];

const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

/// One manifest file of a world.
pub struct File {
    /// File name within the world's directory.
    pub name: String,
    /// YAML text (JSON documents separated by `---`).
    pub text: String,
}

/// A generated world.
pub struct World {
    /// Its manifest files.
    pub files: Vec<File>,
    /// Every workload as (kind, namespace, name).
    pub workloads: Vec<(String, String, String)>,
    /// Every CIDR the policies mention (as (network, prefix)), excepts included.
    pub cidrs: Vec<(u32, u32)>,
}

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

fn labels(rng: &mut fastrand::Rng, vocab: &[(&str, &[&str])]) -> Labels {
    let mut out = Labels::new();
    for (k, vs) in vocab {
        if rng.bool() {
            out.insert(k.to_string(), pick(rng, vs).to_string());
        }
    }
    out
}

/// A label selector: empty, matchLabels, matchExpressions or both; namespace selectors
/// sometimes name a namespace through `kubernetes.io/metadata.name`.
fn selector(rng: &mut fastrand::Rng, vocab: &[(&str, &[&str])], ns_names: &[String]) -> Value {
    let mut m = Map::new();
    let shape = rng.u8(..6);
    if shape == 2 || shape == 3 || shape == 5 {
        let l = labels(rng, vocab);
        if !l.is_empty() {
            m.insert("matchLabels".into(), json!(l));
        }
    }
    if shape >= 4 {
        let exprs: Vec<Value> = (0..rng.usize(1..3))
            .map(|_| {
                let (k, vs) = pick(rng, vocab);
                let mut vals: Vec<&str> = vs.iter().copied().filter(|_| rng.bool()).collect();
                if vals.is_empty() {
                    vals.push(vs[0]);
                }
                match rng.u8(..4) {
                    0 => json!({"key": k, "operator": "In", "values": vals}),
                    1 => json!({"key": k, "operator": "NotIn", "values": vals}),
                    2 => json!({"key": k, "operator": "Exists"}),
                    _ => json!({"key": k, "operator": "DoesNotExist"}),
                }
            })
            .collect();
        m.insert("matchExpressions".into(), Value::Array(exprs));
    }
    if !ns_names.is_empty() && rng.u8(..5) == 0 {
        let entry = m.entry("matchLabels").or_insert_with(|| json!({}));
        if let Value::Object(ml) = entry {
            ml.insert(
                "kubernetes.io/metadata.name".into(),
                json!(pick(rng, ns_names)),
            );
        }
    }
    Value::Object(m)
}

fn in_cidr(ip: u32, (net, prefix): (u32, u32)) -> bool {
    prefix == 0 || (ip ^ net) >> (32 - prefix) == 0
}

fn cidr_text((net, prefix): (u32, u32)) -> String {
    format!("{}/{prefix}", std::net::Ipv4Addr::from(net))
}

fn ip_block(rng: &mut fastrand::Rng, cidrs: &mut Vec<(u32, u32)>) -> Value {
    let cidr = *pick(rng, &CIDRS);
    cidrs.push(cidr);
    let except: Vec<String> = CIDRS
        .iter()
        .filter(|&&(n, p)| p > cidr.1 && in_cidr(n, cidr) && rng.u8(..3) == 0)
        .map(|&c| {
            cidrs.push(c);
            cidr_text(c)
        })
        .collect();
    if except.is_empty() {
        json!({"ipBlock": {"cidr": cidr_text(cidr)}})
    } else {
        json!({"ipBlock": {"cidr": cidr_text(cidr), "except": except}})
    }
}

/// The peers of a rule: `None` (field left out), `[]`, or a list. The flag says whether
/// every peer is a selector (so named ports can be used toward them in egress).
fn peers(
    rng: &mut fastrand::Rng,
    ns_names: &[String],
    cidrs: &mut Vec<(u32, u32)>,
) -> (Option<Vec<Value>>, bool) {
    match rng.u8(..7) {
        0 => (None, false),
        1 => (Some(Vec::new()), false),
        _ => {
            let mut only_selectors = true;
            let list = (0..rng.usize(1..4))
                .map(|_| match rng.u8(..5) {
                    0 => {
                        only_selectors = false;
                        ip_block(rng, cidrs)
                    }
                    1 => json!({"podSelector": selector(rng, POD_VOCAB, &[])}),
                    2 => json!({"namespaceSelector": selector(rng, NS_VOCAB, ns_names)}),
                    _ => json!({"podSelector": selector(rng, POD_VOCAB, &[]),
                                "namespaceSelector": selector(rng, NS_VOCAB, ns_names)}),
                })
                .collect();
            (Some(list), only_selectors)
        }
    }
}

fn port_entry(rng: &mut fastrand::Rng, named_ok: bool, range_ok: bool) -> Value {
    let mut m = Map::new();
    match rng.u8(..5) {
        0 | 1 => {}
        2 => _ = m.insert("protocol".into(), json!("TCP")),
        3 => _ = m.insert("protocol".into(), json!("UDP")),
        _ => _ = m.insert("protocol".into(), json!("SCTP")),
    }
    match rng.u8(..6) {
        0 => {}
        1 if named_ok => {
            let name = if rng.u8(..6) == 0 {
                "nope"
            } else {
                pick(rng, NAMED).0
            };
            m.insert("port".into(), json!(name));
        }
        2 if range_ok => {
            let p = *pick(rng, &[53u16, 80, 443, 7000, 8080, 9090]);
            m.insert("port".into(), json!(p));
            m.insert("endPort".into(), json!(p + rng.u16(0..1200)));
        }
        _ => {
            let p = *pick(rng, &[1u16, 53, 80, 443, 5353, 7001, 8080, 9091, 65535]);
            m.insert("port".into(), json!(p));
        }
    }
    Value::Object(m)
}

fn rule(
    rng: &mut fastrand::Rng,
    ns_names: &[String],
    cidrs: &mut Vec<(u32, u32)>,
    egress: bool,
) -> Value {
    let (peers, only_selectors) = peers(rng, ns_names, cidrs);
    let named_ok = !egress || only_selectors;
    let mut m = Map::new();
    if let Some(list) = peers {
        m.insert(
            if egress { "to" } else { "from" }.into(),
            Value::Array(list),
        );
    }
    match rng.u8(..4) {
        0 => {}
        1 => _ = m.insert("ports".into(), json!([])),
        _ => {
            let list: Vec<Value> = (0..rng.usize(1..4))
                .map(|_| port_entry(rng, named_ok, !egress))
                .collect();
            m.insert("ports".into(), Value::Array(list));
        }
    }
    Value::Object(m)
}

fn container_ports(rng: &mut fastrand::Rng) -> Vec<Value> {
    let mut out = Vec::new();
    for &(name, a, b, proto) in NAMED {
        if rng.bool() {
            let proto = if rng.u8(..4) == 0 { "TCP" } else { proto };
            let number = if rng.bool() { a } else { b };
            out.push(json!({"name": name, "containerPort": number, "protocol": proto}));
        }
    }
    if rng.u8(..3) == 0 {
        out.push(json!({"containerPort": 443}));
    }
    out
}

/// Metadata with the namespace left out, now and then, for objects of `default`.
fn metadata(rng: &mut fastrand::Rng, name: &str, ns: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if ns != "default" || rng.bool() {
        m.insert("namespace".into(), json!(ns));
    }
    m
}

fn workload(rng: &mut fastrand::Rng, kind: &str, name: &str, ns: &str) -> Value {
    let pod_labels = labels(rng, POD_VOCAB);
    let pod_spec =
        json!({"containers": [{"name": "c", "image": "x", "ports": container_ports(rng)}]});
    let mut meta = metadata(rng, name, ns);
    if kind == "Pod" {
        meta.insert("labels".into(), json!(pod_labels));
        return json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec});
    }
    let template = json!({"metadata": {"labels": pod_labels}, "spec": pod_spec});
    let selector = json!({"matchLabels": pod_labels});
    let (api, spec) = match kind {
        "Job" => ("batch/v1", json!({"template": template})),
        "CronJob" => (
            "batch/v1",
            json!({"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}),
        ),
        "ReplicationController" => (
            "v1",
            json!({"replicas": rng.u8(1..4), "selector": pod_labels, "template": template}),
        ),
        "DaemonSet" => (
            "apps/v1",
            json!({"selector": selector, "template": template}),
        ),
        _ => (
            "apps/v1",
            json!({"replicas": rng.u8(1..4), "selector": selector, "template": template}),
        ),
    };
    json!({"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec})
}

/// One to three Pods owned by `owner`/`name`, alike in labels and ports, some with the
/// `status` of a scheduled pod.
fn owned_pods(rng: &mut fastrand::Rng, owner: &str, name: &str, ns: &str) -> Vec<Value> {
    let labels = labels(rng, POD_VOCAB);
    let spec = json!({"containers": [{"name": "c", "image": "x", "ports": container_ports(rng)}]});
    let api = if owner == "Job" {
        "batch/v1"
    } else {
        "apps/v1"
    };
    (0..rng.usize(1..4))
        .map(|i| {
            let mut meta = metadata(rng, &format!("{name}-{i}"), ns);
            meta.insert("labels".into(), json!(labels));
            meta.insert(
                "ownerReferences".into(),
                json!([{"apiVersion": api, "kind": owner, "name": name, "uid": "u", "controller": true}]),
            );
            let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec});
            if rng.bool() {
                pod["status"] = json!({"hostIP": "10.0.0.1", "podIP": format!("10.1.0.{i}"),
                                       "podIPs": [{"ip": format!("10.1.0.{i}")}]});
            }
            pod
        })
        .collect()
}

fn policy(
    rng: &mut fastrand::Rng,
    name: &str,
    ns: &str,
    ns_names: &[String],
    cidrs: &mut Vec<(u32, u32)>,
) -> Value {
    let mut spec = Map::new();
    spec.insert("podSelector".into(), selector(rng, POD_VOCAB, &[]));
    match rng.u8(..6) {
        0 => _ = spec.insert("policyTypes".into(), json!(["Ingress"])),
        1 => _ = spec.insert("policyTypes".into(), json!(["Egress"])),
        2 => _ = spec.insert("policyTypes".into(), json!(["Ingress", "Egress"])),
        3 => _ = spec.insert("policyTypes".into(), json!(["Egress", "Ingress"])),
        _ => {}
    }
    for (key, egress) in [("ingress", false), ("egress", true)] {
        match rng.u8(..4) {
            0 => {}
            1 => _ = spec.insert(key.into(), json!([])),
            _ => {
                let rules: Vec<Value> = (0..rng.usize(1..4))
                    .map(|_| rule(rng, ns_names, cidrs, egress))
                    .collect();
                spec.insert(key.into(), Value::Array(rules));
            }
        }
    }
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": metadata(rng, name, ns), "spec": spec})
}

/// The world of one seed.
pub fn generate(seed: u64) -> World {
    let mut rng = fastrand::Rng::with_seed(seed);
    let rng = &mut rng;
    let mut ns_names: Vec<String> = (0..rng.usize(2..6)).map(|i| format!("ns{i}")).collect();
    if rng.u8(..4) == 0 {
        ns_names.push("default".into());
    }
    let mut namespaces = Vec::new();
    for ns in &ns_names {
        // Some namespaces are only referenced: they exist with the automatic label alone.
        if rng.u8(..4) != 0 {
            namespaces.push(json!({"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": ns, "labels": labels(rng, NS_VOCAB)}}));
        }
    }
    let mut workloads = Vec::new();
    let mut workload_docs = Vec::new();
    for i in 0..rng.usize(3..13) {
        let kind = *pick(rng, KINDS);
        let ns = pick(rng, &ns_names).clone();
        let name = format!("w{i}");
        if rng.u8(..8) == 0 {
            // Pods of a controller the input does not hold (a dump of pods): both analyzers
            // stand them for their owner.
            let owner = *pick(rng, &["ReplicaSet", "StatefulSet", "DaemonSet", "Job"]);
            workload_docs.extend(owned_pods(rng, owner, &name, &ns));
            workloads.push((owner.to_string(), ns, name));
        } else {
            workload_docs.push(workload(rng, kind, &name, &ns));
            workloads.push((kind.to_string(), ns, name));
        }
    }
    let mut cidrs = Vec::new();
    let policies: Vec<Value> = (0..rng.usize(1..11))
        .map(|i| {
            let ns = pick(rng, &ns_names).clone();
            policy(rng, &format!("p{i}"), &ns, &ns_names, &mut cidrs)
        })
        .collect();
    // Spread over a few files, in an order unrelated to kinds.
    let mut docs: Vec<Value> = namespaces
        .into_iter()
        .chain(workload_docs)
        .chain(policies)
        .collect();
    rng.shuffle(&mut docs);
    let mut files: Vec<File> = (0..rng.usize(1..4))
        .map(|i| File {
            name: format!("part{i}.yaml"),
            // Documents are JSON (flow YAML); a leading comment keeps readers that sniff
            // for JSON (np-guard's) on the YAML path, which splits at `---`.
            text: format!("# world {seed}, part {i}\n"),
        })
        .collect();
    let count = files.len();
    for doc in docs {
        let text = &mut files[rng.usize(..count)].text;
        text.push_str("---\n");
        text.push_str(&doc.to_string());
        text.push('\n');
    }
    cidrs.sort_unstable();
    cidrs.dedup();
    World {
        files,
        workloads,
        cidrs,
    }
}
