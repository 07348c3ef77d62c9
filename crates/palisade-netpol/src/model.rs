//! The connectivity model: namespaces, endpoints (workloads and external address classes),
//! the admitted policies, and the diagnostics about the rest.

use std::fmt;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};
use palisade_core::{Object, Workload};

use crate::admin::AdminPolicy;
use crate::calico::{CalicoPolicy, Tier};
use crate::diag::{Diagnostic, DiagnosticKind, Level};
use crate::endpoints::{self, Namespace, Pods};
use crate::exposure::services::{self, ServiceRead};
use crate::index::{self, Index};
use crate::ip::{self, IpSet};
use crate::others;
use crate::policy::{self, Direction, NetworkPolicy, PeerKind, PortMatch};
use crate::scan::ports::{self, PortPlace};
use crate::tiers::index::World;
use crate::tiers::{self, load, TierIndex};

/// An endpoint's position in [`Model::endpoints`] (and in a [`crate::Matrix`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndpointId(pub u32);

impl EndpointId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A policy's position in [`Model::policies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyId(pub u32);

impl PolicyId {
    /// As an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One node of the connectivity graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// The pods of one workload.
    Pods(Pods),
    /// A class of addresses outside the cluster that every policy treats alike (a piece of
    /// the partition of the address space by the ipBlocks the policies mention).
    External(IpSet),
}

impl Endpoint {
    /// The pods, when this is a workload.
    pub fn as_pods(&self) -> Option<&Pods> {
        match self {
            Endpoint::Pods(p) => Some(p),
            Endpoint::External(_) => None,
        }
    }

    /// True for an external address class.
    pub fn is_external(&self) -> bool {
        matches!(self, Endpoint::External(_))
    }
}

/// `Kind/namespace/name` for workloads (the form [`Model::lookup`] takes), the address
/// ranges for external classes.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Pods(p) => write!(f, "{}/{}/{}", p.kind(), p.namespace, p.name()),
            Endpoint::External(ips) => write!(f, "{ips}"),
        }
    }
}

/// Why [`Model::lookup`] found no single endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// Nothing by that name.
    NotFound(String),
    /// `NS/NAME` names workloads of several kinds: these `Kind/NS/NAME` spellings pick one.
    Ambiguous(Vec<String>),
    /// Neither `NS/NAME`, `Kind/NS/NAME` nor an IP address.
    BadSyntax(String),
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::NotFound(t) => write!(f, "no workload `{t}` in the input"),
            LookupError::Ambiguous(c) => write!(f, "ambiguous; say one of: {}", c.join(", ")),
            LookupError::BadSyntax(t) => {
                write!(f, "`{t}` is not NS/NAME, KIND/NS/NAME or an IP address")
            }
        }
    }
}

impl std::error::Error for LookupError {}

/// The `networking.k8s.io/v1` NetworkPolicies of a run of objects, in order, with the
/// problems met parsing them.
fn parse_policies(objects: &[Object], diagnostics: &mut Vec<Diagnostic>) -> Vec<NetworkPolicy> {
    objects
        .iter()
        .filter(|o| o.is("NetworkPolicy") && o.id.api_version == "networking.k8s.io/v1")
        .filter_map(|o| policy::parse(o, diagnostics))
        .collect()
}

/// The NetworkPolicies (last definitions, sorted by namespace and name), the Calico and
/// admin policies (read from `others`, [`crate::others`]), and the diagnostics about them,
/// given the policies parsed from every object, in order, and the diagnostics met parsing
/// them.
fn policies_read(
    others: &[&Object],
    parsed: Vec<NetworkPolicy>,
    mut diagnostics: Vec<Diagnostic>,
) -> (Vec<NetworkPolicy>, load::Extra, Vec<Diagnostic>) {
    let mut policies = last_definitions(parsed, &mut diagnostics);
    policies.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let extra = load::load(others, &mut diagnostics);
    (policies, extra, diagnostics)
}

