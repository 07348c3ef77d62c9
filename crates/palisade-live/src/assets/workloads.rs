//! Workloads with their images, and the service accounts they run as with what RBAC grants
//! them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use palisade_core::{Inventory, Object, Workload};
use palisade_rbac::{access, AccessMatrix, AccessTarget, Options, Policy, Subject};
use serde::Serialize;

use super::ServiceAccountAsset;
use crate::convert::controller_uid;

/// One workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadAsset {
    /// Kind.
    pub kind: String,
    /// Namespace (`""` when the manifest names none).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `serviceAccountName` (`default` when unset, as the API server's admission sets it).
    pub service_account: String,
    /// Its containers' images.
    pub images: Vec<ImageAsset>,
}

/// One container's image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageAsset {
    /// Container name.
    pub container: String,
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub list: &'static str,
    /// The image as the spec names it.
    pub image: String,
    /// Digests (`sha256:…`) the workload's Pods report running for this container (their
    /// `status.containerStatuses[].imageID`); several during a rollout, none when no Pod
    /// status was read.
    pub digests: Vec<String>,
}

/// The workloads of the inventory, with digests from the Pods under them (their own status,
/// or that of Pods in `controlled` whose chain of controllers leads to them).
pub fn collect(inventory: &Inventory, controlled: &[Object]) -> Vec<WorkloadAsset> {
    let by_uid: HashMap<&str, &Object> = inventory
        .objects
        .iter()
        .chain(controlled)
        .filter_map(|o| Some((o.metadata().get("uid")?.as_str()?, o)))
        .collect();
    // Digests per (top owner's place in the inventory, container name).
    let mut digests: HashMap<(usize, &str), BTreeSet<String>> = HashMap::new();
    let index: HashMap<*const Object, usize> = inventory
        .objects
        .iter()
        .enumerate()
        .map(|(i, o)| (o as *const Object, i))
        .collect();
    for pod in inventory
        .of_kind("Pod")
        .chain(controlled.iter().filter(|o| o.is("Pod")))
    {
        let Some(top) = top_owner(pod, &by_uid).and_then(|o| index.get(&(o as *const Object)))
        else {
            continue;
        };
        for list in ["containerStatuses", "initContainerStatuses"] {
            let statuses = pod.root.get_path(&["status", list]);
            for status in statuses.map(|s| s.items()).unwrap_or_default() {
                let (Some(name), Some(id)) = (
                    status.get("name").and_then(|n| n.as_str()),
                    status.get("imageID").and_then(|n| n.as_str()),
                ) else {
                    continue;
                };
                if let Some(digest) = digest_of(id) {
                    digests.entry((*top, name)).or_default().insert(digest);
                }
            }
        }
    }
    let mut out: Vec<WorkloadAsset> = inventory
        .objects
        .iter()
        .enumerate()
        .filter_map(|(i, o)| Some((i, o, Workload::of(o)?)))
        .map(|(i, o, w)| WorkloadAsset {
            kind: o.id.kind.clone(),
            namespace: o.id.namespace.clone().unwrap_or_default(),
            name: o.id.name.clone(),
            service_account: service_account_of(&w),
            images: w
                .containers()
                .map(|c| ImageAsset {
                    container: c.name().to_string(),
                    list: c.kind.field(),
                    image: c
                        .node
                        .get("image")
                        .and_then(|n| n.scalar_text())
                        .unwrap_or("")
                        .to_string(),
                    digests: digests
                        .get(&(i, c.name()))
                        .map(|d| d.iter().cloned().collect())
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    out
}

/// The object at the top of a Pod's chain of controllers (the Pod itself when none is read).
fn top_owner<'a>(pod: &'a Object, by_uid: &HashMap<&str, &'a Object>) -> Option<&'a Object> {
    let mut current = pod;
    // Chains are short (Pod → ReplicaSet → Deployment; Pod → Job → CronJob); the bound
    // stops an ownership cycle in bad input.
    for _ in 0..8 {
        match controller_uid(current).and_then(|uid| by_uid.get(uid)) {
            Some(owner) => current = owner,
            None => return Some(current),
        }
    }
    None
}

/// `sha256:…` from an imageID (`docker-pullable://repo@sha256:…`, `repo@sha256:…`, or a
/// bare `sha256:…` image id, which names the local image rather than a registry digest and
/// is kept as the runtime reports it).
fn digest_of(image_id: &str) -> Option<String> {
    let digest = image_id.rsplit_once('@').map_or(image_id, |(_, d)| d);
    digest.contains(':').then(|| digest.to_string())
}

fn service_account_of(w: &Workload) -> String {
    ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|k| {
            w.spec
                .get(k)
                .and_then(|n| n.as_str())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or("default")
        .to_string()
}

/// Declared service accounts and those workloads name, with what RBAC grants each.
pub fn service_accounts(
    inventory: &Inventory,
    workloads: &[WorkloadAsset],
) -> Vec<ServiceAccountAsset> {
    let mut accounts: BTreeMap<(String, String), ServiceAccountAsset> = BTreeMap::new();
    fn entry<'m>(
        accounts: &'m mut BTreeMap<(String, String), ServiceAccountAsset>,
        ns: &str,
        name: &str,
    ) -> &'m mut ServiceAccountAsset {
        accounts
            .entry((ns.to_string(), name.to_string()))
            .or_insert_with(|| ServiceAccountAsset {
                namespace: ns.to_string(),
                name: name.to_string(),
                declared: false,
                automount_token: None,
                used_by: Vec::new(),
                permissions: Vec::new(),
            })
    }
    for o in inventory.of_kind("ServiceAccount") {
        let sa = entry(
            &mut accounts,
            o.id.namespace.as_deref().unwrap_or(""),
            &o.id.name,
        );
        sa.declared = true;
        sa.automount_token = o
            .root
            .get("automountServiceAccountToken")
            .and_then(|n| n.as_bool());
    }
    for w in workloads {
        let sa = entry(&mut accounts, &w.namespace, &w.service_account);
        sa.used_by.push(format!("{}/{}", w.kind, w.name));
    }
    let policy = Policy::from_objects(&inventory.objects, &Options::default());
    // What every service account holds (system:serviceaccounts, system:authenticated):
    // left out, so each entry says what this one account was given.
    let baseline = summarize(&access(
        &policy,
        &Subject::ServiceAccount {
            namespace: "\u{0}none".into(),
            name: "\u{0}none".into(),
        },
    ));
    for sa in accounts.values_mut() {
        let matrix = access(
            &policy,
            &Subject::ServiceAccount {
                namespace: sa.namespace.clone(),
                name: sa.name.clone(),
            },
        );
        sa.permissions = summarize(&matrix)
            .into_iter()
            .filter(|p| !baseline.contains(p))
            .collect();
    }
    accounts.into_values().collect()
}

/// One line per (scope, target): verbs, resource (`.group` unless core), names, scope.
fn summarize(matrix: &AccessMatrix) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for scope in &matrix.scopes {
        let where_ = scope
            .namespace
            .as_deref()
            .map_or_else(|| "cluster-wide".to_string(), |ns| format!("in {ns}"));
        for e in &scope.entries {
            let target = match &e.target {
                AccessTarget::Resource {
                    api_group,
                    resource,
                    resource_names,
                } => {
                    let mut t = if api_group.is_empty() {
                        resource.clone()
                    } else {
                        format!("{resource}.{api_group}")
                    };
                    if !resource_names.is_empty() {
                        t.push_str(&format!(" [{}]", resource_names.join(",")));
                    }
                    t
                }
                AccessTarget::NonResource { url } => url.clone(),
            };
            out.insert(format!("{} {target} {where_}", e.verbs.join(",")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_come_from_image_ids() {
        assert_eq!(
            digest_of("docker-pullable://nginx@sha256:abc").as_deref(),
            Some("sha256:abc")
        );
        assert_eq!(
            digest_of("docker.io/library/nginx@sha256:def").as_deref(),
            Some("sha256:def")
        );
        assert_eq!(digest_of("sha256:0123").as_deref(), Some("sha256:0123"));
        assert_eq!(digest_of(""), None);
    }
}
