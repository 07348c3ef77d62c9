//! Palisade's node analysis: what a node's filesystem says about its security.
//!
//! [`access`] answers "who can SSH to which node, and with what": sshd's effective
//! configuration (with `Include` and `Match`), the accounts that may log in, their
//! `authorized_keys`, the PAM second factor, per node and as a fleet matrix, with findings
//! (`PAL-SSH-…`).
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let node = palisade_node::access::analyze(dir.path(), &Default::default());
//! assert!(!node.sshd.installed);
//! ```

pub mod access;
