//! The connectivity matrix: for every ordered pair of endpoints, the connections allowed.
//!
//! Computed in two parallel passes over the compiled policies (per-policy selected pods and per-rule peers as bit sets):
//!
//! 1. per destination pod, its ingress toward every source: each source gets a key (the set
//!    of the pod's ingress rules whose peers match it), and each distinct key is turned into
//!    a connection set once;
//! 2. per source pod, its egress toward every destination, keyed the same way plus the
//!    destination's named ports (which decide what named-port rules allow), intersected
//!    with the destination's ingress from pass 1.
//!
//! With Calico or admin policies in the model, the ordered evaluation of `crate::tiers`
//! takes over, keyed the same way.
//!
//! Distinct connection sets are few, so cells hold ids into one table of sets. The result
//! equals [`Model::connections`] on every pair (a property test holds them to a brute-force
//! evaluator).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use crate::conn::ConnectionSet;
use crate::endpoints::ContainerPort;
use crate::eval::rule_conns;
use crate::index::slot;
use crate::model::{EndpointId, Model};
use crate::policy::{Direction, Rule};

/// A multiply-rotate hasher for the matrix's internal caches (keys are rule bit patterns
/// and small ids, never attacker-chosen text): the caches are probed once per cell, and the
/// default SipHash was most of the matrix's time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, v: u32) {
        self.add(u64::from(v));
    }

    fn write_u64(&mut self, v: u64) {
        self.add(v);
    }

    fn write_usize(&mut self, v: usize) {
        self.add(v as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A cell between two external classes: no policy governs that traffic.
pub(crate) const NO_CELL: u32 = u32::MAX;

/// Allowed connections between every ordered pair of endpoints of a [`Model`], indexed by
/// [`EndpointId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub(crate) size: usize,
    pub(crate) workloads: usize,
    pub(crate) cells: Vec<u32>,
    pub(crate) sets: Vec<ConnectionSet>,
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell<'a> {
    /// Source.
    pub src: EndpointId,
    /// Destination.
    pub dst: EndpointId,
    /// What is allowed.
    pub connections: &'a ConnectionSet,
}

impl Matrix {
    /// Number of endpoints (rows and columns).
    pub fn size(&self) -> usize {
        self.size
    }

    /// The connections from `src` to `dst`. `None` between two external classes (no policy
    /// governs traffic outside the cluster) and for ids out of range. A workload's cell
    /// with itself is the traffic between its replicas.
    pub fn get(&self, src: EndpointId, dst: EndpointId) -> Option<&ConnectionSet> {
        let (s, d) = (src.index(), dst.index());
        if s >= self.size || d >= self.size {
            return None;
        }
        match self.cells[s * self.size + d] {
            NO_CELL => None,
            id => self.sets.get(id as usize),
        }
    }

    /// Every cell, row by row (source, then destination, in endpoint order); pairs of
    /// external classes are skipped.
    pub fn cells(&self) -> impl Iterator<Item = Cell<'_>> + '_ {
        self.cells.iter().enumerate().filter_map(move |(i, &id)| {
            let connections = self.sets.get(id as usize)?;
            Some(Cell {
                src: EndpointId((i / self.size) as u32),
                dst: EndpointId((i % self.size) as u32),
                connections,
            })
        })
    }

    /// The cells that allow something.
    pub fn allowed(&self) -> impl Iterator<Item = Cell<'_>> + '_ {
        self.cells().filter(|c| !c.connections.is_empty())
    }

    /// How many endpoints are workloads (the first ones).
    pub fn workload_count(&self) -> usize {
        self.workloads
    }
}

/// Distinct connection sets, each stored once.
#[derive(Default)]
pub(crate) struct Interner {
    ids: HashMap<ConnectionSet, u32>,
    pub(crate) sets: Vec<ConnectionSet>,
}

impl Interner {
    pub(crate) fn intern(&mut self, set: ConnectionSet) -> u32 {
        if let Some(&id) = self.ids.get(&set) {
            return id;
        }
        let id = self.sets.len() as u32;
        self.sets.push(set.clone());
        self.ids.insert(set, id);
        id
    }

    /// Moves a task's local sets in; returns the local → global id map.
    pub(crate) fn absorb(&mut self, local: Vec<ConnectionSet>) -> Vec<u32> {
        local.into_iter().map(|s| self.intern(s)).collect()
    }
}

/// The rules isolating `subject` in `direction`, flattened, with a key per endpoint: bit
/// `k` of endpoint `e`'s key is set when rule `k`'s peers match `e`.
struct Keys<'m> {
    rules: Vec<&'m Rule>,
    words: usize,
    bits: Vec<u64>,
}

