//! Behaviour through the public API, one test per semantic item, with small templates.

use std::time::Duration;

use palisade_core::config::RuleSetting;
use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Inventory, Severity};
use palisade_policy::{Action, Level, Limits, PolicySet};
use serde_json::json;

fn inventory(files: &[(&str, &str)]) -> Inventory {
    let mut inv = Inventory::default();
    for (path, text) in files {
        inv.add(load_str(path, text, &LoadLimits::default()));
    }
    inv
}

/// A template of kind `kind` whose violation body is `body` (Rego v0).
fn template(kind: &str, body: &str) -> String {
    let indented: String = body.lines().map(|l| format!("          {l}\n")).collect();
    format!(
        "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata:\n  name: {lower}\nspec:\n  crd:\n    spec:\n      names:\n        kind: {kind}\n  targets:\n    - target: admission.k8s.gatekeeper.sh\n      rego: |\n        package {lower}\n        violation[{{\"msg\": msg, \"details\": {{\"k\": 1}}}}] {{\n{indented}        }}\n",
        lower = kind.to_lowercase()
    )
}

const PRIVILEGED: &str = "c := input.review.object.spec.containers[_]\nc.securityContext.privileged\nmsg := sprintf(\"%v is privileged\", [c.name])";

fn pod(name: &str, ns: Option<&str>, privileged: bool, labels: &str) -> String {
    let ns = ns
        .map(|n| format!("\n  namespace: {n}"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}{ns}\n  labels: {labels}\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext: {{privileged: {privileged}}}\n"
    )
}

fn constraint(kind: &str, name: &str, spec: &str) -> String {
    format!("apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

#[test]
fn a_violation_becomes_a_finding_at_the_objects_line() {
    let inv = inventory(&[
        ("t.yaml", &template("NoPriv", PRIVILEGED)),
        (
            "c.yaml",
            &constraint(
                "NoPriv",
                "no-priv",
                "  match:\n    kinds: [{apiGroups: [''], kinds: [Pod]}]\n",
            ),
        ),
        (
            "p.yaml",
            &format!(
                "# comment\n---\n{}---\n{}",
                pod("bad", Some("a"), true, "{}"),
                pod("good", Some("a"), false, "{}")
            ),
        ),
    ]);
    let (set, diags) = PolicySet::from_inventory(&inv);
    assert!(diags.is_empty(), "{diags:?}");
    let result = set.evaluate(&inv, &Config::default());
    assert_eq!(result.findings.len(), 1, "{:?}", result.findings);
    let f = &result.findings[0];
    assert_eq!(f.rule_id, "GK-NoPriv");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.object.name, "bad");
    assert_eq!((&*f.location.path, f.location.line), ("p.yaml", 3));
    assert!(
        f.message
            .starts_with("app is privileged (constraint no-priv, deny)"),
        "{}",
        f.message
    );
    assert!(set.rules().iter().any(|r| r.id == "GK-NoPriv"));
}

#[test]
fn enforcement_actions_set_severity_and_scoped_actions_follow_the_point() {
    let kinds = "  match:\n    kinds: [{apiGroups: [''], kinds: [Pod]}]\n";
    let inv = inventory(&[
        ("t.yaml", &template("NoPriv", PRIVILEGED)),
        ("c1.yaml", &constraint("NoPriv", "warned", &format!("  enforcementAction: warn\n{kinds}"))),
        ("c2.yaml", &constraint("NoPriv", "dry", &format!("  enforcementAction: dryrun\n{kinds}"))),
        ("c3.yaml", &constraint("NoPriv", "webhook-only", &format!("  enforcementAction: scoped\n  scopedEnforcementActions:\n  - action: deny\n    enforcementPoints: [{{name: validation.gatekeeper.sh}}]\n{kinds}"))),
        ("p.yaml", &pod("bad", Some("a"), true, "{}")),
    ]);
    let (set, diags) = PolicySet::from_inventory(&inv);
    assert!(diags.is_empty(), "{diags:?}");
    let findings = set.evaluate(&inv, &Config::default()).findings;
    let mut severities: Vec<Severity> = findings.iter().map(|f| f.severity).collect();
    severities.sort();
    // The scoped constraint applies at the webhook only, not in a scan (audit point).
    assert_eq!(severities, vec![Severity::Low, Severity::Medium]);
    let review = json!({"kind": "AdmissionReview", "apiVersion": "admission.k8s.io/v1", "request": {
        "uid": "1", "operation": "CREATE", "namespace": "a",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"},
                   "spec": {"containers": [{"name": "app", "securityContext": {"privileged": true}}]}}}});
    let out = set.evaluate_review(&review).unwrap();
    let mut actions: Vec<&Action> = out.violations.iter().map(|v| v.action()).collect();
    actions.sort();
    assert_eq!(actions, vec![&Action::Dryrun, &Action::Warn, &Action::Deny]);
    assert!(out.denied());
    assert_eq!(out.violations[0].details, json!({"k": 1}));
}

