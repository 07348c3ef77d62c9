//! The real Debian bookworm images that `scripts/setup.sh` builds once per machine: every
//! source kind yields the same dpkg package list, equal to what `dpkg-query` says of the
//! root filesystem, and packages carry the layer that installed them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use palisade_image::{Image, Limits, Platform, Severity};
use palisade_sbom::{catalog, catalog_image, Catalog, DirSource, PackageKind};

/// The cached images; fails (never skips) when they are missing.
fn images() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .expect("neither XDG_CACHE_HOME nor HOME is set");
    let dir = base.join("palisade-test/images-1");
    assert!(
        dir.join("bookworm-layered-docker.tar").is_file(),
        "the test images are missing from {}: run scripts/setup.sh (it builds them once)",
        dir.display()
    );
    dir
}

fn rootfs() -> PathBuf {
    images().join("rootfs/bookworm-minbase")
}

fn open(name: &str) -> Catalog {
    let image = Image::open(&images().join(name), &Platform::default()).unwrap();
    let cat = catalog_image(&image, &Limits::default());
    let errors: Vec<_> = cat
        .image_diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    assert!(cat.warnings.is_empty(), "{name}: {:?}", cat.warnings);
    cat
}

type Row = (String, String);

fn debs(cat: &Catalog) -> BTreeSet<Row> {
    cat.packages
        .iter()
        .filter(|p| p.kind == PackageKind::Deb)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn dpkg_query(admindir: &std::path::Path) -> BTreeSet<Row> {
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args(["-W", "-f", "${db:Status-Status} ${Package} ${Version}\n"])
        .output()
        .expect("dpkg-query is missing: run scripts/setup.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| match l.split(' ').collect::<Vec<_>>().as_slice() {
            ["installed", n, v] => Some((n.to_string(), v.to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn every_source_kind_lists_the_dpkg_query_packages() {
    let oracle = dpkg_query(&rootfs().join("var/lib/dpkg"));
    assert!(oracle.len() > 50, "{} packages", oracle.len());
    let dir_cat = catalog(&DirSource::new(rootfs()));
    assert!(dir_cat.warnings.is_empty(), "{:?}", dir_cat.warnings);
    assert_eq!(debs(&dir_cat), oracle, "rootfs via DirSource");
    let mut lists = vec![("DirSource", dir_cat.packages.clone())];
    for name in [
        "bookworm-docker.tar",
        "bookworm-oci.tar",
        "oci-umoci",
        "rootfs/bookworm-minbase",
    ] {
        let cat = open(name);
        assert_eq!(debs(&cat), oracle, "{name}");
        assert_eq!(
            cat.os
                .as_ref()
                .map(|o| (o.id.as_str(), o.version_id.as_deref())),
            Some(("debian", Some("12"))),
            "{name}"
        );
        lists.push((name, cat.packages));
    }
    // Beyond (name, version): purls, sources and licenses agree too, and so does the order.
    let strip = |pkgs: &[palisade_sbom::Package]| {
        pkgs.iter()
            .map(|p| (p.purl.clone(), p.source_name.clone(), p.licenses.clone()))
            .collect::<Vec<_>>()
    };
    for w in lists.windows(2) {
        assert_eq!(strip(&w[0].1), strip(&w[1].1), "{} vs {}", w[0].0, w[1].0);
    }
    let bash = lists[1].1.iter().find(|p| p.name == "bash").unwrap();
    assert!(
        bash.purl.starts_with("pkg:deb/debian/bash@"),
        "{}",
        bash.purl
    );
    assert!(
        bash.purl.ends_with("?arch=amd64&distro=debian-12"),
        "{}",
        bash.purl
    );
    assert!(!bash.licenses.is_empty());
    assert_eq!(bash.file_sha256.as_deref().map(str::len), Some(64));
}

#[test]
fn layered_image_packages_carry_the_base_layer() {
    for name in ["bookworm-layered-docker.tar", "bookworm-layered-oci.tar"] {
        let image = Image::open(&images().join(name), &Platform::default()).unwrap();
        assert_eq!(image.layers.len(), 2, "{name}");
        let base = &image.layers[0];
        let cat = open(name);
        let oracle = dpkg_query(&rootfs().join("var/lib/dpkg"));
        // The layered image removed gzip's docs, not the package: the list is unchanged.
        assert_eq!(debs(&cat), oracle, "{name}");
        for p in &cat.packages {
            assert_eq!(
                p.layer_digest.as_deref(),
                Some(base.digest.as_str()),
                "{name}: {}",
                p.name
            );
            assert_eq!(p.layer_created_by, base.created_by, "{name}: {}", p.name);
        }
        // gzip's copyright went with its docs in the upper layer's whiteout.
        let gzip = cat.packages.iter().find(|p| p.name == "gzip").unwrap();
        assert!(gzip.licenses.is_empty(), "{name}: {:?}", gzip.licenses);
        let bash = cat.packages.iter().find(|p| p.name == "bash").unwrap();
        assert!(!bash.licenses.is_empty(), "{name}");
    }
}
