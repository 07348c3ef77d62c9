//! Exposure: what is reachable from outside the cluster, through which Service, Ingress or
//! Gateway API route, and whether the NetworkPolicies let that traffic in; and which
//! sensitive ports (SSH, etcd, kubelet, API server, Docker, databases) are reachable from
//! outside or from other namespaces.
//!
//! # Entry points
//!
//! - **Services** of type NodePort or LoadBalancer, and any Service with `externalIPs`: the
//!   workloads whose pod labels include the Service's `selector` in its namespace (a Service
//!   without a selector has hand-written endpoints, unknown here), each Service port's
//!   `targetPort` resolved on their pods as `FindPort` does (a named targetPort needs a
//!   container port of that name and the Service port's protocol).
//! - **Ingresses** (`networking.k8s.io/v1`): `defaultBackend` and every path's
//!   `backend.service` (port by number or by Service port name), same namespace.
//! - **HTTPRoute / TCPRoute** (`gateway.networking.k8s.io` v1, v1beta1, v1alpha2) attached
//!   through `parentRefs` to a Gateway whose listeners admit the route's namespace
//!   (`allowedRoutes.namespaces.from`, default `Same`; a Gateway not in the input is assumed
//!   to admit it), each Service `backendRef` (another namespace only with a ReferenceGrant
//!   there).
//!
//! # Judging an entry point against the policies
//!
//! - Traffic through a NodePort, a LoadBalancer or an external IP comes from **addresses
//!   outside the cluster**: the entry point counts as allowed when the workload's ingress
//!   allows the target port from at least one external address class (the client may be
//!   anywhere). kube-proxy caveat: with `externalTrafficPolicy: Cluster` (the default) the
//!   packets are source-NATed to a node's address, so a policy sees the node, not the client,
//!   and a policy that admits only the node network still lets every client in; with
//!   `Local` the client's address is kept. Either way the source is an address outside the
//!   pod network, which is what the external classes model; the reason names the admitted
//!   ranges so a reader can tell which case applies.
//! - Traffic through an Ingress or a Gateway comes from the **controller's or proxy's
//!   pods**. When the input holds them (for a route, its Gateway's pods, labelled
//!   `gateway.networking.k8s.io/gateway-name: <gateway>` in the Gateway's namespace as Istio
//!   and the in-cluster deployment convention do; for an Ingress, workloads that look like
//!   a well-known controller by their `app.kubernetes.io/name`/`app` label or namespace,
//!   e.g. anything in namespace `ingress-nginx`), the
//!   entry point counts as allowed when one of them may connect (its egress and the
//!   backend's ingress). Otherwise the controller is not in the input and the traffic is
//!   judged as coming from outside, as above, and the reason says so: a controller
//!   outside the input (or on the host network) reaches pods from addresses the policies
//!   can only match with ipBlocks.
//!
//! # Sensitive ports
//!
//! A workload's container port listed in [`SENSITIVE_PORTS`] is exposed when an allowed
//! entry point reaches it, when an external address class may connect to it directly, or
//! when a workload of another namespace may connect to it (both sides' policies, as in the
//! matrix; see [`Reacher`]).

mod reach;
pub(crate) mod routes;
mod sensitive;
pub(crate) mod services;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};
use palisade_core::{Location, Object, ObjectRef};
use rayon::prelude::*;

use crate::conn::Protocol;
use crate::eval::RuleRef;
use crate::model::{Endpoint, EndpointId, Model};

pub use reach::{reachers, Reacher, Summary, Want};
pub use sensitive::{sensitive_port, PortClass, SensitivePort, SENSITIVE_PORTS};

use routes::{Backend, BackendPort, Front, GatewayApi};
use services::{Service, ServiceRead, ServiceType, WorkloadsByNamespace};

/// How outside traffic gets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Via {
    /// A NodePort Service.
    NodePort,
    /// A LoadBalancer Service.
    LoadBalancer,
    /// A Service's `externalIPs`.
    ExternalIps,
    /// An Ingress.
    Ingress,
    /// A Gateway API HTTPRoute.
    HttpRoute,
    /// A Gateway API TCPRoute.
    TcpRoute,
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Via::NodePort => "NodePort Service",
            Via::LoadBalancer => "LoadBalancer Service",
            Via::ExternalIps => "Service externalIPs",
            Via::Ingress => "Ingress",
            Via::HttpRoute => "HTTPRoute",
            Via::TcpRoute => "TCPRoute",
        })
    }
}

