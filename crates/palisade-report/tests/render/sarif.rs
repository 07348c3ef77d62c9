use palisade_core::{Report, Severity};
use palisade_report::Format;
use serde_json::{json, Value};

use crate::fixture::{self, finding, location, object, rendered, PRIVILEGED};
use crate::validators;

fn parse(report: &Report) -> (String, Value) {
    let text = rendered(report, Format::Sarif, false);
    let value = serde_json::from_str(&text).expect("SARIF output parses");
    (text, value)
}

fn run(v: &Value) -> &Value {
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run");
    &runs[0]
}

#[test]
fn output_is_valid_against_the_official_schema() {
    for report in [fixture::report(), fixture::empty()] {
        let (text, _) = parse(&report);
        if let Err(e) = validators::sarif(&text) {
            panic!("SARIF output is not valid SARIF 2.1.0:\n{e}\n{text}");
        }
    }
}

#[test]
fn the_official_schema_rejects_a_broken_log() {
    let (_, mut v) = parse(&fixture::report());
    v["runs"][0]["results"][0]["level"] = json!("critical");
    assert!(validators::sarif(&v.to_string()).is_err());
    let (_, mut v) = parse(&fixture::report());
    v.as_object_mut().unwrap().remove("version");
    assert!(validators::sarif(&v.to_string()).is_err());
}

