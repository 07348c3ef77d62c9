//! [`Policy`]: the roles and bindings of an input joined with the bootstrap defaults,
//! aggregated, resolved and indexed, and the authorizer's decision over them.

use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::HashMap;
use palisade_core::{Inventory, Object};

use crate::aggregate;
use crate::authorize::{applies_to, rule_allows, Decision, Request, UserInfo};
use crate::bootstrap;
use crate::model::{
    self, Binding, BindingKind, Origin, Problem, ProblemKind, Role, RoleKind, SubjectKind,
    UNSET_NAMESPACE,
};

/// How to build a [`Policy`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Add the bootstrap ClusterRoles and ClusterRoleBindings whose names the input does not
    /// define (default: true). Each one keeps `Origin::Bootstrap`.
    pub bootstrap: bool,
    /// Namespace for namespaced RBAC objects written without one (default:
    /// [`UNSET_NAMESPACE`]; never a guessed `default`).
    pub unset_namespace: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            bootstrap: true,
            unset_namespace: UNSET_NAMESPACE.to_string(),
        }
    }
}

/// Index of a role in [`Policy::roles`].
pub type RoleId = usize;
/// Index of a binding in [`Policy::bindings`].
pub type BindingId = usize;

/// Every role and binding, resolved and indexed for queries.
#[derive(Debug, Default)]
pub struct Policy {
    roles: Vec<Role>,
    bindings: Vec<Binding>,
    problems: Vec<Problem>,
    /// The role each binding refers to, when it exists.
    resolved: Vec<Option<RoleId>>,
    cluster_roles: HashMap<Arc<str>, RoleId>,
    namespaced_roles: HashMap<(Arc<str>, Arc<str>), RoleId>,
    bindings_by_role: Vec<Vec<BindingId>>,
    cluster_bindings: Vec<BindingId>,
    role_bindings: BTreeMap<Arc<str>, Vec<BindingId>>,
    by_user: HashMap<String, Vec<BindingId>>,
    by_group: HashMap<String, Vec<BindingId>>,
    /// ServiceAccount subjects by effective (namespace, name).
    by_service_account: HashMap<(String, String), Vec<BindingId>>,
}

impl Policy {
    /// Builds the policy of an inventory's objects.
    pub fn from_inventory(inventory: &Inventory, options: &Options) -> Policy {
        Policy::from_objects(&inventory.objects, options)
    }

    /// Builds the policy of any mix of objects (non-RBAC objects are ignored).
    pub fn from_objects(objects: &[Object], options: &Options) -> Policy {
        Policy::from_selected(objects, options)
    }

