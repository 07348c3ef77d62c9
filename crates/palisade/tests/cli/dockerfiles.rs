use crate::util::*;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: true}\n";

const ROOT_IMAGE: &str = "FROM python:3.12\nRUN pip install flask\nUSER root\n";

#[test]
fn dockerfiles_are_found_by_name_in_directories() {
    let d = Dir::new("df-walk");
    d.create("app/Dockerfile", ROOT_IMAGE)
        .create("app/api.Dockerfile", ROOT_IMAGE)
        .create("app/Containerfile.dev", ROOT_IMAGE)
        .create("app/Dockerfile.dockerignore", "*.log\n")
        .create("app/notes.txt", "FROM nothing\n")
        .create("app/pod.yaml", POD);
    let out = d.run(&["scan", "app", "--format", "json", "--fail-on", "none"]);
    assert_exit(&out, 0);
    let r = json(&out);
    assert_eq!(r["summary"]["dockerfiles"], 3);
    assert_eq!(r["summary"]["objects"], 1);
    let mut roots: Vec<String> = hits(&r)
        .into_iter()
        .filter(|h| h.0 == "PAL-DOCKER-001")
        .map(|h| format!("{}:{}", h.1, h.2))
        .collect();
    roots.sort();
    assert_eq!(
        roots,
        [
            "app/Containerfile.dev:3",
            "app/Dockerfile:3",
            "app/api.Dockerfile:3"
        ]
    );
}

#[test]
fn a_named_dockerfile_is_parsed_as_a_dockerfile() {
    let d = Dir::new("df-named");
    d.create("Dockerfile", ROOT_IMAGE);
    let out = d.run(&[
        "scan",
        "Dockerfile",
        "--format",
        "json",
        "--fail-on",
        "none",
    ]);
    assert_exit(&out, 0);
    let r = json(&out);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "PAL-DOCKER-001")
        .unwrap();
    assert_eq!(f["object"]["kind"], "Dockerfile");
    assert_eq!(f["object"]["name"], "stage 1 (python:3.12)");
    assert_eq!(f["location"]["line"], 3);
}

#[test]
fn broken_dockerfile_is_reported_at_file_line_and_the_rest_is_scanned() {
    let d = Dir::new("df-broken");
    d.create(
        "svc/Dockerfile",
        "FROM python:3.12\nRUNN pip install flask\nUSER root\n",
    )
    .create("svc/pod.yaml", POD);
    let out = d.run(&["scan", "svc", "--format", "json"]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("svc/Dockerfile:2:1: unknown instruction `RUNN`"),
        "{err}"
    );
    let r = json(&out);
    let found: Vec<(String, String, u64)> = hits(&r);
    // The line after the broken one still counts, and so does the other input.
    assert!(found.contains(&("PAL-DOCKER-001".into(), "svc/Dockerfile".into(), 3)));
    assert!(found
        .iter()
        .any(|h| h.0 == "PAL-POD-002" && h.1 == "svc/pod.yaml"));
}

#[test]
fn config_exceptions_select_dockerfile_stages_by_kind_and_name() {
    let d = Dir::new("df-exc");
    d.create(
        "b/Dockerfile",
        "FROM golang:1.23 AS builder\nRUN sudo make\nFROM alpine:3.20 AS runtime\nRUN sudo make\n",
    )
    .create(
        "b/palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [PAL-DOCKER-006]\n    kind: Dockerfile\n    name: build*\n    reason: the builder stage is thrown away\n",
    );
    let out = d.run(&["scan", "b", "--format", "json", "--fail-on", "none"]);
    assert_exit(&out, 0);
    let r = json(&out);
    let sudo: Vec<u64> = hits(&r)
        .into_iter()
        .filter(|h| h.0 == "PAL-DOCKER-006")
        .map(|h| h.2)
        .collect();
    assert_eq!(sudo, [4]);
    assert_eq!(r["suppressed"].as_array().unwrap().len(), 1);
}
