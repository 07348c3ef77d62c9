//! The image analysis through its public API, on images built in the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{build, config, of, LayerTar, Spec, GITHUB_TOKEN, RSA_KEY};
use palisade_core::{Config, Severity};
use palisade_image::Limits;
use palisade_imagescan::{analyze, analyze_with, ImageFindings, Options};
use serde_json::json;

fn run(built: &common::Built) -> ImageFindings {
    analyze(
        &built.image,
        "app.oci",
        &Config::default(),
        &Limits::default(),
    )
}

#[test]
fn key_deleted_by_a_later_layer_is_still_found_and_says_so() {
    let base = LayerTar::new()
        .dir("root/.ssh")
        .file("root/.ssh/id_rsa", RSA_KEY.as_bytes())
        .file("etc/hostname", b"box\n")
        .gzip();
    let top = LayerTar::new().file("root/.ssh/.wh.id_rsa", b"").gzip();
    let spec = Spec {
        history: Some(json!([
            {"created_by": "COPY id_rsa /root/.ssh/id_rsa"},
            {"created_by": "RUN rm /root/.ssh/id_rsa"}
        ])),
        ..Spec::default()
    };
    let built = build(vec![base, top], spec);
    let out = run(&built);
    let hits = of(&out.findings, "PAL-IMAGE-001");
    assert_eq!(hits.len(), 1, "{:#?}", out.findings);
    let f = hits[0];
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.object.kind, "Image");
    assert_eq!(f.object.name, "app.oci");
    let digest = &built.image.layers[0].digest[7..19];
    assert_eq!(
        f.location.to_string(),
        format!("app.oci!{digest}/root/.ssh/id_rsa:1:1")
    );
    assert!(f.message.contains("layer 0"), "{}", f.message);
    assert!(f.message.contains("COPY id_rsa"), "{}", f.message);
    assert!(
        f.message.contains("deleted by layer 1") && f.message.contains("RUN rm /root/.ssh/id_rsa"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("still shipped in layer 0"),
        "{}",
        f.message
    );
    assert!(!f.message.contains("MIIE"), "the key leaked: {}", f.message);
}

#[test]
fn overwritten_file_and_surviving_file() {
    let base = LayerTar::new()
        .file(
            "app/.env",
            b"LOG=debug\nDB_PASSWORD=Fake-Pa55w0rd-Not-Real\n",
        )
        .file(
            "app/token.txt",
            format!("token: {GITHUB_TOKEN}\n").as_bytes(),
        )
        .gzip();
    let top = LayerTar::new().file("app/.env", b"LOG=debug\n").gzip();
    let built = build(vec![base, top], Spec::default());
    let out = run(&built);
    let hits = of(&out.findings, "PAL-IMAGE-001");
    assert_eq!(hits.len(), 2, "{hits:#?}");
    let env = hits
        .iter()
        .find(|f| f.location.path.ends_with("app/.env"))
        .unwrap();
    assert_eq!(env.severity, Severity::Medium);
    assert_eq!(env.location.line, 2);
    assert!(env.message.contains("`DB_PASSWORD`"), "{}", env.message);
    assert!(
        env.message.contains("overwritten by layer 1"),
        "{}",
        env.message
    );
    let token = hits
        .iter()
        .find(|f| f.location.path.ends_with("app/token.txt"))
        .unwrap();
    assert_eq!(token.severity, Severity::High);
    assert!(!token.message.contains("deleted") && !token.message.contains("overwritten"));
    assert!(!token.message.contains(GITHUB_TOKEN));
}

