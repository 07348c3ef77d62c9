//! `palisade db`, `palisade sbom` and `palisade image scan` end to end: the shared OSV
//! corpus imported into a fresh database; a Python package and a Go binary with known
//! vulnerabilities planted in an image built with umoci (a real OCI tool); the real Debian
//! images built by scripts/setup.sh.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{assert_exit, repo_root, Dir};

fn osv_corpus() -> PathBuf {
    let dir = repo_root().join("../shared/corpora/osv");
    assert!(dir.is_dir(), "{} missing", dir.display());
    dir
}

pub(crate) fn test_images() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
    let dir = base.join("palisade-test/images-1");
    assert!(
        dir.join("bookworm-docker.tar").is_file(),
        "test images missing in {}: run scripts/setup.sh",
        dir.display()
    );
    dir
}

fn run_ok(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (run scripts/setup.sh)"));
    assert!(
        out.status.success(),
        "{cmd:?}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Go binary that depends on golang.org/x/text v0.3.5 (GO-2021-0113, fixed in 0.3.7),
/// built with the Go toolchain (the module comes through Go's ordinary module download).
fn go_binary(dir: &Path) -> PathBuf {
    let src = dir.join("gosrc");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("go.mod"),
        "module example.test/planted\n\ngo 1.21\n\nrequire golang.org/x/text v0.3.5\n",
    )
    .unwrap();
    std::fs::write(
        src.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/text/language\"\n)\n\n\
         func main() { fmt.Println(language.English) }\n",
    )
    .unwrap();
    let out = src.join("planted");
    run_ok(
        Command::new("go")
            .args(["build", "-o"])
            .arg(&out)
            .arg(".")
            .current_dir(&src)
            .env("GOFLAGS", "-mod=mod")
            .env("CGO_ENABLED", "0"),
    );
    out
}

/// A root filesystem with Debian's os-release, requests 2.30.0 (PYSEC-2023-74, fixed in
/// 2.31.0) installed by pip, and the Go binary.
pub(crate) fn planted_rootfs(dir: &Dir) -> PathBuf {
    let root = dir.root.join("rootfs");
    dir.create(
        "rootfs/etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n\
         VERSION_CODENAME=bookworm\n",
    );
    dir.create(
        "rootfs/usr/local/lib/python3.11/site-packages/requests-2.30.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.30.0\nLicense: Apache 2.0\n",
    );
    let bin = go_binary(&dir.root);
    std::fs::create_dir_all(root.join("usr/local/bin")).unwrap();
    std::fs::copy(bin, root.join("usr/local/bin/planted")).unwrap();
    root
}

/// The rootfs as an OCI image layout, made by umoci.
pub(crate) fn oci_layout(dir: &Dir, rootfs: &Path) -> PathBuf {
    let layout = dir.root.join("oci");
    let bundle = dir.root.join("bundle");
    run_ok(
        Command::new("umoci")
            .args(["init", "--layout"])
            .arg(&layout),
    );
    run_ok(
        Command::new("umoci")
            .args(["new", "--image"])
            .arg(format!("{}:planted", layout.display())),
    );
    run_ok(
        Command::new("umoci")
            .args(["unpack", "--image"])
            .arg(format!("{}:planted", layout.display()))
            .arg(&bundle),
    );
    run_ok(
        Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", rootfs.display()))
            .arg(bundle.join("rootfs")),
    );
    run_ok(
        Command::new("umoci")
            .args(["repack", "--image"])
            .arg(format!("{}:planted", layout.display()))
            .arg(&bundle),
    );
    layout
}

pub(crate) fn import_corpus(dir: &Dir) -> String {
    let db = dir.root.join("vulndb.sqlite").display().to_string();
    let corpus = osv_corpus().display().to_string();
    let out = dir.run(&["db", "--db", &db, "import", &corpus]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PyPI") && text.contains("Go"), "{text}");
    db
}

fn vuln_findings(out: &std::process::Output) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "PAL-VULN-001")
        .cloned()
        .collect()
}

fn find<'a>(findings: &'a [serde_json::Value], id: &str) -> &'a serde_json::Value {
    findings
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains(id))
        .unwrap_or_else(|| panic!("no finding names {id}: {findings:#?}"))
}

#[test]
fn planted_python_and_go_packages_are_found_with_their_fixed_versions() {
    let dir = Dir::new("image-planted");
    let db = import_corpus(&dir);
    let rootfs = planted_rootfs(&dir);
    let layout = oci_layout(&dir, &rootfs);
    for target in [&layout, &rootfs] {
        let target = target.display().to_string();
        let out = dir.run(&["image", "scan", &target, "--db", &db, "-f", "json"]);
        assert_exit(&out, 1);
        let vulns = vuln_findings(&out);
        let requests = find(&vulns, "CVE-2023-32681");
        let text = requests["message"].as_str().unwrap();
        assert!(text.contains("`requests` 2.30.0"), "{text}");
        assert!(text.contains("PYSEC-2023-74"), "{text}");
        assert!(text.contains("fixed in 2.31.0"), "{text}");
        let x_text = find(&vulns, "CVE-2021-38561");
        let text = x_text["message"].as_str().unwrap();
        assert!(text.contains("golang.org/x/text"), "{text}");
        assert!(
            text.contains("GO-2021-0113") && text.contains("fixed in 0.3.7"),
            "{text}"
        );
        // One finding per vulnerability and package: aliases are merged.
        let ids: Vec<&str> = vulns
            .iter()
            .map(|f| f["evidence"].as_str().unwrap())
            .collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
    }
    // --ignore-unfixed keeps both (each has a fix); --skip-vulns drops them.
    let target = layout.display().to_string();
    let out = dir.run(&[
        "image",
        "scan",
        &target,
        "--db",
        &db,
        "-f",
        "json",
        "--skip-vulns",
    ]);
    assert!(vuln_findings(&out).is_empty());
}

