//! Endpoints: the pods of each workload, and namespaces with their labels.
//!
//! A workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
//! ReplicationController, any object with a pod template, or a bare Pod) stands for its pods:
//! they share the template's labels and ports, so one node represents them all, whatever the
//! replica count (np-guard's `PodsFromWorkloadObject` does the same at the workload level).

use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt, HashSet};
use palisade_core::yaml::{Node, Text};
use palisade_core::{Location, Object, ObjectRef, Workload};
use rayon::prelude::*;

use crate::conn::Protocol;
use crate::label_map::LabelMap;
use crate::policy::namespace_text;

/// The label carrying a data class (the data workload guide's, as `palisade-checks` reads
/// it).
pub(crate) const DATA_CLASS_LABEL: &str = "palisade.dev/data-class";

/// The label every namespace carries with its own name (set by the API server since 1.21;
/// it overrides any value written in the manifest).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A namespace and its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Name.
    pub name: String,
    /// Labels, `kubernetes.io/metadata.name` included.
    pub labels: LabelMap,
    /// Where the Namespace object is, when the input declares it. A namespace only referenced
    /// by other objects exists with the automatic name label alone.
    pub declared: Option<Location>,
}

/// One container port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    /// `name`, if any.
    pub name: Option<String>,
    /// `containerPort`.
    pub number: u16,
    /// `protocol` (default TCP).
    pub protocol: Protocol,
}

/// The pods of one workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pods {
    /// The object (for grouped Pods, their controller as named by `ownerReferences`).
    pub object: Arc<ObjectRef>,
    /// Namespace (`default` when the manifest leaves it out).
    pub namespace: Text,
    /// Pod labels (the pod template's for controllers).
    pub labels: LabelMap,
    /// Ports of the regular containers (`podutil.FindPort` and np-guard's
    /// `ConvertPodNamedPort` resolve named ports against these only).
    pub ports: Vec<ContainerPort>,
    /// Where the object is.
    pub location: Location,
    /// The pods' service account (`serviceAccountName`, `default` when unset), which
    /// Calico's `serviceAccountSelector` and `serviceAccounts` match.
    pub service_account: Text,
    /// The object's own `palisade.dev/data-class` label (the data-class rule reads the pod
    /// template's first): read with the rest, so that the rule need not go back to the
    /// object's tree. `None` for grouped Pods, whose controller is not in the input.
    pub own_data_class: Option<String>,
}

impl Pods {
    /// Kind of the workload.
    pub fn kind(&self) -> &str {
        &self.object.kind
    }

    /// Name of the workload.
    pub fn name(&self) -> &str {
        &self.object.name
    }

    /// The number and protocol a named port resolves to, if a container defines it. Names
    /// are unique within a pod, so the first match is the only one.
    pub fn named_port(&self, name: &str) -> Option<(Protocol, u16)> {
        self.ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| (p.protocol, p.number))
    }
}

/// A `labels` mapping's entries whose key and value are scalars.
pub(crate) fn labels_of(node: Option<&Node>) -> LabelMap {
    node.map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| Some((e.key.scalar_text()?, e.value.scalar_text()?)))
        .collect()
}

fn container_ports(w: &Workload) -> Vec<ContainerPort> {
    let mut out = Vec::new();
    for c in w
        .spec
        .get("containers")
        .map(Node::items)
        .unwrap_or_default()
    {
        for p in c.get("ports").map(Node::items).unwrap_or_default() {
            let Some(number) = p.get("containerPort").and_then(Node::as_i64) else {
                continue;
            };
            let Ok(number) = u16::try_from(number) else {
                continue;
            };
            let protocol = match p.get("protocol").and_then(Node::as_str) {
                None => Protocol::Tcp,
                Some(text) => match Protocol::parse(text) {
                    Some(p) => p,
                    None => continue, // the API server rejects such a pod
                },
            };
            out.push(ContainerPort {
                name: p.get("name").and_then(Node::as_str).map(str::to_string),
                number,
                protocol,
            });
        }
    }
    out
}

/// `serviceAccountName` (or its deprecated alias `serviceAccount`), `default` when unset,
/// as the ServiceAccount admission plugin sets it.
fn service_account(w: &Workload) -> Text {
    ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|k| w.spec.get(k).and_then(Node::as_str))
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .into()
}

/// The controller named in `ownerReferences` (`controller: true`).
fn controller_of(obj: &Object) -> Option<Controller> {
    obj.metadata()
        .get("ownerReferences")?
        .items()
        .iter()
        .find(|r| r.get("controller").and_then(Node::as_bool) == Some(true))
        .and_then(|r| {
            Some(Controller {
                kind: r.get("kind")?.as_str()?.to_string(),
                name: r.get("name")?.as_str()?.to_string(),
                api_version: r
                    .get("apiVersion")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
            })
        })
}