#[test]
fn driver_describes_every_rule_for_github() {
    let (_, v) = parse(&fixture::report());
    assert_eq!(v["version"], "2.1.0");
    let driver = &run(&v)["tool"]["driver"];
    assert_eq!(driver["name"], "palisade");
    assert_eq!(driver["version"], "0.1.0");
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("http"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 5);
    let privileged = &rules[1];
    assert_eq!(privileged["id"], "PAL-POD-002");
    assert_eq!(privileged["name"], "PrivilegedContainer");
    assert_eq!(
        privileged["shortDescription"]["text"],
        "Privileged container"
    );
    assert_eq!(
        privileged["fullDescription"]["text"],
        "A privileged container has every capability and all host devices."
    );
    assert_eq!(privileged["defaultConfiguration"]["level"], "error");
    assert_eq!(
        privileged["helpUri"],
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/"
    );
    let help = privileged["help"]["text"].as_str().unwrap();
    assert!(help.contains("Remediation: Remove `securityContext.privileged: true`."));
    assert!(help.contains("CIS 5.2.1"));
    assert!(privileged["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("**Remediation:**"));
    // GitHub shows security severity only for rules tagged `security`, from a string score.
    let props = &privileged["properties"];
    assert!(props["tags"]
        .as_array()
        .unwrap()
        .contains(&json!("security")));
    assert_eq!(props["security-severity"], "9.5");
    assert_eq!(props["precision"], "very-high");
    let scores: Vec<&str> = rules
        .iter()
        .map(|r| r["properties"]["security-severity"].as_str().unwrap())
        .collect();
    assert_eq!(scores, ["8.0", "9.5", "5.5", "3.0", "5.5"]);
    // A rule without an http reference has no helpUri rather than a bad one.
    assert!(rules[2].get("helpUri").is_none());
}

#[test]
fn results_point_at_the_file_and_rule() {
    let (_, v) = parse(&fixture::report());
    let results = run(&v)["results"].as_array().unwrap();
    assert_eq!(results.len(), 5 + 2, "findings then suppressed findings");
    let r = &results[1];
    assert_eq!(r["ruleId"], "PAL-POD-002");
    assert_eq!(r["ruleIndex"], 1);
    assert_eq!(r["level"], "error");
    assert_eq!(
        r["message"]["text"],
        "Deployment prod/web: container \"app\" runs privileged \
         (spec.template.spec.containers[0].securityContext.privileged)"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"],
        json!({
            "artifactLocation": {"uri": "deploy/web%20app.yaml", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 14, "startColumn": 11},
        })
    );
    let levels: Vec<&str> = results[..5]
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["error", "error", "warning", "note", "warning"]);
    assert_eq!(
        results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "pods/%C3%BCn%C3%AF%20c%C3%B4d%C3%A9.yaml"
    );
    for r in &results[..5] {
        assert!(r.get("suppressions").is_none());
    }
}

#[test]
fn suppressed_findings_carry_their_suppression() {
    let (_, v) = parse(&fixture::report());
    let results = run(&v)["results"].as_array().unwrap();
    assert_eq!(
        results[5]["suppressions"],
        json!([{
            "kind": "external",
            "status": "accepted",
            "justification": "node agent needs the host PID namespace",
            "properties": {"exception": "palisade.yaml:12", "expires": "2030-06-30"},
        }])
    );
    assert_eq!(
        results[6]["suppressions"],
        json!([{
            "kind": "inSource",
            "status": "accepted",
            "justification": "debug sidecar, removed before release",
        }])
    );
}

#[test]
fn load_errors_are_execution_notifications() {
    let (_, v) = parse(&fixture::report());
    let invocation = &run(&v)["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 3, "two errors and one note");
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(
        notes[0]["message"]["text"],
        "mapping values are not allowed here"
    );
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"],
        json!({
            "artifactLocation": {"uri": "broken%20dir/bad.yaml", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 3, "startColumn": 7},
        })
    );
    // An error about a whole file has no region.
    assert!(notes[1]["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());
    assert_eq!(notes[2]["level"], "note");

    let (_, v) = parse(&fixture::empty());
    assert_eq!(run(&v)["invocations"][0]["executionSuccessful"], true);
}

fn fingerprints(v: &Value) -> Vec<String> {
    run(v)["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["palisadeFinding/v1"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn fingerprints_are_unique_and_survive_moved_lines() {
    let report = fixture::report();
    let (_, v) = parse(&report);
    let before = fingerprints(&v);
    let mut unique = before.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        before.len(),
        "no two results share a fingerprint"
    );

    // Lines added above the object: same alerts.
    let mut moved = report.clone();
    for f in &mut moved.findings {
        f.location = location(&f.location.path, f.location.line + 40, f.location.col);
    }
    assert_eq!(fingerprints(&parse(&moved).1), before);

    // A different field of the same object is a different alert.
    let mut other = report;
    other.findings[1].field =
        Some("spec.template.spec.initContainers[0].securityContext.privileged".into());
    assert_ne!(fingerprints(&parse(&other).1)[1], before[1]);
}

#[test]
fn identical_findings_get_distinct_fingerprints() {
    let mut report = fixture::report();
    let twin = report.findings[3].clone();
    report.findings.push(twin);
    let prints = fingerprints(&parse(&report).1);
    assert_ne!(prints[3], prints[5]);
    assert_eq!(prints[3].split(':').next(), prints[5].split(':').next());
}

#[test]
fn dockerfile_stages_of_the_same_name_in_two_files_are_different_alerts() {
    let mut report = fixture::report();
    let stage = || object("", "Dockerfile", None, "build");
    for path in ["api/Dockerfile", "web/Dockerfile"] {
        report.findings.push(finding(
            &PRIVILEGED,
            Severity::Medium,
            stage(),
            location(path, 3, 1),
            None,
            "RUN uses `sudo`",
            None,
        ));
    }
    let prints = fingerprints(&parse(&report).1);
    let n = prints.len();
    assert_ne!(
        prints[n - 2].split(':').next(),
        prints[n - 1].split(':').next()
    );
}

#[test]
fn a_severity_override_reaches_the_rule_github_reads() {
    // palisade.yaml lowered PAL-POD-002 to low: GitHub must not show it as critical.
    let mut report = fixture::report();
    report.findings[1].severity = palisade_core::Severity::Low;
    let (_, v) = parse(&report);
    let rule = &run(&v)["tool"]["driver"]["rules"][1];
    assert_eq!(rule["id"], "PAL-POD-002");
    assert_eq!(rule["properties"]["security-severity"], "3.0");
    assert_eq!(rule["defaultConfiguration"]["level"], "note");
    assert_eq!(run(&v)["results"][1]["level"], "note");
}

#[test]
fn rules_are_tagged_with_their_controls() {
    let (_, v) = parse(&fixture::report());
    let rules = run(&v)["tool"]["driver"]["rules"].as_array().unwrap();
    let tags = |i: usize| -> Vec<&str> {
        rules[i]["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect()
    };
    assert_eq!(
        tags(1),
        [
            "security",
            "kubernetes",
            "pod-security",
            "PSS-baseline",
            "CIS-5.2.1",
            "MITRE-T1611",
            "MITRE-T1610",
            "NSA-CISA",
        ]
    );
    // A rule mapped to nothing still has what makes GitHub treat it as security.
    assert_eq!(tags(3), ["security", "kubernetes", "hardening"]);
    // GitHub keeps ten tags at most: `security` must be among them whatever the mappings.
    for i in 0..rules.len() {
        let t = tags(i);
        assert!(t.len() <= 10 && t[0] == "security", "{t:?}");
    }
}

#[test]
fn frameworks_are_taxonomies_the_rules_relate_to() {
    let (text, v) = parse(&fixture::with_frameworks());
    if let Err(e) = validators::sarif(&text) {
        panic!("SARIF with taxonomies is not valid SARIF 2.1.0:\n{e}\n{text}");
    }
    let taxonomies = run(&v)["taxonomies"].as_array().unwrap();
    assert_eq!(taxonomies.len(), 2);
    let cis = &taxonomies[0];
    assert_eq!(cis["name"], "cis");
    assert_eq!(
        cis["fullName"],
        "CIS Kubernetes Benchmark, section 5: Policies"
    );
    assert_eq!(
        cis["properties"],
        json!({"score": 33.3, "passed": 1, "failed": 2, "notCovered": 1})
    );
    let taxa = cis["taxa"].as_array().unwrap();
    assert_eq!(taxa.len(), 4);
    assert_eq!(taxa[0]["id"], "5.2.2");
    assert_eq!(
        taxa[0]["properties"],
        json!({"status": "fail", "rules": ["PAL-POD-002"], "failing": ["Deployment/prod/web"]})
    );
    assert_eq!(taxa[3]["properties"]["status"], "not-covered");
    assert!(taxa[3]["properties"]["reason"]
        .as_str()
        .unwrap()
        .contains("admission"));
    assert_eq!(taxonomies[1]["properties"]["score"], Value::Null);

    // PAL-POD-002 judges 5.2.2 and 5.2.11: relationships to both taxa of taxonomy 0.
    let rules = run(&v)["tool"]["driver"]["rules"].as_array().unwrap();
    let targets: Vec<(&str, &str, u64)> = rules[1]["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let t = &r["target"];
            (
                t["id"].as_str().unwrap(),
                t["toolComponent"]["name"].as_str().unwrap(),
                t["toolComponent"]["index"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(targets, [("5.2.2", "cis", 0), ("5.2.11", "cis", 0)]);
    // A rule that judges no selected control has no relationships.
    assert!(rules[2].get("relationships").is_none());

    // Without --framework: no taxonomies.
    let (_, plain) = parse(&fixture::report());
    assert_eq!(run(&plain)["taxonomies"], json!([]));
}

#[test]
fn the_schema_checks_taxonomies_too() {
    // A taxon without an id is invalid: the validation above can fail.
    let (_, mut v) = parse(&fixture::with_frameworks());
    v["runs"][0]["taxonomies"][0]["taxa"][0]
        .as_object_mut()
        .unwrap()
        .remove("id");
    assert!(validators::sarif(&v.to_string()).is_err());
}

#[test]
fn a_large_report_is_one_result_per_line_in_order_with_counted_twins() {
    // More findings than one batch of parallel chunks renders (8 x 1,024), all of one
    // object, field and rule: their fingerprints differ only by the occurrence number, which
    // must count on across chunk borders.
    let mut report = fixture::report();
    let twin = report.findings[0].clone();
    let first = report.findings.len();
    for line in 0..20_000 {
        let mut f = twin.clone();
        f.location = location(&f.location.path, 1_000 + line, 3);
        report.findings.push(f);
    }
    let (text, v) = parse(&report);
    let results = run(&v)["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        report.findings.len() + report.suppressed.len()
    );
    for (r, f) in results.iter().zip(&report.findings) {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            json!(f.location.line)
        );
    }
    let prints = fingerprints(&v);
    let hash = prints[0].split(':').next().unwrap();
    for (i, p) in prints[first..first + 20_000].iter().enumerate() {
        assert_eq!(
            p,
            &format!("{hash}:{}", i + 2),
            "the twin numbered {}",
            i + 2
        );
    }
    // One compact result per line, so that a large log stays greppable.
    let lines = text
        .lines()
        .filter(|l| l.trim_start().starts_with("{\"level\""))
        .count();
    assert_eq!(lines, results.len());
}
