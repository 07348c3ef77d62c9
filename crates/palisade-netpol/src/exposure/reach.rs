//! Who can reach one destination: every source (workload or external address class) whose
//! connection to it allows a given port, or anything at all.
//!
//! Equal to filtering a column of the [`crate::matrix()`] (a test holds them equal), without
//! computing the matrix: the destination's ingress rules are evaluated once (what each
//! allows toward it, whom its peers admit), and the egress side once per distinct set of
//! isolating egress policies among the sources. A scan asks this for the workloads with
//! sensitive ports or data classes only, so the cost stays linear in the input per such
//! workload.

use foldhash::{HashMap, HashMapExt};

use crate::bitset::BitSet;
use crate::conn::{ConnectionSet, Protocol};
use crate::endpoints::Pods;
use crate::eval::rule_conns;
use crate::index::slot;
use crate::index::RulePeers;
use crate::model::{EndpointId, Model};
use crate::policy::Direction;

/// What the connection must allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// This protocol and port.
    Port(Protocol, u16),
    /// Anything (any protocol, any port).
    Any,
}

impl Want {
    fn met_by(self, conns: &ConnectionSet) -> bool {
        match self {
            Want::Port(proto, port) => conns.contains(proto, port),
            Want::Any => !conns.is_empty(),
        }
    }
}

/// One destination's column, evaluated lazily: which sources its ingress admits, and the
/// exact verdict for a source, with the egress side cached per distinct set of isolating
/// egress policies.
struct Column<'m> {
    model: &'m Model,
    dst: usize,
    dst_pods: &'m Pods,
    want: Want,
    /// Ingress isolated?
    isolated: bool,
    /// The destination's ingress rules that allow something toward it: whom each admits
    /// and what it allows.
    ingress: Vec<(&'m RulePeers, ConnectionSet)>,
    /// Sources some rule meeting `want` admits (unused when not isolated).
    admitted: BitSet,
    key: Vec<u64>,
    ingress_cache: HashMap<Vec<u64>, ConnectionSet>,
    egress_cache: HashMap<&'m [u32], ConnectionSet>,
    /// Calico or admin policies are in the model: the NetworkPolicy shortcut above does not
    /// hold, and each source is judged by the full tiered evaluation instead.
    tiered: bool,
}

impl<'m> Column<'m> {
    fn new(model: &'m Model, dst: EndpointId, want: Want) -> Option<Column<'m>> {
        let d = dst.index();
        let dst_pods = model.pods(d)?;
        let n = model.endpoints().len();
        let pods = model.workload_count();
        let isolating = &model.index.isolating[d][slot(Direction::Ingress)];
        let mut ingress = Vec::new();
        for &p in isolating {
            let compiled = &model.index.policies[p as usize];
            for (ri, rule) in model.policies()[p as usize].ingress.iter().enumerate() {
                let conns = rule_conns(rule, Some(dst_pods));
                if !conns.is_empty() {
                    ingress.push((&compiled.peers[slot(Direction::Ingress)][ri], conns));
                }
            }
        }
        let mut admitted = BitSet::new(if isolating.is_empty() { 0 } else { n });
        if !isolating.is_empty() {
            for (peers, conns) in &ingress {
                if want.met_by(conns) {
                    for i in peers.pods.iter() {
                        admitted.insert(i);
                    }
                    for c in peers.external.iter().filter(|c| pods + c < n) {
                        admitted.insert(pods + c);
                    }
                }
            }
        }
        let words = ingress.len().div_ceil(64).max(1);
        Some(Column {
            model,
            dst: d,
            dst_pods,
            want,
            isolated: !isolating.is_empty(),
            ingress,
            admitted,
            key: vec![0; words],
            ingress_cache: HashMap::new(),
            egress_cache: HashMap::new(),
            tiered: !model.calico_policies().is_empty() || !model.admin_policies().is_empty(),
        })
    }

    /// Does the destination's ingress admit `s` as `want` says (a necessary condition)?
    fn admits(&self, s: usize) -> bool {
        self.tiered || !self.isolated || self.admitted.contains(s)
    }

    /// For a source the ingress admits: does the whole connection meet `want`? Sources
    /// whose egress is not isolated (external addresses included) are settled already.
    fn reaches(&mut self, s: usize) -> bool {
        let model = self.model;
        if self.tiered {
            let want = self.want;
            return model
                .connections(EndpointId(s as u32), EndpointId(self.dst as u32))
                .is_some_and(|c| want.met_by(&c));
        }
        let pods = model.workload_count();
        let egress_policies: &'m [u32] = if s < pods {
            &model.index.isolating[s][slot(Direction::Egress)]
        } else {
            &[]
        };
        if egress_policies.is_empty() {
            return true;
        }
        if !self.isolated {
            return self.egress_allows(egress_policies);
        }
        let egress = egress_toward(
            &mut self.egress_cache,
            model,
            (self.dst, self.dst_pods),
            egress_policies,
        );
        // What the ingress side allows from `s` depends only on which rules admit it: one
        // union per distinct key (bit k: rule k admits the source).
        let key = &mut self.key;
        key.fill(0);
        for (k, (peers, _)) in self.ingress.iter().enumerate() {
            let hit = if s < pods {
                peers.pods.contains(s)
            } else {
                peers.external.contains(s - pods)
            };
            if hit {
                key[k / 64] |= 1 << (k % 64);
            }
        }
        if !self.ingress_cache.contains_key(key.as_slice()) {
            let set = self
                .ingress
                .iter()
                .enumerate()
                .filter(|(k, _)| key[k / 64] & (1 << (k % 64)) != 0)
                .fold(ConnectionSet::none(), |acc, (_, (_, c))| acc.union(c));
            self.ingress_cache.insert(key.clone(), set);
        }
        let want = self.want;
        self.ingress_cache
            .get(key.as_slice())
            .is_some_and(|ing| want.met_by(&egress.intersection(ing)))
    }