#[test]
fn binary_documentation_and_large_files_are_skipped() {
    let mut binary = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    binary.extend_from_slice(RSA_KEY.as_bytes());
    let big = format!("{}\n{RSA_KEY}", "x".repeat(2 << 20));
    let layer = LayerTar::new()
        .file("usr/bin/tool", &binary)
        .file("usr/share/doc/pkg/README", RSA_KEY.as_bytes())
        .file("srv/big.txt", big.as_bytes())
        .file("etc/ok.conf", b"port=80\n")
        .gzip();
    let built = build(vec![layer], Spec::default());
    let out = run(&built);
    assert!(
        of(&out.findings, "PAL-IMAGE-001").is_empty(),
        "{:#?}",
        out.findings
    );
    assert_eq!(out.stats.skipped_binary, 1);
    assert_eq!(out.stats.skipped_noise, 1);
    assert_eq!(out.stats.skipped_large, 1);
    assert_eq!(out.stats.files_scanned, 1);
    // The same key in a text file is found.
    let layer = LayerTar::new()
        .file("srv/key.pem", RSA_KEY.as_bytes())
        .gzip();
    let out = run(&build(vec![layer], Spec::default()));
    assert_eq!(of(&out.findings, "PAL-IMAGE-001").len(), 1);
}

#[test]
fn the_scan_budget_is_reported_when_used_up() {
    let layer = LayerTar::new()
        .file("a.conf", b"password=Fake-Pa55w0rd-Not-Real\n")
        .file("b.conf", b"password=Fake-Pa55w0rd-Not-Real\n")
        .gzip();
    let built = build(vec![layer], Spec::default());
    let options = Options {
        max_scanned_bytes: 40,
        ..Options::default()
    };
    let out = analyze_with(&built.image, "app", &Config::default(), &options);
    assert_eq!(of(&out.findings, "PAL-IMAGE-001").len(), 1);
    assert_eq!(out.stats.skipped_budget, 1);
    assert!(
        out.diagnostics
            .iter()
            .any(|d| d.message.contains("budget") && d.path.as_deref() == Some("b.conf")),
        "{:?}",
        out.diagnostics
    );
}

#[test]
fn many_hits_in_one_file_are_capped() {
    let text = "db.password=Fake-Pa55w0rd-Not-Real\n".repeat(25);
    let layer = LayerTar::new()
        .file("app.properties", text.as_bytes())
        .gzip();
    let out = run(&build(vec![layer], Spec::default()));
    let hits = of(&out.findings, "PAL-IMAGE-001");
    assert_eq!(hits.len(), 10);
    assert!(
        hits[9].message.contains("15 more in this file"),
        "{}",
        hits[9].message
    );
    assert_eq!(hits[9].location.line, 10);
}

#[test]
fn token_in_env_and_label() {
    let spec = Spec {
        config: json!({
            "User": "app",
            "Healthcheck": {"Test": ["CMD", "true"]},
            "Env": ["PATH=/usr/bin", format!("GITHUB_TOKEN={GITHUB_TOKEN}"), "DB_PASSWORD_FILE=/run/secrets/db"],
            "Labels": {"maintainer": "ops@example.test", "deploy.api-key": "Fake-Api-Key-1234567890"}
        }),
        history: None,
    };
    let out = run(&build(vec![LayerTar::new().file("a", b"a").gzip()], spec));
    let hits = of(&out.findings, "PAL-IMAGE-002");
    assert_eq!(hits.len(), 2, "{hits:#?}");
    let env = hits
        .iter()
        .find(|f| f.field.as_deref() == Some("config.Env[1]"))
        .unwrap();
    assert_eq!(env.severity, Severity::High);
    assert_eq!(env.location.to_string(), "app.oci!config.json:1:1");
    assert!(
        env.message.contains("env var `GITHUB_TOKEN`"),
        "{}",
        env.message
    );
    assert!(!env.message.contains(GITHUB_TOKEN));
    let label = hits
        .iter()
        .find(|f| f.field.as_deref() == Some("config.Labels[\"deploy.api-key\"]"))
        .unwrap();
    assert_eq!(label.severity, Severity::Medium);
}

