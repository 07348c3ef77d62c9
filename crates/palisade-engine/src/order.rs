//! Putting findings in place order (path, line, column, rule) cheaply: parts are sorted
//! where they are made, then joined and merged.

use std::cmp::Ordering;
use std::sync::Arc;

use palisade_core::Finding;
use rayon::prelude::*;

/// Compares two findings by place: path, line, column, rule. Findings of one file share its
/// path, so the same pointer settles the path without reading it.
fn by_place(a: &Finding, b: &Finding) -> Ordering {
    let path = if Arc::ptr_eq(&a.location.path, &b.location.path) {
        Ordering::Equal
    } else {
        a.location.path.cmp(&b.location.path)
    };
    path.then_with(|| a.location.line.cmp(&b.location.line))
        .then_with(|| a.location.col.cmp(&b.location.col))
        .then_with(|| a.rule_id.cmp(&b.rule_id))
}

/// Sorts findings by place, the message breaking ties, unless they are in place order
/// already: then findings of one place and rule keep the order they were made in (one rule
/// run over one object makes them in a fixed order, so the output is still stable). In
/// place: a sort that takes a buffer takes fresh memory for each of the hundreds of parts a
/// large scan sorts, and page faults cost more than the sort. The per-object parts this
/// sorts hold every finding of their objects, so no tie is split between parts; where one
/// could be, [`sort_with_ties`] gives an order that does not depend on the split.
pub(crate) fn sort(findings: &mut [Finding]) {
    if !findings.is_sorted_by(|a, b| by_place(a, b).is_le()) {
        findings.sort_unstable_by(|a, b| by_place(a, b).then_with(|| a.message.cmp(&b.message)));
    }
}

/// Sorts findings by place, then message, ties included: unlike [`sort`], which leaves
/// findings already in place order as they are, findings of one place and rule end in message
/// order whichever order they came in. Parts sorted so and merged are in the order one sort
/// of them all would give.
pub(crate) fn sort_with_ties(findings: &mut [Finding]) {
    let key = |a: &Finding, b: &Finding| by_place(a, b).then_with(|| a.message.cmp(&b.message));
    if !findings.is_sorted_by(|a, b| key(a, b).is_le()) {
        findings.sort_unstable_by(key);
    }
}

/// Joins sorted parts, in order, into one sorted vector. Parts come in input order, so the
/// join is usually sorted already; checking is linear, sorting 10^5 findings is not.
pub(crate) fn concat_sorted(parts: Vec<Vec<Finding>>) -> Vec<Finding> {
    let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum::<usize>());
    for part in parts {
        all.extend(part);
    }
    sort(&mut all);
    all
}

/// Merges groups of findings into one vector in place order, with one allocation. Each group
/// is a list of parts that are usually sorted end to end already (parts come in input
/// order, each sorted where it was made); a group that is not is joined and sorted first.
/// Equal places keep the order of the groups, then of the parts.
///
/// A large merge runs in two halves, one per core: every group is cut at the same place (the
/// middle finding of the largest group), all findings before it go to the first half and the
/// rest to the second, so the halves merged one after the other are the whole merge. Both
/// halves write into one vector of slots, whose pages the two cores fault in together: the
/// merged vector is fresh memory (tens of megabytes on a large scan), and faulting it in on
/// one thread was most of a merge's time.
pub(crate) fn merge_groups(groups: Vec<Vec<Vec<Finding>>>) -> Vec<Finding> {
    let total: usize = groups.iter().flatten().map(Vec::len).sum();
    let streams: Vec<Vec<Vec<Finding>>> = groups
        .into_iter()
        .map(|parts| {
            if sorted_end_to_end(&parts) {
                parts
            } else {
                vec![concat_sorted(parts)]
            }
        })
        .collect();
    let pivot = (total >= PARALLEL_MERGE)
        .then(|| middle(&streams))
        .flatten();
    let Some(pivot) = pivot else {
        let mut out = Vec::with_capacity(total);
        merge_into(streams, |f| out.push(f));
        return out;
    };
    let (before, after): (Vec<_>, Vec<_>) = streams
        .into_iter()
        .map(|parts| split_at_place(parts, &pivot))
        .unzip();
    let first_len: usize = before.iter().flatten().map(Vec::len).sum();
    let mut slots: Vec<Option<Finding>> = Vec::with_capacity(total);
    slots.par_extend(rayon::iter::repeat_n(None, total));
    let (first, second) = slots.split_at_mut(first_len);
    rayon::join(|| fill(first, before), || fill(second, after));
    // `filter_map` collects in place (the slots' memory becomes the findings'), which
    // `flatten` does not.
    #[allow(clippy::filter_map_identity)]
    slots.into_iter().filter_map(|slot| slot).collect()
}

