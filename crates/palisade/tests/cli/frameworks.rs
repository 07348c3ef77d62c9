use serde_json::Value;

use crate::util::*;

/// `palisade scan examples/ EXTRA...` with `--fail-on none`.
fn scan_examples(extra: &[&str]) -> std::process::Output {
    let d = Dir::new("frameworks");
    let examples = repo_root().join("examples");
    let mut args = vec!["scan", examples.to_str().unwrap(), "--fail-on", "none"];
    args.extend_from_slice(extra);
    let out = d.run(&args);
    assert_exit(&out, 0);
    out
}

fn control<'a>(framework: &'a Value, id: &str) -> &'a Value {
    framework["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no control {id} in {}", framework["id"]))
}

fn failing(control: &Value) -> Vec<String> {
    control["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["name"].as_str().unwrap()
            )
        })
        .collect()
}

/// For each framework: a control the insecure example fails (with an object it must name),
/// one it passes, one it cannot cover.
const EXPECTED: &[(&str, &str, &str, &str, &str, &str)] = &[
    // (framework, title, failed control, failing object, passed control, not covered)
    (
        "pss-baseline",
        "Pod Security Standards: baseline",
        "privileged-containers",
        "Deployment/storefront",
        "host-ports",
        "",
    ),
    (
        "pss-restricted",
        "Pod Security Standards: restricted",
        "running-as-non-root",
        "DaemonSet/log-shipper",
        "host-ports",
        "",
    ),
    (
        "cis",
        "CIS Kubernetes Benchmark, section 5: Policies",
        "5.2.2",
        "Deployment/storefront",
        "5.2.13",
        "5.5.1",
    ),
    (
        "nsa",
        "NSA/CISA Kubernetes Hardening Guide v1.2",
        "NSA-POD-4",
        "Deployment/storefront",
        "",
        "NSA-LOG-1",
    ),
    (
        "mitre",
        "MITRE ATT&CK for Containers",
        "T1611",
        "Deployment/storefront",
        "",
        "T1612",
    ),
];

#[test]
fn every_framework_summarises_the_examples_in_table_and_json() {
    for &(id, title, failed, object, passed, uncovered) in EXPECTED {
        let table = stdout(&scan_examples(&["--framework", id]));
        let header = format!("Framework: {title} ({id})");
        let at = table
            .find(&header)
            .unwrap_or_else(|| panic!("no `{header}` in the table:\n{table}"));
        // The summary comes after the findings and their totals.
        assert!(table.find("\nSummary\n").unwrap() < at, "{table}");
        let block = &table[at..];
        assert!(block.contains("\n  Score "), "{block}");
        assert!(
            block.contains(&format!("  FAIL  {failed} ")),
            "{id}: {failed} should fail:\n{block}"
        );

        let r = json(&scan_examples(&["--framework", id, "--format", "json"]));
        let frameworks = r["frameworks"].as_array().unwrap();
        assert_eq!(frameworks.len(), 1);
        let fw = &frameworks[0];
        assert_eq!(fw["id"], id);
        assert_eq!(fw["title"], title);
        let c = control(fw, failed);
        assert_eq!(c["status"], "fail", "{id} {failed}");
        assert!(
            failing(c).contains(&object.to_string()),
            "{id} {failed}: {:?}",
            failing(c)
        );
        if !passed.is_empty() {
            assert_eq!(control(fw, passed)["status"], "pass", "{id} {passed}");
        }
        if !uncovered.is_empty() {
            let c = control(fw, uncovered);
            assert_eq!(c["status"], "not-covered", "{id} {uncovered}");
            assert!(c["reason"].as_str().is_some_and(|r| !r.is_empty()));
        }
        // The counts add up and the score follows from them.
        let n = |k: &str| fw[k].as_u64().unwrap();
        let total = fw["controls"].as_array().unwrap().len() as u64;
        assert_eq!(n("passed") + n("failed") + n("notCovered"), total);
        let judged = n("passed") + n("failed");
        let expected = (n("passed") as f64 * 1000.0 / judged as f64).round() / 10.0;
        assert!((fw["score"].as_f64().unwrap() - expected).abs() < 1e-9);
    }
}

