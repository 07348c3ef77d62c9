//! Putting findings in place order (path, line, column, rule) cheaply: parts are sorted
//! where they are made, then joined and merged.

use palisade_core::Finding;
use rayon::slice::ParallelSliceMut;

/// Sorts findings by place.
pub(crate) fn sort(findings: &mut [Finding]) {
    if !findings.is_sorted_by(|a, b| a.sort_key() <= b.sort_key()) {
        findings.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
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

/// Merges two vectors sorted by place into one.
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
    use std::borrow::Cow;
    use std::sync::Arc;

    use palisade_core::{Location, ObjectRef, Severity};

    use super::*;

    fn at(line: u32, rule: &'static str) -> Finding {
        Finding {
            rule_id: Cow::Borrowed(rule),
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
            message: String::new(),
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
    fn concat_sorts_out_of_order_parts() {
        let parts = vec![vec![at(7, "A")], vec![at(2, "A"), at(3, "A")]];
        assert_eq!(
            places(&concat_sorted(parts)),
            [(2, "A"), (3, "A"), (7, "A")]
        );
    }
}
