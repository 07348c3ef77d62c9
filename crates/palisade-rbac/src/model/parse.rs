//! Reading Role, ClusterRole, RoleBinding and ClusterRoleBinding objects out of an
//! inventory. What the API server's validation (`ValidateRole`, `ValidateClusterRole`,
//! `validatePolicyRule`, `ValidateRoleBinding`, `ValidateClusterRoleBinding`,
//! `validateRoleBindingSubject` in pkg/apis/rbac/validation) would reject is reported as a
//! [`Problem`]; the object is still read as far as it can be, so the rest is analysed.

use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};
use palisade_core::selector::LabelSelector;
use palisade_core::yaml::Node;
use palisade_core::{Location, Object};

use super::{
    Aggregation, Binding, BindingKind, BindingSubject, Origin, Problem, ProblemKind, Role,
    RoleKind, RoleRef, Rule, SubjectKind,
};

/// The API group of RBAC objects and of `roleRef`.
pub(crate) const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Kind, namespace and name: what must be unique.
type IdKey = (&'static str, Option<Arc<str>>, Arc<str>);

/// Roles and bindings read from objects, duplicates already resolved (last wins).
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub roles: Vec<Role>,
    pub bindings: Vec<Binding>,
    pub problems: Vec<Problem>,
}

/// Whether `o` is a Role, ClusterRole, RoleBinding or ClusterRoleBinding of the RBAC API
/// group: the objects [`parse_objects`] reads (a scan's read-ahead notes where they are).
pub(crate) fn is_rbac_object(o: &Object) -> bool {
    o.id.api_version.starts_with("rbac.authorization.k8s.io/")
        && matches!(
            o.id.kind.as_str(),
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
        )
}

/// Reads every RBAC object of `objects` (any API version of the RBAC group; other objects
/// are ignored). `List` objects are already unwrapped by the inventory loader.
pub(crate) fn parse_objects<'a>(
    objects: impl IntoIterator<Item = &'a Object>,
    unset_namespace: &str,
    origin: &dyn Fn(&Object) -> Origin,
) -> Parsed {
    let mut out = Parsed::default();
    let mut seen: HashMap<IdKey, usize> = HashMap::new();
    let mut seen_bindings: HashMap<IdKey, usize> = HashMap::new();
    for obj in objects {
        if !is_rbac_object(obj) {
            continue;
        }
        let kind = match obj.id.kind.as_str() {
            "Role" => Kind::Role(RoleKind::Role),
            "ClusterRole" => Kind::Role(RoleKind::ClusterRole),
            "RoleBinding" => Kind::Binding(BindingKind::RoleBinding),
            "ClusterRoleBinding" => Kind::Binding(BindingKind::ClusterRoleBinding),
            _ => continue,
        };
        let mut ctx = Ctx {
            obj,
            problems: &mut out.problems,
        };
        let Some(name) = obj.metadata().get("name").and_then(Node::as_str) else {
            ctx.report(
                obj.root.pos,
                ProblemKind::MissingName,
                format!(
                    "{} without metadata.name cannot be referenced or applied; it is not analysed",
                    obj.id.kind
                ),
            );
            continue;
        };
        let name: Arc<str> = Arc::from(name);
        let namespaced = matches!(
            kind,
            Kind::Role(RoleKind::Role) | Kind::Binding(BindingKind::RoleBinding)
        );
        let namespace: Option<Arc<str>> = namespaced.then(|| {
            Arc::from(
                obj.id
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .unwrap_or(unset_namespace),
            )
        });
        match kind {
            Kind::Role(role_kind) => {
                let role = read_role(&mut ctx, role_kind, namespace, name, origin(obj));
                let key = (
                    role_kind.as_str(),
                    role.namespace.clone(),
                    role.name.clone(),
                );
                dedupe(&mut ctx, &mut seen, key, role, &mut out.roles);
            }
            Kind::Binding(binding_kind) => {
                let binding = read_binding(&mut ctx, binding_kind, namespace, name, origin(obj));
                let key = (
                    binding_kind.as_str(),
                    binding.namespace.clone(),
                    binding.name.clone(),
                );
                dedupe(
                    &mut ctx,
                    &mut seen_bindings,
                    key,
                    binding,
                    &mut out.bindings,
                );
            }
        }
    }
    out
}

