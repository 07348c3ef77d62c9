//! Node and exposure analysis.
//!
//! [`probe`] connects to Kubernetes components over the network (etcd, kubelet, API server,
//! dashboard, NodePorts), sends only read-only requests, and turns what answers into
//! [`palisade_core::Finding`]s.
//!
//! ```no_run
//! use palisade_node::probe::{self, ProbeOptions};
//!
//! let options = ProbeOptions::default();
//! let targets = vec![probe::parse_target("127.0.0.1:2379", &options).unwrap()];
//! let run = probe::run(&targets, &options);
//! for finding in probe::findings(&run) {
//!     println!("{} {}", finding.rule_id, finding.message);
//! }
//! ```

pub mod probe;