/// Where the traffic of an entry point comes from, as the backend's policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Addresses outside the cluster. `controller_missing`: an Ingress or route whose
    /// controller is not in the input, judged as from outside.
    Outside {
        /// True for an Ingress or route whose controller pods are not in the input.
        controller_missing: bool,
    },
    /// The ingress controller's or gateway proxy's workloads.
    Controllers(Vec<EndpointId>),
}

/// One way in from outside to one workload's port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPoint {
    /// The workload reached.
    pub workload: EndpointId,
    /// How.
    pub via: Via,
    /// The Service, Ingress or route.
    pub object: Arc<ObjectRef>,
    /// The Service port entry, the Ingress backend or the route's backendRef.
    pub location: Location,
    /// The Service that selects the workload.
    pub service: String,
    /// The Service port.
    pub service_port: u16,
    /// The container port reached (the resolved targetPort).
    pub port: u16,
    /// Its protocol.
    pub protocol: Protocol,
    /// Where the traffic comes from.
    pub source: Source,
    /// Does some NetworkPolicy isolate the workload's ingress?
    pub isolated: bool,
    /// Do the policies let the traffic in?
    pub allowed: bool,
    /// Why (which policies and rules, or why nothing allows it).
    pub why: String,
}

/// A sensitive port of a workload, reachable from where it should not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensitiveExposure<'m> {
    /// The workload.
    pub workload: EndpointId,
    /// The port and what it is.
    pub port: SensitivePort,
    /// Allowed entry points reaching it (indexes into [`Exposure::entry_points`]).
    pub entry_points: Vec<usize>,
    /// External address classes allowed to connect to it directly.
    pub external: Vec<EndpointId>,
    /// Other namespaces with a workload allowed to connect to it, borrowed from the model (an
    /// open database of a large cluster is reached from every namespace: copying their
    /// names for each exposure was hundreds of thousands of allocations).
    pub namespaces: Vec<&'m str>,
}

impl SensitiveExposure<'_> {
    /// Reachable from outside (an allowed entry point or an external class)?
    pub fn from_outside(&self) -> bool {
        !self.entry_points.is_empty() || !self.external.is_empty()
    }
}

/// Entry points and sensitive exposures of an input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposure<'m> {
    /// Every entry point, in input order of the Service/Ingress/route, then workload.
    pub entry_points: Vec<EntryPoint>,
    /// Sensitive ports reachable from outside or from other namespaces, in endpoint order.
    pub sensitive: Vec<SensitiveExposure<'m>>,
}

/// Entry points and sensitive exposures; see the module docs.
pub fn exposure<'m>(model: &'m Model, objects: &[Object]) -> Exposure<'m> {
    let entry_points = entry_points(model, objects);
    let sensitive = sensitive_exposures(model, &entry_points);
    Exposure {
        entry_points,
        sensitive,
    }
}

/// The external address classes' endpoint ids.
fn external_ids(model: &Model) -> impl Iterator<Item = EndpointId> + '_ {
    (model.workload_count()..model.endpoints().len()).map(|i| EndpointId(i as u32))
}

/// The addresses of some external classes, as one set (workload ids are skipped).
pub fn addresses(model: &Model, ids: &[EndpointId]) -> crate::IpSet {
    ids.iter()
        .filter_map(|&id| match model.endpoint(id) {
            Some(Endpoint::External(set)) => Some(set),
            _ => None,
        })
        .fold(crate::IpSet::empty(), |acc, set| acc.union(set))
}

/// `ns/name ingress[0] (file:line)` for each rule.
fn rules_text(model: &Model, rules: &[RuleRef]) -> String {
    let parts: Vec<String> = rules
        .iter()
        .map(|r| {
            let name = model
                .policy(r.policy)
                .map_or_else(String::new, |p| p.full_name());
            format!(
                "{name} {}[{}] ({})",
                r.direction.as_str().to_lowercase(),
                r.index,
                r.location
            )
        })
        .collect();
    parts.join(", ")
}

fn policy_names(model: &Model, ids: &[crate::PolicyId]) -> String {
    let names: Vec<String> = ids
        .iter()
        .filter_map(|&p| model.policy(p).map(|p| p.full_name()))
        .collect();
    names.join(", ")
}