#[test]
fn password_in_history_and_no_echo_of_env() {
    let spec = Spec {
        config: json!({"User": "app", "Healthcheck": {"Test": ["CMD", "true"]}, "Env": ["DB_PASSWORD=Fake-Pa55w0rd-Not-Real"]}),
        history: Some(json!([
            {"created_by": "ADD rootfs.tar /"},
            {"created_by": "ENV DB_PASSWORD=Fake-Pa55w0rd-Not-Real", "empty_layer": true},
            {"created_by": "RUN |1 ADMIN_PASSWORD=S3cr3t-Build-Arg-Fake /bin/sh -c ./install.sh", "empty_layer": true},
            {"created_by": "RUN /bin/sh -c curl -u deploy:Hunter2Fake https://repo.test/x", "empty_layer": true}
        ])),
    };
    let out = run(&build(vec![LayerTar::new().file("a", b"a").gzip()], spec));
    let hits = of(&out.findings, "PAL-IMAGE-002");
    let fields: Vec<&str> = hits.iter().filter_map(|f| f.field.as_deref()).collect();
    assert!(fields.contains(&"config.Env[0]"), "{fields:?}");
    assert!(fields.contains(&"history[2].created_by"), "{fields:?}");
    assert!(
        !fields.contains(&"history[1].created_by"),
        "ENV echo reported twice: {fields:?}"
    );
    let arg = hits
        .iter()
        .find(|f| f.field.as_deref() == Some("history[2].created_by"))
        .unwrap();
    assert!(arg.message.contains("`ADMIN_PASSWORD`"), "{}", arg.message);
    assert!(!arg.message.contains("S3cr3t-Build-Arg-Fake"));
}

#[test]
fn user_unset_root_and_set() {
    let layer = || LayerTar::new().file("a", b"a").gzip();
    for (user, root) in [
        (json!(null), true),
        (json!(""), true),
        (json!("0:0"), true),
        (json!("root"), true),
        (json!("10001:10001"), false),
        (json!("app"), false),
    ] {
        let spec = Spec {
            config: json!({"User": user, "Healthcheck": {"Test": ["CMD", "true"]}}),
            history: None,
        };
        let out = run(&build(vec![layer()], spec));
        let hits = of(&out.findings, "PAL-IMAGE-003");
        assert_eq!(hits.len(), usize::from(root), "{user}: {hits:#?}");
        if let Some(f) = hits.first() {
            assert_eq!(f.field.as_deref(), Some("config.User"));
            assert_eq!(f.severity, Severity::Medium);
        }
    }
}

#[test]
fn ssh_server_binary_package_and_port() {
    let with_sshd = LayerTar::new()
        .dir("usr/sbin")
        .file("usr/sbin/sshd", b"\x7fELF\x00")
        .gzip();
    let out = run(&build(vec![with_sshd.clone()], Spec::default()));
    let hits = of(&out.findings, "PAL-IMAGE-004");
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert!(hits[0].location.path.ends_with("/usr/sbin/sshd"));
    // Deleted by a later layer: not in the final filesystem, nothing runs it.
    let gone = LayerTar::new().file("usr/sbin/.wh.sshd", b"").gzip();
    let out = run(&build(vec![with_sshd, gone], Spec::default()));
    assert!(of(&out.findings, "PAL-IMAGE-004").is_empty());
    // Port 22 exposed.
    let spec = Spec {
        config: json!({"User": "app", "Healthcheck": {"Test": ["CMD", "true"]}, "ExposedPorts": {"22/tcp": {}, "8080/tcp": {}}}),
        history: None,
    };
    let out = run(&build(vec![LayerTar::new().file("a", b"a").gzip()], spec));
    let hits = of(&out.findings, "PAL-IMAGE-004");
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].field.as_deref(),
        Some("config.ExposedPorts[\"22/tcp\"]")
    );
    // A cataloged package.
    let built = build(
        vec![LayerTar::new().file("a", b"a").gzip()],
        Spec::default(),
    );
    let pkg = palisade_sbom::Package {
        kind: palisade_sbom::PackageKind::Deb,
        name: "openssh-server".into(),
        version: "1:9.2p1-2+deb12u3".into(),
        arch: None,
        source_name: Some("openssh".into()),
        source_version: None,
        licenses: vec![],
        purl: String::new(),
        found_in: "var/lib/dpkg/status".into(),
        layer_digest: None,
        layer_created_by: None,
        file_sha256: None,
    };
    let packages = [pkg];
    let options = Options {
        packages: Some(&packages),
        ..Options::default()
    };
    let out = analyze_with(&built.image, "app", &Config::default(), &options);
    let hits = of(&out.findings, "PAL-IMAGE-004");
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0].message.contains("openssh-server"),
        "{}",
        hits[0].message
    );
}