/// Keeps the last admitted definition of each policy (namespace and name), as applying the
/// input in order would; each replaced one gets a warning.
fn last_definitions(
    parsed: Vec<NetworkPolicy>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<NetworkPolicy> {
    let mut last: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, p) in parsed.iter().enumerate() {
        last.insert((p.namespace.as_str(), p.name.as_str()), i);
    }
    let keep: Vec<bool> = parsed
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let winner = last[&(p.namespace.as_str(), p.name.as_str())];
            if winner != i {
                diagnostics.push(Diagnostic {
                    level: Level::Warning,
                    kind: DiagnosticKind::Duplicate,
                    object: Arc::clone(&p.object),
                    location: p.location.clone(),
                    field: "metadata.name".into(),
                    message: format!(
                        "defined again at {}; the later definition replaces this one, as \
                         `kubectl apply` would",
                        parsed[winner].location
                    ),
                });
            }
            winner == i
        })
        .collect();
    parsed
        .into_iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(p))
        .collect()
}

/// The whole model. Build it with [`Model::from_objects`].
#[derive(Debug, Clone, Default)]
pub struct Model {
    namespaces: Vec<Namespace>,
    endpoints: Vec<Endpoint>,
    pod_count: usize,
    policies: Vec<NetworkPolicy>,
    calico: Vec<CalicoPolicy>,
    tiers: Vec<Tier>,
    admin: Vec<AdminPolicy>,
    diagnostics: Vec<Diagnostic>,
    pub(crate) index: Index,
    pub(crate) tier_index: TierIndex,
}

/// What the network scan needs from each object alone, read from a run of objects while
/// their trees are in cache ([`PerObjectRead::of`]): the model's workloads and
/// NetworkPolicies, and beside the model, the container ports' places and the Services its
/// rules read. Runs read apart are joined with [`PerObjectRead::append`]; the scan takes the
/// ports' places and the Services, and builds the model from the rest ([`Model::from_read`]).
#[derive(Default)]
pub struct PerObjectRead {
    /// The workloads, each with its index in the objects.
    workloads: Vec<(usize, endpoints::WorkloadRead)>,
    /// The `networking.k8s.io/v1` NetworkPolicies, in order.
    policies: Vec<NetworkPolicy>,
    /// The problems met parsing them, in order.
    diagnostics: Vec<Diagnostic>,
    /// Where each workload declares its container ports, with its index in the objects.
    port_places: Vec<(usize, Vec<PortPlace>)>,
    /// The `v1` Services, each with its index in the objects.
    services: Vec<(usize, ServiceRead)>,
    /// The indexes of the objects [`crate::others`] lists, in order.
    others: Vec<usize>,
}

impl PerObjectRead {
    /// Reads a run of objects.
    pub fn of(objects: &[Object]) -> PerObjectRead {
        let mut diagnostics = Vec::new();
        let policies = parse_policies(objects, &mut diagnostics);
        // The workloads' lists are sized before they are filled: kept until the inventory is
        // complete, and grown by doubling, they were copied and faulted in again and again.
        let mut found = Vec::with_capacity(objects.len());
        let mut services = Vec::new();
        let mut others = Vec::new();
        for (i, obj) in objects.iter().enumerate() {
            if others::is_other(obj) {
                others.push(i);
            }
            if let Some(service) = services::read(obj) {
                services.push((i, service));
            }
            if let Some(w) = Workload::of(obj) {
                found.push((i, w));
            }
        }
        // One look at each object's pod spec for both the endpoint and its ports' places.
        let mut workloads = Vec::with_capacity(found.len());
        let mut port_places = Vec::with_capacity(found.len());
        for (i, w) in found {
            let obj = w.object;
            workloads.push((i, endpoints::WorkloadRead::of(obj, &w)));
            let places = ports::places_of(obj, &w);
            if !places.is_empty() {
                port_places.push((i, places));
            }
        }
        PerObjectRead {
            workloads,
            policies,
            diagnostics,
            port_places,
            services,
            others,
        }
    }

    /// The container ports' places read ahead, each list with its object's index (what the
    /// rules need beside the model).
    pub(crate) fn take_port_places(&mut self) -> Vec<(usize, Vec<PortPlace>)> {
        std::mem::take(&mut self.port_places)
    }

    /// The Services read ahead, each with its object's index.
    pub(crate) fn take_services(&mut self) -> Vec<(usize, ServiceRead)> {
        std::mem::take(&mut self.services)
    }

