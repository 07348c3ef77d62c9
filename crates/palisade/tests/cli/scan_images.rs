//! `palisade scan PATH --images`: the images the workloads run, found in an `--image-dir`
//! of saved layouts and archives (a umoci layout with a vulnerable Python package and Go
//! binary, the real Debian docker-archive), judged and joined to the workloads.

use std::path::Path;

use crate::images::{import_corpus, oci_layout, planted_rootfs, test_images};
use crate::util::{assert_exit, json, stderr, Dir};

const MANIFESTS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
      - name: app
        image: registry.example.test/team/planted:planted
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: '@daily'
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: report
            image: registry.example.test/team/planted:planted
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: base, namespace: shop}
spec:
  template:
    spec:
      containers:
      - name: debian
        image: local/debian:bookworm-minbase
";

/// The image dir: the planted layout under `team/planted` (its index records the tag only),
/// the Debian docker-archive (its manifest records the whole name).
fn image_dir(dir: &Dir) -> String {
    let rootfs = planted_rootfs(dir);
    let layout = oci_layout(dir, &rootfs);
    let images = dir.root.join("images");
    std::fs::create_dir_all(images.join("team")).unwrap();
    std::fs::rename(&layout, images.join("team/planted")).unwrap();
    std::fs::copy(
        test_images().join("bookworm-docker.tar"),
        images.join("bookworm.tar"),
    )
    .unwrap();
    images.display().to_string()
}

fn findings_of<'a>(
    report: &'a serde_json::Value,
    rule: &str,
    object: &str,
) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule && f["object"]["name"] == object)
        .collect()
}

#[test]
fn workloads_are_joined_to_the_vulnerable_packages_of_their_images() {
    let dir = Dir::new("scan-images");
    let db = import_corpus(&dir);
    let images = image_dir(&dir);
    dir.create("m/app.yaml", MANIFESTS);
    let args = [
        "scan",
        "m",
        "-f",
        "json",
        "--images",
        "--image-dir",
        &images,
        "--no-pull",
        "--vuln-db",
        &db,
    ];
    let out = dir.run(&args);
    assert_exit(&out, 1);
    let report = json(&out);
    assert!(
        report["errors"].as_array().unwrap().is_empty(),
        "{report:#}"
    );

    // Each workload that runs the planted image carries its vulnerabilities, at its image line.
    for (object, line, container) in [("web", 10, "app"), ("nightly", 23, "report")] {
        let vulns = findings_of(&report, "PAL-VULN-001", object);
        let named = |id: &str| {
            vulns
                .iter()
                .find(|f| f["message"].as_str().unwrap().contains(id))
                .unwrap_or_else(|| panic!("{object}: no finding names {id}: {vulns:#?}"))
        };
        let requests = named("CVE-2023-32681");
        assert_eq!(requests["location"]["line"], line);
        let text = requests["message"].as_str().unwrap();
        assert!(
            text.starts_with(&format!(
                "container `{container}` runs image `registry.example.test/team/planted:planted`"
            )),
            "{text}"
        );
        assert!(text.contains("`requests` 2.30.0") && text.contains("fixed in 2.31.0"));
        let go = named("GO-2021-0113")["message"].as_str().unwrap();
        assert!(
            go.contains("golang.org/x/text") && go.contains("fixed in 0.3.7"),
            "{go}"
        );
        assert!(named("CVE-2023-32681")["field"]
            .as_str()
            .unwrap()
            .ends_with(".containers[0].image"),);
    }
    // The Debian image has no package the corpus (Go, PyPI, Alpine) covers.
    assert!(findings_of(&report, "PAL-VULN-001", "base").is_empty());

    // The image's root user matters only where the manifest leaves the user open.
    assert!(findings_of(&report, "PAL-IMAGE-003", "web").is_empty());
    assert_eq!(findings_of(&report, "PAL-IMAGE-003", "nightly").len(), 1);
    let base_root = findings_of(&report, "PAL-IMAGE-003", "base");
    assert_eq!(
        base_root.len(),
        1,
        "the docker-archive was found by its RepoTags"
    );
    assert_eq!(base_root[0]["location"]["line"], 33);
    // Kubernetes ignores an image's HEALTHCHECK: never reported on a workload.
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["ruleId"] != "PAL-IMAGE-005"));

    // Exceptions treat image findings like any other: on the CronJob, suppressed.
    dir.create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [PAL-VULN-001]\n    kind: CronJob\n    \
         name: nightly\n    reason: batch job, image rebuilt weekly\n",
    );
    let report = json(&dir.run(&args));
    assert!(findings_of(&report, "PAL-VULN-001", "nightly").is_empty());
    assert!(!findings_of(&report, "PAL-VULN-001", "web").is_empty());
    let suppressed = report["suppressed"].as_array().unwrap();
    let by_config: Vec<_> = suppressed
        .iter()
        .filter(|s| s["finding"]["ruleId"] == "PAL-VULN-001")
        .collect();
    assert!(!by_config.is_empty(), "{suppressed:#?}");
    assert!(by_config
        .iter()
        .all(|s| s["finding"]["object"]["name"] == "nightly" && s["by"]["kind"] == "config"));

    // An OpenVEX statement on the image suppresses its vulnerability on every workload.
    dir.create(
        "vex.json",
        r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.test/vex/2",
  "author": "platform team",
  "timestamp": "2026-11-01T00:00:00Z",
  "version": 1,
  "statements": [{
    "vulnerability": {"name": "CVE-2023-32681"},
    "products": [{"@id": "registry.example.test/team/planted:planted",
                  "subcomponents": [{"@id": "pkg:pypi/requests@2.30.0"}]}],
    "status": "not_affected",
    "justification": "vulnerable_code_not_in_execute_path"
  }]
}"#,
    );
    let vex = dir.root.join("vex.json").display().to_string();
    let mut with_vex = args.to_vec();
    with_vex.extend(["--vex", vex.as_str()]);
    let report = json(&dir.run(&with_vex));
    let web = findings_of(&report, "PAL-VULN-001", "web");
    assert!(!web.is_empty(), "the Go vulnerability stays");
    assert!(web
        .iter()
        .all(|f| !f["message"].as_str().unwrap().contains("CVE-2023-32681")));
    let by_vex: Vec<_> = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["finding"]["message"]
                .as_str()
                .unwrap()
                .contains("CVE-2023-32681")
        })
        .collect();
    assert!(
        by_vex
            .iter()
            .any(|s| s["finding"]["object"]["name"] == "web"
                && s["by"]["reason"].as_str().unwrap().contains("not_affected")),
        "{by_vex:#?}"
    );
}