/// The controller an object's `ownerReferences` names (`controller: true`).
#[derive(Debug, Clone)]
pub(crate) struct Controller {
    kind: String,
    name: String,
    api_version: String,
}

/// A workload as [`collect_read`] needs it: its endpoint, and its controller when it names
/// one. Read while the object's tree is in cache ([`crate::PerObjectRead`]).
#[derive(Debug, Clone)]
pub(crate) struct WorkloadRead {
    pods: Pods,
    controller: Option<Controller>,
}

impl WorkloadRead {
    /// Reads the workload `w` of `obj`.
    pub(crate) fn of(obj: &Object, w: &Workload) -> WorkloadRead {
        WorkloadRead {
            pods: pods_of(obj, w),
            controller: controller_of(obj),
        }
    }
}

/// Collects the workloads of the input as endpoints, sorted by namespace, name and kind.
///
/// - An object whose controller (`ownerReferences` with `controller: true`) is also in the
///   input is left out: its controller stands for its pods (a ReplicaSet of a Deployment, a
///   Job of a CronJob, a Pod of a ReplicaSet), so nothing is counted twice.
/// - Pods whose controller is not in the input (a dump of pods alone) are grouped into one
///   endpoint named after the controller when they all carry the same labels and ports;
///   otherwise each pod is its own endpoint.
/// - The same kind, namespace and name twice: the last one counts, as applying the input
///   in order would leave it.
pub fn collect(objects: &[Object]) -> Vec<Pods> {
    // Reading each workload (labels, ports, place) is most of the work: in parallel.
    let read: Vec<(usize, WorkloadRead)> = objects
        .par_iter()
        .enumerate()
        .filter_map(|(i, obj)| Some((i, WorkloadRead::of(obj, &Workload::of(obj)?))))
        .collect();
    collect_read(objects, read)
}

/// The endpoint of a workload `w` of `obj`.
pub(crate) fn pods_of(obj: &Object, w: &Workload) -> Pods {
    Pods {
        object: Arc::clone(&obj.id),
        namespace: namespace_text(obj),
        labels: labels_of(w.pod_metadata.and_then(|m| m.get("labels"))),
        ports: container_ports(w),
        location: obj.location(),
        service_account: service_account(w),
        own_data_class: obj.label(DATA_CLASS_LABEL).map(str::to_string),
    }
}

/// [`collect`] of workloads already read ([`crate::PerObjectRead`]), each with its index in
/// `objects`, in input order. An index outside `objects` is left out.
pub(crate) fn collect_read(objects: &[Object], read: Vec<(usize, WorkloadRead)>) -> Vec<Pods> {
    let workloads: Vec<(&Object, WorkloadRead)> = read
        .into_iter()
        .filter_map(|(i, w)| Some((objects.get(i)?, w)))
        .collect();
    // Which workloads are in the input, by namespace, kind and name: asked only of those that
    // name a controller (most name none, and then nothing is built).
    let present: HashSet<(Text, &str, &str)> =
        if workloads.iter().any(|(_, w)| w.controller.is_some()) {
            workloads
                .iter()
                .map(|(o, w)| {
                    (
                        w.pods.namespace.clone(),
                        o.id.kind.as_str(),
                        o.id.name.as_str(),
                    )
                })
                .collect()
        } else {
            HashSet::default()
        };
    let mut out = Vec::with_capacity(workloads.len());
    let mut groups: BTreeMap<(String, String, String), Vec<Pods>> = BTreeMap::new();
    let mut owner_api: HashMap<(String, String, String), String> = HashMap::new();
    for (obj, WorkloadRead { pods, controller }) in workloads {
        let Some(c) = controller else {
            out.push(pods);
            continue;
        };
        if present.contains(&(pods.namespace.clone(), c.kind.as_str(), c.name.as_str())) {
            continue;
        }
        if obj.is("Pod") {
            let key = (pods.namespace.to_string(), c.kind, c.name);
            owner_api.insert(key.clone(), c.api_version);
            groups.entry(key).or_default().push(pods);
        } else {
            out.push(pods);
        }
    }
    for (key, members) in groups {
        let same = members.windows(2).all(|w| {
            w[0].labels == w[1].labels
                && w[0].ports == w[1].ports
                && w[0].service_account == w[1].service_account
        });
        if !same {
            out.extend(members);
            continue;
        }
        let (namespace, kind, name) = key.clone();
        let Some(first) = members.into_iter().next() else {
            continue;
        };
        out.push(Pods {
            object: Arc::new(ObjectRef {
                api_version: owner_api.remove(&key).unwrap_or_default(),
                kind,
                namespace: Some(namespace),
                name,
            }),
            own_data_class: None,
            ..first
        });
    }
    sorted_last_wins(out)
}