enum Kind {
    Role(RoleKind),
    Binding(BindingKind),
}

/// Keeps the later of two objects with the same identity, in the place of the first.
fn dedupe<T>(
    ctx: &mut Ctx<'_>,
    seen: &mut HashMap<IdKey, usize>,
    key: IdKey,
    item: T,
    items: &mut Vec<T>,
) {
    if let Some(&i) = seen.get(&key) {
        let shown = match &key.1 {
            Some(ns) => format!("{} {}/{}", key.0, ns, key.2),
            None => format!("{} {}", key.0, key.2),
        };
        ctx.report(
            ctx.obj.root.pos,
            ProblemKind::Duplicate,
            format!("{shown} is defined more than once; this later definition is the one analysed"),
        );
        items[i] = item;
    } else {
        seen.insert(key, items.len());
        items.push(item);
    }
}

struct Ctx<'a> {
    obj: &'a Object,
    problems: &'a mut Vec<Problem>,
}

impl Ctx<'_> {
    fn report(&mut self, pos: palisade_core::yaml::Pos, kind: ProblemKind, message: String) {
        // A synthetic node (line 0) stands for "no place": use the object's.
        let pos = if pos.line == 0 {
            self.obj.root.pos
        } else {
            pos
        };
        self.problems.push(Problem {
            location: self.obj.location_of(pos),
            object: Arc::clone(&self.obj.id),
            kind,
            message,
        });
    }

    fn location(&self, node: &Node) -> Location {
        let pos = if node.pos.line == 0 {
            self.obj.root.pos
        } else {
            node.pos
        };
        self.obj.location_of(pos)
    }
}

fn read_role(
    ctx: &mut Ctx<'_>,
    kind: RoleKind,
    namespace: Option<Arc<str>>,
    name: Arc<str>,
    origin: Origin,
) -> Role {
    let root = &ctx.obj.root;
    let labels = ctx
        .obj
        .metadata()
        .get("labels")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            Some((
                e.key.scalar_text()?.to_string(),
                e.value.as_str()?.to_string(),
            ))
        })
        .collect();
    let mut rules = Vec::new();
    for item in root.get("rules").map(Node::items).unwrap_or_default() {
        if let Some(rule) = read_rule(ctx, item, kind) {
            rules.push(Arc::new(rule));
        }
    }
    let aggregation = match (kind, root.entry("aggregationRule")) {
        (RoleKind::ClusterRole, Some(entry)) if !entry.value.is_null() => {
            read_aggregation(ctx, &entry.value, rules.len())
        }
        _ => None,
    };
    Role {
        kind,
        namespace,
        name,
        labels,
        rules,
        aggregation,
        origin,
    }
}

fn read_aggregation(ctx: &mut Ctx<'_>, node: &Node, written_rules: usize) -> Option<Aggregation> {
    let mut selectors = Vec::new();
    for item in node
        .get("clusterRoleSelectors")
        .map(Node::items)
        .unwrap_or_default()
    {
        match LabelSelector::parse(item) {
            Ok(sel) => selectors.push(sel),
            Err(err) => {
                // `LabelSelectorAsSelector` fails, the controller returns the error and
                // leaves the role's rules as they are.
                ctx.report(
                    item.pos,
                    ProblemKind::InvalidAggregationSelector,
                    format!(
                        "aggregation selector does not parse ({err}); the aggregation controller \
                         would fail on it and leave this role's written rules unchanged"
                    ),
                );
                return None;
            }
        }
    }
    Some(Aggregation {
        selectors,
        location: Some(ctx.location(node)),
        written_rules,
    })
}

