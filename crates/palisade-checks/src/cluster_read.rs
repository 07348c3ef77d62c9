//! What the inventory-wide rules read of each object (is it a workload, its pods' labels, its
//! data-class labels), copied out of the tree while the tree is in cache.
//!
//! A scan reads each input ahead as soon as it is parsed ([`read_ahead`]); the inventory-wide
//! rules then run on these small records instead of walking every object's tree again once
//! the inventory is complete and the trees are out of cache. A caller with a whole inventory
//! and nothing read ahead (admission, a live cluster) reads it all at once
//! ([`ClusterRead::of`]): the rules see the same records either way.

use compact_str::CompactString;
use palisade_core::sparse_read::{self, SparseRead};
use palisade_core::yaml::{Node, Pos};
use palisade_core::{Object, Workload};
use rayon::prelude::*;

use crate::data_class;

/// Objects per parallel work item when a whole inventory is read at once.
const CHUNK: usize = 256;

/// The records of the objects the inventory-wide rules look at (workloads, network policies,
/// namespaces, objects with a data-class label), each with its object's index, in inventory
/// order; the rest keep no record ([`SparseRead`]).
#[derive(Debug, Default)]
pub struct ClusterRead {
    records: SparseRead<ObjectRead>,
}

/// What the inventory-wide rules need of one object.
#[derive(Debug, Default)]
pub(crate) struct ObjectRead {
    /// Whether the object runs pods (has a workload view).
    pub workload: bool,
    /// What else the inventory-wide rules look for in it.
    pub role: Role,
    /// A workload's pod labels.
    pub pod_labels: Labels,
    /// The data-class labels the object carries itself, the one that decides first.
    pub class_labels: Vec<data_class::ClassLabel>,
}

/// What an object is to the network rules, beyond being a workload: noted while its tree is
/// in cache, so that a pass over the whole inventory need not read every object again.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// None of the others.
    #[default]
    Other,
    /// A namespaced network policy (`NetworkPolicy`, Calico's and Antrea's of that kind
    /// too, `CiliumNetworkPolicy`).
    NetworkPolicy,
    /// A `v1` Namespace.
    Namespace,
}

impl Role {
    fn of(object: &Object) -> Role {
        if crate::exposure::is_network_policy(object) {
            Role::NetworkPolicy
        } else if object.is("Namespace") && object.id.api_version == "v1" {
            Role::Namespace
        } else {
            Role::Other
        }
    }
}

/// A `labels` mapping as label selectors and messages read it.
#[derive(Debug, Default)]
pub(crate) struct Labels {
    /// Where the `labels` node is, when there is one.
    pub pos: Option<Pos>,
    /// Each entry with a scalar key, in order: its value when that is a scalar.
    pub entries: Vec<(CompactString, Option<CompactString>)>,
}

impl Labels {
    /// Copies a `labels` node (absent: no labels).
    pub(crate) fn of(labels: Option<&Node>) -> Labels {
        let Some(node) = labels else {
            return Labels::default();
        };
        Labels {
            pos: Some(node.pos),
            entries: node
                .entries()
                .iter()
                .filter_map(|e| {
                    let key = e.key.scalar_text()?;
                    Some((key.into(), e.value.scalar_text().map(CompactString::from)))
                })
                .collect(),
        }
    }

    /// A label's value as [`Node::get`] and [`Node::scalar_text`] read it from the mapping:
    /// the first entry with the key, when its value is a scalar.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The entries whose key and value are both scalars.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_deref()?)))
    }
}

impl ObjectRead {
    /// The object's record, when the inventory-wide rules can have anything to do with it.
    fn wanted(object: &Object) -> Option<ObjectRead> {
        let read = ObjectRead::of(object);
        let wanted = read.workload || read.role != Role::Other || !read.class_labels.is_empty();
        wanted.then_some(read)
    }

    fn of(object: &Object) -> ObjectRead {
        let workload = Workload::of(object);
        ObjectRead {
            workload: workload.is_some(),
            role: Role::of(object),
            pod_labels: match &workload {
                Some(w) => Labels::of(w.pod_metadata.and_then(|m| m.get("labels"))),
                None => Labels::default(),
            },
            class_labels: data_class::own_labels(object, workload.as_ref()),
        }
    }
}

impl ClusterRead {
    /// Reads a whole inventory's objects at once, in parallel.
    pub fn of(objects: &[Object]) -> ClusterRead {
        let records = objects
            .par_chunks(CHUNK)
            .enumerate()
            .flat_map_iter(|(c, chunk)| sparse_read::kept(chunk, c * CHUNK, ObjectRead::wanted))
            .collect();
        ClusterRead {
            records: SparseRead::from_records(objects.len(), records),
        }
    }

