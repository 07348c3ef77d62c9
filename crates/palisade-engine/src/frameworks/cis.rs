//! CIS Kubernetes Benchmark, section 5 (Policies), with the numbering of the recent releases
//! (v1.8 and later). Titles are Palisade's short wording of each recommendation; the
//! benchmark itself (free from CIS) has the rationale and audit steps. Rules name these ids
//! in `controls.cis`.

use palisade_core::Rule;

use super::{Control, Framework, FrameworkId};

const CONTROLS: &[Control] = &[
    // 5.1 RBAC and service accounts
    Control::mapped("5.1.1", "cluster-admin bound only where it is needed"),
    Control::mapped("5.1.2", "Few subjects can read Secrets"),
    Control::mapped("5.1.3", "No wildcards in Roles and ClusterRoles"),
    Control::mapped("5.1.4", "Few subjects can create pods"),
    Control::mapped(
        "5.1.5",
        "Default service accounts are not used by workloads",
    ),
    Control::mapped("5.1.6", "Service account tokens mounted only where needed"),
    Control::outside(
        "5.1.7",
        "No use of the system:masters group",
        "membership comes from client certificates the API server accepts, which no \
         manifest shows",
    ),
    Control::mapped("5.1.8", "Few subjects hold bind, impersonate or escalate"),
    Control::mapped("5.1.9", "Few subjects can create PersistentVolumes"),
    Control::mapped(
        "5.1.10",
        "Few subjects can reach the nodes/proxy subresource",
    ),
    Control::mapped(
        "5.1.11",
        "Few subjects can approve certificate signing requests",
    ),
    Control::mapped(
        "5.1.12",
        "Few subjects can change admission webhook configurations",
    ),
    Control::mapped("5.1.13", "Few subjects can create service account tokens"),
    // 5.2 Pod security standards
    Control::outside(
        "5.2.1",
        "At least one policy control mechanism is active",
        "needs the cluster's admission configuration (Pod Security Admission, or a policy \
         engine), which manifests do not show",
    ),
    Control::mapped("5.2.2", "Privileged containers kept out"),
    Control::mapped(
        "5.2.3",
        "Containers sharing the host PID namespace kept out",
    ),
    Control::mapped(
        "5.2.4",
        "Containers sharing the host IPC namespace kept out",
    ),
    Control::mapped("5.2.5", "Containers sharing the host network kept out"),
    Control::mapped("5.2.6", "Containers allowing privilege escalation kept out"),
    Control::mapped("5.2.7", "Root containers kept out"),
    Control::mapped("5.2.8", "Containers with NET_RAW kept out"),
    Control::mapped("5.2.9", "Containers adding capabilities kept out"),
    Control::mapped("5.2.10", "Containers keep no capabilities they do not need"),
    Control::mapped("5.2.11", "Windows HostProcess containers kept out"),
    Control::mapped("5.2.12", "hostPath volumes kept out"),
    Control::mapped("5.2.13", "Containers using host ports kept out"),
    // 5.3 Network policies and CNI
    Control::outside(
        "5.3.1",
        "The CNI plugin enforces NetworkPolicies",
        "depends on the cluster's network plugin, not on manifests",
    ),
    Control::mapped("5.3.2", "Every namespace has NetworkPolicies"),
    // 5.4 Secrets management
    Control::mapped(
        "5.4.1",
        "Secrets read from files rather than environment variables",
    ),
    Control::mapped("5.4.2", "Secrets kept in an external secret store"),
    // 5.5 Extensible admission control
    Control::outside(
        "5.5.1",
        "Image provenance enforced by the ImagePolicyWebhook admission controller",
        "needs the API server's admission configuration; PAL-IMG-003 (approved registries) \
         is related but does not show that the webhook is configured",
    ),
    // 5.7 General policies
    Control::mapped("5.7.1", "Namespaces draw administrative boundaries"),
    Control::mapped(
        "5.7.2",
        "Pods use the RuntimeDefault (or a stricter) seccomp profile",
    ),
    Control::mapped("5.7.3", "Pods and containers set a security context"),
    Control::mapped("5.7.4", "The default namespace is not used"),
];

fn names(rule: &Rule, control: &str) -> bool {
    rule.controls.cis.iter().any(|c| c.trim() == control)
}

pub(super) fn framework() -> Framework {
    Framework {
        id: FrameworkId::Cis,
        title: "CIS Kubernetes Benchmark, section 5: Policies",
        uri: "https://www.cisecurity.org/benchmark/kubernetes",
        controls: CONTROLS.to_vec(),
        names,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cis_id_a_rule_names_is_a_control() {
        for rule in crate::Engine::builtin().catalog() {
            for id in rule.controls.cis {
                assert!(
                    CONTROLS.iter().any(|c| c.id == *id),
                    "{} maps to CIS {id}, which crates/palisade-engine/src/frameworks/cis.rs \
                     does not define",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn rbac_controls_are_judged_by_the_effective_permission_rules() {
        let catalog = crate::Engine::builtin().catalog();
        let fw = framework();
        for (control, rule) in [
            ("5.1.2", "PAL-RBAC-013"),
            ("5.1.4", "PAL-RBAC-017"),
            ("5.1.5", "PAL-RBAC-023"),
            ("5.1.6", "PAL-RBAC-024"),
            ("5.1.8", "PAL-RBAC-011"),
            ("5.1.9", "PAL-RBAC-018"),
            ("5.1.10", "PAL-RBAC-016"),
            ("5.1.11", "PAL-RBAC-019"),
            ("5.1.12", "PAL-RBAC-020"),
            ("5.1.13", "PAL-RBAC-014"),
        ] {
            let c = fw.controls.iter().find(|c| c.id == control).unwrap();
            let ids: Vec<&str> = fw.rules_for(c, &catalog).iter().map(|r| r.id).collect();
            assert!(ids.contains(&rule), "{control}: {ids:?}");
        }
    }

    #[test]
    fn ids_are_section_5() {
        assert!(CONTROLS.iter().all(|c| c.id.starts_with("5.")));
    }
}