/// Judges traffic from outside the cluster to `w` on `port`: (allowed, why).
fn judge_outside(model: &Model, w: EndpointId, protocol: Protocol, port: u16) -> (bool, String) {
    let allowed: Vec<EndpointId> = external_ids(model)
        .filter(|&e| {
            model
                .connections(e, w)
                .is_some_and(|c| c.contains(protocol, port))
        })
        .collect();
    let isolating = model.isolating(w, crate::Direction::Ingress);
    if isolating.is_empty() {
        return (
            !allowed.is_empty(),
            "no NetworkPolicy isolates its ingress".to_string(),
        );
    }
    let Some(&first) = allowed.first() else {
        return (
            false,
            format!(
                "denied: {} isolate its ingress and no rule allows {protocol} {port} from \
                 addresses outside the cluster",
                policy_names(model, &isolating)
            ),
        );
    };
    let by = model
        .explain(first, w, port, protocol)
        .map(|x| rules_text(model, &x.ingress.allowed_by))
        .unwrap_or_default();
    (
        true,
        format!("allowed from {} by {by}", addresses(model, &allowed)),
    )
}

/// Judges traffic from the controller workloads: (allowed, why).
fn judge_controllers(
    model: &Model,
    controllers: &[EndpointId],
    w: EndpointId,
    protocol: Protocol,
    port: u16,
) -> (bool, String) {
    let explained: Vec<_> = controllers
        .iter()
        .filter_map(|&c| model.explain(c, w, port, protocol))
        .collect();
    let name = |id: EndpointId| {
        model
            .endpoint(id)
            .map_or_else(String::new, |e| e.to_string())
    };
    if let Some(x) = explained.iter().find(|x| x.allowed) {
        let mut parts = Vec::new();
        if x.egress.isolated {
            parts.push(format!(
                "its egress by {}",
                rules_text(model, &x.egress.allowed_by)
            ));
        }
        if x.ingress.isolated {
            parts.push(format!(
                "the backend's ingress by {}",
                rules_text(model, &x.ingress.allowed_by)
            ));
        } else {
            parts.push("the backend's ingress is not isolated".to_string());
        }
        return (
            true,
            format!(
                "allowed from controller {}: {}",
                name(x.src),
                parts.join("; ")
            ),
        );
    }
    let Some(x) = explained.first() else {
        return (false, "no controller workload to judge from".to_string());
    };
    let side = if !x.ingress.allowed {
        format!(
            "{} isolate the backend's ingress and no rule allows {protocol} {port} from it",
            policy_names(model, &x.ingress.policies)
        )
    } else {
        format!(
            "{} isolate its egress and no rule allows {protocol} {port} to the backend",
            policy_names(model, &x.egress.policies)
        )
    };
    (
        false,
        format!("denied from controller {}: {side}", name(x.src)),
    )
}

/// Everything needed to turn Services and backends into entry points.
struct Builder<'m, 'o> {
    model: &'m Model,
    workloads: WorkloadsByNamespace<'m>,
    /// The last definition of each Service, by namespace and name (indexes into the
    /// Services), for the backends to find.
    services: HashMap<(&'o str, &'o str), usize>,
    /// Workloads that look like ingress controllers (any namespace).
    controllers: Vec<EndpointId>,
    out: Vec<EntryPoint>,
}

