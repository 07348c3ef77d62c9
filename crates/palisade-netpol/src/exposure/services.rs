//! Services (`v1`): which workloads a Service fronts, and which container port each of its
//! ports reaches on them.

use palisade_core::yaml::{Node, Pos, Text};
use palisade_core::Object;

use crate::conn::Protocol;
use crate::endpoints::Pods;
use crate::label_map::LabelMap;
use crate::model::{EndpointId, Model};
use crate::pod_index::PodIndex;
use crate::policy::namespace_text;

/// `spec.type`, defaulted to ClusterIP as the API server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServiceType {
    ClusterIp,
    NodePort,
    LoadBalancer,
    ExternalName,
}

/// `targetPort`: a number, or the name of a container port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Number(u16),
    Name(Text),
}

/// One entry of `spec.ports`.
#[derive(Debug, Clone)]
pub(crate) struct ServicePort {
    pub name: Option<Text>,
    pub port: u16,
    pub protocol: Protocol,
    pub target: Target,
    pub pos: Pos,
}

/// A Service as far as exposure needs it.
pub(crate) struct Service<'o> {
    pub obj: &'o Object,
    pub namespace: Text,
    pub kind: ServiceType,
    /// `spec.externalIPs`'s key, when it lists addresses.
    pub external_ips: Option<Pos>,
    /// `spec.selector`; `None` when missing or empty: the endpoints controller manages no
    /// endpoints for such a Service (they are written by hand), so no workload is known
    /// behind it.
    pub selector: Option<LabelMap>,
    pub ports: Vec<ServicePort>,
}

impl Service<'_> {
    pub fn name(&self) -> &str {
        &self.obj.id.name
    }

    /// The Service port a backend reference names (by number or by name).
    pub fn port_by(&self, number: Option<u16>, name: Option<&str>) -> Option<&ServicePort> {
        self.ports.iter().find(|p| match (number, name) {
            (Some(n), _) => p.port == n,
            (None, Some(name)) => p.name.as_deref() == Some(name),
            (None, None) => false,
        })
    }
}

fn parse_port(node: &Node) -> Option<ServicePort> {
    let port = u16::try_from(node.get("port")?.as_i64()?).ok()?;
    let protocol = match node.get("protocol").and_then(Node::as_str) {
        None => Protocol::Tcp,
        Some(text) => Protocol::parse(text)?,
    };
    // `SetDefaults_Service`: a missing (or zero) targetPort is the port itself.
    let target = match node.get("targetPort") {
        None => Target::Number(port),
        Some(t) => match (t.as_i64(), t.as_str()) {
            (Some(0), _) => Target::Number(port),
            (Some(n), _) => Target::Number(u16::try_from(n).ok()?),
            // A quoted number stays a name in IntOrString (and no container port can be
            // named with digits only), so it matches nothing, as in the API.
            (None, Some(s)) => Target::Name(s.into()),
            (None, None) => return None,
        },
    };
    Some(ServicePort {
        name: node.get("name").and_then(Node::as_str).map(Text::from),
        port,
        protocol,
        target,
        pos: node.pos,
    })
}

/// A [`Service`] without its object: what a scan reads from each Service while the input
/// is in cache ([`read`]), joined to the object once the inventory is complete
/// ([`ServiceRead::of`]).
pub(crate) struct ServiceRead {
    namespace: Text,
    kind: ServiceType,
    external_ips: Option<Pos>,
    selector: Option<LabelMap>,
    ports: Vec<ServicePort>,
}

impl ServiceRead {
    /// The Service of `obj`, the object this was read from.
    pub fn of(self, obj: &Object) -> Service<'_> {
        let ServiceRead {
            namespace,
            kind,
            external_ips,
            selector,
            ports,
        } = self;
        Service {
            obj,
            namespace,
            kind,
            external_ips,
            selector,
            ports,
        }
    }
}