/// Findings below which a merge is not worth splitting.
const PARALLEL_MERGE: usize = 1 << 14;

/// A copy of the middle finding of the largest stream, to cut every stream at its place.
fn middle(streams: &[Vec<Vec<Finding>>]) -> Option<Finding> {
    let largest = streams
        .iter()
        .max_by_key(|parts| parts.iter().map(Vec::len).sum::<usize>())?;
    let mut skip = largest.iter().map(Vec::len).sum::<usize>() / 2;
    for part in largest {
        if let Some(f) = part.get(skip) {
            return Some(f.clone());
        }
        skip -= part.len();
    }
    None
}

/// Cuts a stream (parts sorted end to end) into the findings placed before `pivot` and the
/// rest.
fn split_at_place(
    mut parts: Vec<Vec<Finding>>,
    pivot: &Finding,
) -> (Vec<Vec<Finding>>, Vec<Vec<Finding>>) {
    let before = |f: &Finding| by_place(f, pivot).is_lt();
    // The first part that reaches the pivot; every part before it lies wholly before.
    let Some(k) = parts
        .iter()
        .position(|part| part.last().is_some_and(|f| !before(f)))
    else {
        return (parts, Vec::new());
    };
    let mut after = parts.split_off(k);
    if let Some(straddling) = after.first_mut() {
        let cut = straddling.partition_point(before);
        if cut > 0 {
            parts.push(straddling.drain(..cut).collect());
        }
    }
    (parts, after)
}

/// Merges streams into `slots`, which has exactly one slot per finding.
fn fill(slots: &mut [Option<Finding>], streams: Vec<Vec<Vec<Finding>>>) {
    let mut slots = slots.iter_mut();
    merge_into(streams, |f| {
        if let Some(slot) = slots.next() {
            *slot = Some(f);
        }
    });
}

/// Merges sorted streams, handing each finding to `out` in place order; on equal places, the
/// earliest stream first.
fn merge_into(streams: Vec<Vec<Vec<Finding>>>, mut out: impl FnMut(Finding)) {
    let mut streams: Vec<Stream> = streams.into_iter().map(Stream::new).collect();
    loop {
        // The stream with the lowest next finding; on equal places, the earliest stream.
        let mut best: Option<(usize, &Finding)> = None;
        for (i, stream) in streams.iter().enumerate() {
            if let Some(f) = stream.peek() {
                if best.is_none_or(|(_, b)| by_place(f, b).is_lt()) {
                    best = Some((i, f));
                }
            }
        }
        let Some((i, _)) = best else {
            break;
        };
        if let Some(f) = streams.get_mut(i).and_then(Stream::next) {
            out(f);
        }
    }
}

/// A group's findings, part after part, the next one readable without taking it.
struct Stream {
    parts: std::vec::IntoIter<Vec<Finding>>,
    current: std::vec::IntoIter<Finding>,
}

impl Stream {
    fn new(parts: Vec<Vec<Finding>>) -> Stream {
        let mut stream = Stream {
            parts: parts.into_iter(),
            current: Vec::new().into_iter(),
        };
        stream.skip_empty();
        stream
    }

    /// Moves on to the next part holding findings, once the current one is used up.
    fn skip_empty(&mut self) {
        while self.current.as_slice().is_empty() {
            match self.parts.next() {
                Some(part) => self.current = part.into_iter(),
                None => return,
            }
        }
    }

    fn peek(&self) -> Option<&Finding> {
        self.current.as_slice().first()
    }

    fn next(&mut self) -> Option<Finding> {
        let f = self.current.next();
        self.skip_empty();
        f
    }
}

/// True when the parts, read one after the other, are in place order.
fn sorted_end_to_end(parts: &[Vec<Finding>]) -> bool {
    let mut last: Option<&Finding> = None;
    for part in parts {
        if !part.is_sorted_by(|a, b| by_place(a, b).is_le()) {
            return false;
        }
        if let (Some(l), Some(first)) = (last, part.first()) {
            if by_place(l, first).is_gt() {
                return false;
            }
        }
        last = part.last().or(last);
    }
    true
}

