//! The rpm cataloger on databases written by the real `rpm` (sqlite backend) from tiny
//! packages built here with `rpmbuild`, checked against `rpm -qa` and `rpm -ql`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use palisade_image::{Image, Limits, Platform};
use palisade_sbom::{catalog, catalog_image, Catalog, DirSource, PackageKind};

const SIX: &str = "usr/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA";
const ATTRS: &str = "usr/lib/python3.12/site-packages/attrs-24.2.0.dist-info/METADATA";

fn tool(name: &str) -> Command {
    let probe = Command::new(name).arg("--version").output();
    assert!(
        probe.is_ok_and(|o| o.status.success()),
        "`{name}` is missing: run scripts/setup.sh (it installs Debian's rpm)"
    );
    Command::new(name)
}

fn spec(name: &str, epoch: Option<u32>, arch: Option<&str>, files: &[&str]) -> String {
    let mut s = format!(
        "Name: {name}\nVersion: 1.{n}\nRelease: 3.fc40\nLicense: MIT AND BSD-3-Clause\nSummary: t\n",
        n = name.len()
    );
    if let Some(e) = epoch {
        s.push_str(&format!("Epoch: {e}\n"));
    }
    if let Some(a) = arch {
        s.push_str(&format!("BuildArch: {a}\n"));
    }
    s.push_str("%description\nt\n%install\n");
    for f in files {
        s.push_str(&format!(
            "mkdir -p $(dirname %{{buildroot}}/{f}) && printf 'Name: six\\nVersion: 1.16.0\\n' > %{{buildroot}}/{f}\n"
        ));
    }
    s.push_str("%files\n");
    for f in files {
        s.push_str(&format!("/{f}\n"));
    }
    s
}

/// Name, epoch, `BuildArch` and files of one test package.
type PkgSpec<'a> = (&'a str, Option<u32>, Option<&'a str>, Vec<&'a str>);

