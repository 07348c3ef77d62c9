//! The risky-permission findings through the public API (`check_inventory`): severities by
//! scope, what is deliberately not reported, rule settings, workloads' token state, odd
//! input, and a size the analysis must handle quickly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::{Config, Finding, Inventory, Severity};

fn inventory(text: &str) -> Inventory {
    let mut inv = Inventory::default();
    inv.add(load_str("t.yaml", text, &LoadLimits::default()));
    inv
}

fn findings(text: &str) -> Vec<Finding> {
    palisade_rbac::check_inventory(&inventory(text), &Config::default())
}

/// (rule, line, severity), sorted.
fn hits(text: &str) -> Vec<(String, u32, Severity)> {
    let mut v: Vec<_> = findings(text)
        .into_iter()
        .map(|f| (f.rule_id.into_owned(), f.location.line, f.severity))
        .collect();
    v.sort();
    v
}

const RB: &str = "apiVersion: rbac.authorization.k8s.io/v1\n";

fn role(kind: &str, ns: Option<&str>, name: &str, rules: &str) -> String {
    let ns = ns.map(|n| format!(", namespace: {n}")).unwrap_or_default();
    format!("{RB}kind: {kind}\nmetadata: {{name: {name}{ns}}}\nrules: {rules}\n---\n")
}

fn binding(
    kind: &str,
    ns: Option<&str>,
    name: &str,
    ref_kind: &str,
    role: &str,
    subjects: &str,
) -> String {
    let ns = ns.map(|n| format!(", namespace: {n}")).unwrap_or_default();
    format!(
        "{RB}kind: {kind}\nmetadata: {{name: {name}{ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {ref_kind}, name: {role}}}\nsubjects: {subjects}\n---\n"
    )
}

#[test]
fn severity_is_higher_cluster_wide_than_in_one_namespace() {
    let text = role(
        "ClusterRole",
        None,
        "reader",
        "[{apiGroups: [''], resources: [secrets], verbs: [get]}]",
    ) + &binding(
        "ClusterRoleBinding",
        None,
        "everywhere",
        "ClusterRole",
        "reader",
        "[{kind: User, name: a}]",
    ) + &binding(
        "RoleBinding",
        Some("shop"),
        "here",
        "ClusterRole",
        "reader",
        "[{kind: User, name: b}]",
    );
    let got: Vec<Severity> = findings(&text)
        .iter()
        .filter(|f| f.rule_id == "PAL-RBAC-013")
        .map(|f| f.severity)
        .collect();
    assert_eq!(got, [Severity::High, Severity::Medium]);
}

#[test]
fn one_finding_per_binding_subject_and_risk_with_the_strongest_grant() {
    // Three rules grant Secret reads; the unrestricted one is shown, once per subject.
    let text = role(
        "ClusterRole",
        None,
        "r",
        "[{apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [x]}, {apiGroups: [''], resources: [secrets], verbs: [list]}, {apiGroups: ['*'], resources: ['*'], verbs: [watch]}]",
    ) + &binding("ClusterRoleBinding", None, "b", "ClusterRole", "r", "[{kind: User, name: a}, {kind: Group, name: g}]");
    let f: Vec<Finding> = findings(&text)
        .into_iter()
        .filter(|f| f.rule_id == "PAL-RBAC-013")
        .collect();
    assert_eq!(f.len(), 2);
    assert!(f[0].message.contains("list on secrets") && f[0].message.contains("rule 1"));
    assert_eq!(f[0].field.as_deref(), Some("subjects[0]"));
    assert!(f[1].message.starts_with("Group `g`"));
}

