//! The objects the network analysis reads beyond the workloads, NetworkPolicies and Services
//! a scan reads ahead: Namespaces, ServiceAccounts, Calico and admin network objects,
//! Ingresses and Gateway API objects. A scan notes which they are while each input's trees
//! are in cache ([`crate::model::PerObjectRead`]); the analysis then looks at these few
//! instead of passing over every object of a large inventory again, long out of cache. Each
//! reader still picks its own kinds out of the list, so the list may hold more than a reader
//! wants, never less.

use palisade_core::Object;

use crate::exposure::routes::GATEWAY_GROUP;
use crate::tiers::load::{ADMIN_API, CALICO_API};

/// Whether the analysis reads `obj` beyond what a scan reads ahead.
pub(crate) fn is_other(obj: &Object) -> bool {
    let id = &obj.id;
    matches!(
        id.kind.as_str(),
        "Namespace" | "ServiceAccount" | "Ingress" | "HTTPRoute" | "TCPRoute"
    ) || matches!(id.api_version.as_str(), CALICO_API | ADMIN_API)
        || id.api_version.starts_with(GATEWAY_GROUP)
}

/// Those of `objects`, in order (for a caller with nothing read ahead).
pub(crate) fn of(objects: &[Object]) -> Vec<&Object> {
    objects.iter().filter(|o| is_other(o)).collect()
}

/// Those of `objects` at `indexes` (noted ahead, in order).
pub(crate) fn at<'o>(objects: &'o [Object], indexes: &[usize]) -> Vec<&'o Object> {
    indexes.iter().filter_map(|&i| objects.get(i)).collect()
}

#[cfg(test)]
mod tests {
    use palisade_core::inventory::load_str;

    use super::*;

    /// Every kind a reader of the list picks is on it; the workloads, NetworkPolicies and
    /// Services a scan reads ahead are not.
    #[test]
    fn lists_what_the_readers_pick_and_nothing_read_ahead() {
        let text = "\
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: s, namespace: a}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, namespace: a}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: g, namespace: a}
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: r, namespace: a}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: t, namespace: a}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: deny}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: a}
";
        let loaded = load_str("t.yaml", text, &Default::default());
        assert_eq!(loaded.objects.len(), 12);
        let listed: Vec<&str> = of(&loaded.objects)
            .iter()
            .map(|o| o.id.name.as_str())
            .collect();
        assert_eq!(
            listed,
            ["a", "s", "i", "g", "r", "t", "security", "deny", "default"]
        );
        let at_indexes: Vec<&str> = at(&loaded.objects, &[1, 10, 99])
            .iter()
            .map(|o| o.id.name.as_str())
            .collect();
        assert_eq!(at_indexes, ["s", "p"]);
    }
}
