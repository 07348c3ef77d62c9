//! The live reader against a real kube-apiserver 1.20.2 with etcd (palisade-testkit): what it
//! reads, at which versions, page by page; what it never reads (Secret values, the
//! last-applied copy); what it sets aside (controller-owned objects) and what it says when
//! the credentials or the server fall short.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use palisade_live::assets::Assets;
use palisade_live::{read_cluster, ClusterOptions, Error, LiveInventory, Scope};
use palisade_testkit::ApiServer;
use serde_json::json;

const SHOP: &str = include_str!("fixtures/shop.yaml");
const SECRET_VALUE: &str = "LIVE-SECRET-VALUE-7f3a9c";

fn options(server: &ApiServer, scope: Scope) -> ClusterOptions {
    ClusterOptions {
        kubeconfig: Some(server.kubeconfig()),
        scope,
        ..ClusterOptions::default()
    }
}

/// The shared server with the fixture applied once (concurrent applies race to create).
fn shop() -> &'static ApiServer {
    static APPLIED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    let server = ApiServer::shared().unwrap();
    APPLIED.get_or_init(|| server.apply(SHOP).unwrap());
    server
}

/// [`shop`] on the current release's server.
fn shop_current() -> &'static ApiServer {
    static APPLIED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    let server = ApiServer::shared_current().unwrap();
    APPLIED.get_or_init(|| server.apply(&server.adapted(SHOP)).unwrap());
    server
}

fn ids(live: &LiveInventory) -> Vec<(String, String, Option<String>, String)> {
    live.inventory
        .objects
        .iter()
        .map(|o| {
            let id = &o.id;
            (
                id.api_version.clone(),
                id.kind.clone(),
                id.namespace.clone(),
                id.name.clone(),
            )
        })
        .collect()
}

/// Everything the reader kept, as JSON text (what any renderer could print).
fn all_text(live: &LiveInventory) -> String {
    live.inventory
        .objects
        .iter()
        .chain(&live.controlled)
        .map(|o| o.root.to_json().to_string())
        .collect()
}

#[test]
fn every_kind_is_read_at_a_version_the_server_serves_on_1_20() {
    // 1.20 serves CronJobs only in batch/v1beta1, while batch's preferred version is v1.
    every_kind_is_read_at_a_version_the_server_serves(shop(), "v1.20.2", "batch/v1beta1");
}

#[test]
fn every_kind_is_read_at_a_version_the_server_serves_on_1_34() {
    every_kind_is_read_at_a_version_the_server_serves(shop_current(), "v1.34.4", "batch/v1");
}

fn every_kind_is_read_at_a_version_the_server_serves(
    server: &ApiServer,
    version: &str,
    cronjob_version: &'static str,
) {
    let live = read_cluster(&options(server, Scope::All)).unwrap();
    assert_eq!(live.inventory.errors, vec![]);
    assert_eq!(live.server_version.as_deref(), Some(version));
    let found: BTreeSet<(String, String, String)> = ids(&live)
        .into_iter()
        .filter(|(_, _, ns, name)| {
            ns.as_deref() == Some("live-shop") || name.starts_with("live-shop")
        })
        .map(|(v, k, _, n)| (v, k, n))
        .collect();
    let expected = [
        ("v1", "Namespace", "live-shop"),
        ("v1", "ServiceAccount", "default"),
        ("v1", "ServiceAccount", "web"),
        ("apps/v1", "Deployment", "web"),
        ("apps/v1", "StatefulSet", "db"),
        ("apps/v1", "DaemonSet", "agent"),
        ("batch/v1", "Job", "migrate"),
        (cronjob_version, "CronJob", "backup"),
        ("v1", "Pod", "debug"),
        ("v1", "ReplicationController", "legacy"),
        ("v1", "Service", "web"),
        ("v1", "Service", "public"),
        ("networking.k8s.io/v1", "Ingress", "web"),
        ("networking.k8s.io/v1", "NetworkPolicy", "deny-ingress"),
        ("v1", "LimitRange", "defaults"),
        ("v1", "ConfigMap", "settings"),
        ("v1", "Secret", "db-credentials"),
        ("rbac.authorization.k8s.io/v1", "Role", "secret-reader"),
        (
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            "web-reads-secrets",
        ),
        ("rbac.authorization.k8s.io/v1", "RoleBinding", "web-edits"),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            "live-shop-operator",
        ),
        (
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            "live-shop-operator",
        ),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
            "live-shop-guard",
        ),
    ]
    .map(|(v, k, n)| (v.to_string(), k.to_string(), n.to_string()));
    assert_eq!(found, BTreeSet::from(expected));
    let deployment = live
        .inventory
        .objects
        .iter()
        .find(|o| {
            // Other tests of this process make a `web` Deployment in their own namespace.
            o.is("Deployment")
                && o.id.name == "web"
                && o.id.namespace.as_deref() == Some("live-shop")
        })
        .unwrap();
    assert_eq!(
        &*deployment.origin.path,
        "cluster://Deployment/live-shop/web"
    );
    assert!(deployment.metadata().get("managedFields").is_none());
}

