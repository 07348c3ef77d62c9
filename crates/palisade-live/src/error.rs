//! The one error type of the crate: what stops a cluster read as a whole. What stops only one
//! kind (forbidden, a failed list) is not an error: it is reported in the inventory and the
//! rest is still read.

use std::path::PathBuf;

/// Why a cluster could not be read at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The kubeconfig file named by `--kubeconfig` could not be read or parsed.
    #[error("failed to read kubeconfig {path}")]
    Kubeconfig {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// No usable configuration: no kubeconfig (or not the named context) and not in a pod.
    #[error("failed to find cluster credentials: {message}")]
    Config {
        /// What kube's loader said.
        message: String,
    },
    /// The client could not be built from the configuration (bad certificate, bad URL).
    #[error("failed to build a client for {cluster}")]
    Client {
        /// The API server URL.
        cluster: String,
        /// Why.
        #[source]
        source: kube::Error,
    },
    /// The API server could not be reached or refused the credentials before anything
    /// could be listed (discovery failed).
    #[error("failed to reach the API server at {cluster}: {message}")]
    Unreachable {
        /// The API server URL.
        cluster: String,
        /// What went wrong.
        message: String,
    },
    /// The API server refused the credential (401 Unauthorized): an expired or revoked token,
    /// a client certificate it does not trust.
    #[error("the API server at {cluster} refused the credential of {credential} (expired or invalid?): {message}")]
    Unauthorized {
        /// The API server URL.
        cluster: String,
        /// Which credential: the kubeconfig user and context, or the pod's service account.
        credential: String,
        /// The server's answer.
        message: String,
    },
    /// The async runtime could not start.
    #[error("failed to start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// The watcher's HTTP endpoint could not listen.
    #[error("failed to listen on {addr}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
