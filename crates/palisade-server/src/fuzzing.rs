//! Harness for the `admission_review` fuzz target (not a stable API): arbitrary bytes as the
//! body of `POST /validate`, read, judged and answered exactly as the server does, with the
//! built-in rules, a Gatekeeper template and a ValidatingAdmissionPolicy active.

use std::sync::OnceLock;
use std::time::Duration;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Date, Inventory};
use palisade_engine::Engine;
use palisade_policy::{Limits, PolicySet};
use serde_json::Value as Json;

use crate::decide::Judge;
use crate::modes::{AdmissionConfig, Mode};
use crate::review;

/// The user policies the harness judges with: a template that refuses images without a tag
/// and a policy that caps replicas (warned, not denied), so that requests reach regorus and
/// the CEL evaluator as well as the built-in rules.
const POLICIES: &str = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: k8simagetag}
spec:
  crd: {spec: {names: {kind: K8sImageTag}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package k8simagetag
      violation[{"msg": msg}] {
        c := input.review.object.spec.containers[_]
        not contains(c.image, ":")
        msg := sprintf("container %v has no image tag", [c.name])
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sImageTag
metadata: {name: tagged}
spec:
  match: {kinds: [{apiGroups: [""], kinds: [Pod]}]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: ['*'], apiVersions: ['*'], operations: [CREATE, UPDATE], resources: ['*']}]
  validations:
  - expression: "!has(object.spec) || !has(object.spec.replicas) || object.spec.replicas <= 5"
    messageExpression: "'replicas: ' + string(object.spec.replicas)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas}
spec: {policyName: replicas, validationActions: [Warn, Audit]}
"#;

fn judge() -> &'static Judge {
    static JUDGE: OnceLock<Judge> = OnceLock::new();
    JUDGE.get_or_init(|| {
        let mut inventory = Inventory::default();
        inventory.add(load_str("policies.yaml", POLICIES, &LoadLimits::default()));
        let limits = Limits {
            eval_time: Duration::from_millis(200),
        };
        let (mut set, _) = PolicySet::from_objects(&inventory.objects, limits);
        let _ = set.set_referential_data(&inventory.objects);
        Judge::new(
            Engine::builtin(),
            Config::default(),
            AdmissionConfig::default(),
            Some(set),
        )
    })
}

/// `admission_review`: `body` as an AdmissionReview. What cannot be read is refused with a
/// message; what is read gets a response for its own `uid` that the API server would accept,
/// and is never allowed while a rule in `deny` mode fired. Returns that response (`None`
/// for a refused body).
pub fn admission_review(body: &[u8]) -> Option<Json> {
    let (review_json, request) = match review::parse(body) {
        Ok(read) => read,
        Err(message) => {
            assert!(!message.is_empty(), "a refusal without a message");
            return None;
        }
    };
    assert!(!request.uid.is_empty(), "a request without a uid was read");
    let verdict = judge().decide(&review_json, &request, Date::from_unix_days(20_000));
    let answer = &verdict.answer;
    assert!(
        !(answer.allowed && verdict.hits.iter().any(|h| h.mode == Mode::Deny)),
        "allowed although a deny-mode rule fired: {:?}",
        verdict.hits
    );
    assert!(
        answer.allowed || !answer.message.is_empty(),
        "refused without a message"
    );
    let response = review::response(&request.uid, answer);
    assert_eq!(response["apiVersion"], review::API_VERSION);
    assert_eq!(response["kind"], "AdmissionReview");
    assert_eq!(response["response"]["uid"], request.uid.as_str());
    assert_eq!(response["response"]["allowed"], answer.allowed);
    let text = response.to_string();
    assert!(serde_json::from_str::<Json>(&text).is_ok(), "{text}");
    if let Some(warnings) = response["response"]["warnings"].as_array() {
        let texts: Vec<&str> = warnings.iter().filter_map(Json::as_str).collect();
        assert_eq!(
            texts.len(),
            warnings.len(),
            "a warning that is not a string"
        );
        assert!(texts
            .iter()
            .all(|w| !w.is_empty() && !w.chars().any(char::is_control)));
        let total: usize = texts.iter().map(|w| w.chars().count()).sum();
        if total > 4096 {
            assert!(texts.iter().all(|w| w.chars().count() <= 256));
        }
    }
    if let Some(annotations) = response["response"]["auditAnnotations"].as_object() {
        assert!(annotations
            .keys()
            .all(|k| review::is_qualified_name_part(k)));
    }
    Some(response)
}