#[test]
fn pages_of_one_item_read_the_same_objects() {
    let server = shop();
    let whole = read_cluster(&options(server, Scope::Namespace("live-shop".into()))).unwrap();
    let paged = read_cluster(&ClusterOptions {
        page_size: 1,
        concurrency: 2,
        ..options(server, Scope::Namespace("live-shop".into()))
    })
    .unwrap();
    assert!(ids(&whole).len() > 20);
    assert_eq!(ids(&paged), ids(&whole));
}

#[test]
fn secret_values_are_never_read() {
    let server = shop();
    // Client-side apply keeps a copy of the whole Secret, values included, in an annotation.
    server
        .kubectl(
            &["apply", "--validate=false", "-f", "-"],
            Some(
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: live-secrets}\n---\n\
                 apiVersion: v1\nkind: Secret\nmetadata: {name: applied, namespace: live-secrets}\n\
                 type: Opaque\nstringData: {token: LIVE-APPLIED-VALUE-42}\n",
            ),
        )
        .unwrap();
    let (status, secret) = server
        .request(
            "GET",
            "/api/v1/namespaces/live-secrets/secrets/applied",
            None,
        )
        .unwrap();
    assert_eq!(status, 200);
    let annotations = secret["metadata"]["annotations"].to_string();
    assert!(
        annotations.contains("LIVE-APPLIED-VALUE-42"),
        "{annotations}"
    );

    let live = read_cluster(&options(server, Scope::All)).unwrap();
    let text = all_text(&live);
    for value in [
        SECRET_VALUE,
        "LIVE-APPLIED-VALUE-42",
        "TElWRS1BUFBMSUVELVZBTFVFLTQy",
    ] {
        assert!(!text.contains(value), "{value} leaked");
    }
    let secret = |name: &str| {
        live.inventory
            .objects
            .iter()
            .find(|o| o.is("Secret") && o.id.name == name)
            .unwrap()
            .root
            .to_json()
    };
    // The type comes from type-filtered metadata lists; no data, stringData or annotation.
    let basic = secret("db-credentials");
    assert_eq!(basic["type"], "kubernetes.io/basic-auth");
    let applied = secret("applied");
    assert_eq!(applied["type"], "Opaque");
    for s in [&basic, &applied] {
        assert_eq!(s.get("data"), None);
        assert_eq!(s.get("stringData"), None);
        assert_eq!(s["metadata"].get("annotations"), None);
    }
}

