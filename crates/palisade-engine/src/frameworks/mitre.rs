//! MITRE ATT&CK for Containers: the techniques that concern a Kubernetes cluster's
//! configuration. Ids and names are ATT&CK's. A rule that names a sub-technique
//! (`T1078.001`) judges its parent technique (`T1078`) too; a parent does not judge a
//! sub-technique listed on its own (`T1552.001`).

use palisade_core::Rule;

use super::{Control, Framework, FrameworkId};

const CONTROLS: &[Control] = &[
    // Initial access
    Control::mapped("T1190", "Exploit Public-Facing Application"),
    Control::mapped("T1133", "External Remote Services"),
    Control::mapped("T1078", "Valid Accounts"),
    // Execution
    Control::mapped("T1609", "Container Administration Command"),
    Control::mapped("T1610", "Deploy Container"),
    Control::outside(
        "T1053.007",
        "Scheduled Task/Job: Container Orchestration Job",
        "a CronJob is legitimate or not by intent, which manifests do not show",
    ),
    Control::outside(
        "T1204.003",
        "User Execution: Malicious Image",
        "needs the image contents (image scanning)",
    ),
    // Persistence
    Control::mapped("T1098", "Account Manipulation"),
    Control::mapped("T1525", "Implant Internal Image"),
    // Privilege escalation
    Control::mapped("T1611", "Escape to Host"),
    Control::mapped("T1068", "Exploitation for Privilege Escalation"),
    // Defense evasion
    Control::outside(
        "T1612",
        "Build Image on Host",
        "happens on a node's container daemon, not in manifests",
    ),
    Control::outside(
        "T1562.001",
        "Impair Defenses: Disable or Modify Tools",
        "needs runtime monitoring",
    ),
    Control::outside(
        "T1070",
        "Indicator Removal",
        "needs audit logs and runtime monitoring",
    ),
    // Credential access
    Control::mapped("T1552.001", "Unsecured Credentials: Credentials In Files"),
    Control::mapped("T1552.007", "Unsecured Credentials: Container API"),
    Control::mapped("T1528", "Steal Application Access Token"),
    Control::mapped("T1110", "Brute Force"),
    // Discovery
    Control::mapped("T1613", "Container and Resource Discovery"),
    Control::mapped("T1046", "Network Service Discovery"),
    // Exfiltration
    Control::mapped("T1041", "Exfiltration Over C2 Channel"),
    // Impact
    Control::mapped("T1496", "Resource Hijacking"),
    Control::mapped("T1499", "Endpoint Denial of Service"),
];

/// Whether a mapped technique id judges the control: the same technique, or one of its
/// sub-techniques.
fn judges(technique: &str, control: &str) -> bool {
    let t = technique.trim();
    t == control
        || t.strip_prefix(control)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn names(rule: &Rule, control: &str) -> bool {
    rule.controls.mitre.iter().any(|t| judges(t, control))
}

pub(super) fn framework() -> Framework {
    Framework {
        id: FrameworkId::Mitre,
        title: "MITRE ATT&CK for Containers",
        uri: "https://attack.mitre.org/matrices/enterprise/containers/",
        controls: CONTROLS.to_vec(),
        names,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_technique_a_rule_names_is_judged() {
        let fw = framework();
        for rule in crate::Engine::builtin().catalog() {
            for t in rule.controls.mitre {
                assert!(
                    fw.controls.iter().any(|c| judges(t, c.id)),
                    "{} names {t}, which crates/palisade-engine/src/frameworks/mitre.rs \
                     does not list",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn sub_techniques_judge_their_parent_only() {
        let rule = |ids: &'static [&'static str]| Rule {
            controls: palisade_core::Controls {
                mitre: ids,
                ..Default::default()
            },
            ..palisade_core::exceptions::EXPIRED_EXCEPTION.clone()
        };
        let sub = rule(&["T1078.001"]);
        assert!(names(&sub, "T1078"));
        assert!(!names(&sub, "T1552.001"));
        let parent = rule(&["T1552"]);
        assert!(!names(&parent, "T1552.001"));
        // T1611 is not a sub-technique of T161.
        assert!(!names(&rule(&["T1611"]), "T161"));
    }
}
