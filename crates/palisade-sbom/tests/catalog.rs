//! End-to-end catalogs of small root filesystems written as fixtures, plus checks against this
//! host's own dpkg database (the test machine has dpkg: scripts/setup.sh).

use std::collections::BTreeSet;

use palisade_sbom::{catalog, DirSource, FileSource, MemSource, PackageKind, MAX_FILE_BYTES};

const DEBIAN_OS: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\n\
                         VERSION_CODENAME=bookworm\nID=debian\n";

const STATUS: &str = "\
Package: bash
Status: install ok installed
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b13
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
 .
 Multi-line description.

Package: python3-six
Status: install ok installed
Architecture: all
Source: six
Version: 1.16.0-4
Description: Python 2 and 3 compatibility library
 long text

Package: removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: half
Status: install reinstreq half-installed
Architecture: amd64
Version: 2.0
";

const SIX_META: &str = "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA";
const PIP_META: &str = "usr/local/lib/python3.11/dist-packages/Requests-2.32.3.dist-info/METADATA";

fn debian_rootfs() -> MemSource {
    MemSource::new()
        .with("etc/os-release", DEBIAN_OS)
        .with("var/lib/dpkg/status", STATUS)
        .with(
            "var/lib/dpkg/info/python3-six.list",
            format!("/.\n/usr\n/{SIX_META}\n"),
        )
        .with(
            "usr/share/doc/bash/copyright",
            "Format: https://example.invalid/dep5\n\nFiles: *\nLicense: GPL-3+\n\nFiles: x\nLicense: GPL-3+\n",
        )
        .with(SIX_META, "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n")
        .with(
            PIP_META,
            "Metadata-Version: 2.1\nName: Requests\nVersion: 2.32.3\nLicense: Apache-2.0\n\nbody\n",
        )
}

fn check_debian(cat: &palisade_sbom::Catalog) {
    assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
    assert_eq!(cat.os.as_ref().map(|o| o.id.as_str()), Some("debian"));
    let got: Vec<(PackageKind, &str, &str)> = cat
        .packages
        .iter()
        .map(|p| (p.kind, p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (PackageKind::Deb, "bash", "5.2.15-2+b13"),
            (PackageKind::Deb, "python3-six", "1.16.0-4"),
            (PackageKind::Python, "Requests", "2.32.3"),
        ]
    );
    assert_eq!(cat.skipped_os_owned, 1, "six belongs to python3-six");
    let bash = &cat.packages[0];
    assert_eq!(bash.licenses, vec!["GPL-3+"]);
    assert_eq!(bash.source_version.as_deref(), Some("5.2.15-2"));
    assert_eq!(
        bash.purl,
        "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12"
    );
    assert_eq!(cat.packages[1].source_name.as_deref(), Some("six"));
    assert_eq!(cat.packages[2].purl, "pkg:pypi/requests@2.32.3");
    assert_eq!(cat.packages[2].licenses, vec!["Apache-2.0"]);
}

#[test]
fn debian_rootfs_in_memory() {
    check_debian(&catalog(&debian_rootfs()));
}

#[test]
fn debian_rootfs_on_disk() {
    let mem = debian_rootfs();
    let dir = tempfile::tempdir().unwrap();
    for path in mem.files() {
        let full = dir.path().join(&path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, mem.read(&path, u64::MAX).unwrap()).unwrap();
    }
    check_debian(&catalog(&DirSource::new(dir.path())));
}

#[test]
fn distroless_status_d_and_usr_lib_os_release() {
    let src = MemSource::new()
        .with("usr/lib/os-release", DEBIAN_OS)
        .with(
            "var/lib/dpkg/status.d/base",
            "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
        )
        .with(
            "var/lib/dpkg/status.d/libssl3",
            "Package: libssl3\nSource: openssl\nVersion: 3.0.14-1~deb12u2\nArchitecture: amd64\n",
        )
        .with(
            "var/lib/dpkg/status.d/python3-six",
            "Package: python3-six\nSource: six\nVersion: 1.16.0-4\nArchitecture: all\n",
        )
        .with(
            "var/lib/dpkg/status.d/python3-six.md5sums",
            format!("0123456789abcdef  {SIX_META}\n"),
        )
        .with(SIX_META, "Name: six\nVersion: 1.16.0\n")
        .with(
            "var/lib/dpkg/status.d/broken",
            "Package: x\n bad\nnot a field\n",
        );
    let cat = catalog(&src);
    assert_eq!(
        cat.os.as_ref().map(|o| o.found_in.as_str()),
        Some("usr/lib/os-release")
    );
    let names: Vec<&str> = cat.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["base-files", "libssl3", "python3-six"]);
    assert_eq!(cat.packages[1].source_name.as_deref(), Some("openssl"));
    assert_eq!(cat.skipped_os_owned, 1);
    assert_eq!(cat.warnings.len(), 1, "{:?}", cat.warnings);
    assert_eq!(cat.warnings[0].path, "var/lib/dpkg/status.d/broken");
    assert_eq!(cat.warnings[0].line, Some(3));
}

