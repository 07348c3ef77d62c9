//! `scan --cluster` and `inventory --cluster` against a real kube-apiserver 1.20.2 (with etcd,
//! from palisade-testkit): the same manifests applied and scanned as files must give the same
//! findings, except where the API cannot give what a file has (Secret values) or the server
//! holds objects no manifest wrote (its bootstrap RBAC, its namespaces, `default/kubernetes`).

use std::collections::BTreeSet;
use std::process::Output;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_testkit::ApiServer;
use serde_json::Value;

use crate::util::Dir;

const SHOP: &str = include_str!("../../../palisade-live/tests/fixtures/shop.yaml");
/// The Secret's value in the fixture: it must never appear in anything a cluster read prints.
const SECRET_VALUE: &str = "LIVE-SECRET-VALUE-7f3a9c";

/// (rule, kind, namespace, name, field, severity) of every finding.
type Key = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
);

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn keys(report: &Value) -> BTreeSet<Key> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let o = &f["object"];
            (
                text(&f["ruleId"]),
                text(&o["kind"]),
                o["namespace"].as_str().map(str::to_string),
                text(&o["name"]),
                f["field"].as_str().map(str::to_string),
                text(&f["severity"]),
            )
        })
        .collect()
}

fn errors(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}", text(&e["path"]), text(&e["message"])))
        .collect()
}

/// Objects the API server makes itself: the bootstrap policy (`system:` ClusterRoles and
/// bindings, and Roles/RoleBindings in kube-system and kube-public), its four namespaces and
/// the `kubernetes` Service.
fn made_by_the_server(kind: &str, namespace: Option<&str>, name: &str) -> bool {
    let system_ns = ["default", "kube-system", "kube-public", "kube-node-lease"];
    match (kind, namespace) {
        ("ClusterRole" | "ClusterRoleBinding", None) => name.starts_with("system:"),
        ("Role" | "RoleBinding", Some(ns)) => ns == "kube-system" || ns == "kube-public",
        ("Namespace", None) => system_ns.contains(&name),
        ("Service", Some("default")) => name == "kubernetes",
        _ => false,
    }
}

palisade_testkit::on_both_servers!(
    scan_cluster_reports_what_scan_reports_on_the_same_manifests,
    own
);

// Its own server: every object in it is either the fixture's or the server's own.
fn scan_cluster_reports_what_scan_reports_on_the_same_manifests(server: &ApiServer) {
    let shop = server.adapted(SHOP);
    server.apply(&shop).unwrap();
    let dir = Dir::new("live-compare");
    dir.create("shop.yaml", &shop);
    let kubeconfig = server.kubeconfig();
    let kubeconfig = kubeconfig.to_str().unwrap();

    let file = dir.run(&["scan", "shop.yaml", "-f", "json"]);
    let live = dir.run(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        kubeconfig,
        "-A",
        "-f",
        "json",
    ]);
    let (file_report, live_report) = (report(&file), report(&live));
    assert_eq!(errors(&live_report), Vec::<String>::new());
    // Same exit code: findings at or above the default --fail-on in both.
    assert_eq!(file.status.code(), Some(1));
    assert_eq!(live.status.code(), file.status.code());

    let manifest: BTreeSet<(String, Option<String>, String)> =
        load_str("shop.yaml", &shop, &LoadLimits::default())
            .objects
            .iter()
            .map(|o| (o.id.kind.clone(), o.id.namespace.clone(), o.id.name.clone()))
            .collect();
    let in_manifest = |k: &Key| manifest.contains(&(k.1.clone(), k.2.clone(), k.3.clone()));
    let (live_on_manifest, live_elsewhere): (BTreeSet<Key>, BTreeSet<Key>) =
        keys(&live_report).into_iter().partition(in_manifest);
    let file_keys = keys(&file_report);

    // The only findings a cluster read cannot make: about a Secret's values, never fetched.
    let values_only: BTreeSet<&Key> = file_keys.difference(&live_on_manifest).collect();
    assert!(!values_only.is_empty());
    for k in &values_only {
        assert!(k.0.starts_with("PAL-SECRET-") && k.1 == "Secret", "{k:?}");
    }
    let expected: BTreeSet<Key> = file_keys
        .iter()
        .filter(|k| !values_only.contains(k))
        .cloned()
        .collect();
    assert_eq!(live_on_manifest, expected);
    // Everything else the cluster scan reports is about objects the server made itself.
    assert!(!live_elsewhere.is_empty());
    for k in &live_elsewhere {
        assert!(made_by_the_server(&k.1, k.2.as_deref(), &k.3), "{k:?}");
    }
    // Findings point at Kind/NS/NAME, never a file.
    let paths: BTreeSet<String> = live_report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| text(&f["location"]["path"]))
        .collect();
    assert!(
        paths.iter().all(|p| p.starts_with("cluster://")),
        "{paths:?}"
    );
    assert!(paths.contains("cluster://Deployment/live-shop/web"));
    assert!(paths.contains("cluster://ClusterRole/live-shop-operator"));
    assert!(!String::from_utf8_lossy(&live.stdout).contains(SECRET_VALUE));
}

