//! Ordered evaluation across every kind of policy, for one side (the source's egress or the
//! destination's ingress) of a connection.
//!
//! A side's [`Plan`] is a list of segments, in evaluation order:
//!
//! 1. **AdminNetworkPolicy**: the rules of every ANP whose subject holds the pod, by
//!    priority (then name), each policy's rules in order. The first rule that matches a
//!    connection decides it (Allow/Deny); `Pass` hands it to the next segment; what no rule
//!    matches goes on as well.
//! 2. **Calico tiers**, by tier order (then name). Only tiers with a policy that applies to
//!    the pod in this direction take part. In a tier, policies by order (missing last, then
//!    by name), rules in order: `Allow`/`Deny` decide, `Pass` skips the rest of the tier,
//!    `Log` does nothing. What the tier leaves undecided gets its `defaultAction` (`Deny`
//!    unless the Tier says `Pass`). Kubernetes NetworkPolicies are members of the default
//!    tier with order 1000, whose rules all `Allow`: alone, that is exactly NetworkPolicy
//!    isolation.
//! 3. **BaselineAdminNetworkPolicy**, like the ANP segment.
//!
//! What nothing decides is allowed. Each segment works on [`ConnectionSet`]s, so one pass
//! gives the whole set of allowed connections toward a peer.

use palisade_core::Location;

use crate::admin::AdminPolicy;
use crate::calico::{CalicoPolicy, Tier as CalicoTier};
use crate::conn::ConnectionSet;
use crate::endpoints::Pods;
use crate::eval::{rule_conns, Action, Decision, RuleRef, Tier};
use crate::index::{slot, RulePeers};
use crate::model::{Model, PolicyId};
use crate::policy::Direction;

pub(crate) mod check;
pub(crate) mod index;
pub(crate) mod load;
pub(crate) mod matrix;

pub(crate) use index::{CompiledAdmin, CompiledCalico};

/// A member of a Calico tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Member {
    /// A Kubernetes NetworkPolicy (index into `Model::policies`).
    K8s(u32),
    /// A Calico policy (index into `Model::calico_policies`).
    Calico(u32),
}

/// Everything the ordered evaluation needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct TierIndex {
    pub calico: Vec<CompiledCalico>,
    pub admin: Vec<CompiledAdmin>,
    /// Per tier of `Model::tiers`, its members in evaluation order.
    pub members: Vec<Vec<Member>>,
    /// True when some Calico or admin policy exists (else NetworkPolicy alone decides, and
    /// the plain NetworkPolicy evaluators are used).
    pub active: bool,
}

