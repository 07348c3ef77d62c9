//! Discovery: which version of each wanted kind the server serves, and under which resource
//! name. Mirrors kubectl's RESTMapper choice (`PriorityRESTMapper` over the discovery
//! `GroupVersions`): the group's preferred version first, then the other served versions
//! in the order the server lists them; the first that has the kind wins. That is how a 1.20
//! server's CronJobs are found in `batch/v1beta1` while its Jobs come from `batch/v1`.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt as _};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIResourceList, APIVersions};
use kube::core::ApiResource;
use kube::Client;

use crate::kinds::{WantedKind, WANTED};
use crate::retry::{fetch_json, Failure, RetryPolicy};

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

impl Target {
    /// A core (`v1`) kind as discovery would find it, for tests of what is done with targets.
    #[cfg(test)]
    pub(crate) fn core(kind: &str, namespaced: bool) -> Option<Target> {
        Some(Target {
            resource: ApiResource {
                group: String::new(),
                version: "v1".into(),
                api_version: "v1".into(),
                kind: kind.into(),
                plural: format!("{}s", kind.to_lowercase()),
            },
            namespaced,
            wanted: *WANTED.iter().find(|w| w.kind == kind)?,
        })
    }
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
pub async fn discover(
    client: &Client,
    concurrency: usize,
    policy: &RetryPolicy,
) -> Result<Discovered, Failure> {
    let core: APIVersions = get_json(client, "/api", policy).await?;
    let groups: APIGroupList = get_json(client, "/apis", policy).await?;
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
    let answers: Vec<((String, String), Result<APIResourceList, Failure>)> = stream::iter(requests)
        .map(|(group, version)| async move {
            let path = if group.is_empty() {
                format!("/api/{version}")
            } else {
                format!("/apis/{group}/{version}")
            };
            let answer = get_json(client, &path, policy).await;
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
                found.failures.push((gv, e.describe()));
            }
        }
    }
    found.failures.sort();
    found.targets = pick(WANTED, &versions, &lists);
    Ok(found)
}

/// GETs a discovery document, retried as [`fetch_json`] says (kube's typed discovery calls
/// would not be: its retry layer is off, see connect.rs), and reads it as `T`.
async fn get_json<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
    policy: &RetryPolicy,
) -> Result<T, Failure> {
    let request = http::Request::get(path)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| Failure::Transport {
            message: format!("bad request {path}: {e}"),
            attempts: 0,
        })?;
    let value = fetch_json(client, &request, policy).await?;
    serde_json::from_value(value).map_err(|e| Failure::Transport {
        message: format!("{path}: not a discovery document: {e}"),
        attempts: 1,
    })
}

/// For each wanted kind, the first served version (in `versions`' order: preferred first)
/// whose resource list has it as a listable resource (not a subresource).
fn pick(
    wanted: &[WantedKind],
    versions: &BTreeMap<String, Vec<String>>,
    lists: &BTreeMap<(String, String), APIResourceList>,
) -> Vec<Target> {
    let mut targets = Vec::new();
    for wanted in wanted {
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
        targets.extend(hit);
    }
    targets
}

/// `v1` for the core group, `group/version` otherwise.
pub fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Fetch;
    use serde_json::json;

    /// A resource list as a server answers `/apis/GROUP/VERSION` (abridged, synthetic).
    fn list(gv: &str, resources: serde_json::Value) -> APIResourceList {
        serde_json::from_value(json!({"kind": "APIResourceList", "groupVersion": gv,
                                      "resources": resources}))
        .unwrap()
    }

    fn resource(name: &str, kind: &str, verbs: &[&str]) -> serde_json::Value {
        json!({"name": name, "singularName": "", "namespaced": true, "kind": kind, "verbs": verbs})
    }

    #[test]
    fn the_first_served_version_with_the_kind_wins() {
        let want = |kind| WantedKind {
            group: "batch",
            kind,
            fetch: Fetch::Full,
        };
        let versions = BTreeMap::from([(
            "batch".to_string(),
            vec!["v1".to_string(), "v1beta1".to_string()],
        )]);
        // 1.20: batch/v1 (preferred) has Jobs only; CronJobs are in v1beta1.
        let lists = BTreeMap::from([
            (
                ("batch".to_string(), "v1".to_string()),
                list(
                    "batch/v1",
                    json!([
                        resource("jobs", "Job", &["list", "get"]),
                        resource("jobs/status", "Job", &["get"])
                    ]),
                ),
            ),
            (
                ("batch".to_string(), "v1beta1".to_string()),
                list(
                    "batch/v1beta1",
                    json!([
                        resource("cronjobs", "CronJob", &["list"]),
                        resource("jobs", "Job", &["list"])
                    ]),
                ),
            ),
        ]);
        let targets = pick(
            &[want("Job"), want("CronJob"), want("Missing")],
            &versions,
            &lists,
        );
        let got: Vec<(&str, &str)> = targets
            .iter()
            .map(|t| (t.resource.api_version.as_str(), t.resource.plural.as_str()))
            .collect();
        assert_eq!(got, [("batch/v1", "jobs"), ("batch/v1beta1", "cronjobs")]);
    }

    #[test]
    fn resources_that_cannot_be_listed_are_not_targets() {
        let versions = BTreeMap::from([(String::new(), vec!["v1".to_string()])]);
        let lists = BTreeMap::from([(
            (String::new(), "v1".to_string()),
            list(
                "v1",
                json!([
                    resource("pods/status", "Pod", &["get", "list"]),
                    resource("pods", "Pod", &["get"])
                ]),
            ),
        )]);
        let pods = WantedKind {
            group: "",
            kind: "Pod",
            fetch: Fetch::Full,
        };
        assert!(pick(&[pods], &versions, &lists).is_empty());
    }
}
