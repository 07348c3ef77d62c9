//! Judging a scan against frameworks: a pure function of the rules that ran, the reported
//! findings (after exceptions) and the frameworks asked for.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_core::framework::score;
use palisade_core::{ControlResult, ControlStatus, Finding, FrameworkSummary, ObjectRef, Rule};

use super::{FrameworkId, JudgedBy};

/// Why a control no rule judges is not covered.
const NO_RULE: &str = "no rule judges this control yet (or its rules are disabled)";

/// Judges `findings` against each framework in `frameworks` (in that order, each once).
///
/// `rules` are the rules that ran; `findings` the reported ones, so a suppressed finding
/// fails no control. A control is *not covered* when no rule that ran judges it, or when
/// manifests cannot show it; *fail* when one of its rules reported a finding (the objects
/// are listed); *pass* otherwise. The score is the share of judged controls that pass.
pub fn summarize(
    rules: &[&'static Rule],
    findings: &[Finding],
    frameworks: &[FrameworkId],
) -> Vec<FrameworkSummary> {
    if frameworks.is_empty() {
        return Vec::new();
    }
    let failing = Failing::of(findings);
    let mut seen: Vec<FrameworkId> = Vec::new();
    let mut out = Vec::new();
    for &id in frameworks {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let fw = id.framework();
        let controls: Vec<ControlResult> = fw
            .controls
            .iter()
            .map(|control| {
                if let JudgedBy::Outside(reason) = control.judged_by {
                    return not_covered(control.id, control.title, reason);
                }
                let rule_ids: Vec<&'static str> =
                    fw.rules_for(control, rules).iter().map(|r| r.id).collect();
                if rule_ids.is_empty() {
                    return not_covered(control.id, control.title, NO_RULE);
                }
                let objects = failing.of_rules(&rule_ids);
                ControlResult {
                    id: control.id,
                    title: control.title,
                    status: if objects.is_empty() {
                        ControlStatus::Pass
                    } else {
                        ControlStatus::Fail
                    },
                    rules: rule_ids,
                    failing: objects,
                    reason: None,
                }
            })
            .collect();
        let passed = controls
            .iter()
            .filter(|c| c.status == ControlStatus::Pass)
            .count();
        let failed = controls
            .iter()
            .filter(|c| c.status == ControlStatus::Fail)
            .count();
        out.push(FrameworkSummary {
            id: id.as_str(),
            title: fw.title,
            uri: fw.uri,
            score: score(passed, failed),
            controls,
        });
    }
    out
}

fn not_covered(id: &'static str, title: &'static str, reason: &'static str) -> ControlResult {
    ControlResult {
        id,
        title,
        status: ControlStatus::NotCovered,
        rules: Vec::new(),
        failing: Vec::new(),
        reason: Some(reason),
    }
}

/// Kind, namespace, name, then apiVersion: how people look objects up.
fn reading_order(a: &ObjectRef, b: &ObjectRef) -> std::cmp::Ordering {
    (&a.kind, &a.namespace, &a.name, &a.api_version).cmp(&(
        &b.kind,
        &b.namespace,
        &b.name,
        &b.api_version,
    ))
}

/// The objects each rule reported, indexed once per scan: every distinct object gets a rank
/// in reading order (kind, namespace, name, apiVersion), so that a control's objects are a
/// union of small integer lists rather than a sort of strings.
struct Failing<'f> {
    /// Distinct objects, by rank.
    objects: Vec<&'f Arc<ObjectRef>>,
    /// Each rule's objects, as sorted distinct ranks.
    by_rule: HashMap<&'f str, Vec<u32>>,
}

