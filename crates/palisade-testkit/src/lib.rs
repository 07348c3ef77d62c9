//! Palisade's test kit (dev-only, never published): a real Kubernetes control plane on loopback
//! for integration tests, SubjectAccessReview questions to ask it, and a seeded RBAC corpus
//! generator whose answers the RBAC analysis is checked against.
//!
//! - [`ApiServer`]: etcd + kube-apiserver v1.20.2 (RBAC on, static tokens `admin`, `alice` in
//!   `devs`, `bob` in `others`) + kube-controller-manager running only the
//!   `clusterrole-aggregation` controller; [`ApiServer::start_current`] and
//!   [`ApiServer::shared_current`] run the same with a current release (v1.34.4) instead. Each instance has its own leased loopback ports and its
//!   own directory, and stops on drop; [`ApiServer::shared`] gives one instance per test process
//!   (stopped by a watchdog when the process exits). Built once per machine by `scripts/setup.sh`
//!   (`scripts/kube-apiserver.sh ensure`); without the build, [`ApiServer::start`] fails saying so:
//!   tests fail, they do not skip.
//! - [`registry::Registry`]: Debian's `docker-registry` on loopback (HTTP, or TLS with basic
//!   auth) with images pushed by skopeo; [`registry::images_dir`]: the real Debian test images.
//! - [`FaultProxy`]: a loopback HTTPS proxy in front of an [`ApiServer`] (or answering from a
//!   function: replay mode) that cuts a connection after N bytes or answers 429 with
//!   `Retry-After`, 500 or 410 for chosen requests ([`Fault`]), and counts requests.
//! - [`Postgres`]: a throwaway PostgreSQL server (Debian's `postgresql`) on a leased loopback
//!   [`Port`], for the history store's tests.
//! - [`Sar`] ([`Subject`] + [`Attributes`]) and [`SarAnswer`]: one access question and the
//!   authorizer's answer ([`ApiServer::subject_access_review`]).
//! - [`rbac_corpus`] → [`Corpus`]: YAML to apply, the subject universe, aimed questions, and the
//!   who-can side ([`Corpus::attributes`], [`Corpus::who_can_questions`]).
//!
//! Compare an analysis against the server's state ([`ApiServer::get_yaml`] after applying: it
//! includes the bootstrap policy and the aggregated rules), not the corpus alone.
//!
//! Environment: `PALISADE_KUBE_DIR` (the build, default
//! `${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test/kube-apiserver-1.20.2`),
//! `PALISADE_KUBE_DIR_CURRENT` (likewise `…-1.34.4`), `PALISADE_KUBE_SCRIPTS`
//! (default `../shared/scripts/kube-apiserver` beside the clone), `PALISADE_TESTKIT_KEEP` (keep
//! instance directories and logs; they are kept anyway when a test panics).
//!
//! ```no_run
//! use std::time::Duration;
//! use palisade_testkit::{rbac_corpus, ApiServer};
//! # fn main() -> anyhow::Result<()> {
//! let server = ApiServer::start()?;
//! let corpus = rbac_corpus(42, 300);
//! server.apply(&corpus.yaml)?;
//! for name in &corpus.aggregated {
//!     server.wait_aggregated(name, Duration::from_secs(20))?;
//! }
//! server.wait_aggregation_settled(Duration::from_millis(500), Duration::from_secs(20))?;
//! let state = server.get_yaml("clusterroles,clusterrolebindings,roles,rolebindings")?;
//! let answers = server.subject_access_reviews(&corpus.questions)?;
//! for (question, answer) in corpus.questions.iter().zip(&answers) {
//!     println!("{question} -> allowed={} ({})", answer.allowed, answer.reason);
//! }
//! # let _ = state; Ok(()) }
//! ```
//!
//! Examples: `cargo run -p palisade-testkit --example corpus -- SEED SIZE` prints a corpus and its
//! questions; `--example ask -- SEED SIZE` also answers them on a fresh server.

mod aggregation;
mod answer;
mod corpus;
mod install;
mod ports;
mod postgres;
mod proxy;
pub mod registry;
mod sar;
mod server;
mod watchdog;

pub use answer::Answer;
pub use corpus::{rbac_corpus, Corpus, CORPUS_GROUPS, CORPUS_NAMESPACES};
pub use install::{Install, CURRENT_KUBE_VERSION, KUBE_VERSION};
pub use ports::Port;
pub use postgres::Postgres;
pub use proxy::{Fault, FaultProxy, Responder};
pub use sar::{
    Attributes, NonResourceAttributes, ResourceAttributes, Sar, SarAnswer, Subject,
    ALL_SERVICE_ACCOUNTS, AUTHENTICATED,
};
pub use server::{ApiServer, ADMIN_TOKEN};

/// One test body run against both servers, as two tests `BODY::on_1_20` and `BODY::on_1_34`.
/// `BODY` is a function taking `&ApiServer`; the servers are the processes' shared instances
/// (`shared`), instances of their own (`own`), or two expressions (`BODY(OLD, CURRENT)`, each
/// a `&ApiServer`, resolved in the module that calls the macro).
#[macro_export]
macro_rules! on_both_servers {
    ($body:ident($old:expr, $current:expr)) => {
        mod $body {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn on_1_20() {
                super::$body($old);
            }

            #[test]
            fn on_1_34() {
                super::$body($current);
            }
        }
    };
    ($body:ident, shared) => {
        $crate::on_both_servers!($body(
            $crate::ApiServer::shared().unwrap(),
            $crate::ApiServer::shared_current().unwrap()
        ));
    };
    ($body:ident, own) => {
        $crate::on_both_servers!($body(
            &$crate::ApiServer::start().unwrap(),
            &$crate::ApiServer::start_current().unwrap()
        ));
    };
}
