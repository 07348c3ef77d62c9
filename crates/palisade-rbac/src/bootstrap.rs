//! The bootstrap policy: the ClusterRoles and ClusterRoleBindings every API server creates
//! at start-up (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, `ClusterRoles`
//! and `ClusterRoleBindings`), for one Kubernetes version ([`BOOTSTRAP_VERSION`]).
//!
//! The data is our own transcription (`bootstrap/v1.33.yaml`, embedded), read with the same
//! parser as the input. A [`crate::Policy`] uses a default only when the input does not
//! define that ClusterRole or ClusterRoleBinding name (the input wins), and every default
//! used keeps [`crate::Origin::Bootstrap`]. Not included: the `system:controller:*` roles and
//! bindings of controller_policy.go (a cluster dump carries them), and rules behind feature
//! gates that are off by default.

use palisade_core::inventory::{load_str, LoadLimits};

use crate::model::{parse_objects, Origin, Parsed};

/// The Kubernetes version the bootstrap policy was transcribed from: upstream's
/// `bootstrappolicy/testdata/cluster-roles.yaml` at commit 025f2834, whose content places it
/// in the v1.28–v1.33 series (`selfsubjectreviews` in `system:basic-user` arrived in v1.28;
/// v1.34 added `nodes/metrics` to `system:monitoring`, which it lacks). Named after the
/// newest release it can be.
pub const BOOTSTRAP_VERSION: &str = "v1.33";

/// The embedded data file.
pub(crate) const DATA: &str = include_str!("../bootstrap/v1.33.yaml");

/// The bootstrap roles and bindings, parsed (aggregation is computed with the input's).
pub(crate) fn policy() -> Parsed {
    let loaded = load_str("<bootstrap>", DATA, &LoadLimits::default());
    parse_objects(&loaded.objects, "", &|_| Origin::Bootstrap {
        version: BOOTSTRAP_VERSION,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BindingKind, RoleKind};

    #[test]
    fn data_loads_without_errors_or_problems() {
        let loaded = load_str("<bootstrap>", DATA, &LoadLimits::default());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let parsed = policy();
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        assert!(parsed.roles.len() >= 30, "{}", parsed.roles.len());
        assert!(parsed.roles.iter().all(|r| r.kind == RoleKind::ClusterRole
            && r.label("kubernetes.io/bootstrapping") == Some("rbac-defaults")
            && r.origin.is_bootstrap()));
    }

    #[test]
    fn every_binding_refers_to_a_bootstrap_role() {
        let parsed = policy();
        for b in &parsed.bindings {
            assert_eq!(b.kind, BindingKind::ClusterRoleBinding);
            let r = b.role_ref.as_ref().unwrap();
            assert!(
                parsed.roles.iter().any(|x| *x.name == *r.name),
                "{} refers to missing {}",
                b.name,
                r.name
            );
            assert_eq!(
                *b.name, *r.name,
                "bootstrap bindings are named after their role"
            );
        }
        let names: Vec<&str> = parsed.bindings.iter().map(|b| &*b.name).collect();
        for expected in [
            "cluster-admin",
            "system:discovery",
            "system:basic-user",
            "system:public-info-viewer",
        ] {
            assert!(names.contains(&expected), "{expected}");
        }
    }

    #[test]
    fn aggregated_roles_have_selectors_and_parts_exist() {
        let parsed = policy();
        for (agg, label) in [
            ("admin", "rbac.authorization.k8s.io/aggregate-to-admin"),
            ("edit", "rbac.authorization.k8s.io/aggregate-to-edit"),
            ("view", "rbac.authorization.k8s.io/aggregate-to-view"),
        ] {
            let role = parsed.roles.iter().find(|r| &*r.name == agg).unwrap();
            assert!(role.rules.is_empty() && role.aggregation.is_some());
            assert!(parsed
                .roles
                .iter()
                .any(|r| r.name.starts_with("system:aggregate-to-")
                    && r.label(label) == Some("true")));
        }
        // Names are unique.
        let mut names: Vec<&str> = parsed.roles.iter().map(|r| &*r.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
