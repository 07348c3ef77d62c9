//! Property test: on hundreds of seeded random worlds (namespaces, pods, deployments,
//! NetworkPolicies), the matrix equals a deliberately naive evaluator that judges each
//! (source, destination, protocol, port) on its own, straight from the generated policy
//! structures (not from this crate's parsed form).
//!
//! Ports are sampled at every boundary the world mentions (each port number, endPort and
//! container port, ±1, plus 1 and 65535): both sides are constant between boundaries, so
//! agreement on the samples is agreement on every port. External addresses are sampled the
//! same way at every CIDR edge, and each sample must land in a class whose matrix cells
//! agree with the naive verdict for that address.

use std::collections::BTreeMap;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::{matrix, Level, Model, Protocol};
use serde_json::{json, Value};

type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone)]
enum Expr {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

#[derive(Debug, Clone, Default)]
struct Selector {
    labels: Labels,
    exprs: Vec<Expr>,
}

impl Selector {
    fn matches(&self, labels: &Labels) -> bool {
        self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.exprs.iter().all(|e| match e {
                Expr::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
                Expr::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
                Expr::Exists(k) => labels.contains_key(k),
                Expr::DoesNotExist(k) => !labels.contains_key(k),
            })
    }

    fn json(&self) -> Value {
        let mut m = serde_json::Map::new();
        if !self.labels.is_empty() {
            m.insert("matchLabels".into(), json!(self.labels));
        }
        if !self.exprs.is_empty() {
            let exprs: Vec<Value> = self
                .exprs
                .iter()
                .map(|e| match e {
                    Expr::In(k, v) => json!({"key": k, "operator": "In", "values": v}),
                    Expr::NotIn(k, v) => json!({"key": k, "operator": "NotIn", "values": v}),
                    Expr::Exists(k) => json!({"key": k, "operator": "Exists"}),
                    Expr::DoesNotExist(k) => json!({"key": k, "operator": "DoesNotExist"}),
                })
                .collect();
            m.insert("matchExpressions".into(), Value::Array(exprs));
        }
        Value::Object(m)
    }
}

/// An IPv4 block: (network, prefix) and excepts.
#[derive(Debug, Clone)]
struct Block {
    cidr: (u32, u32),
    except: Vec<(u32, u32)>,
}

fn in_cidr(ip: u32, (net, prefix): (u32, u32)) -> bool {
    prefix == 0 || (ip ^ net) >> (32 - prefix) == 0
}

fn cidr_text((net, prefix): (u32, u32)) -> String {
    format!("{}/{prefix}", std::net::Ipv4Addr::from(net))
}

#[derive(Debug, Clone)]
enum Peer {
    Sel {
        pods: Option<Selector>,
        namespaces: Option<Selector>,
    },
    Ip(Block),
}

#[derive(Debug, Clone)]
enum PortSel {
    Any,
    Num(u16, Option<u16>),
    Named(String),
}

#[derive(Debug, Clone)]
struct PortEntry {
    protocol: Option<Protocol>,
    port: PortSel,
}

#[derive(Debug, Clone)]
struct GenRule {
    /// None: the field is left out; Some(empty): `[]`.
    peers: Option<Vec<Peer>>,
    ports: Option<Vec<PortEntry>>,
}

#[derive(Debug, Clone)]
struct GenPolicy {
    namespace: String,
    name: String,
    selector: Selector,
    types: Option<Vec<&'static str>>,
    ingress: Option<Vec<GenRule>>,
    egress: Option<Vec<GenRule>>,
}

impl GenPolicy {
    fn affects(&self, egress: bool) -> bool {
        match &self.types {
            Some(t) if !t.is_empty() => t.contains(&if egress { "Egress" } else { "Ingress" }),
            _ => !egress || self.egress.as_ref().is_some_and(|e| !e.is_empty()),
        }
    }
}

#[derive(Debug, Clone)]
struct GenPod {
    kind: &'static str,
    namespace: String,
    name: String,
    labels: Labels,
    ports: Vec<(Option<String>, u16, Protocol)>,
}

struct World {
    namespaces: Vec<(String, Labels, bool)>,
    pods: Vec<GenPod>,
    policies: Vec<GenPolicy>,
}

const CIDRS: [(u32, u32); 6] = [
    (0, 0),
    (0x0A00_0000, 8),
    (0x0A01_0000, 16),
    (0xC0A8_0000, 16),
    (0x0808_0808, 32),
    (0x0A01_0100, 24),
];

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

fn gen_labels(rng: &mut fastrand::Rng, vocab: &[(&str, &[&str])]) -> Labels {
    let mut out = Labels::new();
    for (k, vs) in vocab {
        if rng.bool() {
            out.insert(k.to_string(), pick(rng, vs).to_string());
        }
    }
    out
}

const POD_VOCAB: &[(&str, &[&str])] = &[
    ("app", &["a", "b", "c"]),
    ("tier", &["f", "b"]),
    ("role", &["x"]),
];
const NS_VOCAB: &[(&str, &[&str])] = &[("team", &["t1", "t2"]), ("env", &["prod", "dev"])];

fn gen_selector(
    rng: &mut fastrand::Rng,
    vocab: &[(&str, &[&str])],
    ns_names: &[String],
) -> Selector {
    let mut s = Selector::default();
    match rng.u8(..6) {
        0 | 1 => {}
        2 | 3 => s.labels = gen_labels(rng, vocab),
        _ => {
            for _ in 0..rng.usize(1..3) {
                let (k, vs) = pick(rng, vocab);
                let vals: Vec<String> = vs
                    .iter()
                    .filter(|_| rng.bool())
                    .map(|v| v.to_string())
                    .collect();
                let vals = if vals.is_empty() {
                    vec![vs[0].to_string()]
                } else {
                    vals
                };
                s.exprs.push(match rng.u8(..4) {
                    0 => Expr::In(k.to_string(), vals),
                    1 => Expr::NotIn(k.to_string(), vals),
                    2 => Expr::Exists(k.to_string()),
                    _ => Expr::DoesNotExist(k.to_string()),
                });
            }
        }
    }
    if !ns_names.is_empty() && rng.u8(..5) == 0 {
        s.labels.insert(
            "kubernetes.io/metadata.name".into(),
            pick(rng, ns_names).clone(),
        );
    }
    s
}

fn gen_block(rng: &mut fastrand::Rng) -> Block {
    let cidr = *pick(rng, &CIDRS);
    let except = CIDRS
        .iter()
        .filter(|&&(n, p)| p > cidr.1 && in_cidr(n, cidr) && rng.bool())
        .copied()
        .collect();
    Block { cidr, except }
}

fn gen_rule(rng: &mut fastrand::Rng, ns_names: &[String]) -> GenRule {
    let peers = match rng.u8(..6) {
        0 => None,
        1 => Some(Vec::new()),
        _ => Some(
            (0..rng.usize(1..4))
                .map(|_| match rng.u8(..5) {
                    0 => Peer::Ip(gen_block(rng)),
                    1 => Peer::Sel {
                        pods: Some(gen_selector(rng, POD_VOCAB, &[])),
                        namespaces: None,
                    },
                    2 => Peer::Sel {
                        pods: None,
                        namespaces: Some(gen_selector(rng, NS_VOCAB, ns_names)),
                    },
                    _ => Peer::Sel {
                        pods: Some(gen_selector(rng, POD_VOCAB, &[])),
                        namespaces: Some(gen_selector(rng, NS_VOCAB, ns_names)),
                    },
                })
                .collect(),
        ),
    };
    let ports = match rng.u8(..4) {
        0 => None,
        1 => Some(Vec::new()),
        _ => Some(
            (0..rng.usize(1..4))
                .map(|_| PortEntry {
                    protocol: match rng.u8(..5) {
                        0 | 1 => None,
                        2 => Some(Protocol::Tcp),
                        3 => Some(Protocol::Udp),
                        _ => Some(Protocol::Sctp),
                    },
                    port: match rng.u8(..5) {
                        0 => PortSel::Any,
                        1 => PortSel::Named(pick(rng, &["http", "dns", "metrics"]).to_string()),
                        2 => {
                            let p = *pick(rng, &[53u16, 80, 443, 8080, 9090]);
                            PortSel::Num(p, Some(p + rng.u16(0..200)))
                        }
                        _ => {
                            PortSel::Num(*pick(rng, &[1u16, 53, 80, 443, 8080, 9090, 65535]), None)
                        }
                    },
                })
                .collect(),
        ),
    };
    GenRule { peers, ports }
}

fn gen_ports(rng: &mut fastrand::Rng) -> Vec<(Option<String>, u16, Protocol)> {
    let mut out = Vec::new();
    for (n, a, b, p) in [
        ("http", 80, 8080, Protocol::Tcp),
        ("dns", 53, 5353, Protocol::Udp),
        ("metrics", 9090, 9091, Protocol::Tcp),
    ] {
        if rng.bool() {
            let proto = if rng.u8(..4) == 0 { Protocol::Tcp } else { p };
            out.push((Some(n.to_string()), if rng.bool() { a } else { b }, proto));
        }
    }
    out
}

fn gen_world(rng: &mut fastrand::Rng) -> World {
    let ns_count = rng.usize(2..6);
    let namespaces: Vec<(String, Labels, bool)> = (0..ns_count)
        .map(|i| {
            (
                format!("ns{i}"),
                gen_labels(rng, NS_VOCAB),
                rng.u8(..4) != 0,
            )
        })
        .collect();
    let ns_names: Vec<String> = namespaces.iter().map(|n| n.0.clone()).collect();
    let pods = (0..rng.usize(3..12))
        .map(|i| GenPod {
            kind: if rng.bool() { "Pod" } else { "Deployment" },
            namespace: pick(rng, &ns_names).clone(),
            name: format!("w{i}"),
            labels: gen_labels(rng, POD_VOCAB),
            ports: gen_ports(rng),
        })
        .collect();
    let policies = (0..rng.usize(1..10))
        .map(|i| {
            let rules = |rng: &mut fastrand::Rng| match rng.u8(..4) {
                0 => None,
                1 => Some(Vec::new()),
                _ => Some(
                    (0..rng.usize(1..4))
                        .map(|_| gen_rule(rng, &ns_names))
                        .collect(),
                ),
            };
            GenPolicy {
                namespace: pick(rng, &ns_names).clone(),
                name: format!("p{i}"),
                selector: gen_selector(rng, POD_VOCAB, &[]),
                types: match rng.u8(..5) {
                    0 => Some(vec!["Ingress"]),
                    1 => Some(vec!["Egress"]),
                    2 => Some(vec!["Ingress", "Egress"]),
                    3 => Some(Vec::new()),
                    _ => None,
                },
                ingress: rules(rng),
                egress: rules(rng),
            }
        })
        .collect();
    World {
        namespaces,
        pods,
        policies,
    }
}

fn render(w: &World) -> String {
    let mut docs: Vec<Value> = Vec::new();
    for (name, labels, declared) in &w.namespaces {
        if *declared {
            docs.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}));
        }
    }
    for p in &w.pods {
        let ports: Vec<Value> = p
            .ports
            .iter()
            .map(|(n, num, proto)| json!({"name": n, "containerPort": num, "protocol": proto.as_str()}))
            .collect();
        let spec = json!({"containers": [{"name": "c", "image": "x", "ports": ports}]});
        docs.push(if p.kind == "Pod" {
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": p.name, "namespace": p.namespace, "labels": p.labels}, "spec": spec})
        } else {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": p.name, "namespace": p.namespace},
                   "spec": {"replicas": 2, "template": {"metadata": {"labels": p.labels}, "spec": spec}}})
        });
    }
    let rule_json = |r: &GenRule, key: &str| {
        let mut m = serde_json::Map::new();
        if let Some(peers) = &r.peers {
            let list: Vec<Value> = peers
                .iter()
                .map(|peer| match peer {
                    Peer::Ip(b) => {
                        let ex: Vec<String> = b.except.iter().map(|&c| cidr_text(c)).collect();
                        json!({"ipBlock": {"cidr": cidr_text(b.cidr), "except": ex}})
                    }
                    Peer::Sel { pods, namespaces } => {
                        let mut m = serde_json::Map::new();
                        if let Some(s) = pods {
                            m.insert("podSelector".into(), s.json());
                        }
                        if let Some(s) = namespaces {
                            m.insert("namespaceSelector".into(), s.json());
                        }
                        Value::Object(m)
                    }
                })
                .collect();
            m.insert(key.into(), Value::Array(list));
        }
        if let Some(ports) = &r.ports {
            let list: Vec<Value> = ports
                .iter()
                .map(|e| {
                    let mut m = serde_json::Map::new();
                    if let Some(p) = e.protocol {
                        m.insert("protocol".into(), json!(p.as_str()));
                    }
                    match &e.port {
                        PortSel::Any => {}
                        PortSel::Named(n) => {
                            m.insert("port".into(), json!(n));
                        }
                        PortSel::Num(p, end) => {
                            m.insert("port".into(), json!(p));
                            if let Some(end) = end {
                                m.insert("endPort".into(), json!(end));
                            }
                        }
                    }
                    Value::Object(m)
                })
                .collect();
            m.insert("ports".into(), Value::Array(list));
        }
        Value::Object(m)
    };
    for p in &w.policies {
        let mut spec = serde_json::Map::new();
        spec.insert("podSelector".into(), p.selector.json());
        if let Some(t) = &p.types {
            spec.insert("policyTypes".into(), json!(t));
        }
        if let Some(rules) = &p.ingress {
            spec.insert(
                "ingress".into(),
                Value::Array(rules.iter().map(|r| rule_json(r, "from")).collect()),
            );
        }
        if let Some(rules) = &p.egress {
            spec.insert(
                "egress".into(),
                Value::Array(rules.iter().map(|r| rule_json(r, "to")).collect()),
            );
        }
        docs.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                         "metadata": {"name": p.name, "namespace": p.namespace}, "spec": Value::Object(spec)}));
    }
    docs.iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// A party to a connection, for the naive evaluator.
