//! Matching installed packages against the store.

use std::borrow::Cow;
use std::collections::hash_map::{Entry, HashMap};
use std::sync::Arc;

use rayon::prelude::*;

use rusqlite::{params, Connection};

use crate::affected::{Hit, Prepared, QueryVersion, Span};
use crate::names::normalize_name;
use crate::severity::Severity;
use crate::DbError;

/// One installed package to look up.
///
/// - `ecosystem` is the OSV ecosystem name with its release where OSV keys
///   records by release: `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.20`
///   (from `/etc/os-release` `VERSION_ID` `3.20.3`: keep major.minor and
///   prefix `v`), and plain `PyPI`, `Go`, `npm`, `Maven`.
/// - `name`: for Debian and Ubuntu the **source** package name (dpkg's
///   `Source:` field, else the binary name); for Alpine the apk `origin`;
///   for Maven `groupId:artifactId`; for Go the module path (`stdlib` for Go
///   itself). PyPI names are normalised here (PEP 503).
/// - `version`: the installed version as the package manager reports it
///   (for Debian the binary package's version, binNMU suffix included; for
///   Go `v1.2.3` or `1.2.3`, and `go1.21.3` is accepted for `stdlib` and
///   `toolchain`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    /// OSV ecosystem name.
    pub ecosystem: String,
    /// Package name (see the type's documentation for which one).
    pub name: String,
    /// Installed version.
    pub version: String,
}

impl Query {
    /// A query from its three parts.
    pub fn new(
        ecosystem: impl Into<String>,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Query {
        Query {
            ecosystem: ecosystem.into(),
            name: name.into(),
            version: version.into(),
        }
    }
}

/// What a record says about a vulnerability, shared by all its matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    /// The record's id.
    pub id: String,
    /// The record's aliases (CVE, GHSA, ...), to merge findings of one
    /// vulnerability reported under several ids.
    pub aliases: Vec<String>,
    /// The record's `upstream` ids (a distribution record's CVE).
    pub upstream: Vec<String>,
    /// The record's summary.
    pub summary: Option<String>,
    /// The record's severity.
    pub severity: Severity,
}

/// A vulnerability that affects a queried package.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index of the query in the slice given to [`crate::Db::matches`].
    pub query: usize,
    /// The vulnerability (id, aliases, summary, severity); one allocation
    /// shared by every match of the record in this call.
    pub advisory: Arc<Advisory>,
    /// Fixed versions closing the ranges the installed version is in
    /// (empty: no fix known).
    pub fixed: Vec<String>,
    /// `last_affected` versions closing those ranges.
    pub last_affected: Vec<String>,
}

impl Match {
    /// The record's id.
    pub fn id(&self) -> &str {
        &self.advisory.id
    }
}

/// One row of `affected`, as read.
struct RawRow {
    id: String,
    spans: String,
    aliases: String,
    upstream: String,
    summary: Option<String>,
    severity: String,
}

/// One record that affects a package, ready for evaluation. The advisory's
/// JSON is parsed only when the record matches (most never do).
struct Candidate {
    id: String,
    aliases: String,
    upstream: String,
    summary: Option<String>,
    severity: String,
    advisory: Option<Arc<Advisory>>,
    prepared: Prepared,
}

impl Candidate {
    fn advisory(&mut self) -> Result<Arc<Advisory>, DbError> {
        if let Some(a) = &self.advisory {
            return Ok(Arc::clone(a));
        }
        let a = Arc::new(Advisory {
            id: self.id.clone(),
            aliases: serde_json::from_str(&self.aliases)?,
            upstream: serde_json::from_str(&self.upstream)?,
            summary: self.summary.clone(),
            severity: serde_json::from_str(&self.severity)?,
        });
        self.advisory = Some(Arc::clone(&a));
        Ok(a)
    }
}

