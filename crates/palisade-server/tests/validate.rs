//! `/validate` over real HTTPS: decisions, modes, operations, bad input, policies, metrics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use palisade_policy::PolicySet;
use palisade_server::{AdmissionConfig, Limits};
use serde_json::{json, Value};

fn response(v: &Value) -> &Value {
    &v["response"]
}

#[test]
fn hardened_pod_is_allowed_with_its_uid() {
    let h = harness(|_| {});
    let review = review("CREATE", Some(hardened_pod("app")), None);
    let (status, body) = h.post(&review);
    assert_eq!(status, 200);
    assert_eq!(body["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(body["kind"], "AdmissionReview");
    assert_eq!(response(&body)["uid"], review["request"]["uid"]);
    assert_eq!(response(&body)["allowed"], true, "{body}");
    assert!(response(&body).get("status").is_none());
    assert_eq!(response(&body)["auditAnnotations"]["decision"], "allow");
}

#[test]
fn privileged_pod_is_denied_naming_rules_and_fixes() {
    let h = harness(|_| {});
    let (status, body) = h.post(&review("CREATE", Some(privileged_pod("app")), None));
    assert_eq!(status, 200);
    let r = response(&body);
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(msg.contains("PAL-POD-001"), "{msg}");
    assert!(msg.contains("PAL-POD-002"), "{msg}");
    assert!(msg.contains("Fix: "), "{msg}");
    assert!(msg.contains("spec.hostNetwork"), "{msg}");
    assert!(msg.contains("Pod app/root"), "{msg}");
    let denied = r["auditAnnotations"]["deny-rules"].as_str().unwrap();
    assert!(denied.split(',').any(|id| id == "PAL-POD-002"), "{denied}");
    assert_eq!(r["auditAnnotations"]["decision"], "deny");
}

#[test]
fn warn_mode_allows_with_warnings() {
    let text = "admission:\n  modes:\n    \"PAL-*\": warn\n";
    let h = harness(|c| c.admission = AdmissionConfig::parse("p.yaml", text).unwrap());
    let (_, body) = h.post(&review("CREATE", Some(privileged_pod("app")), None));
    let r = response(&body);
    assert_eq!(r["allowed"], true, "{body}");
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings.iter().any(|w| w.starts_with("PAL-POD-002")),
        "{warnings:?}"
    );
    assert!(warnings.iter().all(|w| w.chars().count() <= 4096));
    assert!(r["auditAnnotations"]["warn-rules"]
        .as_str()
        .unwrap()
        .contains("PAL-POD-001"));
}

#[test]
fn off_and_audit_modes_never_deny() {
    let text = "admission:\n  modes:\n    PAL-POD-001: off\n    \"PAL-*\": audit\n";
    let h = harness(|c| c.admission = AdmissionConfig::parse("p.yaml", text).unwrap());
    let (_, body) = h.post(&review("CREATE", Some(privileged_pod("app")), None));
    let r = response(&body);
    assert_eq!(r["allowed"], true);
    assert!(r.get("warnings").is_none(), "{body}");
    let audit = r["auditAnnotations"]["audit-rules"].as_str().unwrap();
    assert!(
        audit.contains("PAL-POD-002") && !audit.contains("PAL-POD-001,"),
        "{audit}"
    );
    assert!(!audit.split(',').any(|id| id == "PAL-POD-001"), "{audit}");
}

#[test]
fn update_judges_the_new_object() {
    let h = harness(|_| {});
    let fixed = review(
        "UPDATE",
        Some(hardened_pod("app")),
        Some(privileged_pod("app")),
    );
    assert_eq!(response(&h.post(&fixed).1)["allowed"], true);
    let broken = review(
        "UPDATE",
        Some(privileged_pod("app")),
        Some(hardened_pod("app")),
    );
    assert_eq!(response(&h.post(&broken).1)["allowed"], false);
}

#[test]
fn delete_and_connect_are_allowed_without_policies() {
    let h = harness(|_| {});
    let (_, body) = h.post(&review("DELETE", None, Some(privileged_pod("app"))));
    assert_eq!(response(&body)["allowed"], true, "{body}");
    let mut exec = review(
        "CONNECT",
        Some(json!({"apiVersion": "v1", "kind": "PodExecOptions", "command": ["sh"]})),
        None,
    );
    exec["request"]["subResource"] = json!("exec");
    exec["request"]["namespace"] = json!("app");
    let (_, body) = h.post(&exec);
    assert_eq!(response(&body)["allowed"], true, "{body}");
}

#[test]
fn status_subresource_is_not_judged_but_ephemeral_containers_are() {
    let h = harness(|_| {});
    let mut status = review(
        "UPDATE",
        Some(privileged_pod("app")),
        Some(privileged_pod("app")),
    );
    status["request"]["subResource"] = json!("status");
    assert_eq!(response(&h.post(&status).1)["allowed"], true);
    status["request"]["subResource"] = json!("ephemeralcontainers");
    assert_eq!(response(&h.post(&status).1)["allowed"], false);
}

#[test]
fn dry_run_is_judged_the_same() {
    let h = harness(|_| {});
    let mut r = review("CREATE", Some(privileged_pod("app")), None);
    r["request"]["dryRun"] = json!(true);
    let (status, body) = h.post(&r);
    assert_eq!(status, 200);
    assert_eq!(response(&body)["allowed"], false);
    assert_eq!(response(&body)["uid"], r["request"]["uid"]);
}

#[test]
fn exempt_namespace_is_allowed_unjudged() {
    let h = harness(|_| {});
    let (_, body) = h.post(&review("CREATE", Some(privileged_pod("kube-system")), None));
    let r = response(&body);
    assert_eq!(r["allowed"], true);
    assert_eq!(r["auditAnnotations"]["decision"], "exempt");
    assert_eq!(h.handle.metrics().requests_of("CREATE", "exempt"), 1);
}

#[test]
fn workload_kinds_are_judged() {
    let h = harness(|_| {});
    let pod = privileged_pod("app");
    let deploy = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "app"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": pod["spec"]}}
    });
    let (_, body) = h.post(&review("CREATE", Some(deploy), None));
    let msg = response(&body)["status"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("spec.template.spec.hostNetwork"), "{msg}");
}