#[test]
fn built_in_roles_by_name_are_left_to_pal_rbac_002_but_public_groups_are_not() {
    // edit in one namespace: ordinary delegation; no per-permission finding. The same role
    // given to every authenticated user is reported, critical (it reads Secrets).
    let text = binding(
        "RoleBinding",
        Some("shop"),
        "devs",
        "ClusterRole",
        "edit",
        "[{kind: Group, name: devs}, {kind: Group, name: 'system:authenticated'}]",
    );
    let got = hits(&text);
    assert_eq!(got, [("PAL-RBAC-022".to_string(), 5, Severity::Critical)]);
    let f = findings(&text);
    assert!(
        f[0].message
            .contains("built in, the Kubernetes v1.33 default"),
        "{}",
        f[0].message
    );
    // A workload of that namespace running as an account bound to `edit` names the rule
    // but no line: the bootstrap role is not in the input.
    let text = binding("RoleBinding", Some("shop"), "web-edit", "ClusterRole", "edit", "[{kind: ServiceAccount, name: web}]")
        + "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {serviceAccountName: web, containers: [{name: c, image: x}]}\n";
    let w = findings(&text)
        .into_iter()
        .find(|f| f.rule_id == "PAL-RBAC-024")
        .unwrap();
    assert!(
        w.message.contains("ClusterRole `edit` (built in"),
        "{}",
        w.message
    );
    assert!(!w.message.contains(", line"), "{}", w.message);
}

#[test]
fn bind_on_clusterroles_counts_in_a_namespace_but_escalate_does_not() {
    let text = role(
        "ClusterRole",
        None,
        "binder",
        "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}]",
    ) + &role(
        "ClusterRole",
        None,
        "escalator",
        "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}]",
    ) + &binding(
        "RoleBinding",
        Some("a"),
        "b1",
        "ClusterRole",
        "binder",
        "[{kind: User, name: u}]",
    ) + &binding(
        "RoleBinding",
        Some("a"),
        "b2",
        "ClusterRole",
        "escalator",
        "[{kind: User, name: v}]",
    );
    let f: Vec<Finding> = findings(&text);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (&*f[0].rule_id, f[0].severity),
        ("PAL-RBAC-011", Severity::High)
    );
    assert!(f[0].message.starts_with("User `u`"));
}

#[test]
fn a_cluster_admin_equivalent_is_reported_once_not_per_risk() {
    let text = role(
        "ClusterRole",
        None,
        "root",
        "[{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]",
    ) + &binding(
        "ClusterRoleBinding",
        None,
        "b",
        "ClusterRole",
        "root",
        "[{kind: User, name: a}]",
    );
    let rbac: Vec<_> = hits(&text);
    assert_eq!(rbac, [("PAL-RBAC-010".to_string(), 10, Severity::Critical)]);
}

#[test]
fn built_in_bindings_are_not_reported() {
    let text = format!(
        "{RB}kind: ClusterRoleBinding\nmetadata:\n  name: 'system:node-proxier'\n  labels: {{kubernetes.io/bootstrapping: rbac-defaults}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: prox}}\nsubjects: [{{kind: User, name: 'system:kube-proxy'}}]\n---\n"
    ) + &role("ClusterRole", None, "prox", "[{apiGroups: [''], resources: [nodes/proxy], verbs: [get]}]");
    assert!(hits(&text).is_empty(), "{:?}", hits(&text));
    // Without the label, the same binding is the user's own.
    let own = text.replace(
        "\n  labels: {kubernetes.io/bootstrapping: rbac-defaults}",
        "",
    );
    assert_eq!(hits(&own).len(), 1);
}

#[test]
fn aggregated_rules_count_and_name_their_origin() {
    let text = format!(
        "{RB}kind: ClusterRole\nmetadata: {{name: agg}}\naggregationRule:\n  clusterRoleSelectors: [{{matchLabels: {{x: 'y'}}}}]\n---\n{RB}kind: ClusterRole\nmetadata: {{name: part, labels: {{x: 'y'}}}}\nrules: [{{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create]}}]\n---\n"
    ) + &binding("ClusterRoleBinding", None, "b", "ClusterRole", "agg", "[{kind: User, name: a}]");
    let f = findings(&text);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].rule_id, "PAL-RBAC-014");
    assert!(
        f[0].message
            .contains("aggregated from ClusterRole `part`, line 10"),
        "{}",
        f[0].message
    );
}

