//! Quarantine: policies that isolate one workload, ready for `kubectl apply`.
//!
//! A NetworkPolicy can only *add* allowances: one that selects the workload with no rules
//! isolates it in both directions, but every other NetworkPolicy that selects it still
//! allows what it allows. So the result names those policies, and `calico` adds a Calico
//! Tier ordered before every tier of the input, holding a GlobalNetworkPolicy whose Deny
//! rules come before every Calico policy and every Kubernetes NetworkPolicy (Calico places
//! those in the default tier, which is evaluated last). AdminNetworkPolicies come before
//! any of that: the ones that still allow traffic of the workload are named, and `admin`
//! adds an AdminNetworkPolicy of priority 0 (the first evaluated) that denies it all. DNS
//! egress to the cluster's DNS (`k8s-app: kube-dns` in `kube-system`) can be kept open, so
//! the workload still resolves names while it is examined.

use std::fmt::Write as _;

use crate::admin::AdminKind;
use crate::eval::Action;
use crate::model::{Endpoint, EndpointId, Model, PolicyId};
use crate::policy::Direction;

/// What to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuarantineOptions {
    /// Keep DNS egress (UDP and TCP 53 to kube-dns) open.
    pub allow_dns: bool,
    /// Also write a Calico Tier and GlobalNetworkPolicy evaluated before every Calico and
    /// Kubernetes policy.
    pub calico: bool,
    /// Also write an AdminNetworkPolicy of priority 0, evaluated before everything.
    pub admin: bool,
}

/// The policies, and what the user must know about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantine {
    /// YAML documents, `---` separated.
    pub yaml: String,
    /// Caveats: other policies that still allow traffic, other workloads the selector
    /// also matches.
    pub warnings: Vec<String>,
}