impl<'m> Keys<'m> {
    fn of(model: &'m Model, subject: usize, direction: Direction) -> Option<Keys<'m>> {
        let policies = &model.index.isolating[subject][slot(direction)];
        if policies.is_empty() {
            return None;
        }
        let n = model.endpoints().len();
        let pods = model.workload_count();
        let mut rules = Vec::new();
        let mut peers = Vec::new();
        for &p in policies {
            let compiled = &model.index.policies[p as usize];
            for (ri, rule) in model.policies()[p as usize]
                .rules(direction)
                .iter()
                .enumerate()
            {
                rules.push(rule);
                peers.push(&compiled.peers[slot(direction)][ri]);
            }
        }
        let words = rules.len().div_ceil(64).max(1);
        let mut bits = vec![0u64; n * words];
        for (k, p) in peers.iter().enumerate() {
            let (w, b) = (k / 64, 1u64 << (k % 64));
            for i in p.pods.iter() {
                bits[i * words + w] |= b;
            }
            for c in p.external.iter() {
                bits[(pods + c) * words + w] |= b;
            }
        }
        Some(Keys { rules, words, bits })
    }

    fn key(&self, endpoint: usize) -> &[u64] {
        &self.bits[endpoint * self.words..(endpoint + 1) * self.words]
    }

    /// Rules whose bit is set in `key`.
    fn set_rules<'k>(&'k self, key: &'k [u64]) -> impl Iterator<Item = &'m Rule> + 'k {
        key.iter().enumerate().flat_map(move |(w, &word)| {
            (0..64)
                .filter(move |b| word & (1 << b) != 0)
                .filter_map(move |b| self.rules.get(w * 64 + b).copied())
        })
    }
}

/// Pass 1: one column per destination pod (`None`: not isolated, all allowed), as local
/// ids and their sets.
fn ingress_column(model: &Model, d: usize) -> Option<(Vec<u32>, Vec<ConnectionSet>)> {
    let keys = Keys::of(model, d, Direction::Ingress)?;
    let dst = model.pods(d);
    let per_rule: Vec<ConnectionSet> = keys.rules.iter().map(|r| rule_conns(r, dst)).collect();
    let n = model.endpoints().len();
    let mut cache: FastMap<&[u64], u32> = FastMap::default();
    let mut sets = Vec::new();
    let mut column = Vec::with_capacity(n);
    for s in 0..n {
        let key = keys.key(s);
        let id = *cache.entry(key).or_insert_with(|| {
            let mut acc = ConnectionSet::none();
            for (k, c) in per_rule.iter().enumerate() {
                if key[k / 64] & (1 << (k % 64)) != 0 {
                    acc = acc.union(c);
                }
            }
            sets.push(acc);
            (sets.len() - 1) as u32
        });
        column.push(id);
    }
    Some((column, sets))
}

/// Which named ports an endpoint has: endpoints with equal profiles get equal results from
/// every rule. External classes have none.
pub(crate) fn profiles(model: &Model) -> Vec<u32> {
    let mut ids: HashMap<Vec<&ContainerPort>, u32> = HashMap::new();
    model
        .endpoints()
        .iter()
        .map(|e| {
            let named: Vec<&ContainerPort> = e
                .as_pods()
                .map(|p| p.ports.iter().filter(|c| c.name.is_some()).collect())
                .unwrap_or_default();
            let next = ids.len() as u32;
            *ids.entry(named).or_insert(next)
        })
        .collect()
}

