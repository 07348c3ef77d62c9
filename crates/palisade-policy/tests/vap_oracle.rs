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
use serde_json::{json, Value as Json};

const POLICIES: &str = include_str!("fixtures/vap-oracle.yaml");
const ADMIN: &str = "admin-token-0123456789";
const ALICE: &str = "alice-token-0123456789";
/// How long the server may take to start enforcing newly created policies.
const PROPAGATION: Duration = Duration::from_secs(60);

/// A user of the test server's token file.
#[derive(Clone, Copy, Debug)]
enum User {
    Admin,
    Alice,
}

impl User {
    fn token(self) -> &'static str {
        match self {
            User::Admin => ADMIN,
            User::Alice => ALICE,
        }
    }

    /// `userInfo` as the token authenticator fills it.
    fn info(self) -> Json {
        match self {
            User::Admin => json!({"username": "admin", "uid": "uid-admin",
                "groups": ["system:masters", "system:authenticated"]}),
            User::Alice => json!({"username": "alice", "uid": "uid-alice",
                "groups": ["devs", "system:authenticated"]}),
        }
    }
}

/// A Deployment; `containers` are `(name, image, memory limit)`.
fn deployment(
    name: &str,
    replicas: i64,
    labels: Json,
    containers: &[(&str, &str, Option<&str>)],
    node_selector: Option<Json>,
) -> Json {
    let containers: Vec<Json> = containers
        .iter()
        .map(|(name, image, memory)| {
            let mut c = json!({"name": name, "image": image});
            if let Some(m) = memory {
                c["resources"] = json!({"limits": {"memory": m}});
            }
            c
        })
        .collect();
    let mut pod = json!({"containers": containers});
    if let Some(ns) = node_selector {
        pod["nodeSelector"] = ns;
    }
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod},
        },
    })
}

fn good_containers() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    vec![("app", "registry.example/shop/web:1.4.2", Some("256Mi"))]
}

/// One request: CREATE `object` in `namespace` as `user`, or UPDATE the existing object to it.
struct Case {
    what: &'static str,
    namespace: &'static str,
    user: User,
    object: Json,
    update: bool,
}

fn create(what: &'static str, namespace: &'static str, user: User, object: Json) -> Case {
    Case {
        what,
        namespace,
        user,
        object,
        update: false,
    }
}

fn cases() -> Vec<Case> {
    let team = || json!({"team": "shop"});
    let good = good_containers();
    let mut cases = vec![
        create(
            "prod: within every policy",
            "oracle-prod",
            User::Admin,
            deployment("fine", 2, team(), &good, None),
        ),
        create(
            "prod: replicas above the param's limit",
            "oracle-prod",
            User::Admin,
            deployment("wide", 5, team(), &good, None),
        ),
        create(
            "prod: at the limit",
            "oracle-prod",
            User::Admin,
            deployment("edge", 3, team(), &good, None),
        ),
        create(
            "prod: foreign registry and floating tags (two warnings of one policy)",
            "oracle-prod",
            User::Admin,
            deployment(
                "foreign",
                1,
                team(),
                &[
                    ("a", "nginx", Some("64Mi")),
                    ("b", "docker.example/x:latest", Some("64Mi")),
                ],
                None,
            ),
        ),
        create(
            "prod: memory limit too high and missing",
            "oracle-prod",
            User::Admin,
            deployment(
                "hungry",
                1,
                team(),
                &[
                    ("a", "registry.example/a:1", Some("1Gi")),
                    ("b", "registry.example/b:1", None),
                ],
                None,
            ),
        ),
        create(
            "prod: memory limit in other units",
            "oracle-prod",
            User::Admin,
            deployment(
                "units",
                1,
                team(),
                &[("a", "registry.example/a:1", Some("500M"))],
                None,
            ),
        ),
        create(
            "prod: memory 0.5Gi equals 512Mi",
            "oracle-prod",
            User::Admin,
            deployment(
                "half",
                1,
                team(),
                &[("a", "registry.example/a:1", Some("0.5Gi"))],
                None,
            ),
        ),
        create(
            "prod: deny and warnings together",
            "oracle-prod",
            User::Admin,
            deployment(
                "everything",
                7,
                team(),
                &[("a", "nginx:latest", Some("2Gi"))],
                None,
            ),
        ),
        create(
            "dev: no team label",
            "oracle-dev",
            User::Admin,
            deployment("orphan", 1, json!({}), &good, None),
        ),
        create(
            "dev: invalid team name",
            "oracle-dev",
            User::Admin,
            deployment("badteam", 1, json!({"team": "Shop_Team"}), &good, None),
        ),
        create(
            "dev: many replicas are fine outside prod",
            "oracle-dev",
            User::Admin,
            deployment("many", 9, team(), &good, None),
        ),
        create(
            "dev: alice is exempt from the team policy",
            "oracle-dev",
            User::Alice,
            deployment("alices", 1, json!({}), &good, None),
        ),
        create(
            "dev: zone check strict, no nodeSelector (runtime error, Fail)",
            "oracle-dev",
            User::Admin,
            deployment(
                "zoneless",
                1,
                json!({"team": "shop", "zone-check": "strict"}),
                &good,
                None,
            ),
        ),
        create(
            "dev: zone check strict, zone b",
            "oracle-dev",
            User::Admin,
            deployment(
                "zone-b",
                1,
                json!({"team": "shop", "zone-check": "strict"}),
                &good,
                Some(json!({"zone": "b"})),
            ),
        ),
        create(
            "dev: zone check strict, zone a",
            "oracle-dev",
            User::Admin,
            deployment(
                "zone-a",
                1,
                json!({"team": "shop", "zone-check": "strict"}),
                &good,
                Some(json!({"zone": "a"})),
            ),
        ),
        create(
            "dev: zone check lenient, no nodeSelector (runtime error, Ignore)",
            "oracle-dev",
            User::Admin,
            deployment(
                "lenient",
                1,
                json!({"team": "shop", "zone-check": "lenient"}),
                &good,
                None,
            ),
        ),
        create(
            "prod: params missing, parameterNotFoundAction Deny",
            "oracle-prod",
            User::Admin,
            deployment(
                "noparams",
                1,
                json!({"team": "shop", "params-check": "deny"}),
                &good,
                None,
            ),
        ),
        create(
            "prod: params missing, parameterNotFoundAction Deny, a Warn binding",
            "oracle-prod",
            User::Admin,
            deployment(
                "warnparams",
                1,
                json!({"team": "shop", "params-check": "warn"}),
                &good,
                None,
            ),
        ),
        create(
            "prod: params missing, parameterNotFoundAction Allow",
            "oracle-prod",
            User::Admin,
            deployment(
                "allowparams",
                1,
                json!({"team": "shop", "params-check": "allow"}),
                &good,
                None,
            ),
        ),
        create(
            "cel: string library values",
            "oracle-cel",
            User::Admin,
            deployment("cel-a", 2, json!({"cel-probe": "a"}), &good, None),
        ),
        create(
            "cel: list, regex and number values",
            "oracle-cel",
            User::Admin,
            deployment("cel-b", 2, json!({"cel-probe": "b"}), &good, None),
        ),
        create(
            "cel: quantity and URL values",
            "oracle-cel",
            User::Admin,
            deployment("cel-c", 2, json!({"cel-probe": "c"}), &good, None),
        ),
        create(
            "free: no binding selects the namespace",
            "oracle-free",
            User::Admin,
            deployment("anything", 50, json!({}), &[("a", "nginx", None)], None),
        ),
    ];
    for (what, ns, replicas) in [
        ("dev: scale down by update", "oracle-dev", 1),
        ("dev: scale up by update", "oracle-dev", 6),
        ("prod: scale down by update", "oracle-prod", 1),
        ("prod: scale up past the limit by update", "oracle-prod", 4),
    ] {
        cases.push(Case {
            what,
            namespace: ns,
            user: User::Admin,
            object: deployment("steady", replicas, team(), &good, None),
            update: true,
        });
    }
    cases
}

