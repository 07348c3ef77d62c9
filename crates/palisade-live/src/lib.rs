//! Palisade's live-cluster reader: a running cluster read into the same
//! [`palisade_core::Inventory`] the file loader builds, so `palisade scan --cluster` runs the
//! one engine over it; and the asset inventory (`palisade inventory`) of a cluster or of
//! manifests.
//!
//! - [`read_cluster`] connects as kubectl would ([`ClusterOptions`]: `--kubeconfig`,
//!   `--context`, in-cluster config in a pod, [`Scope`] for `-n`/`-A`), discovers the version
//!   the server serves of each kind the analyzers read ([`kinds::WANTED`]), lists them page
//!   by page with a bounded number of requests in flight, and returns a [`LiveInventory`].
//!   Secrets are listed as metadata only (their type from type-filtered lists): their values
//!   are never requested. Kinds the credentials may not list are [`Forbidden`] entries and
//!   load errors of the inventory, so the report says what is missing.
//! - Each object is loaded by the core's loader (JSON is YAML) under the path
//!   `cluster://Kind/NS/NAME`, without `managedFields` and the last-applied annotation;
//!   objects a workload controller in the inventory controls are set aside
//!   ([`LiveInventory::controlled`]) so each finding is reported once, on the owner.
//! - [`assets::Assets::of`] lists namespaces, workloads and their images (by digest where a
//!   Pod's status reports it), service accounts and what RBAC grants them, Services and what
//!   they expose, and nodes; [`assets::render`] prints it as a table, JSON or CSV.
//!
//! ```no_run
//! use palisade_live::{read_cluster, ClusterOptions, Scope};
//!
//! let options = ClusterOptions { scope: Scope::All, ..ClusterOptions::default() };
//! let live = read_cluster(&options)?;
//! println!("{} objects, {} kinds forbidden", live.inventory.objects.len(), live.forbidden.len());
//! # Ok::<(), palisade_live::Error>(())
//! ```

pub mod assets;
mod connect;
pub mod convert;
mod discover;
mod error;
pub mod kinds;
mod list;
mod read;
mod retry;
pub mod watch;

pub use connect::{connect, ClusterOptions, Connected, Scope};
pub use error::Error;
pub use read::{read, read_cluster, Forbidden, LiveInventory};
pub use retry::RetryPolicy;
