//! One Hubble flow record, as `hubble observe -o jsonpb` prints it.
//!
//! The schema is cilium's `api/v1/flow/flow.proto` (message `Flow`) wrapped in
//! `observer.proto`'s `GetFlowsResponse` (`{"flow": {...}, "node_name": ..., "time": ...}`).
//! Hubble marshals with the proto field names (`source_port`, `pod_name`, `is_reply`,
//! `traffic_direction`, and the upper-case `IP`, `Type`, `Summary`, `ID`), enums as their
//! names, `uint64` as strings and `google.protobuf.BoolValue` as a bare boolean. Proto3 JSON
//! parsers also accept the lowerCamelCase names (`sourcePort`, `podName`, `isReply`), so
//! the reader looks for both. Fields this crate does not use (ethernet, tunnel, trace
//! context, ...) are ignored; an unknown enum name is kept as text.

use std::sync::Arc;

use serde_json::Value;

/// `Verdict` of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// `FORWARDED`: the packet went on to the next entity.
    Forwarded,
    /// `DROPPED` (see [`Flow::drop_reason`]).
    Dropped,
    /// `ERROR`.
    Error,
    /// `AUDIT`: policy audit mode; the traffic passed but policy would have dropped it.
    Audit,
    /// `REDIRECTED` to the L7 proxy.
    Redirected,
    /// `TRACED`: seen at a trace point, no verdict yet.
    Traced,
    /// `TRANSLATED`: an address was translated.
    Translated,
    /// `VERDICT_UNKNOWN`, a missing verdict, or a name this crate does not know.
    Unknown(String),
}

impl Verdict {
    fn parse(text: &str) -> Verdict {
        match text {
            "FORWARDED" => Verdict::Forwarded,
            "DROPPED" => Verdict::Dropped,
            "ERROR" => Verdict::Error,
            "AUDIT" => Verdict::Audit,
            "REDIRECTED" => Verdict::Redirected,
            "TRACED" => Verdict::Traced,
            "TRANSLATED" => Verdict::Translated,
            other => Verdict::Unknown(other.to_string()),
        }
    }

    /// True when the traffic actually passed: `FORWARDED`, `REDIRECTED` (to the proxy, which
    /// then forwards it) and `AUDIT` (audit mode lets it through; that is the mode meant for
    /// learning what an application does).
    pub fn passed(&self) -> bool {
        matches!(
            self,
            Verdict::Forwarded | Verdict::Redirected | Verdict::Audit
        )
    }
}

/// `TrafficDirection` of a flow, relative to the endpoint where it was observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrafficDirection {
    /// `INGRESS`
    Ingress,
    /// `EGRESS`
    Egress,
    /// `TRAFFIC_DIRECTION_UNKNOWN` or missing.
    Unknown,
}

/// TCP header flags (`TCPFlags`); only those that tell a request from a reply are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags {
    /// `SYN`
    pub syn: bool,
    /// `ACK`
    pub ack: bool,
    /// `FIN`
    pub fin: bool,
    /// `RST`
    pub rst: bool,
}

/// The `l4` oneof.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Layer4 {
    /// `TCP`
    Tcp {
        /// `source_port`
        source_port: u16,
        /// `destination_port`
        destination_port: u16,
        /// `flags`
        flags: TcpFlags,
    },
    /// `UDP`
    Udp {
        /// `source_port`
        source_port: u16,
        /// `destination_port`
        destination_port: u16,
    },
    /// `SCTP`
    Sctp {
        /// `source_port`
        source_port: u16,
        /// `destination_port`
        destination_port: u16,
    },
    /// `ICMPv4` (`type`, `code`)
    IcmpV4 {
        /// ICMP type.
        icmp_type: u32,
        /// ICMP code.
        code: u32,
    },
    /// `ICMPv6`
    IcmpV6 {
        /// ICMP type.
        icmp_type: u32,
        /// ICMP code.
        code: u32,
    },
}

/// A `Workload` of an endpoint (its controller, as Hubble resolved it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowWorkload {
    /// `name`
    pub name: String,
    /// `kind` (`Deployment`, `StatefulSet`, ...), may be empty.
    pub kind: String,
}

/// The `source` or `destination` `Endpoint` of a flow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FlowEndpoint {
    /// `ID`: Cilium's endpoint id (local endpoints only).
    pub id: Option<u32>,
    /// `identity`: the security identity (2 is `reserved:world`).
    pub identity: Option<u32>,
    /// `namespace`
    pub namespace: Option<String>,
    /// `labels` as Hubble prints them: `source:key=value` (`k8s:app=web`,
    /// `reserved:world`, `cidr:203.0.113.7/32`).
    pub labels: Vec<String>,
    /// `pod_name`
    pub pod_name: Option<String>,
    /// `workloads`
    pub workloads: Vec<FlowWorkload>,
}