/// Runs every query; matches come in query order, then by id.
///
/// Each distinct (ecosystem, name) is read from the store and prepared
/// (bounds parsed) once per call, however many queries name it, inside one
/// read transaction; the queries are then evaluated in parallel.
pub(crate) fn matches(conn: &Connection, queries: &[Query]) -> Result<Vec<Match>, DbError> {
    let tx = conn.unchecked_transaction()?;
    let mut stmt = tx.prepare_cached(
        "SELECT id, spans, aliases, upstream, summary, severity FROM affected
         WHERE ecosystem = ?1 AND name = ?2 AND withdrawn = 0",
    )?;
    let mut slots: HashMap<(&str, Cow<'_, str>), usize> = HashMap::new();
    // Rows as read, per distinct package; parsed and prepared in parallel below.
    let mut raw: Vec<(&str, Vec<RawRow>)> = Vec::new();
    let mut slot_of = Vec::with_capacity(queries.len());
    for q in queries {
        let key = (q.ecosystem.as_str(), normalize_name(&q.ecosystem, &q.name));
        let slot = match slots.entry(key) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let (eco, name) = e.key();
                let mut list = Vec::new();
                let mut rows = stmt.query(params![eco, name])?;
                while let Some(row) = rows.next()? {
                    list.push(RawRow {
                        id: row.get(0)?,
                        spans: row.get(1)?,
                        aliases: row.get(2)?,
                        upstream: row.get(3)?,
                        summary: row.get(4)?,
                        severity: row.get(5)?,
                    });
                }
                raw.push((q.ecosystem.as_str(), list));
                *e.insert(raw.len() - 1)
            }
        };
        slot_of.push(slot);
    }
    drop(stmt);
    tx.finish()?;
    let mut packages: Vec<Vec<Candidate>> = raw
        .into_par_iter()
        .map(|(eco, rows)| {
            rows.into_iter()
                .map(|r| {
                    let spans: Vec<Span> = serde_json::from_str(&r.spans)?;
                    Ok(Candidate {
                        id: r.id,
                        aliases: r.aliases,
                        upstream: r.upstream,
                        summary: r.summary,
                        severity: r.severity,
                        advisory: None,
                        prepared: Prepared::new(eco, &spans),
                    })
                })
                .collect::<Result<Vec<_>, DbError>>()
        })
        .collect::<Result<_, _>>()?;
    // (query, candidate index, hit) for every match, in query order.
    let hits: Vec<Vec<(usize, usize, Hit)>> = queries
        .par_iter()
        .zip(slot_of.par_iter())
        .enumerate()
        .map(|(i, (q, &slot))| {
            let candidates = packages.get(slot).map(Vec::as_slice).unwrap_or(&[]);
            if candidates.is_empty() {
                return Vec::new();
            }
            let version = query_version(q);
            let mut version = QueryVersion::new(&version);
            candidates
                .iter()
                .enumerate()
                .filter_map(|(c, cand)| Some((i, c, cand.prepared.evaluate(&mut version)?)))
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(hits.iter().map(Vec::len).sum());
    for (i, c, hit) in hits.into_iter().flatten() {
        let Some(cand) = slot_of
            .get(i)
            .and_then(|&s| packages.get_mut(s))
            .and_then(|list| list.get_mut(c))
        else {
            continue;
        };
        out.push(Match {
            query: i,
            advisory: cand.advisory()?,
            fixed: hit.fixed,
            last_affected: hit.last_affected,
        });
    }
    Ok(out)
}

/// Go's own version spelling (`go1.21.3`, `go1.21rc2`) for the `stdlib`
/// and `toolchain` modules, whose OSV ranges write SemVer (`1.21.3`,
/// `1.21.0-rc.2`), as the Go vulnerability database converts them.
fn query_version(q: &Query) -> Cow<'_, str> {
    if q.ecosystem == "Go" && (q.name == "stdlib" || q.name == "toolchain") {
        if let Some(rest) = q.version.strip_prefix("go") {
            return Cow::Owned(go_semver(rest));
        }
    }
    Cow::Borrowed(&q.version)
}

fn go_semver(v: &str) -> String {
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (base, pre) = v.split_at(split);
    let mut parts: Vec<&str> = base.split('.').collect();
    while parts.len() < 3 {
        parts.push("0");
    }
    let base = parts.join(".");
    let kind_end = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
    match pre.split_at(kind_end) {
        ("", _) => base,
        (kind, "") => format!("{base}-{kind}"),
        (kind, n) => format!("{base}-{kind}.{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_toolchain_versions() {
        assert_eq!(go_semver("1.21.3"), "1.21.3");
        assert_eq!(go_semver("1.21"), "1.21.0");
        assert_eq!(go_semver("1.21rc2"), "1.21.0-rc.2");
        assert_eq!(go_semver("1.9beta1"), "1.9.0-beta.1");
        let q = Query::new("Go", "stdlib", "go1.22.1");
        assert_eq!(query_version(&q), "1.22.1");
        let other = Query::new("Go", "example.com/m", "go1");
        assert_eq!(query_version(&other), "go1");
    }
}