/// Parses a `v1` Service; `None` for other objects and for a Service without a spec.
pub(crate) fn parse(obj: &Object) -> Option<Service<'_>> {
    read(obj).map(|s| s.of(obj))
}

/// [`parse`] without keeping the object.
pub(crate) fn read(obj: &Object) -> Option<ServiceRead> {
    if !(obj.is("Service") && obj.id.api_version == "v1") {
        return None;
    }
    let spec = obj.root.get("spec")?;
    let type_entry = spec.entry("type");
    let kind = match type_entry.and_then(|e| e.value.as_str()) {
        Some("NodePort") => ServiceType::NodePort,
        Some("LoadBalancer") => ServiceType::LoadBalancer,
        Some("ExternalName") => ServiceType::ExternalName,
        _ => ServiceType::ClusterIp,
    };
    let external_ips = spec
        .entry("externalIPs")
        .filter(|e| !e.value.items().is_empty())
        .map(|e| e.key.pos);
    let selector: LabelMap = spec
        .get("selector")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| Some((e.key.scalar_text()?, e.value.scalar_text()?)))
        .collect();
    Some(ServiceRead {
        namespace: namespace_text(obj),
        kind,
        external_ips,
        selector: (!selector.is_empty()).then_some(selector),
        ports: spec
            .get("ports")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(parse_port)
            .collect(),
    })
}

/// The workloads of the model, by namespace.
pub(crate) struct WorkloadsByNamespace<'m> {
    model: &'m Model,
    index: PodIndex<'m>,
}

impl<'m> WorkloadsByNamespace<'m> {
    pub fn new(model: &'m Model) -> Self {
        let pods = model.endpoints()[..model.workload_count()]
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((i, e.as_pods()?)));
        WorkloadsByNamespace {
            model,
            index: PodIndex::new(pods),
        }
    }

    /// Workloads of `namespace` whose pod labels satisfy `pred`.
    pub fn matching(
        &self,
        namespace: &str,
        pred: impl Fn(&Pods) -> bool,
    ) -> Vec<(EndpointId, &'m Pods)> {
        self.index
            .in_namespace(namespace)
            .iter()
            .filter_map(|&i| {
                let p = self.model.pods(i)?;
                pred(p).then_some((EndpointId(i as u32), p))
            })
            .collect()
    }

    /// Every workload whose pod labels satisfy `pred`, in any namespace.
    pub fn anywhere(&self, pred: impl Fn(&Pods) -> bool) -> Vec<EndpointId> {
        (0..self.model.workload_count())
            .filter(|&i| self.model.pods(i).is_some_and(&pred))
            .map(|i| EndpointId(i as u32))
            .collect()
    }

    /// The workloads a Service's selector picks in its namespace (its endpoints, as the
    /// EndpointSlice controller would list them: pods whose labels include the selector).
    pub fn behind(&self, service: &Service) -> Vec<(EndpointId, &'m Pods)> {
        let Some(selector) = &service.selector else {
            return Vec::new();
        };
        self.index
            .candidates_with_all(&service.namespace, selector)
            .iter()
            .filter_map(|&i| {
                let p = self.model.pods(i)?;
                selector
                    .iter()
                    .all(|(k, v)| p.labels.get(k) == Some(v))
                    .then_some((EndpointId(i as u32), p))
            })
            .collect()
    }
}

/// The container port a Service port reaches on a workload's pods, mirroring `FindPort`
/// (pkg/api/v1/pod/util.go): a number is used as is (whether or not a container declares
/// it); a name must match a container port with that name **and** the Service port's
/// protocol, else the pod is not an endpoint for this port (`None`). Only regular
/// containers' ports are known (sidecar init containers, which newer releases also search,
/// are not modelled).
pub(crate) fn target_port(pods: &Pods, port: &ServicePort) -> Option<u16> {
    match &port.target {
        Target::Number(n) => Some(*n),
        Target::Name(name) => pods
            .named_port(name)
            .filter(|(proto, _)| *proto == port.protocol)
            .map(|(_, n)| n),
    }
}
