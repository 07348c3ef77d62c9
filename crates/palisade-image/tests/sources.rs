//! Every source kind, built in the test: an OCI layout directory with a two-platform
//! index, the same layout as an oci-archive tar, a docker-archive tar, and a root
//! filesystem directory. Then, when present, the real Debian images made by
//! `build-test-images.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{paths, visit_all, LayerTar};
use palisade_image::{EntryKind, Image, Limits, Platform, SourceKind};
use serde_json::json;

fn digest(n: u32) -> String {
    format!("sha256:{n:064x}")
}

fn put_blob(dir: &Path, n: u32, bytes: &[u8]) -> String {
    let d = digest(n);
    let path = dir.join("blobs/sha256").join(&d[7..]);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    d
}

fn config(arch: &str) -> serde_json::Value {
    json!({
        "os": "linux", "architecture": arch,
        "config": {"Env": ["PATH=/usr/bin", "TOKEN=abc"], "User": "app", "ExposedPorts": {"22/tcp": {}}},
        "rootfs": {"type": "layers", "diff_ids": [digest(901), digest(902)]},
        "history": [
            {"created_by": "ADD rootfs.tar /"},
            {"created_by": "ENV TOKEN=abc", "empty_layer": true},
            {"created_by": "RUN rm /etc/motd && install app"}
        ]
    })
}

fn base_layer(arch: &str) -> Vec<u8> {
    LayerTar::new()
        .dir("etc")
        .file("etc/motd", b"hello")
        .file("etc/arch", arch.as_bytes())
        .gzip()
}

fn top_layer() -> Vec<u8> {
    LayerTar::new()
        .file("etc/.wh.motd", b"")
        .file("app/run", b"#!/bin/sh")
        .tar()
}

/// An OCI layout whose index offers linux/arm64/v8 first and linux/amd64 second.
fn oci_layout(dir: &Path) {
    let mut n = 1;
    let mut manifests = Vec::new();
    for (arch, variant) in [("arm64", Some("v8")), ("amd64", None)] {
        let cfg = put_blob(dir, n, config(arch).to_string().as_bytes());
        let l1 = put_blob(dir, n + 1, &base_layer(arch));
        let l2 = put_blob(dir, n + 2, &top_layer());
        let manifest = json!({
            "schemaVersion": 2,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": l1},
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": l2}
            ]
        });
        let m = put_blob(dir, n + 3, manifest.to_string().as_bytes());
        let mut platform = json!({"os": "linux", "architecture": arch});
        if let Some(v) = variant {
            platform["variant"] = json!(v);
        }
        manifests.push(json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m, "platform": platform}));
        n += 4;
    }
    let inner = put_blob(
        dir,
        99,
        json!({"schemaVersion": 2, "manifests": manifests})
            .to_string()
            .as_bytes(),
    );
    // The top-level index points at a nested index, as `docker save` and buildx write it.
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": inner}]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

fn tar_dir(dir: &Path, out: &Path) {
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    b.append_dir_all(".", dir).unwrap();
    b.finish().unwrap();
}

fn check_two_layer_image(image: &Image, arch: &str) {
    assert_eq!(image.layers.len(), 2);
    assert_eq!(
        image.layers[0].created_by.as_deref(),
        Some("ADD rootfs.tar /")
    );
    assert_eq!(
        image.layers[1].created_by.as_deref(),
        Some("RUN rm /etc/motd && install app")
    );
    assert_eq!(image.config.user.as_deref(), Some("app"));
    assert_eq!(image.config.env, ["PATH=/usr/bin", "TOKEN=abc"]);
    assert_eq!(image.config.exposed_ports, ["22/tcp"]);
    assert_eq!(image.config.history.len(), 3);
    let (seen, report) = visit_all(image, &Limits::default());
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    assert_eq!(paths(&seen), ["app/run", "etc", "etc/arch"]);
    let arch_file = seen.iter().find(|s| s.0 == "etc/arch").unwrap();
    assert_eq!(arch_file.2, arch.as_bytes());
    assert_eq!(arch_file.3, 0);
    assert_eq!(seen.iter().find(|s| s.0 == "app/run").unwrap().3, 1);
}

#[test]
fn oci_layout_picks_the_platform_from_a_nested_index() {
    let dir = tempfile::tempdir().unwrap();
    oci_layout(dir.path());
    let image = Image::open(dir.path(), &Platform::default()).unwrap();
    assert_eq!(image.source, SourceKind::OciLayout);
    assert_eq!(image.config.architecture.as_deref(), Some("amd64"));
    assert_eq!(image.layers[0].digest, digest(6));
    check_two_layer_image(&image, "amd64");

    let arm = Image::open(dir.path(), &Platform::parse("linux/arm64").unwrap()).unwrap();
    check_two_layer_image(&arm, "arm64");
    let err = Image::open(dir.path(), &Platform::parse("linux/s390x").unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .contains("no manifest for platform linux/s390x"),
        "{err}"
    );
    assert!(Image::open(dir.path(), &Platform::parse("linux/arm64/v7").unwrap()).is_err());
}

#[test]
fn oci_archive_reads_blobs_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    std::fs::create_dir(&layout).unwrap();
    oci_layout(&layout);
    let archive = dir.path().join("image.tar");
    tar_dir(&layout, &archive);
    let image = Image::open(&archive, &Platform::default()).unwrap();
    assert_eq!(image.source, SourceKind::OciArchive);
    check_two_layer_image(&image, "amd64");
}

