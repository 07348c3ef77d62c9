//! OpenVEX statements applied to a merged view (`palisade image merge --vex DOC`): each row
//! gets the deciding statement as a [`VexMark`], in CycloneDX analysis terms.

use crate::merge::{Merged, VexAnalysis, VexMark, VexState};

use super::index::VexIndex;
use super::openvex::Status;

/// Marks every row of `merged` that a statement of `index` decides for the image
/// `product_ref` (looked up by the row's id and aliases and its package purl), and returns
/// how many rows were marked. Status mapping: `not_affected` → `not_affected`, `fixed` →
/// `resolved`, `affected` → `exploitable`, `under_investigation` → `in_triage`; the
/// justification, or else the impact statement, is kept.
pub fn mark_rows(merged: &mut Merged, index: &VexIndex, product_ref: &str) -> usize {
    let mut marked = 0;
    for row in &mut merged.rows {
        let ids: Vec<&str> = std::iter::once(row.id.as_str())
            .chain(row.aliases.iter().map(String::as_str))
            .collect();
        let Some(st) = index.verdict(&ids, product_ref, row.package.purl.as_deref()) else {
            continue;
        };
        let state = match st.status {
            Status::NotAffected => VexState::NotAffected,
            Status::Fixed => VexState::Resolved,
            Status::Affected => VexState::Exploitable,
            Status::UnderInvestigation => VexState::InTriage,
        };
        row.vex.push(VexMark {
            from: st.source.clone(),
            id: st.vulnerability.clone(),
            analysis: VexAnalysis {
                state,
                justification: st.justification.clone(),
                responses: Vec::new(),
                detail: st
                    .impact_statement
                    .clone()
                    .or_else(|| st.action_statement.clone()),
            },
        });
        marked += 1;
    }
    marked
}