palisade_testkit::on_both_servers!(scan_cluster_as_bob_lists_what_it_could_not_read, shared);

fn scan_cluster_as_bob_lists_what_it_could_not_read(server: &ApiServer) {
    server
        .apply(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: live-bob}\n---\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n\
             metadata: {name: bob-reads, namespace: live-bob}\n\
             rules:\n- {apiGroups: [apps], resources: [deployments], verbs: [list]}\n---\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n\
             metadata: {name: bob-reads, namespace: live-bob}\n\
             roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: bob-reads}\n\
             subjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}]\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: live-bob}\n\
             spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n\
             \x20   spec:\n      containers: [{name: c, image: nginx, securityContext: {privileged: true}}]\n",
        )
        .unwrap();
    let dir = Dir::new("live-bob");
    let kubeconfig = server.kubeconfig();
    let args = [
        "scan",
        "--cluster",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--context",
        "bob",
        "-n",
        "live-bob",
        "-f",
        "json",
    ];
    let out = dir.run(&args);
    // An incomplete report is not a clean one.
    assert_eq!(out.status.code(), Some(2));
    let r = report(&out);
    let errors = errors(&r);
    let forbidden = |what: &str| {
        errors
            .iter()
            .any(|e| e.contains(&format!("forbidden: cannot {what}")))
    };
    for what in [
        "list secrets in namespace live-bob",
        "list serviceaccounts in namespace live-bob",
        "list pods in namespace live-bob",
        "list rolebindings.rbac.authorization.k8s.io in namespace live-bob",
        "list networkpolicies.networking.k8s.io in namespace live-bob",
        "get namespaces live-bob",
    ] {
        assert!(forbidden(what), "{what} not in {errors:#?}");
    }
    assert!(!forbidden("list deployments.apps"), "{errors:#?}");
    // What bob may read is still judged.
    assert!(keys(&r)
        .iter()
        .any(|k| k.0 == "PAL-POD-002" && k.1 == "Deployment" && k.3 == "app"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("forbidden: cannot list secrets"));
}