#[derive(Clone, Copy)]
enum Party<'a> {
    Pod(&'a GenPod),
    Ip(u32),
}

/// What the naive evaluator asks about: a port of a protocol, or "some other protocol".
#[derive(Clone, Copy)]
enum Traffic {
    Port(Protocol, u16),
    Other,
}

struct Naive<'a> {
    w: &'a World,
}

impl Naive<'_> {
    fn ns_labels(&self, ns: &str) -> Labels {
        let mut l = self
            .w
            .namespaces
            .iter()
            .find(|n| n.0 == ns && n.2)
            .map(|n| n.1.clone())
            .unwrap_or_default();
        l.insert("kubernetes.io/metadata.name".into(), ns.into());
        l
    }

    fn peer_matches(&self, policy: &GenPolicy, peer: &Peer, other: Party) -> bool {
        match (peer, other) {
            (Peer::Ip(b), Party::Ip(ip)) => {
                in_cidr(ip, b.cidr) && !b.except.iter().any(|&e| in_cidr(ip, e))
            }
            (Peer::Sel { pods, namespaces }, Party::Pod(p)) => {
                let ns_ok = match namespaces {
                    None => p.namespace == policy.namespace,
                    Some(s) => s.matches(&self.ns_labels(&p.namespace)),
                };
                ns_ok && pods.as_ref().is_none_or(|s| s.matches(&p.labels))
            }
            _ => false,
        }
    }

    fn port_matches(entry: &PortEntry, traffic: Traffic, dst: Party) -> bool {
        let Traffic::Port(proto, port) = traffic else {
            return false;
        };
        if entry.protocol.unwrap_or(Protocol::Tcp) != proto {
            return false;
        }
        match &entry.port {
            PortSel::Any => true,
            PortSel::Num(p, end) => port >= *p && port <= end.unwrap_or(*p),
            PortSel::Named(name) => match dst {
                Party::Pod(d) => d
                    .ports
                    .iter()
                    .find(|(n, _, _)| n.as_deref() == Some(name))
                    .is_some_and(|&(_, num, pr)| pr == proto && num == port),
                Party::Ip(_) => false,
            },
        }
    }

    /// Does `subject`'s side (`egress` or ingress) allow the traffic with `other`?
    fn side(&self, subject: Party, egress: bool, other: Party, traffic: Traffic) -> bool {
        let Party::Pod(pod) = subject else {
            return true;
        };
        let isolating: Vec<&GenPolicy> = self
            .w
            .policies
            .iter()
            .filter(|p| {
                p.namespace == pod.namespace && p.selector.matches(&pod.labels) && p.affects(egress)
            })
            .collect();
        if isolating.is_empty() {
            return true;
        }
        let dst = if egress { other } else { subject };
        isolating.iter().any(|p| {
            let rules = if egress { &p.egress } else { &p.ingress };
            rules.iter().flatten().any(|r| {
                let peer_ok = match &r.peers {
                    None => true,
                    Some(list) if list.is_empty() => true,
                    Some(list) => list.iter().any(|peer| self.peer_matches(p, peer, other)),
                };
                let port_ok = match &r.ports {
                    None => true,
                    Some(list) if list.is_empty() => true,
                    Some(list) => list.iter().any(|e| Self::port_matches(e, traffic, dst)),
                };
                peer_ok && port_ok
            })
        })
    }

    fn allowed(&self, src: Party, dst: Party, traffic: Traffic) -> bool {
        self.side(src, true, dst, traffic) && self.side(dst, false, src, traffic)
    }
}

