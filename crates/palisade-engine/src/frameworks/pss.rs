//! Pod Security Standards: the controls of the baseline and restricted profiles, each with the
//! rules that implement it. Ids are the control names of the standard, in kebab case.

use super::{Control, Framework, FrameworkId};

const URI: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

/// The baseline profile: blocks the known ways out of a pod.
const BASELINE: &[Control] = &[
    Control::rules(
        "host-process",
        "No Windows HostProcess containers",
        &["PAL-POD-011"],
    ),
    Control::rules(
        "host-namespaces",
        "No sharing of the node's network, PID or IPC namespaces",
        &["PAL-POD-001"],
    ),
    Control::rules(
        "privileged-containers",
        "No privileged containers",
        &["PAL-POD-002"],
    ),
    Control::rules(
        "capabilities",
        "Only the default capability set may be added",
        &["PAL-POD-003"],
    ),
    Control::rules("hostpath-volumes", "No hostPath volumes", &["PAL-POD-004"]),
    Control::rules(
        "host-ports",
        "No host ports (or only a known list)",
        &["PAL-POD-005"],
    ),
    Control::rules(
        "apparmor",
        "AppArmor not disabled or overridden",
        &["PAL-POD-006"],
    ),
    Control::rules(
        "selinux",
        "No custom SELinux user or role; only container types",
        &["PAL-POD-007"],
    ),
    Control::rules("proc-mount", "/proc kept masked", &["PAL-POD-008"]),
    Control::rules("seccomp", "Seccomp not set to Unconfined", &["PAL-POD-009"]),
    Control::rules("sysctls", "Only the safe sysctl set", &["PAL-POD-010"]),
    Control::rules(
        "host-probes",
        "Probes and lifecycle hooks do not target another host",
        &["PAL-POD-012"],
    ),
];

/// The restricted profile's own controls, on top of the baseline.
const RESTRICTED: &[Control] = &[
    Control::rules(
        "volume-types",
        "Only volume types backed by API objects or PersistentVolumes",
        &["PAL-POD-020"],
    ),
    Control::rules(
        "privilege-escalation",
        "allowPrivilegeEscalation set to false",
        &["PAL-POD-021"],
    ),
    Control::rules(
        "running-as-non-root",
        "Containers must run as non-root",
        &["PAL-POD-022"],
    ),
    Control::rules(
        "running-as-non-root-user",
        "No container runs as UID 0",
        &["PAL-POD-023"],
    ),
    Control::rules(
        "seccomp-restricted",
        "A seccomp profile (RuntimeDefault or Localhost) is set",
        &["PAL-POD-024"],
    ),
    Control::rules(
        "capabilities-restricted",
        "All capabilities dropped; at most NET_BIND_SERVICE added",
        &["PAL-POD-025"],
    ),
];

/// Baseline controls the restricted profile tightens, as the restricted profile judges them.
const TIGHTENED: &[Control] = &[Control::rules(
    "proc-mount",
    "/proc kept masked (also in user-namespace pods)",
    &["PAL-POD-008", "PAL-POD-026"],
)];

fn names(_: &palisade_core::Rule, _: &str) -> bool {
    // PSS controls list their rules; no mapping string names them.
    false
}

pub(super) fn baseline() -> Framework {
    Framework {
        id: FrameworkId::PssBaseline,
        title: "Pod Security Standards: baseline",
        uri: URI,
        controls: BASELINE.to_vec(),
        names,
    }
}

pub(super) fn restricted() -> Framework {
    let mut controls: Vec<Control> = BASELINE
        .iter()
        .map(|c| {
            TIGHTENED
                .iter()
                .find(|t| t.id == c.id)
                .copied()
                .unwrap_or(*c)
        })
        .collect();
    controls.extend_from_slice(RESTRICTED);
    Framework {
        id: FrameworkId::PssRestricted,
        title: "Pod Security Standards: restricted",
        uri: URI,
        controls,
        names,
    }
}

/// The level a listed rule must have: baseline for the baseline controls, restricted for
/// the restricted ones and for the tightening rules.
#[cfg(test)]
fn listed() -> Vec<(&'static str, palisade_core::PssLevel)> {
    use super::JudgedBy;
    use palisade_core::PssLevel;
    let ids = |controls: &[Control]| -> Vec<&'static str> {
        controls
            .iter()
            .flat_map(|c| match c.judged_by {
                JudgedBy::Rules(ids) => ids.to_vec(),
                _ => Vec::new(),
            })
            .collect()
    };
    let base = ids(BASELINE);
    let mut out: Vec<(&str, PssLevel)> = base.iter().map(|id| (*id, PssLevel::Baseline)).collect();
    for id in ids(RESTRICTED).into_iter().chain(ids(TIGHTENED)) {
        if !base.contains(&id) {
            out.push((id, PssLevel::Restricted));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pss_rule_is_listed_once_under_its_level() {
        let catalog = palisade_checks::catalog();
        let listed = listed();
        for rule in &catalog {
            let Some(level) = rule.controls.pss else {
                assert!(
                    !listed.iter().any(|(id, _)| *id == rule.id),
                    "{} is listed under a PSS control but has no PSS level",
                    rule.id
                );
                continue;
            };
            let entries: Vec<_> = listed.iter().filter(|(id, _)| *id == rule.id).collect();
            assert_eq!(
                entries.len(),
                1,
                "{} ({:?}) must be listed under exactly one PSS control: add it to \
                 crates/palisade-engine/src/frameworks/pss.rs",
                rule.id,
                level
            );
            assert_eq!(
                entries[0].1, level,
                "{} is listed at the wrong level",
                rule.id
            );
        }
        for (id, _) in &listed {
            assert!(
                catalog.iter().any(|r| r.id == *id),
                "PSS control lists {id}, which is not in the catalog"
            );
        }
    }

    #[test]
    fn restricted_includes_every_baseline_control_and_tightens_proc_mount() {
        let base = baseline();
        let restricted = restricted();
        for c in &base.controls {
            assert!(restricted.controls.iter().any(|r| r.id == c.id), "{}", c.id);
        }
        assert_eq!(
            restricted.controls.len(),
            base.controls.len() + RESTRICTED.len()
        );
        let catalog = palisade_checks::catalog();
        let proc_mount = |fw: &Framework| -> Vec<&str> {
            let c = fw.controls.iter().find(|c| c.id == "proc-mount").unwrap();
            fw.rules_for(c, &catalog).iter().map(|r| r.id).collect()
        };
        assert_eq!(proc_mount(&base), ["PAL-POD-008"]);
        assert_eq!(proc_mount(&restricted), ["PAL-POD-008", "PAL-POD-026"]);
    }
}
