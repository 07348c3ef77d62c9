//! Node access: who can SSH to which node, and with what.
//!
//! From a node's root directory: sshd's effective configuration ([`sshd_config`],
//! [`effective`]: `Include` and `Match` as sshd reads them), whether sshd runs
//! ([`service`]), the accounts ([`accounts`]), their `authorized_keys`
//! ([`authorized_keys`], [`keyblob`]), the PAM second factor ([`pam`]); [`login`] combines
//! them per account, [`node`] per node, [`fleet`] across nodes, and [`findings`] judges them
//! (`PAL-SSH-001`…`007`). Nothing is read outside the root ([`rootfs`]).

pub mod accounts;
pub mod authorized_keys;
pub mod effective;
pub mod findings;
pub mod fleet;
pub mod keyblob;
pub mod login;
pub mod node;
pub mod pam;
pub mod pattern;
pub mod rootfs;
pub mod service;
pub mod sshd_config;
pub mod sshd_match;

pub use findings::{check, RULES};
pub use fleet::{matrix, Matrix};
pub use node::{analyze, AccountAccess, NodeAccess, Options};
pub use rootfs::Diagnostic;
