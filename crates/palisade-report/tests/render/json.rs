use palisade_report::Format;
use serde_json::{json, Value};

use crate::fixture::{self, rendered};
use crate::validators;

fn parse(report: &palisade_core::Report) -> (String, Value) {
    let text = rendered(report, Format::Json, false);
    let value = serde_json::from_str(&text).expect("JSON output parses");
    (text, value)
}

#[test]
fn output_is_valid_against_our_schema() {
    for report in [fixture::report(), fixture::empty()] {
        let (text, _) = parse(&report);
        if let Err(e) = validators::palisade_json(&text) {
            panic!("JSON output does not match schema/report-v1.schema.json:\n{e}\n{text}");
        }
    }
}

#[test]
fn schema_rejects_what_it_should() {
    // The validation above means something only if the schema can say no.
    let (_, good) = parse(&fixture::report());
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut v = good.clone();
    v.as_object_mut().unwrap().remove("findings");
    cases.push(("no findings array", v));
    let mut v = good.clone();
    v["findings"][0]["severity"] = json!("severe");
    cases.push(("unknown severity", v));
    let mut v = good.clone();
    v["findings"][0]["location"]["line"] = json!(0);
    cases.push(("line 0", v));
    let mut v = good.clone();
    v["findings"][0]["surprise"] = json!(true);
    cases.push(("undocumented field", v));
    let mut v = good.clone();
    v["suppressed"][1]["by"]["location"] = json!("x.yaml:1");
    cases.push(("annotation with a location", v));
    let mut v = good;
    v["schemaVersion"] = json!(1);
    cases.push(("numeric schemaVersion", v));
    for (what, doc) in cases {
        assert!(
            validators::palisade_json(&doc.to_string()).is_err(),
            "schema accepted a document with {what}"
        );
    }
}

#[test]
fn findings_array_is_the_reported_findings() {
    let report = fixture::report();
    let (_, v) = parse(&report);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), report.findings.len());
    assert_eq!(v["summary"]["findings"], json!(report.findings.len()));
    // Same order as the report.
    let ids: Vec<&str> = findings
        .iter()
        .map(|f| f["ruleId"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = report.findings.iter().map(|f| &*f.rule_id).collect();
    assert_eq!(ids, expected);
}

#[test]
fn header_and_summary() {
    let (_, v) = parse(&fixture::report());
    assert_eq!(v["schemaVersion"], "1");
    assert_eq!(v["tool"], json!({"name": "palisade", "version": "0.1.0"}));
    assert_eq!(
        v["summary"],
        json!({
            "findings": 5,
            "bySeverity": {"critical": 1, "high": 1, "medium": 2, "low": 1, "info": 0},
            "objects": 6,
            "dockerfiles": 0,
            "inputs": 5,
            "suppressed": 2,
            "errors": 2,
            "notes": 1,
        })
    );
}

#[test]
fn a_finding_carries_its_rule_metadata() {
    let (_, v) = parse(&fixture::report());
    assert_eq!(
        v["findings"][1],
        json!({
            "ruleId": "PAL-POD-002",
            "title": "Privileged container",
            "severity": "critical",
            "object": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "prod", "name": "web"},
            "location": {"path": "deploy/web app.yaml", "line": 14, "col": 11},
            "field": "spec.template.spec.containers[0].securityContext.privileged",
            "message": "container \"app\" runs privileged",
            "evidence": "true",
            "controls": {
                "pss": "baseline",
                "cis": ["5.2.1"],
                "nsa": ["Pod security: privileged containers"],
                "mitre": ["T1611", "T1610"],
            },
        })
    );
    // Absent values are null, not missing; the namespace of a cluster-wide object too.
    let low = &v["findings"][3];
    assert_eq!(low["field"], Value::Null);
    assert_eq!(low["evidence"], Value::Null);
    assert_eq!(low["object"]["namespace"], Value::Null);
    assert_eq!(low["object"]["name"], "ünïcödé");
    assert_eq!(low["location"]["path"], "pods/ünï côdé.yaml");
    // A finding names its rule's controls (so no join is needed), always the four keys;
    // the rest of the rule's metadata is in `rules`, once.
    assert_eq!(
        low["controls"],
        json!({"pss": null, "cis": [], "nsa": [], "mitre": []})
    );
    assert!(low.get("remediation").is_none());
    // Suppressed findings too.
    assert_eq!(
        v["suppressed"][0]["finding"]["controls"]["cis"],
        json!(["5.2.2", "5.2.3", "5.2.4"])
    );
    // Same shape as the rule's own entry.
    assert_eq!(v["findings"][1]["controls"], v["rules"][1]["controls"]);
}