/// An HTTP record (`l7.http`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct HttpRecord {
    /// `code` (responses).
    pub code: Option<u32>,
    /// `method`
    pub method: String,
    /// `url`, as the proxy logged it (often absolute: `http://host:port/path?query`).
    pub url: String,
    /// `protocol` (`HTTP/1.1`).
    pub protocol: Option<String>,
}

/// A DNS record (`l7.dns`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DnsRecord {
    /// `query` (a fully qualified name with its trailing dot).
    pub query: String,
    /// `ips` of the answer.
    pub ips: Vec<String>,
    /// `rcode`
    pub rcode: Option<u32>,
    /// `qtypes`
    pub qtypes: Vec<String>,
}

/// `L7FlowType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L7Type {
    /// `REQUEST`
    Request,
    /// `RESPONSE`
    Response,
    /// `SAMPLE`
    Sample,
    /// `UNKNOWN_L7_TYPE` or missing.
    Unknown,
}

/// The `l7` record of an `L7` flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Layer7 {
    /// `type`
    pub kind: L7Type,
    /// `http`, when the record is HTTP.
    pub http: Option<HttpRecord>,
    /// `dns`, when the record is DNS.
    pub dns: Option<DnsRecord>,
    /// True when the record is Kafka (not used further).
    pub kafka: bool,
}

/// One flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flow {
    /// The line of the input it came from (1-based).
    pub line: usize,
    /// `time` (RFC 3339), as printed.
    pub time: Option<String>,
    /// `verdict`
    pub verdict: Verdict,
    /// `drop_reason_desc` (`POLICY_DENIED`, ...).
    pub drop_reason: Option<String>,
    /// `IP.source`
    pub source_ip: Option<String>,
    /// `IP.destination`
    pub destination_ip: Option<String>,
    /// `l4`
    pub l4: Option<Layer4>,
    /// `source` (shared between the flows of one input that name the same endpoint).
    pub source: Arc<FlowEndpoint>,
    /// `destination` (shared likewise).
    pub destination: Arc<FlowEndpoint>,
    /// `Type` (`L3_L4`, `L7`, `SOCK`).
    pub flow_type: Option<String>,
    /// `l7`
    pub l7: Option<Layer7>,
    /// `traffic_direction`
    pub traffic_direction: TrafficDirection,
    /// `is_reply` (`None`: Hubble did not know); falls back to the deprecated `reply`.
    pub is_reply: Option<bool>,
    /// `node_name`
    pub node_name: Option<String>,
    /// `Summary`
    pub summary: Option<String>,
}

/// Looks a field up by its proto name or, failing that, by its lowerCamelCase JSON name
/// (proto3 JSON parsers accept both).
pub(crate) fn field<'a>(v: &'a Value, proto_name: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    if let Some(x) = obj.get(proto_name) {
        return Some(x);
    }
    if !proto_name.contains('_') {
        return None;
    }
    let mut camel = String::with_capacity(proto_name.len());
    let mut upper = false;
    for c in proto_name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            camel.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            camel.push(c);
        }
    }
    obj.get(&camel)
}

