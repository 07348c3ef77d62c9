//! The model every Palisade analyzer shares.
//!
//! Sources parse inputs into an [`Inventory`] of [`Object`]s that keep their file and line;
//! analyzers turn an inventory into [`Finding`]s described by a catalog of [`Rule`]s;
//! [`exceptions::apply`] suppresses what the user accepted; a [`Report`] carries the result
//! to a renderer. Dockerfiles are parsed by [`dockerfile`] and kept beside the objects
//! (`Inventory::dockerfiles`). This crate does no I/O: it parses from `&str`/`&[u8]`.
//!
//! ```
//! use palisade_core::{inventory, Workload};
//!
//! let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: app\n    image: nginx\n";
//! let loaded = inventory::load_str("pod.yaml", text, &Default::default());
//! let pod = &loaded.objects[0];
//! let workload = Workload::of(pod).unwrap();
//! let container = workload.containers().next().unwrap();
//! assert_eq!(container.name(), "app");
//! assert_eq!(pod.location_of(container.node.pos).line, 6);
//! ```

pub mod config;
pub mod context;
pub mod date;
pub mod dockerfile;
mod emit;
pub mod exceptions;
mod finding;
pub mod framework;
pub mod glob;
pub mod inventory;
mod report;
mod rule;
pub mod selector;
pub mod shared_text;
pub mod sparse_read;
pub mod text;
pub mod workload;
pub mod yaml;

pub use config::Config;
pub use context::{Context, Lookup};
pub use date::Date;
pub use emit::Emitter;
pub use finding::{Finding, Location, ObjectRef, RuleId, Severity};
pub use framework::{ControlResult, ControlStatus, FrameworkSummary};
pub use inventory::{Inventory, LoadError, LoadNote, Object};
pub use report::{Report, Stats};
pub use rule::{Controls, Family, PssLevel, Rule};
pub use workload::{Container, ContainerKind, Workload};