    /// Adds the records of the next run of objects (an input read ahead).
    pub fn append(&mut self, next: ClusterRead) {
        self.records.append(next.records);
    }

    /// Makes room for `additional` more objects' records at once.
    pub fn reserve(&mut self, additional: usize) {
        self.records.reserve(additional);
    }

    /// How many objects were read.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no object was read.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records kept, each with its object's index, in order.
    pub(crate) fn records(&self) -> &[(usize, ObjectRead)] {
        self.records.records()
    }
}

/// Reads one input's objects ahead of the inventory-wide rules, on this thread.
pub fn read_ahead(objects: &[Object]) -> ClusterRead {
    ClusterRead {
        records: SparseRead::of(objects, ObjectRead::wanted),
    }
}

#[cfg(test)]
mod tests {
    use palisade_core::inventory::{load_str, LoadLimits};
    use palisade_core::{Config, Inventory};

    use super::*;

    /// Two inputs: a classed namespace without a default-deny policy, a labelled workload in
    /// another, workloads a policy selects and does not, labels of odd shapes.
    const FIRST: &str = "apiVersion: v1
kind: Namespace
metadata: {name: vault, labels: {palisade.dev/data-class: restricted}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: keys, namespace: vault}
spec:
  template:
    metadata: {labels: {app: keys}}
    spec: {containers: [{name: c, image: k}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-only, namespace: shop}
spec: {podSelector: {matchLabels: {app: web}}}
";
    const SECOND: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web, tier: [front]}}
    spec: {containers: [{name: c, image: w}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop, labels: {palisade.dev/data-class: confidential}}
spec:
  template:
    metadata: {labels: {app: 5, app: db}}
    spec: {containers: [{name: c, image: d}]}
---
apiVersion: v1
kind: Pod
metadata: {name: odd, namespace: shop, labels: 7}
spec: {containers: [{name: c, image: o}]}
";

    fn inventory() -> Inventory {
        let mut inv = Inventory::default();
        for (path, text) in [("a.yaml", FIRST), ("b.yaml", SECOND)] {
            inv.add(load_str(path, text, &LoadLimits::default()));
        }
        inv
    }

    fn judged(findings: Vec<palisade_core::Finding>) -> Vec<(String, String, u32)> {
        findings
            .into_iter()
            .map(|f| {
                (
                    f.rule_id.into_owned(),
                    f.object.name.to_string(),
                    f.location.line,
                )
            })
            .collect()
    }

    /// Each input read ahead and appended in turn makes the same findings as reading the
    /// whole inventory at once, and a read that does not line up is read again.
    #[test]
    fn read_ahead_per_input_judges_as_the_whole_inventory() {
        let inv = inventory();
        let config = Config::default();
        let whole = judged(crate::check_cluster(&inv, &config));
        let mut read = ClusterRead::default();
        read.append(read_ahead(inv.objects.get(..3).unwrap_or_default()));
        read.append(read_ahead(inv.objects.get(3..).unwrap_or_default()));
        assert_eq!(read.len(), inv.objects.len());
        assert_eq!(
            judged(crate::check_cluster_read(&inv, &config, &read)),
            whole
        );
        let short = read_ahead(inv.objects.get(..3).unwrap_or_default());
        assert_eq!(
            judged(crate::check_cluster_read(&inv, &config, &short)),
            whole
        );
        // The rules fired: the restricted namespace, the unselected workloads (`db` by its
        // `app` label, `odd` with labels that are not a mapping), not `web`.
        let rules = |id: &str| -> Vec<&str> {
            whole
                .iter()
                .filter(|(r, _, _)| r == id)
                .map(|(_, n, _)| n.as_str())
                .collect()
        };
        assert_eq!(rules("PAL-NET-006"), ["db", "odd"]);
        assert!(rules("PAL-DATA-002").contains(&"vault"), "{whole:?}");
        assert!(rules("PAL-DATA-002").contains(&"db"), "{whole:?}");
    }

    /// Labels read ahead answer as the tree does: a key's entry, scalars only.
    #[test]
    fn labels_answer_as_the_tree() {
        let inv = inventory();
        let db = inv.objects.iter().find(|o| o.id.name == "db");
        let node = db
            .and_then(Workload::of)
            .and_then(|w| w.pod_metadata)
            .and_then(|m| m.get("labels"));
        let labels = Labels::of(node);
        for key in ["app", "tier", "none"] {
            assert_eq!(
                labels.get(key),
                node.and_then(|n| n.get(key)).and_then(Node::scalar_text)
            );
        }
        // The loader keeps one `app` (the last), and `tier`'s value is not a scalar.
        assert_eq!(labels.get("app"), Some("db"));
        assert_eq!(labels.pairs().collect::<Vec<_>>(), [("app", "db")]);
    }
}
