//! Matching installed packages against the store.

use std::borrow::Cow;

use rusqlite::{params, Connection};

use crate::affected::{evaluate, QueryVersion, Span};
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

/// A vulnerability that affects a queried package.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index of the query in the slice given to [`crate::Db::matches`].
    pub query: usize,
    /// The record's id.
    pub id: String,
    /// The record's aliases (CVE, GHSA, ...), to merge findings of one
    /// vulnerability reported under several ids.
    pub aliases: Vec<String>,
    /// The record's summary.
    pub summary: Option<String>,
    /// The record's severity.
    pub severity: Severity,
    /// Fixed versions closing the ranges the installed version is in
    /// (empty: no fix known).
    pub fixed: Vec<String>,
    /// `last_affected` versions closing those ranges.
    pub last_affected: Vec<String>,
}

/// Runs every query; matches come in query order, then by id.
pub(crate) fn matches(conn: &Connection, queries: &[Query]) -> Result<Vec<Match>, DbError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.spans, r.aliases, r.summary, r.severity
         FROM affected a JOIN records r ON r.id = a.id
         WHERE a.ecosystem = ?1 AND a.name = ?2 AND r.withdrawn = 0
         ORDER BY a.id",
    )?;
    let mut out = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        let name = normalize_name(&q.ecosystem, &q.name);
        let version = query_version(q);
        let mut version = QueryVersion::new(&version);
        let mut rows = stmt.query(params![q.ecosystem, name])?;
        while let Some(row) = rows.next()? {
            let spans: Vec<Span> = serde_json::from_str(row.get_ref(1)?.as_str()?)?;
            let Some(hit) = evaluate(&q.ecosystem, &mut version, &spans) else {
                continue;
            };
            out.push(Match {
                query: i,
                id: row.get(0)?,
                aliases: serde_json::from_str(row.get_ref(2)?.as_str()?)?,
                summary: row.get(3)?,
                severity: serde_json::from_str(row.get_ref(4)?.as_str()?)?,
                fixed: hit.fixed,
                last_affected: hit.last_affected,
            });
        }
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