struct Shared<'a> {
    model: &'a Model,
    profiles: Vec<u32>,
    /// Per destination pod: its ingress column in global ids of `ingress_sets`.
    columns: Vec<Option<Vec<u32>>>,
    ingress_sets: Vec<ConnectionSet>,
}

impl Shared<'_> {
    /// Pass 2: one row per source (pods and external classes), as local ids and sets.
    fn row(&self, s: usize) -> (Vec<u32>, Vec<ConnectionSet>) {
        let model = self.model;
        let n = model.endpoints().len();
        let pods = model.workload_count();
        let keys = if s < pods {
            Keys::of(model, s, Direction::Egress)
        } else {
            None
        };
        // Egress sets of this row, by local id (id 0 is "all", for unisolated sources).
        let mut egress_sets = vec![ConnectionSet::all()];
        let mut egress_cache: FastMap<(&[u64], u32), u32> = FastMap::default();
        let mut final_cache: FastMap<(u32, u32), u32> = FastMap::default();
        let mut sets = Vec::new();
        let mut row = Vec::with_capacity(n);
        for d in 0..n {
            if s >= pods && d >= pods {
                row.push(NO_CELL);
                continue;
            }
            let egress = match &keys {
                None => 0,
                Some(keys) => {
                    let key = keys.key(d);
                    *egress_cache
                        .entry((key, self.profiles[d]))
                        .or_insert_with(|| {
                            let dst = model.pods(d);
                            let set = keys.set_rules(key).fold(ConnectionSet::none(), |acc, r| {
                                acc.union(&rule_conns(r, dst))
                            });
                            egress_sets.push(set);
                            (egress_sets.len() - 1) as u32
                        })
                }
            };
            // u32::MAX stands for "destination not isolated" (or external): all allowed.
            let ingress_id = self
                .columns
                .get(d)
                .and_then(Option::as_ref)
                .map_or(u32::MAX, |col| col[s]);
            let id = *final_cache.entry((egress, ingress_id)).or_insert_with(|| {
                let eg = &egress_sets[egress as usize];
                let cell = match self.ingress_sets.get(ingress_id as usize) {
                    Some(ing) => eg.intersection(ing),
                    None => eg.clone(),
                };
                sets.push(cell);
                (sets.len() - 1) as u32
            });
            row.push(id);
        }
        (row, sets)
    }
}

/// Computes the matrix of a model: every ordered pair of endpoints (workloads and external
/// address classes, except pairs of two external classes), in endpoint order.
pub fn matrix(model: &Model) -> Matrix {
    if model.tier_index.active {
        return crate::tiers::matrix::matrix(model);
    }
    let n = model.endpoints().len();
    let pods = model.workload_count();
    let raw_columns: Vec<Option<(Vec<u32>, Vec<ConnectionSet>)>> = (0..pods)
        .into_par_iter()
        .map(|d| ingress_column(model, d))
        .collect();
    let mut ingress = Interner::default();
    let columns: Vec<Option<Vec<u32>>> = raw_columns
        .into_iter()
        .map(|c| {
            c.map(|(local, sets)| {
                let map = ingress.absorb(sets);
                local.into_iter().map(|i| map[i as usize]).collect()
            })
        })
        .collect();
    let shared = Shared {
        model,
        profiles: profiles(model),
        columns,
        ingress_sets: ingress.sets,
    };
    let rows: Vec<(Vec<u32>, Vec<ConnectionSet>)> =
        (0..n).into_par_iter().map(|s| shared.row(s)).collect();
    let mut table = Interner::default();
    let mut cells = Vec::with_capacity(n * n);
    for (local, sets) in rows {
        let map = table.absorb(sets);
        cells.extend(local.into_iter().map(|i| match i {
            NO_CELL => NO_CELL,
            i => map[i as usize],
        }));
    }
    Matrix {
        size: n,
        workloads: pods,
        cells,
        sets: table.sets,
    }
}