#[test]
fn suppressed_errors_notes_and_rules() {
    let (_, v) = parse(&fixture::report());
    assert_eq!(
        v["suppressed"][0]["by"],
        json!({
            "kind": "config",
            "reason": "node agent needs the host PID namespace",
            "location": "palisade.yaml:12",
            "expires": "2030-06-30",
        })
    );
    assert_eq!(v["suppressed"][0]["finding"]["ruleId"], "PAL-POD-001");
    assert_eq!(
        v["suppressed"][1]["by"],
        json!({
            "kind": "annotation",
            "reason": "debug sidecar, removed before release",
            "location": null,
            "expires": null,
        })
    );
    assert_eq!(
        v["errors"],
        json!([
            {"path": "broken dir/bad.yaml", "line": 3, "col": 7, "message": "mapping values are not allowed here"},
            {"path": "missing.yaml", "line": null, "col": null, "message": "cannot read: No such file or directory"},
        ])
    );
    assert_eq!(
        v["notes"],
        json!([{"path": "deploy/web app.yaml", "line": 22, "col": 3,
                "message": "duplicate key `image`: the last value is used"}])
    );
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 5);
    assert_eq!(rules[0]["id"], "PAL-POD-001");
    assert_eq!(rules[0]["family"], "pod-security");
    assert_eq!(rules[0]["severity"], "high");
    assert_eq!(rules[4]["id"], "PAL-CFG-001");
    assert_eq!(rules[4]["references"], json!([]));
}

#[test]
fn text_survives_exactly() {
    // Control characters and markup are JSON-escaped, not altered.
    let (text, v) = parse(&fixture::report());
    assert!(text.contains("\\u001b[2J"), "escape must be JSON-escaped");
    assert_eq!(
        v["findings"][2]["message"],
        "image <nginx> & \"friends\" \u{1b}[2Juses :latest\nsecond line"
    );
}

#[test]
fn a_finding_of_an_unknown_rule_still_renders() {
    let mut report = fixture::report();
    report.findings[0].rule_id = "PAL-POLICY-custom".into();
    let (text, v) = parse(&report);
    assert_eq!(v["findings"][0]["title"], Value::Null);
    assert_eq!(v["findings"][0]["controls"], Value::Null);
    validators::palisade_json(&text).unwrap();
}

#[test]
fn frameworks_are_carried_and_validate() {
    let (text, v) = parse(&fixture::with_frameworks());
    if let Err(e) = validators::palisade_json(&text) {
        panic!("JSON with frameworks does not match the schema:\n{e}\n{text}");
    }
    let frameworks = v["frameworks"].as_array().unwrap();
    assert_eq!(frameworks.len(), 2);
    let cis = &frameworks[0];
    assert_eq!(cis["id"], "cis");
    assert_eq!(cis["score"], 33.3);
    assert_eq!(
        (&cis["passed"], &cis["failed"], &cis["notCovered"]),
        (&json!(1), &json!(2), &json!(1))
    );
    assert_eq!(
        cis["controls"][0],
        json!({
            "id": "5.2.2",
            "title": "Privileged containers kept out",
            "status": "fail",
            "rules": ["PAL-POD-002"],
            "failing": [{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "prod", "name": "web"}],
            "reason": null,
        })
    );
    assert_eq!(cis["controls"][1]["failing"][3]["name"], "d\u{1b}[2J");
    assert_eq!(cis["controls"][3]["status"], "not-covered");
    assert_eq!(
        cis["controls"][3]["reason"],
        "needs the API server's admission configuration"
    );
    // Nothing judged: no score rather than 0 or 100.
    assert_eq!(frameworks[1]["score"], Value::Null);
    // Without --framework the list is there, empty.
    let (_, plain) = parse(&fixture::report());
    assert_eq!(plain["frameworks"], json!([]));
}

#[test]
fn schema_rejects_inconsistent_controls() {
    let (_, good) = parse(&fixture::with_frameworks());
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut v = good.clone();
    v["frameworks"][0]["controls"][0]["failing"] = json!([]);
    cases.push(("a failed control without failing objects", v));
    let mut v = good.clone();
    v["frameworks"][0]["controls"][3]["reason"] = Value::Null;
    cases.push(("a not-covered control without a reason", v));
    let mut v = good.clone();
    v["frameworks"][0]["controls"][2]["rules"] = json!([]);
    cases.push(("a passed control no rule judged", v));
    let mut v = good.clone();
    v["frameworks"][0]["controls"][2]["status"] = json!("passed");
    cases.push(("an unknown status", v));
    let mut v = good.clone();
    v["frameworks"][0]["score"] = json!(101);
    cases.push(("a score above 100", v));
    let mut v = good;
    v["findings"][0].as_object_mut().unwrap().remove("controls");
    cases.push(("a finding without controls", v));
    for (what, doc) in cases {
        assert!(
            validators::palisade_json(&doc.to_string()).is_err(),
            "schema accepted {what}"
        );
    }
}