/// The endpoints sorted by namespace, name and kind, the last of each (namespace, name,
/// kind) kept. The order is found on a compact key per endpoint (its namespace's rank among
/// the few namespaces, so that most comparisons are of two integers) and each endpoint is
/// moved once: sorting the endpoints themselves moved every one (a few hundred bytes) many
/// times and compared namespaces byte by byte.
fn sorted_last_wins(pods: Vec<Pods>) -> Vec<Pods> {
    let mut names: Vec<&str> = pods
        .iter()
        .map(|p| p.namespace.as_str())
        .collect::<HashSet<&str>>()
        .into_iter()
        .collect();
    names.sort_unstable();
    let rank: HashMap<&str, usize> = names.iter().enumerate().map(|(r, n)| (*n, r)).collect();
    let mut keys: Vec<(usize, &str, &str, usize)> = pods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let ns = rank.get(p.namespace.as_str()).copied().unwrap_or(0);
            (ns, p.name(), p.kind(), i)
        })
        .collect();
    // Later definitions first among equals, so that the first of a run is the one kept.
    keys.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)).then(b.3.cmp(&a.3)));
    keys.dedup_by(|later, kept| (later.0, later.1, later.2) == (kept.0, kept.1, kept.2));
    let kept: Vec<usize> = keys.into_iter().map(|(_, _, _, i)| i).collect();
    let mut slots: Vec<Option<Pods>> = pods.into_iter().map(Some).collect();
    kept.into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// Namespaces: every declared Namespace object (the last definition of a name counts), and
/// every namespace the endpoints or the policies live in. Sorted by name.
/// `objects` may be only some of the input's, as long as every Namespace is among them.
pub fn namespaces<'a, 'o>(
    objects: impl IntoIterator<Item = &'o Object>,
    used: impl Iterator<Item = &'a str>,
) -> Vec<Namespace> {
    let mut by_name: BTreeMap<String, Namespace> = BTreeMap::new();
    for obj in objects
        .into_iter()
        .filter(|o| o.is("Namespace") && o.id.api_version == "v1")
    {
        let name = obj.id.name.clone();
        if name.is_empty() {
            continue;
        }
        let mut labels = labels_of(obj.metadata().get("labels"));
        labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.clone());
        by_name.insert(
            name.clone(),
            Namespace {
                name,
                labels,
                declared: Some(obj.location()),
            },
        );
    }
    // The endpoints and the policies come sorted by namespace: a name like the one before
    // is known already, and a known one needs no owned key to be looked up.
    let mut previous = None;
    for name in used {
        if previous == Some(name) || by_name.contains_key(name) {
            previous = Some(name);
            continue;
        }
        previous = Some(name);
        by_name.insert(
            name.to_string(),
            Namespace {
                name: name.to_string(),
                labels: LabelMap::from([(NAMESPACE_NAME_LABEL.to_string(), name.to_string())]),
                declared: None,
            },
        );
    }
    by_name.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods(namespace: &str, kind: &str, name: &str, line: u32) -> Pods {
        Pods {
            object: Arc::new(ObjectRef {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                namespace: Some(namespace.into()),
                name: name.into(),
            }),
            namespace: namespace.into(),
            labels: LabelMap::new(),
            ports: Vec::new(),
            location: Location {
                path: "t.yaml".into(),
                line,
                col: 1,
            },
            service_account: "default".into(),
            own_data_class: None,
        }
    }

    /// The order and the definitions kept are those of the stable sort of the reversed list
    /// (what the endpoints were sorted with before), over lists with many repeats.
    #[test]
    fn keeps_the_last_definition_in_key_order() {
        let mut seed = 7u32;
        for len in [0, 1, 2, 3, 10, 64, 300] {
            let list: Vec<Pods> = (0..len)
                .map(|line| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    let pick = |n: u32, s: u32| format!("{}", (s >> n) % 3);
                    let kind = if (seed >> 20) % 2 == 0 {
                        "Deployment"
                    } else {
                        "Job"
                    };
                    pods(&pick(8, seed), kind, &pick(14, seed), line)
                })
                .collect();
            let mut expected = list.clone();
            expected.reverse();
            expected.sort_by(|a, b| {
                (&a.namespace, a.name(), a.kind()).cmp(&(&b.namespace, b.name(), b.kind()))
            });
            expected.dedup_by(|b, a| {
                a.namespace == b.namespace && a.name() == b.name() && a.kind() == b.kind()
            });
            let lines = |v: &[Pods]| v.iter().map(|p| p.location.line).collect::<Vec<_>>();
            assert_eq!(lines(&sorted_last_wins(list)), lines(&expected), "{len}");
        }
    }

    /// A namespace named by many endpoints in a row, or again after others, is listed once.
    #[test]
    fn namespaces_are_listed_once() {
        let used = ["a", "a", "b", "a", "c", "c", "b"];
        let names: Vec<String> = namespaces(&[], used.into_iter())
            .into_iter()
            .map(|n| n.name)
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
    }
}
