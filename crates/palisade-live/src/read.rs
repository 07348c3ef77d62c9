//! Reading a cluster into an [`Inventory`]: discovery, then every wanted kind listed within
//! a bounded number of requests in flight, Secrets as metadata only, what the credentials
//! may not read recorded as such, and controller-owned objects set aside.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::stream::{self, StreamExt as _};
use kube::Client;
use palisade_core::inventory::{LoadError, LoadLimits, LoadNote};
use palisade_core::{Inventory, Location, Object};
use rayon::prelude::*;
use serde_json::Value;

use crate::connect::{connect, ClusterOptions, Connected, Scope};
use crate::convert::{load_object, split_controlled};
use crate::discover::{discover, Target};
use crate::kinds::{Fetch, SECRET_TYPES};
use crate::list::{get, list, Listed};
use crate::Error;

/// What the credentials were refused (403): one kind in one namespace, or in all.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Forbidden {
    /// Kind (`Secret`).
    pub kind: String,
    /// Resource as RBAC names it (`secrets`, `deployments.apps`).
    pub resource: String,
    /// The namespace asked about; `None`: all namespaces, or a cluster-scoped kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The one object asked for (a read by name), when not a list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The API server's message.
    pub message: String,
}

/// A cluster read: the inventory to judge, and what was set aside or refused.
#[derive(Debug)]
pub struct LiveInventory {
    /// Objects to judge (controller-owned ones removed), with an error per kind that could
    /// not be read (forbidden or failed) and a note per thing skipped.
    pub inventory: Inventory,
    /// Objects a workload controller in the inventory controls (Pods of a ReplicaSet of a
    /// Deployment, ...): not judged, but their status (image digests) feeds the assets.
    pub controlled: Vec<Object>,
    /// Kinds the credentials may not list (also in `inventory.errors`).
    pub forbidden: Vec<Forbidden>,
    /// The API server URL.
    pub cluster: String,
    /// The namespace read, or `None` for all namespaces.
    pub namespace: Option<String>,
    /// The server's `gitVersion`, when it says.
    pub server_version: Option<String>,
}

/// Reads the cluster `options` name (blocking; runs its own single-threaded runtime).
pub fn read_cluster(options: &ClusterOptions) -> Result<LiveInventory, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(async {
        let connected = connect(options).await?;
        let namespace = match &options.scope {
            Scope::All => None,
            Scope::Namespace(ns) => Some(ns.clone()),
            Scope::Context => Some(connected.default_namespace.clone()),
        };
        read(&connected, namespace.as_deref(), options).await
    })
}

/// One list (or get) to run.
struct Task {
    target: Target,
    namespace: Option<String>,
    field_selector: Option<String>,
    name: Option<String>,
}

