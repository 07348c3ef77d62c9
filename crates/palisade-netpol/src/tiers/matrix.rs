//! The matrix when Calico or admin policies take part: the same two passes as
//! [`crate::matrix()`] (ingress columns, then egress rows intersected with them), each side
//! judged by its ordered [`Plan`] instead of the union of NetworkPolicy rules. An endpoint's
//! key is the set of the side's steps whose peers match it; each distinct key (and, for
//! egress, destination named-port profile) is evaluated once. Pods with the same plan
//! share their keys (and, with the same named ports, their ingress column): workloads
//! with equal labels in alike namespaces are common, and building keys is the costly part.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::Plan;
use crate::bitset::transpose64;
use crate::conn::ConnectionSet;
use crate::matrix::{profiles, FastMap, Interner, Matrix, NO_CELL};
use crate::model::Model;
use crate::policy::Direction;

struct Keys {
    plan: Plan,
    words: usize,
    bits: Vec<u64>,
}

impl Keys {
    fn of(model: &Model, plan: Plan, direction: Direction) -> Keys {
        let n = model.endpoints().len();
        let pods = model.workload_count();
        let words = plan.steps.len().div_ceil(64).max(1);
        let mut bits = vec![0u64; n * words];
        let peers: Vec<_> = plan
            .steps
            .iter()
            .map(|step| Plan::peers(model, step, direction))
            .collect();
        // Pods: 64 steps × 64 pods at a time, by bit-matrix transposition (setting bits one
        // by one costs a step's every matched pod, which dominates with broad rules).
        let mut block = [0u64; 64];
        for (w, chunk) in peers.chunks(64).enumerate() {
            for pw in 0..pods.div_ceil(64) {
                for (j, p) in chunk.iter().enumerate() {
                    block[j] = p.pods.word(pw);
                }
                block[chunk.len()..].fill(0);
                if block.iter().all(|&x| x == 0) {
                    continue;
                }
                transpose64(&mut block);
                for (c, &steps) in block.iter().enumerate() {
                    let e = pw * 64 + c;
                    if e < pods {
                        bits[e * words + w] = steps;
                    }
                }
            }
        }
        // External classes are few: bit by bit.
        for (k, p) in peers.iter().enumerate() {
            let (w, b) = (k / 64, 1u64 << (k % 64));
            for c in p.external.iter() {
                bits[(pods + c) * words + w] |= b;
            }
        }
        Keys { plan, words, bits }
    }

    fn key(&self, endpoint: usize) -> &[u64] {
        &self.bits[endpoint * self.words..(endpoint + 1) * self.words]
    }

    fn evaluate(&self, key: &[u64], conns: impl Fn(usize) -> ConnectionSet) -> ConnectionSet {
        self.plan
            .evaluate(|k| key[k / 64] & (1 << (k % 64)) != 0, conns)
    }
}

fn ingress_column(model: &Model, keys: &Keys, d: usize) -> (Vec<u32>, Vec<ConnectionSet>) {
    let dst = model.pods(d);
    let per_step: Vec<ConnectionSet> = keys
        .plan
        .steps
        .iter()
        .map(|s| Plan::conns(model, s, Direction::Ingress, dst))
        .collect();
    let n = model.endpoints().len();
    let mut cache: FastMap<&[u64], u32> = FastMap::default();
    let mut sets = Vec::new();
    let mut column = Vec::with_capacity(n);
    for s in 0..n {
        let key = keys.key(s);
        let id = *cache.entry(key).or_insert_with(|| {
            sets.push(keys.evaluate(key, |k| per_step[k].clone()));
            (sets.len() - 1) as u32
        });
        column.push(id);
    }
    (column, sets)
}

/// Per pod, the index of its plan in a list of distinct plans (`None`: no plan, all
/// allowed), and the keys of each distinct plan.
fn distinct_keys(model: &Model, direction: Direction) -> (Vec<Option<usize>>, Vec<Arc<Keys>>) {
    let plans: Vec<Plan> = (0..model.workload_count())
        .into_par_iter()
        .map(|s| Plan::of(model, s, direction))
        .collect();
    let mut ids: HashMap<&Plan, usize> = HashMap::new();
    let mut unique: Vec<&Plan> = Vec::new();
    let of_pod = plans
        .iter()
        .map(|p| {
            (!p.segments.is_empty()).then(|| {
                *ids.entry(p).or_insert_with(|| {
                    unique.push(p);
                    unique.len() - 1
                })
            })
        })
        .collect();
    let keys = unique
        .into_par_iter()
        .map(|p| Arc::new(Keys::of(model, p.clone(), direction)))
        .collect();
    (of_pod, keys)
}

struct Shared<'a> {
    model: &'a Model,
    egress_plan: Vec<Option<usize>>,
    egress_keys: Vec<Arc<Keys>>,
    profiles: Vec<u32>,
    columns: Vec<Option<Arc<Vec<u32>>>>,
    ingress_sets: Vec<ConnectionSet>,
}

impl Shared<'_> {
    fn row(&self, s: usize) -> (Vec<u32>, Vec<ConnectionSet>) {
        let model = self.model;
        let n = model.endpoints().len();
        let pods = model.workload_count();
        let keys = self
            .egress_plan
            .get(s)
            .copied()
            .flatten()
            .map(|i| &*self.egress_keys[i]);
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
            let egress = match keys {
                None => 0,
                Some(keys) => {
                    let key = keys.key(d);
                    *egress_cache
                        .entry((key, self.profiles[d]))
                        .or_insert_with(|| {
                            let dst = model.pods(d);
                            let set = keys.evaluate(key, |k| {
                                Plan::conns(model, &keys.plan.steps[k], Direction::Egress, dst)
                            });
                            egress_sets.push(set);
                            (egress_sets.len() - 1) as u32
                        })
                }
            };
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

/// The matrix under ordered evaluation.
pub(crate) fn matrix(model: &Model) -> Matrix {
    let n = model.endpoints().len();
    let pods = model.workload_count();
    let profiles = profiles(model);
    let (ingress_plan, ingress_keys) = distinct_keys(model, Direction::Ingress);
    // One column per distinct (plan, named ports of the destination).
    let mut groups: HashMap<(usize, u32), usize> = HashMap::new();
    let mut jobs: Vec<(usize, usize)> = Vec::new();
    let group_of: Vec<Option<usize>> = (0..pods)
        .map(|d| {
            let plan = ingress_plan[d]?;
            Some(*groups.entry((plan, profiles[d])).or_insert_with(|| {
                jobs.push((plan, d));
                jobs.len() - 1
            }))
        })
        .collect();
    let raw: Vec<(Vec<u32>, Vec<ConnectionSet>)> = jobs
        .par_iter()
        .map(|&(plan, d)| ingress_column(model, &ingress_keys[plan], d))
        .collect();
    let mut ingress = Interner::default();
    let shared_columns: Vec<Arc<Vec<u32>>> = raw
        .into_iter()
        .map(|(local, sets)| {
            let map = ingress.absorb(sets);
            Arc::new(local.into_iter().map(|i| map[i as usize]).collect())
        })
        .collect();
    let columns = group_of
        .iter()
        .map(|g| g.map(|g| Arc::clone(&shared_columns[g])))
        .collect();
    let (egress_plan, egress_keys) = distinct_keys(model, Direction::Egress);
    let shared = Shared {
        model,
        egress_plan,
        egress_keys,
        profiles,
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