/// A string list field of a rule. `None` when absent or null; items that are not strings
/// are reported and skipped.
fn string_list(ctx: &mut Ctx<'_>, rule: &Node, field: &str) -> Vec<String> {
    let Some(entry) = rule.entry(field) else {
        return Vec::new();
    };
    if entry.value.is_null() {
        return Vec::new();
    }
    let Some(items) = entry.value.as_seq() else {
        ctx.report(
            entry.key.pos,
            ProblemKind::MalformedRule,
            format!("`{field}` must be a list of strings; it is ignored"),
        );
        return Vec::new();
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        // `""` (the core group) is a quoted scalar; a plain empty item is null.
        match item.scalar_text() {
            Some(text) if item.as_map().is_none() => out.push(text.to_string()),
            _ => ctx.report(
                item.pos,
                ProblemKind::MalformedRule,
                format!("`{field}` items must be strings; this one is ignored"),
            ),
        }
    }
    out
}

fn read_rule(ctx: &mut Ctx<'_>, item: &Node, role_kind: RoleKind) -> Option<Rule> {
    if item.as_map().is_none() {
        ctx.report(
            item.pos,
            ProblemKind::MalformedRule,
            "a rule must be a mapping; it is ignored".into(),
        );
        return None;
    }
    let before = ctx.problems.len();
    let rule = Rule {
        verbs: string_list(ctx, item, "verbs"),
        api_groups: string_list(ctx, item, "apiGroups"),
        resources: string_list(ctx, item, "resources"),
        resource_names: string_list(ctx, item, "resourceNames"),
        non_resource_urls: string_list(ctx, item, "nonResourceURLs"),
        location: Some(ctx.location(item)),
        aggregated_from: None,
    };
    let malformed = ctx.problems.len() > before;
    let at = |key: &str| item.entry(key).map_or(item.pos, |e| e.key.pos);
    // The checks of `validatePolicyRule`.
    if rule.verbs.is_empty() {
        ctx.report(
            at("verbs"),
            ProblemKind::RuleWithoutVerbs,
            "rule has no verbs: it allows nothing (the API server rejects it)".into(),
        );
    }
    if !rule.non_resource_urls.is_empty() {
        if role_kind == RoleKind::Role {
            ctx.report(
                at("nonResourceURLs"),
                ProblemKind::NonResourceUrlsInRole,
                "nonResourceURLs in a namespaced Role never match (non-resource requests have no \
                 namespace; the API server rejects it)"
                    .into(),
            );
        }
        if !rule.api_groups.is_empty()
            || !rule.resources.is_empty()
            || !rule.resource_names.is_empty()
        {
            ctx.report(
                at("nonResourceURLs"),
                ProblemKind::RuleMixesResourcesAndUrls,
                "rule mixes resources and nonResourceURLs (the API server rejects it); the \
                 authorizer would use the resource part for resource requests and the URLs for \
                 the others"
                    .into(),
            );
        }
    } else if !malformed && (rule.api_groups.is_empty() || rule.resources.is_empty()) {
        // (A malformed field is already reported; its emptiness follows from that.)
        let missing = if rule.api_groups.is_empty() {
            "apiGroups"
        } else {
            "resources"
        };
        ctx.report(
            at(missing),
            ProblemKind::IncompleteResourceRule,
            format!(
                "resource rule without {missing}: it matches nothing (the API server rejects it)"
            ),
        );
    }
    Some(rule)
}

fn read_binding(
    ctx: &mut Ctx<'_>,
    kind: BindingKind,
    namespace: Option<Arc<str>>,
    name: Arc<str>,
    origin: Origin,
) -> Binding {
    let root = &ctx.obj.root;
    let role_ref = read_role_ref(ctx, kind);
    let mut subjects = Vec::new();
    for item in root.get("subjects").map(Node::items).unwrap_or_default() {
        if let Some(s) = read_subject(ctx, item, kind) {
            subjects.push(s);
        }
    }
    Binding {
        kind,
        namespace,
        name,
        role_ref,
        subjects,
        origin,
    }
}

