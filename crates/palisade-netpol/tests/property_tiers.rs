//! Property test for the ordered evaluation: on seeded random worlds with Calico tiers,
//! Calico NetworkPolicies and GlobalNetworkPolicies (random selector expressions, actions,
//! nets, ports, service accounts), AdminNetworkPolicies, a BaselineAdminNetworkPolicy and
//! NetworkPolicies, the matrix (and the pairwise evaluator, and explain's verdict) equal a
//! naive evaluator that walks the policies packet by packet, straight from the generated
//! structures: ANPs by priority, then each tier's policies by order, then the baseline.
//!
//! Ports are sampled at every boundary the world mentions and addresses at every CIDR edge
//! (both sides are constant in between), as in `property.rs`.

use std::collections::BTreeMap;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_netpol::{matrix, Level, Model, Protocol};
use serde_json::{json, Value};

type Labels = BTreeMap<String, String>;

/// A Calico selector expression, evaluated here directly and rendered as text with only
/// the parentheses precedence needs (so the parser's precedence is exercised).
#[derive(Debug, Clone)]
enum E {
    All,
    Global,
    Has(&'static str),
    Eq(&'static str, &'static str),
    Ne(&'static str, &'static str),
    In(&'static str, Vec<&'static str>),
    NotIn(&'static str, Vec<&'static str>),
    Contains(&'static str, &'static str),
    Starts(&'static str, &'static str),
    Ends(&'static str, &'static str),
    Not(Box<E>),
    And(Vec<E>),
    Or(Vec<E>),
}

impl E {
    fn eval(&self, l: &dyn Fn(&str) -> Option<String>, ns_meaning: bool) -> bool {
        match self {
            E::All => true,
            E::Global => !ns_meaning,
            E::Has(k) => l(k).is_some(),
            E::Eq(k, v) => l(k).as_deref() == Some(*v),
            E::Ne(k, v) => l(k).as_deref() != Some(*v),
            E::In(k, vs) => l(k).is_some_and(|x| vs.contains(&x.as_str())),
            E::NotIn(k, vs) => l(k).is_none_or(|x| !vs.contains(&x.as_str())),
            E::Contains(k, s) => l(k).is_some_and(|x| x.contains(s)),
            E::Starts(k, s) => l(k).is_some_and(|x| x.starts_with(s)),
            E::Ends(k, s) => l(k).is_some_and(|x| x.ends_with(s)),
            E::Not(e) => !e.eval(l, ns_meaning),
            E::And(es) => es.iter().all(|e| e.eval(l, ns_meaning)),
            E::Or(es) => es.iter().any(|e| e.eval(l, ns_meaning)),
        }
    }

    fn prec(&self) -> u8 {
        match self {
            E::Or(_) => 1,
            E::And(_) => 2,
            _ => 3,
        }
    }