/// Quarantines `target` (a workload). Fails when the workload's pods have no labels, which
/// no selector could pick out.
pub fn quarantine(
    model: &Model,
    target: EndpointId,
    options: &QuarantineOptions,
) -> Result<Quarantine, String> {
    let Some(Endpoint::Pods(pods)) = model.endpoint(target) else {
        return Err("only a workload can be quarantined, not an address range".into());
    };
    if pods.labels.is_empty() {
        return Err(format!(
            "the pods of {} have no labels: no selector can pick them out; label them first",
            pods.name()
        ));
    }
    let mut warnings = Vec::new();
    let also: Vec<String> = model
        .endpoints()
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != target.index())
        .filter_map(|(_, e)| e.as_pods())
        .filter(|p| {
            p.namespace == pods.namespace
                && pods.labels.iter().all(|(k, v)| p.labels.get(k) == Some(v))
        })
        .map(|p| format!("{}/{}/{}", p.kind(), p.namespace, p.name()))
        .collect();
    if !also.is_empty() {
        warnings.push(format!(
            "the selector also matches {}: they are quarantined too",
            also.join(", ")
        ));
    }
    for direction in [Direction::Ingress, Direction::Egress] {
        let allowing: Vec<String> = model
            .isolating(target, direction)
            .into_iter()
            .filter_map(|id| model.policy(id))
            .filter(|p| !p.rules(direction).is_empty())
            .map(|p| p.full_name())
            .collect();
        if !allowing.is_empty() && !options.calico && !options.admin {
            warnings.push(format!(
                "NetworkPolicies add up: {} still allow{} {} traffic of this workload; \
                 delete them too, or use --calico (a Deny that comes first)",
                allowing.join(", "),
                if allowing.len() == 1 { "s" } else { "" },
                direction.as_str().to_lowercase()
            ));
        }
    }
    let allowing_admin: Vec<String> = model
        .admin_policies()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind == AdminKind::Admin)
        .filter(|(i, p)| {
            model
                .selected_by_admin(PolicyId(*i as u32))
                .contains(&target)
                && p.ingress
                    .iter()
                    .chain(&p.egress)
                    .any(|r| r.action == Action::Allow)
        })
        .map(|(_, p)| p.name.clone())
        .collect();
    if !allowing_admin.is_empty() && !options.admin {
        warnings.push(format!(
            "AdminNetworkPolicy {} allow{} traffic of this workload and come{} before every \
             NetworkPolicy and Calico policy; add --admin (a priority-0 Deny)",
            allowing_admin.join(", "),
            if allowing_admin.len() == 1 { "s" } else { "" },
            if allowing_admin.len() == 1 { "s" } else { "" },
        ));
    }
    let name = format!("quarantine-{}", pods.name());
    let mut yaml = String::new();
    let _ = writeln!(
        yaml,
        "# Isolates {}/{}/{}: no traffic in{}.",
        pods.kind(),
        pods.namespace,
        pods.name(),
        if options.allow_dns {
            ", none out but DNS"
        } else {
            " or out"
        }
    );
    yaml.push_str("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n");
    let _ = writeln!(yaml, "  name: {}", quote(&name));
    let _ = writeln!(yaml, "  namespace: {}", quote(&pods.namespace));
    yaml.push_str("spec:\n  podSelector:\n    matchLabels:\n");
    for (k, v) in &pods.labels {
        let _ = writeln!(yaml, "      {}: {}", quote(k), quote(v));
    }
    yaml.push_str("  policyTypes: [Ingress, Egress]\n  ingress: []\n");
    if options.allow_dns {
        yaml.push_str(
            "  egress:\n    - to:\n        - namespaceSelector:\n            matchLabels: {kubernetes.io/metadata.name: kube-system}\n          podSelector:\n            matchLabels: {k8s-app: kube-dns}\n      ports:\n        - {protocol: UDP, port: 53}\n        - {protocol: TCP, port: 53}\n",
        );
    } else {
        yaml.push_str("  egress: []\n");
    }
    if options.calico {
        // A tier ordered before every tier of the input (Calico evaluates lower orders first).
        let first = model
            .tiers()
            .iter()
            .filter_map(|t| t.order)
            .fold(f64::INFINITY, f64::min);
        let order = if first.is_finite() && first <= 1.0 {
            first / 2.0
        } else {
            1.0
        };
        yaml.push_str("---\n");
        let _ = writeln!(
            yaml,
            "# Calico: a tier of its own, ordered before every other tier, so its Deny comes \
             before every Calico policy and every NetworkPolicy (the default tier is last)."
        );
        yaml.push_str(
            "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: quarantine\n",
        );
        let _ = writeln!(yaml, "spec:\n  order: {order}");
        yaml.push_str(
            "---\napiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n",
        );
        let _ = writeln!(
            yaml,
            "  name: {}",
            quote(&format!("quarantine.{}-{}", pods.namespace, pods.name()))
        );
        yaml.push_str("spec:\n  tier: quarantine\n  order: 0\n");
        let mut selector = format!("projectcalico.org/namespace == '{}'", pods.namespace);
        for (k, v) in &pods.labels {
            let _ = write!(selector, " && {k} == '{v}'");
        }
        let _ = writeln!(yaml, "  selector: {}", quote(&selector));
        yaml.push_str("  types: [Ingress, Egress]\n  ingress:\n    - action: Deny\n  egress:\n");
        if options.allow_dns {
            for protocol in ["UDP", "TCP"] {
                let _ = write!(
                    yaml,
                    "    - action: Allow\n      protocol: {protocol}\n      destination:\n        selector: k8s-app == 'kube-dns'\n        namespaceSelector: projectcalico.org/name == 'kube-system'\n        ports: [53]\n"
                );
            }
        }
        yaml.push_str("    - action: Deny\n");
    }
    if options.admin {
        yaml.push_str("---\n");
        let _ = writeln!(
            yaml,
            "# AdminNetworkPolicy of priority 0: evaluated before every other policy."
        );
        yaml.push_str(
            "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n",
        );
        let _ = writeln!(
            yaml,
            "  name: {}",
            quote(&format!("quarantine-{}-{}", pods.namespace, pods.name()))
        );
        yaml.push_str("spec:\n  priority: 0\n  subject:\n    pods:\n      namespaceSelector:\n        matchLabels:\n");
        let _ = writeln!(
            yaml,
            "          kubernetes.io/metadata.name: {}",
            quote(&pods.namespace)
        );
        yaml.push_str("      podSelector:\n        matchLabels:\n");
        for (k, v) in &pods.labels {
            let _ = writeln!(yaml, "          {}: {}", quote(k), quote(v));
        }
        yaml.push_str("  ingress:\n    - name: deny-all\n      action: Deny\n      from:\n        - namespaces: {}\n  egress:\n");
        if options.allow_dns {
            yaml.push_str("    - name: allow-dns\n      action: Allow\n      to:\n        - pods:\n            namespaceSelector:\n              matchLabels: {kubernetes.io/metadata.name: kube-system}\n            podSelector:\n              matchLabels: {k8s-app: kube-dns}\n      ports:\n        - portNumber: {protocol: UDP, port: 53}\n        - portNumber: {protocol: TCP, port: 53}\n");
        }
        yaml.push_str("    - name: deny-all\n      action: Deny\n      to:\n        - namespaces: {}\n        - networks: [\"0.0.0.0/0\", \"::/0\"]\n");
    }
    Ok(Quarantine { yaml, warnings })
}

/// A YAML scalar, double-quoted (label keys and values may look like numbers or booleans).
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
