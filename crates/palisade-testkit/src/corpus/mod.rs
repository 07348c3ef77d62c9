//! A seeded generator of RBAC corpora: a few hundred Roles, ClusterRoles (some aggregated, some
//! labelled for aggregation, some chained), RoleBindings and ClusterRoleBindings over a small
//! universe of namespaces, users, groups and service accounts, with questions to ask about them.
//!
//! What a corpus exercises: wildcards in every position of a rule (`apiGroups`, `resources`,
//! `verbs`, `nonResourceURLs`), subresources (`pods/exec`, `*/scale`, `deployments/scale`, the
//! literal `pods/*`), `resourceNames`, `*`-suffixed non-resource URLs (ClusterRoles only, and
//! ineffective through RoleBindings), aggregation selectors (`matchLabels`, `In`, `NotIn`, `Exists`,
//! ORed selectors, chains, the built-in `aggregate-to-view/edit/admin` labels), bindings to the
//! bootstrap `view`/`edit`/`admin`/`cluster-admin`, dangling role references, and subjects of
//! every kind: users, groups, service accounts (namespace given, defaulted by a RoleBinding, or
//! another namespace), a service account named as a User, and the implicit groups
//! `system:authenticated`, `system:unauthenticated`, `system:serviceaccounts` and
//! `system:serviceaccounts:NS`.
//!
//! Compare against the API server's *state*, not only the corpus: the bootstrap policy (e.g.
//! `system:discovery` granting `/version` and `/api` to every authenticated user, the
//! `view`/`edit`/`admin` roles) answers some questions too. [`crate::ApiServer::get_yaml`] dumps it.

mod generate;
mod model;
mod questions;
mod universe;

use crate::sar::{Attributes, Sar, Subject};

/// The corpus's namespaces.
pub const CORPUS_NAMESPACES: [&str; 6] = universe::NAMESPACES;
/// The groups (besides the implicit ones) corpus bindings name.
pub const CORPUS_GROUPS: [&str; 5] = universe::GROUPS;

/// The same seed and size always give the same corpus.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// The seed it was drawn from.
    pub seed: u64,
    /// Every object as one YAML stream, in applying order: Namespaces, ServiceAccounts, Roles,
    /// ClusterRoles, RoleBindings, ClusterRoleBindings. Valid for the API server.
    pub yaml: String,
    /// How many RBAC objects (roles, cluster roles, bindings) the stream holds.
    pub rbac_objects: usize,
    /// Names of the generated ClusterRoles with an `aggregationRule`; each is built so that at
    /// least one generated ClusterRole with rules is selected (wait for them with
    /// [`crate::ApiServer::wait_aggregated`]).
    pub aggregated: Vec<String>,
    /// Every subject of the universe, with its groups as the authenticator sets them: ten users,
    /// ten service accounts, and `system:anonymous` (group `system:unauthenticated`).
    pub subjects: Vec<Subject>,
    /// Distinct questions, aimed at the corpus's grants and just beside them. A few name service
    /// accounts outside [`Corpus::subjects`] (ones a binding names in a namespace where the
    /// universe has none).
    pub questions: Vec<Sar>,
}

impl Corpus {
    /// The distinct request attributes of [`Corpus::questions`], in first-asked order: the
    /// "who can do this?" questions.
    pub fn attributes(&self) -> Vec<Attributes> {
        let mut seen = std::collections::HashSet::new();
        self.questions
            .iter()
            .filter(|q| seen.insert(&q.attributes))
            .map(|q| q.attributes.clone())
            .collect()
    }

    /// One question per subject of the universe about `attributes`: the SAR side of a who-can
    /// comparison (the subjects allowed are the ones the authorizer says yes to).
    pub fn who_can_questions(&self, attributes: &Attributes) -> Vec<Sar> {
        self.subjects
            .iter()
            .map(|s| Sar::new(s.clone(), attributes.clone()))
            .collect()
    }
}