fn path(namespace: &str, name: Option<&str>) -> String {
    let base = format!("/apis/apps/v1/namespaces/{namespace}/deployments");
    match name {
        Some(n) => format!("{base}/{n}?dryRun=All"),
        None => format!("{base}?dryRun=All"),
    }
}

fn name_of(o: &Json) -> &str {
    o["metadata"]["name"].as_str().unwrap_or("")
}

/// Sends the case to the server (dry run) as the case's user.
fn send(server: &ApiServer, case: &Case, namespace: &str) -> Answer {
    send_as(server, case, namespace, case.user)
}

fn send_as(server: &ApiServer, case: &Case, namespace: &str, user: User) -> Answer {
    let mut object = case.object.clone();
    object["metadata"]["namespace"] = json!(namespace);
    let (method, path) = if case.update {
        // An update carries the resourceVersion it replaces.
        let (status, current) = server
            .request(
                "GET",
                &path(namespace, Some(name_of(&object))).replace("?dryRun=All", ""),
                None,
            )
            .unwrap();
        assert_eq!(status, 200, "{current}");
        object["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"].clone();
        ("PUT", path(namespace, Some(name_of(&object))))
    } else {
        ("POST", path(namespace, None))
    };
    server
        .request_as(user.token(), method, &path, Some(&object))
        .unwrap()
}

/// The AdmissionReview a webhook would get for the case: the object as the server defaulted
/// it (a dry run in `oracle-free`), and for an update the stored object as `oldObject`.
fn review(server: &ApiServer, case: &Case) -> Json {
    // As admin: only the object matters here, and alice may not write in oracle-free.
    let defaulted = send_as(server, case, "oracle-free", User::Admin);
    assert!(
        (200..300).contains(&defaulted.status),
        "{}: the dry run in oracle-free failed: {}",
        case.what,
        defaulted.body
    );
    let mut object = defaulted.body;
    object["metadata"]["namespace"] = json!(case.namespace);
    let name = name_of(&object).to_owned();
    let old = if case.update {
        let (status, old) = server
            .request(
                "GET",
                &path(case.namespace, Some(&name)).replace("?dryRun=All", ""),
                None,
            )
            .unwrap();
        assert_eq!(status, 200, "{old}");
        old
    } else {
        Json::Null
    };
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "oracle", "operation": if case.update { "UPDATE" } else { "CREATE" },
        "namespace": case.namespace, "name": name,
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "requestKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
        "requestResource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "userInfo": case.user.info(),
        "object": object, "oldObject": old, "dryRun": true,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": if case.update { "UpdateOptions" } else { "CreateOptions" }, "dryRun": ["All"]}}})
}

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