#[test]
fn match_namespaces_labels_and_namespace_selector() {
    let spec = "  match:\n    kinds: [{apiGroups: [''], kinds: [Pod]}]\n    excludedNamespaces: ['kube-*']\n    labelSelector: {matchLabels: {tier: web}}\n    namespaceSelector: {matchLabels: {env: prod}}\n";
    let inv = inventory(&[
        ("t.yaml", &template("NoPriv", PRIVILEGED)),
        ("c.yaml", &constraint("NoPriv", "c", spec)),
        ("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {env: prod}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: lab, labels: {env: dev}}\n"),
        ("p1.yaml", &pod("in-prod", Some("shop"), true, "{tier: web}")),
        ("p2.yaml", &pod("in-dev", Some("lab"), true, "{tier: web}")),
        ("p3.yaml", &pod("no-label", Some("shop"), true, "{}")),
        ("p4.yaml", &pod("system", Some("kube-system"), true, "{tier: web}")),
        ("p5.yaml", &pod("unknown-ns", Some("ghost"), true, "{tier: web}")),
    ]);
    let (set, diags) = PolicySet::from_inventory(&inv);
    assert!(diags.is_empty(), "{diags:?}");
    let result = set.evaluate(&inv, &Config::default());
    let names: Vec<&str> = result
        .findings
        .iter()
        .map(|f| f.object.name.as_str())
        .collect();
    assert_eq!(names, vec!["in-prod"]);
    // The Namespace `ghost` is not in the input: a note, not a guess.
    assert_eq!(result.diagnostics.len(), 1, "{:?}", result.diagnostics);
    assert!(result.diagnostics[0].message.contains("Namespace ghost"));
}

#[test]
fn parameters_and_inventory_reach_the_rego() {
    let body = "input.review.kind.kind == \"Service\"\nsel := input.review.object.spec.selector\nother := data.inventory.namespace[ns][_][\"Service\"][name]\n[ns, name] != [input.review.namespace, input.review.name]\nother.spec.selector == sel\nmsg := sprintf(\"%v: selector also used by %v/%v\", [input.parameters.prefix, ns, name])";
    let svc = |name: &str, ns: &str, app: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{selector: {{app: {app}}}}}\n")
    };
    let inv = inventory(&[
        ("t.yaml", &template("UniqueSel", body)),
        (
            "c.yaml",
            &constraint("UniqueSel", "u", "  parameters: {prefix: dup}\n"),
        ),
        (
            "s.yaml",
            &format!(
                "{}---\n{}---\n{}",
                svc("a", "ns-x", "web"),
                svc("b", "ns-y", "web"),
                svc("c", "ns-x", "db")
            ),
        ),
    ]);
    let (set, diags) = PolicySet::from_inventory(&inv);
    assert!(diags.is_empty(), "{diags:?}");
    let findings = set.evaluate(&inv, &Config::default()).findings;
    let msgs: Vec<&str> = findings.iter().map(|f| &*f.message).collect();
    assert_eq!(findings.len(), 2, "{msgs:?}");
    assert!(
        msgs[0].starts_with("dup: selector also used by ns-y/b"),
        "{msgs:?}"
    );
}

#[test]
fn bad_templates_and_constraints_are_diagnostics_and_the_rest_evaluates() {
    let broken = "apiVersion: templates.gatekeeper.sh/v1beta1\nkind: ConstraintTemplate\nmetadata: {name: broken}\nspec:\n  crd: {spec: {names: {kind: Broken}}}\n  targets:\n  - target: admission.k8s.gatekeeper.sh\n    rego: |\n      package broken\n\n      violation[{\"msg\": msg}] {\n        msg := [\n      }\n";
    let schema = "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata: {name: typed}\nspec:\n  crd:\n    spec:\n      names: {kind: Typed}\n      validation:\n        openAPIV3Schema:\n          type: object\n          properties: {max: {type: integer}}\n  targets:\n  - target: admission.k8s.gatekeeper.sh\n    rego: |\n      package typed\n      violation[{\"msg\": \"x\"}] { false }\n";
    let inv = inventory(&[
        ("broken.yaml", broken),
        ("typed.yaml", schema),
        ("t.yaml", &template("NoPriv", PRIVILEGED)),
        ("c.yaml", &constraint("Unknown", "u", "  match: {}\n")),
        (
            "c2.yaml",
            &constraint("Typed", "t", "  parameters: {max: many}\n"),
        ),
        ("c3.yaml", &constraint("NoPriv", "ok", "  match: {}\n")),
        ("p.yaml", &pod("bad", None, true, "{}")),
        (
            "unsafe.yaml",
            &template("Unsafe", "msg := sprintf(\"%v\", [x])"),
        ),
    ]);
    let (set, diags) = PolicySet::from_inventory(&inv);
    let text: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert_eq!(diags.len(), 4, "{text:?}");
    // An unsafe variable passes the parser and fails analysis, still at load time.
    assert!(
        text.iter()
            .any(|d| d.starts_with("unsafe.yaml:1:1") && d.contains("does not compile")),
        "{text:?}"
    );
    let broken_diag = text.iter().find(|d| d.contains("broken")).unwrap();
    // The Rego error points into the YAML file, at or after the `rego:` block.
    let line: u32 = broken_diag.split(':').nth(1).unwrap().parse().unwrap();
    // `msg := [` is on line 12; regorus reports the `{` that opens the rule (Rego line 3).
    assert!(
        broken_diag.starts_with("broken.yaml:") && line == 11,
        "{broken_diag}"
    );
    assert!(text
        .iter()
        .any(|d| d.starts_with("c.yaml:1:1") && d.contains("no ConstraintTemplate")));
    assert!(text.iter().any(|d| d.starts_with("c2.yaml:6:15")
        && d.contains("spec.parameters.max: must be of type integer")));
    assert!(diags.iter().all(|d| d.level == Level::Error));
    assert_eq!(set.evaluate(&inv, &Config::default()).findings.len(), 1);
}

