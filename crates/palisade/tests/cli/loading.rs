use crate::util::*;

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: app\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext:\n      privileged: true\n";

fn has(report: &serde_json::Value, rule: &str, path: &str, line: u64) -> bool {
    hits(report)
        .iter()
        .any(|(r, p, l)| r == rule && p == path && *l == line)
}

#[test]
fn directories_are_walked_recursively_for_yaml_yml_json_only() {
    let d = Dir::new("walk");
    d.create("a/pod.yaml", PRIVILEGED_POD)
        .create("a/b/pod.yml", PRIVILEGED_POD)
        .create("c/pod.json", r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j","namespace":"app"},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}"#)
        .create("notes.txt", PRIVILEGED_POD)
        .create(".git/pod.yaml", PRIVILEGED_POD);
    let out = d.run(&["scan", ".", "--format", "json"]);
    assert_exit(&out, 1);
    let r = json(&out);
    assert!(has(&r, "PAL-POD-002", "./a/pod.yaml", 11), "{:?}", hits(&r));
    assert!(has(&r, "PAL-POD-002", "./a/b/pod.yml", 11));
    assert!(has(&r, "PAL-POD-002", "./c/pod.json", 1));
    let paths: Vec<String> = hits(&r).into_iter().map(|h| h.1).collect();
    assert!(!paths
        .iter()
        .any(|p| p.contains("notes.txt") || p.contains(".git")));
    assert_eq!(r["summary"]["objects"], 3);
}

#[test]
fn stdin_is_read_with_dash() {
    let d = Dir::new("stdin");
    let out = d.run_stdin(
        &["scan", "-", "--format", "json"],
        PRIVILEGED_POD.as_bytes(),
    );
    assert_exit(&out, 1);
    assert!(has(&json(&out), "PAL-POD-002", "-", 11));
}

#[test]
fn kubectl_list_dumps_are_unwrapped() {
    let d = Dir::new("list");
    d.create(
        "dump.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a, namespace: app}\n  spec:\n    containers:\n    - name: c\n      image: x\n      securityContext: {privileged: true}\n",
    );
    let out = d.run(&["scan", "dump.yaml", "--format", "json"]);
    assert_exit(&out, 1);
    assert!(has(&json(&out), "PAL-POD-002", "dump.yaml", 11));
}

#[test]
fn helm_source_comments_become_the_reported_path() {
    let d = Dir::new("helm");
    let rendered = format!("---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, namespace: app}}\n---\n# Source: web/templates/pod.yaml\n{PRIVILEGED_POD}");
    let out = d.run_stdin(&["scan", "-", "--format", "json"], rendered.as_bytes());
    assert_exit(&out, 1);
    // line 11 of the pod document, counted from its template's first line
    assert!(
        has(&json(&out), "PAL-POD-002", "web/templates/pod.yaml", 11),
        "{:?}",
        hits(&json(&out))
    );
}

#[test]
fn non_kubernetes_documents_are_skipped_with_a_note() {
    let d = Dir::new("skip");
    d.create("values.yaml", "replicaCount: 3\nimage: {tag: latest}\n");
    let out = d.run(&["scan", ".", "--format", "json"]);
    assert_exit(&out, 0);
    let r = json(&out);
    assert_eq!(r["findings"].as_array().unwrap().len(), 0);
    let notes = r["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n["message"]
        .as_str()
        .unwrap()
        .contains("not a Kubernetes object")));
}

#[test]
fn unknown_kinds_and_crds_are_kept_as_objects() {
    let d = Dir::new("crd");
    d.create("rollout.yaml", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, namespace: app}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n        securityContext: {privileged: true}\n");
    let out = d.run(&["scan", ".", "--format", "json"]);
    assert_exit(&out, 1);
    assert!(has(&json(&out), "PAL-POD-002", "./rollout.yaml", 10));
}
