//! The `admission_review` fuzz harness on the requests its corpus starts from and on hostile
//! bodies, so its regressions show up in `cargo test` too. The harness itself asserts what
//! must hold of every answer (its own uid, never allowed past a deny-mode rule, warnings and
//! annotation keys the API server takes).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

fn review(operation: &str, sub: &str, object: serde_json::Value) -> Vec<u8> {
    let kind = object["kind"].as_str().unwrap_or("Pod");
    let group = if kind == "Deployment" { "apps" } else { "" };
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "u-1", "operation": operation, "subResource": sub, "namespace": "team",
        "kind": {"group": group, "version": "v1", "kind": kind},
        "resource": {"group": group, "version": "v1", "resource": format!("{}s", kind.to_lowercase())},
        "object": object, "oldObject": object, "dryRun": true}})
    .to_string()
    .into_bytes()
}

#[test]
fn hostile_and_ordinary_reviews_never_panic_nor_break_the_answer_rules() {
    let privileged = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"hostPID": true, "containers": [{"name": "c", "image": "nginx",
            "securityContext": {"privileged": true}}]}});
    let many = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": 9, "template": {"spec": {"containers": [{"name": "c", "image": "r/i:1"}]}}}});
    let odd = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "\u{0}\u{feff}",
        "annotations": {"": "x"}}, "spec": {"containers": "not a list"}});
    // The harness judges for real: the built-in rules, the template and the policy all speak.
    let refused =
        palisade_server::fuzzing::admission_review(&review("CREATE", "", privileged.clone()))
            .expect("a well-formed review is answered");
    assert_eq!(refused["response"]["allowed"], false, "{refused}");
    let message = refused["response"]["status"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("PAL-POD-"), "{message}");
    assert!(
        message.contains("container c has no image tag"),
        "{message}"
    );
    let warned = palisade_server::fuzzing::admission_review(&review("CREATE", "", many.clone()))
        .expect("a well-formed review is answered");
    assert!(
        warned["response"]["warnings"]
            .to_string()
            .contains("replicas: 9"),
        "{warned}"
    );
    let mut bodies = vec![
        review("CREATE", "", privileged.clone()),
        review("UPDATE", "ephemeralcontainers", privileged.clone()),
        review("DELETE", "", privileged),
        review("CREATE", "", many.clone()),
        review("CONNECT", "exec", many),
        review("CREATE", "", odd),
        review("CREATE", "", json!(null)),
        review("CREATE", "", json!([1, 2])),
    ];
    for junk in [
        "",
        "{",
        "null",
        "[]",
        r#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}"#,
        r#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": ""}}"#,
        r#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "x", "operation": "PATCH"}}"#,
        r#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "x", "operation": "CREATE", "kind": {"kind": 1}}}"#,
        r#"{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {}}"#,
    ] {
        bodies.push(junk.as_bytes().to_vec());
    }
    bodies.push(vec![0xff, 0xfe, 0x00]);
    for body in &bodies {
        let _ = palisade_server::fuzzing::admission_review(body);
    }
    assert!(palisade_server::fuzzing::admission_review(b"{").is_none());
}