fn rpm_db(dir: &Path) -> PathBuf {
    let top = dir.join("top");
    let mut rpms = Vec::new();
    let pkgs: [PkgSpec; 3] = [
        (
            "hello",
            Some(2),
            Some("noarch"),
            vec![SIX, "usr/share/hello/a.txt"],
        ),
        ("world", None, None, vec!["usr/bin/world", "etc/world.conf"]),
        (
            "python3-extra",
            None,
            Some("noarch"),
            vec!["usr/share/doc/x/README"],
        ),
    ];
    for (name, epoch, arch, files) in pkgs {
        let spec_path = dir.join(format!("{name}.spec"));
        std::fs::write(&spec_path, spec(name, epoch, arch, &files)).unwrap();
        let out = tool("rpmbuild")
            .arg("--quiet")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg("-bb")
            .arg(&spec_path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for e in walk(&top.join("RPMS")) {
        rpms.push(e);
    }
    assert_eq!(rpms.len(), 3);
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    let rpm = |args: &[&str]| {
        let out = tool("rpm")
            .arg("--dbpath")
            .arg(&db)
            .args(["--define", "_db_backend sqlite"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    rpm(&["--initdb"]);
    let mut install = vec!["-i", "--justdb", "--nodeps", "--ignorearch"];
    let paths: Vec<String> = rpms.iter().map(|p| p.display().to_string()).collect();
    install.extend(paths.iter().map(String::as_str));
    rpm(&install);
    db
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

fn query(db: &Path, args: &[&str]) -> String {
    let out = tool("rpm")
        .arg("--dbpath")
        .arg(db)
        .args(["--define", "_db_backend sqlite"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// A Fedora-like rootfs: the database, os-release, a Python package rpm owns and one it
/// does not.
fn rootfs(dir: &Path, db: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    let dbdir = root.join("usr/lib/sysimage/rpm");
    std::fs::create_dir_all(&dbdir).unwrap();
    std::fs::copy(db.join("rpmdb.sqlite"), dbdir.join("rpmdb.sqlite")).unwrap();
    for (path, text) in [
        ("etc/os-release", "NAME=Fedora\nID=fedora\nVERSION_ID=40\n"),
        (SIX, "Name: six\nVersion: 1.16.0\n"),
        (ATTRS, "Name: attrs\nVersion: 24.2.0\n"),
    ] {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    root
}

fn check(cat: &Catalog, db: &Path) {
    assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
    let qf = "%{NAME}|%{EVR}|%{ARCH}|%{SOURCERPM}|%{LICENSE}\n";
    let oracle: BTreeSet<String> = query(db, &["-qa", "--qf", qf])
        .lines()
        .map(str::to_string)
        .collect();
    let rpms: Vec<_> = cat
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Rpm)
        .collect();
    let ours: BTreeSet<String> = rpms
        .iter()
        .map(|p| {
            let src = format!(
                "{}-{}.src.rpm",
                p.source_name.clone().unwrap(),
                p.source_version
                    .clone()
                    .unwrap_or_else(|| p.version.clone())
                    .split_once(':')
                    .map_or_else(|| p.version.clone(), |(_, v)| v.to_string())
            );
            format!(
                "{}|{}|{}|{}|{}",
                p.name,
                p.version,
                p.arch.clone().unwrap(),
                src,
                p.licenses.join(" ")
            )
        })
        .collect();
    assert_eq!(ours, oracle);
    let hello = rpms.iter().find(|p| p.name == "hello").unwrap();
    assert_eq!(
        hello.purl,
        "pkg:rpm/fedora/hello@1.5-3.fc40?arch=noarch&distro=fedora-40&epoch=2"
    );
    // rpm -ql says hello owns six's METADATA: six is rpm's, attrs is reported.
    assert!(query(db, &["-ql", "hello"])
        .lines()
        .any(|l| l == format!("/{SIX}")));
    let python: Vec<&str> = cat
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Python)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(python, vec!["attrs"]);
    assert_eq!(cat.skipped_os_owned, 1);
}

#[test]
fn rpm_sqlite_database_agrees_with_rpm() {
    let dir = tempfile::tempdir().unwrap();
    let db = rpm_db(dir.path());
    let root = rootfs(dir.path(), &db);
    // In place (DirSource) and streamed through a temporary copy (image reader).
    check(&catalog(&DirSource::new(&root)), &db);
    let image = Image::open(&root, &Platform::default()).unwrap();
    check(&catalog_image(&image, &Limits::default()), &db);
    // The database was opened read-only and immutable: nothing written beside it.
    let names: BTreeSet<String> = std::fs::read_dir(root.join("usr/lib/sysimage/rpm"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, BTreeSet::from(["rpmdb.sqlite".to_string()]));
}

#[test]
fn corrupt_rows_are_warnings_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = rpm_db(dir.path());
    let root = rootfs(dir.path(), &db);
    let file = root.join("usr/lib/sysimage/rpm/rpmdb.sqlite");
    {
        let conn = rusqlite::Connection::open(&file).unwrap();
        // Truncate one header, replace another with garbage, add a non-blob row.
        conn.execute_batch(
            "UPDATE Packages SET blob = substr(blob, 1, 40) WHERE hnum = (SELECT min(hnum) FROM Packages);
             INSERT INTO Packages (blob) VALUES (x'0000ffff7fffffff00');
             INSERT INTO Packages (blob) VALUES ('text');",
        )
        .unwrap();
    }
    let cat = catalog(&DirSource::new(&root));
    let rpms = cat
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Rpm)
        .count();
    assert_eq!(rpms, 2, "{:?}", cat.packages);
    assert_eq!(cat.warnings.len(), 3, "{:?}", cat.warnings);
    assert!(cat
        .warnings
        .iter()
        .all(|w| w.path == "usr/lib/sysimage/rpm/rpmdb.sqlite"));
    // A file that is not SQLite at all.
    std::fs::write(&file, b"garbage").unwrap();
    let cat = catalog(&DirSource::new(&root));
    assert_eq!(cat.warnings.len(), 1, "{:?}", cat.warnings);
}

/// Changes still in the write-ahead log (a database copied while rpm had it open) are seen:
/// the log is staged beside a copy of the database, in place and in an image alike.
#[test]
fn changes_in_the_wal_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let db = rpm_db(dir.path());
    let root = rootfs(dir.path(), &db);
    let dbdir = root.join("usr/lib/sysimage/rpm");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::copy(dbdir.join("rpmdb.sqlite"), work.join("rpmdb.sqlite")).unwrap();
    let conn = rusqlite::Connection::open(work.join("rpmdb.sqlite")).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch("PRAGMA foreign_keys=OFF; PRAGMA wal_autocheckpoint=0; DELETE FROM Packages WHERE hnum = (SELECT max(hnum) FROM Packages);")
        .unwrap();
    // Copy while the connection is open: the deletion is only in the WAL.
    for name in ["rpmdb.sqlite", "rpmdb.sqlite-wal"] {
        std::fs::copy(work.join(name), dbdir.join(name)).unwrap();
    }
    assert!(
        std::fs::metadata(dbdir.join("rpmdb.sqlite-wal"))
            .unwrap()
            .len()
            > 0
    );
    drop(conn);
    let image = Image::open(&root, &Platform::default()).unwrap();
    for cat in [
        catalog(&DirSource::new(&root)),
        catalog_image(&image, &Limits::default()),
    ] {
        assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
        let rpms = cat
            .packages
            .iter()
            .filter(|p| p.kind == PackageKind::Rpm)
            .count();
        assert_eq!(rpms, 2, "the WAL deleted one of three");
    }
}