#[test]
fn rule_settings_apply_through_the_emitter() {
    let text = role(
        "ClusterRole",
        None,
        "r",
        "[{apiGroups: [''], resources: [secrets, pods/exec], verbs: [get]}]",
    ) + &binding(
        "ClusterRoleBinding",
        None,
        "b",
        "ClusterRole",
        "r",
        "[{kind: User, name: a}]",
    );
    let config = Config::parse(
        "palisade.yaml",
        "apiVersion: palisade.dev/v1\nrules:\n  PAL-RBAC-013: {enabled: false}\n  PAL-RBAC-015: {severity: low}\n",
    )
    .unwrap();
    let f = palisade_rbac::check_inventory(&inventory(&text), &config);
    let got: Vec<(&str, Severity)> = f.iter().map(|f| (&*f.rule_id, f.severity)).collect();
    assert_eq!(got, [("PAL-RBAC-015", Severity::Low)]);
    // A disabled risk still grades the rules that summarise risks.
    let public = text.replace(
        "{kind: User, name: a}",
        "{kind: Group, name: 'system:authenticated'}",
    );
    let f = palisade_rbac::check_inventory(&inventory(&public), &config);
    let graded = f.iter().find(|f| f.rule_id == "PAL-RBAC-022").unwrap();
    assert_eq!(graded.severity, Severity::Critical);
    assert!(
        graded.message.contains("read Secrets"),
        "{}",
        graded.message
    );
}

fn workload_with(pod_extra: &str, sa_extra: &str, volumes: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: app, namespace: a}}\n{sa_extra}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: a}}\nspec:\n  serviceAccountName: app\n{pod_extra}  containers: [{{name: c, image: x}}]\n{volumes}---\n"
    ) + &role("Role", Some("a"), "r", "[{apiGroups: [''], resources: [secrets], verbs: [list]}]")
        + &binding("RoleBinding", Some("a"), "b", "Role", "r", "[{kind: ServiceAccount, name: app}]")
}

fn workload_finding(text: &str) -> Finding {
    findings(text)
        .into_iter()
        .find(|f| f.rule_id == "PAL-RBAC-024")
        .expect("a PAL-RBAC-024 finding")
}

#[test]
fn workload_severity_follows_the_token_mount() {
    let mounted = workload_finding(&workload_with("", "", ""));
    assert_eq!(
        (mounted.severity, mounted.location.line),
        (Severity::Medium, 9)
    );
    assert!(
        mounted.message.contains("neither the pod nor the account"),
        "{}",
        mounted.message
    );

    let account_off = workload_finding(&workload_with(
        "",
        "automountServiceAccountToken: false\n",
        "",
    ));
    assert_eq!(account_off.severity, Severity::Low);
    assert!(account_off
        .message
        .contains("the account sets automountServiceAccountToken: false"));

    // The pod's setting wins over the account's.
    let pod_on = workload_finding(&workload_with(
        "  automountServiceAccountToken: true\n",
        "automountServiceAccountToken: false\n",
        "",
    ));
    assert_eq!(pod_on.severity, Severity::Medium);

    // A projected token volume mounts a token whatever automounting says.
    let projected = workload_finding(&workload_with(
        "  automountServiceAccountToken: false\n",
        "",
        "  volumes: [{name: t, projected: {sources: [{serviceAccountToken: {path: token}}]}}]\n",
    ));
    assert_eq!(projected.severity, Severity::Medium);
    assert!(projected.message.contains("projected"));
}

#[test]
fn bad_rbac_input_is_reported_with_lines_and_the_rest_analysed() {
    let text = format!("{RB}kind: RoleBinding\nmetadata: {{name: x, namespace: a}}\nsubjects: [{{kind: User, name: u}}]\n---\n")
        + &role("ClusterRole", None, "r", "[{apiGroups: [''], resources: [secrets], verbs: [list]}]")
        + &binding("ClusterRoleBinding", None, "b", "ClusterRole", "r", "[{kind: User, name: a}]");
    let got = hits(&text);
    assert!(
        got.contains(&("PAL-RBAC-026".to_string(), 1, Severity::Medium)),
        "{got:?}"
    );
    assert!(got.iter().any(|(r, _, _)| r == "PAL-RBAC-013"), "{got:?}");
}