    /// The indexes of the objects [`crate::others`] lists.
    pub(crate) fn take_others(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.others)
    }

    /// Makes room for the reads `parts` at once, before they are appended (joining a large
    /// inventory's reads one input at a time grew each list by doubling, copying it each
    /// time).
    pub fn reserve_for<'a>(&mut self, parts: impl IntoIterator<Item = &'a PerObjectRead> + Clone) {
        let sum = |len: fn(&PerObjectRead) -> usize| parts.clone().into_iter().map(len).sum();
        self.workloads.reserve_exact(sum(|p| p.workloads.len()));
        self.policies.reserve_exact(sum(|p| p.policies.len()));
        self.diagnostics.reserve_exact(sum(|p| p.diagnostics.len()));
        self.port_places.reserve_exact(sum(|p| p.port_places.len()));
        self.services.reserve_exact(sum(|p| p.services.len()));
        self.others.reserve_exact(sum(|p| p.others.len()));
    }

    /// Adds what was read from the run that follows, whose first object is at `first` in
    /// the objects this one indexes.
    pub fn append(&mut self, first: usize, next: PerObjectRead) {
        self.workloads.extend(
            next.workloads
                .into_iter()
                .map(|(i, pods)| (first + i, pods)),
        );
        self.policies.extend(next.policies);
        self.diagnostics.extend(next.diagnostics);
        self.port_places
            .extend(next.port_places.into_iter().map(|(i, p)| (first + i, p)));
        self.services
            .extend(next.services.into_iter().map(|(i, s)| (first + i, s)));
        self.others
            .extend(next.others.into_iter().map(|i| first + i));
    }
}

impl Model {
    /// Builds the model from an input's objects: Namespaces, ServiceAccounts, workloads,
    /// `networking.k8s.io/v1` NetworkPolicies, Calico `projectcalico.org/v3`
    /// NetworkPolicies, GlobalNetworkPolicies and Tiers, and
    /// `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicies and
    /// BaselineAdminNetworkPolicies; other objects are ignored.
    pub fn from_objects(objects: &[Object]) -> Model {
        let others = others::of(objects);
        Model::with_endpoints(objects, &others, endpoints::collect, |objects| {
            let mut diagnostics = Vec::new();
            let parsed = parse_policies(objects, &mut diagnostics);
            (parsed, diagnostics)
        })
    }

    /// [`Model::from_objects`] with the workloads and the `networking.k8s.io/v1`
    /// NetworkPolicies already read from `objects` ([`PerObjectRead::of`], indexes into
    /// `objects`), and `others`, the objects [`crate::others`] lists.
    pub fn from_read(objects: &[Object], others: &[&Object], read: PerObjectRead) -> Model {
        let PerObjectRead {
            workloads,
            policies,
            diagnostics,
            port_places: _,
            services: _,
            others: _,
        } = read;
        Model::with_endpoints(
            objects,
            others,
            |objects| endpoints::collect_read(objects, workloads),
            |_| (policies, diagnostics),
        )
    }