    /// Whether a source whose isolating egress policies are `policies` (some) meets `want`
    /// toward the destination, its ingress not isolated.
    fn egress_allows(&mut self, policies: &'m [u32]) -> bool {
        let dst = (self.dst, self.dst_pods);
        self.want.met_by(egress_toward(
            &mut self.egress_cache,
            self.model,
            dst,
            policies,
        ))
    }
}

/// What the isolating egress policies `policies` of a source allow toward the destination
/// `dst` (their rules whose peers hold it), computed once per distinct set into `cache`.
fn egress_toward<'c, 'm>(
    cache: &'c mut HashMap<&'m [u32], ConnectionSet>,
    model: &'m Model,
    (d, dst_pods): (usize, &Pods),
    policies: &'m [u32],
) -> &'c ConnectionSet {
    cache.entry(policies).or_insert_with(|| {
        let mut acc = ConnectionSet::none();
        for &p in policies {
            let compiled = &model.index.policies[p as usize];
            for (ri, rule) in model.policies()[p as usize].egress.iter().enumerate() {
                if compiled.peers[slot(Direction::Egress)][ri].pods.contains(d) {
                    acc = acc.union(&rule_conns(rule, Some(dst_pods)));
                }
            }
        }
        acc
    })
}

/// The endpoints (workloads first, then external classes, in endpoint order) from which
/// `dst` can be reached as `want` says; empty when `dst` is not a workload. A workload
/// reaching itself (its replicas) is included when allowed.
pub fn reachers(model: &Model, dst: EndpointId, want: Want) -> Vec<EndpointId> {
    let Some(mut column) = Column::new(model, dst, want) else {
        return Vec::new();
    };
    (0..model.endpoints().len())
        .filter(|&s| column.admits(s) && column.reaches(s))
        .map(|s| EndpointId(s as u32))
        .collect()
}

/// Who reaches a destination, by namespace: what the scan's messages need, without
/// listing every source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary<'m> {
    /// External address classes that reach it.
    pub external: Vec<EndpointId>,
    /// Namespaces (sorted) with at least one workload that reaches it, its own included
    /// when one does. Borrowed from the model: an open workload of a large cluster is
    /// reached from every namespace, and a summary need not copy all their names.
    pub namespaces: Vec<&'m str>,
}

/// Answers [`Summary`] questions over one model: the workloads' namespace ranges are
/// computed once (workloads are sorted by namespace), and each namespace stops at its first
/// workload that reaches the destination.
pub struct Reacher<'m> {
    model: &'m Model,
    /// (namespace, first workload, one past the last).
    ranges: Vec<(&'m str, usize, usize)>,
    /// Per workload, its namespace's position in `ranges`.
    range_of: Vec<u32>,
    /// Per range, how its workloads' egress is isolated.
    egress: Vec<RangeEgress<'m>>,
    /// Whether the ranges' namespaces are strictly increasing (the model sorts workloads by
    /// namespace): namespaces found in range order are then sorted and distinct already.
    in_order: bool,
}