#[test]
fn healthcheck_absent_and_present() {
    let layer = || LayerTar::new().file("a", b"a").gzip();
    let none = Spec {
        config: json!({"User": "app"}),
        history: None,
    };
    let out = run(&build(vec![layer()], none));
    let hits = of(&out.findings, "PAL-IMAGE-005");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Low);
    let out = run(&build(vec![layer()], Spec::default()));
    assert!(of(&out.findings, "PAL-IMAGE-005").is_empty());
}

#[test]
fn approved_registries_judge_the_reference_like_pal_img_003() {
    let built = build(
        vec![LayerTar::new().file("a", b"a").gzip()],
        Spec::default(),
    );
    let cfg =
        config("apiVersion: palisade.dev/v1\napprovedRegistries: [registry.corp.test/team]\n");
    let judge = |reference: &str, cfg: &Config| {
        let options = Options {
            reference: Some(reference),
            ..Options::default()
        };
        let out = analyze_with(&built.image, reference, cfg, &options);
        of(&out.findings, "PAL-IMAGE-006")
            .into_iter()
            .cloned()
            .collect::<Vec<_>>()
    };
    let bad = judge("registry.other.test/team/app:1", &cfg);
    assert_eq!(bad.len(), 1);
    assert!(
        bad[0].message.contains("`registry.other.test`"),
        "{}",
        bad[0].message
    );
    assert_eq!(
        bad[0].evidence.as_deref(),
        Some("approvedRegistries: registry.corp.test/team")
    );
    assert_eq!(
        bad[0].location.to_string(),
        "registry.other.test/team/app:1:1:1"
    );
    assert!(judge("registry.corp.test/team/app:1", &cfg).is_empty());
    assert!(judge("registry.corp.test/teamster/app:1", &cfg).len() == 1);
    assert_eq!(judge("app:1", &cfg).len(), 1, "no host never matches");
    // Nothing configured: not judged.
    assert!(judge("registry.other.test/team/app:1", &Config::default()).is_empty());
    // A local archive has no reference unless the caller names one.
    let out = analyze(&built.image, "app.oci", &cfg, &Limits::default());
    assert!(of(&out.findings, "PAL-IMAGE-006").is_empty());
}

#[test]
fn rule_settings_apply() {
    let cfg = config("apiVersion: palisade.dev/v1\nrules:\n  PAL-IMAGE-005: {enabled: false}\n  PAL-IMAGE-003: {severity: critical}\n");
    let spec = Spec {
        config: json!({}),
        history: None,
    };
    let built = build(vec![LayerTar::new().file("a", b"a").gzip()], spec);
    let out = analyze(&built.image, "x", &cfg, &Limits::default());
    assert!(of(&out.findings, "PAL-IMAGE-005").is_empty());
    assert_eq!(
        of(&out.findings, "PAL-IMAGE-003")[0].severity,
        Severity::Critical
    );
}

#[test]
fn corrupt_layer_is_a_diagnostic_and_the_others_are_still_read() {
    let good = LayerTar::new()
        .file("srv/key.pem", RSA_KEY.as_bytes())
        .gzip();
    let mut cut = LayerTar::new().file("etc/x", &[b'a'; 4000]).gzip();
    cut.truncate(cut.len() / 2);
    let built = build(
        vec![good, cut, b"\x1f\x8bgarbage".to_vec()],
        Spec::default(),
    );
    let out = run(&built);
    assert_eq!(of(&out.findings, "PAL-IMAGE-001").len(), 1);
    assert!(
        out.diagnostics.iter().any(|d| d.layer == Some(1)),
        "{:?}",
        out.diagnostics
    );
    assert!(
        out.diagnostics.iter().any(|d| d.layer == Some(2)),
        "{:?}",
        out.diagnostics
    );
}

