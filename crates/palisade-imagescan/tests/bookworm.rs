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