impl Builder<'_, '_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        workload: EndpointId,
        via: Via,
        object: &Arc<ObjectRef>,
        location: Location,
        service: &Service,
        service_port: u16,
        (protocol, port): (Protocol, u16),
        source: Source,
    ) {
        let (allowed, why) = match &source {
            Source::Outside { controller_missing } => {
                let (allowed, why) = judge_outside(self.model, workload, protocol, port);
                let why = if *controller_missing {
                    format!("controller not in the input: judged as from outside; {why}")
                } else {
                    why
                };
                (allowed, why)
            }
            Source::Controllers(c) => judge_controllers(self.model, c, workload, protocol, port),
        };
        let isolated = !self
            .model
            .isolating(workload, crate::Direction::Ingress)
            .is_empty();
        self.out.push(EntryPoint {
            workload,
            via,
            object: Arc::clone(object),
            location,
            service: service.name().to_string(),
            service_port,
            port,
            protocol,
            source,
            isolated,
            allowed,
            why,
        });
    }

    fn service(&mut self, service: &Service) {
        let mut vias = Vec::new();
        match service.kind {
            ServiceType::NodePort => vias.push(Via::NodePort),
            ServiceType::LoadBalancer => vias.push(Via::LoadBalancer),
            ServiceType::ExternalName => return,
            ServiceType::ClusterIp => {}
        }
        if service.external_ips.is_some() {
            vias.push(Via::ExternalIps);
        }
        if vias.is_empty() {
            return;
        }
        let behind = self.workloads.behind(service);
        for via in vias {
            for sp in &service.ports {
                for &(id, pods) in &behind {
                    let Some(target) = services::target_port(pods, sp) else {
                        continue;
                    };
                    let location = service.obj.location_of(sp.pos);
                    self.push(
                        id,
                        via,
                        &service.obj.id,
                        location,
                        service,
                        sp.port,
                        (sp.protocol, target),
                        Source::Outside {
                            controller_missing: false,
                        },
                    );
                }
            }
        }
    }

    /// The controller workloads carrying a backend's traffic (empty: not in the input).
    /// A route's traffic comes from its Gateways' own proxy pods only (a generic ingress
    /// controller does not serve Gateways unless it labels its pods so).
    fn controllers_for(&self, front: &Front) -> Vec<EndpointId> {
        match front {
            Front::Ingress => self.controllers.clone(),
            Front::Route(gateways) => gateways
                .iter()
                .flat_map(|(ns, name)| {
                    self.workloads.matching(ns, |p| {
                        p.labels.get(routes::GATEWAY_NAME_LABEL) == Some(name)
                    })
                })
                .map(|(id, _)| id)
                .collect(),
        }
    }

    /// `parsed`: the Services [`Builder::services`] indexes.
    fn backend(&mut self, backend: &Backend, parsed: &[Service]) {
        let key = (backend.service_namespace.as_str(), backend.service.as_str());
        let Some(service) = self.services.get(&key).and_then(|&i| parsed.get(i)) else {
            return; // a Service not in the input: its workloads are unknown
        };
        let sp = match &backend.port {
            BackendPort::Number(n) => service.port_by(Some(*n), None),
            BackendPort::Name(name) => service.port_by(None, Some(name)),
        }
        .cloned();
        if let Some(sp) = sp {
            let via = match (&backend.front, backend.obj.id.kind.as_str()) {
                (Front::Ingress, _) => Via::Ingress,
                (_, "TCPRoute") => Via::TcpRoute,
                _ => Via::HttpRoute,
            };
            let controllers = self.controllers_for(&backend.front);
            let source = if controllers.is_empty() {
                Source::Outside {
                    controller_missing: true,
                }
            } else {
                Source::Controllers(controllers)
            };
            for (id, pods) in self.workloads.behind(service) {
                let Some(target) = services::target_port(pods, &sp) else {
                    continue;
                };
                self.push(
                    id,
                    via,
                    &backend.obj.id,
                    backend.obj.location_of(backend.pos),
                    service,
                    sp.port,
                    (sp.protocol, target),
                    source.clone(),
                );
            }
        }
    }
}

/// Every entry point of the input (see the module docs), judged against the policies.
pub fn entry_points(model: &Model, objects: &[Object]) -> Vec<EntryPoint> {
    // Large inputs: the objects of interest are found in parallel, used in input order.
    let parsed = objects.par_iter().filter_map(services::parse).collect();
    entry_points_of(model, &crate::others::of(objects), parsed)
}

/// [`entry_points`] with the Services read ahead, each with its index in `objects`, and
/// `others`, the objects [`crate::others`] lists.
pub(crate) fn entry_points_read(
    model: &Model,
    objects: &[Object],
    others: &[&Object],
    services: Vec<(usize, ServiceRead)>,
) -> Vec<EntryPoint> {
    let parsed = services
        .into_iter()
        .filter_map(|(i, s)| Some(s.of(objects.get(i)?)))
        .collect();
    entry_points_of(model, others, parsed)
}