/// Reads the wanted kinds through `client`: in `namespace` (its namespaced kinds, the
/// Namespace itself and the ClusterRoles its RoleBindings name), or everything when `None`.
pub async fn read(
    connected: &Connected,
    namespace: Option<&str>,
    options: &ClusterOptions,
) -> Result<LiveInventory, Error> {
    let (client, cluster) = (&connected.client, connected.cluster.clone());
    let found = discover(client, options.concurrency, &options.retry)
        .await
        .map_err(|f| match f.code() {
            // The server is there but refuses the credential: say which one, as `kubectl`
            // says "You must be logged in to the server (Unauthorized)".
            Some(401) => Error::Unauthorized {
                cluster: cluster.clone(),
                credential: connected.credential.clone(),
                message: f.describe(),
            },
            _ => Error::Unreachable {
                cluster: cluster.clone(),
                message: f.describe(),
            },
        })?;
    let server_version = client.apiserver_version().await.ok().map(|i| i.git_version);
    let mut state = State::default();
    for (gv, why) in &found.failures {
        state.errors.push(LoadError::whole(
            &Arc::from(format!("cluster://{gv}")),
            format!("cannot discover {gv}; its kinds are not read: {why}"),
        ));
    }
    for target in &found.targets {
        let r = &target.resource;
        if !crate::kinds::known_version(&r.group, &r.version) {
            state.notes.push(LoadNote {
                location: Location {
                    path: Arc::from(format!("cluster://{}", r.kind)),
                    line: 1,
                    col: 1,
                },
                message: format!(
                    "{} is served only at {}, a version Palisade does not know; read as it \
                     comes, and checks that expect fields the known versions have may miss it",
                    r.kind, r.api_version
                ),
            });
        }
    }
    let mut tasks = Vec::new();
    for target in &found.targets {
        match (namespace, target.namespaced) {
            (Some(ns), false) if target.resource.kind == "Namespace" => tasks.push(Task {
                target: target.clone(),
                namespace: None,
                field_selector: None,
                name: Some(ns.to_string()),
            }),
            // Outside a one-namespace read, as `kubectl get -n` shows none (ClusterRoles
            // its RoleBindings name are read below).
            (Some(_), false) => {}
            _ => {
                let ns = namespace.map(str::to_string);
                if target.wanted.fetch == Fetch::MetadataOnly {
                    for t in SECRET_TYPES {
                        tasks.push(Task {
                            target: target.clone(),
                            namespace: ns.clone(),
                            field_selector: Some(format!("type={t}")),
                            name: None,
                        });
                    }
                }
                tasks.push(Task {
                    target: target.clone(),
                    namespace: ns,
                    field_selector: None,
                    name: None,
                });
            }
        }
    }
    run(client, tasks, options, &mut state).await;
    if let Some(ns) = namespace {
        let roles = state.cluster_roles_named(ns);
        if let Some(target) = found
            .targets
            .iter()
            .find(|t| t.resource.kind == "ClusterRole" && t.resource.group.starts_with("rbac."))
        {
            let tasks = roles
                .into_iter()
                .map(|name| Task {
                    target: target.clone(),
                    namespace: None,
                    field_selector: None,
                    name: Some(name),
                })
                .collect();
            run(client, tasks, options, &mut state).await;
        }
    }
    Ok(state.finish(cluster, namespace, server_version))
}

/// Runs the tasks, at most `options.concurrency` at a time, and records their answers.
async fn run(client: &Client, tasks: Vec<Task>, options: &ClusterOptions, state: &mut State) {
    let page = options.page_size;
    let policy = &options.retry;
    let answers: Vec<(Task, Listed)> = stream::iter(tasks)
        .map(|task| async move {
            let answer = match &task.name {
                Some(name) => {
                    let ns = task.namespace.as_deref();
                    get(client, &task.target, ns, name, policy).await
                }
                None => {
                    let selector = task.field_selector.as_deref();
                    list(
                        client,
                        &task.target,
                        task.namespace.as_deref(),
                        page,
                        selector,
                        policy,
                    )
                    .await
                }
            };
            (task, answer)
        })
        .buffered(options.concurrency.max(1))
        .collect()
        .await;
    for (task, answer) in answers {
        state.record(task, answer);
    }
}

/// What the tasks have produced so far.
#[derive(Default)]
struct State {
    items: Vec<Value>,
    /// Secret (namespace, name) → type, from the type-filtered metadata lists.
    secret_types: BTreeMap<(String, String), String>,
    forbidden: BTreeSet<Forbidden>,
    errors: Vec<LoadError>,
    notes: Vec<LoadNote>,
}

impl State {
    fn record(&mut self, task: Task, answer: Listed) {
        let kind = task.target.resource.kind.clone();
        match answer {
            Listed::Items(items, skipped) => {
                if skipped > 0 {
                    let scope = task.namespace.as_deref().map_or_else(
                        || "at cluster scope".to_string(),
                        |ns| format!("in namespace {ns}"),
                    );
                    self.notes.push(LoadNote {
                        location: Location {
                            path: Arc::from(format!("cluster://{kind}")),
                            line: 1,
                            col: 1,
                        },
                        message: format!(
                            "skipped {skipped} item(s) of the {kind} list {scope}: not objects \
                             with a metadata.name"
                        ),
                    });
                }
                self.items_of(&task, &kind, items);
            }
            Listed::Forbidden(message) => {
                let r = &task.target.resource;
                let resource = if r.group.is_empty() {
                    r.plural.clone()
                } else {
                    format!("{}.{}", r.plural, r.group)
                };
                self.forbidden.insert(Forbidden {
                    kind,
                    resource,
                    namespace: task.namespace.clone(),
                    name: task.name.clone(),
                    message,
                });
            }
            // A kind gone since discovery; a namespace or role that does not exist.
            Listed::NotFound(message) => {
                if let Some(name) = &task.name {
                    let path = crate::convert::cluster_path(&kind, None, name);
                    self.notes.push(LoadNote {
                        location: Location {
                            path: Arc::from(path),
                            line: 1,
                            col: 1,
                        },
                        message: format!("not found: {message}"),
                    });
                }
            }
            Listed::Failed(message) => {
                let scope = task.namespace.as_deref().map_or_else(
                    || "at cluster scope".to_string(),
                    |ns| format!("in namespace {ns}"),
                );
                // What was read of it before the failure is dropped: a partial list would
                // be judged as if it were the whole kind.
                let what = match &task.name {
                    Some(name) => format!("cannot get {kind} {name}"),
                    None => format!("cannot list {kind} {scope}; none of them are judged"),
                };
                self.errors.push(LoadError::whole(
                    &Arc::from(format!("cluster://{kind}")),
                    format!("{what}: {message}"),
                ));
            }
        }
    }

