//! Judging roles once: what each role grants of every risk, cached per (role, scope), and
//! the words that name a subject, a role and a rule in messages.

use std::cell::OnceCell;

use palisade_core::Severity;

use super::grant::{full_wildcard, lower, strongest, Grant, Scope};
use super::spec::RiskSpec;
use crate::model::{BindingSubject, Origin, Role, SubjectKind};
use crate::policy::{Policy, RoleId};

/// One risk a role grants in a scope, with its strongest grant.
#[derive(Debug)]
pub(crate) struct Found {
    /// The risk.
    pub spec: &'static RiskSpec,
    /// The strongest grant.
    pub grant: Grant,
    /// Its severity in the scope.
    pub severity: Severity,
}

/// Everything risky a role grants in one scope.
#[derive(Debug, Default)]
pub(crate) struct RoleRisks {
    /// The rule granting every verb on every resource, when there is one (cluster-admin
    /// under another name), with its severity in the scope.
    pub admin: Option<(usize, Severity)>,
    /// The narrower risks, in catalog order.
    pub found: Vec<Found>,
}

impl RoleRisks {
    /// The highest severity of anything found.
    pub(crate) fn max_severity(&self) -> Option<Severity> {
        let admin = self.admin.map(|(_, s)| s);
        self.found.iter().map(|f| f.severity).chain(admin).max()
    }

    /// True when nothing risky was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.admin.is_none() && self.found.is_empty()
    }
}

/// What a role grants of one risk in one scope.
fn judge_one(role: &Role, spec: &'static RiskSpec, scope: Scope) -> Option<Found> {
    let base = match scope {
        Scope::Cluster => spec.cluster,
        Scope::Namespace => spec.namespaced?,
    };
    let grant = strongest(role, spec.probes, scope)?;
    let mut severity = grant.severity(base);
    if !spec.also.is_empty() {
        let also = strongest(role, spec.also, scope)?;
        let full = !also.restricted()
            || also
                .names
                .iter()
                .any(|n| spec.also_full_names.contains(&n.as_str()));
        if !full {
            severity = lower(severity);
        }
    }
    Some(Found {
        spec,
        grant,
        severity,
    })
}

/// Every risk of `specs` that `role` grants in `scope`.
pub(crate) fn judge_role(role: &Role, scope: Scope, specs: &[&'static RiskSpec]) -> RoleRisks {
    let admin = full_wildcard(role).map(|i| {
        let s = match scope {
            Scope::Cluster => Severity::Critical,
            Scope::Namespace => Severity::High,
        };
        (i, s)
    });
    RoleRisks {
        admin,
        found: specs
            .iter()
            .filter_map(|s| judge_one(role, s, scope))
            .collect(),
    }
}

/// Judgements of the policy's roles, each computed on first use.
pub(crate) struct Judge<'p> {
    policy: &'p Policy,
    specs: Vec<&'static RiskSpec>,
    /// Per role: cluster-wide, then in one namespace.
    cache: Vec<[OnceCell<RoleRisks>; 2]>,
}

impl<'p> Judge<'p> {
    /// A judge of `policy`'s roles against `specs`.
    pub(crate) fn new(policy: &'p Policy, specs: Vec<&'static RiskSpec>) -> Judge<'p> {
        let cache = (0..policy.roles().len())
            .map(|_| [OnceCell::new(), OnceCell::new()])
            .collect();
        Judge {
            policy,
            specs,
            cache,
        }
    }

    /// What the role grants in `scope`.
    pub(crate) fn risks(&self, role: RoleId, scope: Scope) -> &RoleRisks {
        let slot = match scope {
            Scope::Cluster => 0,
            Scope::Namespace => 1,
        };
        match self.cache.get(role) {
            Some(cells) => cells[slot]
                .get_or_init(|| judge_role(&self.policy.roles()[role], scope, &self.specs)),
            None => empty(),
        }
    }
}

fn empty() -> &'static RoleRisks {
    static EMPTY: RoleRisks = RoleRisks {
        admin: None,
        found: Vec::new(),
    };
    &EMPTY
}

/// `ClusterRole `name`` with `(built in, Kubernetes v1.33 default)` for a bootstrap role
/// or `(built in)` for one the input carries with the rbac-defaults label.
pub(crate) fn describe_role(role: &Role) -> String {
    let mut s = match &role.namespace {
        Some(ns) => format!("{} `{ns}/{}`", role.kind.as_str(), role.name),
        None => format!("{} `{}`", role.kind.as_str(), role.name),
    };
    match &role.origin {
        Origin::Bootstrap { version } => {
            s.push_str(&format!(" (built in, the Kubernetes {version} default)"));
        }
        Origin::Input { .. }
            if role.label("kubernetes.io/bootstrapping") == Some("rbac-defaults") =>
        {
            s.push_str(" (built in)");
        }
        Origin::Input { .. } => {}
    }
    s
}

/// `rule 2, line 14` (with the ClusterRole an aggregated rule came from).
pub(crate) fn describe_rule(role: &Role, index: usize) -> String {
    let Some(rule) = role.rules.get(index) else {
        return format!("rule {index}");
    };
    let mut s = format!("rule {index}");
    if let Some(from) = &rule.aggregated_from {
        s.push_str(&format!(", aggregated from ClusterRole `{from}`"));
    }
    // A bootstrap rule's place is in Palisade's embedded transcription, not in the input.
    if let (Some(loc), false) = (&rule.location, role.origin.is_bootstrap()) {
        s.push_str(&format!(", line {}", loc.line));
    }
    s
}

/// `Group `devs``, `ServiceAccount `ns/name`` (a ServiceAccount subject without namespace
/// takes the binding's).
pub(crate) fn describe_subject(subject: &BindingSubject, binding_ns: Option<&str>) -> String {
    match subject.kind {
        SubjectKind::ServiceAccount => {
            let ns = subject.namespace.as_deref().or(binding_ns).unwrap_or("?");
            format!("ServiceAccount `{ns}/{}`", subject.name)
        }
        _ => format!("{} `{}`", subject.kind.as_str(), subject.name),
    }
}

/// `cluster-wide` or `in namespace `ns``.
pub(crate) fn describe_scope(scope: Scope, namespace: Option<&str>) -> String {
    match (scope, namespace) {
        (Scope::Namespace, Some(ns)) => format!("in namespace `{ns}`"),
        _ => "cluster-wide".to_string(),
    }
}
