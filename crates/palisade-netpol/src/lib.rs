//! Kubernetes NetworkPolicy (`networking.k8s.io/v1`) semantics over manifests, together with
//! Calico policies and tiers and Kubernetes AdminNetworkPolicies: who can talk to whom, on
//! which protocols and ports, and why.
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
//! Differences from np-guard (v1.4.2, checked by `tests/np_guard.rs` on random worlds, each
//! difference with a test of its own): a workload's pair with itself is kept (np-guard lists
//! none); IPv6 blocks are modelled (np-guard reads them as IPv4); a written
//! `kubernetes.io/metadata.name` label is overridden by the namespace's name, as the API
//! server does; a named port toward addresses matches nothing, and a policy the API server
//! would reject is left out with a diagnostic (np-guard fails the whole run on either);
//! `ports` naming TCP, UDP and SCTP without numbers allows those three only (np-guard:
//! all connections); and np-guard's two port-range bugs (partial egress/ingress overlaps
//! lost, gaps between two policies' ranges filled) are not copied. Bare Pods without
//! `status` count in both (np-guard gives manifests a placeholder address).
//!
//! # Calico and admin policies
//!
//! Besides NetworkPolicies, the model reads Calico `projectcalico.org/v3` NetworkPolicy,
//! GlobalNetworkPolicy and Tier ([`calico`]), `policy.networking.k8s.io/v1alpha1`
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy ([`admin`]), and ServiceAccounts (for
//! their labels). With any of them present, each side of a connection (the source's
//! egress, the destination's ingress) is judged by one ordered evaluation over
//! [`ConnectionSet`]s, where a stage allows part of the traffic, denies part, and hands the
//! rest on:
//!
//! 1. **AdminNetworkPolicies** whose `subject` holds the pod, by `priority` (lower first;
//!    equal priorities, which the API leaves undefined, by name with a
//!    [`DiagnosticKind::SamePriority`] warning), each policy's rules in order: the first rule
//!    whose peers and ports match decides `Allow` or `Deny`; `Pass`, and whatever no rule
//!    matches, go on to stage 2.
//! 2. **Calico tiers** by `order` (lower first, missing last, then by name). The `default`
//!    tier always exists, with Calico's `DefaultTierOrder` (1,000,000). A tier takes part
//!    only when one of its policies applies to the pod in this direction; then its
//!    policies run by `order` (missing last, then by name, as Felix sorts them) and the
//!    first matching rule decides: `Allow`, `Deny`, `Pass` (skip the rest of the tier), or
//!    `Log` (no decision, go on). Traffic the tier leaves undecided gets the Tier's
//!    `defaultAction`: `Deny` (the default) or `Pass`. **Kubernetes NetworkPolicies are
//!    members of the default tier with order 1000**, named `knp.default.<name>`, whose
//!    rules all `Allow`, as Calico's `K8sNetworkPolicyToCalico` converts them: alone they
//!    give exactly the NetworkPolicy semantics above (isolation = the default tier's
//!    end-of-tier `Deny`), and a Calico policy of order below 1000 runs before them.
//! 3. **The BaselineAdminNetworkPolicy** (the one object named `default`), like stage 1,
//!    with `Allow` and `Deny` only: it sees only what stages 1 and 2 left undecided (a pod
//!    isolated by a NetworkPolicy never reaches it).
//! 4. What nothing decided is **allowed**.
//!
//! **Modelling choice**: a real cluster runs one network plugin; Calico's own support for
//! admin policies puts them in tiers of their own (`adminnetworkpolicy` and
//! `baselineadminnetworkpolicy`, default action Pass) around the default tier, so there a
//! named tier ordered before the admin tier would run before AdminNetworkPolicies. This
//! crate always runs AdminNetworkPolicies before every Calico tier and the baseline after
//! all of them, the order the network-policy-api defines relative to NetworkPolicy.
//!
//! [`Model::explain`] reports per side the rules met in order ([`SideExplanation::trail`]:
//! `Log` and `Pass` rules, then the deciding rule) and the [`Decision`]: a rule (its
//! [`Tier`], policy, rule and [`Action`]), the end of a tier, or the default allow.
//!
//! Calico specifics (cited by Calico function name in the code):
//!
//! - **Selectors** ([`calico::selector`]): `==`, `!=`, `in {..}`, `not in {..}`, `has(k)`,
//!   `!has(k)`, `all()`, `global()`, `contains`, `starts with`, `ends with`, `&&`, `||`,
//!   `!`, parentheses, with `!` binding tightest and `||` loosest; `!=` and `not in` also
//!   match pods without the label. A selector that does not parse is a
//!   [`DiagnosticKind::InvalidCalicoSelector`] with its line, and the policy is left out
//!   (Calico's validator refuses it, so it matches nothing). The empty selector is
//!   `all()`.
//! - **Labels** a selector sees on a pod: its own, plus Calico's
//!   `projectcalico.org/namespace`, `projectcalico.org/orchestrator: k8s`,
//!   `projectcalico.org/serviceaccount`, and its namespace's labels as `pcns.<key>` and its
//!   service account's as `pcsa.<key>`. Namespace selectors see the namespace's labels
//!   plus `projectcalico.org/name`; service account selectors the ServiceAccount object's
//!   labels plus `projectcalico.org/name`. Pods without `serviceAccountName` run as
//!   `default`.
//! - **What a policy applies to**: `selector` (within its namespace for a NetworkPolicy),
//!   and a GlobalNetworkPolicy's `namespaceSelector`, and `serviceAccountSelector`, all
//!   together. In a `namespaceSelector`, `all()` means every namespace and `global()` no
//!   pod (Calico rewrites them so). `types` defaults to Ingress when the policy has only
//!   ingress rules or none, Egress when only egress rules, both when both.
//! - **Rule peers** (`source` for ingress, `destination` for egress; the other entity must
//!   match the selected pod itself): `selector`, `notSelector`, `namespaceSelector`,
//!   `serviceAccounts` (`names`, `selector`), `nets`, `notNets`, all together. As Calico's
//!   `getEndpointSelector`: in a namespaced policy, or with a `namespaceSelector`, using any
//!   selector field (`notSelector` too) limits the peer to pods of the policy's (or the
//!   selected) namespaces; a rule with no selector field matches addresses as well. As
//!   with ipBlocks, **pods are never inside `nets`** (so `nets` never match a pod and
//!   `notNets` never exclude one), and a positive selector never matches an address
//!   (NetworkSets are not modelled).
//! - **Ports and protocols**: `protocol`/`notProtocol` (TCP, UDP, SCTP, also by number;
//!   any other protocol is folded into the matrix's single "other protocols" flag, so
//!   naming ICMP reads as naming every other protocol), destination `ports`/`notPorts`
//!   (numbers, `"first:last"` ranges, named ports resolved against the destination pod's
//!   container ports with the rule's protocol). Ports need protocol TCP, UDP or SCTP
//!   (`validateRule`); ports outside 1..65535 and reversed ranges are rejected.
//! - **Not modelled**, with a [`DiagnosticKind::NotModelled`] warning: `source.ports` and
//!   `http` matches (the rule is treated as matching nothing), `preDNAT`/`doNotTrack`
//!   policies (host endpoints only; left out), host endpoints and NetworkSets. A policy
//!   in a tier no Tier object defines warns ([`DiagnosticKind::UnknownTier`]) and the tier
//!   is assumed, ordered last, with `defaultAction: Deny`. Named ports (Calico or admin)
//!   that no pod the rule reaches defines are [`DiagnosticKind::UnmatchedNamedPort`]
//!   warnings.
//!
//! Admin policy specifics: `subject` is `namespaces` or `pods` (namespace and pod
//! selectors); peers are `namespaces`, `pods`, and for egress `networks` (CIDRs, which like
//! ipBlocks match only addresses outside the cluster) and `nodes` (not modelled: a
//! warning, and the peer matches nothing); ports are `portNumber`, `namedPort` (the
//! destination pod's port of that name, with its protocol) and `portRange`; no `ports`
//! means all traffic. What the CRDs refuse (priority outside 0..1000, unknown action, a
//! peer with zero or two fields, bad CIDRs and ports, a baseline not named `default`) is a
//! diagnostic with its line, and the object is left out.
//!
//! Performance: the matrix keys each endpoint by the steps of a side's plan its peers
//! match, evaluates each distinct key once, and shares keys and ingress columns between
//! pods with equal plans (see `tests/scale.rs`).
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

pub mod admin;
mod bitset;
pub mod calico;
pub mod compare;
pub mod conn;
pub mod diag;
pub mod endpoints;
mod eval;
pub mod exposure;
pub mod flows;
mod index;
pub mod ip;
mod label_map;
mod labels;
pub mod matrix;
mod model;
mod others;
pub mod picture;
mod pod_index;
pub mod policy;
pub mod quarantine;
mod reporter;
pub mod scan;
mod tiers;

pub use admin::{AdminKind, AdminPeer, AdminPolicy, AdminPort, AdminRule, Subject};
pub use calico::{CalicoKind, CalicoPolicy, CalicoPort, CalicoRule, EntityRule, ProtocolMatch};
pub use compare::{compare, parse_critical, Change, CriticalFlow, End, Snapshot};
pub use conn::{ConnectionSet, PortSet, Protocol};
pub use diag::{Diagnostic, DiagnosticKind, Level};
pub use endpoints::{ContainerPort, Namespace, Pods, NAMESPACE_NAME_LABEL};
pub use eval::{explain, Action, Decision, Explanation, RuleRef, SideExplanation, Tier};
pub use ip::{Family, IpSet};
pub use label_map::LabelMap;
pub use matrix::{matrix, Cell, Matrix};
pub use model::{Endpoint, EndpointId, LookupError, Model, PerObjectRead, PolicyId};
pub use picture::{
    picture, GraphEdge, GraphNode, Group, Picture, PictureOptions, SensitivePort, SENSITIVE_PORTS,
};
pub use policy::{Direction, NetworkPolicy, Peer, PeerKind, PortMatch, PortSpec, Rule};
pub use quarantine::{quarantine, Quarantine, QuarantineOptions};
