//! The real Debian bookworm minbase image built by `build-test-images.sh` (cached by
//! `scripts/setup.sh`), in every source form. Its findings were reviewed by hand: it runs
//! as root and has no healthcheck, and no file holds a credential. The detector's raw hits
//! on it are 13 literals under secret-like names, all package defaults or formats that
//! cannot hold a secret, so none is reported:
//! - `etc/nsswitch.conf:7` `passwd: files` (a name-service database; the file is skipped),
//! - 12 in files dpkg installed (`Stats::package_defaults`): `usr/share/libc-bin/nsswitch.conf`
//!   (the same line), `usr/share/lintian/overrides/passwd` (6 lines `passwd:
//!   elevated-privileges ...`) and `.../base-passwd` (1), perl's `Config_heavy.pl`
//!   (`d_grpasswd='define'`, `d_pwpasswd='define'`, `i_pwd='define'`), and
//!   `usr/sbin/adduser:719` (the Perl loop label `PASSWD: for (;;) {`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use palisade_core::Config;
use palisade_image::{Image, Limits, Platform, Severity};
use palisade_imagescan::analyze;

fn check(name: &str, expect_config_findings: bool) {
    let dir = common::real_images();
    let image = Image::open(&dir.join(name), &Platform::default()).unwrap();
    let out = analyze(&image, name, &Config::default(), &Limits::default());
    let errors: Vec<_> = out
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    let ids: Vec<&str> = out.findings.iter().map(|f| f.rule_id.as_ref()).collect();
    let expected: &[&str] = if expect_config_findings {
        &["PAL-IMAGE-003", "PAL-IMAGE-005"]
    } else {
        &[]
    };
    assert_eq!(ids, expected, "{name}: {:#?}", out.findings);
    if let Some(root) = out.findings.first() {
        assert_eq!(root.location.to_string(), format!("{name}!config.json:1:1"));
        assert!(root.message.contains("not set"), "{}", root.message);
    }
    let s = out.stats;
    assert!(
        s.files_scanned > 1000 && s.bytes_scanned > 5 << 20,
        "{name}: {s:?}"
    );
    assert!(
        s.skipped_binary > 1000 && s.skipped_noise > 1000,
        "{name}: {s:?}"
    );
    assert_eq!(s.package_defaults, 12, "{name}: {s:?}");
    assert_eq!(s.skipped_budget, 0, "{name}: {s:?}");
}

#[test]
fn bookworm_docker_archive() {
    check("bookworm-docker.tar", true);
}

#[test]
fn bookworm_oci_archive_and_layout() {
    check("bookworm-oci.tar", true);
    check("oci-umoci", true);
}

#[test]
fn bookworm_two_layer_images() {
    for name in [
        "bookworm-layered-docker.tar",
        "bookworm-layered-oci.tar",
        "oci-buildah",
    ] {
        check(name, true);
    }
}

/// A root filesystem has no configuration: only its files are judged.
#[test]
fn bookworm_rootfs() {
    check("rootfs/bookworm-minbase", false);
}

/// The real bookworm layer as the base of an image built here: a layer that copies in a
/// private key and an `.env`, then a layer that deletes the key and sets a user. The key is
/// found in its layer with "deleted by layer 2"; the base adds nothing.
#[test]
fn planted_secrets_on_the_real_base() {
    use common::{LayerTar, RSA_KEY};
    use serde_json::{json, Value};
    let real = common::real_images().join("oci-umoci");
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    let blob = |d: &str| real.join("blobs/sha256").join(&d[7..]);
    let index = read(&real.join("index.json"));
    let manifest = read(&blob(index["manifests"][0]["digest"].as_str().unwrap()));
    let base = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let out_blob = |name: &str| dir.path().join("blobs/sha256").join(name);
    std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
    std::os::unix::fs::symlink(blob(&base), out_blob(&base[7..])).unwrap();
    let planted = LayerTar::new()
        .file("root/.ssh/id_rsa", RSA_KEY.as_bytes())
        .file("srv/app/.env", b"DB_PASSWORD=Fake-Pa55w0rd-Not-Real\n")
        .gzip();
    let removal = LayerTar::new().file("root/.ssh/.wh.id_rsa", b"").gzip();
    let mut layers =
        vec![json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": base})];
    for (i, bytes) in [planted, removal].iter().enumerate() {
        let d = format!("{:064x}", 0xbeef + i);
        std::fs::write(out_blob(&d), bytes).unwrap();
        layers.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": format!("sha256:{d}")}));
    }
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "10001", "Healthcheck": {"Test": ["CMD", "true"]}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:1", "sha256:2", "sha256:3"]},
        "history": [
            {"created_by": "umoci repack"},
            {"created_by": "COPY . /"},
            {"created_by": "RUN rm /root/.ssh/id_rsa"}
        ]
    });
    let cfg = format!("{:064x}", 0xc0f);
    std::fs::write(out_blob(&cfg), config.to_string()).unwrap();
    let m = json!({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{cfg}")}, "layers": layers});
    let md = format!("{:064x}", 0x3a);
    std::fs::write(out_blob(&md), m.to_string()).unwrap();
    let idx = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{md}")}]});
    std::fs::write(dir.path().join("index.json"), idx.to_string()).unwrap();
    std::fs::write(
        dir.path().join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();

    let image = Image::open(dir.path(), &Platform::default()).unwrap();
    let out = analyze(&image, "planted", &Config::default(), &Limits::default());
    let ids: Vec<&str> = out.findings.iter().map(|f| f.rule_id.as_ref()).collect();
    assert_eq!(
        ids,
        ["PAL-IMAGE-001", "PAL-IMAGE-001"],
        "{:#?}",
        out.findings
    );
    let key = &out.findings[0];
    assert_eq!(
        key.location.to_string(),
        format!(
            "planted!{}/root/.ssh/id_rsa:1:1",
            &format!("{:064x}", 0xbeef)[..12]
        )
    );
    assert!(
        key.message.contains("deleted by layer 2"),
        "{}",
        key.message
    );
    assert!(
        key.message.contains("still shipped in layer 1"),
        "{}",
        key.message
    );
    let env = &out.findings[1];
    assert!(env.location.path.ends_with("srv/app/.env"));
    assert!(!env.message.contains("deleted"), "{}", env.message);
    assert_eq!(out.stats.package_defaults, 12);
}
