//! ValidatingAdmissionPolicy verdicts compared with a real, current kube-apiserver (v1.34, from
//! palisade-testkit): the policies of `fixtures/vap-oracle.yaml` are applied to the server, and
//! every request below is sent to it (dry run) and judged by [`VapSet::evaluate_request`]. Both
//! must agree on allowed or denied, the status message and reason of a denial, and the warnings.
//!
//! Palisade is given what a webhook in that cluster would get: the object as the API server
//! defaulted it (read back from a dry run in `oracle-free`, a namespace no binding selects), the
//! Namespace and param objects as the server holds them (with the `kubernetes.io/metadata.name`
//! label it adds), the user as the server's token file names them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use palisade_core::inventory;
use palisade_policy::vap::{Cause, VapOutcome, VapSet};
use palisade_testkit::{Answer, ApiServer};
use serde_json::json;

mod requests;

use requests::{cases, create, deployment, good_containers, review, send, Case, User, PROPAGATION};

const POLICIES: &str = include_str!("../fixtures/vap-oracle.yaml");
/// The HTTP status the API server answers a denial with, by the validation's reason
/// (`validating/dispatcher.go`; configuration errors are always Forbidden).
fn status_of(outcome: &VapOutcome) -> Option<(u16, String)> {
    let v = outcome.violations.iter().find(|v| {
        v.actions
            .contains(&palisade_policy::vap::policy::ValidationAction::Deny)
    })?;
    let reason = if v.cause == Cause::Config {
        "Forbidden".to_owned()
    } else {
        v.reason.clone()
    };
    let code = match reason.as_str() {
        "Unauthorized" => 401,
        "Forbidden" => 403,
        "RequestEntityTooLarge" => 413,
        _ => 422,
    };
    Some((code, reason))
}

/// What the API server and Palisade said about one case, or how they differ.
fn compare(server: &ApiServer, set: &VapSet, case: &Case) -> Result<(bool, usize), String> {
    let answer = send(server, case, case.namespace);
    let outcome = set
        .evaluate_request(&review(server, case))
        .map_err(|e| format!("{}: palisade could not read the review: {e}", case.what))?;
    let real_denied = answer.status >= 400;
    let mut problems = Vec::new();
    if real_denied != outcome.denied() {
        problems.push(format!(
            "server {} ({}), palisade {}",
            if real_denied { "denied" } else { "allowed" },
            answer.body["message"],
            if outcome.denied() {
                "denied"
            } else {
                "allowed"
            },
        ));
    }
    if let (true, Some(message), Some((code, reason))) =
        (real_denied, outcome.deny_message(), status_of(&outcome))
    {
        let real = answer.body["message"].as_str().unwrap_or("");
        // The server prefixes `deployments.apps "NAME" is forbidden: `.
        let errors_only = outcome.violations.iter().any(|v| v.cause == Cause::Error);
        let agrees = if errors_only {
            // A runtime error's text is the CEL implementation's own; the decision and its
            // subject must agree, up to the wording of the error.
            let subject = message
                .split(" resulted in error")
                .next()
                .unwrap_or(&message);
            real.contains(subject)
        } else {
            real.ends_with(&format!("is forbidden: {message}"))
        };
        if !agrees {
            problems.push(format!("message: server {real:?}, palisade {message:?}"));
        }
        if answer.status != code || answer.body["reason"] != json!(reason) {
            problems.push(format!(
                "status: server {} {}, palisade {code} {reason}",
                answer.status, answer.body["reason"]
            ));
        }
    }
    let real_warnings: BTreeSet<&String> = answer.warnings.iter().collect();
    let warnings = outcome.warnings();
    let ours: BTreeSet<&String> = warnings.iter().collect();
    if real_warnings != ours {
        problems.push(format!(
            "warnings: server {real_warnings:?}, palisade {ours:?}"
        ));
    }
    if problems.is_empty() {
        Ok((real_denied, answer.warnings.len()))
    } else {
        Err(format!("{}:\n    {}", case.what, problems.join("\n    ")))
    }
}