    /// Keeps listed items: a type-filtered Secret list gives types, any other list objects.
    fn items_of(&mut self, task: &Task, kind: &str, items: Vec<Value>) {
        match (&task.field_selector, kind) {
            (Some(selector), "Secret") => {
                let t = selector.trim_start_matches("type=").to_string();
                for item in items {
                    self.secret_types.insert(ns_name(&item), t.clone());
                }
            }
            _ => self.items.extend(items),
        }
    }

    /// ClusterRoles the RoleBindings of `namespace` refer to.
    fn cluster_roles_named(&self, namespace: &str) -> BTreeSet<String> {
        self.items
            .iter()
            .filter(|i| i.get("kind").and_then(Value::as_str) == Some("RoleBinding"))
            .filter(|i| ns_name(i).0 == namespace)
            .filter_map(|i| {
                let role = i.get("roleRef")?;
                (role.get("kind")?.as_str()? == "ClusterRole")
                    .then(|| role.get("name")?.as_str().map(str::to_string))?
            })
            .collect()
    }

    fn finish(
        mut self,
        cluster: String,
        namespace: Option<&str>,
        server_version: Option<String>,
    ) -> LiveInventory {
        let limits = LoadLimits::default();
        let mut inventory = Inventory::default();
        let mut objects = Vec::with_capacity(self.items.len());
        let mut items = std::mem::take(&mut self.items);
        for item in &mut items {
            if item.get("kind").and_then(Value::as_str) == Some("Secret") {
                if let (Some(t), Value::Object(map)) = (self.secret_types.get(&ns_name(item)), item)
                {
                    map.insert("type".into(), Value::String(t.clone()));
                }
            }
        }
        // Printing and parsing each object is independent work: spread it over the cores,
        // keeping the list order.
        let loaded: Vec<_> = items
            .into_par_iter()
            .map(|item| load_object(item, &limits))
            .collect();
        for mut loaded in loaded {
            inventory.inputs += 1;
            objects.append(&mut loaded.objects);
            inventory.errors.append(&mut loaded.errors);
            inventory.notes.append(&mut loaded.notes);
        }
        let (kept, controlled) = split_controlled(objects);
        inventory.objects = kept;
        for f in &self.forbidden {
            let path = match (&f.namespace, &f.name) {
                (_, Some(name)) => format!("cluster://{}/{name}", f.kind),
                (Some(ns), None) => format!("cluster://{}/{ns}", f.kind),
                (None, None) => format!("cluster://{}", f.kind),
            };
            let what = match (&f.namespace, &f.name) {
                (_, Some(name)) => format!("get {} {name}", f.resource),
                (Some(ns), None) => format!("list {} in namespace {ns}", f.resource),
                (None, None) => format!("list {} at cluster scope", f.resource),
            };
            inventory.errors.push(LoadError::whole(
                &Arc::from(path),
                format!(
                    "forbidden: cannot {what}; findings about them are missing: {}",
                    f.message
                ),
            ));
        }
        inventory.errors.extend(self.errors);
        inventory.notes.extend(self.notes);
        LiveInventory {
            inventory,
            controlled,
            forbidden: self.forbidden.into_iter().collect(),
            cluster,
            namespace: namespace.map(str::to_string),
            server_version,
        }
    }
}

/// (namespace, name) of an API object ("" when absent).
fn ns_name(item: &Value) -> (String, String) {
    let text = |k: &str| {
        item.get("metadata")
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (text("namespace"), text("name"))
}
