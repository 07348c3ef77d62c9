//! Proves the harness against the real API server: authorization answers change with applied
//! bindings, the real aggregation controller fills aggregated ClusterRoles, and a generated corpus
//! loads and gets a mix of allowed and denied answers.
//!
//! Needs the build `scripts/setup.sh` makes; without it the test fails (it does not skip).

use std::time::{Duration, Instant};

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_testkit::{rbac_corpus, ApiServer, Attributes, Sar, Subject};

const AGGREGATION_TIMEOUT: Duration = Duration::from_secs(20);

fn alice_get_pods() -> Sar {
    Sar::new(
        Subject::user("alice", &["devs"]),
        Attributes::resource("team-a", "get", "", "pods"),
    )
}

const GRANT: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: team-a}
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads-pods, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}
"#;

const AGGREGATED: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: smoke-aggregate}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {smoke.palisade.test/aggregate: "true"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: smoke-source
  labels: {smoke.palisade.test/aggregate: "true"}
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["watch"]
"#;

#[test]
fn apiserver_smoke() {
    let t0 = Instant::now();
    let server = ApiServer::start().expect("start the test API server");
    let started = t0.elapsed();

    // Denied before any binding; the static-token user agrees through kubectl.
    let before = server.subject_access_review(&alice_get_pods()).unwrap();
    assert!(!before.allowed && !before.denied, "{before:?}");
    server.apply(GRANT).unwrap();
    let after = server.subject_access_review(&alice_get_pods()).unwrap();
    assert!(after.allowed, "{after:?}");
    assert!(
        after
            .reason
            .contains(r#"RoleBinding "alice-reads-pods/team-a" of Role "pod-reader""#),
        "{after:?}"
    );
    let can_i = server
        .kubectl(
            &[
                "--context=alice",
                "auth",
                "can-i",
                "list",
                "pods",
                "-n",
                "team-a",
            ],
            None,
        )
        .unwrap();
    assert_eq!(can_i.trim(), "yes");
    // The grant stops at its verbs and its namespace.
    let mut elsewhere = alice_get_pods();
    elsewhere.attributes = Attributes::resource("team-b", "get", "", "pods");
    assert!(!server.subject_access_review(&elsewhere).unwrap().allowed);

    // The server validates what it is given, and apply reports its refusal.
    let invalid = server
        .apply(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: bad, namespace: team-a}\n\
             rules:\n- {nonResourceURLs: [\"/metrics\"], verbs: [get]}\n- {apiGroups: [\"\"], resources: [pods]}\n",
        )
        .unwrap_err()
        .to_string();
    assert!(
        invalid.contains("namespaced rules cannot apply to non-resource URLs"),
        "{invalid}"
    );
    assert!(invalid.contains("verbs: Required value"), "{invalid}");

    // The real clusterrole-aggregation controller fills the aggregated role.
    server.apply(AGGREGATED).unwrap();
    let rules = server
        .wait_aggregated("smoke-aggregate", AGGREGATION_TIMEOUT)
        .unwrap();
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert_eq!(rules[0]["resources"][0], "configmaps");
    assert_eq!(rules[0]["verbs"][0], "watch");

    // A generated corpus loads as it is and its questions get both answers.
    let seed = std::env::var("PALISADE_TESTKIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261130);
    let corpus = rbac_corpus(seed, 300);
    let t_apply = Instant::now();
    server.apply(&corpus.yaml).unwrap();
    let applied = t_apply.elapsed();
    let t_agg = Instant::now();
    for name in &corpus.aggregated {
        server.wait_aggregated(name, AGGREGATION_TIMEOUT).unwrap();
    }
    server
        .wait_aggregation_settled(Duration::from_millis(500), AGGREGATION_TIMEOUT)
        .unwrap();
    let aggregated = t_agg.elapsed();

    let dump = server
        .get_yaml("clusterroles,clusterrolebindings,roles,rolebindings")
        .unwrap();
    // Palisade's own loader reads the dump (a `kind: List`) and finds every generated object.
    let loaded = load_str("dump.yaml", &dump, &LoadLimits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors.first());
    let generated = loaded
        .objects
        .iter()
        .filter(|o| o.id.name.starts_with("gen-"))
        .count();
    assert_eq!(
        generated, corpus.rbac_objects,
        "objects named gen-* in the dump"
    );

    let t_sar = Instant::now();
    let answers = server.subject_access_reviews(&corpus.questions).unwrap();
    let asked = t_sar.elapsed();
    let allowed = answers.iter().filter(|a| a.allowed).count();
    let denied = answers.len() - allowed;
    for (q, a) in corpus.questions.iter().zip(&answers) {
        assert!(!a.denied, "RBAC never denies explicitly: {q} -> {a:?}");
        if a.allowed {
            assert!(a.reason.starts_with("RBAC: allowed by "), "{q} -> {a:?}");
        }
    }
    // Who-can: every subject asked about a few attributes; the allowed sets differ.
    let t_who = Instant::now();
    let mut allowed_sets = std::collections::HashSet::new();
    for attributes in corpus.attributes().iter().take(30) {
        let asked = corpus.who_can_questions(attributes);
        let answers = server.subject_access_reviews(&asked).unwrap();
        let who: Vec<String> = asked
            .iter()
            .zip(&answers)
            .filter(|(_, a)| a.allowed)
            .map(|(q, _)| q.subject.user.clone())
            .collect();
        allowed_sets.insert(who);
    }
    let who_can = t_who.elapsed();
    assert!(allowed_sets.len() > 5, "{allowed_sets:?}");
    let share = allowed * 100 / answers.len();
    assert!(
        (10..=90).contains(&share),
        "{allowed} allowed, {denied} denied of {}",
        answers.len()
    );
    eprintln!(
        "apiserver_smoke: seed {seed}; start {started:.1?}; apply {} objects {applied:.1?}; \
         aggregation {aggregated:.1?}; {} SARs {asked:.1?} ({allowed} allowed, {denied} not); \
         who-can for 30 attributes {who_can:.1?}; total {:.1?}",
        corpus.rbac_objects,
        answers.len(),
        t0.elapsed()
    );
}