#[test]
fn an_openvex_statement_suppresses_its_vulnerability_only() {
    let dir = Dir::new("image-vex");
    let db = import_corpus(&dir);
    let rootfs = planted_rootfs(&dir);
    let target = rootfs.display().to_string();
    dir.create(
        "vex.json",
        format!(
            r#"{{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.test/vex/1",
  "author": "platform team",
  "timestamp": "2026-11-01T00:00:00Z",
  "version": 1,
  "statements": [{{
    "vulnerability": {{"name": "CVE-2023-32681"}},
    "products": [{{"@id": "{target}", "subcomponents": [{{"@id": "pkg:pypi/requests@2.30.0"}}]}}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path"
  }}]
}}"#
        ),
    );
    let out = dir.run(&[
        "image", "scan", &target, "--db", &db, "-f", "json", "--vex", "vex.json",
    ]);
    assert_exit(&out, 1);
    let vulns = vuln_findings(&out);
    assert!(vulns
        .iter()
        .all(|f| !f["message"].as_str().unwrap().contains("CVE-2023-32681")));
    find(&vulns, "CVE-2021-38561");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let suppressed = doc["suppressed"].as_array().unwrap();
    assert_eq!(suppressed.len(), 1, "{suppressed:#?}");
    assert!(suppressed[0].to_string().contains("not_affected"));
}

#[test]
fn sbom_of_the_real_debian_image_validates_and_lists_its_packages() {
    let dir = Dir::new("image-sbom");
    let images = test_images();
    let archive = images.join("bookworm-docker.tar").display().to_string();
    let schemas = repo_root().join("../shared/schemas/validate.py");
    for (format, kind) in [("cyclonedx-json", "cyclonedx"), ("spdx-json", "spdx")] {
        let file = format!("sbom-{kind}.json");
        let out = dir.run(&["sbom", &archive, "-f", format, "-o", &file]);
        assert_exit(&out, 0);
        let path = dir.root.join(&file);
        let check = Command::new("python3")
            .arg(&schemas)
            .arg(kind)
            .arg(&path)
            .output()
            .expect("python3 (run scripts/setup.sh)");
        assert!(
            check.status.success(),
            "{kind}: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("pkg:deb/debian/bash@"), "{kind}");
    }
    // The table lists as many packages as dpkg-query on the same image's rootfs.
    let out = dir.run(&["sbom", &archive]);
    assert_exit(&out, 0);
    let table = String::from_utf8_lossy(&out.stdout);
    let rootfs = images.join("rootfs/bookworm-minbase");
    let dpkg = Command::new("dpkg-query")
        .arg(format!("--admindir={}/var/lib/dpkg", rootfs.display()))
        .args(["-W", "-f", "${Package}\\n"])
        .output()
        .expect("dpkg-query");
    let count = String::from_utf8_lossy(&dpkg.stdout).lines().count();
    assert!(count > 50);
    assert!(
        table.contains(&format!("{count} package(s)")),
        "{count}\n{table}"
    );
}

#[test]
fn db_status_and_missing_database_errors() {
    let dir = Dir::new("image-db");
    let db = dir.root.join("empty.sqlite").display().to_string();
    let out = dir.run(&["db", "--db", &db, "status", "-f", "json"]);
    assert_exit(&out, 0);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ecosystems"].as_array().unwrap().len(), 0);
    let out = dir.run(&["image", "scan", ".", "--db", "missing.sqlite"]);
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.sqlite"));
}

/// `palisade image scan` on the archive forms of the same Debian image and on a pull of it
/// from a real registry on loopback: each reads the same packages and judges the same
/// configuration (root user). (The layout and rootfs forms are scanned above; every form's
/// reading is compared file by file in palisade-image's tests.)
#[test]
fn image_scan_reads_archives_and_a_pull_alike() {
    use palisade_testkit::registry::{Mode, Registry};
    let images = test_images();
    let dir = Dir::new("image-scan-kinds");
    let registry = Registry::start(Mode::Http).unwrap();
    let layout = images.join("oci-umoci").display().to_string();
    registry
        .push(&format!("oci:{layout}:bookworm"), "debian/bookworm:12", &[])
        .unwrap();
    let pulled = format!("{}/debian/bookworm:12", registry.host);
    let cache = dir.root.join("cache").display().to_string();
    let mut seen = Vec::new();
    for target in [
        images.join("bookworm-oci.tar").display().to_string(),
        images.join("bookworm-docker.tar").display().to_string(),
        pulled.clone(),
    ] {
        let mut args = vec![
            "image",
            "scan",
            target.as_str(),
            "--skip-vulns",
            "-f",
            "json",
        ];
        if target == pulled {
            args.extend(["--insecure", "--image-cache", cache.as_str()]);
        }
        let out = dir.run(&args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let packages = report["summary"]["objects"].as_u64().unwrap();
        let root = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["ruleId"] == "PAL-IMAGE-003");
        seen.push((target, packages, root));
    }
    let (_, first, _) = &seen[0];
    assert!(*first > 80, "{seen:?}");
    assert!(seen.iter().all(|(_, n, _)| n == first), "{seen:?}");
    assert!(seen.iter().all(|(_, _, root)| *root), "{seen:?}");
    assert!(registry.blob_gets() > 0);
}
