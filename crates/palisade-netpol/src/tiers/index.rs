//! The compiled form of Calico and admin policies: which pods each selects, and which
//! endpoints each rule's peer side (and subject side) matches, as bit sets.

use foldhash::HashMap;
use palisade_core::selector::LabelSelector;
use rayon::prelude::*;

use crate::admin::{AdminPeer, AdminPolicy, Subject};
use crate::bitset::BitSet;
use crate::calico::selector::NamespaceMeaning;
use crate::calico::{CalicoPolicy, CalicoRule, EntityRule, ServiceAccountMatch};
use crate::endpoints::{Namespace, Pods};
use crate::index::RulePeers;
use crate::ip::IpSet;
use crate::label_map::LabelMap;
use crate::policy::Direction;

/// Calico's extra endpoint labels (`apiv3.LabelNamespace`, `LabelOrchestrator`,
/// `LabelServiceAccount`) and the prefixes of the namespace and service account labels it
/// copies onto endpoints (`conversion.NamespaceLabelPrefix`, `ServiceAccountLabelPrefix`).
const LABEL_NAMESPACE: &str = "projectcalico.org/namespace";
const LABEL_ORCHESTRATOR: &str = "projectcalico.org/orchestrator";
const LABEL_SERVICE_ACCOUNT: &str = "projectcalico.org/serviceaccount";
/// The name label Calico gives namespace profiles and service accounts.
pub(crate) const LABEL_NAME: &str = "projectcalico.org/name";

/// One Calico rule, compiled.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCalicoRule {
    /// Endpoints the peer side matches (ingress: `source`; egress: `destination`).
    pub peers: RulePeers,
    /// Pods the subject side matches (ingress: `destination`; egress: `source`).
    pub subject: BitSet,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledCalico {
    pub selected: BitSet,
    pub rules: [Vec<CompiledCalicoRule>; 2],
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledAdmin {
    pub selected: BitSet,
    pub rules: [Vec<RulePeers>; 2],
}

/// What the selectors look at.
pub(crate) struct World<'a> {
    pub pods: &'a [Pods],
    pub classes: &'a [IpSet],
    /// Namespace name → namespace.
    ns: HashMap<&'a str, &'a Namespace>,
    /// (namespace, name) → service account labels.
    accounts: &'a HashMap<(String, String), LabelMap>,
}

fn ns_label<'l>(ns: &'l Namespace, key: &str) -> Option<&'l str> {
    if key == LABEL_NAME {
        return Some(&ns.name);
    }
    ns.labels.get(key)
}