#[test]
fn controlled_objects_are_set_aside_and_give_their_owner_image_digests() {
    let server = shop();
    // Its own namespace: the objects made here must not change what other tests read.
    server
        .apply(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: live-owners}\n---\n\
             apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: live-owners}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: live-owners}\n\
             spec: {automountServiceAccountToken: false, containers: [{name: c, image: alpine}]}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: live-owners}\n\
             spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n\
             \x20   spec: {containers: [{name: app, image: 'nginx:1.25'}]}\n",
        )
        .unwrap();
    let uid = |path: &str| {
        let (status, object) = server.request("GET", path, None).unwrap();
        assert_eq!(status, 200, "{object}");
        object["metadata"]["uid"].as_str().unwrap().to_string()
    };
    let owner = |kind: &str, name: &str, uid: String| {
        json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid,
                "controller": true, "blockOwnerDeletion": true}])
    };
    let deployment = uid("/apis/apps/v1/namespaces/live-owners/deployments/web");
    let template = json!({"metadata": {"labels": {"app": "web"}},
        "spec": {"automountServiceAccountToken": false,
                 "containers": [{"name": "app", "image": "nginx:1.25"}]}});
    let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-5d4f", "namespace": "live-owners",
                     "ownerReferences": owner("Deployment", "web", deployment)},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template}});
    let rs_path = "/apis/apps/v1/namespaces/live-owners/replicasets";
    let (status, answer) = server.request("POST", rs_path, Some(&rs)).unwrap();
    assert!(status == 201 || status == 409, "{answer}");
    let rs_uid = uid(&format!("{rs_path}/web-5d4f"));
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-5d4f-x1", "namespace": "live-owners", "labels": {"app": "web"},
                     "ownerReferences": owner("ReplicaSet", "web-5d4f", rs_uid)},
        "spec": template["spec"].clone()});
    let pods = "/api/v1/namespaces/live-owners/pods";
    let (status, answer) = server.request("POST", pods, Some(&pod)).unwrap();
    assert!(status == 201 || status == 409, "{answer}");
    // What a kubelet reports once the image is pulled.
    let digest = "sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac";
    let (_, current) = server
        .request("GET", &format!("{pods}/web-5d4f-x1"), None)
        .unwrap();
    pod = current;
    pod["status"]["containerStatuses"] = json!([{"name": "app", "image": "nginx:1.25",
        "imageID": format!("docker-pullable://nginx@{digest}"), "ready": true, "restartCount": 0,
        "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]);
    let (status, answer) = server
        .request("PUT", &format!("{pods}/web-5d4f-x1/status"), Some(&pod))
        .unwrap();
    assert_eq!(status, 200, "{answer}");

    let live = read_cluster(&options(server, Scope::Namespace("live-owners".into()))).unwrap();
    let names = |objects: &[palisade_core::Object]| -> BTreeSet<String> {
        objects
            .iter()
            .map(|o| format!("{}/{}", o.id.kind, o.id.name))
            .collect()
    };
    let kept = names(&live.inventory.objects);
    let controlled = names(&live.controlled);
    assert!(controlled.contains("ReplicaSet/web-5d4f"), "{controlled:?}");
    assert!(controlled.contains("Pod/web-5d4f-x1"), "{controlled:?}");
    assert!(!kept.contains("ReplicaSet/web-5d4f") && !kept.contains("Pod/web-5d4f-x1"));
    // A bare Pod is its own owner: still judged.
    assert!(kept.contains("Pod/debug") && kept.contains("Deployment/web"));

    let assets = Assets::of(&live.inventory, &live.controlled);
    let web = assets
        .workloads
        .iter()
        .find(|w| w.kind == "Deployment" && w.name == "web")
        .unwrap();
    assert_eq!(web.images[0].digests, vec![digest.to_string()]);
    assert!(!assets.workloads.iter().any(|w| w.kind == "ReplicaSet"));
}

palisade_testkit::on_both_servers!(forbidden_kinds_are_listed_not_skipped(
    shop(),
    shop_current()
));

fn forbidden_kinds_are_listed_not_skipped(server: &ApiServer) {
    let live = read_cluster(&ClusterOptions {
        context: None,
        ..options(server, Scope::All)
    })
    .unwrap();
    assert!(live.forbidden.is_empty());
    let bob = read_cluster(&ClusterOptions {
        context: Some("bob".into()),
        ..options(server, Scope::All)
    })
    .unwrap();
    assert!(bob.inventory.objects.is_empty());
    let kinds: BTreeSet<&str> = bob.forbidden.iter().map(|f| f.kind.as_str()).collect();
    for kind in [
        "Secret",
        "Pod",
        "Deployment",
        "ClusterRole",
        "Node",
        "Namespace",
    ] {
        assert!(kinds.contains(kind), "{kind} not in {kinds:?}");
    }
    // One entry per kind and scope (the type-filtered Secret lists are not repeated), each a
    // load error of the inventory.
    assert_eq!(
        bob.forbidden.iter().filter(|f| f.kind == "Secret").count(),
        1
    );
    assert_eq!(bob.inventory.errors.len(), bob.forbidden.len());
    assert!(bob.inventory.errors.iter().any(|e| e
        .message
        .starts_with("forbidden: cannot list secrets at cluster scope")));
}

#[test]
fn an_unreachable_server_is_an_error_not_an_empty_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
         clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9', insecure-skip-tls-verify: true}}]\n\
         users: [{name: u, user: {token: t}}]\n\
         contexts: [{name: c, context: {cluster: c, user: u}}]\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let err = read_cluster(&ClusterOptions {
        kubeconfig: Some(kubeconfig),
        ..ClusterOptions::default()
    })
    .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("127.0.0.1:9"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));

    let missing = read_cluster(&ClusterOptions {
        kubeconfig: Some(dir.path().join("absent")),
        ..ClusterOptions::default()
    })
    .unwrap_err();
    assert!(matches!(missing, Error::Kubeconfig { .. }), "{missing:?}");
}

