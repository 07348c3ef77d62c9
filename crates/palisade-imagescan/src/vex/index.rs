//! [`VexIndex`]: statements from any number of OpenVEX documents, looked up by vulnerability
//! id (name or alias) and product.

use std::collections::HashMap;

use crate::merge::ecosystem::canonical_id;

use super::openvex::{OpenVexDocument, Statement};

/// Statements indexed by vulnerability id and alias.
#[derive(Debug, Clone, Default)]
pub struct VexIndex {
    statements: Vec<Statement>,
    by_id: HashMap<String, Vec<usize>>,
}

impl VexIndex {
    /// Indexes the statements of documents, in the order given (for equal timestamps the
    /// later document, then the later statement, wins).
    pub fn from_documents<I>(documents: I) -> VexIndex
    where
        I: IntoIterator<Item = OpenVexDocument>,
    {
        let mut index = VexIndex::default();
        for doc in documents {
            for st in doc.statements {
                let n = index.statements.len();
                let mut ids: Vec<String> = std::iter::once(&st.vulnerability)
                    .chain(st.aliases.iter())
                    .map(|id| canonical_id(id))
                    .collect();
                ids.sort();
                ids.dedup();
                for id in ids {
                    index.by_id.entry(id).or_default().push(n);
                }
                index.statements.push(st);
            }
        }
        index
    }

    /// All statements, in index order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Number of statements.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// Whether there are no statements.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// The statement that decides a finding: among statements naming any of `vuln_ids`
    /// (name or alias, compared in canonical spelling) whose product matches
    /// `product_ref` (the image: reference, digest or `oci` purl) with a subcomponent
    /// matching `package_purl`, or whose subcomponent-less product is the package itself,
    /// the one with the latest timestamp (a statement's own, else its document's; none sorts
    /// first; ties go to the later statement). The caller suppresses the finding when
    /// [`Statement::suppresses`] holds.
    ///
    /// As in go-vex's `Product.Matches`, a product without subcomponents covers every
    /// package in it, and a query without a package matches on the product alone.
    pub fn verdict(
        &self,
        vuln_ids: &[&str],
        product_ref: &str,
        package_purl: Option<&str>,
    ) -> Option<&Statement> {
        let mut candidates: Vec<usize> = vuln_ids
            .iter()
            .filter_map(|id| self.by_id.get(&canonical_id(id)))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter(|&n| applies(&self.statements[n], product_ref, package_purl))
            .max_by_key(|&n| (self.statements[n].timestamp, n))
            .map(|n| &self.statements[n])
    }
}

fn applies(st: &Statement, product_ref: &str, package: Option<&str>) -> bool {
    st.products.iter().any(|p| {
        if p.component.matches(product_ref) {
            match package {
                _ if p.subcomponents.is_empty() => true,
                None => true,
                Some(pkg) => p.subcomponents.iter().any(|s| s.matches(pkg)),
            }
        } else {
            // A statement whose product is the package itself (`pkg:apk/wolfi/git@…`).
            p.subcomponents.is_empty() && package.is_some_and(|pkg| p.component.matches(pkg))
        }
    })
}