#[test]
fn catalog_lists_every_rule_once_with_fresh_ids() {
    let rules = palisade_imagescan::catalog();
    let ids: Vec<&str> = rules.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "PAL-IMAGE-001",
            "PAL-IMAGE-002",
            "PAL-IMAGE-003",
            "PAL-IMAGE-004",
            "PAL-IMAGE-005",
            "PAL-IMAGE-006"
        ]
    );
    for r in &rules {
        assert!(
            palisade_checks::rule(r.id).is_none(),
            "{} taken by the checks",
            r.id
        );
        assert!(!r.description.is_empty() && !r.remediation.is_empty());
    }
}

/// A literal under a secret-like name in a file dpkg installed (listed by a `.list` of the
/// same layer) is the package's default; the same file rewritten by a later layer is the
/// builder's, and a private key is reported wherever it is.
#[test]
fn package_defaults_are_left_out_but_not_builder_edits_or_keys() {
    let conf = b"[client]\npassword=Fake-Pa55w0rd-Not-Real\n";
    let base = LayerTar::new()
        .file("etc/mysql/my.cnf", conf)
        .file("usr/share/pkg/test.key", RSA_KEY.as_bytes())
        .file(
            "var/lib/dpkg/info/pkg.list",
            b"/.\n/etc/mysql/my.cnf\n/usr/share/pkg/test.key\n",
        )
        .gzip();
    let built = build(vec![base.clone()], Spec::default());
    let out = run(&built);
    let hits = of(&out.findings, "PAL-IMAGE-001");
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert!(hits[0].location.path.ends_with("usr/share/pkg/test.key"));
    assert_eq!(out.stats.package_defaults, 1);
    // The builder rewrites the conffile in a later layer: reported there.
    let top = LayerTar::new().file("etc/mysql/my.cnf", conf).gzip();
    let out = run(&build(vec![base, top], Spec::default()));
    let hits = of(&out.findings, "PAL-IMAGE-001");
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert!(hits
        .iter()
        .any(|f| f.location.path.contains("etc/mysql/my.cnf") && f.message.contains("in layer 1")));
}

/// Garbage layers and configs of every shape: never a panic, always a result.
#[test]
fn garbage_never_panics() {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let valid = LayerTar::new()
        .file("etc/a.conf", b"password=Fake-Pa55w0rd-Not-Real\n")
        .file("etc/.wh.b", b"")
        .file(".wh..wh..opq", b"")
        .gzip();
    for round in 0..40 {
        let mut layers = Vec::new();
        for _ in 0..(next() % 3 + 1) {
            let mut bytes = valid.clone();
            // Flip some bytes, cut the end, or use noise alone.
            match next() % 3 {
                0 => {
                    for _ in 0..8 {
                        let i = (next() as usize) % bytes.len();
                        bytes[i] ^= next() as u8;
                    }
                }
                1 => bytes.truncate((next() as usize) % bytes.len()),
                _ => bytes = (0..(next() % 2000)).map(|_| next() as u8).collect(),
            }
            layers.push(bytes);
        }
        let spec = Spec {
            config: json!({
                "User": if round % 2 == 0 { json!(["x"]) } else { json!("0:\u{0}") },
                "Env": [1, "=", "NOEQUALS", "A=\u{202e}", {"x": 1}],
                "Labels": {"k": 3, "password": "\u{0}\u{1}"},
                "ExposedPorts": ["22/tcp"],
                "Healthcheck": null
            }),
            history: Some(json!([{"created_by": 5}, "x", {"created_by": "RUN --token=\u{0}"}])),
        };
        let out = run(&build(layers, spec));
        assert!(out.findings.iter().all(|f| !f.rule_id.is_empty()));
    }
}
