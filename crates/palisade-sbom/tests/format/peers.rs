//! The real Debian bookworm root filesystem (built once into the cache by
//! `../shared/scripts/build-test-images.sh`, via scripts/setup.sh): our documents validate and
//! read back, and when Syft and Trivy are installed (`../shared/peers/install.sh`) the reader
//! reads their CycloneDX and SPDX output and finds the same dpkg packages we write.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use palisade_sbom::format::{self, Format, SbomInput, Subject, SubjectKind, WriteOptions};
use palisade_sbom::{catalog, DirSource};

use crate::validate;

fn cache() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
}

fn rootfs() -> Option<PathBuf> {
    let dir = cache()?.join("palisade-test/images-1/rootfs/bookworm-minbase");
    dir.join("var/lib/dpkg/status").is_file().then_some(dir)
}

fn peer(name: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("PALISADE_PEERS")
        .map(PathBuf::from)
        .or_else(|| cache().map(|c| c.join("palisade-peers")))?;
    let bin = venv.join("bin").join(name);
    bin.is_file().then_some(bin)
}

/// (name, version) of the dpkg packages in a document.
fn debs(doc: &str) -> BTreeSet<(String, String)> {
    let read = format::read(doc).unwrap_or_else(|e| panic!("{e}"));
    read.packages
        .into_iter()
        .filter(|p| p.ecosystem == "deb")
        .map(|p| (p.name, p.version))
        .collect()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn syft(root: &Path, bin: &Path, out: &str) -> String {
    run(Command::new(bin)
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .args(["scan", "-q", "-o", out])
        .arg(format!("dir:{}", root.display())))
}

fn trivy(root: &Path, bin: &Path, out: &str, cache_dir: &Path) -> String {
    run(Command::new(bin)
        .args(["rootfs", "-q", "--format", out])
        .args([
            "--skip-db-update",
            "--skip-java-db-update",
            "--offline-scan",
        ])
        .arg("--cache-dir")
        .arg(cache_dir)
        .arg(root))
}

#[test]
fn bookworm_rootfs_documents_validate_and_agree_with_peers() {
    let Some(root) = rootfs() else {
        eprintln!("skipped: run scripts/setup.sh to build the bookworm rootfs into the cache");
        return;
    };
    let cat = catalog(&DirSource::new(&root));
    assert!(cat.packages.len() > 50, "{} packages", cat.packages.len());
    let subject = Subject::new(root.display().to_string(), SubjectKind::Directory);
    let input = SbomInput::from_catalog(subject, &cat, "0.1.0");
    let ours: BTreeSet<(String, String)> = cat
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();

    let started = std::time::Instant::now();
    let cdx = format::write(Format::CycloneDxJson, &input, WriteOptions::default());
    let spdx = format::write(Format::SpdxJson, &input, WriteOptions::default());
    eprintln!(
        "{} packages: both documents written in {:?} ({} + {} bytes)",
        input.packages.len(),
        started.elapsed(),
        cdx.len(),
        spdx.len()
    );
    validate::cyclonedx(&cdx);
    validate::spdx(&spdx);
    assert_eq!(debs(&cdx), ours);
    assert_eq!(debs(&spdx), ours);

    if let Some(bin) = peer("syft") {
        for out in ["cyclonedx-json", "spdx-json"] {
            let theirs = debs(&syft(&root, &bin, out));
            assert_eq!(theirs, ours, "syft {out}");
        }
    } else {
        eprintln!("syft not installed (../shared/peers/install.sh): comparison not run");
    }
    if let Some(bin) = peer("trivy") {
        let tmp = tempfile::tempdir().expect("tempdir");
        for out in ["cyclonedx", "spdx-json"] {
            let theirs = debs(&trivy(&root, &bin, out, tmp.path()));
            assert_eq!(theirs, ours, "trivy {out}");
        }
    } else {
        eprintln!("trivy not installed (../shared/peers/install.sh): comparison not run");
    }
}
