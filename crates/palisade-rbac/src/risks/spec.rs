//! What a risk is made of ([`RiskSpec`]): the rule it reports, the permissions that grant
//! it, its severity cluster-wide and in one namespace, and the words of its message. The
//! family modules define the specs; the driver judges every role against them.

use palisade_core::{Rule, Severity};

use super::grant::Probe;

/// Good-practices page every RBAC risk cites.
pub(crate) const GOOD_PRACTICES: &str =
    "https://kubernetes.io/docs/concepts/security/rbac-good-practices/";
/// RBAC reference.
pub(crate) const RBAC_REF: &str = "https://kubernetes.io/docs/reference/access-authn-authz/rbac/";
/// NSA/CISA mapping text shared by the RBAC rules.
pub(crate) const NSA_RBAC: &str = "Authentication and authorization: role-based access control";

/// One risky permission.
#[derive(Debug)]
pub(crate) struct RiskSpec {
    /// The rule that reports it.
    pub rule: &'static Rule,
    /// What the holder can do, as a verb phrase (`read Secrets`).
    pub what: &'static str,
    /// Why it escalates, one clause for the message.
    pub why: &'static str,
    /// The permissions any of which grants it.
    pub probes: &'static [Probe],
    /// A second permission the risk also needs (approving a CSR needs `approve` on the
    /// signer besides `update` on the approval subresource); empty when none.
    pub also: &'static [Probe],
    /// Names in `also`'s resourceNames that still grant the full risk.
    pub also_full_names: &'static [&'static str],
    /// Severity through a ClusterRoleBinding (the rule's default severity).
    pub cluster: Severity,
    /// Severity through a RoleBinding; `None` when only cluster-scoped resources grant it.
    pub namespaced: Option<Severity>,
}
