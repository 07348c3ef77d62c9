//! `palisade watch`: a cluster kept current with watch streams, its findings re-judged as
//! objects change.
//!
//! - [`streams`] picks what to watch: the kinds `scan --cluster` reads (same discovery),
//!   Secrets as metadata only, split by type.
//! - [`reflector::reflect`] keeps one stream current: list, watch from the list's
//!   resourceVersion, resume after a dropped connection, relist on 410 Gone.
//! - [`Judge`] keeps the objects and their findings, re-judging only what a change touches.
//! - [`run`] ties them to a loop with a debounced inventory-wide re-run and an HTTP endpoint
//!   ([`http`]: `/metrics`, `/report`, `/healthz`, `/readyz`); [`feed`] runs the same streams
//!   into any [`Sink`] (the admission webhook's context cache).

pub mod access;
pub mod feed;
pub mod http;
mod judge;
pub mod metrics;
mod patch;
pub mod reflector;
pub mod run;
pub mod streams;

pub use feed::{feed, Sink};
pub use judge::Judge;
pub use run::{discover_streams, run, OnChange, RenderReport, WatchOptions};