/// [`entry_points`] given the Services of the input, in order, and the objects
/// [`crate::others`] lists (the Ingresses and Gateway API objects among them).
fn entry_points_of<'o>(
    model: &Model,
    others: &[&'o Object],
    parsed: Vec<Service<'o>>,
) -> Vec<EntryPoint> {
    let workloads = WorkloadsByNamespace::new(model);
    let controllers = workloads.anywhere(routes::is_controller);
    let mut builder = Builder {
        model,
        workloads,
        // Sized once: growing a map of thousands of Services rehashes it again and again.
        services: HashMap::with_capacity(parsed.len()),
        controllers,
        out: Vec::new(),
    };
    for s in &parsed {
        builder.service(s);
    }
    // The last definition of a Service counts, as applying the input in order leaves it.
    for (i, s) in parsed.iter().enumerate() {
        builder.services.insert((s.namespace.as_str(), s.name()), i);
    }
    let gateway_api = GatewayApi::collect(others);
    let backends: Vec<Backend> = others
        .par_iter()
        .flat_map_iter(|obj| match obj.id.kind.as_str() {
            "Ingress" => routes::ingress_backends(obj),
            "HTTPRoute" | "TCPRoute" => gateway_api.route_backends(obj, model.namespaces()),
            _ => Vec::new(),
        })
        .collect();
    for b in &backends {
        builder.backend(b, &parsed);
    }
    builder.out
}

/// The sensitive ports reachable from outside or from other namespaces, given the entry
/// points of [`entry_points`]. Workloads are judged in parallel.
pub fn sensitive_exposures<'m>(
    model: &'m Model,
    entry_points: &[EntryPoint],
) -> Vec<SensitiveExposure<'m>> {
    sensitive_exposures_with(model, entry_points, Some)
}

/// [`sensitive_exposures`], each exposure handed to `keep` as it is found and only what
/// `keep` returns kept, in the same order. A large inventory has thousands of exposures,
/// each listing up to every namespace: a caller that needs a few lines of each (the scan's
/// messages) need not hold them all.
pub(crate) fn sensitive_exposures_with<'m, T: Send>(
    model: &'m Model,
    entry_points: &[EntryPoint],
    keep: impl Fn(SensitiveExposure<'m>) -> Option<T> + Sync,
) -> Vec<T> {
    let reacher = Reacher::new(model);
    // Each workload's allowed entry points, found once: looking them up by scanning every
    // entry point per sensitive port grew with workloads times entry points.
    let mut allowed_by_workload: HashMap<EndpointId, Vec<usize>> = HashMap::new();
    for (i, e) in entry_points.iter().enumerate().filter(|(_, e)| e.allowed) {
        allowed_by_workload.entry(e.workload).or_default().push(i);
    }
    (0..model.workload_count())
        .into_par_iter()
        .flat_map_iter(|w| {
            let id = EndpointId(w as u32);
            let allowed = allowed_by_workload.get(&id).map_or(&[][..], Vec::as_slice);
            sensitive_of(&reacher, model, entry_points, allowed, id)
                .into_iter()
                .filter_map(&keep)
        })
        .collect()
}

/// `allowed`: the indexes in `entry_points` of the workload's allowed entry points.
fn sensitive_of<'m>(
    reacher: &Reacher<'m>,
    model: &'m Model,
    entry_points: &[EntryPoint],
    allowed: &[usize],
    id: EndpointId,
) -> Vec<SensitiveExposure<'m>> {
    let mut out = Vec::new();
    let Some(pods) = model.endpoint(id).and_then(Endpoint::as_pods) else {
        return out;
    };
    let mut seen = BTreeSet::new();
    for cp in &pods.ports {
        let Some(sensitive) = sensitive_port(pods, cp) else {
            continue;
        };
        if !seen.insert(cp.number) {
            continue;
        }
        let Summary {
            external,
            mut namespaces,
        } = reacher.summary(id, Want::Port(cp.protocol, cp.number));
        namespaces.retain(|n| *n != pods.namespace);
        let via: Vec<usize> = allowed
            .iter()
            .copied()
            .filter(|&i| {
                entry_points
                    .get(i)
                    .is_some_and(|e| e.port == cp.number && e.protocol == cp.protocol)
            })
            .collect();
        if via.is_empty() && external.is_empty() && namespaces.is_empty() {
            continue;
        }
        out.push(SensitiveExposure {
            workload: id,
            port: sensitive,
            entry_points: via,
            external,
            namespaces,
        });
    }
    out
}
