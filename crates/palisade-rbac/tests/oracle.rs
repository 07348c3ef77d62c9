//! The real authorizer as oracle: a few hundred generated roles, cluster roles (with
//! aggregation, filled by the real clusterrole-aggregation controller) and bindings are
//! applied to a real kube-apiserver (v1.20.2, on loopback; `scripts/setup.sh` builds it),
//! and every question is asked both of its SubjectAccessReview API and of Palisade:
//! `allows`, `who_can` (per attribute set, over the whole subject universe) and `access`
//! must give the same answer, question by question.
//!
//! Palisade reads the server's own state (`kubectl get -o yaml` of every RBAC kind), so the
//! server's bootstrap roles are input, as in a dump; a second pass reads the generated YAML
//! alone, with Palisade's own built-in roles and aggregation standing in for the server's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_rbac::{
    access, rule_allows, who_can, Attributes, GrantSubjectKind, Options, Policy, Query, Request,
    ResourceAttributes, ResourceSpec, Rule, Subject, Target, UserInfo,
};
use palisade_testkit::{rbac_corpus, ApiServer, Sar};

fn policy(text: &str, bootstrap: bool) -> Policy {
    let loaded = load_str("state.yaml", text, &LoadLimits::default());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    Policy::from_objects(
        &loaded.objects,
        &Options {
            bootstrap,
            ..Options::default()
        },
    )
}

fn attributes(a: &palisade_testkit::Attributes) -> Attributes {
    match a {
        palisade_testkit::Attributes::Resource(r) => Attributes {
            verb: r.verb.clone(),
            namespace: r.namespace.clone(),
            target: Target::Resource(ResourceAttributes {
                api_group: r.group.clone(),
                resource: r.resource.clone(),
                subresource: r.subresource.clone(),
                name: r.name.clone(),
            }),
        },
        palisade_testkit::Attributes::NonResource(n) => Attributes {
            verb: n.verb.clone(),
            namespace: String::new(),
            target: Target::NonResource {
                path: n.path.clone(),
            },
        },
    }
}

fn request(sar: &Sar) -> Request {
    Request {
        user: UserInfo {
            name: sar.subject.user.clone(),
            groups: sar.subject.groups.clone(),
        },
        attributes: attributes(&sar.attributes),
    }
}

/// The who-can question for a SAR's attributes.
fn query(a: &palisade_testkit::Attributes) -> Query {
    match a {
        palisade_testkit::Attributes::Resource(r) => Query {
            verb: r.verb.clone(),
            resource: ResourceSpec::Resource {
                api_group: r.group.clone(),
                resource: r.resource.clone(),
                subresource: r.subresource.clone(),
                resolved_from: None,
            },
            namespace: Some(r.namespace.clone()).filter(|n| !n.is_empty()),
            name: Some(r.name.clone()).filter(|n| !n.is_empty()),
        },
        palisade_testkit::Attributes::NonResource(n) => Query {
            verb: n.verb.clone(),
            resource: ResourceSpec::NonResource {
                path: n.path.clone(),
            },
            namespace: None,
            name: None,
        },
    }
}

/// Does the who-can answer include this subject, directly or through one of its groups?
/// A question without a namespace is a cluster-wide request: only grants that hold
/// cluster-wide count.
fn who_can_includes(grants: &[palisade_rbac::Grant], user: &UserInfo, cluster_only: bool) -> bool {
    grants.iter().any(|g| {
        let named = match g.subject.kind {
            GrantSubjectKind::User => g.subject.name == user.name,
            GrantSubjectKind::Group => user.groups.contains(&g.subject.name),
            GrantSubjectKind::ServiceAccount => {
                format!(
                    "system:serviceaccount:{}:{}",
                    g.subject.namespace.as_deref().unwrap_or(""),
                    g.subject.name
                ) == user.name
            }
        };
        named && (!cluster_only || g.via.iter().any(|v| v.namespace.is_none()))
    })
}

/// The subject of a SAR as Palisade's query side names it.
fn subject(user: &UserInfo) -> Subject {
    match user.name.strip_prefix("system:serviceaccount:") {
        Some(rest) => {
            let (ns, name) = rest.split_once(':').unwrap();
            Subject::ServiceAccount {
                namespace: ns.into(),
                name: name.into(),
            }
        }
        None => Subject::User {
            name: user.name.clone(),
        },
    }
}

