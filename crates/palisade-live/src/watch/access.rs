//! What the watcher needs to be allowed: `list` and `watch` on each kind it reads, by API
//! group and resource, for the ClusterRole of `palisade watch manifests`.

use crate::kinds::WANTED;

/// The resource name (plural) of a kind, as the API serves it: the lowercased kind made
/// plural as `UnsafeGuessKindToResource` does (k8s.io/apimachinery/pkg/api/meta/restmapper.go:
/// `…s` → `…ses`, `…y` → `…ies`, otherwise `…s`), except that a vowel before the `y` takes a
/// plain `s`, as the Gateway API names `gateways` (that function would guess `gatewaies`).
/// Every kind in [`WANTED`] is named so by its API; discovery, not this, names what is listed.
pub fn resource_of(kind: &str) -> String {
    let lower = kind.to_lowercase();
    if lower.ends_with('s') {
        return format!("{lower}es");
    }
    if let Some(stem) = lower.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    format!("{lower}s")
}

/// (API group, resources) of every kind the watcher reads, groups in first-use order.
pub fn rules() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for w in WANTED {
        let resource = resource_of(w.kind);
        match out.iter_mut().find(|(g, _)| g == w.group) {
            Some((_, resources)) if !resources.contains(&resource) => resources.push(resource),
            Some(_) => {}
            None => out.push((w.group.to_string(), vec![resource])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_the_api() {
        let got: Vec<String> = [
            "Ingress",
            "NetworkPolicy",
            "Gateway",
            "HTTPRoute",
            "GlobalNetworkPolicy",
            "ValidatingWebhookConfiguration",
            "Pod",
        ]
        .iter()
        .map(|k| resource_of(k))
        .collect();
        assert_eq!(
            got,
            [
                "ingresses",
                "networkpolicies",
                "gateways",
                "httproutes",
                "globalnetworkpolicies",
                "validatingwebhookconfigurations",
                "pods"
            ]
        );
    }

    #[test]
    fn every_wanted_kind_is_granted_once() {
        let rules = rules();
        let total: usize = rules.iter().map(|(_, r)| r.len()).sum();
        // Two groups serve a NetworkPolicy: one resource in each.
        assert_eq!(total, WANTED.len());
        let core = &rules.iter().find(|(g, _)| g.is_empty()).unwrap().1;
        assert!(core.contains(&"secrets".to_string()));
    }
}
