//! Quarantine: policies that isolate one workload, ready for `kubectl apply`.
//!
//! A NetworkPolicy can only *add* allowances: one that selects the workload with no rules
//! isolates it in both directions, but every other NetworkPolicy that selects it still
//! allows what it allows. So the result names those policies, and `calico` adds a Calico
//! GlobalNetworkPolicy of order 0 whose Deny rules come before every Kubernetes
//! NetworkPolicy (Calico places those in the default tier at order 1000). DNS egress to the
//! cluster's DNS (`k8s-app: kube-dns` in `kube-system`) can be kept open, so the workload
//! still resolves names while it is examined.

use std::fmt::Write as _;

use crate::model::{Endpoint, EndpointId, Model};
use crate::policy::Direction;

/// What to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuarantineOptions {
    /// Keep DNS egress (UDP and TCP 53 to kube-dns) open.
    pub allow_dns: bool,
    /// Also write a Calico GlobalNetworkPolicy of high precedence.
    pub calico: bool,
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
        if !allowing.is_empty() {
            warnings.push(format!(
                "NetworkPolicies add up: {} still allow{} {} traffic of this workload; \
                 delete them too, or use --calico (a Deny that comes first)",
                allowing.join(", "),
                if allowing.len() == 1 { "s" } else { "" },
                direction.as_str().to_lowercase()
            ));
        }
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
        yaml.push_str("---\n");
        let _ = writeln!(
            yaml,
            "# Calico: order 0 comes before Kubernetes NetworkPolicies (order 1000 in the \
             default tier), so its Deny wins over any allowance."
        );
        yaml.push_str("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n");
        let _ = writeln!(
            yaml,
            "  name: {}",
            quote(&format!("quarantine-{}-{}", pods.namespace, pods.name()))
        );
        yaml.push_str("spec:\n  order: 0\n");
        let mut selector = format!("projectcalico.org/namespace == '{}'", pods.namespace);
        for (k, v) in &pods.labels {
            let _ = write!(selector, " && {k} == '{v}'");
        }
        let _ = writeln!(yaml, "  selector: {}", quote(&selector));
        yaml.push_str("  types: [Ingress, Egress]\n  ingress:\n    - action: Deny\n  egress:\n");
        if options.allow_dns {
            yaml.push_str(
                "    - action: Allow\n      protocol: UDP\n      destination:\n        selector: k8s-app == 'kube-dns'\n        namespaceSelector: projectcalico.org/name == 'kube-system'\n        ports: [53]\n    - action: Allow\n      protocol: TCP\n      destination:\n        selector: k8s-app == 'kube-dns'\n        namespaceSelector: projectcalico.org/name == 'kube-system'\n        ports: [53]\n",
            );
        }
        yaml.push_str("    - action: Deny\n");
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
