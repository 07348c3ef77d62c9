//! Kubernetes NetworkPolicy (`networking.k8s.io/v1`) semantics over manifests: who can talk
//! to whom, on which protocols and ports, and why.
//!
//! # The model
//!
//! [`Model::from_objects`] reads an input's objects:
//!
//! - **Namespaces** with their labels. Every namespace carries the automatic label
//!   `kubernetes.io/metadata.name=<name>` (the API server sets it and overrides any value
//!   written). A namespace that objects live in but that the input does not declare exists
//!   with that label alone. Objects without `metadata.namespace` are in `default`, as with
//!   `kubectl apply` and np-guard's netpol-analyzer.
//! - **Endpoints**: each workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
//!   CronJob, ReplicationController, any object with a pod template, bare Pod) is one
//!   endpoint standing for all its pods, with the pod template's labels and its regular
//!   containers' ports (see [`endpoints::collect`] for how owned objects are not counted
//!   twice). Then the **external address classes**: the address space cut into the coarsest
//!   pieces that every `ipBlock` the policies mention treats alike (np-guard style), so
//!   "to 0.0.0.0/0 except 10.0.0.0/8" is the class `0.0.0.0-9.255.255.255,11.0.0.0-…`.
//!   IPv4 is always present (one class `0.0.0.0/0` when no policy mentions addresses);
//!   IPv6 classes appear only when some policy mentions an IPv6 block.
//! - **Policies** parsed into typed form ([`NetworkPolicy`], [`Rule`], [`Peer`], [`PortSpec`])
//!   with the [`Location`](palisade_core::Location) of each. A policy the API server would
//!   reject (what `ValidateNetworkPolicySpec` checks: CIDRs and excepts, ports, endPort,
//!   protocols, port names, peers, policyTypes, selector operators and label syntax) is left
//!   out, with a [`Diagnostic`] per problem (file:line). Named ports that no destination
//!   defines, CIDRs with host bits and replaced duplicates are warnings. See
//!   [`Model::diagnostics`].
//! - The same object defined twice (kind, namespace, name): the **last definition counts**,
//!   as applying the input in order would leave it; a rejected later policy replaces
//!   nothing, as its apply would fail.
//!
//! # Semantics
//!
//! Following the Kubernetes API reference and docs; where they are silent, np-guard's
//! netpol-analyzer (cited by function name in the code):
//!
//! - A pod is **isolated** for a direction iff some policy in its namespace selects it
//!   (`podSelector`, empty selects all) and has that type in `policyTypes`. Missing
//!   `policyTypes` defaults to `Ingress`, plus `Egress` when `egress` has rules
//!   (`SetDefaults_NetworkPolicy`). A policy with `ingress: []` (or none) that affects
//!   ingress allows no ingress.
//! - A connection is allowed iff the source's egress allows it **and** the destination's
//!   ingress allows it. A non-isolated side allows everything; an isolated side allows the
//!   union of its isolating policies' rules whose peers match the other side.
//! - Peers: missing or empty `from`/`to` matches everything, external addresses included;
//!   `podSelector` alone means pods of the policy's namespace; `namespaceSelector` alone
//!   means every pod of matching namespaces; both in one peer means their conjunction;
//!   `ipBlock` is `cidr` minus `except`. Selectors support `matchLabels` and
//!   `matchExpressions` (`In`, `NotIn`, `Exists`, `DoesNotExist`) via
//!   [`palisade_core::selector`].
//! - **ipBlocks never match pods** (the docs say ipBlock is meant for cluster-external
//!   addresses because pod IPs are ephemeral; np-guard's `ruleSelectsPeer` assumes the
//!   same), and selectors never match external addresses.
//! - Ports: missing or empty `ports` allows all traffic (every protocol, ICMP included);
//!   otherwise only the listed protocol/port entries: `protocol` defaults to TCP, no
//!   `port` means every port of that protocol, `endPort` makes a range, and a named port
//!   resolves against the **destination** pod's container ports, counting only when the
//!   container port's protocol equals the rule's (np-guard's `getPortsRange`). A named port
//!   toward an external address matches nothing.
//! - A workload's cell with itself in the matrix is the traffic between its replicas (a
//!   pod reaching itself over loopback is not policy-controlled). np-guard lists no such
//!   pairs; filter them out to compare.
//! - Traffic between two external classes is not modelled ([`Matrix::get`] gives `None`).
//! - `hostNetwork` pods are treated like any other pod (the docs leave their behaviour to
//!   the network plugin).
//!
//! Differences from np-guard, on purpose: bare Pods without `status` count (np-guard skips
//! unscheduled pods); IPv6 blocks are modelled; a policy the API server would reject is
//! left out with a diagnostic instead of failing the whole run.
//!
//! # Later tiers
//!
//! AdminNetworkPolicy (by priority), then NetworkPolicy, then BaselineAdminNetworkPolicy,
//! and Calico's ordered policies, all decide per direction with allow/deny/pass actions
//! over [`ConnectionSet`]s: a tier yields the connections it allows and those it denies,
//! and what it leaves undecided falls through to the next. This crate's NetworkPolicy tier
//! is one such step (isolated: allows its union and denies the rest; not isolated: decides
//! nothing, so the default "allow" applies), which is why [`RuleRef`] carries a [`Tier`]
//! and an [`Action`], and [`Explanation`] lists rules per side. In the matrix, a tier
//! before NetworkPolicy would contribute per-pair allow/deny sets computed with the same
//! bit-set keys (its rules' peers), combined before the NetworkPolicy step.
//!
//! # Example
//!
//! ```
//! use palisade_core::inventory::load_str;
//! use palisade_netpol::{matrix, Model, Protocol};
//!
//! let text = "\
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: {name: web, namespace: shop}
//! spec:
//!   template:
//!     metadata: {labels: {app: web}}
//!     spec: {containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]}
//! ---
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: {name: db, namespace: shop}
//! spec:
//!   template:
//!     metadata: {labels: {app: db}}
//!     spec: {containers: [{name: db, image: postgres}]}
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: NetworkPolicy
//! metadata: {name: web-in, namespace: shop}
//! spec:
//!   podSelector: {matchLabels: {app: web}}
//!   ingress:
//!   - from: [{podSelector: {matchLabels: {app: db}}}]
//!     ports: [{port: http}]
//! ";
//! let objects = load_str("shop.yaml", text, &Default::default()).objects;
//! let model = Model::from_objects(&objects);
//! let web = model.lookup("shop/web").unwrap();
//! let db = model.lookup("Deployment/shop/db").unwrap();
//! let m = matrix(&model);
//! assert_eq!(m.get(db, web).unwrap().to_string(), "TCP 8080");
//! assert_eq!(m.get(web, db).unwrap().to_string(), "All");
//!
//! let why = model.explain(db, web, 8080, Protocol::Tcp).unwrap();
//! assert!(why.allowed && why.ingress.isolated);
//! assert_eq!(why.ingress.allowed_by[0].location.line, 23);
//! ```

#![deny(missing_docs)]

mod bitset;
pub mod compare;
pub mod conn;
pub mod diag;
pub mod endpoints;
mod eval;
pub mod exposure;
mod index;
pub mod ip;
mod labels;
pub mod matrix;
mod model;
pub mod policy;
pub mod quarantine;
pub mod scan;

pub use compare::{compare, parse_critical, Change, CriticalFlow, End, Snapshot};
pub use conn::{ConnectionSet, PortSet, Protocol};
pub use diag::{Diagnostic, DiagnosticKind, Level};
pub use endpoints::{ContainerPort, Namespace, Pods, NAMESPACE_NAME_LABEL};
pub use eval::{explain, Action, Explanation, RuleRef, SideExplanation, Tier};
pub use ip::{Family, IpSet};
pub use matrix::{matrix, Cell, Matrix};
pub use model::{Endpoint, EndpointId, LookupError, Model, PolicyId};
pub use policy::{Direction, NetworkPolicy, Peer, PeerKind, PortMatch, PortSpec, Rule};
pub use quarantine::{quarantine, Quarantine, QuarantineOptions};
