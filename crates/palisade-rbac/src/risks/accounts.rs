//! Each workload's service account as its pod spec names it, read while the object's tree is
//! in cache: a scan reads every input ahead ([`read_ahead`]), so that PAL-RBAC-024 does not
//! walk every object's tree again once the inventory is complete. A caller with a whole
//! inventory and nothing read ahead reads it all at once ([`WorkloadAccounts::of`]): the rule
//! sees the same records either way.

use compact_str::CompactString;
use palisade_core::sparse_read::{self, SparseRead};
use palisade_core::yaml::Pos;
use palisade_core::{Object, Workload};
use rayon::prelude::*;

/// Objects per parallel work item when a whole inventory is read at once.
const CHUNK: usize = 256;

/// One record per object, in inventory order: `None` for objects that run no pods. Beside
/// them, where the RBAC objects and the ServiceAccounts are, so that the analysis reads those
/// few objects instead of passing over the whole inventory again for each.
#[derive(Debug, Default)]
pub struct WorkloadAccounts {
    /// Each workload's account, with the workload's index, in order (other objects keep no
    /// record: most objects are not workloads).
    records: SparseRead<Account>,
    /// Indexes of the Roles, ClusterRoles and their bindings ([`crate::model::is_rbac_object`]).
    rbac: Vec<usize>,
    /// Indexes of the ServiceAccounts.
    accounts: Vec<usize>,
}

/// The service account a workload's pod spec names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    /// `serviceAccountName` (else the deprecated `serviceAccount`) when it names one, with
    /// the key's place; `None`: the namespace's `default`.
    pub named: Option<(CompactString, Pos)>,
}

impl Account {
    fn of(object: &Object) -> Option<Account> {
        let w = Workload::of(object)?;
        let named = w
            .spec
            .entry("serviceAccountName")
            .or_else(|| w.spec.entry("serviceAccount"))
            .and_then(|e| {
                let name = e.value.as_str().filter(|s| !s.is_empty())?;
                Some((CompactString::from(name), e.key.pos))
            });
        Some(Account { named })
    }

    /// The account's name in its namespace.
    pub fn name(&self) -> &str {
        self.named.as_ref().map_or("default", |(n, _)| n.as_str())
    }
}

impl WorkloadAccounts {
    /// Reads a whole inventory's objects at once, in parallel.
    pub fn of(objects: &[Object]) -> WorkloadAccounts {
        let records = objects
            .par_chunks(CHUNK)
            .enumerate()
            .flat_map_iter(|(c, chunk)| sparse_read::kept(chunk, c * CHUNK, Account::of))
            .collect();
        let (rbac, accounts) = places(objects);
        WorkloadAccounts {
            records: SparseRead::from_records(objects.len(), records),
            rbac,
            accounts,
        }
    }

    /// Adds the records of the next run of objects (an input read ahead).
    pub fn append(&mut self, next: WorkloadAccounts) {
        let first = self.records.len();
        self.records.append(next.records);
        self.rbac.extend(next.rbac.iter().map(|i| first + i));
        self.accounts
            .extend(next.accounts.iter().map(|i| first + i));
    }

    /// Makes room for `additional` more objects' records at once (joining a large
    /// inventory's reads one input at a time grew the list by doubling, copying it each time).
    pub fn reserve(&mut self, additional: usize) {
        self.records.reserve(additional);
    }

    /// The indexes of the RBAC objects ([`crate::model::is_rbac_object`]), in order.
    pub(crate) fn rbac(&self) -> &[usize] {
        &self.rbac
    }

    /// The indexes of the ServiceAccounts, in order.
    pub(crate) fn accounts(&self) -> &[usize] {
        &self.accounts
    }

    /// How many objects were read.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no object was read.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The workloads' accounts, each with the workload's index, in order.
    pub(crate) fn records(&self) -> &[(usize, Account)] {
        self.records.records()
    }
}

/// Reads one input's objects ahead of PAL-RBAC-024, on this thread.
pub fn read_ahead(objects: &[Object]) -> WorkloadAccounts {
    let (rbac, accounts) = places(objects);
    WorkloadAccounts {
        records: SparseRead::of(objects, Account::of),
        rbac,
        accounts,
    }
}

/// The indexes of the RBAC objects and of the ServiceAccounts among `objects`.
fn places(objects: &[Object]) -> (Vec<usize>, Vec<usize>) {
    let (mut rbac, mut accounts) = (Vec::new(), Vec::new());
    for (i, o) in objects.iter().enumerate() {
        if crate::model::is_rbac_object(o) {
            rbac.push(i);
        } else if o.id.kind == "ServiceAccount" {
            accounts.push(i);
        }
    }
    (rbac, accounts)
}
