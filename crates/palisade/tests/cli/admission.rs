//! `palisade admission manifests`: the install passes Palisade's own scan with nothing at
//! medium or above, in each way of providing the CA, and carries the flags' values.

use base64::Engine as _;
use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::yaml::Node;

use crate::util::{assert_exit, json, stderr, stdout, Dir};

const KINDS: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Deployment",
    "Service",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ValidatingWebhookConfiguration",
];

/// A CA certificate made by openssl, so the test does not trust Palisade's own generator.
pub(crate) fn openssl_ca(dir: &Dir) -> String {
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=test CA",
        ])
        .current_dir(&dir.root)
        .output()
        .expect("openssl (run scripts/setup.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.root.join("ca.crt")).unwrap()
}

/// Runs `palisade admission manifests ARGS`, then `palisade scan -` over its output; returns
/// the manifests. Asserts the scan reports nothing at medium or above (exit 0 with
/// `--fail-on medium`, and no such finding in the JSON).
pub(crate) fn manifests_passing_scan(dir: &Dir, args: &[&str]) -> String {
    let mut all = vec!["admission", "manifests"];
    all.extend_from_slice(args);
    let out = dir.run(&all);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let scan = dir.run_stdin(
        &["scan", "-", "--format", "json", "--fail-on", "medium"],
        text.as_bytes(),
    );
    let report = json(&scan);
    let serious: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("medium" | "high" | "critical")))
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
    assert_exit(&scan, 0);
    // The one deliberate exception (the token, for the cluster cache) is visible, not hidden.
    let suppressed: Vec<&str> = report["suppressed"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|f| f["finding"]["ruleId"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(suppressed, ["PAL-POD-033"], "{report:#}");
    text
}

pub(crate) fn objects(text: &str) -> Vec<palisade_core::Object> {
    let inv = load_str("manifests.yaml", text, &LoadLimits::default());
    assert!(inv.errors.is_empty(), "{:?}", inv.errors.first());
    inv.objects
}

fn kinds(objects: &[palisade_core::Object]) -> Vec<String> {
    objects.iter().map(|o| o.id.kind.to_string()).collect()
}

/// The webhooks of the configuration: the main one, then the RBAC one.
fn webhooks(objects: &[palisade_core::Object]) -> &[Node] {
    let vwc = objects
        .iter()
        .find(|o| o.id.kind == "ValidatingWebhookConfiguration")
        .unwrap();
    let hooks = vwc.root.get("webhooks").unwrap().items();
    assert_eq!(hooks.len(), 2);
    assert_eq!(text_at(&hooks[0], &["name"]), Some("validate.palisade.dev"));
    assert_eq!(text_at(&hooks[1], &["name"]), Some("rbac.palisade.dev"));
    hooks
}

fn webhook(objects: &[palisade_core::Object]) -> &Node {
    &webhooks(objects)[0]
}

pub(crate) fn text_at<'a>(node: &'a Node, path: &[&str]) -> Option<&'a str> {
    node.get_path(path)?.as_str()
}

#[test]
fn manifests_with_a_ca_file_pass_the_scan_and_carry_the_ca() {
    let dir = Dir::new("admission-manifests");
    let ca = openssl_ca(&dir);
    let text = manifests_passing_scan(&dir, &["--ca-file", "ca.crt"]);
    let objs = objects(&text);
    for kind in KINDS {
        assert!(kinds(&objs).iter().any(|k| k == kind), "{kind} missing");
    }
    let hook = webhook(&objs);
    let bundle = text_at(hook, &["clientConfig", "caBundle"]).unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(bundle)
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), ca);
    // Defaults: fail closed, 5 s, the Service in namespace palisade, both exemptions.
    assert_eq!(text_at(hook, &["failurePolicy"]), Some("Fail"));
    assert_eq!(text_at(hook, &["timeoutSeconds"]), Some("5"));
    assert_eq!(text_at(hook, &["sideEffects"]), Some("None"));
    assert_eq!(text_at(hook, &["matchPolicy"]), Some("Equivalent"));
    // RBAC objects, which the API server writes when it starts, fail open by default.
    let rbac = &webhooks(&objs)[1];
    assert_eq!(text_at(rbac, &["failurePolicy"]), Some("Ignore"));
    assert_eq!(
        text_at(rbac, &["clientConfig", "caBundle"]),
        text_at(hook, &["clientConfig", "caBundle"])
    );
    assert_eq!(
        text_at(hook, &["clientConfig", "service", "namespace"]),
        Some("palisade")
    );
    let excluded: Vec<&str> = hook
        .get("namespaceSelector")
        .and_then(|s| s.get("matchExpressions"))
        .and_then(|e| e.items().first())
        .and_then(|e| e.get("values"))
        .unwrap()
        .items()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    assert_eq!(excluded, ["kube-system", "palisade"]);
    // Every workload kind is sent to the webhook.
    let resources: Vec<&str> = hook
        .get("rules")
        .unwrap()
        .items()
        .iter()
        .flat_map(|r| r.get("resources").unwrap().items())
        .filter_map(Node::as_str)
        .collect();
    for r in [
        "pods",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "replicationcontrollers",
    ] {
        assert!(resources.contains(&r), "{r} not in {resources:?}");
    }
    let deployment = objs.iter().find(|o| o.id.kind == "Deployment").unwrap();
    assert_eq!(text_at(&deployment.root, &["spec", "replicas"]), Some("2"));
    // The server keeps serving, not ready, while the endpoints catch up with a termination.
    let args: Vec<&str> = deployment
        .root
        .get_path(&["spec", "template", "spec", "containers"])
        .unwrap()
        .items()[0]
        .get("args")
        .unwrap()
        .items()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    assert!(
        args.windows(2).any(|w| w == ["--shutdown-delay", "5"]),
        "{args:?}"
    );
}