fn read_role_ref(ctx: &mut Ctx<'_>, kind: BindingKind) -> Option<RoleRef> {
    let root = &ctx.obj.root;
    let Some(entry) = root.entry("roleRef").filter(|e| e.value.as_map().is_some()) else {
        let pos = root.entry("roleRef").map_or(root.pos, |e| e.key.pos);
        ctx.report(
            pos,
            ProblemKind::MissingRoleRef,
            format!(
                "{} has no roleRef: it grants nothing (the API server rejects it)",
                kind.as_str()
            ),
        );
        return None;
    };
    let node = &entry.value;
    let field = |k: &str| node.get(k).and_then(Node::as_str).unwrap_or("").to_string();
    let (ref_kind, name, mut api_group) = (field("kind"), field("name"), field("apiGroup"));
    if name.is_empty() || ref_kind.is_empty() {
        let missing = if name.is_empty() { "name" } else { "kind" };
        ctx.report(
            entry.key.pos,
            ProblemKind::InvalidRoleRef,
            format!("roleRef has no {missing}: the binding grants nothing"),
        );
        return None;
    }
    // `SetDefaults_RoleBinding`: an empty apiGroup becomes the RBAC group.
    if api_group.is_empty() {
        api_group = RBAC_GROUP.to_string();
    }
    if api_group != RBAC_GROUP {
        ctx.report(
            entry.key.pos,
            ProblemKind::InvalidRoleRef,
            format!(
                "roleRef.apiGroup is `{api_group}`, not `{RBAC_GROUP}` (the API server rejects it); \
                 the role is still resolved by kind and name, as the authorizer does"
            ),
        );
    }
    match (kind, ref_kind.as_str()) {
        (_, "ClusterRole") | (BindingKind::RoleBinding, "Role") => {}
        (BindingKind::ClusterRoleBinding, "Role") => ctx.report(
            entry.key.pos,
            ProblemKind::ClusterBindingToRole,
            format!(
                "ClusterRoleBinding refers to Role `{name}`: a ClusterRoleBinding can only refer to \
                 a ClusterRole (the API server rejects it); it grants nothing"
            ),
        ),
        (_, other) => ctx.report(
            entry.key.pos,
            ProblemKind::UnsupportedRoleRefKind,
            format!(
                "roleRef.kind `{other}` is not Role or ClusterRole: the binding grants nothing"
            ),
        ),
    }
    Some(RoleRef {
        kind: ref_kind,
        name,
        api_group,
        location: Some(ctx.location(node)),
    })
}

fn read_subject(ctx: &mut Ctx<'_>, item: &Node, binding: BindingKind) -> Option<BindingSubject> {
    if item.as_map().is_none() {
        ctx.report(
            item.pos,
            ProblemKind::InvalidSubject,
            "a subject must be a mapping; it is ignored".into(),
        );
        return None;
    }
    let field = |k: &str| item.get(k).and_then(Node::as_str).map(str::to_string);
    let name = field("name").unwrap_or_default();
    let namespace = field("namespace").filter(|n| !n.is_empty());
    let kind = match field("kind").as_deref() {
        Some("User") => SubjectKind::User,
        Some("Group") => SubjectKind::Group,
        Some("ServiceAccount") => SubjectKind::ServiceAccount,
        other => {
            let other = other.unwrap_or("").to_string();
            ctx.report(
                item.pos,
                ProblemKind::UnknownSubjectKind,
                format!(
                    "subject kind `{other}` is not User, Group or ServiceAccount: it never matches \
                     anyone (the API server rejects it)"
                ),
            );
            SubjectKind::Other(other)
        }
    };
    if name.is_empty() {
        ctx.report(
            item.pos,
            ProblemKind::InvalidSubject,
            format!(
                "{} subject without a name matches no one (the API server rejects it)",
                kind.as_str()
            ),
        );
    }
    if kind == SubjectKind::ServiceAccount
        && namespace.is_none()
        && binding == BindingKind::ClusterRoleBinding
    {
        // A RoleBinding's ServiceAccount subject defaults to the binding's namespace
        // (`appliesToUser`); a ClusterRoleBinding has none to give it.
        ctx.report(
            item.pos,
            ProblemKind::ServiceAccountWithoutNamespace,
            format!(
                "ServiceAccount subject `{name}` of a ClusterRoleBinding has no namespace: it never \
                 matches (the API server rejects it)"
            ),
        );
    }
    Some(BindingSubject {
        kind,
        name,
        namespace,
        location: Some(ctx.location(item)),
    })
}