/// How the egress of one namespace's workloads is isolated. Toward a destination whose
/// ingress is not isolated, a source's reach depends on its isolating egress policies
/// alone: a namespace reaches it when one of its workloads has none, or one of the distinct
/// sets of them allows the connection. A namespace holds hundreds of workloads and a few
/// such sets, and a scan asks this for every sensitive port.
#[derive(Default)]
struct RangeEgress<'m> {
    /// Some workload's egress is not isolated.
    open: bool,
    /// The distinct sets of isolating egress policies of the others.
    sets: Vec<&'m [u32]>,
}

impl<'m> Reacher<'m> {
    /// Prepares the namespace ranges of a model.
    pub fn new(model: &'m Model) -> Reacher<'m> {
        let mut ranges: Vec<(&str, usize, usize)> = Vec::new();
        let mut range_of = vec![u32::MAX; model.workload_count()];
        let mut egress: Vec<RangeEgress> = Vec::new();
        for (i, e) in model.endpoints()[..model.workload_count()]
            .iter()
            .enumerate()
        {
            let Some(p) = e.as_pods() else { continue };
            match ranges.last_mut() {
                Some((ns, _, end)) if *ns == p.namespace.as_str() => *end = i + 1,
                _ => {
                    ranges.push((p.namespace.as_str(), i, i + 1));
                    egress.push(RangeEgress::default());
                }
            }
            range_of[i] = (ranges.len() - 1) as u32;
            let Some(shape) = egress.last_mut() else {
                continue;
            };
            let set: &[u32] = &model.index.isolating[i][slot(Direction::Egress)];
            if set.is_empty() {
                shape.open = true;
            } else if !shape.sets.contains(&set) {
                shape.sets.push(set);
            }
        }
        let in_order = ranges.windows(2).all(|w| w[0].0 < w[1].0);
        Reacher {
            model,
            ranges,
            range_of,
            egress,
            in_order,
        }
    }

    /// Who reaches `dst` as `want` says (empty for a non-workload).
    pub fn summary(&self, dst: EndpointId, want: Want) -> Summary<'m> {
        let Some(mut column) = Column::new(self.model, dst, want) else {
            return Summary::default();
        };
        // Room for every namespace at once: an open destination is reached from most, and
        // growing the list by doubling left a trail of copies per question.
        let mut namespaces = Vec::with_capacity(self.ranges.len());
        let pods = self.model.workload_count();
        if column.isolated && !column.tiered {
            // Only sources the isolated ingress admits can reach it: walk those (a few)
            // rather than every workload, and stop looking in a namespace once one reaches.
            let admitted: Vec<usize> = column.admitted.iter().take_while(|&s| s < pods).collect();
            let mut found = u32::MAX;
            for s in admitted {
                let range = self.range_of.get(s).copied().unwrap_or(u32::MAX);
                if range != found && range != u32::MAX && column.reaches(s) {
                    found = range;
                    if let Some(&(ns, _, _)) = self.ranges.get(range as usize) {
                        namespaces.push(ns);
                    }
                }
            }
        } else if !column.tiered {
            // Not isolated: every source is admitted, and its egress decides (see
            // `RangeEgress`).
            for (&(ns, _, _), shape) in self.ranges.iter().zip(&self.egress) {
                if shape.open || shape.sets.iter().any(|set| column.egress_allows(set)) {
                    namespaces.push(ns);
                }
            }
        } else {
            for &(ns, start, end) in &self.ranges {
                if (start..end).any(|s| column.admits(s) && column.reaches(s)) {
                    namespaces.push(ns);
                }
            }
        }
        let external = (self.model.workload_count()..self.model.endpoints().len())
            .filter(|&s| column.admits(s) && column.reaches(s))
            .map(|s| EndpointId(s as u32))
            .collect();
        // Each branch finds namespaces in range order (admitted sources come in increasing
        // index, and a namespace's workloads are contiguous), so sorting them again would
        // only compare thousands of names per question.
        if !self.in_order {
            namespaces.sort();
            namespaces.dedup();
        }
        Summary {
            external,
            namespaces,
        }
    }
}