#[test]
fn the_context_namespace_is_the_default_scope() {
    let server = shop();
    // The kit's contexts name no namespace: kubectl then reads `default`.
    let live = read_cluster(&options(server, Scope::Context)).unwrap();
    assert_eq!(live.namespace.as_deref(), Some("default"));
    let namespaces: BTreeSet<Option<&str>> = live
        .inventory
        .objects
        .iter()
        .map(|o| o.id.namespace.as_deref())
        .collect();
    assert!(
        namespaces
            .iter()
            .all(|ns| matches!(ns, None | Some("default"))),
        "{namespaces:?}"
    );
    assert!(live
        .inventory
        .objects
        .iter()
        .any(|o| o.is("Service") && o.id.name == "kubernetes"));
}

// The read-only ClusterRole docs/live.md gives is enough: bound to alice, a read of every
// namespace and a read of one meet no refusal.
palisade_testkit::on_both_servers!(the_documented_cluster_role_is_enough(
    shop(),
    shop_current()
));

fn the_documented_cluster_role_is_enough(server: &ApiServer) {
    let docs = include_str!("../../../docs/live.md");
    let section = docs.split("## RBAC needed").nth(1).unwrap();
    let role = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .unwrap();
    assert!(role.contains("name: palisade-reader"));
    server
        .apply(&format!(
            "{role}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
             metadata: {{name: palisade-reader-alice}}\n\
             roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: palisade-reader}}\n\
             subjects: [{{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}}]\n"
        ))
        .unwrap();
    for scope in [Scope::All, Scope::Namespace("live-shop".into())] {
        let alice = read_cluster(&ClusterOptions {
            context: Some("alice".into()),
            ..options(server, scope.clone())
        })
        .unwrap();
        assert_eq!(alice.forbidden, vec![], "{scope:?}");
        assert_eq!(alice.inventory.errors, vec![], "{scope:?}");
        assert!(alice.inventory.objects.iter().any(|o| o.is("Secret")));
        // A one-namespace read also gets the ClusterRole its RoleBinding names.
        if matches!(scope, Scope::Namespace(_)) {
            assert!(alice
                .inventory
                .objects
                .iter()
                .any(|o| o.is("ClusterRole") && o.id.name == "live-shop-operator"));
        }
    }
}

/// A policy CRD the network analysis reads is listed once the server serves it, at the
/// version its CRD serves; before that it is skipped without a word.
#[test]
fn served_policy_crds_are_read() {
    let server = shop();
    let before = read_cluster(&options(server, Scope::All)).unwrap();
    assert!(!before
        .inventory
        .objects
        .iter()
        .any(|o| o.is("AdminNetworkPolicy")));
    assert_eq!(before.inventory.errors, vec![]);
    server
        .apply(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
             metadata:\n  name: adminnetworkpolicies.policy.networking.k8s.io\n\
             \x20 annotations: {api-approved.kubernetes.io: 'unapproved, test fixture'}\n\
             spec:\n  group: policy.networking.k8s.io\n  scope: Cluster\n\
             \x20 names: {plural: adminnetworkpolicies, singular: adminnetworkpolicy, kind: AdminNetworkPolicy, listKind: AdminNetworkPolicyList}\n\
             \x20 versions:\n  - name: v1alpha1\n    served: true\n    storage: true\n\
             \x20   schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n",
        )
        .unwrap();
    let anp = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n\
               metadata: {name: live-deny-all}\n\
               spec:\n  priority: 10\n  subject: {namespaces: {}}\n\
               \x20 ingress: [{name: deny, action: Deny, from: [{namespaces: {}}]}]\n";
    // The CRD is served a moment after it is created.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while let Err(e) = server.apply(anp) {
        assert!(std::time::Instant::now() < deadline, "{e:#}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let after = read_cluster(&options(server, Scope::All)).unwrap();
    let policy = after
        .inventory
        .objects
        .iter()
        .find(|o| o.is("AdminNetworkPolicy"))
        .unwrap();
    assert_eq!(policy.id.api_version, "policy.networking.k8s.io/v1alpha1");
    assert_eq!(policy.id.namespace, None);
    assert_eq!(
        &*policy.origin.path,
        "cluster://AdminNetworkPolicy/live-deny-all"
    );
}
