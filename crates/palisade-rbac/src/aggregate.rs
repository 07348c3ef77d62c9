//! ClusterRole aggregation, as the clusterrole-aggregation controller computes it
//! (pkg/controller/clusterroleaggregation, `syncClusterRole`).
//!
//! For a ClusterRole with an `aggregationRule`, the controller walks its selectors in
//! order; for each it lists the ClusterRoles whose labels match, sorted by name, skips the
//! role itself, and appends every rule not already collected (`ruleExists`: equal content).
//! The result *replaces* the role's rules. An `aggregationRule` without selectors therefore
//! empties the role. The controller re-runs every aggregated role whenever any ClusterRole
//! changes, so roles that select other aggregated roles (`admin` selects `edit`, which
//! selects `view`) converge; we iterate the same sync to that fixpoint.
//!
//! Rules written in an aggregated role: in a cluster dump they already are the union the
//! controller wrote, and recomputing gives them back. Written rules the union does not
//! contain are what the controller would remove; the role is analysed as the controller
//! leaves it (without them) and each such role gets a [`ProblemKind::AggregatedRulesReplaced`]
//! problem, so nothing disappears silently. Each aggregated rule keeps the location of the
//! rule it was copied from and names that role in `aggregated_from`.

use std::collections::HashSet;
use std::sync::Arc;

use crate::model::{Origin, Problem, ProblemKind, Role, RoleKind, Rule};

/// Replaces the rules of every aggregated ClusterRole with the aggregated union.
pub(crate) fn aggregate(roles: &mut [Role], problems: &mut Vec<Problem>) {
    let mut aggregated: Vec<usize> = (0..roles.len())
        .filter(|&i| roles[i].kind == RoleKind::ClusterRole && roles[i].aggregation.is_some())
        .collect();
    if aggregated.is_empty() {
        return;
    }
    aggregated.sort_by(|&a, &b| roles[a].name.cmp(&roles[b].name));
    let written: Vec<Vec<Arc<Rule>>> = aggregated.iter().map(|&i| roles[i].rules.clone()).collect();
    let mut by_name: Vec<usize> = (0..roles.len())
        .filter(|&i| roles[i].kind == RoleKind::ClusterRole)
        .collect();
    by_name.sort_by(|&a, &b| roles[a].name.cmp(&roles[b].name));

    // Each round syncs every aggregated role once; a chain of n aggregated roles settles in
    // at most n + 1 rounds. Replacement is not monotone, so a cycle could in principle
    // oscillate: the bound stops it with the last state.
    for _ in 0..=aggregated.len() {
        let mut changed = false;
        for &target in &aggregated {
            let new_rules = sync(roles, &by_name, target);
            let same = new_rules.len() == roles[target].rules.len()
                && new_rules
                    .iter()
                    .zip(&roles[target].rules)
                    .all(|(a, b)| a.content() == b.content());
            if !same {
                roles[target].rules = new_rules;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }

    for (&i, written) in aggregated.iter().zip(&written) {
        let Origin::Input { object, location } = &roles[i].origin else {
            continue;
        };
        let kept: HashSet<_> = roles[i].rules.iter().map(|r| r.content()).collect();
        let dropped: Vec<_> = written
            .iter()
            .filter(|r| !kept.contains(&r.content()))
            .collect();
        if let Some(first) = dropped.first() {
            problems.push(Problem {
                location: first.location.clone().unwrap_or_else(|| location.clone()),
                object: Arc::clone(object),
                kind: ProblemKind::AggregatedRulesReplaced,
                message: format!(
                    "ClusterRole `{}` has an aggregationRule, so the aggregation controller \
                     replaces its rules with those of the ClusterRoles it selects; {} written \
                     rule(s) are not among them and are not analysed",
                    roles[i].name,
                    dropped.len()
                ),
            });
        }
    }
}

/// One `syncClusterRole` of `target`: the union, in order, of the rules of the ClusterRoles
/// its selectors match.
fn sync(roles: &[Role], by_name: &[usize], target: usize) -> Vec<Arc<Rule>> {
    let Some(aggregation) = &roles[target].aggregation else {
        return roles[target].rules.clone();
    };
    let mut out: Vec<Arc<Rule>> = Vec::new();
    let mut seen = HashSet::new();
    for selector in &aggregation.selectors {
        for &source in by_name {
            let role = &roles[source];
            if source == target || role.name == roles[target].name {
                continue;
            }
            if !selector.matches(|k| role.label(k)) {
                continue;
            }
            for rule in &role.rules {
                if seen.insert(rule.content()) {
                    let copied = if rule.aggregated_from.is_some() {
                        Arc::clone(rule)
                    } else {
                        let mut r = Rule::clone(rule);
                        r.aggregated_from = Some(Arc::clone(&role.name));
                        Arc::new(r)
                    };
                    out.push(copied);
                }
            }
        }
    }
    out
}