/// Waits until the server enforces every policy of the fixture: each probe is answered as
/// the policy it tests would answer.
fn wait_enforced(server: &ApiServer) {
    type Enforced = Box<dyn Fn(&Answer) -> bool>;
    let probes: Vec<(Case, Enforced)> = vec![
        (
            create(
                "probe replicas",
                "oracle-prod",
                User::Admin,
                deployment("probe", 9, json!({"team": "t"}), &good_containers(), None),
            ),
            Box::new(|a: &Answer| a.status == 422),
        ),
        (
            create(
                "probe team",
                "oracle-dev",
                User::Admin,
                deployment("probe", 1, json!({}), &good_containers(), None),
            ),
            Box::new(|a: &Answer| a.status == 403),
        ),
        (
            create(
                "probe registry and memory",
                "oracle-prod",
                User::Admin,
                deployment(
                    "probe",
                    1,
                    json!({"team": "t"}),
                    &[("a", "nginx", None)],
                    None,
                ),
            ),
            Box::new(|a: &Answer| a.warnings.len() == 3),
        ),
        (
            create(
                "probe zone",
                "oracle-dev",
                User::Admin,
                deployment(
                    "probe",
                    1,
                    json!({"team": "t", "zone-check": "strict"}),
                    &good_containers(),
                    Some(json!({"zone": "b"})),
                ),
            ),
            Box::new(|a: &Answer| a.status == 422),
        ),
        (
            create(
                "probe params",
                "oracle-prod",
                User::Admin,
                deployment(
                    "probe",
                    1,
                    json!({"team": "t", "params-check": "deny"}),
                    &good_containers(),
                    None,
                ),
            ),
            Box::new(|a: &Answer| a.status >= 400),
        ),
        (
            Case {
                update: true,
                ..create(
                    "probe scale-down",
                    "oracle-dev",
                    User::Admin,
                    deployment(
                        "steady",
                        1,
                        json!({"team": "shop"}),
                        &good_containers(),
                        None,
                    ),
                )
            },
            Box::new(|a: &Answer| a.status == 422),
        ),
    ];
    let mut probes = probes;
    for label in ["a", "b", "c"] {
        probes.push((
            create(
                "probe cel",
                "oracle-cel",
                User::Admin,
                deployment(
                    "probe",
                    1,
                    json!({"cel-probe": label}),
                    &good_containers(),
                    None,
                ),
            ),
            Box::new(|a: &Answer| a.warnings.len() >= 9),
        ));
    }
    let deadline = Instant::now() + PROPAGATION;
    for (case, enforced) in &probes {
        loop {
            let answer = send(server, case, case.namespace);
            if enforced(&answer) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} not enforced after {PROPAGATION:?}: {} {} {:?}",
                case.what,
                answer.status,
                answer.body,
                answer.warnings
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[test]
fn verdicts_match_a_current_kube_apiserver() {
    let server = ApiServer::start_current().unwrap();
    server.apply(POLICIES).unwrap();
    // The objects the update cases change, created for real (no policy selects oracle-free;
    // in oracle-dev and oracle-prod they pass every policy).
    for ns in ["oracle-free", "oracle-dev", "oracle-prod"] {
        let mut steady = deployment(
            "steady",
            3,
            json!({"team": "shop"}),
            &good_containers(),
            None,
        );
        steady["metadata"]["namespace"] = json!(ns);
        let (status, body) = server
            .request(
                "POST",
                &format!("/apis/apps/v1/namespaces/{ns}/deployments"),
                Some(&steady),
            )
            .unwrap();
        assert!(status == 201 || status == 409, "{status} {body}");
    }
    wait_enforced(&server);

    // Palisade's side: the policies from the fixture, namespaces and params from the server.
    let loaded = inventory::load_str("vap-oracle.yaml", POLICIES, &Default::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let (mut set, diagnostics) = VapSet::from_objects(&loaded.objects);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let mut referential = Vec::new();
    for ns in [
        "oracle-prod",
        "oracle-dev",
        "oracle-params",
        "oracle-free",
        "oracle-cel",
    ] {
        let (status, body) = server
            .request("GET", &format!("/api/v1/namespaces/{ns}"), None)
            .unwrap();
        assert_eq!(status, 200, "{body}");
        referential.push(body);
    }
    let (status, params) = server
        .request(
            "GET",
            "/api/v1/namespaces/oracle-params/configmaps/replica-limit",
            None,
        )
        .unwrap();
    assert_eq!(status, 200, "{params}");
    referential.push(params);
    set.set_referential_json(&referential);

    let cases = cases();
    let mut differences = Vec::new();
    let (mut denied, mut warned) = (0, 0);
    for case in &cases {
        match compare(&server, &set, case) {
            Ok((was_denied, warnings)) => {
                denied += usize::from(was_denied);
                warned += usize::from(warnings > 0);
            }
            Err(difference) => differences.push(difference),
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} requests judged differently:\n  {}",
        differences.len(),
        cases.len(),
        differences.join("\n  ")
    );
    // A policy calling a function the server's CEL library does not have: the server refuses
    // to store it (it type-checks at creation); Palisade compiles without type-checking, so it
    // loads the policy and fails the expression when it runs, naming the function (under
    // failurePolicy Fail a denial), never judging with a function Kubernetes lacks.
    let refused = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
        metadata: {name: oracle-refused}\nspec:\n  matchConstraints:\n    resourceRules:\n\
        \x20   - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n\
        \x20 validations:\n  - expression: \"quantity('1').sign() == 1\"\n---\n\
        apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n\
        metadata: {name: oracle-refused}\nspec: {policyName: oracle-refused, validationActions: [Deny]}\n";
    let err = format!("{:#}", server.apply(refused).unwrap_err());
    assert!(err.contains("no matching overload for 'sign'"), "{err}");
    let loaded = inventory::load_str("refused.yaml", refused, &Default::default());
    let (refused_set, _) = VapSet::from_objects(&loaded.objects);
    let case = create(
        "refused",
        "oracle-free",
        User::Admin,
        deployment("refused", 1, json!({}), &good_containers(), None),
    );
    let outcome = refused_set
        .evaluate_request(&review(&server, &case))
        .unwrap();
    assert!(outcome.denied(), "{outcome:?}");
    let message = outcome.deny_message().unwrap_or_default();
    assert!(message.contains("sign"), "{message}");

    eprintln!(
        "vap_oracle: {} requests judged alike by kube-apiserver {} and Palisade: {denied} denied, {warned} with warnings",
        cases.len(),
        server.version()
    );
    // The corpus exercises both outcomes and warnings (a test that cannot fail proves nothing).
    assert!(denied >= 8, "only {denied} denials");
    assert!(warned >= 6, "only {warned} requests with warnings");
    assert!(
        cases.len() - denied >= 8,
        "only {} allowed",
        cases.len() - denied
    );
}