#[test]
fn exceptions_apply_as_in_scan() {
    let config = palisade_core::Config::parse(
        "palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n- rules: ['*']\n  namespace: app\n  name: root\n  reason: break-glass pod\n",
    )
    .unwrap();
    let h = harness(|c| c.config = config);
    let (_, body) = h.post(&review("CREATE", Some(privileged_pod("app")), None));
    assert_eq!(response(&body)["allowed"], true, "{body}");
    let (_, body) = h.post(&review("CREATE", Some(privileged_pod("other")), None));
    assert_eq!(response(&body)["allowed"], false);
}

#[test]
fn malformed_bodies_get_400_with_a_message() {
    let h = harness(|_| {});
    let (status, body) = h.post_raw(b"{not json".to_vec());
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("not JSON"),
        "{body}"
    );
    let (status, body) = h.post(&json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {}}));
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("v1beta1"));
    let mut no_uid = review("CREATE", Some(hardened_pod("a")), None);
    no_uid["request"].as_object_mut().unwrap().remove("uid");
    let (status, body) = h.post(&no_uid);
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("uid"));
    // The server still answers.
    let (status, _) = h.post(&review("CREATE", Some(hardened_pod("a")), None));
    assert_eq!(status, 200);
}

#[test]
fn an_object_that_cannot_be_read_is_denied_not_allowed() {
    let h = harness(|_| {});
    let r = review(
        "CREATE",
        Some(json!({"kind": "Pod", "metadata": "oops"})),
        None,
    );
    let (status, body) = h.post(&r);
    assert_eq!(status, 200);
    assert_eq!(response(&body)["allowed"], false, "{body}");
}

#[test]
fn oversized_body_gets_413() {
    let h = harness(|c| {
        c.limits = Limits {
            max_body_bytes: 64 * 1024,
            ..Limits::default()
        }
    });
    let mut pod = hardened_pod("app");
    pod["metadata"]["annotations"] = json!({"big": "x".repeat(70 * 1024)});
    let (status, body) = h.post(&review("CREATE", Some(pod), None));
    assert_eq!(status, 413, "{body}");
    assert!(body["message"].as_str().unwrap().contains("65536"));
    assert_eq!(h.handle.metrics().requests_of("unknown", "too_large"), 1);
}

#[test]
fn default_limit_is_three_mebibytes() {
    assert_eq!(Limits::default().max_body_bytes, 3 * 1024 * 1024);
}

