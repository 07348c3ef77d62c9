//! Risky permissions as findings (`PAL-RBAC-010` onward), judged from the *effective*
//! grants of the [`Policy`]: wildcards, subresources, aggregation and the bootstrap roles
//! included, and reported on the binding in the input that grants them, once per (binding,
//! subject, risk) with the strongest grant.
//!
//! How it is organised: each family module (escalation, credentials, execution,
//! control_plane) defines its rules and the permissions that make each risk
//! ([`spec::RiskSpec`]); [`judge`] judges every role once per scope (cluster-wide or in one
//! namespace) and caches the result per role; this module walks the bindings and maps the
//! judgements to subjects. `subjects` (public groups, `default` accounts), `workloads`
//! (pods whose account holds a risk) and `problems` (bad input) add their own rules.
//!
//! What is not reported, and why:
//! - bindings that are built in (not in the input, or carrying the
//!   `kubernetes.io/bootstrapping: rbac-defaults` label with a `system:` or `cluster-admin`
//!   name), as PAL-RBAC-001 leaves built-in roles alone;
//! - per-permission risks (PAL-RBAC-010 to 021) of bindings to the ClusterRoles
//!   `cluster-admin`, `admin` and `edit` by name: PAL-RBAC-002 reports cluster-admin
//!   anywhere and admin/edit cluster-wide, and admin/edit in one namespace are ordinary
//!   delegation (the same judgement PAL-RBAC-002 makes). The public-group, `default`
//!   account and workload rules still judge them;
//! - the narrower risks of a binding whose role is a cluster-admin equivalent: PAL-RBAC-010
//!   says it all;
//! - subjects that can never match (unknown kind, a ServiceAccount of a ClusterRoleBinding
//!   without namespace, no name) and the `system:masters` group (it bypasses
//!   authorization whatever is bound to it).

mod accounts;
mod control_plane;
mod credentials;
mod escalation;
mod execution;
mod grant;
mod judge;
mod problems;
mod spec;
mod subjects;
mod workloads;

use std::collections::HashSet;
use std::sync::Arc;

use palisade_core::shared_text;
use palisade_core::{
    Config, Emitter, Finding, Inventory, Location, Object, ObjectRef, Rule, Severity,
};

use crate::model::{Binding, BindingKind, BindingSubject, Origin, Role, SubjectKind};
use crate::policy::{Options, Policy};
use grant::Scope;
use judge::{describe_role, describe_rule, describe_scope, describe_subject, Judge};
use spec::RiskSpec;

pub use accounts::{read_ahead, WorkloadAccounts};

/// Every rule of the RBAC analysis, in catalog order.
pub fn catalog() -> Vec<&'static Rule> {
    vec![
        &escalation::ADMIN_EQUIVALENT,
        &escalation::ESCALATION_VERBS,
        &escalation::RBAC_WRITE,
        &credentials::SECRETS_READ,
        &credentials::TOKEN_CREATE,
        &execution::EXEC,
        &execution::NODES_PROXY,
        &execution::WORKLOAD_CREATE,
        &execution::PV_CREATE,
        &credentials::CSR_APPROVE,
        &control_plane::WEBHOOKS,
        &control_plane::EVENTS_DELETE,
        &subjects::PUBLIC_GROUPS,
        &subjects::DEFAULT_ACCOUNT,
        &workloads::WORKLOAD_ACCOUNT,
        &problems::ROLE_NOT_FOUND,
        &problems::MALFORMED,
    ]
}

/// Every risk spec, in rule-id order.
fn specs() -> Vec<&'static RiskSpec> {
    let mut all: Vec<&'static RiskSpec> = escalation::SPECS
        .iter()
        .chain(credentials::SPECS)
        .chain(execution::SPECS)
        .chain(control_plane::SPECS)
        .collect();
    all.sort_by_key(|s| s.rule.id);
    all
}

