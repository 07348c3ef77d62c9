//! Alpine's secdb YAML (`distroversion`, `packages[].pkg.secfixes`), turned
//! into OSV-shaped records on import.
//!
//! A secdb file lists, per package (by apk `origin`, i.e. the source package
//! name), the versions that fixed some CVEs. Each (release, package, CVE)
//! becomes one record with id `ALPINE-<release>-<package>-<CVE>`, alias the
//! CVE, ecosystem `Alpine:<release>` and one ECOSYSTEM range `introduced: 0,
//! fixed: <version>`. One record per package keeps a file importable on its
//! own (no record spans two files). The fixed version `0` means "this
//! release was never affected" and yields no record.

use crate::osv::{Affected, Event, Package, Range, Record};

/// True when a YAML document has secdb's shape (rather than an OSV record).
pub fn looks_like_secdb(doc: &serde_json::Value) -> bool {
    doc.get("distroversion").is_some() && doc.get("packages").is_some() && doc.get("id").is_none()
}

/// The `modified` that secdb-derived records carry: secdb has no dates, so
/// every import of the same data ties and the newer import wins.
pub const SECDB_MODIFIED: &str = "1970-01-01T00:00:00Z";

/// Converts a parsed secdb document. Entries that cannot be read are
/// reported in the returned list (as messages), the rest still converts.
pub fn convert(doc: &serde_json::Value) -> Result<(Vec<Record>, Vec<String>), String> {
    let release = doc
        .get("distroversion")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or("secdb: `distroversion` is not a string")?;
    let release = if release.starts_with('v') {
        release.to_string()
    } else {
        format!("v{release}")
    };
    let ecosystem = format!("Alpine:{release}");
    // `packages:` with nothing under it (v3.3 community) is an empty list.
    let empty = Vec::new();
    let packages = match doc.get("packages") {
        Some(serde_json::Value::Null) => &empty,
        Some(serde_json::Value::Array(list)) => list,
        _ => return Err("secdb: `packages` is not a list".into()),
    };
    let mut records: Vec<Record> = Vec::new();
    let mut by_id: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut notes = Vec::new();
    for (i, entry) in packages.iter().enumerate() {
        let pkg = entry.get("pkg");
        let Some(name) = pkg
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .filter(|n| !n.is_empty())
        else {
            notes.push(format!("packages[{i}]: no pkg.name"));
            continue;
        };
        let Some(secfixes) = pkg.and_then(|p| p.get("secfixes")) else {
            continue;
        };
        let Some(secfixes) = secfixes.as_object() else {
            if !secfixes.is_null() {
                notes.push(format!("packages[{i}] ({name}): secfixes is not a mapping"));
            }
            continue;
        };
        for (fixed, ids) in secfixes {
            if fixed == "0" {
                continue;
            }
            let Some(ids) = ids.as_array() else {
                if !ids.is_null() {
                    notes.push(format!("{name} {fixed}: ids are not a list"));
                }
                continue;
            };
            for id in ids {
                let Some(id) = id.as_str() else {
                    notes.push(format!("{name} {fixed}: an id is not text"));
                    continue;
                };
                // Lines such as `CVE-2019-1 CVE-2019-2` or `XSA-123 CVE-…`:
                // every word is an id of the same fix; the first names the record.
                let words: Vec<&str> = id.split_whitespace().collect();
                let Some(first) = words.first() else {
                    continue;
                };
                let new = record(&release, &ecosystem, name, fixed, first, &words);
                // The same CVE listed under two fixed versions of one package:
                // one record with a range per fix.
                match by_id.get(&new.id) {
                    Some(&at) => {
                        let ranges = new.affected.into_iter().flat_map(|a| a.ranges);
                        if let Some(a) = records[at].affected.first_mut() {
                            a.ranges.extend(ranges);
                        }
                    }
                    None => {
                        by_id.insert(new.id.clone(), records.len());
                        records.push(new);
                    }
                }
            }
        }
    }
    Ok((records, notes))
}

fn record(
    release: &str,
    ecosystem: &str,
    name: &str,
    fixed: &str,
    first: &str,
    words: &[&str],
) -> Record {
    Record {
        id: format!("ALPINE-{release}-{name}-{first}"),
        modified: SECDB_MODIFIED.to_string(),
        published: None,
        withdrawn: None,
        aliases: words.iter().map(|w| w.to_string()).collect(),
        upstream: Vec::new(),
        related: Vec::new(),
        summary: None,
        details: None,
        severity: Vec::new(),
        affected: vec![Affected {
            package: Some(Package {
                ecosystem: ecosystem.to_string(),
                name: name.to_string(),
                purl: None,
            }),
            severity: Vec::new(),
            ranges: vec![Range {
                kind: "ECOSYSTEM".into(),
                repo: None,
                events: vec![
                    Event::Introduced("0".into()),
                    Event::Fixed(fixed.to_string()),
                ],
            }],
            versions: Vec::new(),
            ecosystem_specific: None,
            database_specific: None,
        }],
        references: Vec::new(),
        database_specific: Some(serde_json::json!({"source": "alpine-secdb"})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_secfixes() {
        let text = "distroversion: v3.11\nreponame: main\npackages:\n  - pkg:\n      name: apache2\n      secfixes:\n        2.4.41-r0:\n          - CVE-2019-9517\n          - CVE-2019-10081 CVE-2019-10082\n        0:\n          - CVE-2000-0001\n  - pkg:\n      name: noname-fixes\n  - pkg: {}\n";
        let doc = crate::osv::yaml_document(text).unwrap();
        assert!(looks_like_secdb(&doc));
        let (records, notes) = convert(&doc).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].id, "ALPINE-v3.11-apache2-CVE-2019-9517");
        assert_eq!(records[1].aliases, vec!["CVE-2019-10081", "CVE-2019-10082"]);
        let a = &records[0].affected[0];
        assert_eq!(a.package.as_ref().unwrap().ecosystem, "Alpine:v3.11");
        assert_eq!(a.ranges[0].events[1], Event::Fixed("2.4.41-r0".into()));
        assert_eq!(notes, vec!["packages[2]: no pkg.name"]);
        let bad = crate::osv::yaml_document("distroversion: [x]\npackages: []\n").unwrap();
        assert!(convert(&bad).is_err());
        let bad = crate::osv::yaml_document("distroversion: v3.3\npackages: x\n").unwrap();
        assert!(convert(&bad).is_err());
        let empty = crate::osv::yaml_document("distroversion: v3.3\npackages:\n").unwrap();
        assert_eq!(convert(&empty).unwrap().0.len(), 0);
    }
}
