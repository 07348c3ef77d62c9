//! Rule metadata: the catalog entries that `palisade rules`, the docs and every output
//! format read, so that they cannot drift apart.

use serde::Serialize;

use crate::finding::Severity;

/// Pod Security Standards level a rule enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    /// Baseline: prevents known privilege escalations.
    Baseline,
    /// Restricted: current pod hardening best practice.
    Restricted,
}

impl PssLevel {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }
}

/// The families rules are grouped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Pod Security Standards controls.
    PodSecurity,
    /// Workload hardening beyond the standards.
    Hardening,
    /// Container images.
    Images,
    /// Secrets in manifests.
    Secrets,
    /// Network exposure.
    Exposure,
    /// Cluster hygiene (namespaces, RBAC first cut).
    Hygiene,
    /// Access control: effective RBAC permissions (who can do what, through which binding).
    Rbac,
    /// Service accounts and their tokens.
    ServiceAccounts,
    /// Data classification (the data workload guide).
    DataClassification,
    /// Dockerfiles (the build stage).
    Dockerfile,
    /// Palisade's own configuration (exceptions).
    Configuration,
    /// Nodes and hosts: CIS node checks, host hardening, SSH access, network probes.
    Node,
    /// The organisation's own policies: Gatekeeper templates, Rego, ValidatingAdmissionPolicy.
    Policies,
}

impl Family {
    /// Human name.
    pub fn title(self) -> &'static str {
        match self {
            Family::PodSecurity => "Pod Security Standards",
            Family::Hardening => "Workload hardening",
            Family::Images => "Images",
            Family::Secrets => "Secrets",
            Family::Exposure => "Exposure",
            Family::Hygiene => "Cluster hygiene",
            Family::Rbac => "Access control (RBAC)",
            Family::ServiceAccounts => "Service accounts",
            Family::DataClassification => "Data classification",
            Family::Dockerfile => "Dockerfiles",
            Family::Configuration => "Configuration",
            Family::Node => "Nodes and hosts",
            Family::Policies => "User policies",
        }
    }
}

/// The controls of outside frameworks a rule maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Controls {
    /// Pod Security Standards level, when the rule is one of its controls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pss: Option<PssLevel>,
    /// CIS Kubernetes Benchmark recommendations (`5.2.2`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub cis: &'static [&'static str],
    /// NSA/CISA Kubernetes Hardening Guide sections.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub nsa: &'static [&'static str],
    /// MITRE ATT&CK for Containers techniques (`T1611`).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub mitre: &'static [&'static str],
}

/// One rule's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// Stable id (`PAL-POD-002`). Never reused once retired.
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Family.
    pub family: Family,
    /// Why it matters.
    pub description: &'static str,
    /// How to fix it.
    pub remediation: &'static str,
    /// Further reading.
    pub references: &'static [&'static str],
    /// Mapped controls.
    pub controls: Controls,
}