/// The RBAC analysis of an inventory: builds the [`Policy`] (with the bootstrap defaults)
/// and reports every rule of [`catalog`] through an [`Emitter`], so disabled rules and
/// severity overrides apply. Findings are in no particular order (the engine sorts).
pub fn check_inventory(inventory: &Inventory, config: &Config) -> Vec<Finding> {
    check_inventory_read(inventory, config, None)
}

/// [`check_inventory`] with each object's workload account read ahead ([`read_ahead`] of
/// each input, appended in turn); a read that does not line up with the inventory is read
/// again.
pub fn check_inventory_read(
    inventory: &Inventory,
    config: &Config,
    read: Option<&WorkloadAccounts>,
) -> Vec<Finding> {
    let em = Emitter::new(config);
    if !catalog().iter().any(|r| em.enabled(r)) {
        return Vec::new();
    }
    // What was read ahead, when it covers the inventory: the RBAC objects are then found
    // by their indexes, without another pass over every object (out of cache by now).
    let read = read.filter(|r| r.len() == inventory.objects.len());
    let rbac: Vec<&Object> = match read {
        Some(read) => read
            .rbac()
            .iter()
            .filter_map(|&i| inventory.objects.get(i))
            .collect(),
        None => inventory
            .objects
            .iter()
            .filter(|o| crate::model::is_rbac_object(o))
            .collect(),
    };
    // Without RBAC objects in the input there is nothing to report: the bootstrap bindings
    // grant the public groups only the discovery roles, and controllers' accounts nothing,
    // so large scans without RBAC skip building the policy.
    if rbac.is_empty() {
        return Vec::new();
    }
    let policy = Policy::from_selected(rbac.iter().copied(), &Options::default());
    let built_in = built_in_bindings(rbac);
    check_policy_read(&policy, inventory, config, read, &built_in)
}

/// [`check_inventory`] over a policy already built from `inventory`.
pub fn check_policy(policy: &Policy, inventory: &Inventory, config: &Config) -> Vec<Finding> {
    let built_in = built_in_bindings(inventory.objects.iter());
    check_policy_read(policy, inventory, config, None, &built_in)
}

/// [`check_policy`] with the workload accounts read ahead, as [`check_inventory_read`], and
/// the input's built-in bindings ([`built_in_bindings`]).
fn check_policy_read(
    policy: &Policy,
    inventory: &Inventory,
    config: &Config,
    read: Option<&WorkloadAccounts>,
    built_in: &HashSet<*const ObjectRef>,
) -> Vec<Finding> {
    let mut em = Emitter::new(config);
    // Every risk is judged even when its own rule is off: the public-group, `default`
    // account and workload rules grade by them (the emitter drops the disabled ones).
    let judge = Judge::new(policy, specs());
    for (id, b) in policy.bindings().iter().enumerate() {
        let Origin::Input { object, location } = &b.origin else {
            continue;
        };
        if built_in.contains(&Arc::as_ptr(object)) {
            continue;
        }
        let Some(role_id) = policy.resolved_role(id) else {
            continue;
        };
        let role = &policy.roles()[role_id];
        let scope = match b.kind {
            BindingKind::ClusterRoleBinding => Scope::Cluster,
            BindingKind::RoleBinding => Scope::Namespace,
        };
        let risks = judge.risks(role_id, scope);
        let by_name = reported_by_name(b);
        let role_text = describe_role(role);
        let scope_text = describe_scope(scope, b.namespace.as_deref());
        for (index, subject) in b.subjects.iter().enumerate() {
            if !can_match(subject, b) {
                continue;
            }
            let at = At {
                object,
                subject,
                index,
                role,
                who: describe_subject(subject, b.namespace.as_deref()),
                role_text: role_text.clone(),
                scope_text: scope_text.clone(),
                location: subject
                    .location
                    .clone()
                    .or_else(|| b.role_ref.as_ref().and_then(|r| r.location.clone()))
                    .unwrap_or_else(|| location.clone()),
            };
            if !by_name {
                permissions(&at, risks, &mut em);
            }
            subjects::public_groups(&at, risks, &mut em);
            subjects::default_account(&at, risks, &mut em);
        }
    }
    if em.enabled(&workloads::WORKLOAD_ACCOUNT) {
        let fresh;
        let read = match read {
            Some(read) if read.len() == inventory.objects.len() => read,
            _ => {
                fresh = WorkloadAccounts::of(&inventory.objects);
                &fresh
            }
        };
        workloads::check(policy, &judge, inventory, read, &mut em);
    }
    problems::check(policy, &mut em);
    em.into_findings()
}

