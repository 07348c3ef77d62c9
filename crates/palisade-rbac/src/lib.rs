//! Kubernetes RBAC over manifests: the RBAC authorizer's exact semantics, and the queries
//! built on it (who can do something, what someone can do).
//!
//! - [`Policy::from_objects`] reads Role, ClusterRole, RoleBinding and ClusterRoleBinding
//!   objects (any `rbac.authorization.k8s.io` version, from manifests or `kubectl get -o
//!   yaml` dumps) into typed [`Role`]s and [`Binding`]s that keep the file and line of each
//!   object, rule and subject; what the API server would reject, or what can never take
//!   effect, becomes a [`Problem`] with its place, and the rest is still analysed
//!   (`model`, mirroring pkg/apis/rbac/validation).
//! - ClusterRoles with an `aggregationRule` receive the rules of the ClusterRoles they
//!   select, as the clusterrole-aggregation controller computes them (`aggregate`).
//! - The built-in ClusterRoles and ClusterRoleBindings of Kubernetes [`BOOTSTRAP_VERSION`]
//!   stand in for names the input does not define, each marked [`Origin::Bootstrap`]
//!   (`bootstrap`, from bootstrappolicy/policy.go). A binding to a role that is in neither is
//!   reported, never guessed.
//! - [`Policy::allows`] is the authorizer's decision (`authorize`, mirroring rbac.go
//!   `Authorize`/`RuleAllows`, validation/rule.go `VisitRulesFor`/`appliesTo`/`appliesToUser`,
//!   and evaluation_helpers.go `VerbMatches`, `APIGroupMatches`, `ResourceMatches`,
//!   `ResourceNameMatches`, `NonResourceURLMatches`).
//! - [`who_can`] lists every subject a request is allowed for, with the binding, role and
//!   rule of each grant; [`access`] lists what one [`Subject`] holds per namespace, its
//!   implicit groups included ([`Subject::user_info`]). Resource arguments are read by
//!   [`parse_resource_spec`], subjects by [`parse_subject`].
//! - [`nodes`] / [`nodes_all`] list who can get a root shell on a node and how (the
//!   kubelet API, privileged pods where Pod Security admission lets them in, exec into
//!   pods that already hold their node, `bind`/`escalate`, and one hop through
//!   impersonation or a service account token), joining the policy with a
//!   [`NodeContext`] read from the same input.
//! - [`diff`] compares two policies subject by subject ([`PermissionChange`]s added and
//!   removed, wildcards flattened), and [`fail_on_grant`] matches the additions against
//!   [`GrantPattern`]s (named [`RiskClass`]es or `VERB:RESOURCE` specs).
//! - [`graph`] builds subjects → bindings → roles → rules as data, [`to_dot`] as Graphviz.
//! - [`check_inventory`] reports risky permissions as findings (`PAL-RBAC-010` onward,
//!   [`catalog`]): each judged from the effective grants of every role (wildcards,
//!   subresources, aggregation and bootstrap roles included), once per role and scope, and
//!   reported on the binding that grants it, per subject; plus workloads whose service
//!   account holds one, and bad RBAC input (`risks`).
//!
//! ```
//! use palisade_core::inventory::{load_str, LoadLimits};
//! use palisade_rbac::{parse_resource_spec, parse_subject, who_can, Options, Policy, Query};
//!
//! let text = "\
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: Role
//! metadata: {name: reader, namespace: dev}
//! rules:
//! - {apiGroups: [\"\"], resources: [pods, pods/log], verbs: [get, list]}
//! ---
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: RoleBinding
//! metadata: {name: devs-read, namespace: dev}
//! roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
//! subjects: [{kind: Group, name: devs}]
//! ";
//! let loaded = load_str("rbac.yaml", text, &LoadLimits::default());
//! let policy = Policy::from_objects(&loaded.objects, &Options::default());
//! let grants = who_can(&policy, &Query {
//!     verb: "get".into(),
//!     resource: parse_resource_spec("pods/log").unwrap(),
//!     namespace: Some("dev".into()),
//!     name: None,
//! });
//! let devs = grants.iter().find(|g| g.subject.name == "devs").unwrap();
//! assert_eq!(devs.via[0].binding.to_string(), "RoleBinding/dev/devs-read");
//! assert_eq!(devs.via[0].rule_location.as_ref().unwrap().line, 5);
//!
//! let matrix = palisade_rbac::access(&policy, &parse_subject("group:devs").unwrap());
//! assert_eq!(matrix.scopes.iter().filter(|s| s.namespace.as_deref() == Some("dev")).count(), 1);
//! ```

mod access;
mod aggregate;
mod authorize;
mod bootstrap;
mod diff;
mod grant_pattern;
mod grants;
mod graph;
mod kubectl;
mod model;
mod node_context;
mod node_escalation;
mod nodes;
mod policy;
mod resource;
mod risks;
mod subject;
mod who_can;

pub use access::{access, AccessEntry, AccessMatrix, AccessTarget, ScopeAccess, VerbGrant};
pub use authorize::{
    api_group_matches, applies_to, applies_to_user, matches_service_account_username,
    non_resource_url_matches, resource_matches, resource_name_matches, rule_allows, verb_matches,
    Attributes, Decision, Request, ResourceAttributes, Target, UserInfo,
    SERVICE_ACCOUNT_USER_PREFIX,
};
pub use bootstrap::BOOTSTRAP_VERSION;
pub use diff::{
    diff, diff_subject, diff_subjects, fail_on_grant, DiffOptions, GrantMatch, Permission,
    PermissionChange, PolicyDiff, SubjectDiff, NON_RESOURCE_VERBS, RESOURCE_VERBS,
};
pub use grant_pattern::{
    parse_grant_pattern, GrantPattern, GrantPatternError, RiskClass, POD_CONTROLLERS,
};
pub use grants::{binding_subjects, grants};
pub use graph::{
    graph, rule_text, to_dot, Graph, GraphEdge, GraphEdgeKind, GraphNode, GraphNodeKind,
    GraphOptions,
};
pub use kubectl::{
    known_namespaces, kubectl_commands, AllowedRequest, Call, CallScope, Command, CommandAccess,
    On, Step, Where, COMMANDS, COMMON_RESOURCES, RES,
};
pub use model::{
    Aggregation, Binding, BindingKind, BindingSubject, Key, Origin, Problem, ProblemKind, Role,
    RoleKind, RoleRef, Rule, RuleContent, SubjectKind, UNSET_NAMESPACE,
};
pub use node_context::{
    HostAccess, HostWorkload, NodeContext, PodSecurity, PodSecurityLevel, ENFORCE_LABEL,
};
pub use nodes::{nodes, nodes_all, Hop, NodePath, NodePathKind, SubjectNodes};
pub use policy::{BindingId, Options, Policy, RoleId};
pub use resource::{
    parse_resource_spec, spell_resource, ResourceSpec, ResourceSpecError, CLUSTER_SCOPED,
    WELL_KNOWN,
};
pub use risks::{
    catalog, check_inventory, check_inventory_read, check_policy, read_ahead, WorkloadAccounts,
};
pub use subject::{
    parse_subject, Subject, SubjectError, ALL_AUTHENTICATED, ALL_SERVICE_ACCOUNTS,
    ALL_UNAUTHENTICATED, ANONYMOUS, SUBJECT_FORMS,
};
pub use who_can::{who_can, Grant, GrantSubject, GrantSubjectKind, Query, Via};