#[test]
fn alpine_rootfs_with_apk_owned_python() {
    let src = MemSource::new()
        .with(
            "etc/os-release",
            "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n",
        )
        .with(
            "lib/apk/db/installed",
            "P:busybox\nV:1.36.1-r29\nA:x86_64\nL:GPL-2.0-only\no:busybox\n\n\
             P:py3-six\nV:1.16.0-r9\nA:noarch\nL:MIT\no:py-six\n\
             F:usr/lib/python3.12/site-packages/six-1.16.0.dist-info\nR:METADATA\n",
        )
        .with(
            "usr/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA",
            "Name: six\nVersion: 1.16.0\n",
        )
        .with(
            "usr/lib/python3.12/site-packages/attrs-24.2.0.dist-info/METADATA",
            "Name: attrs\nVersion: 24.2.0\nLicense-Expression: MIT\n",
        );
    let cat = catalog(&src);
    assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
    let purls: Vec<&str> = cat.packages.iter().map(|p| p.purl.as_str()).collect();
    assert_eq!(
        purls,
        vec![
            "pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3",
            "pkg:apk/alpine/py3-six@1.16.0-r9?arch=noarch&distro=alpine-3.20.3",
            "pkg:pypi/attrs@24.2.0",
        ]
    );
    assert_eq!(cat.packages[1].source_name.as_deref(), Some("py-six"));
    assert_eq!(cat.skipped_os_owned, 1);
}

#[test]
fn oversized_database_is_a_warning_not_a_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("var/lib/dpkg")).unwrap();
    // Sparse: costs no disk, but its length is over the cap.
    let f = std::fs::File::create(dir.path().join("var/lib/dpkg/status")).unwrap();
    f.set_len(MAX_FILE_BYTES + 1).unwrap();
    let cat = catalog(&DirSource::new(dir.path()));
    assert!(cat.packages.is_empty());
    assert_eq!(cat.warnings.len(), 1);
    assert_eq!(cat.warnings[0].path, "var/lib/dpkg/status");
}

#[test]
fn random_bytes_never_panic() {
    // A small xorshift generator: deterministic, no extra dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let alphabet = b"PVAoLFR:\n \t()abc+~1.-Package: Status: install ok installed\nVersion:Name:";
    for round in 0..300 {
        let len = (round * 7) % 400;
        let mut buf = Vec::with_capacity(len);
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let b = if state % 5 == 0 {
                (state >> 8) as u8
            } else {
                alphabet[(state >> 16) as usize % alphabet.len()]
            };
            buf.push(b);
        }
        let src = MemSource::new()
            .with("etc/os-release", buf.clone())
            .with("var/lib/dpkg/status", buf.clone())
            .with("lib/apk/db/installed", buf.clone())
            .with("var/lib/dpkg/status.d/x", buf.clone())
            .with("a.dist-info/METADATA", buf);
        let cat = catalog(&src);
        for p in &cat.packages {
            assert!(!p.name.is_empty() && !p.version.is_empty());
            assert!(p.purl.starts_with("pkg:"));
        }
    }
}

/// This host's dpkg database, if it has one: every installed package is found, with no
/// warnings, and the (name, version, source name, source version) set equals what dpkg-query
/// reports for installed packages.
#[test]
fn host_dpkg_status_matches_dpkg_query() {
    let status = std::fs::read("/var/lib/dpkg/status")
        .expect("no /var/lib/dpkg/status on this host: the tests need dpkg (scripts/setup.sh)");
    let out = std::process::Command::new("dpkg-query")
        .args([
            "-W",
            "-f",
            "${db:Status-Status} ${Package} ${Version} ${source:Package} ${source:Version}\n",
        ])
        .output()
        .expect("dpkg-query is missing: the tests need dpkg (scripts/setup.sh)");
    let mut src = MemSource::new();
    src.insert("var/lib/dpkg/status", status);
    if let Ok(os) = std::fs::read("/etc/os-release") {
        src.insert("etc/os-release", os);
    }
    let cat = catalog(&src);
    assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
    assert!(!cat.packages.is_empty());
    // (name, version, source name, source version) as dpkg-query spells them.
    type Row = (String, String, String, String);
    let ours: BTreeSet<Row> = cat
        .packages
        .iter()
        .map(|p| {
            let src = p.source_name.clone().unwrap_or_else(|| p.name.clone());
            let src_ver = p
                .source_version
                .clone()
                .unwrap_or_else(|| p.version.clone());
            (p.name.clone(), p.version.clone(), src, src_ver)
        })
        .collect();
    let theirs: BTreeSet<Row> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            match f.as_slice() {
                ["installed", n, v, sn, sv] => {
                    Some((n.to_string(), v.to_string(), sn.to_string(), sv.to_string()))
                }
                _ => None,
            }
        })
        .collect();
    assert!(!theirs.is_empty(), "dpkg-query listed nothing installed");
    assert_eq!(ours, theirs);
    eprintln!("host: {} installed dpkg packages agree", ours.len());
}

