//! Alias groups: union-find over vulnerability ids, where an id and each of its aliases are
//! joined, except that a group never holds two different CVEs and distribution advisories
//! (`DSA-…`, `USN-…`, …) never join anything (one advisory fixes many CVEs).

use std::collections::HashMap;

use super::ecosystem::{canonical_id, id_kind, IdKind};

/// Interned ids with their groups.
#[derive(Debug, Default)]
pub struct AliasGroups {
    ids: Vec<String>,
    by_id: HashMap<String, usize>,
    parent: Vec<usize>,
    /// For each root, the CVE its group holds (an index into `ids`).
    cve: Vec<Option<usize>>,
}

impl AliasGroups {
    /// Interns an id (canonical spelling), returning its node.
    pub fn intern(&mut self, id: &str) -> usize {
        let id = canonical_id(id);
        if let Some(&n) = self.by_id.get(&id) {
            return n;
        }
        let n = self.ids.len();
        self.cve.push((id_kind(&id) == IdKind::Cve).then_some(n));
        self.by_id.insert(id.clone(), n);
        self.ids.push(id);
        self.parent.push(n);
        n
    }

    /// The root of a node's group.
    pub fn find(&mut self, mut n: usize) -> usize {
        while self.parent[n] != n {
            // Path halving keeps the trees flat without recursion.
            self.parent[n] = self.parent[self.parent[n]];
            n = self.parent[n];
        }
        n
    }

    /// Joins the groups of two ids when that is allowed; returns whether they are now one.
    pub fn join(&mut self, a: &str, b: &str) -> bool {
        if id_kind(a) == IdKind::Advisory || id_kind(b) == IdKind::Advisory {
            return false;
        }
        let (na, nb) = (self.intern(a), self.intern(b));
        let (ra, rb) = (self.find(na), self.find(nb));
        if ra == rb {
            return true;
        }
        match (self.cve[ra], self.cve[rb]) {
            (Some(x), Some(y)) if x != y => false,
            (x, y) => {
                // The smaller index stays the root, so results do not depend on hash order.
                let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
                self.parent[child] = root;
                self.cve[root] = x.or(y);
                true
            }
        }
    }

    /// The canonical spelling of a node's id.
    pub fn id(&self, n: usize) -> &str {
        &self.ids[n]
    }

    /// Every node's root, and the members of each root, in interning order.
    pub fn members(&mut self) -> HashMap<usize, Vec<usize>> {
        let mut out: HashMap<usize, Vec<usize>> = HashMap::new();
        for n in 0..self.ids.len() {
            let r = self.find(n);
            out.entry(r).or_default().push(n);
        }
        out
    }
}

/// Rank for choosing a group's canonical id: CVE, then GHSA, PYSEC, GO, others, advisories.
pub fn preference(id: &str) -> (IdKind, &str) {
    (id_kind(id), id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_ghsa_and_cve_but_never_two_cves() {
        let mut g = AliasGroups::default();
        assert!(g.join("GHSA-aaaa-bbbb-cccc", "CVE-2024-1"));
        assert!(
            !g.join("GHSA-aaaa-bbbb-cccc", "CVE-2024-2"),
            "second CVE refused"
        );
        assert!(!g.join("CVE-2024-1", "DSA-5000-1"), "advisories never join");
        let a = g.intern("cve-2024-1");
        let b = g.intern("ghsa-AAAA-bbbb-cccc");
        assert_eq!(g.find(a), g.find(b));
        let c = g.intern("CVE-2024-2");
        assert_ne!(g.find(a), g.find(c));
    }
}
