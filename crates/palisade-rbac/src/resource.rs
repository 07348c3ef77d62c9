//! Resource arguments of queries, in the spelling RBAC rules use:
//! `RESOURCE[.GROUP][/SUBRESOURCE]` (`pods`, `deployments.apps`, `pods/exec`,
//! `deployments.apps/scale`, `*`, `*.*`) or a non-resource URL starting with `/`.
//!
//! Differences from `kubectl auth can-i`, which resolves names through the API server's
//! discovery:
//! - the part after `/` is the *subresource* (as in a rule and in `kubectl create role
//!   --resource=pods/exec`), whereas `kubectl auth can-i get pods/web` reads it as an object
//!   name and takes the subresource from `--subresource`; the object name is a separate
//!   query field here;
//! - without discovery, a bare name is resolved by a built-in table of the built-in
//!   Kubernetes resources ([`WELL_KNOWN`]): plural names, common singular names and the
//!   short names kubectl knows (`po`, `deploy`, `svc`, ...) map to their plural resource and
//!   group (`deployments` is `deployments.apps`). Any other bare name is taken as written in
//!   the core group (`""`); a custom resource needs its group (`widgets.example.com`);
//! - `RESOURCE.VERSION.GROUP` is accepted and the version dropped (RBAC has no versions);
//! - built-in cluster-scoped resources are known ([`CLUSTER_SCOPED`]), so that a query
//!   across namespaces does not count RoleBindings for them;
//! - `*` alone is resource `*` in the core group, exactly as kubectl sends it; `*.*` is
//!   every resource of every group.

use std::fmt;

use serde::Serialize;

/// A parsed resource argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ResourceSpec {
    /// A resource.
    #[serde(rename_all = "camelCase")]
    Resource {
        /// API group (`""` core).
        api_group: String,
        /// Plural resource name.
        resource: String,
        /// Subresource, or empty.
        subresource: String,
        /// The name as typed, when the built-in table resolved it (`deploy`).
        #[serde(skip_serializing_if = "Option::is_none")]
        resolved_from: Option<String>,
    },
    /// A non-resource URL.
    NonResource {
        /// The path.
        path: String,
    },
}

/// `resource[.group][/subresource]`, as kubectl spells a resource. `resource` may already
/// hold `resource/subresource` (as rules write it); the group goes before the slash.
pub fn spell_resource(api_group: &str, resource: &str, subresource: &str) -> String {
    let (name, sub) = match resource.split_once('/') {
        Some((n, s)) if subresource.is_empty() => (n, s),
        _ => (resource, subresource),
    };
    let mut out = name.to_string();
    if !api_group.is_empty() {
        out.push('.');
        out.push_str(api_group);
    }
    if !sub.is_empty() {
        out.push('/');
        out.push_str(sub);
    }
    out
}

impl fmt::Display for ResourceSpec {
    /// `resource[.group][/subresource]` or the path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceSpec::NonResource { path } => f.write_str(path),
            ResourceSpec::Resource {
                api_group,
                resource,
                subresource,
                ..
            } => f.write_str(&spell_resource(api_group, resource, subresource)),
        }
    }
}

/// A resource argument that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSpecError {
    /// The text given.
    pub input: String,
    /// Why.
    pub reason: &'static str,
}

impl fmt::Display for ResourceSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read resource `{}`: {}; write RESOURCE[.GROUP][/SUBRESOURCE] (pods, \
             deployments.apps, pods/exec) or a URL path starting with /",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ResourceSpecError {}