impl<'f> Failing<'f> {
    fn of(findings: &'f [Finding]) -> Failing<'f> {
        // Findings on one object share its `Arc`: identify objects by pointer first.
        let mut slots: HashMap<*const ObjectRef, usize> = HashMap::new();
        let mut distinct: Vec<&'f Arc<ObjectRef>> = Vec::new();
        let mut slots_by_rule: HashMap<&'f str, Vec<usize>> = HashMap::new();
        for f in findings {
            let slot = *slots.entry(Arc::as_ptr(&f.object)).or_insert_with(|| {
                distinct.push(&f.object);
                distinct.len() - 1
            });
            let list = slots_by_rule.entry(&f.rule_id).or_default();
            if list.last() != Some(&slot) {
                list.push(slot);
            }
        }
        // Rank in reading order; equal objects behind different pointers share a rank.
        let mut order: Vec<usize> = (0..distinct.len()).collect();
        order.sort_by(|&a, &b| reading_order(distinct[a], distinct[b]));
        let mut rank = vec![0u32; distinct.len()];
        let mut objects: Vec<&'f Arc<ObjectRef>> = Vec::with_capacity(distinct.len());
        for &slot in &order {
            let object = distinct[slot];
            if objects.last().is_none_or(|last| ***last != **object) {
                objects.push(object);
            }
            rank[slot] = u32::try_from(objects.len() - 1).unwrap_or(u32::MAX);
        }
        let by_rule = slots_by_rule
            .into_iter()
            .map(|(rule, slots)| {
                let mut ranks: Vec<u32> = slots.into_iter().map(|s| rank[s]).collect();
                ranks.sort_unstable();
                ranks.dedup();
                (rule, ranks)
            })
            .collect();
        Failing { objects, by_rule }
    }

    /// The distinct objects any of `rules` reported, in reading order.
    fn of_rules(&self, rules: &[&str]) -> Vec<Arc<ObjectRef>> {
        let mut ranks: Vec<u32> = rules
            .iter()
            .filter_map(|r| self.by_rule.get(r))
            .flatten()
            .copied()
            .collect();
        ranks.sort_unstable();
        ranks.dedup();
        ranks
            .into_iter()
            .filter_map(|r| self.objects.get(r as usize))
            .map(|o| Arc::clone(o))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use palisade_core::{Controls, Family, Location, PssLevel, Severity};

    static PRIV: Rule = rule(
        "PAL-POD-002",
        Some(PssLevel::Baseline),
        &["5.2.2"],
        &["T1611"],
    );
    static HOSTNS: Rule = rule(
        "PAL-POD-001",
        Some(PssLevel::Baseline),
        &["5.2.3", "5.2.4", "5.2.5"],
        &["T1611"],
    );
    static WILDCARD: Rule = rule("PAL-RBAC-001", None, &["5.1.3"], &["T1078.001"]);
    static ALSO_HOSTNET: Rule = rule("PAL-TEST-001", None, &["5.2.5"], &[]);

    const fn rule(
        id: &'static str,
        pss: Option<PssLevel>,
        cis: &'static [&'static str],
        mitre: &'static [&'static str],
    ) -> Rule {
        Rule {
            id,
            title: "t",
            severity: Severity::High,
            family: Family::PodSecurity,
            description: "",
            remediation: "",
            references: &[],
            controls: Controls {
                pss,
                cis,
                nsa: &[],
                mitre,
            },
        }
    }

    fn object(kind: &str, name: &str) -> Arc<ObjectRef> {
        Arc::new(ObjectRef {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: Some("app".into()),
            name: name.into(),
        })
    }

    fn finding(rule: &Rule, object: &Arc<ObjectRef>) -> Finding {
        Finding {
            rule_id: palisade_core::RuleId::Borrowed(rule.id),
            severity: rule.severity,
            object: Arc::clone(object),
            location: Location {
                path: Arc::from("x.yaml"),
                line: 1,
                col: 1,
            },
            field: None,
            message: String::new().into(),
            evidence: None,
        }
    }