/// Where a step's rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum StepSrc {
    Admin(u32, u32),
    K8s(u32, u32),
    Calico(u32, u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Step {
    pub src: StepSrc,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Segment {
    /// `Some(tier index)` for a Calico tier; `None` for the admin and baseline segments.
    pub tier: Option<usize>,
    /// What happens to what no rule decided: `Deny` or `Pass`.
    pub end: Action,
    /// Steps `start..stop` of the plan.
    pub start: usize,
    pub stop: usize,
}

/// One side's ordered rules. Pods with equal plans are judged alike (up to their named
/// ports), which the matrix uses to share work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    pub segments: Vec<Segment>,
}

impl Plan {
    /// The side of `subject` (a pod) in `direction`.
    pub fn of(model: &Model, subject: usize, direction: Direction) -> Plan {
        let t = &model.tier_index;
        let d = slot(direction);
        let mut plan = Plan::default();
        let admin = model.admin_policies();
        let admin_segment = |plan: &mut Plan, baseline: bool| {
            let start = plan.steps.len();
            for (a, policy) in admin.iter().enumerate() {
                let is_baseline = policy.kind == crate::admin::AdminKind::Baseline;
                if is_baseline != baseline || !t.admin[a].selected.contains(subject) {
                    continue;
                }
                for (ri, rule) in policy.rules(direction).iter().enumerate() {
                    plan.steps.push(Step {
                        src: StepSrc::Admin(a as u32, ri as u32),
                        action: rule.action,
                    });
                }
            }
            if plan.steps.len() > start {
                plan.segments.push(Segment {
                    tier: None,
                    end: Action::Pass,
                    start,
                    stop: plan.steps.len(),
                });
            }
        };
        admin_segment(&mut plan, false);
        for (ti, members) in t.members.iter().enumerate() {
            let start = plan.steps.len();
            let mut applies = false;
            for m in members {
                match *m {
                    Member::K8s(p) => {
                        let policy = &model.policies()[p as usize];
                        if !policy.affects(direction)
                            || !model.index.policies[p as usize].selected.contains(subject)
                        {
                            continue;
                        }
                        applies = true;
                        for ri in 0..policy.rules(direction).len() {
                            plan.steps.push(Step {
                                src: StepSrc::K8s(p, ri as u32),
                                action: Action::Allow,
                            });
                        }
                    }
                    Member::Calico(c) => {
                        let policy = &model.calico_policies()[c as usize];
                        let compiled = &t.calico[c as usize];
                        if !policy.affects(direction) || !compiled.selected.contains(subject) {
                            continue;
                        }
                        applies = true;
                        for (ri, rule) in policy.rules(direction).iter().enumerate() {
                            if compiled.rules[d][ri].subject.contains(subject) {
                                plan.steps.push(Step {
                                    src: StepSrc::Calico(c, ri as u32),
                                    action: rule.action,
                                });
                            }
                        }
                    }
                }
            }
            if applies {
                plan.segments.push(Segment {
                    tier: Some(ti),
                    end: model.tiers()[ti].default_action,
                    start,
                    stop: plan.steps.len(),
                });
            } else {
                plan.steps.truncate(start);
            }
        }
        admin_segment(&mut plan, true);
        plan
    }

    /// The endpoints a step's peers match.
    pub fn peers<'m>(model: &'m Model, step: &Step, direction: Direction) -> &'m RulePeers {
        let d = slot(direction);
        match step.src {
            StepSrc::Admin(p, r) => &model.tier_index.admin[p as usize].rules[d][r as usize],
            StepSrc::K8s(p, r) => &model.index.policies[p as usize].peers[d][r as usize],
            StepSrc::Calico(p, r) => {
                &model.tier_index.calico[p as usize].rules[d][r as usize].peers
            }
        }
    }

    /// What a step's rule matches toward `dst` (`None`: an external address).
    pub fn conns(
        model: &Model,
        step: &Step,
        direction: Direction,
        dst: Option<&Pods>,
    ) -> ConnectionSet {
        match step.src {
            StepSrc::Admin(p, r) => {
                model.admin_policies()[p as usize].rules(direction)[r as usize].conns(dst)
            }
            StepSrc::K8s(p, r) => rule_conns(
                &model.policies()[p as usize].rules(direction)[r as usize],
                dst,
            ),
            StepSrc::Calico(p, r) => {
                model.calico_policies()[p as usize].rules(direction)[r as usize].conns(dst)
            }
        }
    }

    /// The allowed connections, given which steps' peers match (`hit`) and what each
    /// step's rule matches (`conns`).
    pub fn evaluate(
        &self,
        hit: impl Fn(usize) -> bool,
        conns: impl Fn(usize) -> ConnectionSet,
    ) -> ConnectionSet {
        let mut undecided = ConnectionSet::all();
        let mut allowed = ConnectionSet::none();
        for seg in &self.segments {
            let mut pending = undecided;
            let mut passed = ConnectionSet::none();
            for k in seg.start..seg.stop {
                if pending.is_empty() {
                    break;
                }
                if !hit(k) {
                    continue;
                }
                let m = conns(k).intersection(&pending);
                if m.is_empty() {
                    continue;
                }
                match self.steps[k].action {
                    Action::Allow => {
                        allowed = allowed.union(&m);
                        pending = pending.difference(&m);
                    }
                    Action::Pass => {
                        passed = passed.union(&m);
                        pending = pending.difference(&m);
                    }
                    Action::Log => {}
                    _ => pending = pending.difference(&m),
                }
            }
            if seg.end == Action::Pass {
                passed = passed.union(&pending);
            }
            undecided = passed;
        }
        allowed.union(&undecided)
    }

    /// The rules one connection meets, in order (matched `Log` and `Pass` rules, then the
    /// deciding one), and the decision.
    pub fn trace(
        &self,
        model: &Model,
        direction: Direction,
        hit: impl Fn(usize) -> bool,
        contains: impl Fn(usize) -> bool,
    ) -> (Vec<RuleRef>, Decision) {
        let mut trail = Vec::new();
        for seg in &self.segments {
            let mut passed = false;
            for k in seg.start..seg.stop {
                if !hit(k) || !contains(k) {
                    continue;
                }
                let r = rule_ref(model, &self.steps[k], direction);
                trail.push(r.clone());
                match self.steps[k].action {
                    Action::Log => {}
                    Action::Pass => {
                        passed = true;
                        break;
                    }
                    _ => return (trail, Decision::Rule(r)),
                }
            }
            if !passed && seg.end != Action::Pass {
                if let Some(ti) = seg.tier {
                    let tier = model.tiers()[ti].name.clone();
                    return (
                        trail,
                        Decision::EndOfTier {
                            tier,
                            action: seg.end,
                        },
                    );
                }
            }
        }
        (trail, Decision::Default)
    }
}

