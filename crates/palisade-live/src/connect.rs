//! Which cluster, as whom, and which namespaces: kubectl's flags (`--kubeconfig`,
//! `--context`, `-n`, `-A`) turned into a kube [`Client`].

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use crate::{Error, RetryPolicy};

/// Which namespaces to read, as kubectl's `-n NS` / `-A` choose them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    /// No flag: the context's namespace (kubectl's default; `default` when the context names
    /// none, and the pod's own namespace in a cluster).
    #[default]
    Context,
    /// `-n NS`.
    Namespace(String),
    /// `-A` / `--all-namespaces`.
    All,
}

/// How to reach a cluster and what to read from it.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// `--kubeconfig` (otherwise `KUBECONFIG`, then `~/.kube/config`, then the in-cluster
    /// service account, in kube's `Config::infer` order).
    pub kubeconfig: Option<PathBuf>,
    /// `--context` (otherwise the kubeconfig's current context).
    pub context: Option<String>,
    /// Namespaces to read.
    pub scope: Scope,
    /// Most list requests in flight at once.
    pub concurrency: usize,
    /// Items per page (`limit`; the rest follows with `continue`).
    pub page_size: u32,
    /// Retries of a request that meets a 429, a 5xx or a cut connection, and relists of a
    /// list whose `continue` token expired.
    pub retry: RetryPolicy,
}

impl Default for ClusterOptions {
    fn default() -> ClusterOptions {
        ClusterOptions {
            kubeconfig: None,
            context: None,
            scope: Scope::Context,
            concurrency: 8,
            page_size: 500,
            retry: RetryPolicy::default(),
        }
    }
}

/// A client for one cluster.
#[derive(Clone)]
pub struct Connected {
    /// The client.
    pub client: Client,
    /// The namespace [`Scope::Context`] stands for (the context's, or the pod's own).
    pub default_namespace: String,
    /// The API server URL, for messages.
    pub cluster: String,
    /// Whose credential is used, for messages: `user "bob" (context "bob") of FILE`, or the
    /// pod's service account.
    pub credential: String,
}

/// A client for the chosen cluster, as kubectl's flags choose it.
pub async fn connect(options: &ClusterOptions) -> Result<Connected, Error> {
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let mut credential = None;
    let config = match (&options.kubeconfig, &options.context) {
        (Some(path), _) => {
            let file = Kubeconfig::read_from(path).map_err(|source| Error::Kubeconfig {
                path: path.clone(),
                source,
            })?;
            credential = Some(user_of(&file, options.context.as_deref(), &path.display()));
            Config::from_custom_kubeconfig(file, &kube_options)
                .await
                .map_err(|e| Error::Config {
                    message: format!("{}: {e}", path.display()),
                })?
        }
        // A named context only exists in a kubeconfig: no in-cluster fallback.
        (None, Some(_)) => {
            Config::from_kubeconfig(&kube_options)
                .await
                .map_err(|e| Error::Config {
                    message: e.to_string(),
                })?
        }
        (None, None) => Config::infer().await.map_err(|e| Error::Config {
            message: e.to_string(),
        })?,
    };
    let mut config = config;
    // kube's defaults wait up to 295 s for an answer; a page of 500 objects takes well under a
    // second, so a server that says nothing for a minute is reported instead of waited on.
    config.connect_timeout = Some(Duration::from_secs(10));
    config.read_timeout = Some(Duration::from_secs(60));
    // kube's own retry layer honours any `Retry-After` uncapped (a server asking for an hour
    // holds the scan for an hour) and knows nothing of a cut connection: the reader retries
    // instead, bounded ([`RetryPolicy`], crate::retry).
    config.default_retry = false;
    // Without `--kubeconfig`, kube read `KUBECONFIG` or `~/.kube/config` if there is one,
    // else the pod's service account (`Config::infer`'s order).
    let credential = credential.unwrap_or_else(|| match Kubeconfig::read() {
        Ok(file) => user_of(&file, options.context.as_deref(), &"the kubeconfig"),
        Err(_) => "the pod's service account token".to_string(),
    });
    let namespace = config.default_namespace.clone();
    let cluster = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|source| Error::Client {
        cluster: cluster.clone(),
        source,
    })?;
    Ok(Connected {
        client,
        default_namespace: namespace,
        cluster,
        credential,
    })
}

/// `user "U" (context "C") of FILE`: the credential a context selects, named for messages.
fn user_of(file: &Kubeconfig, context: Option<&str>, source: &dyn std::fmt::Display) -> String {
    let name = context.or(file.current_context.as_deref()).unwrap_or("");
    let user = file
        .contexts
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone())
        .unwrap_or_default();
    format!("user \"{user}\" (context \"{name}\") of {source}")
}