fn sample_ports(w: &World) -> Vec<u16> {
    let mut raw: Vec<u32> = vec![1, 65535];
    for p in &w.pods {
        raw.extend(p.ports.iter().map(|x| u32::from(x.1)));
    }
    for pol in &w.policies {
        for r in pol.ingress.iter().chain(&pol.egress).flatten() {
            for e in r.ports.iter().flatten() {
                if let PortSel::Num(a, end) = e.port {
                    raw.push(u32::from(a));
                    raw.extend(end.map(u32::from));
                }
            }
        }
    }
    let mut out: Vec<u16> = raw
        .iter()
        .flat_map(|&p| [p.saturating_sub(1), p, p + 1])
        .filter(|&p| (1..=65535).contains(&p))
        .map(|p| p as u16)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn sample_ips() -> Vec<u32> {
    let mut out = vec![0, u32::MAX];
    for &(net, prefix) in &CIDRS {
        let last = net | u32::MAX.checked_shr(prefix).unwrap_or(0);
        out.extend([net.wrapping_sub(1), net, last, last.wrapping_add(1)]);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn check_world(seed: u64) -> Result<(), String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let w = gen_world(&mut rng);
    let text = render(&w);
    let objects = load_str("world.yaml", &text, &LoadLimits::default()).objects;
    let model = Model::from_objects(&objects);
    if let Some(d) = model
        .diagnostics()
        .iter()
        .find(|d| d.level == Level::Rejected)
    {
        return Err(format!("generated policy rejected: {d}"));
    }
    if model.policies().len() != w.policies.len() || model.workload_count() != w.pods.len() {
        return Err("model lost policies or workloads".into());
    }
    let m = matrix(&model);
    let naive = Naive { w: &w };
    let ports = sample_ports(&w);
    let id = |p: &GenPod| model.lookup(&format!("{}/{}/{}", p.kind, p.namespace, p.name));
    let mut checks = Vec::new();
    for a in &w.pods {
        for b in &w.pods {
            checks.push((Party::Pod(a), Party::Pod(b)));
        }
        for &ip in &sample_ips() {
            checks.push((Party::Pod(a), Party::Ip(ip)));
            checks.push((Party::Ip(ip), Party::Pod(a)));
        }
    }
    let mut hit_classes = std::collections::BTreeSet::new();
    for (src, dst) in checks {
        let resolve = |p: Party| match p {
            Party::Pod(g) => id(g).map_err(|e| e.to_string()),
            Party::Ip(ip) => model
                .lookup(&std::net::Ipv4Addr::from(ip).to_string())
                .map_err(|e| e.to_string()),
        };
        let (s, d) = (resolve(src)?, resolve(dst)?);
        for e in [s, d] {
            if model.endpoint(e).is_some_and(|x| x.is_external()) {
                hit_classes.insert(e);
            }
        }
        let cell = m.get(s, d).ok_or("missing cell")?;
        let show = |p: Party| match p {
            Party::Pod(g) => format!("{}/{}/{}", g.kind, g.namespace, g.name),
            Party::Ip(ip) => std::net::Ipv4Addr::from(ip).to_string(),
        };
        if naive.allowed(src, dst, Traffic::Other) != cell.allows_other_protocols() {
            return Err(format!(
                "{} -> {}: other protocols differ; matrix {cell}",
                show(src),
                show(dst)
            ));
        }
        for proto in Protocol::ALL {
            for &port in &ports {
                let want = naive.allowed(src, dst, Traffic::Port(proto, port));
                if want != cell.contains(proto, port) {
                    return Err(format!(
                        "{} -> {} {proto}/{port}: naive says {want}, matrix {cell}\n{text}",
                        show(src),
                        show(dst)
                    ));
                }
                // Explain agrees with the matrix on a sample of the questions.
                if port % 7 == 0 {
                    let ex = model.explain(s, d, port, proto).ok_or("no explanation")?;
                    if ex.allowed != want
                        || (ex.ingress.isolated
                            && ex.ingress.allowed != ex.ingress.allowed_by.len().gt(&0))
                    {
                        return Err(format!(
                            "{} -> {} {proto}/{port}: explain disagrees: {ex:?}",
                            show(src),
                            show(dst)
                        ));
                    }
                }
            }
        }
    }
    let classes = model.endpoints().iter().filter(|e| e.is_external()).count();
    if hit_classes.len() != classes {
        return Err(format!(
            "{} external classes, samples reached {}",
            classes,
            hit_classes.len()
        ));
    }
    Ok(())
}

#[test]
fn matrix_equals_naive_evaluator_on_random_worlds() {
    let base: u64 = std::env::var("NETPOL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let worlds = 300;
    for i in 0..worlds {
        let seed = base.wrapping_add(i);
        if let Err(e) = check_world(seed) {
            panic!("seed {seed}: {e}");
        }
    }
}