#[test]
fn rego_v1_syntax_and_libraries_compile() {
    let t = "apiVersion: templates.gatekeeper.sh/v1\nkind: ConstraintTemplate\nmetadata: {name: v1}\nspec:\n  crd: {spec: {names: {kind: V1}}}\n  targets:\n  - target: admission.k8s.gatekeeper.sh\n    code:\n    - engine: Rego\n      source:\n        rego: |\n          package v1\n          import data.lib.helpers.bad_name\n          violation contains {\"msg\": msg} if {\n            bad_name(input.review.object.metadata.name)\n            msg := \"bad name\"\n          }\n        libs:\n        - |\n          package lib.helpers\n          bad_name(n) if startswith(n, \"tmp-\")\n";
    let badlib = t
        .replace("package lib.helpers", "package helpers")
        .replace("name: v1}", "name: v1b}")
        .replace("kind: V1}", "kind: V1b}")
        .replace("package v1\n", "package v1b\n");
    let inv = inventory(&[
        ("t.yaml", t),
        ("bad.yaml", &badlib),
        ("c.yaml", &constraint("V1", "c", "  match: {}\n")),
        (
            "p.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tmp-x}\n",
        ),
    ]);
    let (set, diags) = PolicySet::from_inventory(&inv);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].message.contains("must be under `package lib`"),
        "{}",
        diags[0]
    );
    assert_eq!(set.evaluate(&inv, &Config::default()).findings.len(), 1);
}

#[test]
fn external_data_is_a_clear_diagnostic() {
    let body = "r := external_data({\"provider\": \"p\", \"keys\": [\"k\"]})\ncount(r.errors) > 0\nmsg := \"error\"";
    let inv = inventory(&[
        ("t.yaml", &template("Ext", body)),
        ("c.yaml", &constraint("Ext", "e", "  match: {}\n")),
        ("p.yaml", &pod("a", None, false, "{}")),
    ]);
    let (set, diags) = PolicySet::from_inventory(&inv);
    assert!(diags.is_empty(), "{diags:?}");
    let result = set.evaluate(&inv, &Config::default());
    assert!(result.findings.is_empty());
    assert_eq!(result.diagnostics.len(), 1);
    assert!(
        result.diagnostics[0]
            .message
            .contains("external_data is not supported"),
        "{}",
        result.diagnostics[0]
    );
    assert!(result.diagnostics[0].to_string().starts_with("p.yaml:1:1"));
}

#[test]
fn evaluation_time_is_bounded() {
    let body =
        "r := numbers.range(1, 400)\nn := count([1 | r[_]; r[_]; r[_]])\nn > 0\nmsg := \"slow\"";
    let inv = inventory(&[
        ("t.yaml", &template("Slow", body)),
        ("c.yaml", &constraint("Slow", "s", "  match: {}\n")),
        ("p.yaml", &pod("a", None, false, "{}")),
    ]);
    let limits = Limits {
        eval_time: Duration::from_millis(50),
    };
    let (set, _) = PolicySet::from_objects(&inv.objects, limits);
    let started = std::time::Instant::now();
    let result = set.evaluate(&inv, &Config::default());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(result.findings.is_empty());
    assert_eq!(result.diagnostics.len(), 1, "{:?}", result.diagnostics);
}