    /// Builds the model: `collect` reads the workloads of `objects`, `policies_of` their
    /// `networking.k8s.io/v1` NetworkPolicies (in order, with the problems met parsing
    /// them); the rest is read from `others`, the objects [`crate::others`] lists.
    fn with_endpoints(
        objects: &[Object],
        others: &[&Object],
        collect: impl FnOnce(&[Object]) -> Vec<Pods> + Send,
        policies_of: impl FnOnce(&[Object]) -> (Vec<NetworkPolicy>, Vec<Diagnostic>) + Send,
    ) -> Model {
        // The workloads and the policies are independent: read them side by side.
        let (pods, (policies, extra, diagnostics)) = rayon::join(
            || collect(objects),
            || {
                let (parsed, diagnostics) = policies_of(objects);
                policies_read(others, parsed, diagnostics)
            },
        );
        let namespaces = endpoints::namespaces(
            others.iter().copied(),
            pods.iter()
                .map(|p| p.namespace.as_str())
                .chain(policies.iter().map(|p| p.namespace.as_str()))
                .chain(extra.calico.iter().filter_map(|p| p.namespace.as_deref())),
        );
        let blocks: Vec<IpSet> = policies
            .iter()
            .flat_map(|p| p.ingress.iter().chain(&p.egress))
            .flat_map(|r| r.peers.iter().flatten())
            .filter_map(|peer| match &peer.kind {
                PeerKind::IpBlock { addresses, .. } => Some(addresses.clone()),
                PeerKind::Selectors { .. } => None,
            })
            .chain(extra.blocks())
            .collect();
        // Many peers repeat the same block; the partition needs each once.
        let mut blocks = blocks;
        blocks.sort_unstable();
        blocks.dedup();
        let classes = ip::partition(&blocks);
        let index = index::build(&policies, &pods, &namespaces, &classes);
        let world = World::new(&pods, &namespaces, &classes, &extra.accounts);
        let (calico_compiled, admin_compiled) =
            tiers::index::compile(&world, &extra.calico, &extra.admin);
        let tier_index = TierIndex {
            calico: calico_compiled,
            admin: admin_compiled,
            members: tiers::order_members(&extra.tiers, &policies, &extra.calico),
            active: extra.active(),
        };
        let pod_count = pods.len();
        let endpoints = pods
            .into_iter()
            .map(Endpoint::Pods)
            .chain(classes.into_iter().map(Endpoint::External))
            .collect();
        let mut model = Model {
            namespaces,
            endpoints,
            pod_count,
            policies,
            calico: extra.calico,
            tiers: extra.tiers,
            admin: extra.admin,
            diagnostics,
            index,
            tier_index,
        };
        model.check_named_ports();
        model
    }

