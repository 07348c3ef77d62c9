//! Where a workload declares each container port (the `containerPort` key's line and field
//! path), which PAL-NET-013 points at: read from the object's tree when asked, or read ahead
//! while the tree was in cache (on a large inventory, thousands of findings would otherwise
//! each walk a cold tree again).

use std::sync::Arc;

use foldhash::HashMap;
use palisade_core::yaml::Node;
use palisade_core::{Location, Object, ObjectRef, Workload};

use super::Objects;

/// One `containerPort` entry of a workload.
#[derive(Debug, Clone)]
pub struct PortPlace {
    /// The value, as written.
    number: i64,
    /// The `containerPort` key's place.
    location: Location,
    /// `spec.template.spec.containers[0].ports[1].containerPort`.
    field: Arc<str>,
}

/// Every `containerPort` entry of `obj` with an integer value, in container order (regular,
/// init, ephemeral) then port order; empty for an object without a pod spec.
pub(crate) fn read(obj: &Object) -> Vec<PortPlace> {
    Workload::of(obj).map_or_else(Vec::new, |w| places_of(obj, &w))
}

/// [`read`] given the object's workload.
pub(crate) fn places_of(obj: &Object, w: &Workload) -> Vec<PortPlace> {
    let mut out = Vec::new();
    for c in w.containers() {
        let ports = c.node.get("ports").map(Node::items).unwrap_or_default();
        for (i, port) in ports.iter().enumerate() {
            let Some(entry) = port.entry("containerPort") else {
                continue;
            };
            let Some(number) = entry.value.as_i64() else {
                continue;
            };
            out.push(PortPlace {
                number,
                location: obj.location_of(entry.key.pos),
                field: c.field_path_of(&[&"ports[", &i, &"].containerPort"]),
            });
        }
    }
    out
}

/// Where the port places of a workload come from.
pub(super) enum PortPlaces {
    /// Each object's tree, read when asked.
    FromTrees,
    /// Read ahead, by object (the address of its shared reference).
    Read(HashMap<usize, Vec<PortPlace>>),
}

impl PortPlaces {
    /// Places read ahead, each list with its object's index in `objects`.
    pub(super) fn read_ahead(objects: &[Object], read: Vec<(usize, Vec<PortPlace>)>) -> Self {
        // Sized once: grown by doubling, the map of every workload is rehashed into fresh
        // memory again and again.
        let mut by_object = HashMap::with_capacity_and_hasher(read.len(), Default::default());
        by_object.extend(
            read.into_iter().filter_map(|(i, places)| {
                Some((Arc::as_ptr(&objects.get(i)?.id) as usize, places))
            }),
        );
        PortPlaces::Read(by_object)
    }

    /// The place and field path of the first entry of the workload `id` that declares
    /// `number` (`None` for a reference to no object of the input, such as a controller
    /// named by grouped Pods).
    pub(super) fn find(
        &self,
        objects: &Objects,
        id: &Arc<ObjectRef>,
        number: u16,
    ) -> Option<(Location, Arc<str>)> {
        let wanted = i64::from(number);
        let found = |p: &PortPlace| p.number == wanted;
        match self {
            PortPlaces::FromTrees => read(objects.get(id)?)
                .into_iter()
                .find(found)
                .map(|p| (p.location, p.field)),
            PortPlaces::Read(by_object) => by_object
                .get(&(Arc::as_ptr(id) as usize))?
                .iter()
                .find(|p| found(p))
                .map(|p| (p.location.clone(), p.field.clone())),
        }
    }
}