impl<'a> World<'a> {
    pub fn new(
        pods: &'a [Pods],
        namespaces: &'a [Namespace],
        classes: &'a [IpSet],
        accounts: &'a HashMap<(String, String), LabelMap>,
    ) -> World<'a> {
        let ns = namespaces.iter().map(|n| (n.name.as_str(), n)).collect();
        World {
            pods,
            classes,
            ns,
            accounts,
        }
    }

    fn namespace(&self, name: &str) -> Option<&'a Namespace> {
        self.ns.get(name).copied()
    }

    fn sa_label<'s>(&'s self, p: &'s Pods, key: &str) -> Option<&'s str> {
        if key == LABEL_NAME {
            return Some(&p.service_account);
        }
        self.accounts
            .get(&(p.namespace.to_string(), p.service_account.to_string()))
            .and_then(|l| l.get(key))
    }

    /// A pod's labels as Calico's selectors see them: its own, plus Calico's endpoint
    /// labels, plus its namespace's (`pcns.`) and service account's (`pcsa.`) labels.
    fn calico_label<'s>(&'s self, p: &'s Pods, key: &str) -> Option<&'s str> {
        if let Some(v) = p.labels.get(key) {
            return Some(v);
        }
        match key {
            LABEL_NAMESPACE => Some(&p.namespace),
            LABEL_ORCHESTRATOR => Some("k8s"),
            LABEL_SERVICE_ACCOUNT => Some(&p.service_account),
            _ => {
                if let Some(k) = key.strip_prefix("pcns.") {
                    if k == LABEL_NAME {
                        return Some(&p.namespace);
                    }
                    return self.namespace(&p.namespace)?.labels.get(k);
                }
                self.sa_label(p, key.strip_prefix("pcsa.")?)
            }
        }
    }

    fn ns_matches(&self, sel: &crate::calico::Selector, p: &Pods) -> bool {
        match self.namespace(&p.namespace) {
            Some(ns) => sel.matches_namespace(|k| ns_label(ns, k), NamespaceMeaning::Namespaces),
            None => false,
        }
    }

    fn sa_matches(&self, sa: &ServiceAccountMatch, p: &Pods) -> bool {
        (sa.names.is_empty() || sa.names.iter().any(|n| *n == p.service_account))
            && sa
                .selector
                .as_ref()
                .is_none_or(|s| s.matches(|k| self.sa_label(p, k)))
    }

    /// Does `entity` match pod `p` (`Some`) or external class `class`? Mirrors Calico's
    /// `GetEntityRuleSelector`: in a namespaced policy, or with a `namespaceSelector`, any
    /// selector field (`notSelector` included) limits the match to namespaced endpoints of
    /// the policy's (or the selected) namespaces; a positive selector never matches
    /// addresses; `nets` never match pods (see the crate docs).
    fn entity_matches(
        &self,
        e: &EntityRule,
        policy_ns: Option<&str>,
        pod: Option<&Pods>,
        class: Option<&IpSet>,
    ) -> bool {
        if let Some(set) = class {
            if e.nets.as_ref().is_some_and(|n| !set.is_subset(n)) {
                return false;
            }
            if e.not_nets.as_ref().is_some_and(|n| set.is_subset(n)) {
                return false;
            }
        } else if e.nets.is_some() {
            return false;
        }
        let sa = e
            .service_accounts
            .as_ref()
            .filter(|s| !s.names.is_empty() || s.selector.is_some());
        let positive = sa.is_some() || e.selector.is_some();
        let ns_scope = e.namespace_selector.is_some() || policy_ns.is_some();
        let use_ns =
            ns_scope && (positive || e.not_selector.is_some() || e.namespace_selector.is_some());
        if positive || use_ns {
            let Some(p) = pod else {
                return false;
            };
            let ns_ok = match (&e.namespace_selector, policy_ns) {
                _ if !use_ns => true,
                (Some(sel), _) => self.ns_matches(sel, p),
                (None, Some(ns)) => p.namespace == ns,
                (None, None) => true,
            };
            if !ns_ok
                || sa.is_some_and(|s| !self.sa_matches(s, p))
                || e.selector
                    .as_ref()
                    .is_some_and(|s| !s.matches(|k| self.calico_label(p, k)))
            {
                return false;
            }
        }
        if let (Some(not), Some(p)) = (&e.not_selector, pod) {
            if not.matches(|k| self.calico_label(p, k)) {
                return false;
            }
        }
        true
    }

    fn calico_rule(
        &self,
        policy: &CalicoPolicy,
        rule: &CalicoRule,
        d: Direction,
    ) -> CompiledCalicoRule {
        let (peer, subject) = match d {
            Direction::Ingress => (&rule.source, &rule.destination),
            Direction::Egress => (&rule.destination, &rule.source),
        };
        let ns = policy.namespace.as_deref();
        let family_ok = |c: &IpSet| rule.ip_version.is_none_or(|f| !c.intervals(f).is_empty());
        let mut out = CompiledCalicoRule {
            peers: RulePeers {
                pods: BitSet::new(self.pods.len()),
                external: BitSet::new(self.classes.len()),
            },
            subject: BitSet::new(self.pods.len()),
        };
        for (i, p) in self.pods.iter().enumerate() {
            if self.entity_matches(peer, ns, Some(p), None) {
                out.peers.pods.insert(i);
            }
            if self.entity_matches(subject, ns, Some(p), None) {
                out.subject.insert(i);
            }
        }
        for (c, class) in self.classes.iter().enumerate() {
            if family_ok(class) && self.entity_matches(peer, ns, None, Some(class)) {
                out.peers.external.insert(c);
            }
        }
        out
    }

    /// Pods a Calico policy applies to: its `selector` (within its namespace for a
    /// namespaced policy), `namespaceSelector` and `serviceAccountSelector`, all at once.
    fn calico_selected(&self, policy: &CalicoPolicy) -> BitSet {
        let mut out = BitSet::new(self.pods.len());
        for (i, p) in self.pods.iter().enumerate() {
            let ok = policy
                .namespace
                .as_ref()
                .is_none_or(|ns| *ns == p.namespace)
                && policy.selector.matches(|k| self.calico_label(p, k))
                && policy
                    .namespace_selector
                    .as_ref()
                    .is_none_or(|s| self.ns_matches(s, p))
                && policy
                    .service_account_selector
                    .as_ref()
                    .is_none_or(|s| s.matches(|k| self.sa_label(p, k)));
            if ok {
                out.insert(i);
            }
        }
        out
    }

    pub fn compile_calico(&self, policy: &CalicoPolicy) -> CompiledCalico {
        let rules = [Direction::Ingress, Direction::Egress].map(|d| {
            policy
                .rules(d)
                .iter()
                .map(|r| self.calico_rule(policy, r, d))
                .collect()
        });
        CompiledCalico {
            selected: self.calico_selected(policy),
            rules,
        }
    }

    fn k8s(sel: &LabelSelector, labels: &LabelMap) -> bool {
        sel.matches(|k| labels.get(k))
    }

    fn pods_where(&self, namespaces: &LabelSelector, pods: Option<&LabelSelector>) -> BitSet {
        let mut out = BitSet::new(self.pods.len());
        for (i, p) in self.pods.iter().enumerate() {
            let ns_ok = self
                .namespace(&p.namespace)
                .is_some_and(|n| Self::k8s(namespaces, &n.labels));
            if ns_ok && pods.is_none_or(|s| Self::k8s(s, &p.labels)) {
                out.insert(i);
            }
        }
        out
    }

    /// An admin policy: its subject's pods, and each rule's peers (a rule matches when any
    /// of its peers does).
    pub fn compile_admin(&self, policy: &AdminPolicy) -> CompiledAdmin {
        let selected = match &policy.subject {
            Subject::Namespaces(ns) => self.pods_where(ns, None),
            Subject::Pods { namespaces, pods } => self.pods_where(namespaces, Some(pods)),
        };
        let rules = [Direction::Ingress, Direction::Egress].map(|d| {
            policy
                .rules(d)
                .iter()
                .map(|rule| {
                    let mut out = RulePeers {
                        pods: BitSet::new(self.pods.len()),
                        external: BitSet::new(self.classes.len()),
                    };
                    for peer in &rule.peers {
                        let pods = match peer {
                            AdminPeer::Namespaces(ns) => Some(self.pods_where(ns, None)),
                            AdminPeer::Pods { namespaces, pods } => {
                                Some(self.pods_where(namespaces, Some(pods)))
                            }
                            AdminPeer::Networks(set) => {
                                for (c, class) in self.classes.iter().enumerate() {
                                    if class.is_subset(set) {
                                        out.external.insert(c);
                                    }
                                }
                                None
                            }
                            AdminPeer::Nodes => None,
                        };
                        for i in pods.iter().flat_map(BitSet::iter) {
                            out.pods.insert(i);
                        }
                    }
                    out
                })
                .collect()
        });
        CompiledAdmin { selected, rules }
    }
}

/// Compiles every Calico and admin policy, in parallel.
pub(crate) fn compile(
    world: &World,
    calico: &[CalicoPolicy],
    admin: &[AdminPolicy],
) -> (Vec<CompiledCalico>, Vec<CompiledAdmin>) {
    let c = calico.par_iter().map(|p| world.compile_calico(p)).collect();
    let a = admin.par_iter().map(|p| world.compile_admin(p)).collect();
    (c, a)
}
