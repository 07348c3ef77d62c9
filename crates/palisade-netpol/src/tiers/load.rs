//! Reading the Calico and admin objects of an input: policies, tiers, service accounts.

use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};
use palisade_core::{Location, Object, ObjectRef};

use crate::admin::{self, AdminPeer, AdminPolicy};
use crate::calico::{self, CalicoPolicy, Tier, DEFAULT_TIER, DEFAULT_TIER_ORDER};
use crate::diag::{Diagnostic, DiagnosticKind, Level};
use crate::endpoints::labels_of;
use crate::eval::Action;
use crate::ip::IpSet;
use crate::label_map::LabelMap;
use crate::policy::namespace_of;

pub(crate) const CALICO_API: &str = "projectcalico.org/v3";
pub(crate) const ADMIN_API: &str = "policy.networking.k8s.io/v1alpha1";

/// What the input holds beyond NetworkPolicies.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    pub calico: Vec<CalicoPolicy>,
    pub tiers: Vec<Tier>,
    pub admin: Vec<AdminPolicy>,
    /// (namespace, name) → labels of each ServiceAccount; empty without Calico policies,
    /// whose selectors are the only ones that read them.
    pub accounts: HashMap<(String, String), LabelMap>,
}

/// Keeps the last definition of each key, as applying the input in order would; each
/// replaced one gets a warning.
fn keep_last<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    place: impl Fn(&T) -> (Arc<ObjectRef>, Location),
    diags: &mut Vec<Diagnostic>,
) -> Vec<T> {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        if last.get(&key(&item)) == Some(&i) {
            out.push(item);
        } else {
            let (object, location) = place(&item);
            diags.push(Diagnostic {
                level: Level::Warning,
                kind: DiagnosticKind::Duplicate,
                object,
                location,
                field: "metadata.name".into(),
                message: "defined again later; the later definition replaces this one, as \
                          `kubectl apply` would"
                    .into(),
            });
        }
    }
    out
}

/// Reads the Calico, admin and ServiceAccount objects.
/// `objects`: those [`crate::others`] lists (the others are none of these).
pub(crate) fn load(objects: &[&Object], diags: &mut Vec<Diagnostic>) -> Extra {
    // One pass sorts out the few objects read here: on a large inventory every pass over
    // the objects reads them from memory again, long out of cache.
    let mut of_kind = Kinds::default();
    for o in objects.iter().copied() {
        of_kind.file(o);
    }
    let calico: Vec<CalicoPolicy> = of_kind
        .calico
        .into_iter()
        .filter_map(|o| calico::parse_policy(o, diags))
        .collect();
    let mut calico = keep_last(
        calico,
        |p| format!("{:?}/{}", p.kind, p.full_name()),
        |p| (Arc::clone(&p.object), p.location.clone()),
        diags,
    );
    calico.sort_by_key(|p| (p.kind, p.full_name()));
    let tiers: Vec<(Arc<ObjectRef>, Location, Tier)> = of_kind
        .tiers
        .into_iter()
        .filter_map(|o| {
            Some((
                Arc::clone(&o.id),
                o.location(),
                calico::parse_tier(o, diags)?,
            ))
        })
        .collect();
    let mut tiers: Vec<Tier> = keep_last(
        tiers,
        |t| t.2.name.clone(),
        |t| (Arc::clone(&t.0), t.1.clone()),
        diags,
    )
    .into_iter()
    .map(|t| t.2)
    .collect();
    match tiers.iter_mut().find(|t| t.name == DEFAULT_TIER) {
        // The default tier's order is fixed by Calico.
        Some(t) => t.order = Some(DEFAULT_TIER_ORDER),
        None => tiers.push(Tier {
            name: DEFAULT_TIER.into(),
            order: Some(DEFAULT_TIER_ORDER),
            default_action: Action::Deny,
            location: None,
        }),
    }
    for p in &calico {
        if tiers.iter().all(|t| t.name != p.tier) {
            diags.push(Diagnostic {
                level: Level::Warning,
                kind: DiagnosticKind::UnknownTier,
                object: Arc::clone(&p.object),
                location: p.tier_location.clone(),
                field: "spec.tier".into(),
                message: format!(
                    "tier `{}` is defined by no Tier object here; it is assumed to exist, \
                     ordered after every ordered tier, with defaultAction Deny",
                    p.tier
                ),
            });
            tiers.push(Tier {
                name: p.tier.clone(),
                order: None,
                default_action: Action::Deny,
                location: None,
            });
        }
    }
    tiers.sort_by(|a, b| calico::cmp_order((a.order, &a.name), (b.order, &b.name)));
    let admin: Vec<AdminPolicy> = of_kind
        .admin
        .into_iter()
        .filter_map(|o| admin::parse(o, diags))
        .collect();
    let mut admin = keep_last(
        admin,
        |p| format!("{:?}/{}", p.kind, p.name),
        |p| (Arc::clone(&p.object), p.location.clone()),
        diags,
    );
    admin.sort_by(|a, b| (a.kind, a.priority, &a.name).cmp(&(b.kind, b.priority, &b.name)));
    diags.extend(admin::same_priority_warnings(&admin));
    // Only Calico's selectors read service accounts' labels.
    let mut accounts = HashMap::new();
    if !calico.is_empty() {
        for o in of_kind.accounts {
            let labels = labels_of(o.metadata().get("labels"));
            accounts.insert((namespace_of(o), o.id.name.clone()), labels);
        }
    }
    Extra {
        calico,
        tiers,
        admin,
        accounts,
    }
}

/// The objects [`load`] reads, by what they are, in input order.
#[derive(Default)]
struct Kinds<'o> {
    calico: Vec<&'o Object>,
    tiers: Vec<&'o Object>,
    admin: Vec<&'o Object>,
    accounts: Vec<&'o Object>,
}

impl<'o> Kinds<'o> {
    fn file(&mut self, o: &'o Object) {
        let list = match (o.id.api_version.as_str(), o.id.kind.as_str()) {
            (CALICO_API, "NetworkPolicy" | "GlobalNetworkPolicy") => &mut self.calico,
            (CALICO_API, "Tier") => &mut self.tiers,
            (ADMIN_API, "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy") => &mut self.admin,
            ("v1", "ServiceAccount") => &mut self.accounts,
            _ => return,
        };
        list.push(o);
    }
}

impl Extra {
    /// Every address block the Calico rules (`nets`, `notNets`) and admin rules
    /// (`networks`) mention, for the partition of the external world.
    pub fn blocks(&self) -> Vec<IpSet> {
        let mut out = Vec::new();
        for p in &self.calico {
            for r in p.ingress.iter().chain(&p.egress) {
                for e in [&r.source, &r.destination] {
                    out.extend(e.nets.iter().cloned());
                    out.extend(e.not_nets.iter().cloned());
                }
            }
        }
        for p in &self.admin {
            for r in &p.egress {
                for peer in &r.peers {
                    if let AdminPeer::Networks(set) = peer {
                        out.push(set.clone());
                    }
                }
            }
        }
        out
    }

    /// Is there anything beyond NetworkPolicy?
    pub fn active(&self) -> bool {
        !self.calico.is_empty() || !self.admin.is_empty() || self.tiers.len() > 1
    }
}