#[test]
fn admission_review_sees_operation_old_object_and_delete() {
    let body = "input.review.operation == \"UPDATE\"\nold := input.review.oldObject.spec.serviceAccountName\nold != input.review.object.spec.serviceAccountName\nnot input.review.userInfo.username == \"admin\"\nmsg := sprintf(\"%v may not change the service account\", [input.review.userInfo.username])";
    let inv = inventory(&[
        ("t.yaml", &template("NoSaChange", body)),
        (
            "c.yaml",
            &constraint(
                "NoSaChange",
                "c",
                "  match: {kinds: [{apiGroups: [''], kinds: [Pod]}]}\n",
            ),
        ),
    ]);
    let (set, diags) = PolicySet::from_inventory(&inv);
    assert!(diags.is_empty(), "{diags:?}");
    let pod = |sa: &str| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"}, "spec": {"serviceAccountName": sa}});
    let req = |user: &str| {
        json!({"uid": "u", "operation": "UPDATE", "namespace": "a", "userInfo": {"username": user},
        "kind": {"group": "", "version": "v1", "kind": "Pod"}, "object": pod("new"), "oldObject": pod("old")})
    };
    let out = set.evaluate_review(&req("bob")).unwrap();
    assert_eq!(out.violations.len(), 1);
    assert_eq!(
        out.violations[0].message,
        "bob may not change the service account"
    );
    assert!(set
        .evaluate_review(&req("admin"))
        .unwrap()
        .violations
        .is_empty());
    // DELETE: the object is the old object, and the request still matches.
    let del = json!({"uid": "u", "operation": "DELETE", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "oldObject": pod("x"), "object": null});
    assert!(set.evaluate_review(&del).unwrap().violations.is_empty());
    assert!(set.evaluate_review(&json!({"uid": "u"})).is_err());
    assert!(set.evaluate_review(&json!("text")).is_err());
}

#[test]
fn plain_rego_modules_follow_conftest_conventions() {
    let inv = inventory(&[("p.yaml", &pod("bad", Some("a"), true, "{}"))]);
    let (mut set, _) = PolicySet::from_inventory(&inv);
    set.add_rego_module(
        "policy/main.rego",
        "package main\n\ndeny[msg] {\n  input.kind == \"Pod\"\n  input.spec.containers[_].securityContext.privileged\n  msg := \"privileged pod\"\n}\n\nwarn_latest[msg] {\n  not contains(input.spec.containers[_].image, \":\")\n  msg := \"image without tag\"\n}\n\nhelper := true\n",
    )
    .unwrap();
    set.add_rego_module(
        "policy/v1.rego",
        "package labels\nimport rego.v1\n\nviolation contains {\"msg\": \"no labels\", \"details\": {}} if not input.metadata.labels.team\n",
    )
    .unwrap();
    let bad = set
        .add_rego_module(
            "policy/bad.rego",
            "package bad\n\ndeny[msg] {\n  msg :=\n}\n",
        )
        .unwrap_err();
    assert!(bad.to_string().starts_with("policy/bad.rego:"), "{bad}");
    let findings = set.evaluate(&inv, &Config::default()).findings;
    let mut got: Vec<(String, Severity, String)> = findings
        .iter()
        .map(|f| (f.rule_id.to_string(), f.severity, f.message.to_string()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("REGO-labels".into(), Severity::High, "no labels".into()),
            (
                "REGO-main".into(),
                Severity::Medium,
                "image without tag".into()
            ),
            ("REGO-main".into(), Severity::High, "privileged pod".into()),
        ]
    );
    // The configuration can turn a rule off or change its severity.
    let mut config = Config::default();
    config.rules.insert(
        "REGO-main".into(),
        RuleSetting {
            severity: Some(Severity::Low),
            ..RuleSetting::default()
        },
    );
    config.rules.insert(
        "REGO-labels".into(),
        RuleSetting {
            enabled: Some(false),
            ..RuleSetting::default()
        },
    );
    let findings = set.evaluate(&inv, &config).findings;
    assert_eq!(findings.len(), 2);
    assert!(findings
        .iter()
        .all(|f| f.rule_id == "REGO-main" && f.severity == Severity::Low));
}

#[test]
fn plain_modules_read_the_inventory_when_loaded_with_the_objects() {
    let inv = inventory(&[(
        "p.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns-a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns-b}\n",
    )]);
    let module = "package dup\n\ndeny[msg] {\n  other := data.inventory.namespace[ns][_].ConfigMap[input.metadata.name]\n  ns != input.metadata.namespace\n  msg := sprintf(\"name also used in %v\", [ns])\n}\n";
    let (set, diags) =
        PolicySet::from_sources(&inv.objects, &[("dup.rego", module)], Limits::default());
    assert!(diags.is_empty(), "{diags:?}");
    let msgs: Vec<String> = set
        .evaluate(&inv, &Config::default())
        .findings
        .into_iter()
        .map(|f| f.message.into_string())
        .collect();
    assert_eq!(
        msgs,
        vec!["name also used in ns-b", "name also used in ns-a"]
    );
}