#[test]
fn odd_shapes_do_not_panic() {
    let docs = [
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: [x]\nsubjects: 3\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\nroleRef: {kind: Role, name: r}\nsubjects: [null, 1, {kind: [x]}, {kind: ServiceAccount}]\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules: [null, 3, {verbs: x, resources: {a: b}}, {apiGroups: [[x]], verbs: ['*', null], resources: [secrets]}]\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {serviceAccountName: [x], automountServiceAccountToken: 3, volumes: [{projected: 5}], containers: []}\n",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}\nautomountServiceAccountToken: [x]\n",
    ];
    let all = docs.join("---\n");
    for d in docs.iter().copied().chain([all.as_str()]) {
        let _ = findings(d);
    }
    // A Pod in no namespace meets RBAC objects in no namespace, never `default`.
    let f = findings(&format!(
        "{}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {{containers: [{{name: c, image: x}}]}}\n",
        role("Role", None, "r", "[{apiGroups: [''], resources: [pods/exec], verbs: [create]}]")
            + &binding("RoleBinding", None, "b", "Role", "r", "[{kind: ServiceAccount, name: default}]")
    ));
    assert!(f.iter().any(|f| f.rule_id == "PAL-RBAC-024"), "{f:?}");
}

/// 5,000 roles, 20,000 bindings, 2,000 service accounts with a workload each: the issue's
/// size. Debug builds are several times slower than release; the bound catches quadratic
/// behaviour, not tuning (`cargo test --release -p palisade-rbac --test risks scale -- --nocapture`
/// prints the release figure).
#[test]
fn scale_of_the_issue_analyses_quickly() {
    let mut text = String::new();
    for i in 0..5_000 {
        let ns = i % 50;
        let rules = match i % 4 {
            0 => "[{apiGroups: [''], resources: [secrets, configmaps], verbs: [get, list]}]",
            1 => "[{apiGroups: [apps], resources: [deployments], verbs: [create, patch]}, {apiGroups: [''], resources: [pods/exec], verbs: [create]}]",
            2 => "[{apiGroups: [''], resources: [configmaps], verbs: [get]}]",
            _ => "[{apiGroups: ['*'], resources: ['*'], verbs: [get, list, watch]}]",
        };
        text.push_str(&role(
            "Role",
            Some(&format!("ns{ns}")),
            &format!("r{i}"),
            rules,
        ));
    }
    for i in 0..20_000 {
        let ns = i % 50;
        let r = (i % 100) * 50 + ns;
        let subjects = format!(
            "[{{kind: ServiceAccount, name: sa{}}}, {{kind: User, name: u{i}}}]",
            i % 40
        );
        text.push_str(&binding(
            "RoleBinding",
            Some(&format!("ns{ns}")),
            &format!("b{i}"),
            "Role",
            &format!("r{r}"),
            &subjects,
        ));
    }
    for i in 0..2_000 {
        let ns = i % 50;
        text.push_str(&format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa{}, namespace: ns{ns}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: ns{ns}}}\nspec: {{serviceAccountName: sa{}, containers: [{{name: c, image: x}}]}}\n---\n",
            i / 50,
            i / 50
        ));
    }
    let inv = inventory(&text);
    assert!(inv.errors.is_empty());
    let start = Instant::now();
    let f = palisade_rbac::check_inventory(&inv, &Config::default());
    let took = start.elapsed();
    println!(
        "{} objects: {} findings in {took:?}",
        inv.objects.len(),
        f.len()
    );
    assert!(f.iter().any(|f| f.rule_id == "PAL-RBAC-024"));
    assert!(f.len() > 20_000);
    assert!(took.as_secs_f64() < 15.0, "{took:?}");
}