fn string(v: &Value, name: &str) -> Option<String> {
    field(v, name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A protobuf integer: a JSON number, or a string holding one (how 64-bit integers are
/// printed, and what parsers accept for any integer).
fn uint(v: &Value, name: &str) -> Option<u64> {
    match field(v, name)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn port(v: &Value, name: &str) -> Result<u16, String> {
    match uint(v, name) {
        None => Ok(0), // proto3 leaves zero values out
        Some(n) => u16::try_from(n).map_err(|_| format!("`{name}` {n} is not a port")),
    }
}

fn strings(v: &Value, name: &str) -> Vec<String> {
    field(v, name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn flag(v: &Value, name: &str) -> bool {
    field(v, name).and_then(Value::as_bool).unwrap_or(false)
}

fn endpoint(v: Option<&Value>) -> FlowEndpoint {
    let Some(v) = v else {
        return FlowEndpoint::default();
    };
    let workloads = field(v, "workloads")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|w| {
                    Some(FlowWorkload {
                        name: string(w, "name")?,
                        kind: string(w, "kind").unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    FlowEndpoint {
        id: uint(v, "ID").and_then(|n| u32::try_from(n).ok()),
        identity: uint(v, "identity").and_then(|n| u32::try_from(n).ok()),
        namespace: string(v, "namespace"),
        labels: strings(v, "labels"),
        pod_name: string(v, "pod_name"),
        workloads,
    }
}

fn layer4(v: &Value) -> Result<Option<Layer4>, String> {
    let ports =
        |p: &Value| Ok::<_, String>((port(p, "source_port")?, port(p, "destination_port")?));
    if let Some(t) = field(v, "TCP") {
        let (source_port, destination_port) = ports(t)?;
        let f = field(t, "flags");
        let flags = f
            .map(|f| TcpFlags {
                syn: flag(f, "SYN"),
                ack: flag(f, "ACK"),
                fin: flag(f, "FIN"),
                rst: flag(f, "RST"),
            })
            .unwrap_or_default();
        return Ok(Some(Layer4::Tcp {
            source_port,
            destination_port,
            flags,
        }));
    }
    if let Some(u) = field(v, "UDP") {
        let (source_port, destination_port) = ports(u)?;
        return Ok(Some(Layer4::Udp {
            source_port,
            destination_port,
        }));
    }
    if let Some(s) = field(v, "SCTP") {
        let (source_port, destination_port) = ports(s)?;
        return Ok(Some(Layer4::Sctp {
            source_port,
            destination_port,
        }));
    }
    let small = |i: &Value, name: &str| {
        uint(i, name)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    let icmp = |i: &Value| (small(i, "type"), small(i, "code"));
    if let Some(i) = field(v, "ICMPv4") {
        let (icmp_type, code) = icmp(i);
        return Ok(Some(Layer4::IcmpV4 { icmp_type, code }));
    }
    if let Some(i) = field(v, "ICMPv6") {
        let (icmp_type, code) = icmp(i);
        return Ok(Some(Layer4::IcmpV6 { icmp_type, code }));
    }
    Ok(None)
}

fn layer7(v: &Value) -> Layer7 {
    let kind = match field(v, "type").and_then(Value::as_str) {
        Some("REQUEST") => L7Type::Request,
        Some("RESPONSE") => L7Type::Response,
        Some("SAMPLE") => L7Type::Sample,
        _ => L7Type::Unknown,
    };
    let http = field(v, "http").map(|h| HttpRecord {
        code: uint(h, "code").and_then(|n| u32::try_from(n).ok()),
        method: string(h, "method").unwrap_or_default(),
        url: string(h, "url").unwrap_or_default(),
        protocol: string(h, "protocol"),
    });
    let dns = field(v, "dns").map(|d| DnsRecord {
        query: string(d, "query").unwrap_or_default(),
        ips: strings(d, "ips"),
        rcode: uint(d, "rcode").and_then(|n| u32::try_from(n).ok()),
        qtypes: strings(d, "qtypes"),
    });
    Layer7 {
        kind,
        http,
        dns,
        kafka: field(v, "kafka").is_some(),
    }
}

/// What one JSON line holds.
pub(crate) enum Record {
    /// A flow.
    Flow(Box<Flow>),
    /// A well-formed response without a flow (`node_status`, `lost_events`, ...).
    Other,
}

/// Decodes one parsed line: a `GetFlowsResponse` (`{"flow": ...}`), or a bare `Flow` (what
/// `-o json` of older Hubble versions printed). A line that is neither is an error.
pub(crate) fn decode(line: usize, v: &Value) -> Result<Record, String> {
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let flow = match field(v, "flow") {
        Some(f) if f.is_object() => f,
        Some(_) => return Err("`flow` is not an object".into()),
        None if field(v, "verdict").is_some() || field(v, "IP").is_some() => v,
        None => {
            const OTHERS: [&str; 4] = ["node_status", "lost_events", "agent_event", "debug_event"];
            return if OTHERS.iter().any(|k| field(v, k).is_some()) {
                Ok(Record::Other)
            } else {
                Err("neither a flow nor another observer response".into())
            };
        }
    };
    let ip = field(flow, "IP");
    let is_reply = match field(flow, "is_reply") {
        Some(Value::Bool(b)) => Some(*b),
        // A BoolValue may also be printed as its wrapper object.
        Some(Value::Object(o)) => o.get("value").and_then(Value::as_bool),
        _ => field(flow, "reply").and_then(Value::as_bool).filter(|b| *b),
    };
    let traffic_direction = match field(flow, "traffic_direction").and_then(Value::as_str) {
        Some("INGRESS") => TrafficDirection::Ingress,
        Some("EGRESS") => TrafficDirection::Egress,
        _ => TrafficDirection::Unknown,
    };
    Ok(Record::Flow(Box::new(Flow {
        line,
        time: string(flow, "time").or_else(|| string(v, "time")),
        verdict: field(flow, "verdict")
            .and_then(Value::as_str)
            .map(Verdict::parse)
            .unwrap_or(Verdict::Unknown(String::new())),
        drop_reason: string(flow, "drop_reason_desc"),
        source_ip: ip.and_then(|i| string(i, "source")),
        destination_ip: ip.and_then(|i| string(i, "destination")),
        l4: match field(flow, "l4") {
            Some(l4) => layer4(l4)?,
            None => None,
        },
        source: Arc::new(endpoint(field(flow, "source"))),
        destination: Arc::new(endpoint(field(flow, "destination"))),
        flow_type: string(flow, "Type"),
        l7: field(flow, "l7").map(layer7),
        traffic_direction,
        is_reply,
        node_name: string(flow, "node_name").or_else(|| string(v, "node_name")),
        summary: string(flow, "Summary"),
    })))
}
