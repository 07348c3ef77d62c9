//! `palisade node`: the node audit over the palisade-node fixtures (copied, with their
//! `modes.txt` applied, since git keeps no modes), in every output format.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::util::{assert_exit, json, repo_root, stderr, stdout, Dir};

fn running_as_root() -> bool {
    let d = tempfile::tempdir().unwrap();
    fs::metadata(d.path()).unwrap().uid() == 0
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
            fs::set_permissions(&dst, fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

/// The fixture copied under the test directory as `node/`, modes (and owners, as root)
/// applied.
fn node_fixture(d: &Dir, name: &str) -> String {
    let src = repo_root()
        .join("crates/palisade-node/tests/fixtures")
        .join(name);
    let root = d.root.join("node");
    copy_tree(&src, &root);
    let modes = fs::read_to_string(root.join("modes.txt")).unwrap();
    let as_root = running_as_root();
    for line in modes
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let p: Vec<&str> = line.split_whitespace().collect();
        let path = root.join(p[0]);
        let mode = u32::from_str_radix(p[1], 8).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        if as_root {
            std::os::unix::fs::chown(&path, p[2].parse().ok(), p[3].parse().ok()).unwrap();
        }
    }
    root.to_str().unwrap().to_string()
}

#[test]
fn node_table_counts_per_section_then_findings() {
    let d = Dir::new("node-table");
    let root = node_fixture(&d, "kubeadm-insecure");
    let out = d.run(&["node", "--root", &root, "--color", "never"]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("layout: kubeadm"), "{text}");
    let api_line = text
        .lines()
        .find(|l| l.starts_with("1.2 "))
        .expect("a row for section 1.2");
    let cells: Vec<&str> = api_line.split_whitespace().collect();
    // 1.2: two passes (1.2.25, 1.2.27), one manual (1.2.20), the rest fail.
    assert_eq!(&cells[1..4], ["2", "26", "1"], "{api_line}");
    assert!(text.contains("[MANUAL] 1.2.20"));
    assert!(text.contains("PAL-NODE-201") && text.contains("CIS 1.2.1:"));
}

#[test]
fn node_json_has_every_check_and_the_report() {
    let d = Dir::new("node-json");
    let root = node_fixture(&d, "kubeadm-insecure");
    let out = d.run(&["node", "--root", &root, "--format", "json"]);
    assert_exit(&out, 1);
    let v = json(&out);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 101);
    let anon = checks.iter().find(|c| c["check"] == "1.2.1").unwrap();
    assert_eq!(anon["status"], "fail");
    assert_eq!(anon["rule"], "PAL-NODE-201");
    assert_eq!(anon["evidence"], "--anonymous-auth=true");
    assert_eq!(
        anon["location"]["path"],
        "/etc/kubernetes/manifests/kube-apiserver.yaml"
    );
    let passes = checks.iter().filter(|c| c["status"] == "pass").count();
    assert!(passes > 0, "passing checks are listed too");
    let fails = checks.iter().filter(|c| c["status"] == "fail").count();
    assert_eq!(v["report"]["findings"].as_array().unwrap().len(), fails);
    assert_eq!(v["layout"], "kubeadm");
    let notes = v["report"]["notes"].as_array().unwrap();
    assert!(notes
        .iter()
        .any(|n| n["message"].as_str().unwrap().contains("given 2 times")));
}

#[test]
fn node_hardened_and_k3s() {
    let d = Dir::new("node-hardened");
    let root = node_fixture(&d, "kubeadm-hardened");
    let out = d.run(&["node", "--root", &root, "--format", "json"]);
    let v = json(&out);
    if running_as_root() {
        assert_exit(&out, 0);
        assert_eq!(v["report"]["findings"].as_array().unwrap().len(), 0);
    }
    let fails: Vec<&serde_json::Value> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert!(
        fails
            .iter()
            .all(|c| c["message"].as_str().unwrap().contains("owned")),
        "only ownership can fail when not root: {fails:?}"
    );
    let k = Dir::new("node-k3s");
    let root = node_fixture(&k, "k3s");
    let out = k.run(&[
        "node",
        "--root",
        &root,
        "--format",
        "json",
        "--fail-on",
        "high",
    ]);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["layout"], "k3s");
    let failed: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["1.2.3", "1.2.9", "1.2.29", "1.4.1", "4.2.12"]);
}

#[test]
fn node_sarif_and_junit_validate() {
    let d = Dir::new("node-sarif");
    let root = node_fixture(&d, "kubeadm-insecure");
    let shared = repo_root().join("../shared/schemas");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let sarif = d.root.join("node.sarif");
    let out = d.run(&[
        "node",
        "--root",
        &root,
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
    ]);
    assert_exit(&out, 1);
    let check = std::process::Command::new(&python)
        .arg(shared.join("validate.py"))
        .args(["sarif", sarif.to_str().unwrap()])
        .output()
        .expect("python3 for the SARIF validator; run scripts/setup.sh");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(&sarif).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "PAL-NODE-502"));

    let report = d.root.join("report.json");
    let out = d.run(&["node", "--root", &root, "--format", "json"]);
    let v = json(&out);
    fs::write(&report, serde_json::to_vec(&v["report"]).unwrap()).unwrap();
    let check = std::process::Command::new(&python)
        .args([
            "-c",
            "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))",
            report.to_str().unwrap(),
            repo_root().join("crates/palisade-report/schema/report-v1.schema.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let junit = d.root.join("node.xml");
    let out = d.run(&[
        "node",
        "--root",
        &root,
        "--format",
        "junit",
        "--output",
        junit.to_str().unwrap(),
    ]);
    assert_exit(&out, 1);
    let check = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(shared.join("junit.xsd"))
        .arg(&junit)
        .output()
        .expect("xmllint; run scripts/setup.sh");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn node_exceptions_and_bad_input() {
    let d = Dir::new("node-exc");
    let root = node_fixture(&d, "kubeadm-insecure");
    d.create(
        "palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [PAL-NODE-201]\n    kind: NodeComponent\n    name: kube-apiserver\n    reason: lab node\n",
    );
    let out = d.run(&[
        "node",
        "--root",
        &root,
        "--format",
        "json",
        "--config",
        "palisade.yaml",
    ]);
    let v = json(&out);
    let ids = |key: &str| -> Vec<String> {
        v["report"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["ruleId"]
                    .as_str()
                    .or(f["finding"]["ruleId"].as_str())
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert!(!ids("findings").contains(&"PAL-NODE-201".to_string()));
    assert!(ids("suppressed").contains(&"PAL-NODE-201".to_string()));

    // An unknown rule id in the config is a usage error.
    d.create(
        "bad.yaml",
        "apiVersion: palisade.dev/v1\nrules:\n  PAL-NODE-999: {enabled: false}\n",
    );
    let out = d.run(&["node", "--root", &root, "--config", "bad.yaml"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("PAL-NODE-999"));

    // No such root.
    let out = d.run(&["node", "--root", "does-not-exist"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("does-not-exist"));

    // An invalid manifest is an input error: exit 2, the place on stderr, the rest audited.
    fs::write(
        Path::new(&root).join("etc/kubernetes/manifests/kube-scheduler.yaml"),
        "spec: [\n",
    )
    .unwrap();
    let out = d.run(&["node", "--root", &root, "--format", "json"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("kube-scheduler.yaml"),
        "{}",
        stderr(&out)
    );
    let v = json(&out);
    let sched = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "1.4.1")
        .unwrap();
    assert_eq!(sched["status"], "manual");
}