    fn render(&self, min: u8) -> String {
        let set = |vs: &[&str]| {
            vs.iter()
                .map(|v| format!("'{v}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = match self {
            E::All => "all()".into(),
            E::Global => "global()".into(),
            E::Has(k) => format!("has({k})"),
            E::Eq(k, v) => format!("{k} == '{v}'"),
            E::Ne(k, v) => format!("{k} != \"{v}\""),
            E::In(k, vs) => format!("{k} in {{{}}}", set(vs)),
            E::NotIn(k, vs) => format!("{k} not in {{{}}}", set(vs)),
            E::Contains(k, s) => format!("{k} contains '{s}'"),
            E::Starts(k, s) => format!("{k} starts with '{s}'"),
            E::Ends(k, s) => format!("{k} ends with '{s}'"),
            E::Not(e) => format!("!{}", e.render(3)),
            E::And(es) => es
                .iter()
                .map(|e| e.render(3))
                .collect::<Vec<_>>()
                .join(" && "),
            E::Or(es) => es
                .iter()
                .map(|e| e.render(2))
                .collect::<Vec<_>>()
                .join(" || "),
        };
        if self.prec() < min {
            format!("({text})")
        } else {
            text
        }
    }
}

fn word(rng: &mut fastrand::Rng, items: &[&'static str]) -> &'static str {
    items[rng.usize(..items.len())]
}

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

type Vocab = &'static [(&'static str, &'static [&'static str])];

const POD_KEYS: Vocab = &[
    ("app", &["a", "b", "ab"]),
    ("tier", &["f", "b"]),
    ("pcns.team", &["t1", "t2"]),
    ("pcsa.role", &["r1", "r2"]),
    ("projectcalico.org/namespace", &["ns0", "ns1"]),
    ("projectcalico.org/serviceaccount", &["default", "sa1"]),
];
const NS_KEYS: Vocab = &[
    ("team", &["t1", "t2"]),
    ("env", &["p", "d"]),
    ("projectcalico.org/name", &["ns0", "ns1", "ns2"]),
];
const SA_KEYS: Vocab = &[
    ("role", &["r1", "r2"]),
    ("projectcalico.org/name", &["default", "sa1"]),
];

fn gen_expr(rng: &mut fastrand::Rng, vocab: Vocab, depth: u32) -> E {
    let (k, vs) = *pick(rng, vocab);
    let v = *pick(rng, vs);
    let sub = |rng: &mut fastrand::Rng| {
        (0..rng.usize(2..4))
            .map(|_| gen_expr(rng, vocab, depth + 1))
            .collect()
    };
    match rng.u8(..if depth > 1 { 10 } else { 14 }) {
        0 => E::All,
        1 => E::Has(k),
        2 => E::Eq(k, v),
        3 => E::Ne(k, v),
        4 => E::In(k, vs.iter().copied().filter(|_| rng.bool()).collect()),
        5 => E::NotIn(k, vec![v]),
        6 => E::Contains(k, &v[..1]),
        7 => E::Starts(k, &v[..1]),
        8 => E::Ends(k, &v[v.len() - 1..]),
        9 => E::Global,
        10 => E::Not(Box::new(gen_expr(rng, vocab, depth + 1))),
        11 => E::And(sub(rng)),
        _ => E::Or(sub(rng)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    Allow,
    Deny,
    Pass,
    Log,
}

impl Act {
    fn name(self) -> &'static str {
        match self {
            Act::Allow => "Allow",
            Act::Deny => "Deny",
            Act::Pass => "Pass",
            Act::Log => "Log",
        }
    }
}

/// A protocol a rule names: TCP/UDP, or ICMP (one of the "other" protocols).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Proto {
    P(Protocol),
    Icmp,
}

#[derive(Debug, Clone)]
enum Port {
    Range(u16, u16),
    Named(&'static str),
}

#[derive(Debug, Clone, Default)]
struct Entity {
    selector: Option<E>,
    not_selector: Option<E>,
    ns_selector: Option<E>,
    sa: Option<(Vec<&'static str>, Option<E>)>,
    nets: Option<Vec<(u32, u32)>>,
    not_nets: Option<Vec<(u32, u32)>>,
    ports: Vec<Port>,
    not_ports: Vec<Port>,
}

#[derive(Debug, Clone)]
struct CRule {
    action: Act,
    protocol: Option<Proto>,
    not_protocol: Option<Proto>,
    source: Entity,
    destination: Entity,
}

#[derive(Debug, Clone)]
struct CPolicy {
    namespace: Option<String>,
    name: String,
    tier: &'static str,
    order: Option<f64>,
    selector: Option<E>,
    ns_selector: Option<E>,
    sa_selector: Option<E>,
    types: Option<Vec<&'static str>>,
    ingress: Vec<CRule>,
    egress: Vec<CRule>,
}

impl CPolicy {
    fn affects(&self, egress: bool) -> bool {
        match &self.types {
            Some(t) => t.contains(&if egress { "Egress" } else { "Ingress" }),
            None if egress => !self.egress.is_empty(),
            None => !self.ingress.is_empty() || self.egress.is_empty(),
        }
    }
}

#[derive(Debug, Clone)]
enum APeer {
    Namespaces(Labels),
    Pods(Labels, Labels),
    Networks(Vec<(u32, u32)>),
}

#[derive(Debug, Clone)]
enum APort {
    Number(Protocol, u16),
    Named(&'static str),
    Range(Protocol, u16, u16),
}

#[derive(Debug, Clone)]
struct ARule {
    action: Act,
    peers: Vec<APeer>,
    ports: Option<Vec<APort>>,
}

#[derive(Debug, Clone)]
struct APolicy {
    name: String,
    priority: u32,
    /// Subject: namespace labels, and pod labels when `pods`.
    subject: (Labels, Option<Labels>),
    ingress: Vec<ARule>,
    egress: Vec<ARule>,
}

/// A NetworkPolicy: its pod selector (matchLabels) and, per direction, `None` (type not
/// set) or allow rules of (peer pod labels in the same namespace, port).
#[derive(Debug, Clone)]
struct KPolicy {
    namespace: String,
    name: String,
    selector: Labels,
    ingress: Option<Vec<(Option<Labels>, Option<u16>)>>,
    egress: Option<Vec<(Option<Labels>, Option<u16>)>>,
}

#[derive(Debug, Clone)]
struct Pod {
    namespace: String,
    name: String,
    labels: Labels,
    sa: &'static str,
    ports: Vec<(&'static str, u16, Protocol)>,
}

struct World {
    namespaces: Vec<(String, Labels)>,
    accounts: Vec<(String, Labels)>,
    pods: Vec<Pod>,
    tiers: Vec<(&'static str, Option<f64>, Act)>,
    calico: Vec<CPolicy>,
    admin: Vec<APolicy>,
    baseline: Option<APolicy>,
    k8s: Vec<KPolicy>,
}

const CIDRS: [(u32, u32); 4] = [
    (0, 0),
    (0x0A00_0000, 8),
    (0x0A01_0000, 16),
    (0x0808_0808, 32),
];

fn in_cidr(ip: u32, (net, prefix): (u32, u32)) -> bool {
    prefix == 0 || (ip ^ net) >> (32 - prefix) == 0
}

fn cidr_text((net, prefix): (u32, u32)) -> String {
    format!("{}/{prefix}", std::net::Ipv4Addr::from(net))
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

const K8S_POD: &[(&str, &[&str])] = &[("app", &["a", "b", "ab"]), ("tier", &["f", "b"])];
const K8S_NS: &[(&str, &[&str])] = &[("team", &["t1", "t2"]), ("env", &["p", "d"])];

fn gen_ports(rng: &mut fastrand::Rng) -> Vec<Port> {
    (0..rng.usize(0..3))
        .map(|_| match rng.u8(..3) {
            0 => Port::Named(word(rng, &["http", "dns"])),
            1 => {
                let a = *pick(rng, &[53u16, 80, 443, 8080]);
                Port::Range(a, a + rng.u16(0..100))
            }
            _ => {
                let a = *pick(rng, &[1u16, 53, 80, 8080, 65535]);
                Port::Range(a, a)
            }
        })
        .collect()
}

fn gen_entity(rng: &mut fastrand::Rng, ports: bool) -> Entity {
    let mut e = Entity::default();
    let opt = |rng: &mut fastrand::Rng, vocab| (rng.u8(..3) == 0).then(|| gen_expr(rng, vocab, 0));
    e.selector = opt(rng, POD_KEYS);
    e.not_selector = opt(rng, POD_KEYS);
    e.ns_selector = opt(rng, NS_KEYS);
    if rng.u8(..5) == 0 {
        let names = ["default", "sa1"]
            .into_iter()
            .filter(|_| rng.bool())
            .collect();
        e.sa = Some((names, opt(rng, SA_KEYS)));
    }
    let nets = |rng: &mut fastrand::Rng| {
        (rng.u8(..4) == 0).then(|| (0..rng.usize(1..3)).map(|_| *pick(rng, &CIDRS)).collect())
    };
    e.nets = nets(rng);
    e.not_nets = nets(rng);
    if ports {
        e.ports = gen_ports(rng);
        e.not_ports = if rng.u8(..3) == 0 {
            gen_ports(rng)
        } else {
            Vec::new()
        };
    }
    e
}

fn gen_crule(rng: &mut fastrand::Rng) -> CRule {
    let protocol = match rng.u8(..5) {
        0 | 1 => None,
        2 => Some(Proto::P(Protocol::Tcp)),
        3 => Some(Proto::P(Protocol::Udp)),
        _ => Some(Proto::Icmp),
    };
    let has_ports = matches!(protocol, Some(Proto::P(_)));
    CRule {
        action: *pick(
            rng,
            &[Act::Allow, Act::Allow, Act::Deny, Act::Pass, Act::Log],
        ),
        not_protocol: (rng.u8(..6) == 0)
            .then(|| *pick(rng, &[Proto::P(Protocol::Tcp), Proto::Icmp])),
        protocol,
        source: gen_entity(rng, false),
        destination: gen_entity(rng, has_ports),
    }
}

fn gen_apeer(rng: &mut fastrand::Rng, egress: bool) -> APeer {
    match rng.u8(..if egress { 3 } else { 2 }) {
        0 => APeer::Namespaces(gen_labels(rng, K8S_NS)),
        1 => APeer::Pods(gen_labels(rng, K8S_NS), gen_labels(rng, K8S_POD)),
        _ => APeer::Networks((0..rng.usize(1..3)).map(|_| *pick(rng, &CIDRS)).collect()),
    }
}

fn gen_apolicy(rng: &mut fastrand::Rng, name: String, baseline: bool) -> APolicy {
    let acts: &[Act] = if baseline {
        &[Act::Allow, Act::Deny]
    } else {
        &[Act::Allow, Act::Deny, Act::Pass]
    };
    let rules = |rng: &mut fastrand::Rng, egress: bool| -> Vec<ARule> {
        (0..rng.usize(0..4))
            .map(|_| ARule {
                action: *pick(rng, acts),
                peers: (0..rng.usize(1..3))
                    .map(|_| gen_apeer(rng, egress))
                    .collect(),
                ports: (rng.bool()).then(|| {
                    (0..rng.usize(1..3))
                        .map(|_| match rng.u8(..3) {
                            0 => APort::Number(
                                *pick(rng, &[Protocol::Tcp, Protocol::Udp]),
                                *pick(rng, &[53, 80, 8080]),
                            ),
                            1 => APort::Named(word(rng, &["http", "dns"])),
                            _ => APort::Range(Protocol::Tcp, 80, 80 + rng.u16(1..9000)),
                        })
                        .collect()
                }),
            })
            .collect()
    };
    APolicy {
        name,
        priority: rng.u32(0..4),
        subject: (
            gen_labels(rng, K8S_NS),
            rng.bool().then(|| gen_labels(rng, K8S_POD)),
        ),
        ingress: rules(rng, false),
        egress: rules(rng, true),
    }
}

fn gen_world(rng: &mut fastrand::Rng) -> World {
    let namespaces: Vec<(String, Labels)> = (0..3)
        .map(|i| (format!("ns{i}"), gen_labels(rng, K8S_NS)))
        .collect();
    let accounts = namespaces
        .iter()
        .map(|(n, _)| (n.clone(), gen_labels(rng, &[("role", &["r1", "r2"])])))
        .collect();
    let pods = (0..rng.usize(3..9))
        .map(|i| Pod {
            namespace: format!("ns{}", rng.usize(0..3)),
            name: format!("w{i}"),
            labels: gen_labels(rng, K8S_POD),
            sa: word(rng, &["default", "sa1"]),
            ports: [
                ("http", 80, Protocol::Tcp),
                ("http", 8080, Protocol::Tcp),
                ("dns", 53, Protocol::Udp),
            ]
            .into_iter()
            .filter(|_| rng.bool())
            .take(1)
            .collect(),
        })
        .collect();
    let tiers = vec![
        ("t1", Some(10.0), *pick(rng, &[Act::Deny, Act::Pass])),
        ("t2", None, *pick(rng, &[Act::Deny, Act::Pass])),
    ];
    let calico = (0..rng.usize(0..6))
        .map(|i| {
            let global = rng.bool();
            let opt = |rng: &mut fastrand::Rng, v| (rng.u8(..3) == 0).then(|| gen_expr(rng, v, 0));
            CPolicy {
                namespace: (!global).then(|| format!("ns{}", rng.usize(0..3))),
                name: format!("c{i}"),
                tier: word(rng, &["default", "default", "t1", "t2"]),
                order: (rng.u8(..4) != 0).then(|| *pick(rng, &[100.0, 1000.0, 1500.0])),
                selector: opt(rng, POD_KEYS),
                ns_selector: if global { opt(rng, NS_KEYS) } else { None },
                sa_selector: opt(rng, SA_KEYS),
                types: match rng.u8(..4) {
                    0 => Some(vec!["Ingress"]),
                    1 => Some(vec!["Egress"]),
                    2 => Some(vec!["Ingress", "Egress"]),
                    _ => None,
                },
                ingress: (0..rng.usize(0..3)).map(|_| gen_crule(rng)).collect(),
                egress: (0..rng.usize(0..3)).map(|_| gen_crule(rng)).collect(),
            }
        })
        .collect();
    let admin = (0..rng.usize(0..3))
        .map(|i| gen_apolicy(rng, format!("a{i}"), false))
        .collect();
    let baseline = rng.bool().then(|| gen_apolicy(rng, "default".into(), true));
    let krules = |rng: &mut fastrand::Rng| {
        rng.bool().then(|| {
            (0..rng.usize(0..3))
                .map(|_| {
                    (
                        rng.bool().then(|| gen_labels(rng, K8S_POD)),
                        rng.bool().then(|| *pick(rng, &[53u16, 80])),
                    )
                })
                .collect()
        })
    };
    let k8s = (0..rng.usize(0..3))
        .map(|i| KPolicy {
            namespace: format!("ns{}", rng.usize(0..3)),
            name: format!("k{i}"),
            selector: gen_labels(rng, K8S_POD),
            ingress: krules(rng),
            egress: krules(rng),
        })
        .collect();
    World {
        namespaces,
        accounts,
        pods,
        tiers,
        calico,
        admin,
        baseline,
        k8s,
    }
}

include!("tiers_support/render.rs");
include!("tiers_support/naive.rs");
