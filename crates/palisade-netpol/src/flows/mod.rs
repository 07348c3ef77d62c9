//! Learning from traffic: Cilium Hubble flows read, mapped onto the model, turned into
//! least-privilege policies, and checked against the current ones.
//!
//! - [`read_flows`] streams the JSON Lines of `hubble observe -o jsonpb` (one
//!   `GetFlowsResponse` per line) into [`Flows`]; corrupt, truncated or over-long lines are
//!   skipped, counted and listed with their line numbers.
//! - [`map_flows`] places each flow's source and destination on the model (see
//!   [`mapping`] for the order: Hubble's workload, the pod name, the labels) and folds the
//!   flows into [`Observed`] connections; replies are not connections.
//! - [`generate()`] writes a NetworkPolicy (or, with [`Format::Cilium`], a
//!   CiliumNetworkPolicy with L7 HTTP rules) per workload and direction that allows exactly
//!   what was observed.
//! - [`check_flows`] lists observed connections the current policies would deny, naming
//!   the denying side and its policies, and allowed workload pairs no flow used.
//!
//! Which flows count: verdicts `FORWARDED`, `REDIRECTED` and `AUDIT` are traffic that
//! passed (audit mode is the mode for learning); `DROPPED` flows are kept apart in
//! [`Mapped::dropped`] and never become allowances; socket-level (`SOCK`) events and
//! other verdicts are ignored.

pub mod check;
pub mod cilium;
pub mod generate;
pub mod mapping;
mod plan;
pub mod reader;
pub mod record;
mod yaml;

pub use check::{check_flows, DeniedFlow, FlowCheck, UnusedPath};
pub use generate::{generate, Format, GenerateOptions, Generated, GeneratedPolicy};
pub use mapping::{map_flows, resolve, FlowPeer, Mapped, Observed, Transport};
pub use reader::{parse_flows, read_flows, Flows, ReadLimits, SkipReason, SkippedLine};
pub use record::{
    DnsRecord, Flow, FlowEndpoint, FlowWorkload, HttpRecord, L7Type, Layer4, Layer7, TcpFlags,
    TrafficDirection, Verdict,
};
