//! [`SparseRead`]: what an inventory-wide analysis read ahead of the few objects it looks
//! at, each record with its object's index. Most objects of a large inventory (Services,
//! ConfigMaps, RBAC objects, ...) are of no interest to a given analysis, and a record for
//! each was memory a large scan faulted in for nothing.

use crate::inventory::Object;

/// Records of some objects of a run, each with its object's index, in order, and how many
/// objects were read.
#[derive(Debug)]
pub struct SparseRead<T> {
    read: usize,
    records: Vec<(usize, T)>,
}

impl<T> Default for SparseRead<T> {
    fn default() -> Self {
        SparseRead {
            read: 0,
            records: Vec::new(),
        }
    }
}

impl<T> SparseRead<T> {
    /// Reads a run of objects on this thread: `record` makes an object's record, or `None`
    /// for an object the analysis has nothing to do with.
    pub fn of(objects: &[Object], record: impl Fn(&Object) -> Option<T>) -> SparseRead<T> {
        SparseRead {
            read: objects.len(),
            records: kept(objects, 0, record).collect(),
        }
    }

    /// Records already indexed (read in parallel with [`kept`]) of `read` objects.
    pub fn from_records(read: usize, records: Vec<(usize, T)>) -> SparseRead<T> {
        SparseRead { read, records }
    }

    /// Adds the records of the next run of objects (an input read ahead).
    pub fn append(&mut self, next: SparseRead<T>) {
        let first = self.read;
        self.read += next.read;
        self.records
            .extend(next.records.into_iter().map(|(i, r)| (first + i, r)));
    }

    /// Makes room for `additional` more objects' records at once (joining a large
    /// inventory's reads one input at a time grew the list by doubling, copying it each
    /// time). Room for a record per object, the most there can be: the room no record fills
    /// is never written, so the system never backs it with memory.
    pub fn reserve(&mut self, additional: usize) {
        self.records.reserve_exact(additional);
    }

    /// How many objects were read.
    pub fn len(&self) -> usize {
        self.read
    }

    /// Whether no object was read.
    pub fn is_empty(&self) -> bool {
        self.read == 0
    }

    /// The records kept, each with its object's index, in order.
    pub fn records(&self) -> &[(usize, T)] {
        &self.records
    }
}

/// The records `record` keeps of a run of objects, indexed from `first` (a chunk's place in
/// the run when a caller reads chunks in parallel).
pub fn kept<'a, T: 'a>(
    objects: &'a [Object],
    first: usize,
    record: impl Fn(&Object) -> Option<T> + 'a,
) -> impl Iterator<Item = (usize, T)> + 'a {
    objects
        .iter()
        .enumerate()
        .filter_map(move |(i, o)| Some((first + i, record(o)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{load_str, LoadLimits};

    fn objects(kinds: &[&str]) -> Vec<Object> {
        let text: String = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| format!("---\napiVersion: v1\nkind: {k}\nmetadata:\n  name: o{i}\n"))
            .collect();
        load_str("run.yaml", &text, &LoadLimits::default()).objects
    }

    #[test]
    fn appended_runs_keep_inventory_indexes() {
        let services = |o: &Object| o.is("Service").then(|| o.id.name.to_string());
        let first = objects(&["Service", "ConfigMap", "Service"]);
        let second = objects(&["ConfigMap", "Service"]);
        let mut all = SparseRead::of(&first, services);
        all.reserve(second.len());
        all.append(SparseRead::of(&second, services));
        assert_eq!(all.len(), 5);
        let indexes: Vec<usize> = all.records().iter().map(|(i, _)| *i).collect();
        assert_eq!(indexes, [0, 2, 4]);
        assert!(SparseRead::<String>::default().is_empty());
    }
}