#[test]
fn frameworks_repeat_or_come_as_a_comma_list_in_the_order_given() {
    let r = json(&scan_examples(&[
        "--framework",
        "mitre,cis",
        "--framework",
        "pss-baseline",
        "--format",
        "json",
    ]));
    let ids: Vec<&str> = r["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["mitre", "cis", "pss-baseline"]);
    // Without the flag there is no summary, in JSON or in the table.
    let r = json(&scan_examples(&["--format", "json"]));
    assert_eq!(r["frameworks"], serde_json::json!([]));
    assert!(!stdout(&scan_examples(&[])).contains("Framework:"));
}

#[test]
fn an_unknown_framework_is_a_usage_error() {
    let d = Dir::new("framework-bad");
    let out = d.run(&["scan", ".", "--framework", "nist"]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("nist") && err.contains("pss-restricted"),
        "{err}"
    );
}

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: ops
ANNOTATIONS
spec:
  containers:
  - name: c
    image: registry.example/agent@sha256:0000000000000000000000000000000000000000000000000000000000000000
    securityContext:
      privileged: true
";

#[test]
fn a_suppressed_finding_does_not_fail_its_control() {
    let d = Dir::new("framework-exc");
    d.create("bad.yaml", PRIVILEGED_POD.replace("ANNOTATIONS\n", ""));
    d.create(
        "ok.yaml",
        PRIVILEGED_POD.replace(
            "ANNOTATIONS\n",
            "  annotations:\n    palisade.dev/ignore: PAL-POD-002\n    palisade.dev/ignore-reason: vendor agent\n",
        ),
    );
    let args = |file: &str| {
        json(&d.run(&[
            "scan",
            file,
            "--framework",
            "pss-baseline",
            "--format",
            "json",
            "--fail-on",
            "none",
        ]))
    };
    let bad = args("bad.yaml");
    assert_eq!(
        control(&bad["frameworks"][0], "privileged-containers")["status"],
        "fail"
    );
    let ok = args("ok.yaml");
    assert_eq!(ok["suppressed"].as_array().unwrap().len(), 1);
    assert_eq!(
        control(&ok["frameworks"][0], "privileged-containers")["status"],
        "pass"
    );
}

#[test]
fn a_disabled_rule_leaves_its_control_not_covered() {
    let d = Dir::new("framework-disabled");
    d.create("m/pod.yaml", PRIVILEGED_POD.replace("ANNOTATIONS\n", ""));
    d.create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nrules:\n  PAL-POD-002:\n    enabled: false\n",
    );
    let out = d.run(&[
        "scan",
        "m",
        "--framework",
        "cis",
        "--format",
        "json",
        "--fail-on",
        "none",
    ]);
    assert_exit(&out, 0);
    let r = json(&out);
    let c = control(&r["frameworks"][0], "5.2.2");
    assert_eq!(c["status"], "not-covered", "{c}");
}

#[test]
fn docs_frameworks_md_is_generated_from_the_definitions() {
    let d = Dir::new("frameworks-md");
    let out = d.run(&["frameworks", "--format", "markdown"]);
    assert_exit(&out, 0);
    let generated = stdout(&out);
    let committed =
        std::fs::read_to_string(repo_root().join("docs/frameworks.md")).unwrap_or_default();
    let begin = committed.find("<!-- BEGIN GENERATED");
    let end = committed.find("<!-- END GENERATED -->");
    let section = match (begin, end) {
        (Some(b), Some(e)) => &committed[b..e + "<!-- END GENERATED -->\n".len()],
        _ => "",
    };
    assert!(
        section == generated,
        "docs/frameworks.md is stale: replace the part between the GENERATED marks with \
         `cargo run -q -- frameworks --format markdown`"
    );
    // And the list says how much each framework covers.
    let out = d.run(&["frameworks"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("cis: CIS Kubernetes Benchmark"));
}