/// Built-in resources: (names accepted, plural resource, group).
pub const WELL_KNOWN: &[(&[&str], &str, &str)] = &[
    (&["pods", "pod", "po"], "pods", ""),
    (&["services", "service", "svc"], "services", ""),
    (&["configmaps", "configmap", "cm"], "configmaps", ""),
    (&["secrets", "secret"], "secrets", ""),
    (&["namespaces", "namespace", "ns"], "namespaces", ""),
    (&["nodes", "node", "no"], "nodes", ""),
    (
        &["serviceaccounts", "serviceaccount", "sa"],
        "serviceaccounts",
        "",
    ),
    (
        &["persistentvolumes", "persistentvolume", "pv"],
        "persistentvolumes",
        "",
    ),
    (
        &["persistentvolumeclaims", "persistentvolumeclaim", "pvc"],
        "persistentvolumeclaims",
        "",
    ),
    (&["endpoints", "ep"], "endpoints", ""),
    (&["events", "event", "ev"], "events", ""),
    (
        &["replicationcontrollers", "replicationcontroller", "rc"],
        "replicationcontrollers",
        "",
    ),
    (
        &["resourcequotas", "resourcequota", "quota"],
        "resourcequotas",
        "",
    ),
    (&["limitranges", "limitrange", "limits"], "limitranges", ""),
    (&["podtemplates", "podtemplate"], "podtemplates", ""),
    (
        &["deployments", "deployment", "deploy"],
        "deployments",
        "apps",
    ),
    (&["daemonsets", "daemonset", "ds"], "daemonsets", "apps"),
    (&["replicasets", "replicaset", "rs"], "replicasets", "apps"),
    (
        &["statefulsets", "statefulset", "sts"],
        "statefulsets",
        "apps",
    ),
    (
        &["controllerrevisions", "controllerrevision"],
        "controllerrevisions",
        "apps",
    ),
    (&["jobs", "job"], "jobs", "batch"),
    (&["cronjobs", "cronjob", "cj"], "cronjobs", "batch"),
    (
        &["horizontalpodautoscalers", "horizontalpodautoscaler", "hpa"],
        "horizontalpodautoscalers",
        "autoscaling",
    ),
    (
        &["ingresses", "ingress", "ing"],
        "ingresses",
        "networking.k8s.io",
    ),
    (
        &["networkpolicies", "networkpolicy", "netpol"],
        "networkpolicies",
        "networking.k8s.io",
    ),
    (
        &["ingressclasses", "ingressclass"],
        "ingressclasses",
        "networking.k8s.io",
    ),
    (
        &["poddisruptionbudgets", "poddisruptionbudget", "pdb"],
        "poddisruptionbudgets",
        "policy",
    ),
    (&["roles", "role"], "roles", "rbac.authorization.k8s.io"),
    (
        &["rolebindings", "rolebinding"],
        "rolebindings",
        "rbac.authorization.k8s.io",
    ),
    (
        &["clusterroles", "clusterrole"],
        "clusterroles",
        "rbac.authorization.k8s.io",
    ),
    (
        &["clusterrolebindings", "clusterrolebinding"],
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
    ),
    (
        &["storageclasses", "storageclass", "sc"],
        "storageclasses",
        "storage.k8s.io",
    ),
    (
        &["volumeattachments", "volumeattachment"],
        "volumeattachments",
        "storage.k8s.io",
    ),
    (&["csidrivers", "csidriver"], "csidrivers", "storage.k8s.io"),
    (&["csinodes", "csinode"], "csinodes", "storage.k8s.io"),
    (
        &[
            "certificatesigningrequests",
            "certificatesigningrequest",
            "csr",
        ],
        "certificatesigningrequests",
        "certificates.k8s.io",
    ),
    (
        &[
            "customresourcedefinitions",
            "customresourcedefinition",
            "crd",
            "crds",
        ],
        "customresourcedefinitions",
        "apiextensions.k8s.io",
    ),
    (
        &[
            "mutatingwebhookconfigurations",
            "mutatingwebhookconfiguration",
        ],
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    (
        &[
            "validatingwebhookconfigurations",
            "validatingwebhookconfiguration",
        ],
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
    ),
    (
        &["validatingadmissionpolicies", "validatingadmissionpolicy"],
        "validatingadmissionpolicies",
        "admissionregistration.k8s.io",
    ),
    (
        &["priorityclasses", "priorityclass", "pc"],
        "priorityclasses",
        "scheduling.k8s.io",
    ),
    (
        &["runtimeclasses", "runtimeclass"],
        "runtimeclasses",
        "node.k8s.io",
    ),
    (&["leases", "lease"], "leases", "coordination.k8s.io"),
    (
        &["endpointslices", "endpointslice"],
        "endpointslices",
        "discovery.k8s.io",
    ),
    (
        &["tokenreviews", "tokenreview"],
        "tokenreviews",
        "authentication.k8s.io",
    ),
    (
        &["subjectaccessreviews", "subjectaccessreview"],
        "subjectaccessreviews",
        "authorization.k8s.io",
    ),
    (
        &["apiservices", "apiservice"],
        "apiservices",
        "apiregistration.k8s.io",
    ),
];

/// Built-in cluster-scoped resources, as (group, resource). Without discovery this list is
/// how a query knows that a request for the resource carries no namespace, so that
/// RoleBindings never grant it.
pub const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "nodes"),
    ("", "namespaces"),
    ("", "persistentvolumes"),
    ("", "componentstatuses"),
    ("rbac.authorization.k8s.io", "clusterroles"),
    ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ("storage.k8s.io", "storageclasses"),
    ("storage.k8s.io", "csidrivers"),
    ("storage.k8s.io", "csinodes"),
    ("storage.k8s.io", "volumeattachments"),
    ("certificates.k8s.io", "certificatesigningrequests"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    (
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
    ),
    (
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
    ("scheduling.k8s.io", "priorityclasses"),
    ("node.k8s.io", "runtimeclasses"),
    ("networking.k8s.io", "ingressclasses"),
    ("apiregistration.k8s.io", "apiservices"),
    ("authentication.k8s.io", "tokenreviews"),
    ("authentication.k8s.io", "selfsubjectreviews"),
    ("authorization.k8s.io", "subjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews"),
    ("flowcontrol.apiserver.k8s.io", "flowschemas"),
    (
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
    ),
];

impl ResourceSpec {
    /// True for a built-in cluster-scoped resource ([`CLUSTER_SCOPED`]; subresources
    /// share their resource's scope) and for non-resource URLs: requests for them carry no
    /// namespace.
    pub fn is_cluster_scoped(&self) -> bool {
        match self {
            ResourceSpec::NonResource { .. } => true,
            ResourceSpec::Resource {
                api_group,
                resource,
                ..
            } => CLUSTER_SCOPED
                .iter()
                .any(|(g, r)| g == api_group && r == resource),
        }
    }
}

/// Is this a version segment (`v1`, `v1beta2`, `v2alpha1`)?
fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    tail.is_empty()
        || ["alpha", "beta"].iter().any(|p| {
            tail.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// Parses a resource argument (see the module documentation).
pub fn parse_resource_spec(text: &str) -> Result<ResourceSpec, ResourceSpecError> {
    let err = |reason| ResourceSpecError {
        input: text.to_string(),
        reason,
    };
    if text.starts_with('/') {
        return Ok(ResourceSpec::NonResource { path: text.into() });
    }
    if text.is_empty() || text.chars().any(char::is_whitespace) {
        return Err(err("it is empty or contains spaces"));
    }
    let (type_part, subresource) = match text.split_once('/') {
        Some((t, s)) if s.is_empty() || s.contains('/') => {
            let _ = t;
            return Err(err("a subresource is one word after a single /"));
        }
        Some((t, s)) => (t, s),
        None => (text, ""),
    };
    let (name, group) = match type_part.split_once('.') {
        Some((name, rest)) => {
            let group = match rest.split_once('.') {
                Some((version, group)) if is_version(version) => group,
                _ => rest,
            };
            (name, Some(group))
        }
        None => (type_part, None),
    };
    if name.is_empty() || group.is_some_and(str::is_empty) {
        return Err(err("the resource or the group is empty"));
    }
    let (resource, api_group, resolved_from) = match group {
        Some(g) => (name.to_string(), g.to_string(), None),
        None => match WELL_KNOWN
            .iter()
            .find(|(names, _, _)| names.contains(&name.to_ascii_lowercase().as_str()))
        {
            Some((_, plural, g)) => {
                let from = (*plural != name || !g.is_empty()).then(|| name.to_string());
                (plural.to_string(), g.to_string(), from)
            }
            None => (name.to_string(), String::new(), None),
        },
    };
    Ok(ResourceSpec::Resource {
        api_group,
        resource,
        subresource: subresource.to_string(),
        resolved_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(text: &str) -> (String, String, String) {
        match parse_resource_spec(text).unwrap() {
            ResourceSpec::Resource {
                api_group,
                resource,
                subresource,
                ..
            } => (api_group, resource, subresource),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kubectl_spellings() {
        let t = |g: &str, r: &str, s: &str| (g.to_string(), r.to_string(), s.to_string());
        assert_eq!(res("pods"), t("", "pods", ""));
        assert_eq!(res("po/exec"), t("", "pods", "exec"));
        assert_eq!(res("deploy"), t("apps", "deployments", ""));
        assert_eq!(
            res("deployments.apps/scale"),
            t("apps", "deployments", "scale")
        );
        assert_eq!(res("deployments.v1.apps"), t("apps", "deployments", ""));
        assert_eq!(res("widgets.example.com"), t("example.com", "widgets", ""));
        assert_eq!(res("widgets"), t("", "widgets", ""));
        assert_eq!(res("*"), t("", "*", ""));
        assert_eq!(res("*.*"), t("*", "*", ""));
        assert_eq!(
            parse_resource_spec("/healthz").unwrap(),
            ResourceSpec::NonResource {
                path: "/healthz".into()
            }
        );
        for bad in ["", "pods/", "pods/a/b", ".apps", "pods.", "po ds"] {
            let e = parse_resource_spec(bad).unwrap_err().to_string();
            assert!(e.contains("RESOURCE[.GROUP]"), "{e}");
        }
        assert_eq!(
            parse_resource_spec("deploy").unwrap().to_string(),
            "deployments.apps"
        );
        assert!(parse_resource_spec("nodes/proxy")
            .unwrap()
            .is_cluster_scoped());
        assert!(parse_resource_spec("/metrics").unwrap().is_cluster_scoped());
        assert!(!parse_resource_spec("pods/exec")
            .unwrap()
            .is_cluster_scoped());
    }
}