#[test]
fn an_image_that_cannot_be_found_is_an_error_at_its_line_and_the_rest_is_scanned() {
    let dir = Dir::new("scan-images-missing");
    let images = dir.root.join("images");
    std::fs::create_dir_all(&images).unwrap();
    std::fs::copy(
        test_images().join("bookworm-docker.tar"),
        images.join("bookworm.tar"),
    )
    .unwrap();
    std::fs::write(images.join("broken.tar"), b"not a tar at all").unwrap();
    dir.create(
        "m.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  \
         - {name: a, image: example.test/missing:1}\n  - {name: b, image: local/debian:bookworm-minbase}\n",
    );
    let images = images.display().to_string();
    let out = dir.run(&[
        "scan",
        "m.yaml",
        "-f",
        "json",
        "--images",
        "--image-dir",
        &images,
        "--no-pull",
    ]);
    assert_exit(&out, 2);
    let report = json(&out);
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors.iter().any(|e| e.contains("broken.tar")),
        "{errors:#?}"
    );
    let missing = errors
        .iter()
        .find(|e| e.contains("example.test/missing:1"))
        .unwrap();
    assert!(missing.contains("not found in --image-dir"), "{missing}");
    assert!(missing.contains("\"line\":6"), "{missing}");
    // The image that was found is still judged.
    assert_eq!(findings_of(&report, "PAL-IMAGE-003", "p").len(), 1);
    assert!(Path::new(&dir.root).is_dir());
}

#[test]
fn images_not_in_an_image_dir_are_pulled_from_their_registry() {
    use palisade_testkit::registry::{Mode, Registry};
    let dir = Dir::new("scan-images-pull");
    let db = import_corpus(&dir);
    let rootfs = planted_rootfs(&dir);
    let layout = oci_layout(&dir, &rootfs);
    let registry = Registry::start(Mode::Http).unwrap();
    registry
        .push(
            &format!("oci:{}:planted", layout.display()),
            "team/planted:1",
            &[],
        )
        .unwrap();
    let image = format!("{}/team/planted:1", registry.host);
    dir.create(
        "m.yaml",
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: app}}\nspec:\n  \
             containers:\n  - {{name: a, image: '{image}'}}\n"
        ),
    );
    let cache = dir.root.join("cache").display().to_string();
    let out = dir.run(&[
        "scan",
        "m.yaml",
        "-f",
        "json",
        "--images",
        "--insecure-registry",
        "--image-cache",
        &cache,
        "--vuln-db",
        &db,
    ]);
    assert_exit(&out, 1);
    let report = json(&out);
    assert!(
        report["errors"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    let vulns = findings_of(&report, "PAL-VULN-001", "p");
    assert!(
        vulns.iter().any(|f| {
            let text = f["message"].as_str().unwrap();
            text.contains("CVE-2023-32681") && text.contains(&image) && f["location"]["line"] == 6
        }),
        "{vulns:#?}"
    );
    assert!(registry.blob_gets() > 0, "the image came from the registry");
}

#[test]
fn options_a_scan_cannot_start_with_name_the_file_and_the_way_out() {
    let dir = Dir::new("scan-images-setup");
    dir.create(
        "m.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: example.test/app:1}\n",
    );
    dir.create("bad-vex.json", "{\"@context\": 3}");
    let home = dir.root.display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["scan", "m.yaml", "--images", "--no-pull"];
        args.extend_from_slice(extra);
        // No default vulnerability database: the home and cache are the test's own.
        let out = dir
            .command()
            .args(&args)
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", &home)
            .env("XDG_DATA_HOME", &home)
            .output()
            .unwrap();
        assert_exit(&out, 2);
        stderr(&out)
    };
    let e = run(&["--platform", "amd64"]);
    assert!(
        e.contains("--platform `amd64` is not os/arch[/variant]"),
        "{e}"
    );
    let e = run(&["--vuln-db", "none.db"]);
    assert!(
        e.contains("none.db: no such vulnerability database (create it with `palisade db import`)"),
        "{e}"
    );
    let e = run(&["--vex", "missing.json"]);
    assert!(e.contains("cannot read missing.json: "), "{e}");
    let e = run(&["--vex", "bad-vex.json"]);
    assert!(e.contains("bad-vex.json"), "{e}");
}