#[test]
fn flags_change_the_webhook_configuration() {
    let dir = Dir::new("admission-manifests-flags");
    openssl_ca(&dir);
    let text = manifests_passing_scan(
        &dir,
        &[
            "--ca-file",
            "ca.crt",
            "--namespace",
            "guard",
            "--failure-policy",
            "Ignore",
            "--rbac-failure-policy",
            "fail",
            "--timeout-seconds",
            "3",
            "--api-server-cidr",
            "10.0.0.1/32",
            "--image",
            "registry.example/palisade@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ],
    );
    let objs = objects(&text);
    let hook = webhook(&objs);
    assert_eq!(text_at(hook, &["failurePolicy"]), Some("Ignore"));
    assert_eq!(text_at(hook, &["timeoutSeconds"]), Some("3"));
    let rbac = &webhooks(&objs)[1];
    assert_eq!(text_at(rbac, &["failurePolicy"]), Some("Fail"));
    assert_eq!(text_at(rbac, &["timeoutSeconds"]), Some("3"));
    assert_eq!(
        text_at(hook, &["clientConfig", "service", "namespace"]),
        Some("guard")
    );
    let namespaced: Vec<&str> = objs
        .iter()
        .filter_map(|o| o.id.namespace.as_deref())
        .collect();
    assert!(namespaced.iter().all(|ns| *ns == "guard"), "{namespaced:?}");
    assert!(text.contains("cidr: \"10.0.0.1/32\""), "{text}");

    // Out of the API server's range, or not a choice: a usage error naming the flag.
    for bad in [
        vec!["--timeout-seconds", "31"],
        vec!["--failure-policy", "Maybe"],
        vec!["--namespace", "Not_A_Name"],
        vec!["--webhook-url", "http://127.0.0.1/validate"],
    ] {
        let mut args = vec!["admission", "manifests", "--ca-file", "ca.crt"];
        args.extend(bad.iter().copied());
        let out = dir.run(&args);
        assert_exit(&out, 2);
        assert!(stderr(&out).contains(bad[0]), "{}", stderr(&out));
    }
    // One source of the CA is required.
    let out = dir.run(&["admission", "manifests"]);
    assert_exit(&out, 2);
    // cert-manager's certificates live in the cluster; a webhook at a URL does not.
    let out = dir.run(&[
        "admission",
        "manifests",
        "--cert-manager",
        "--webhook-url",
        "https://127.0.0.1:9443/validate",
    ]);
    assert_exit(&out, 2);
}

#[test]
fn cert_manager_manifests_pass_the_scan() {
    let dir = Dir::new("admission-manifests-cm");
    let text = manifests_passing_scan(&dir, &["--cert-manager"]);
    let objs = objects(&text);
    let vwc = objs
        .iter()
        .find(|o| o.id.kind == "ValidatingWebhookConfiguration")
        .unwrap();
    assert_eq!(
        text_at(
            &vwc.root,
            &["metadata", "annotations", "cert-manager.io/inject-ca-from"]
        ),
        Some("palisade/palisade-admission")
    );
    assert!(text_at(webhook(&objs), &["clientConfig", "caBundle"]).is_none());
    let serving = objs
        .iter()
        .find(|o| o.id.kind == "Certificate" && o.id.name == "palisade-admission")
        .unwrap();
    assert_eq!(
        text_at(&serving.root, &["spec", "secretName"]),
        Some("palisade-admission-tls")
    );
}

#[test]
fn a_cert_dir_is_made_once_and_reused() {
    let dir = Dir::new("admission-manifests-certdir");
    // Bad options are refused before any certificate is made.
    let out = dir.run(&[
        "admission",
        "manifests",
        "--cert-dir",
        "pki",
        "--namespace",
        "Bad_Name",
    ]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--namespace"), "{}", stderr(&out));
    assert!(!dir.root.join("pki").exists());
    let first = manifests_passing_scan(&dir, &["--cert-dir", "pki"]);
    let pki = dir.root.join("pki");
    // openssl agrees that the serving certificate chains to the CA and names the Service.
    let verify = std::process::Command::new("openssl")
        .args(["verify", "-CAfile", "ca.crt", "-verify_hostname"])
        .arg("palisade-admission.palisade.svc")
        .arg("tls.crt")
        .current_dir(&pki)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let ca = std::fs::read_to_string(pki.join("ca.crt")).unwrap();
    let bundle = |text: &str| {
        let objs = objects(text);
        let b = text_at(webhook(&objs), &["clientConfig", "caBundle"])
            .unwrap()
            .to_owned();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b).unwrap()).unwrap()
    };
    assert_eq!(bundle(&first), ca);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(pki.join("tls.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // A second run keeps the files.
    let second = manifests_passing_scan(&dir, &["--cert-dir", "pki"]);
    assert_eq!(bundle(&second), ca);
    // A directory with only some of the files is refused.
    std::fs::remove_file(pki.join("tls.key")).unwrap();
    let out = dir.run(&["admission", "manifests", "--cert-dir", "pki"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("but not all"), "{}", stderr(&out));
}

#[test]
fn a_config_file_goes_into_a_config_map_the_server_reads() {
    let dir = Dir::new("admission-manifests-config");
    openssl_ca(&dir);
    let config = "apiVersion: palisade.dev/v1\n# modes\nadmission:\n  modes:\n    PAL-POD-034: warn\n  exemptNamespaces: [kube-system, \"ops: tools\"]\n";
    dir.create("palisade.yaml", config);
    let text = manifests_passing_scan(&dir, &["--ca-file", "ca.crt", "--config", "palisade.yaml"]);
    let objs = objects(&text);
    let cm = objs.iter().find(|o| o.id.kind == "ConfigMap").unwrap();
    assert_eq!(text_at(&cm.root, &["data", "palisade.yaml"]), Some(config));
    let args = server_args(&objs);
    assert!(
        args.ends_with(&["--config".to_string(), "/config/palisade.yaml".to_string()]),
        "{args:?}"
    );
    assert_eq!(
        volume_config_map(&objs, "config").as_deref(),
        text_at(&cm.root, &["metadata", "name"])
    );
    // A changed file changes the pod template (the server reads its config once).
    let hash = |text: &str| pod_annotation(text, "palisade.dev/config-hash");
    dir.create("palisade.yaml", config.replace("warn", "deny"));
    let changed = stdout(&dir.run(&[
        "admission",
        "manifests",
        "--ca-file",
        "ca.crt",
        "--config",
        "palisade.yaml",
    ]));
    assert_ne!(hash(&text), hash(&changed));
    // A config the server would refuse never reaches the cluster.
    dir.create(
        "bad.yaml",
        "apiVersion: palisade.dev/v1\nadmission:\n  modes:\n    PAL-POD-034: maybe\n",
    );
    let out = dir.run(&[
        "admission",
        "manifests",
        "--ca-file",
        "ca.crt",
        "--config",
        "bad.yaml",
    ]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("bad.yaml"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

/// The Deployment's pod spec.
fn pod_spec(objs: &[palisade_core::Object]) -> &Node {
    let deployment = objs.iter().find(|o| o.id.kind == "Deployment").unwrap();
    deployment
        .root
        .get_path(&["spec", "template", "spec"])
        .unwrap()
}

/// The webhook container's arguments.
pub(crate) fn server_args(objs: &[palisade_core::Object]) -> Vec<String> {
    let container = &pod_spec(objs).get("containers").unwrap().items()[0];
    container
        .get("args")
        .unwrap()
        .items()
        .iter()
        .filter_map(Node::as_str)
        .map(str::to_owned)
        .collect()
}

/// The ConfigMap the pod's volume `name` mounts.
pub(crate) fn volume_config_map(objs: &[palisade_core::Object], name: &str) -> Option<String> {
    let volume = pod_spec(objs)
        .get("volumes")?
        .items()
        .iter()
        .find(|v| v.get("name").and_then(Node::as_str) == Some(name))?;
    text_at(volume, &["configMap", "name"]).map(str::to_owned)
}

/// An annotation of the Deployment's pod template, in the manifests `text`.
pub(crate) fn pod_annotation(text: &str, key: &str) -> String {
    let objs = objects(text);
    let d = objs.iter().find(|o| o.id.kind == "Deployment").unwrap();
    text_at(
        &d.root,
        &["spec", "template", "metadata", "annotations", key],
    )
    .unwrap()
    .to_owned()
}
