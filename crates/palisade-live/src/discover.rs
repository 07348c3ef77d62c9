//! Discovery: which version of each wanted kind the server serves, and under which resource
//! name. Mirrors kubectl's RESTMapper choice (`PriorityRESTMapper` over the discovery
//! `GroupVersions`): the group's preferred version first, then the other served versions
//! in the order the server lists them; the first that has the kind wins. That is how a 1.20
//! server's CronJobs are found in `batch/v1beta1` while its Jobs come from `batch/v1`.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt as _};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList;
use kube::core::ApiResource;
use kube::Client;

use crate::kinds::{WantedKind, WANTED};

/// One kind the server serves, as it will be listed.
#[derive(Debug, Clone)]
pub struct Target {
    /// Group, version, kind, plural.
    pub resource: ApiResource,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// What to fetch.
    pub wanted: WantedKind,
}

/// What discovery found: the targets, and the group versions it could not read (each a
/// message naming it, for the report).
#[derive(Debug, Default)]
pub struct Discovered {
    /// Kinds to list.
    pub targets: Vec<Target>,
    /// `group/version: why`, for every group version whose resources could not be read.
    pub failures: Vec<(String, String)>,
}

/// Finds every [`WANTED`] kind the server serves. Fails only when the server's group list
/// cannot be read (then nothing can be read); a group version that fails (an aggregated API
/// that is down) is recorded and its kinds are missing.
pub async fn discover(client: &Client, concurrency: usize) -> Result<Discovered, kube::Error> {
    let core = client.list_core_api_versions().await?;
    let groups = client.list_api_groups().await?;
    // Group → served versions, preferred first.
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    versions.insert(String::new(), core.versions.clone());
    for group in groups.groups {
        if !WANTED.iter().any(|w| w.group == group.name) {
            continue;
        }
        let mut ordered = Vec::new();
        if let Some(p) = &group.preferred_version {
            ordered.push(p.version.clone());
        }
        for v in &group.versions {
            if !ordered.contains(&v.version) {
                ordered.push(v.version.clone());
            }
        }
        versions.insert(group.name, ordered);
    }
    let requests: Vec<(String, String)> = versions
        .iter()
        .flat_map(|(g, vs)| vs.iter().map(move |v| (g.clone(), v.clone())))
        .collect();
    let answers: Vec<((String, String), Result<APIResourceList, kube::Error>)> =
        stream::iter(requests)
            .map(|(group, version)| async move {
                let answer = if group.is_empty() {
                    client.list_core_api_resources(&version).await
                } else {
                    client
                        .list_api_group_resources(&format!("{group}/{version}"))
                        .await
                };
                ((group, version), answer)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    let mut lists: BTreeMap<(String, String), APIResourceList> = BTreeMap::new();
    let mut found = Discovered::default();
    for ((group, version), answer) in answers {
        match answer {
            Ok(list) => {
                lists.insert((group, version), list);
            }
            Err(e) => {
                let gv = group_version(&group, &version);
                found.failures.push((gv, crate::list::describe(&e)));
            }
        }
    }
    found.failures.sort();
    for wanted in WANTED {
        let served = versions.get(wanted.group).map(Vec::as_slice).unwrap_or(&[]);
        let hit = served.iter().find_map(|version| {
            let list = lists.get(&(wanted.group.to_string(), version.clone()))?;
            let r = list.resources.iter().find(|r| {
                // Subresources (`pods/status`) share the kind; only the resource itself lists.
                r.kind == wanted.kind
                    && !r.name.contains('/')
                    && r.verbs.iter().any(|v| v == "list")
            })?;
            Some(Target {
                resource: ApiResource {
                    group: wanted.group.to_string(),
                    version: version.clone(),
                    api_version: group_version(wanted.group, version),
                    kind: wanted.kind.to_string(),
                    plural: r.name.clone(),
                },
                namespaced: r.namespaced,
                wanted: *wanted,
            })
        });
        found.targets.extend(hit);
    }
    Ok(found)
}

/// `v1` for the core group, `group/version` otherwise.
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}