#[test]
fn without_rbac_objects_the_bootstrap_policy_alone_reports_nothing() {
    // What lets check_inventory skip building the policy for inputs without RBAC objects:
    // the full analysis over the bootstrap policy alone finds nothing, even for workloads in
    // kube-system and accounts named like the built-in users.
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\nspec: {serviceAccountName: kube-proxy, containers: [{name: c, image: x}]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: default}\nspec: {template: {spec: {containers: [{name: c, image: x}]}}}\n";
    let inv = inventory(text);
    let policy = palisade_rbac::Policy::from_inventory(&inv, &palisade_rbac::Options::default());
    assert!(!policy.bindings().is_empty());
    let f = palisade_rbac::check_policy(&policy, &inv, &Config::default());
    assert!(f.is_empty(), "{f:?}");
    assert!(palisade_rbac::check_inventory(&inv, &Config::default()).is_empty());
}

/// The workloads' accounts read input by input (as a scan reads them, while each input is in
/// cache) make the same findings as the whole inventory read at once; a read that does not
/// line up with the inventory is read again.
#[test]
fn accounts_read_ahead_per_input_judge_as_the_whole_inventory() {
    let first = binding(
        "RoleBinding",
        Some("shop"),
        "web-edit",
        "ClusterRole",
        "edit",
        "[{kind: ServiceAccount, name: web}, {kind: ServiceAccount, name: default}]",
    ) + "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\nautomountServiceAccountToken: false\n";
    let second = "apiVersion: v1\nkind: Pod\nmetadata: {name: named, namespace: shop}\nspec: {serviceAccountName: web, containers: [{name: c, image: x}]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: old-field, namespace: shop}\nspec: {template: {spec: {serviceAccount: web, containers: [{name: c, image: x}]}}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: unnamed, namespace: shop}\nspec: {template: {spec: {serviceAccountName: '', containers: [{name: c, image: x}]}}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: elsewhere, namespace: other}\nspec: {serviceAccountName: web, containers: [{name: c, image: x}]}\n";
    let mut inv = Inventory::default();
    inv.add(load_str("a.yaml", &first, &LoadLimits::default()));
    let split = inv.objects.len();
    inv.add(load_str("b.yaml", second, &LoadLimits::default()));
    let config = Config::default();
    let shown = |f: Vec<Finding>| -> Vec<(String, String, u32, Severity, String)> {
        let mut v: Vec<_> = f
            .into_iter()
            .map(|f| {
                let name = f.object.name.clone();
                (
                    f.rule_id.into_owned(),
                    name,
                    f.location.line,
                    f.severity,
                    f.message.into_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let whole = shown(palisade_rbac::check_inventory(&inv, &config));
    let mut read = palisade_rbac::read_ahead(&inv.objects[..split]);
    read.append(palisade_rbac::read_ahead(&inv.objects[split..]));
    assert_eq!(read.len(), inv.objects.len());
    let ahead = shown(palisade_rbac::check_inventory_read(
        &inv,
        &config,
        Some(&read),
    ));
    assert_eq!(ahead, whole);
    let short = palisade_rbac::read_ahead(&inv.objects[..split]);
    let again = shown(palisade_rbac::check_inventory_read(
        &inv,
        &config,
        Some(&short),
    ));
    assert_eq!(again, whole);
    // The rule fired on the workloads in `shop`, by either field and by the default account
    // (token not mounted for `web`, whose ServiceAccount opts out), not on the one elsewhere.
    let workloads: Vec<(&str, u32, Severity)> = whole
        .iter()
        .filter(|f| f.0 == "PAL-RBAC-024")
        .map(|f| (f.1.as_str(), f.2, f.3))
        .collect();
    assert_eq!(
        workloads,
        [
            ("named", 4, Severity::Low),
            ("old-field", 9, Severity::Low),
            ("unnamed", 14, Severity::High),
        ],
        "{whole:?}"
    );
}
