//! npm packages: the `package.json` at the root of each installed package
//! (`node_modules/NAME/package.json`, `node_modules/@SCOPE/NAME/package.json`, nested at any
//! depth) and lockfiles (`package-lock.json`, `npm-shrinkwrap.json`, and npm 7's hidden
//! `node_modules/.package-lock.json`) in their three versions: v1 lists a `dependencies` tree,
//! v2 and v3 a flat `packages` map keyed by install path (npm's `@npmcli/arborist` reads them
//! so). Development-only dependencies (`dev: true`) of a lockfile are left out (they are not
//! installed in a production image); links to workspace folders are not packages.
//!
//! A package seen both installed and in a lockfile of the same project is reported once
//! ([`dedup`]), from its `package.json`, which also names its license.

use serde_json::Value;

use crate::package::{Package, PackageKind, Warning};
use crate::purl;

/// Lockfile entries read at most from one file.
const MAX_LOCK_ENTRIES: usize = 200_000;
/// v1 dependency trees followed at most this deep.
const MAX_DEPTH: usize = 64;

/// The `package.json` at the root of an installed package.
pub fn is_package_json(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("/package.json") else {
        return false;
    };
    let mut comps = dir.rsplit('/');
    let name = comps.next().unwrap_or_default();
    match comps.next() {
        Some("node_modules") => !name.is_empty() && !name.starts_with(['.', '@']),
        Some(scope) if scope.starts_with('@') => comps.next() == Some("node_modules"),
        _ => false,
    }
}

/// A lockfile of a project (or the hidden lockfile in its `node_modules`).
pub fn is_lockfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    if name == ".package-lock.json" {
        return path.ends_with("node_modules/.package-lock.json");
    }
    // Lockfiles of packages inside node_modules are not what npm installed.
    (name == "package-lock.json" || name == "npm-shrinkwrap.json")
        && !path.contains("node_modules/")
}

fn purl_for(name: &str, version: &str) -> String {
    match name.split_once('/') {
        Some((scope, rest)) if scope.starts_with('@') => {
            purl::build("npm", Some(scope), rest, version, &[])
        }
        _ => purl::build("npm", None, name, version, &[]),
    }
}

/// `license: "MIT"`, `license: {type}`, or the legacy `licenses: [{type}]`.
fn licenses(v: &Value) -> Vec<String> {
    let one = |l: &Value| match l {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("type").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    let mut out: Vec<String> = v.get("license").and_then(one).into_iter().collect();
    if let Some(list) = v.get("licenses").and_then(Value::as_array) {
        out.extend(list.iter().filter_map(one));
    }
    out.retain(|l| !l.trim().is_empty());
    out.dedup();
    out
}

fn package(name: &str, version: &str, path: &str, v: &Value) -> Package {
    let mut p = Package::new(
        PackageKind::Npm,
        name,
        version,
        purl_for(name, version),
        path,
    );
    p.licenses = licenses(v);
    p
}

fn parse_json(path: &str, bytes: &[u8], warnings: &mut Vec<Warning>) -> Option<Value> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            warnings.push(Warning::new(path, Some(e.line()), format!("not JSON: {e}")));
            None
        }
    }
}

/// An installed package's `package.json`; one without `name` or `version` is not a package
/// (private folders use the file too) and is passed over silently.
pub fn parse_package_json(
    path: &str,
    bytes: &[u8],
    warnings: &mut Vec<Warning>,
) -> Option<Package> {
    let v = parse_json(path, bytes, warnings)?;
    let name = v.get("name")?.as_str()?.trim();
    let version = v.get("version")?.as_str()?.trim();
    (!name.is_empty() && !version.is_empty()).then(|| package(name, version, path, &v))
}

/// Every installed package a lockfile records.
pub fn parse_lockfile(path: &str, bytes: &[u8], warnings: &mut Vec<Warning>) -> Vec<Package> {
    let Some(v) = parse_json(path, bytes, warnings) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(packages) = v.get("packages").and_then(Value::as_object) {
        // v2/v3: keys are install paths; the last `node_modules/` segment starts the name.
        for (key, entry) in packages.iter().take(MAX_LOCK_ENTRIES) {
            let Some(at) = key.rfind("node_modules/") else {
                continue; // "" is the project itself; workspace folders have no node_modules
            };
            let flag = |k: &str| entry.get(k).and_then(Value::as_bool) == Some(true);
            if flag("link") || flag("dev") || flag("extraneous") {
                continue;
            }
            let from_key = &key[at + "node_modules/".len()..];
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(from_key);
            if let Some(version) = entry.get("version").and_then(Value::as_str) {
                if !name.is_empty() && !version.is_empty() {
                    out.push(package(name, version, path, entry));
                }
            }
        }
    } else if let Some(deps) = v.get("dependencies").and_then(Value::as_object) {
        v1(deps, path, 0, &mut out);
    } else {
        warnings.push(Warning::new(
            path,
            None,
            "neither `packages` nor `dependencies`",
        ));
    }
    out
}