    /// [`Policy::from_objects`] over objects picked out of an inventory, in its order.
    pub fn from_selected<'a>(
        objects: impl IntoIterator<Item = &'a Object>,
        options: &Options,
    ) -> Policy {
        let input_origin = |o: &Object| Origin::Input {
            object: Arc::clone(&o.id),
            location: o.location(),
        };
        let parsed = model::parse_objects(objects, &options.unset_namespace, &input_origin);
        let mut roles = parsed.roles;
        let mut bindings = parsed.bindings;
        let mut problems = parsed.problems;
        if options.bootstrap {
            let defaults = bootstrap::policy();
            let has_role = |roles: &[Role], name: &str| {
                roles
                    .iter()
                    .any(|r| r.kind == RoleKind::ClusterRole && &*r.name == name)
            };
            for role in defaults.roles {
                if !has_role(&roles, &role.name) {
                    roles.push(role);
                }
            }
            for b in defaults.bindings {
                let defined = bindings
                    .iter()
                    .any(|x| x.kind == BindingKind::ClusterRoleBinding && x.name == b.name);
                if !defined {
                    bindings.push(b);
                }
            }
        }
        aggregate::aggregate(&mut roles, &mut problems);
        let mut policy = Policy {
            roles,
            bindings,
            problems,
            ..Policy::default()
        };
        policy.index();
        policy
    }

    fn index(&mut self) {
        for (id, role) in self.roles.iter().enumerate() {
            match &role.namespace {
                None => self.cluster_roles.insert(Arc::clone(&role.name), id),
                Some(ns) => self
                    .namespaced_roles
                    .insert((Arc::clone(ns), Arc::clone(&role.name)), id),
            };
        }
        self.bindings_by_role = vec![Vec::new(); self.roles.len()];
        for (id, b) in self.bindings.iter().enumerate() {
            let role = self.resolve(b);
            if role.is_none() {
                if let (Some(r), Origin::Input { object, .. }) = (&b.role_ref, &b.origin) {
                    if matches!(
                        (b.kind, r.kind.as_str()),
                        (_, "ClusterRole") | (BindingKind::RoleBinding, "Role")
                    ) {
                        let message = match &b.namespace {
                            Some(ns) if r.kind == "Role" => format!(
                                "Role `{}` is not in namespace {ns} in the input (a RoleBinding's \
                                 Role is looked up in the binding's own namespace): this binding \
                                 grants nothing that can be shown",
                                r.name
                            ),
                            _ => format!(
                                "ClusterRole `{}` is neither in the input nor a Kubernetes {} \
                                 default: this binding grants nothing that can be shown",
                                r.name,
                                crate::BOOTSTRAP_VERSION
                            ),
                        };
                        self.problems.push(Problem {
                            location: r.location.clone().unwrap_or_else(|| b.origin_location()),
                            object: Arc::clone(object),
                            kind: ProblemKind::RoleNotFound,
                            message,
                        });
                    }
                }
            }
            self.resolved.push(role);
            if let Some(r) = role {
                self.bindings_by_role[r].push(id);
            }
            match &b.namespace {
                None => self.cluster_bindings.push(id),
                Some(ns) => self
                    .role_bindings
                    .entry(Arc::clone(ns))
                    .or_default()
                    .push(id),
            }
            for s in &b.subjects {
                let list = match s.kind {
                    SubjectKind::User => self.by_user.entry(s.name.clone()).or_default(),
                    SubjectKind::Group => self.by_group.entry(s.name.clone()).or_default(),
                    SubjectKind::ServiceAccount => {
                        let ns = s.namespace.as_deref().or(b.namespace.as_deref());
                        let Some(ns) = ns else { continue };
                        self.by_service_account
                            .entry((ns.to_string(), s.name.clone()))
                            .or_default()
                    }
                    SubjectKind::Other(_) => continue,
                };
                if list.last() != Some(&id) {
                    list.push(id);
                }
            }
        }
    }

    /// `GetRoleReferenceRules`: the role a binding refers to. A RoleBinding's `Role` is
    /// looked up in the binding's namespace; a ClusterRoleBinding cannot use a `Role`.
    fn resolve(&self, b: &Binding) -> Option<RoleId> {
        let r = b.role_ref.as_ref()?;
        match (r.kind.as_str(), &b.namespace) {
            ("ClusterRole", _) => self.cluster_roles.get(r.name.as_str()).copied(),
            ("Role", Some(ns)) => self
                .namespaced_roles
                .get(&(Arc::clone(ns), Arc::from(r.name.as_str())))
                .copied(),
            _ => None,
        }
    }

    /// Every role: the input's, then the bootstrap defaults used.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// Every binding: the input's, then the bootstrap defaults used.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// Problems found, in input order (then unresolved references).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The role a binding refers to, when it exists.
    pub fn role_of(&self, binding: BindingId) -> Option<&Role> {
        self.resolved
            .get(binding)
            .copied()
            .flatten()
            .map(|r| &self.roles[r])
    }

    pub(crate) fn resolved_role(&self, binding: BindingId) -> Option<RoleId> {
        self.resolved.get(binding).copied().flatten()
    }

    /// A ClusterRole by name.
    pub fn cluster_role(&self, name: &str) -> Option<&Role> {
        self.cluster_roles.get(name).map(|&i| &self.roles[i])
    }

    /// A Role by namespace and name.
    pub fn role(&self, namespace: &str, name: &str) -> Option<&Role> {
        self.namespaced_roles
            .get(&(Arc::from(namespace), Arc::from(name)))
            .map(|&i| &self.roles[i])
    }

    /// Bindings that refer to a role.
    pub fn bindings_of_role(&self, role: RoleId) -> &[BindingId] {
        self.bindings_by_role
            .get(role)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// ClusterRoleBindings, in order.
    pub(crate) fn cluster_binding_ids(&self) -> &[BindingId] {
        &self.cluster_bindings
    }

    /// RoleBindings by namespace.
    pub(crate) fn role_binding_ids(&self) -> &BTreeMap<Arc<str>, Vec<BindingId>> {
        &self.role_bindings
    }

    /// Namespaces that have RoleBindings, sorted.
    pub fn binding_namespaces(&self) -> impl Iterator<Item = &str> {
        self.role_bindings.keys().map(|k| &**k)
    }

    /// Bindings with a subject that may cover the user (by name, group, or ServiceAccount
    /// user name), sorted by id and deduplicated. A superset: `appliesTo` still decides.
    pub(crate) fn candidate_bindings(&self, user: &UserInfo) -> Vec<BindingId> {
        let mut ids: Vec<BindingId> = Vec::new();
        let mut add = |list: Option<&Vec<BindingId>>| ids.extend(list.into_iter().flatten());
        add(self.by_user.get(&user.name));
        for g in &user.groups {
            add(self.by_group.get(g));
        }
        if let Some(rest) = user
            .name
            .strip_prefix(crate::authorize::SERVICE_ACCOUNT_USER_PREFIX)
        {
            // Try every split: a namespace written with a colon still matches exactly.
            for (i, _) in rest.match_indices(':') {
                let key = (rest[..i].to_string(), rest[i + 1..].to_string());
                add(self.by_service_account.get(&key));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The authorizer's decision (`RBACAuthorizer.Authorize` over `VisitRulesFor`):
    /// ClusterRoleBindings first, then, when the request has a namespace, the RoleBindings
    /// of that namespace; each in input order (bootstrap defaults last). The first rule that
    /// allows the request decides.
    pub fn allows(&self, request: &Request) -> Decision<'_> {
        let user = &request.user;
        let attrs = &request.attributes;
        let candidates = self.candidate_bindings(user);
        let cluster = candidates
            .iter()
            .filter(|&&b| self.bindings[b].kind == BindingKind::ClusterRoleBinding);
        let namespaced = candidates.iter().filter(|&&b| {
            !attrs.namespace.is_empty()
                && self.bindings[b].kind == BindingKind::RoleBinding
                && self.bindings[b].namespace.as_deref() == Some(attrs.namespace.as_str())
        });
        for &id in cluster.chain(namespaced) {
            let b = &self.bindings[id];
            let ns = b.namespace.as_deref().unwrap_or("");
            let Some(subject) = applies_to(user, &b.subjects, ns) else {
                continue;
            };
            let Some(role_id) = self.resolved[id] else {
                continue;
            };
            let role = &self.roles[role_id];
            if let Some(rule) = role.rules.iter().position(|r| rule_allows(attrs, r)) {
                return Decision::Allow {
                    binding: b,
                    subject,
                    role,
                    rule,
                };
            }
        }
        Decision::NoOpinion
    }
}

impl Binding {
    fn origin_location(&self) -> palisade_core::Location {
        self.origin
            .location()
            .cloned()
            .unwrap_or_else(|| palisade_core::Location {
                path: Arc::from("<bootstrap>"),
                line: 1,
                col: 1,
            })
    }
}