/// The parts of this host's filesystem the catalogers read, addressed relative to `/`.
struct HostSubset(Vec<String>);

impl FileSource for HostSubset {
    fn files(&self) -> Vec<String> {
        self.0.clone()
    }
    fn read(&self, path: &str, limit: u64) -> std::io::Result<Vec<u8>> {
        DirSource::new("/").read(path, limit)
    }
}

fn list_dir(dir: &str, keep: impl Fn(&str) -> bool, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let rel = p.to_string_lossy().trim_start_matches('/').to_string();
        if keep(&rel) {
            out.push(rel);
        }
    }
}

/// On this host (if it uses dpkg): DEP-5 licenses are found for some packages, and the Python
/// distributions the cataloger reports are exactly those whose metadata file `dpkg-query -S`
/// does not attribute to a Debian package.
#[test]
fn host_python_and_licenses_agree_with_dpkg_ownership() {
    assert!(
        std::path::Path::new("/var/lib/dpkg/status").exists(),
        "no dpkg database on this host: the tests need dpkg (scripts/setup.sh)"
    );
    let mut files = vec!["var/lib/dpkg/status".to_string()];
    list_dir("/var/lib/dpkg/info", |p| p.ends_with(".list"), &mut files);
    let mut docs = Vec::new();
    list_dir("/usr/share/doc", |_| true, &mut docs);
    files.extend(
        docs.iter()
            .map(|d| format!("{d}/copyright"))
            .filter(|p| std::path::Path::new("/").join(p).is_file()),
    );
    let mut meta_dirs = Vec::new();
    list_dir(
        "/usr/lib/python3/dist-packages",
        |p| p.ends_with("-info"),
        &mut meta_dirs,
    );
    let mut metadata = Vec::new();
    for d in &meta_dirs {
        for name in ["METADATA", "PKG-INFO"] {
            let p = format!("{d}/{name}");
            if std::path::Path::new("/").join(&p).is_file() {
                metadata.push(p);
            }
        }
        if std::path::Path::new("/").join(d).is_file() {
            metadata.push(d.clone());
        }
    }
    files.extend(metadata.iter().cloned());
    let cat = catalog(&HostSubset(files));
    assert!(cat.warnings.is_empty(), "{:?}", cat.warnings);
    let debs = cat.packages.iter().filter(|p| p.kind == PackageKind::Deb);
    assert!(
        debs.clone().any(|p| !p.licenses.is_empty()),
        "no DEP-5 license found"
    );

    // Independent oracle: which metadata files does dpkg itself say it owns?
    let owned_by_dpkg: BTreeSet<String> = if metadata.is_empty() {
        BTreeSet::new()
    } else {
        let out = std::process::Command::new("dpkg-query")
            .arg("-S")
            .args(metadata.iter().map(|m| format!("/{m}")))
            .output()
            .expect("dpkg-query is missing: the tests need dpkg (scripts/setup.sh)");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(": /").map(|(_, p)| p.to_string()))
            .collect()
    };
    let reported: BTreeSet<String> = cat
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Python)
        .map(|p| p.found_in.clone())
        .collect();
    let expected: BTreeSet<String> = metadata
        .iter()
        .filter(|m| !owned_by_dpkg.contains(*m))
        .cloned()
        .collect();
    assert_eq!(reported, expected);
    assert_eq!(cat.skipped_os_owned, owned_by_dpkg.len());
    eprintln!(
        "host: {} python metadata files, {} owned by dpkg, {} debs with licenses",
        metadata.len(),
        owned_by_dpkg.len(),
        debs.filter(|p| !p.licenses.is_empty()).count()
    );
}