#[test]
fn health_ready_and_metrics_move() {
    let h = harness(|_| {});
    assert!(h.handle.is_ready());
    assert_eq!(h.get("/healthz"), (200, "ok\n".to_string()));
    assert_eq!(h.get("/readyz").0, 200);
    h.post(&review("CREATE", Some(privileged_pod("app")), None));
    h.post(&review("CREATE", Some(privileged_pod("app")), None));
    h.post(&review("CREATE", Some(hardened_pod("app")), None));
    let (status, text) = h.get("/metrics");
    assert_eq!(status, 200);
    assert!(
        text.contains(
            "palisade_admission_requests_total{operation=\"CREATE\",result=\"denied\"} 2\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "palisade_admission_requests_total{operation=\"CREATE\",result=\"allowed\"} 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("palisade_admission_decisions_total{rule=\"PAL-POD-002\",mode=\"deny\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("palisade_admission_request_duration_seconds_count 3\n"),
        "{text}"
    );
    assert_eq!(h.get("/nope").0, 404);
}

fn gatekeeper_policies() -> PolicySet {
    let text = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: nolatest}
spec:
  crd: {spec: {names: {kind: NoLatest}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package nolatest
      violation[{"msg": msg}] {
        c := input.review.object.spec.containers[_]
        endswith(c.image, ":latest")
        msg := sprintf("container %v uses :latest", [c.name])
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: NoLatest
metadata: {name: no-latest}
spec:
  match:
    kinds: [{apiGroups: [""], kinds: [Pod]}]
"#;
    policy_set(text)
}

#[test]
fn gatekeeper_constraint_denies() {
    let h = harness(|c| c.policies = Some(gatekeeper_policies()));
    let mut pod = hardened_pod("app");
    pod["spec"]["containers"][0]["image"] = json!("nginx:latest");
    let (_, body) = h.post(&review("CREATE", Some(pod.clone()), None));
    let r = response(&body);
    assert_eq!(r["allowed"], false, "{body}");
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains("GK-NoLatest: container app uses :latest"),
        "{msg}"
    );
    // The policy also sees DELETE (its object is the old object, as Gatekeeper does).
    let (_, body) = h.post(&review("DELETE", None, Some(pod)));
    assert_eq!(response(&body)["allowed"], false, "{body}");
    let (_, body) = h.post(&review("CREATE", Some(hardened_pod("app")), None));
    assert_eq!(response(&body)["allowed"], true, "{body}");
}

#[test]
fn a_replica_is_judged_from_the_decision_cache_and_counted() {
    let h = harness(|c| c.policies = Some(gatekeeper_policies()));
    let mut pod = hardened_pod("app");
    pod["spec"]["containers"][0]["image"] = json!("nginx:latest");
    for name in ["web-1", "web-2"] {
        let mut replica = pod.clone();
        replica["metadata"]["name"] = json!(name);
        let (_, body) = h.post(&review("CREATE", Some(replica), None));
        assert_eq!(response(&body)["allowed"], false, "{body}");
    }
    // The template reads only the containers: the second replica is a hit.
    let (_, metrics) = h.get("/metrics");
    assert!(
        metrics.contains("palisade_admission_policy_cache_total{result=\"hit\"} 1\n")
            && metrics.contains("palisade_admission_policy_cache_total{result=\"miss\"} 1\n"),
        "{metrics}"
    );
}

#[test]
fn a_burst_beyond_the_bound_is_queued_or_refused_with_429() {
    let h = harness(|c| {
        c.limits = Limits {
            max_in_flight: 1,
            queue_timeout: std::time::Duration::ZERO,
            ..Limits::default()
        }
    });
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    h.post(&review("CREATE", Some(privileged_pod("app")), None))
                        .0
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert_eq!(statuses.len(), 16);
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    let overloaded = statuses.iter().filter(|s| **s == 429).count() as u64;
    assert_eq!(
        h.handle.metrics().requests_of("CREATE", "overloaded"),
        overloaded
    );
    assert_eq!(h.get("/healthz").0, 200);
}

fn failing_policies() -> PolicySet {
    let text = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: extdata}
spec:
  crd: {spec: {names: {kind: ExtData}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package extdata
      violation[{"msg": msg}] {
        r := external_data({"provider": "p", "keys": [input.review.object.metadata.name]})
        count(r.errors) > 0
        msg := "provider refused"
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: ExtData
metadata: {name: ext}
"#;
    policy_set(text)
}

#[test]
fn a_failing_policy_follows_the_failure_mode() {
    let h = harness(|c| c.policies = Some(failing_policies()));
    let (_, body) = h.post(&review("CREATE", Some(hardened_pod("app")), None));
    let r = response(&body);
    assert_eq!(r["allowed"], false, "{body}");
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(msg.contains("could not judge"), "{msg}");
    assert!(msg.contains("external_data"), "{msg}");
    let (_, metrics) = h.get("/metrics");
    assert!(
        metrics.contains("palisade_admission_policy_errors_total 1\n"),
        "{metrics}"
    );

    let text = "admission:\n  policyFailure: allow\n";
    let h = harness(|c| {
        c.policies = Some(failing_policies());
        c.admission = AdmissionConfig::parse("p.yaml", text).unwrap();
    });
    let (_, body) = h.post(&review("CREATE", Some(hardened_pod("app")), None));
    let r = response(&body);
    assert_eq!(r["allowed"], true, "{body}");
    assert!(r["auditAnnotations"]["audit-rules"]
        .as_str()
        .unwrap()
        .contains("policy-error"));
}

#[test]
fn policies_read_the_old_object_on_update() {
    let text = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: locked}
spec:
  crd: {spec: {names: {kind: Locked}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package locked
      violation[{"msg": "the old object is locked"}] {
        input.review.operation == "UPDATE"
        input.review.oldObject.metadata.labels.locked == "true"
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: Locked
metadata: {name: locked}
"#;
    let set = policy_set(text);
    let h = harness(|c| c.policies = Some(set));
    let mut old = hardened_pod("app");
    old["metadata"]["labels"]["locked"] = json!("true");
    let (_, body) = h.post(&review(
        "UPDATE",
        Some(hardened_pod("app")),
        Some(old.clone()),
    ));
    let msg = response(&body)["status"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("GK-Locked: the old object is locked"), "{msg}");
    let (_, body) = h.post(&review("UPDATE", Some(old), Some(hardened_pod("app"))));
    assert_eq!(response(&body)["allowed"], true, "{body}");
}
