//! npm packages: this host's real npm installation against `npm ls`, and lockfiles with
//! installed trees reported once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use palisade_sbom::{catalog, DirSource, MemSource, PackageKind};

/// npm's own install directory (`npm root -g`/npm), a real `node_modules` tree.
fn npm_dir() -> PathBuf {
    let out = Command::new("npm")
        .args(["root", "-g"])
        .output()
        .expect("npm is missing: run scripts/setup.sh");
    assert!(out.status.success());
    let dir = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("npm");
    assert!(
        dir.join("node_modules").is_dir(),
        "{} has no node_modules: run scripts/setup.sh",
        dir.display()
    );
    dir
}

#[test]
fn host_npm_tree_agrees_with_npm_ls() {
    let dir = npm_dir();
    let out = Command::new("npm")
        .current_dir(&dir)
        .args(["ls", "--all", "--parseable", "--long", "--offline"])
        .output()
        .unwrap();
    // (folder relative to the npm dir, name, version) of every installed package but the root.
    let oracle: BTreeSet<(String, String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let path = f.next()?;
            let spec = f.next()?;
            let rel = path.strip_prefix(dir.to_str()?)?.trim_start_matches('/');
            let (name, version) = spec.rsplit_once('@')?;
            (!rel.is_empty()).then(|| (rel.to_string(), name.to_string(), version.to_string()))
        })
        .collect();
    assert!(oracle.len() > 20, "{} packages", oracle.len());
    let cat = catalog(&DirSource::new(&dir));
    assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
    let ours: BTreeSet<(String, String, String)> = cat
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Npm)
        .map(|p| {
            let folder = p
                .found_in
                .strip_suffix("/package.json")
                .unwrap()
                .to_string();
            (folder, p.name.clone(), p.version.clone())
        })
        .collect();
    assert_eq!(ours, oracle);
    assert!(cat
        .packages
        .iter()
        .any(|p| p.kind == PackageKind::Npm && !p.licenses.is_empty()));
}

const LOCK_V3: &str = r#"{
  "name": "app", "version": "1.0.0", "lockfileVersion": 3,
  "packages": {
    "": {"name": "app", "version": "1.0.0"},
    "node_modules/lodash": {"version": "4.17.21", "license": "MIT"},
    "node_modules/@babel/core": {"version": "7.24.0", "license": "MIT"},
    "node_modules/@babel/core/node_modules/semver": {"version": "6.3.1"},
    "node_modules/jest": {"version": "29.7.0", "dev": true}
  }
}"#;

#[test]
fn lockfile_and_installed_tree_are_reported_once() {
    let src = MemSource::new()
        .with("srv/app/package-lock.json", LOCK_V3)
        .with(
            "srv/app/node_modules/lodash/package.json",
            r#"{"name":"lodash","version":"4.17.21","license":"MIT"}"#,
        )
        .with(
            "srv/app/node_modules/@babel/core/package.json",
            r#"{"name":"@babel/core","version":"7.24.0","license":"MIT"}"#,
        )
        .with(
            "srv/app/node_modules/.package-lock.json",
            r#"{"lockfileVersion":3,"packages":{"node_modules/lodash":{"version":"4.17.21"}}}"#,
        )
        // A v1 lockfile of another project.
        .with(
            "srv/old/package-lock.json",
            r#"{"lockfileVersion":1,"dependencies":{"lodash":{"version":"4.17.20","dependencies":{"x":{"version":"1.0.0"}}}}}"#,
        )
        // npm's own tree, installed by the OS package manager.
        .with(
            "usr/share/nodejs/npm/node_modules/abbrev/package.json",
            r#"{"name":"abbrev","version":"2.0.0"}"#,
        )
        .with(
            "var/lib/dpkg/status",
            "Package: npm\nStatus: install ok installed\nVersion: 9.2.0\nArchitecture: all\n",
        )
        .with(
            "var/lib/dpkg/info/npm.list",
            "/usr/share/nodejs/npm/node_modules/abbrev/package.json\n",
        )
        .with("srv/app/node_modules/broken/package.json", "{not json");
    let cat = catalog(&src);
    let npm: Vec<(&str, &str, &str)> = cat
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Npm)
        .map(|p| (p.name.as_str(), p.version.as_str(), p.found_in.as_str()))
        .collect();
    assert_eq!(
        npm,
        vec![
            (
                "@babel/core",
                "7.24.0",
                "srv/app/node_modules/@babel/core/package.json"
            ),
            (
                "lodash",
                "4.17.21",
                "srv/app/node_modules/lodash/package.json"
            ),
            ("semver", "6.3.1", "srv/app/package-lock.json"),
            ("lodash", "4.17.20", "srv/old/package-lock.json"),
            ("x", "1.0.0", "srv/old/package-lock.json"),
        ]
    );
    let babel = cat
        .packages
        .iter()
        .find(|p| p.name == "@babel/core")
        .unwrap();
    assert_eq!(babel.purl, "pkg:npm/%40babel/core@7.24.0");
    assert_eq!(babel.licenses, vec!["MIT"]);
    assert_eq!(cat.skipped_os_owned, 1);
    assert_eq!(cat.warnings.len(), 1, "{:?}", cat.warnings);
    assert_eq!(
        cat.warnings[0].path,
        "srv/app/node_modules/broken/package.json"
    );
}
