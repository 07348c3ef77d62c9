//! Waiting for the ClusterRole aggregation controller: a role filled, or every aggregated role
//! settled, before an analysis is compared with the server's state.

use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::Value;

use crate::ApiServer;

impl ApiServer {
    /// Waits until ClusterRole `name` exists with at least one rule (for an aggregated role: the
    /// aggregation controller has filled it) and returns its `rules`.
    pub fn wait_aggregated(&self, name: &str, timeout: Duration) -> anyhow::Result<Vec<Value>> {
        let path = format!("/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}");
        let deadline = Instant::now() + timeout;
        loop {
            let (status, role) = self.request("GET", &path, None)?;
            if status == 200 {
                if let Some(rules) = role.get("rules").and_then(Value::as_array) {
                    if !rules.is_empty() {
                        return Ok(rules.clone());
                    }
                }
            } else if status != 404 {
                bail!("GET {path} answered {status}: {role}");
            }
            if Instant::now() > deadline {
                bail!(
                    "ClusterRole {name} has no rules after {timeout:?} (status {status}){}",
                    self.log_tails(&["controller-manager.log"])
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until no ClusterRole with an `aggregationRule` has changed for `quiet` (the
    /// aggregation controller has caught up with what was applied), checking at most until
    /// `timeout`. Roles whose selectors match nothing never change: wait for the ones expected
    /// to fill with [`ApiServer::wait_aggregated`] first.
    pub fn wait_aggregation_settled(
        &self,
        quiet: Duration,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let path = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
        let deadline = Instant::now() + timeout;
        let mut last = None;
        let mut since = Instant::now();
        loop {
            let (status, list) = self.request("GET", path, None)?;
            if status != 200 {
                bail!("GET {path} answered {status}: {list}");
            }
            let versions = aggregated_versions(&list);
            if last.as_ref() != Some(&versions) {
                last = Some(versions);
                since = Instant::now();
            } else if since.elapsed() >= quiet {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("aggregated ClusterRoles still changing after {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// (name, resourceVersion) of every ClusterRole with an aggregation rule in a list.
fn aggregated_versions(list: &Value) -> Vec<(String, String)> {
    let items = list.get("items").and_then(Value::as_array);
    let mut out: Vec<(String, String)> = items
        .into_iter()
        .flatten()
        .filter(|role| role.get("aggregationRule").is_some())
        .map(|role| {
            let meta = &role["metadata"];
            let text = |k: &str| {
                meta.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (text("name"), text("resourceVersion"))
        })
        .collect();
    out.sort();
    out
}