/// Merges two vectors sorted by place into one (the reference `merge_groups` is held to).
#[cfg(test)]
pub(crate) fn merge_sorted(a: Vec<Finding>, b: Vec<Finding>) -> Vec<Finding> {
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut b = b.into_iter().peekable();
    for x in a {
        while let Some(y) = b.next_if(|y| y.sort_key() < x.sort_key()) {
            out.push(y);
        }
        out.push(x);
    }
    out.extend(b);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use palisade_core::{Location, ObjectRef, Severity};

    use super::*;

    fn at(line: u32, rule: &'static str) -> Finding {
        Finding {
            rule_id: palisade_core::RuleId::Borrowed(rule),
            severity: Severity::Low,
            object: Arc::new(ObjectRef {
                api_version: "v1".into(),
                kind: "Pod".into(),
                namespace: None,
                name: "p".into(),
            }),
            location: Location {
                path: "a.yaml".into(),
                line,
                col: 1,
            },
            field: None,
            message: String::new().into(),
            evidence: None,
        }
    }

    fn places(findings: &[Finding]) -> Vec<(u32, &str)> {
        findings
            .iter()
            .map(|f| (f.location.line, &*f.rule_id))
            .collect()
    }

    #[test]
    fn merge_keeps_place_order() {
        let a = vec![at(1, "A"), at(5, "A"), at(9, "A")];
        let b = vec![at(0, "B"), at(5, "B"), at(12, "B")];
        assert_eq!(
            places(&merge_sorted(a, b)),
            [(0, "B"), (1, "A"), (5, "A"), (5, "B"), (9, "A"), (12, "B")]
        );
    }

    #[test]
    fn merge_groups_agrees_with_pairwise_merges() {
        let group = |parts: &[&[u32]], rule: &'static str| -> Vec<Vec<Finding>> {
            parts
                .iter()
                .map(|p| p.iter().map(|&l| at(l, rule)).collect())
                .collect()
        };
        // A sorted group, an unsorted one, and one with an empty part; equal lines across
        // groups.
        let a = group(&[&[1, 5], &[], &[5, 9]], "A");
        let b = group(&[&[7, 8], &[2, 5]], "B");
        let c = group(&[&[0, 5, 12]], "C");
        let merged = merge_groups(vec![a.clone(), b.clone(), c.clone()]);
        let pairwise = merge_sorted(
            merge_sorted(concat_sorted(a), concat_sorted(b)),
            concat_sorted(c),
        );
        assert_eq!(places(&merged), places(&pairwise));
        assert_eq!(
            places(&merged),
            [
                (0, "C"),
                (1, "A"),
                (2, "B"),
                (5, "A"),
                (5, "A"),
                (5, "B"),
                (5, "C"),
                (7, "B"),
                (8, "B"),
                (9, "A"),
                (12, "C")
            ]
        );
    }

    #[test]
    fn concat_sorts_out_of_order_parts() {
        let parts = vec![vec![at(7, "A")], vec![at(2, "A"), at(3, "A")]];
        assert_eq!(
            places(&concat_sorted(parts)),
            [(2, "A"), (3, "A"), (7, "A")]
        );
    }

    /// A merge large enough to run in halves gives what merging pair by pair gives, ties
    /// (the same place in several groups, and within a group) included, with paths that
    /// are equal without being the same `Arc`.
    #[test]
    fn large_merge_in_halves_agrees_with_pairwise_merges() {
        let paths: [Arc<str>; 3] = ["a.yaml".into(), "b.yaml".into(), "c.yaml".into()];
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut make_group = |name: &'static str, parts: usize| -> Vec<Vec<Finding>> {
            let mut all: Vec<Finding> = (0..parts * 700)
                .map(|i| {
                    let mut f = at(next(400) as u32, ["A", "B"][next(2) as usize]);
                    f.location.path = Arc::from(&*paths[next(3) as usize]);
                    f.message = format!("{name}{i}").into();
                    f
                })
                .collect();
            all.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            let mut parts_out = Vec::new();
            while !all.is_empty() {
                let rest = all.split_off(all.len().min(700));
                parts_out.push(std::mem::replace(&mut all, rest));
            }
            parts_out.insert(1, Vec::new());
            parts_out
        };
        let a = make_group("a", 14);
        let b = make_group("b", 9);
        let c = make_group("c", 3);
        let total: usize = [&a, &b, &c]
            .iter()
            .flat_map(|g| g.iter())
            .map(Vec::len)
            .sum();
        assert!(total >= PARALLEL_MERGE);
        let merged = merge_groups(vec![a.clone(), b.clone(), c.clone()]);
        let pairwise = merge_sorted(
            merge_sorted(concat_sorted(a), concat_sorted(b)),
            concat_sorted(c),
        );
        let ids = |v: &[Finding]| v.iter().map(|f| f.message.clone()).collect::<Vec<_>>();
        assert_eq!(merged.len(), total);
        assert_eq!(ids(&merged), ids(&pairwise));
    }
}