#[test]
fn scan_cluster_namespace_flag_reads_one_namespace() {
    let server = ApiServer::shared().unwrap();
    let deployment = |ns: &str| {
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app, namespace: {ns}}}\n\
             spec:\n  selector: {{matchLabels: {{app: a}}}}\n  template:\n    metadata: {{labels: {{app: a}}}}\n\
             \x20   spec:\n      containers: [{{name: c, image: nginx, securityContext: {{privileged: true}}}}]\n"
        )
    };
    server.apply(&deployment("live-ns-a")).unwrap();
    server.apply(&deployment("live-ns-b")).unwrap();
    let dir = Dir::new("live-ns");
    let kubeconfig = server.kubeconfig();
    let kubeconfig = kubeconfig.to_str().unwrap();
    let out = dir.run(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        kubeconfig,
        "-n",
        "live-ns-a",
        "-f",
        "json",
    ]);
    let r = report(&out);
    assert_eq!(errors(&r), Vec::<String>::new());
    let found = keys(&r);
    assert!(found
        .iter()
        .any(|k| k.1 == "Deployment" && k.2.as_deref() == Some("live-ns-a")));
    for k in &found {
        let in_a =
            k.2.as_deref() == Some("live-ns-a") || (k.1 == "Namespace" && k.3 == "live-ns-a");
        assert!(in_a, "{k:?}");
    }
    // A recorded cluster scan is filed under the API server and namespace it read.
    let db = dir.root.join("history.db").display().to_string();
    let out = dir.run(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        kubeconfig,
        "-n",
        "live-ns-a",
        "--record",
        "--db",
        &db,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let history = dir.run(&["history", "--db", &db, "--format", "json"]);
    let text = String::from_utf8_lossy(&history.stdout);
    assert!(
        text.contains("https://127.0.0.1:") && text.contains("namespace live-ns-a"),
        "{text}"
    );
}

palisade_testkit::on_both_servers!(
    inventory_of_a_cluster_lists_assets_without_secret_values,
    shared
);