/// One subject of one binding, with the words its messages use.
pub(crate) struct At<'a> {
    /// The binding object.
    pub object: &'a Arc<ObjectRef>,
    /// The subject.
    pub subject: &'a BindingSubject,
    /// Its index in `subjects`.
    pub index: usize,
    /// The role bound.
    pub role: &'a Role,
    /// `Group `devs``.
    pub who: String,
    /// `ClusterRole `view` (built in, ...)`.
    pub role_text: String,
    /// `cluster-wide` or `in namespace `x``.
    pub scope_text: String,
    /// The subject's place (else the roleRef's, else the binding's).
    pub location: Location,
}

impl At<'_> {
    /// Reports a finding on this subject.
    pub(crate) fn emit(
        &self,
        em: &mut Emitter<'_>,
        rule: &'static Rule,
        severity: Severity,
        message: String,
    ) {
        if let Some(f) =
            em.emit_graded_at(rule, severity, self.object, self.location.clone(), message)
        {
            f.field = Some(shared_text::shared(&[&"subjects[", &self.index, &"]"]));
        }
    }
}

/// PAL-RBAC-010 to 021 on one subject.
fn permissions(at: &At<'_>, risks: &judge::RoleRisks, em: &mut Emitter<'_>) {
    if let Some((rule, severity)) = risks.admin {
        at.emit(
            em,
            &escalation::ADMIN_EQUIVALENT,
            severity,
            format!(
                "{} can do everything {}: `*` verbs on `*` resources in `*` API groups in {} \
                 ({}), a cluster-admin equivalent that includes escalate, bind, impersonate \
                 and every Secret",
                at.who,
                at.scope_text,
                at.role_text,
                describe_rule(at.role, rule)
            ),
        );
        return;
    }
    for f in &risks.found {
        at.emit(
            em,
            f.spec.rule,
            f.severity,
            format!(
                "{} can {} {}: {} in {} ({}); {}",
                at.who,
                f.spec.what,
                at.scope_text,
                f.grant.describe(),
                at.role_text,
                describe_rule(at.role, f.grant.rule),
                f.spec.why
            ),
        );
    }
}

/// Bindings PAL-RBAC-002 judges by the role's name (and namespaced admin/edit, which it
/// deems ordinary delegation).
fn reported_by_name(b: &Binding) -> bool {
    b.role_ref.as_ref().is_some_and(|r| {
        r.kind == "ClusterRole" && matches!(r.name.as_str(), "cluster-admin" | "admin" | "edit")
    })
}

/// Can this subject ever match a request (`appliesToUser`)? `system:masters` can, but
/// bypasses authorization, so nothing bound to it changes anything.
fn can_match(s: &BindingSubject, b: &Binding) -> bool {
    if s.name.is_empty() {
        return false;
    }
    match &s.kind {
        SubjectKind::Other(_) => false,
        SubjectKind::Group => s.name != "system:masters",
        SubjectKind::ServiceAccount => s.namespace.is_some() || b.namespace.is_some(),
        SubjectKind::User => true,
    }
}

/// Binding objects among `objects` that Kubernetes itself creates: the rbac-defaults label
/// and a bootstrap name (`system:*`, `cluster-admin`).
fn built_in_bindings<'a>(
    objects: impl IntoIterator<Item = &'a Object>,
) -> HashSet<*const ObjectRef> {
    objects
        .into_iter()
        .filter(|o| {
            matches!(o.id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding")
                && o.label("kubernetes.io/bootstrapping") == Some("rbac-defaults")
                && (o.id.name.starts_with("system:") || o.id.name == "cluster-admin")
        })
        .map(|o| Arc::as_ptr(&o.id))
        .collect()
}