    fn control<'a>(s: &'a FrameworkSummary, id: &str) -> &'a ControlResult {
        s.controls.iter().find(|c| c.id == id).unwrap()
    }

    #[test]
    fn pass_fail_and_not_covered() {
        let web = object("Pod", "web");
        let rules = [&PRIV, &HOSTNS, &WILDCARD];
        let findings = [finding(&PRIV, &web)];
        let out = summarize(&rules, &findings, &[FrameworkId::Cis]);
        assert_eq!(out.len(), 1);
        let cis = &out[0];
        assert_eq!(cis.id, "cis");
        let privileged = control(cis, "5.2.2");
        assert_eq!(privileged.status, ControlStatus::Fail);
        assert_eq!(privileged.rules, ["PAL-POD-002"]);
        assert_eq!(privileged.failing, [Arc::clone(&web)]);
        assert_eq!(privileged.reason, None);
        let host_pid = control(cis, "5.2.3");
        assert_eq!(host_pid.status, ControlStatus::Pass);
        assert!(host_pid.failing.is_empty());
        // No rule here maps to 5.2.6: not covered, never a silent pass.
        let escalation = control(cis, "5.2.6");
        assert_eq!(escalation.status, ControlStatus::NotCovered);
        assert!(escalation.reason.is_some());
        // Outside what manifests show, even though a catalog rule names it.
        let provenance = control(cis, "5.5.1");
        assert_eq!(provenance.status, ControlStatus::NotCovered);
        assert!(provenance.reason.unwrap().contains("admission"));
        // 5.2.2 fails; 5.1.3, 5.2.3, 5.2.4, 5.2.5 pass.
        assert_eq!(cis.count(ControlStatus::Fail), 1);
        assert_eq!(cis.count(ControlStatus::Pass), 4);
        assert_eq!(cis.score, Some(80.0));
    }

    #[test]
    fn suppressed_findings_fail_nothing() {
        // The engine hands over the reported findings only: with the one finding
        // suppressed, the control passes.
        let rules = [&PRIV];
        let out = summarize(&rules, &[], &[FrameworkId::Cis]);
        assert_eq!(control(&out[0], "5.2.2").status, ControlStatus::Pass);
        assert_eq!(out[0].score, Some(100.0));
    }

    #[test]
    fn failing_objects_are_distinct_and_sorted() {
        let (a, b) = (object("Pod", "a"), object("Pod", "b"));
        let b_again = object("Pod", "b");
        let rules = [&HOSTNS];
        let findings = [
            finding(&HOSTNS, &b),
            finding(&HOSTNS, &a),
            finding(&HOSTNS, &b_again),
            finding(&HOSTNS, &b),
        ];
        let out = summarize(&rules, &findings, &[FrameworkId::Cis]);
        let c = control(&out[0], "5.2.5");
        assert_eq!(c.failing, [Arc::clone(&a), Arc::clone(&b)]);

        // Two rules judging one control: the union of their objects, in reading order
        // (kind first: the ClusterRole comes before the Pods).
        let role = object("ClusterRole", "z");
        let rules = [&HOSTNS, &ALSO_HOSTNET];
        let findings = [
            finding(&HOSTNS, &b),
            finding(&ALSO_HOSTNET, &role),
            finding(&ALSO_HOSTNET, &b_again),
            finding(&ALSO_HOSTNET, &a),
        ];
        let out = summarize(&rules, &findings, &[FrameworkId::Cis]);
        let c = control(&out[0], "5.2.5");
        assert_eq!(c.rules, ["PAL-POD-001", "PAL-TEST-001"]);
        assert_eq!(c.failing, [role, a, b]);
        // 5.2.3 is judged by PAL-POD-001 alone.
        assert_eq!(control(&out[0], "5.2.3").failing.len(), 1);
    }

    #[test]
    fn sub_techniques_count_for_mitre_and_disabled_rules_do_not() {
        let pod = object("ClusterRole", "all");
        let out = summarize(
            &[&WILDCARD],
            &[finding(&WILDCARD, &pod)],
            &[FrameworkId::Mitre],
        );
        assert_eq!(control(&out[0], "T1078").status, ControlStatus::Fail);
        // The rule did not run (disabled): its control is not covered, not passed.
        let out = summarize(&[], &[], &[FrameworkId::Mitre]);
        assert_eq!(control(&out[0], "T1078").status, ControlStatus::NotCovered);
        assert_eq!(out[0].score, None);
    }

    #[test]
    fn frameworks_come_in_the_order_asked_each_once() {
        let out = summarize(
            &[&PRIV],
            &[],
            &[
                FrameworkId::Mitre,
                FrameworkId::PssBaseline,
                FrameworkId::Mitre,
            ],
        );
        let ids: Vec<&str> = out.iter().map(|s| s.id).collect();
        assert_eq!(ids, ["mitre", "pss-baseline"]);
        assert!(summarize(&[&PRIV], &[], &[]).is_empty());
    }

    #[test]
    fn pss_controls_are_judged_by_their_listed_rules() {
        let web = object("Deployment", "web");
        let rules = [&PRIV, &HOSTNS];
        let out = summarize(
            &rules,
            &[finding(&HOSTNS, &web)],
            &[FrameworkId::PssBaseline],
        );
        let pss = &out[0];
        assert_eq!(control(pss, "host-namespaces").status, ControlStatus::Fail);
        assert_eq!(
            control(pss, "privileged-containers").status,
            ControlStatus::Pass
        );
        // Rules not in this scan's rule set leave their controls not covered.
        assert_eq!(control(pss, "seccomp").status, ControlStatus::NotCovered);
        assert_eq!(pss.score, Some(50.0));
    }
}
