use crate::util::*;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: agent\n  namespace: ops\n  labels: {team: infra}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: true}\n";

fn count(report: &serde_json::Value, key: &str, rule: &str) -> usize {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule || f["finding"]["ruleId"] == rule)
        .count()
}

#[test]
fn config_exception_suppresses_and_counts() {
    let d = Dir::new("exc");
    d.create("m/pod.yaml", POD).create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [PAL-POD-002]\n    namespace: o*\n    labels: {team: infra}\n    reason: node agent needs it\n    expires: 2099-01-01\n",
    );
    let out = d.run(&["scan", "m", "--format", "json", "--fail-on", "none"]);
    assert_exit(&out, 0);
    let r = json(&out);
    assert_eq!(count(&r, "findings", "PAL-POD-002"), 0);
    assert_eq!(count(&r, "suppressed", "PAL-POD-002"), 1);
    assert_eq!(
        r["summary"]["suppressed"].as_u64().unwrap() as usize,
        r["suppressed"].as_array().unwrap().len()
    );
    let text = serde_json::to_string(&r["suppressed"]).unwrap();
    assert!(
        text.contains("node agent needs it") && text.contains("palisade.yaml:3"),
        "{text}"
    );
}

#[test]
fn label_mismatch_does_not_suppress() {
    let d = Dir::new("exc-labels");
    d.create("m/pod.yaml", POD).create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [PAL-POD-002]\n    labels: {team: web}\n    reason: x\n",
    );
    let r = json(&d.run(&["scan", "m", "--format", "json"]));
    assert_eq!(count(&r, "findings", "PAL-POD-002"), 1);
}

#[test]
fn expired_exception_suppresses_nothing_and_is_reported() {
    let d = Dir::new("exc-expired");
    d.create("m/pod.yaml", POD).create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [PAL-POD-002]\n    reason: temporary\n    expires: 2020-01-01\n",
    );
    let r = json(&d.run(&["scan", "m", "--format", "json"]));
    assert_eq!(count(&r, "findings", "PAL-POD-002"), 1);
    assert_eq!(count(&r, "findings", "PAL-CFG-001"), 1);
}

#[test]
fn ignore_annotation_suppresses_listed_rules() {
    let d = Dir::new("exc-annot");
    let pod = POD.replace(
        "  labels: {team: infra}\n",
        "  annotations:\n    palisade.dev/ignore: PAL-POD-002, PAL-NOT-THIS\n    palisade.dev/ignore-reason: vendor agent\n",
    );
    d.create("pod.yaml", pod);
    let r = json(&d.run(&["scan", "pod.yaml", "--format", "json"]));
    assert_eq!(count(&r, "findings", "PAL-POD-002"), 0);
    assert_eq!(count(&r, "suppressed", "PAL-POD-002"), 1);
    assert!(serde_json::to_string(&r["suppressed"])
        .unwrap()
        .contains("vendor agent"));
}

#[test]
fn config_errors_name_file_and_line() {
    let d = Dir::new("exc-bad");
    d.create("m/pod.yaml", POD).create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [PAL-POD-002]\n    reason: x\n    nmae: agent\n",
    );
    let out = d.run(&["scan", "m"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("m/palisade.yaml:5:5: unknown key `nmae`"),
        "{}",
        stderr(&out)
    );
    d.create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nrules:\n  PAL-POD-999: {enabled: false}\n",
    );
    let out = d.run(&["scan", "m"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("unknown rule id `PAL-POD-999`"));
}

#[test]
fn rule_settings_disable_and_override_severity() {
    let d = Dir::new("rule-settings");
    d.create("m/pod.yaml", POD).create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nrules:\n  PAL-POD-002: {severity: low}\n",
    );
    let r = json(&d.run(&["scan", "m", "--format", "json"]));
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "PAL-POD-002")
        .unwrap();
    assert_eq!(f["severity"], "low");
    d.create(
        "m/palisade.yaml",
        "apiVersion: palisade.dev/v1\nrules:\n  PAL-POD-002: {enabled: false}\n",
    );
    let r = json(&d.run(&["scan", "m", "--format", "json"]));
    assert_eq!(count(&r, "findings", "PAL-POD-002"), 0);
}
