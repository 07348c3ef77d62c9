use crate::util::*;

const HIGH_ONLY: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  hostPID: true\n  containers: []\n";

fn max_severity(d: &Dir, file: &str) -> String {
    let r = json(&d.run(&["scan", file, "--format", "json", "--fail-on", "none"]));
    let order = ["info", "low", "medium", "high", "critical"];
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap().to_string())
        .max_by_key(|s| order.iter().position(|o| o == s))
        .unwrap_or_default()
}

#[test]
fn fail_on_threshold_decides_exit_code() {
    let d = Dir::new("failon");
    d.create("p.yaml", HIGH_ONLY);
    let top = max_severity(&d, "p.yaml");
    assert!(top == "high" || top == "critical", "{top}");
    assert_exit(&d.run(&["scan", "p.yaml", "--fail-on", "high"]), 1);
    assert_exit(&d.run(&["scan", "p.yaml", "--fail-on", "none"]), 0);
    if top == "high" {
        assert_exit(&d.run(&["scan", "p.yaml", "--fail-on", "critical"]), 0);
    }
}

#[test]
fn clean_input_exits_zero() {
    let d = Dir::new("clean");
    d.create("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: app}\ndata: {LOG_LEVEL: info}\n");
    let out = d.run(&["scan", "cm.yaml", "--fail-on", "info", "--format", "json"]);
    assert_exit(&out, 0);
}

#[test]
fn usage_errors_exit_two() {
    let d = Dir::new("usage");
    assert_exit(&d.run(&["scan", "--format", "yaml"]), 2);
    assert_exit(&d.run(&["scan", "--fail-on", "severe"]), 2);
    assert_exit(&d.run(&["rules", "show", "PAL-NOPE-999"]), 2);
}
