//! Palisade's test kit (dev-only, never published): a real Kubernetes control plane on loopback
//! for integration tests, SubjectAccessReview questions to ask it, and a seeded RBAC corpus
//! generator whose answers the RBAC analysis is checked against.
//!
//! - [`ApiServer`]: etcd + kube-apiserver v1.20.2 (RBAC on, static tokens) + kube-controller-manager
//!   running only the `clusterrole-aggregation` controller, each instance on its own leased
//!   loopback ports and in its own directory, stopped on drop. Built once per machine by
//!   `scripts/setup.sh` (`scripts/kube-apiserver.sh ensure`); without the build, [`ApiServer::start`]
//!   fails saying so (tests fail, they do not skip).
//! - [`Sar`], [`Subject`], [`Attributes`], [`SarAnswer`]: one access question and its answer.
//! - [`rbac_corpus`] → [`Corpus`]: YAML to apply, the subject universe, and questions.
//!
//! ```no_run
//! use palisade_testkit::{rbac_corpus, ApiServer};
//! # fn main() -> anyhow::Result<()> {
//! let server = ApiServer::start()?;
//! let corpus = rbac_corpus(42, 300);
//! server.apply(&corpus.yaml)?;
//! for name in &corpus.aggregated {
//!     server.wait_aggregated(name, std::time::Duration::from_secs(20))?;
//! }
//! let state = server.get_yaml("clusterroles,clusterrolebindings,roles,rolebindings")?;
//! for (question, answer) in corpus.questions.iter().zip(server.subject_access_reviews(&corpus.questions)?) {
//!     println!("{question} -> allowed={} ({})", answer.allowed, answer.reason);
//! }
//! # let _ = state; Ok(()) }
//! ```

mod corpus;
mod install;
mod ports;
mod sar;
mod server;

pub use corpus::{rbac_corpus, Corpus, CORPUS_GROUPS, CORPUS_NAMESPACES};
pub use install::{Install, KUBE_VERSION};
pub use sar::{
    Attributes, NonResourceAttributes, ResourceAttributes, Sar, SarAnswer, Subject,
    ALL_SERVICE_ACCOUNTS, AUTHENTICATED,
};
pub use server::{ApiServer, ADMIN_TOKEN};
