//! The requests of the oracle test: users of the test server's token file, the Deployments
//! sent, and how one request reaches the server (a dry run) and Palisade (the AdmissionReview a
//! webhook would get).

use std::time::Duration;

use palisade_testkit::{Answer, ApiServer};
use serde_json::{json, Value as Json};

const ADMIN: &str = "admin-token-0123456789";
const ALICE: &str = "alice-token-0123456789";
/// How long the server may take to start enforcing newly created policies.
pub const PROPAGATION: Duration = Duration::from_secs(60);

/// A user of the test server's token file.
#[derive(Clone, Copy, Debug)]
pub enum User {
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
pub fn deployment(
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

pub fn good_containers() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    vec![("app", "registry.example/shop/web:1.4.2", Some("256Mi"))]
}

/// One request: CREATE `object` in `namespace` as `user`, or UPDATE the existing object to it.
pub struct Case {
    pub what: &'static str,
    pub namespace: &'static str,
    pub user: User,
    pub object: Json,
    pub update: bool,
}

pub fn create(what: &'static str, namespace: &'static str, user: User, object: Json) -> Case {
    Case {
        what,
        namespace,
        user,
        object,
        update: false,
    }
}

pub fn cases() -> Vec<Case> {
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

pub fn path(namespace: &str, name: Option<&str>) -> String {
    let base = format!("/apis/apps/v1/namespaces/{namespace}/deployments");
    match name {
        Some(n) => format!("{base}/{n}?dryRun=All"),
        None => format!("{base}?dryRun=All"),
    }
}

pub fn name_of(o: &Json) -> &str {
    o["metadata"]["name"].as_str().unwrap_or("")
}

/// Sends the case to the server (dry run) as the case's user.
pub fn send(server: &ApiServer, case: &Case, namespace: &str) -> Answer {
    send_as(server, case, namespace, case.user)
}

pub fn send_as(server: &ApiServer, case: &Case, namespace: &str, user: User) -> Answer {
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
pub fn review(server: &ApiServer, case: &Case) -> Json {
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