fn inventory_of_a_cluster_lists_assets_without_secret_values(server: &ApiServer) {
    server.apply(&server.adapted(SHOP)).unwrap();
    let dir = Dir::new("live-inventory");
    let kubeconfig = server.kubeconfig();
    let kubeconfig = kubeconfig.to_str().unwrap();
    let base = [
        "inventory",
        "--cluster",
        "--kubeconfig",
        kubeconfig,
        "-n",
        "live-shop",
    ];
    let out = dir.run(&[&base[..], &["-f", "json"]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(SECRET_VALUE));
    let a = report(&out);
    let find = |list: &str, name: &str| {
        a[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {list}: {a:#}"))
            .clone()
    };
    let web = find("workloads", "web");
    assert_eq!(web["kind"], "Deployment");
    assert_eq!(web["serviceAccount"], "web");
    assert_eq!(web["images"][0]["image"], "nginx:1.25");
    let cron = find("workloads", "backup");
    assert_eq!(cron["kind"], "CronJob");
    let sa = find("serviceAccounts", "web");
    let permissions: Vec<&str> = sa["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        permissions.contains(&"get,list secrets in live-shop"),
        "{permissions:?}"
    );
    assert!(
        permissions.contains(&"* *.* in live-shop"),
        "{permissions:?}"
    );
    assert_eq!(sa["automountToken"], false);
    let public = find("services", "public");
    assert_eq!(public["type"], "LoadBalancer");
    assert_eq!(public["external"], serde_json::json!(["192.0.2.10"]));
    let nodeport = find("services", "web");
    let port = nodeport["ports"][0].as_str().unwrap();
    assert!(port.starts_with("80/TCP→8080 node:3"), "{port}");
    let ns = find("namespaces", "live-shop");
    assert_eq!(ns["labels"]["team"], "web");
    assert_eq!(ns["workloads"], 7);

    let csv = dir.run(&[&base[..], &["-f", "csv"]].concat());
    let csv = String::from_utf8_lossy(&csv.stdout);
    assert!(csv.starts_with("asset,namespace,kind,name,item,value\n"));
    assert!(
        csv.contains("\nimage,live-shop,Deployment,web,app,nginx:1.25\n"),
        "{csv}"
    );
    assert!(!csv.contains(SECRET_VALUE));
}

#[test]
fn inventory_of_manifests_lists_the_same_workloads() {
    let dir = Dir::new("inventory-files");
    dir.create("shop.yaml", SHOP);
    let out = dir.run(&["inventory", "shop.yaml", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let a = report(&out);
    let names: BTreeSet<String> = a["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| format!("{}/{}", text(&w["kind"]), text(&w["name"])))
        .collect();
    let expected: BTreeSet<String> = [
        "CronJob/backup",
        "DaemonSet/agent",
        "Deployment/web",
        "Job/migrate",
        "Pod/debug",
        "ReplicationController/legacy",
        "StatefulSet/db",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(names, expected);
    let table = dir.run(&["inventory", "shop.yaml"]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("Workloads\n"), "{table}");
    assert!(table.contains("live-shop  Deployment"), "{table}");
}

#[test]
fn kubeconfig_from_the_environment_and_the_context_namespace() {
    let server = ApiServer::shared().unwrap();
    let dir = Dir::new("live-env");
    // No --kubeconfig, no -n: $KUBECONFIG's current context (admin), whose namespace is unset,
    // so `default`, as kubectl reads it.
    let out = dir
        .command()
        .env("KUBECONFIG", server.kubeconfig())
        .args(["inventory", "--cluster", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = report(&out);
    let names = |list: &str| -> Vec<String> {
        a[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| text(&x["name"]))
            .collect()
    };
    assert_eq!(names("namespaces"), ["default"]);
    assert_eq!(names("services"), ["kubernetes"]);
}

#[test]
fn an_unreachable_cluster_is_an_error_with_exit_2() {
    let dir = Dir::new("live-unreachable");
    dir.create(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
         clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9', insecure-skip-tls-verify: true}}]\n\
         users: [{name: u, user: {token: t}}]\n\
         contexts: [{name: c, context: {cluster: c, user: u}}]\n",
    );
    for command in ["scan", "inventory"] {
        let out = dir.run(&[command, "--cluster", "--kubeconfig", "kubeconfig", "-A"]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("cannot read the cluster"), "{stderr}");
        assert!(stderr.contains("127.0.0.1:9"), "{stderr}");
        assert!(out.stdout.is_empty(), "{command} printed a report");
    }
}

#[test]
fn a_refused_token_is_an_error_naming_the_credential_with_exit_2() {
    let server = ApiServer::shared().unwrap();
    let dir = Dir::new("live-expired");
    // The server answers 401 to a token it does not know, as to an expired one.
    dir.create(
        "kubeconfig",
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: ci\n\
             clusters: [{{name: c, cluster: {{server: '{}', certificate-authority: '{}'}}}}]\n\
             users: [{{name: ci-bot, user: {{token: expired-0000}}}}]\n\
             contexts: [{{name: ci, context: {{cluster: c, user: ci-bot}}}}]\n",
            server.url(),
            server.ca().display()
        ),
    );
    for command in ["scan", "inventory"] {
        let out = dir.run(&[command, "--cluster", "--kubeconfig", "kubeconfig", "-A"]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("refused the credential of user \"ci-bot\" (context \"ci\")"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "{command} printed a report");
    }
}

#[test]
fn a_kind_that_cannot_be_read_after_retries_is_listed_with_exit_2() {
    use palisade_testkit::{Fault, FaultProxy, ADMIN_TOKEN};
    let server = ApiServer::shared().unwrap();
    server
        .apply(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: live-faulty}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, namespace: live-faulty}\n\
             spec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n\
             \x20   spec:\n      containers: [{name: c, image: nginx, securityContext: {privileged: true}}]\n",
        )
        .unwrap();
    let proxy = FaultProxy::in_front_of(server).unwrap();
    proxy.inject(
        &["/namespaces/live-faulty/deployments"],
        Fault::status(503, "ServiceUnavailable"),
        1000,
    );
    let kubeconfig = proxy.kubeconfig("admin", ADMIN_TOKEN).unwrap();
    let dir = Dir::new("live-faulty");
    let out = dir.run(&[
        "scan",
        "--cluster",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "-n",
        "live-faulty",
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let r = report(&out);
    assert!(
        errors(&r).iter().any(|e| e.contains(
            "cannot list Deployment in namespace live-faulty; none of them are judged: 503"
        )),
        "{:?}",
        errors(&r)
    );
    // Five attempts (the default: four retries), then the kind is given up.
    assert_eq!(proxy.count(&["/namespaces/live-faulty/deployments"]), 5);
    assert!(!r
        .to_string()
        .contains("cluster://Deployment/live-faulty/app"));
}
