use std::collections::BTreeSet;

use crate::util::*;

fn scan_examples(sub: &str, extra: &[&str]) -> serde_json::Value {
    let d = Dir::new("examples");
    let root = repo_root();
    let examples = root.join("examples");
    let target = examples.join(sub);
    let config = examples.join("palisade.yaml");
    let mut args = vec![
        "scan",
        target.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "none",
    ];
    args.extend_from_slice(extra);
    let out = d.run(&args);
    assert_exit(&out, 0);
    json(&out)
}

#[test]
fn insecure_example_triggers_every_rule_family_with_lines() {
    let r = scan_examples("", &[]);
    let rules: Vec<serde_json::Value> = r["rules"].as_array().unwrap().clone();
    let family_of = |id: &str| {
        rules
            .iter()
            .find(|x| x["id"] == id)
            .map(|x| x["family"].as_str().unwrap().to_string())
    };
    let mut families = BTreeSet::new();
    for f in r["findings"].as_array().unwrap() {
        assert!(f["location"]["line"].as_u64().unwrap() >= 1);
        assert!(!f["location"]["path"].as_str().unwrap().is_empty());
        families.insert(family_of(f["ruleId"].as_str().unwrap()).unwrap());
    }
    let all: BTreeSet<String> = rules
        .iter()
        .map(|x| x["family"].as_str().unwrap().to_string())
        .filter(|f| f != "configuration")
        .collect();
    let missing: Vec<_> = all.difference(&families).collect();
    assert!(
        missing.is_empty(),
        "families without a finding in examples/: {missing:?}"
    );
}

/// Every rule of the catalog has something to say about the bundled examples (found, or
/// suppressed by the examples' exceptions), so `scan examples/` shows each one working.
/// PAL-CFG-001 (an expired exception) is about the configuration, not the manifests.
#[test]
fn examples_fire_every_rule() {
    let r = scan_examples("", &[]);
    let mut fired: BTreeSet<String> = BTreeSet::new();
    for f in r["findings"].as_array().unwrap() {
        fired.insert(f["ruleId"].as_str().unwrap().to_string());
    }
    for s in r["suppressed"].as_array().unwrap() {
        fired.insert(s["finding"]["ruleId"].as_str().unwrap().to_string());
    }
    let silent: Vec<&str> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .filter(|id| *id != "PAL-CFG-001" && !fired.contains(*id))
        .collect();
    assert!(
        silent.is_empty(),
        "rules with no finding in examples/: {silent:?}"
    );
}

#[test]
fn insecure_dockerfile_triggers_every_dockerfile_rule() {
    let r = scan_examples("insecure-app", &[]);
    let fired: BTreeSet<String> = hits(&r)
        .into_iter()
        .filter(|h| h.1.ends_with("insecure-app/Dockerfile"))
        .map(|h| h.0)
        .collect();
    let all: BTreeSet<String> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["family"] == "dockerfile")
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(all.len(), 9);
    assert_eq!(fired, all);
    assert_eq!(r["summary"]["dockerfiles"], 1);
}

#[test]
fn hardened_example_has_nothing_medium_or_above() {
    let r = scan_examples("hardened-app", &[]);
    let bad: Vec<String> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !matches!(f["severity"].as_str(), Some("info" | "low")))
        .map(|f| format!("{} {} {}", f["ruleId"], f["location"]["path"], f["message"]))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(r["summary"]["objects"].as_u64().unwrap() >= 6);
    assert_eq!(r["summary"]["dockerfiles"], 1);
}

#[test]
fn helm_example_points_at_chart_templates() {
    let r = scan_examples("helm-output", &[]);
    assert!(hits(&r)
        .iter()
        .any(|(_, p, _)| p == "metrics/templates/daemonset.yaml"));
}

#[test]
fn docs_rules_md_is_generated_from_the_catalog() {
    let d = Dir::new("rules-md");
    let out = d.run(&["rules", "--format", "markdown"]);
    assert_exit(&out, 0);
    let committed = std::fs::read_to_string(repo_root().join("docs/rules.md")).unwrap_or_default();
    assert!(
        committed == stdout(&out),
        "docs/rules.md is stale: regenerate with `cargo run -q -- rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn rules_list_and_show() {
    let d = Dir::new("rules");
    let out = d.run(&["rules"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("PAL-POD-002"));
    let out = d.run(&["rules", "show", "pal-pod-002"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("Privileged") && text.contains("Remediation") && text.contains("CIS"));
}

/// The real pipeline's machine outputs on the bundled examples validate against their
/// official schemas (the renderer tests validate hand-made reports; this covers what users get).
#[test]
fn example_outputs_validate_against_their_schemas() {
    let d = Dir::new("schemas");
    let root = repo_root();
    let examples = root.join("examples");
    let shared = root.join("../shared/schemas");
    let all_frameworks = ["--framework", "pss-baseline,pss-restricted,cis,nsa,mitre"];
    let cases = [("sarif", "sarif"), ("json", "palisade"), ("junit", "junit")]
        .into_iter()
        .flat_map(|c| [(c, &[][..]), (c, &all_frameworks[..])]);
    for ((format, check), extra) in cases {
        let mut args = vec!["scan", examples.to_str().unwrap(), "--format", format];
        args.extend_from_slice(extra);
        let out = d.run(&args);
        assert_exit(&out, 1);
        let file = d.root.join(format!("report.{format}"));
        std::fs::write(&file, &out.stdout).unwrap();
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let result = match check {
            "sarif" => std::process::Command::new(&python)
                .arg(shared.join("validate.py"))
                .args(["sarif", file.to_str().unwrap()])
                .output(),
            "palisade" => std::process::Command::new(&python)
                .args([
                    "-c",
                    "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))",
                    file.to_str().unwrap(),
                    root.join("crates/palisade-report/schema/report-v1.schema.json").to_str().unwrap(),
                ])
                .output(),
            _ => std::process::Command::new("xmllint")
                .args(["--noout", "--nonet", "--schema"])
                .arg(shared.join("junit.xsd"))
                .arg(&file)
                .output(),
        }
        .unwrap_or_else(|e| panic!("cannot run the {check} validator ({e}); run scripts/setup.sh"));
        assert!(
            result.status.success(),
            "{format} output {extra:?} does not validate:\n{}{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
    }
}