/// Draws a corpus of about `size` RBAC objects (at least 12) and `2 * size` questions from `seed`.
pub fn rbac_corpus(seed: u64, size: usize) -> Corpus {
    let mut rng = fastrand::Rng::with_seed(seed);
    let objects = generate::objects(&mut rng, size);
    let subjects = universe::subjects();
    let questions = questions::questions(&mut rng, &objects, &subjects, 2 * size.max(12));

    let mut yaml = format!("# palisade-testkit RBAC corpus, seed {seed}, size {size}\n");
    for ns in universe::NAMESPACES {
        model::namespace_yaml(&mut yaml, ns);
    }
    for (ns, name) in universe::SERVICE_ACCOUNTS {
        model::service_account_yaml(&mut yaml, universe::NAMESPACES[ns], name);
    }
    for role in objects.roles.iter().chain(&objects.cluster_roles) {
        role.write_yaml(&mut yaml);
    }
    for binding in &objects.bindings {
        binding.write_yaml(&mut yaml);
    }
    Corpus {
        seed,
        yaml,
        rbac_objects: objects.roles.len() + objects.cluster_roles.len() + objects.bindings.len(),
        aggregated: objects.aggregated,
        subjects,
        questions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::inventory::{load_str, LoadLimits};

    #[test]
    fn same_seed_same_corpus_other_seed_other_corpus() {
        let a = rbac_corpus(7, 120);
        let b = rbac_corpus(7, 120);
        let c = rbac_corpus(8, 120);
        assert_eq!(a.yaml, b.yaml);
        assert_eq!(a.questions, b.questions);
        assert_ne!(a.yaml, c.yaml);
    }

    #[test]
    fn corpus_has_the_promised_shapes() {
        let c = rbac_corpus(1, 300);
        assert_eq!(c.rbac_objects, 300);
        assert_eq!(c.questions.len(), 600);
        assert_eq!(c.aggregated.len(), 10);
        for needle in [
            "kind: Role\n",
            "kind: ClusterRole\n",
            "kind: RoleBinding\n",
            "kind: ClusterRoleBinding\n",
            "aggregationRule:",
            "operator: NotIn",
            "resourceNames:",
            "nonResourceURLs:",
            "\"*/scale\"",
            "\"pods/exec\"",
            "\"deployments/scale\"",
            "apiGroups: [\"*\"]",
            "verbs: [\"*\"]",
            "kind: ServiceAccount\n",
            "\"system:serviceaccounts:",
            "\"system:authenticated\"",
        ] {
            assert!(c.yaml.contains(needle), "no {needle:?} in the corpus");
        }
        let non_resource = c
            .questions
            .iter()
            .filter(|q| matches!(q.attributes, Attributes::NonResource(_)))
            .count();
        assert!(non_resource > 20 && non_resource < 300, "{non_resource}");
        let cluster_wide = c
            .questions
            .iter()
            .filter(|q| matches!(&q.attributes, Attributes::Resource(r) if r.namespace.is_empty()))
            .count();
        assert!(cluster_wide > 20, "{cluster_wide}");
    }

    #[test]
    fn who_can_asks_every_subject_about_distinct_attributes() {
        let c = rbac_corpus(2, 100);
        let attributes = c.attributes();
        let distinct: std::collections::HashSet<_> =
            c.questions.iter().map(|q| &q.attributes).collect();
        assert_eq!(attributes.len(), distinct.len());
        assert_eq!(attributes[0], c.questions[0].attributes);
        let asked = c.who_can_questions(&attributes[1]);
        assert_eq!(asked.len(), c.subjects.len());
        assert!(asked.iter().all(|q| q.attributes == attributes[1]));
        assert_eq!(c.subjects.len(), 21);
    }

    #[test]
    fn non_resource_urls_only_in_cluster_roles_and_every_rule_has_verbs() {
        let c = rbac_corpus(3, 300);
        for doc in c.yaml.split("---\n") {
            if doc.contains("nonResourceURLs") {
                assert!(doc.contains("kind: ClusterRole\n"), "{doc}");
            }
            for rule in doc.split("\n- ").skip(1) {
                if rule.contains("apiGroups") || rule.contains("nonResourceURLs") {
                    assert!(rule.contains("verbs: ["), "rule without verbs: {rule}");
                }
            }
        }
    }

    #[test]
    fn palisade_core_loads_the_corpus_without_errors() {
        let c = rbac_corpus(5, 300);
        let loaded = load_str("corpus.yaml", &c.yaml, &LoadLimits::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors.first());
        // Namespaces + service accounts + RBAC objects.
        assert_eq!(loaded.objects.len(), 6 + 10 + c.rbac_objects);
        let bindings = loaded
            .objects
            .iter()
            .filter(|o| o.is("RoleBinding"))
            .count();
        assert!(bindings > 50, "{bindings}");
    }
}