fn v1(deps: &serde_json::Map<String, Value>, path: &str, depth: usize, out: &mut Vec<Package>) {
    if depth > MAX_DEPTH {
        return;
    }
    for (name, entry) in deps {
        if out.len() >= MAX_LOCK_ENTRIES {
            return;
        }
        if entry.get("dev").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if let Some(version) = entry.get("version").and_then(Value::as_str) {
            // `file:` versions are links to local folders.
            if !version.is_empty() && !version.starts_with("file:") {
                out.push(package(name, version, path, entry));
            }
        }
        if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
            v1(nested, path, depth + 1, out);
        }
    }
}

/// The project directory a package or lockfile belongs to: the part before the first
/// `node_modules/`, or the lockfile's folder.
fn project_of(path: &str) -> &str {
    match path.find("node_modules/") {
        Some(i) => &path[..i],
        None => path.rsplit_once('/').map_or("", |(d, _)| d),
    }
    .trim_end_matches('/')
}

/// Keeps one npm package per (project, name, version), preferring the installed
/// `package.json` over a lockfile entry; other kinds pass through in order.
pub fn dedup(mut packages: Vec<Package>) -> Vec<Package> {
    use std::collections::HashMap;
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    let mut keep = vec![true; packages.len()];
    for (i, p) in packages.iter().enumerate() {
        if p.kind != PackageKind::Npm {
            continue;
        }
        let key = (
            project_of(&p.found_in).to_string(),
            p.name.clone(),
            p.version.clone(),
        );
        match seen.get(&key) {
            None => {
                seen.insert(key, i);
            }
            Some(&j) => {
                // Prefer the installed package.json over a lockfile entry.
                if is_package_json(&p.found_in) && !is_package_json(&packages[j].found_in) {
                    keep[j] = false;
                    seen.insert(key, i);
                } else {
                    keep[i] = false;
                }
            }
        }
    }
    let mut i = 0;
    packages.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json_paths() {
        assert!(is_package_json("app/node_modules/lodash/package.json"));
        assert!(is_package_json("app/node_modules/@babel/core/package.json"));
        assert!(is_package_json(
            "node_modules/a/node_modules/b/package.json"
        ));
        assert!(!is_package_json("app/package.json"));
        assert!(!is_package_json("app/node_modules/lodash/lib/package.json"));
        assert!(!is_package_json("app/node_modules/@babel/package.json"));
        assert!(is_lockfile("app/package-lock.json"));
        assert!(is_lockfile("app/node_modules/.package-lock.json"));
        assert!(!is_lockfile("app/node_modules/x/package-lock.json"));
    }

    #[test]
    fn lockfile_versions() {
        let v1 = br#"{"lockfileVersion":1,"dependencies":{
            "a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}},
            "d":{"version":"3.0.0","dev":true},
            "l":{"version":"file:../l"}}}"#;
        let mut w = Vec::new();
        let got: Vec<(String, String)> = parse_lockfile("p/package-lock.json", v1, &mut w)
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect();
        assert_eq!(
            got,
            vec![("a".into(), "1.0.0".into()), ("b".into(), "2.0.0".into())]
        );
        let v3 = br#"{"lockfileVersion":3,"packages":{
            "":{"name":"p","version":"1.0.0"},
            "node_modules/@s/x":{"version":"1.2.3","license":"MIT"},
            "node_modules/@s/x/node_modules/y":{"version":"0.1.0"},
            "node_modules/alias":{"name":"real","version":"4.0.0"},
            "node_modules/dev":{"version":"1.0.0","dev":true},
            "node_modules/ws":{"resolved":"packages/ws","link":true}}}"#;
        let pkgs = parse_lockfile("p/package-lock.json", v3, &mut w);
        let purls: Vec<&str> = pkgs.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            vec![
                "pkg:npm/%40s/x@1.2.3",
                "pkg:npm/y@0.1.0",
                "pkg:npm/real@4.0.0"
            ]
        );
        assert_eq!(pkgs[0].licenses, vec!["MIT"]);
        assert!(w.is_empty());
        assert!(parse_lockfile("x/package-lock.json", b"{", &mut w).is_empty());
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn installed_and_locked_once() {
        let mut w = Vec::new();
        let mut pkgs = parse_lockfile(
            "app/package-lock.json",
            br#"{"packages":{"node_modules/a":{"version":"1.0.0"},"node_modules/b":{"version":"2.0.0"}}}"#,
            &mut w,
        );
        pkgs.extend(parse_package_json(
            "app/node_modules/a/package.json",
            br#"{"name":"a","version":"1.0.0","license":{"type":"ISC"}}"#,
            &mut w,
        ));
        pkgs.extend(parse_package_json(
            "other/node_modules/a/package.json",
            br#"{"name":"a","version":"1.0.0"}"#,
            &mut w,
        ));
        let out = dedup(pkgs);
        let got: Vec<(&str, &str)> = out
            .iter()
            .map(|p| (p.name.as_str(), p.found_in.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("b", "app/package-lock.json"),
                ("a", "app/node_modules/a/package.json"),
                ("a", "other/node_modules/a/package.json"),
            ]
        );
        assert_eq!(out[1].licenses, vec!["ISC"]);
    }
}