fn rule_ref(model: &Model, step: &Step, direction: Direction) -> RuleRef {
    let (tier, policy, index, location): (Tier, u32, u32, Location) = match step.src {
        StepSrc::Admin(p, r) => {
            let pol: &AdminPolicy = &model.admin_policies()[p as usize];
            let tier = match pol.kind {
                crate::admin::AdminKind::Admin => Tier::Admin,
                crate::admin::AdminKind::Baseline => Tier::Baseline,
            };
            (
                tier,
                p,
                r,
                pol.rules(direction)[r as usize].location.clone(),
            )
        }
        StepSrc::K8s(p, r) => (
            Tier::NetworkPolicy,
            p,
            r,
            model.policies()[p as usize].rules(direction)[r as usize]
                .location
                .clone(),
        ),
        StepSrc::Calico(p, r) => {
            let pol: &CalicoPolicy = &model.calico_policies()[p as usize];
            (
                Tier::Calico,
                p,
                r,
                pol.rules(direction)[r as usize].location.clone(),
            )
        }
    };
    RuleRef {
        tier,
        policy: PolicyId(policy),
        direction,
        index: index as usize,
        location,
        action: step.action,
    }
}

/// Orders the tiers (by order, missing last, then name) and each tier's members (by order,
/// missing last, then by the name Felix sorts on: `namespace/name`, with Kubernetes
/// policies named `knp.default.<name>`).
pub(crate) fn order_members(
    tiers: &[CalicoTier],
    k8s: &[crate::policy::NetworkPolicy],
    calico: &[CalicoPolicy],
) -> Vec<Vec<Member>> {
    let mut out: Vec<Vec<(Option<f64>, String, Member)>> = vec![Vec::new(); tiers.len()];
    let find = |name: &str| tiers.iter().position(|t| t.name == name);
    if let Some(d) = find(crate::calico::DEFAULT_TIER) {
        for (i, p) in k8s.iter().enumerate() {
            out[d].push((
                Some(crate::calico::K8S_POLICY_ORDER),
                format!("{}/knp.default.{}", p.namespace, p.name),
                Member::K8s(i as u32),
            ));
        }
    }
    for (i, p) in calico.iter().enumerate() {
        if let Some(t) = find(&p.tier) {
            out[t].push((p.order, p.full_name(), Member::Calico(i as u32)));
        }
    }
    out.into_iter()
        .map(|mut v| {
            v.sort_by(|a, b| crate::calico::cmp_order((a.0, &a.1), (b.0, &b.1)));
            v.into_iter().map(|(_, _, m)| m).collect()
        })
        .collect()
}