    /// Namespaces, sorted by name.
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }

    /// Endpoints: workloads sorted by namespace, name and kind, then external address
    /// classes by address (IPv4 first).
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// One endpoint.
    pub fn endpoint(&self, id: EndpointId) -> Option<&Endpoint> {
        self.endpoints.get(id.index())
    }

    /// How many endpoints are workloads (they come first).
    pub fn workload_count(&self) -> usize {
        self.pod_count
    }

    /// The admitted NetworkPolicies, sorted by namespace and name.
    pub fn policies(&self) -> &[NetworkPolicy] {
        &self.policies
    }

    /// One policy.
    pub fn policy(&self, id: PolicyId) -> Option<&NetworkPolicy> {
        self.policies.get(id.index())
    }

    /// The admitted Calico NetworkPolicies and GlobalNetworkPolicies, sorted by kind
    /// (namespaced first), namespace and name.
    pub fn calico_policies(&self) -> &[CalicoPolicy] {
        &self.calico
    }

    /// Calico tiers in evaluation order (by order, missing last, then name); the default
    /// tier is always there.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The admitted AdminNetworkPolicies in evaluation order (priority, then name), then
    /// the BaselineAdminNetworkPolicy if any.
    pub fn admin_policies(&self) -> &[AdminPolicy] {
        &self.admin
    }

    /// The pods a Calico policy applies to.
    pub fn selected_by_calico(&self, policy: PolicyId) -> Vec<EndpointId> {
        self.tier_index
            .calico
            .get(policy.index())
            .map(|c| c.selected.iter().map(|i| EndpointId(i as u32)).collect())
            .unwrap_or_default()
    }

    /// The pods an admin policy's subject holds.
    pub fn selected_by_admin(&self, policy: PolicyId) -> Vec<EndpointId> {
        self.tier_index
            .admin
            .get(policy.index())
            .map(|c| c.selected.iter().map(|i| EndpointId(i as u32)).collect())
            .unwrap_or_default()
    }

    /// What the API server would reject (those policies are left out) and what matches
    /// nothing, each with its place.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The policies that select the pods of `endpoint` and isolate them in `direction`
    /// (empty for external endpoints and for pods no policy isolates).
    pub fn isolating(&self, endpoint: EndpointId, direction: Direction) -> Vec<PolicyId> {
        self.index
            .isolating
            .get(endpoint.index())
            .map(|s| {
                s[index::slot(direction)]
                    .iter()
                    .map(|&i| PolicyId(i))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The pods a policy selects (its `podSelector` within its namespace).
    pub fn selected_by(&self, policy: PolicyId) -> Vec<EndpointId> {
        self.index
            .policies
            .get(policy.index())
            .map(|c| c.selected.iter().map(|i| EndpointId(i as u32)).collect())
            .unwrap_or_default()
    }

    /// Finds an endpoint by `NS/NAME`, `Kind/NS/NAME` (kind case-insensitive), or an IP
    /// address (the external class holding it; addresses are never pods, see the crate
    /// docs).
    pub fn lookup(&self, text: &str) -> Result<EndpointId, LookupError> {
        if let Some((family, addr)) = ip::parse_addr(text) {
            return self
                .endpoints
                .iter()
                .position(|e| matches!(e, Endpoint::External(s) if s.contains(family, addr)))
                .map(|i| EndpointId(i as u32))
                .ok_or_else(|| LookupError::NotFound(text.to_string()));
        }
        let parts: Vec<&str> = text.split('/').collect();
        let (kind, ns, name) = match parts.as_slice() {
            [ns, name] => (None, *ns, *name),
            [kind, ns, name] => (Some(*kind), *ns, *name),
            _ => return Err(LookupError::BadSyntax(text.to_string())),
        };
        let found: Vec<usize> = self.endpoints[..self.pod_count]
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let p = e.as_pods()?;
                let kind_ok = kind.is_none_or(|k| k.eq_ignore_ascii_case(p.kind()));
                (kind_ok && p.namespace == ns && p.name() == name).then_some(i)
            })
            .collect();
        match found.as_slice() {
            [] => Err(LookupError::NotFound(text.to_string())),
            [one] => Ok(EndpointId(*one as u32)),
            many => Err(LookupError::Ambiguous(
                many.iter()
                    .map(|&i| self.endpoints[i].to_string())
                    .collect(),
            )),
        }
    }

    pub(crate) fn pods(&self, id: usize) -> Option<&Pods> {
        self.endpoints.get(id).and_then(Endpoint::as_pods)
    }

    /// Warns about named ports that no destination pod of their rule defines with the
    /// rule's protocol: such a port entry matches nothing.
    fn check_named_ports(&mut self) {
        let mut found = Vec::new();
        for (pi, policy) in self.policies.iter().enumerate() {
            let compiled = &self.index.policies[pi];
            for direction in [Direction::Ingress, Direction::Egress] {
                for (ri, rule) in policy.rules(direction).iter().enumerate() {
                    // Ingress: the policy's pods receive; egress: the rule's peers do.
                    let dests = match direction {
                        Direction::Ingress => &compiled.selected,
                        Direction::Egress => &compiled.peers[1][ri].pods,
                    };
                    let count = dests.iter().count();
                    let to_addresses = rule
                        .peers
                        .iter()
                        .flatten()
                        .any(|peer| matches!(peer.kind, PeerKind::IpBlock { .. }));
                    for spec in rule.ports.iter().flatten() {
                        let PortMatch::Named(name) = &spec.port else {
                            continue;
                        };
                        let defined = dests.iter().any(|i| {
                            self.pods(i)
                                .and_then(|p| p.named_port(name))
                                .is_some_and(|(proto, _)| proto == spec.protocol)
                        });
                        // A rule reaching no pod at all is a different problem (a policy or
                        // peer that selects nothing), reported elsewhere; only a rule toward
                        // addresses is worth a word then, as named ports never match them.
                        let message = if defined {
                            continue;
                        } else if count > 0 {
                            format!(
                                "named port `{name}` ({}) is defined by no container of the \
                                 {count} pod(s) this {} rule reaches; it matches nothing",
                                spec.protocol,
                                direction.as_str().to_lowercase()
                            )
                        } else if direction == Direction::Egress && to_addresses {
                            format!(
                                "named port `{name}` toward ipBlock peers matches nothing: \
                                 named ports resolve only against pods' container ports"
                            )
                        } else {
                            continue;
                        };
                        found.push(Diagnostic {
                            level: Level::Warning,
                            kind: DiagnosticKind::UnmatchedNamedPort,
                            object: Arc::clone(&policy.object),
                            location: spec.location.clone(),
                            field: spec.field.clone(),
                            message,
                        });
                    }
                }
            }
        }
        self.diagnostics.extend(found);
        let more = tiers::check::named_ports(self);
        self.diagnostics.extend(more);
        // Stable: problems of one place keep the order they were found in.
        self.diagnostics.sort_by(|a, b| a.location.cmp(&b.location));
    }
}