#[test]
fn docker_archive_uses_manifest_json_and_diff_ids() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("save");
    std::fs::create_dir_all(root.join("l1")).unwrap();
    std::fs::create_dir_all(root.join("l2")).unwrap();
    std::fs::write(root.join("cfg.json"), config("amd64").to_string()).unwrap();
    // `docker save` writes plain tars; the reader detects compression from the bytes anyway.
    std::fs::write(root.join("l1/layer.tar"), base_layer("amd64")).unwrap();
    std::fs::write(root.join("l2/layer.tar"), top_layer()).unwrap();
    let manifest = json!([{"Config": "cfg.json", "RepoTags": ["local/x:1"], "Layers": ["l1/layer.tar", "l2/layer.tar"]}]);
    std::fs::write(root.join("manifest.json"), manifest.to_string()).unwrap();
    let archive = dir.path().join("docker.tar");
    tar_dir(&root, &archive);
    let image = Image::open(&archive, &Platform::default()).unwrap();
    assert_eq!(image.source, SourceKind::DockerArchive);
    assert_eq!(image.layers[1].digest, digest(902));
    check_two_layer_image(&image, "amd64");
}

#[test]
fn broken_sources_fail_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, LayerTar::new().file("hello", b"x").tar()).unwrap();
    let err = Image::open(&junk, &Platform::default()).unwrap_err();
    assert!(
        err.to_string().contains("junk.tar") && err.to_string().contains("neither"),
        "{err}"
    );
    let layout = dir.path().join("layout");
    std::fs::create_dir(&layout).unwrap();
    std::fs::write(layout.join("oci-layout"), "{}").unwrap();
    std::fs::write(
        layout.join("index.json"),
        "{\"manifests\": [{\"digest\": \"sha256:../../etc\"}]}",
    )
    .unwrap();
    assert!(Image::open(&layout, &Platform::default()).is_err());
}

#[test]
fn rootfs_never_follows_symlinks_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "host secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/os-release"), "ID=debian\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("etc/abs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("hostdir")).unwrap();
    let image = Image::open(dir.path(), &Platform::default()).unwrap();
    assert_eq!(image.source, SourceKind::Rootfs);
    let (seen, _) = visit_all(&image, &Limits::default());
    assert_eq!(
        paths(&seen),
        ["etc", "etc/abs", "etc/os-release", "hostdir"]
    );
    for (path, kind, content, _) in &seen {
        assert!(
            !String::from_utf8_lossy(content).contains("host secret"),
            "{path} leaked"
        );
        if path == "etc/abs" || path == "hostdir" {
            assert_eq!(*kind, EntryKind::Symlink);
        }
    }
}

/// Where `build-test-images.sh` output is cached (built once per machine by `scripts/setup.sh`).
/// Missing images fail the test: a skipped test would pass without checking anything.
fn real_images() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME is set");
    let dir = base.join("palisade-test/images-1");
    assert!(
        dir.join("bookworm-layered-docker.tar").is_file(),
        "test images missing in {}: run scripts/setup.sh",
        dir.display()
    );
    dir
}

#[test]
fn real_debian_images_agree_across_sources() {
    let dir = real_images();
    let mut counts = Vec::new();
    for name in ["oci-umoci", "bookworm-docker.tar", "bookworm-oci.tar"] {
        let image = Image::open(&dir.join(name), &Platform::default()).unwrap();
        let mut status_len = 0;
        let (mut files, mut max_layer) = (0usize, 0usize);
        let report = image.for_each_file(&Limits::default(), |entry, reader| {
            files += 1;
            max_layer = max_layer.max(entry.layer.index);
            if entry.path == "var/lib/dpkg/status" {
                let mut text = String::new();
                reader.read_to_string(&mut text).unwrap();
                status_len = text.matches("\nPackage: ").count() + 1;
            }
        });
        let errors: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == palisade_image::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert!(status_len > 50, "{name}: {status_len} packages");
        assert_eq!(max_layer, 0, "{name}: single layer");
        counts.push((files, status_len));
    }
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "{counts:?}");
    // The rootfs has the same package database.
    let rootfs = Image::open(&dir.join("rootfs/bookworm-minbase"), &Platform::default()).unwrap();
    assert!(rootfs
        .final_view(&Limits::default())
        .view
        .nodes
        .contains_key("var/lib/dpkg/status"));
}

#[test]
fn real_layered_image_applies_the_whiteout() {
    let dir = real_images();
    for name in [
        "bookworm-layered-docker.tar",
        "bookworm-layered-oci.tar",
        "oci-buildah",
    ] {
        let image = Image::open(&dir.join(name), &Platform::default()).unwrap();
        assert_eq!(image.layers.len(), 2, "{name}");
        let mut readme = None;
        let report = image.for_each_file(&Limits::default(), |entry, reader| {
            if entry.path == "app/README" {
                let mut text = String::new();
                reader.read_to_string(&mut text).unwrap();
                readme = Some((text, entry.layer.index));
            }
        });
        let nodes = &report.view.nodes;
        assert!(!nodes.contains_key("usr/share/doc/gzip"), "{name}");
        assert!(
            !nodes.keys().any(|k| k.starts_with("usr/share/doc/gzip/")),
            "{name}"
        );
        assert!(nodes.contains_key("usr/share/doc/bash"), "{name}");
        assert_eq!(nodes["var/lib/dpkg/status"].layer, 0, "{name}");
        assert_eq!(readme, Some(("built for tests\n".to_string(), 1)), "{name}");
    }
}
