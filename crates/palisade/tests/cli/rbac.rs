//! `palisade rbac`: who-can, access and kubectl over the bundled platform example, stdin and
//! `kubectl get -o yaml` dumps; usage errors; RBAC problems listed, never dropped.

use std::path::PathBuf;

use serde_json::Value;

use crate::util::Dir;

fn example() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/platform-rbac")
        .display()
        .to_string()
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `kind namespace/name` (or `kind name`) of every subject of a who-can answer.
fn subjects(v: &Value) -> Vec<String> {
    v["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| match s["namespace"].as_str() {
            Some(ns) => format!(
                "{} {ns}/{}",
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            ),
            None => format!(
                "{} {}",
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            ),
        })
        .collect()
}

#[test]
fn who_can_read_secrets_names_every_holder_and_the_binding() {
    let d = Dir::new("rbac-who-can");
    let out = d.run(&[
        "rbac",
        "who-can",
        "list",
        "secrets",
        &example(),
        "-f",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let who = subjects(&v);
    for expected in [
        "ServiceAccount tools/backup-bot",
        "ServiceAccount ci/deployer",
        "Group devs",
        "User dave@contractor.example",
        "Group system:masters",
    ] {
        assert!(
            who.contains(&expected.to_string()),
            "{expected} missing from {who:?}"
        );
    }
    // `view` does not read secrets, and the on-call group only has view-like rights.
    assert!(!who.contains(&"Group oncall".to_string()), "{who:?}");
    let bot = v["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "backup-bot")
        .unwrap();
    assert_eq!(
        bot["via"],
        serde_json::json!([
            "ClusterRoleBinding/backup-bot-reads-everything",
            "ClusterRole/backup-reader"
        ])
    );
    assert!(bot["grants"][0]["ruleLocation"]
        .as_str()
        .unwrap()
        .ends_with("forgotten.yaml:15"));
    assert_eq!(v["query"]["verb"], "list");
    assert!(v["builtinRoles"].as_str().unwrap().starts_with("v1."));
}

#[test]
fn who_can_in_one_namespace_leaves_out_other_namespaces_role_bindings() {
    let d = Dir::new("rbac-who-can-ns");
    let out = d.run(&[
        "rbac",
        "who-can",
        "create",
        "pods/exec",
        &example(),
        "-n",
        "tools",
        "-f",
        "json",
    ]);
    let who = subjects(&json(&out));
    assert!(who.contains(&"Group devs".to_string()), "{who:?}");
    // The deployer's RoleBinding is in payments, not tools.
    assert!(
        !who.contains(&"ServiceAccount ci/deployer".to_string()),
        "{who:?}"
    );
    let out = d.run(&[
        "rbac",
        "who-can",
        "create",
        "pods/exec",
        &example(),
        "-n",
        "ci",
        "-f",
        "json",
    ]);
    assert!(!subjects(&json(&out)).contains(&"Group devs".to_string()));
}

#[test]
fn aggregated_roles_grant_what_their_parts_hold() {
    let d = Dir::new("rbac-aggregate");
    let out = d.run(&[
        "rbac",
        "who-can",
        "get",
        "nodes/proxy",
        &example(),
        "-f",
        "json",
    ]);
    let v = json(&out);
    let oncall = v["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "oncall")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(oncall["via"][1], "ClusterRole/oncall");
    // The rule's place is in the part it came from.
    assert!(oncall["grants"][0]["ruleLocation"]
        .as_str()
        .unwrap()
        .ends_with("oncall.yaml:21"));
}

#[test]
fn non_resource_urls() {
    let d = Dir::new("rbac-urls");
    let out = d.run(&[
        "rbac",
        "who-can",
        "get",
        "/metrics",
        &example(),
        "-f",
        "json",
    ]);
    let who = subjects(&json(&out));
    assert!(who.contains(&"Group oncall".to_string()), "{who:?}");
    assert!(!who.contains(&"Group devs".to_string()), "{who:?}");
}

#[test]
fn access_lists_each_scope_with_its_grants() {
    let d = Dir::new("rbac-access");
    let out = d.run(&["rbac", "access", "sa:ci/deployer", &example(), "-f", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let scopes = v["access"]["scopes"].as_array().unwrap();
    let payments = scopes
        .iter()
        .find(|s| s["namespace"] == "payments")
        .unwrap_or_else(|| panic!("{v}"));
    let secrets = payments["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"]["resource"] == "secrets")
        .unwrap();
    assert_eq!(
        secrets["verbs"],
        serde_json::json!(["create", "get", "list", "update"])
    );
    // Nothing of the deployer's own role holds outside payments.
    assert!(!scopes.iter().any(|s| s["namespace"] == "tools"));
    let table = d.run(&["rbac", "access", "sa:ci/deployer", &example()]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("Namespace payments"), "{text}");
    assert!(text.contains("RoleBinding/payments/ci-deploys-payments → ClusterRole/app-deployer"));
}

#[test]
fn kubectl_commands_follow_the_grants() {
    let d = Dir::new("rbac-kubectl");
    let out = d.run(&["rbac", "kubectl", "group:devs", &example(), "-f", "json"]);
    let v = json(&out);
    let find = |name: &str| -> Vec<Value> {
        v["commands"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["command"] == name)
            .cloned()
            .collect()
    };
    let exec = find("exec");
    assert_eq!(exec.len(), 1, "{v}");
    assert_eq!(
        exec[0]["where"],
        serde_json::json!({"scope": "namespaces", "namespaces": ["payments", "tools"]})
    );
    let logs = find("logs");
    assert_eq!(logs[0]["where"]["scope"], "everyNamespace");
    assert!(find("drain").is_empty());
    assert!(find("cordon / uncordon").is_empty());
    // The deployer can change deployments but not exec into pods.
    let out = d.run(&[
        "rbac",
        "kubectl",
        "sa:ci/deployer",
        &example(),
        "-f",
        "json",
    ]);
    let v = json(&out);
    let names: Vec<&str> = v["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"rollout restart"), "{names:?}");
    assert!(!names.contains(&"exec"), "{names:?}");
    // The on-call group cordons nodes through its aggregated role, but cannot drain them.
    let out = d.run(&["rbac", "kubectl", "group:oncall", &example(), "-f", "json"]);
    let v = json(&out);
    let drain: Vec<&Value> = v["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["command"] == "drain")
        .collect();
    // oncall lacks `get daemonsets` (its apps rule names deployments only).
    assert!(drain.is_empty(), "{drain:?}");
    assert!(v["commands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["command"] == "cordon / uncordon"));
}

#[test]
fn problems_are_listed_with_their_place() {
    let d = Dir::new("rbac-problems");
    let out = d.run(&["rbac", "who-can", "get", "pods", &example(), "-f", "json"]);
    let v = json(&out);
    let problems = v["problems"].as_array().unwrap();
    let missing = problems
        .iter()
        .find(|p| p["kind"] == "role-not-found")
        .unwrap_or_else(|| panic!("{v}"));
    assert!(missing["file"]
        .as_str()
        .unwrap()
        .ends_with("developers.yaml"));
    assert_eq!(missing["line"], 66);
    let text = d.run(&["rbac", "who-can", "get", "pods", &example()]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("developers.yaml:66"), "{text}");
}

#[test]
fn a_subject_that_does_not_parse_is_a_usage_error_listing_the_forms() {
    let d = Dir::new("rbac-bad-subject");
    let out = d.run(&["rbac", "access", "userr:bob", &example()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("user:NAME") && err.contains("sa:NAMESPACE/NAME"),
        "{err}"
    );
}

#[test]
fn reads_stdin_and_kubectl_list_dumps() {
    let d = Dir::new("rbac-stdin");
    let dump = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: reader}\n  rules:\n  - {apiGroups: [''], resources: [pods], verbs: [get]}\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRoleBinding\n  metadata: {name: alice-reads}\n  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}\n  subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]\n";
    let out = d.run_stdin(
        &["rbac", "who-can", "get", "pods", "-", "-f", "json"],
        dump.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0));
    let who = subjects(&json(&out));
    assert!(who.contains(&"User alice".to_string()), "{who:?}");
    // Without the built-in roles, system:masters is not known.
    let out = d.run_stdin(
        &[
            "rbac",
            "who-can",
            "get",
            "pods",
            "-",
            "--no-builtin-roles",
            "-f",
            "json",
        ],
        dump.as_bytes(),
    );
    let who = subjects(&json(&out));
    assert_eq!(who, vec!["User alice".to_string()]);
}

#[test]
fn unreadable_input_is_exit_2_and_the_rest_is_answered() {
    let d = Dir::new("rbac-unreadable");
    let out = d.run(&[
        "rbac",
        "who-can",
        "get",
        "secrets",
        &example(),
        "missing-dir",
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert!(!v["subjects"].as_array().unwrap().is_empty());
    assert_eq!(v["errors"].as_array().unwrap().len(), 1);
}

#[test]
fn nodes_lists_paths_to_a_root_shell() {
    let d = Dir::new("rbac-nodes");
    let out = d.run(&[
        "rbac",
        "nodes",
        "--subject",
        "group:devs",
        &example(),
        "-f",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    let paths = v["subjects"][0]["paths"].as_array().unwrap();
    // Creating pods in `tools` (no Pod Security label) is root on a node; in `payments`
    // (restricted) it is not.
    assert!(
        paths
            .iter()
            .any(|p| p["kind"] == "create-pod" && p["namespace"] == "tools"),
        "{v}"
    );
    assert!(
        !paths
            .iter()
            .any(|p| p["kind"] == "create-pod" && p["namespace"] == "payments"),
        "{v}"
    );
    // The on-call group reaches the kubelet API.
    let v = json(&d.run(&[
        "rbac",
        "nodes",
        "-s",
        "group:oncall",
        &example(),
        "-f",
        "json",
    ]));
    assert!(v["subjects"][0]["paths"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["kind"] == "nodes-proxy"));
    // --all or a subject, not both, not neither.
    assert_eq!(d.run(&["rbac", "nodes", &example()]).status.code(), Some(2));
    let all = json(&d.run(&["rbac", "nodes", "--all", &example(), "-f", "json"]));
    assert!(all["subjects"].as_array().unwrap().len() > 3);
}

#[test]
fn graph_renders_with_graphviz() {
    let d = Dir::new("rbac-graph");
    let out = d.run(&["rbac", "graph", &example()]);
    assert_eq!(out.status.code(), Some(0));
    d.create("g.dot", &out.stdout);
    let dot = std::process::Command::new("dot")
        .args(["-Tsvg", "-o"])
        .arg(d.root.join("g.svg"))
        .arg(d.root.join("g.dot"))
        .status()
        .expect("Graphviz dot (scripts/setup.sh installs it)");
    assert!(dot.success());
    let v = json(&d.run(&[
        "rbac",
        "graph",
        &example(),
        "-f",
        "json",
        "--subject",
        "sa:tools/backup-bot",
    ]));
    assert!(
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["label"].as_str().unwrap_or("").contains("backup-reader")),
        "{v}"
    );
}

#[test]
fn diff_fails_on_a_forbidden_grant() {
    let d = Dir::new("rbac-diff");
    let base = std::fs::read_to_string(PathBuf::from(example()).join("ci-deployer.yaml")).unwrap();
    d.create("old/rbac.yaml", &base);
    d.create(
        "new/rbac.yaml",
        base.replace(
            "    verbs: [\"get\", \"list\", \"create\", \"update\"]",
            "    verbs: [\"get\", \"list\", \"watch\", \"create\", \"update\", \"delete\"]",
        ),
    );
    let out = d.run(&["rbac", "diff", "old", "new", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let added: Vec<String> = v["diff"]["subjects"][0]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["permission"]["verb"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(added, vec!["delete", "watch"], "{v}");
    let out = d.run(&[
        "rbac",
        "diff",
        "old",
        "new",
        "--fail-on-grant",
        "secrets-read",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--fail-on-grant secrets-read forbids"));
    // Only delete matches a spec for delete; nothing matches exec.
    assert_eq!(
        d.run(&[
            "rbac",
            "diff",
            "old",
            "new",
            "--fail-on-grant",
            "create:pods/exec"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        d.run(&[
            "rbac",
            "diff",
            "old",
            "new",
            "--fail-on-grant",
            "delete:secrets"
        ])
        .status
        .code(),
        Some(1)
    );
    // A pattern that does not parse is a usage error.
    assert_eq!(
        d.run(&["rbac", "diff", "old", "new", "--fail-on-grant", "nonsense"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn risks_lists_the_scan_findings_of_rbac() {
    let d = Dir::new("rbac-risks");
    let v = json(&d.run(&["rbac", "risks", &example(), "-f", "json"]));
    let rules: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().or(f["ruleId"].as_str()).unwrap())
        .collect();
    for id in [
        "PAL-RBAC-011",
        "PAL-RBAC-013",
        "PAL-RBAC-016",
        "PAL-RBAC-025",
    ] {
        assert!(rules.contains(id), "{id} missing: {rules:?}");
    }
}