/// Does the access matrix cover the request (in the request's namespace or cluster-wide)?
fn access_allows(matrix: &palisade_rbac::AccessMatrix, attrs: &Attributes) -> bool {
    matrix.scopes.iter().any(|scope| {
        let in_scope = match scope.namespace.as_deref() {
            None => true,
            Some(ns) => !attrs.namespace.is_empty() && ns == attrs.namespace,
        };
        in_scope
            && scope.entries.iter().any(|e| {
                let rule = match &e.target {
                    palisade_rbac::AccessTarget::Resource {
                        api_group,
                        resource,
                        resource_names,
                    } => Rule {
                        verbs: e.verbs.clone(),
                        api_groups: vec![api_group.clone()],
                        resources: vec![resource.clone()],
                        resource_names: resource_names.clone(),
                        non_resource_urls: Vec::new(),
                        location: None,
                        aggregated_from: None,
                    },
                    palisade_rbac::AccessTarget::NonResource { url } => Rule {
                        verbs: e.verbs.clone(),
                        api_groups: Vec::new(),
                        resources: Vec::new(),
                        resource_names: Vec::new(),
                        non_resource_urls: vec![url.clone()],
                        location: None,
                        aggregated_from: None,
                    },
                };
                rule_allows(attrs, &rule)
            })
    })
}

#[test]
fn palisade_answers_as_the_real_authorizer_does() {
    let mut questions = 0;
    let mut allowed = 0;
    for (seed, size) in [(7_u64, 300_usize), (11, 300)] {
        // A fresh server per corpus: the corpora reuse object names.
        let server = ApiServer::start().expect("the real kube-apiserver (run scripts/setup.sh)");
        let corpus = rbac_corpus(seed, size);
        server.apply(&corpus.yaml).unwrap();
        for name in &corpus.aggregated {
            server
                .wait_aggregated(name, Duration::from_secs(30))
                .unwrap();
        }
        server
            .wait_aggregation_settled(Duration::from_millis(500), Duration::from_secs(30))
            .unwrap();
        let state = server
            .get_yaml("clusterroles,clusterrolebindings,roles,rolebindings")
            .unwrap();
        let from_state = policy(&state, false);
        let answers = server.subject_access_reviews(&corpus.questions).unwrap();
        let mut wrong = Vec::new();
        for (q, a) in corpus.questions.iter().zip(&answers) {
            let r = request(q);
            let ours = from_state.allows(&r).is_allowed();
            questions += 1;
            allowed += usize::from(a.allowed);
            if ours != a.allowed {
                wrong.push(format!(
                    "{q}: server {} ({}), palisade {ours}",
                    a.allowed, a.reason
                ));
            }
            let matrix = access(&from_state, &subject(&r.user));
            if access_allows(&matrix, &r.attributes) != a.allowed
                && r.user.groups == subject(&r.user).user_info().groups
            {
                wrong.push(format!(
                    "{q}: access matrix disagrees with the server ({})",
                    a.allowed
                ));
            }
        }
        // who-can: per attribute set, every subject of the universe.
        for attrs in corpus.attributes() {
            let sars = corpus.who_can_questions(&attrs);
            let answers = server.subject_access_reviews(&sars).unwrap();
            let q = query(&attrs);
            let cluster_only = q.namespace.is_none();
            let grants = who_can(&from_state, &q);
            for (sar, a) in sars.iter().zip(&answers) {
                let r = request(sar);
                if who_can_includes(&grants, &r.user, cluster_only) != a.allowed {
                    wrong.push(format!(
                        "who-can {sar}: server {} ({})",
                        a.allowed, a.reason
                    ));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "seed {seed}: {} disagreements:\n{}",
            wrong.len(),
            wrong.join("\n")
        );

        // The generated YAML alone, with Palisade's aggregation and built-in roles standing in
        // for the server's: the corpus's questions get the same answers.
        let from_yaml = policy(&corpus.yaml, true);
        let mut wrong = Vec::new();
        for (q, a) in corpus.questions.iter().zip(&answers) {
            if from_yaml.allows(&request(q)).is_allowed() != a.allowed {
                wrong.push(format!("{q}: server {} ({})", a.allowed, a.reason));
            }
        }
        assert!(
            wrong.is_empty(),
            "seed {seed}, from the YAML: {} disagreements:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
    // The questions are aimed to hit both answers.
    assert!(
        questions >= 1000 && allowed * 10 > questions && allowed * 10 < questions * 9,
        "{allowed}/{questions}"
    );
}
