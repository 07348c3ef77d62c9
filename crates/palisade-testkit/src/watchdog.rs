//! A watchdog: a small shell process that cleans up after a test process that ends without running
//! its destructors (a killed test, or a server kept in a `static`, which Rust never drops).
//!
//! It learns of the end from its standard input, a pipe whose only writer is the test process:
//! the kernel closes it however that process ends, so `read` sees end-of-file at once. (Polling the
//! parent's PID would also see a zombie awaiting its reaper, or a reused PID, as alive.) The write
//! end is close-on-exec, so no other child of the test process keeps it open.

use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};

use anyhow::Context as _;

/// Starts `sh -c SCRIPT NAME ARGS...`, where SCRIPT runs once the calling process has ended. The
/// returned child holds the pipe's write end: keep it for as long as the watched resources live,
/// and kill it (before cleaning up yourself) when they are stopped the ordinary way. It runs in its
/// own process group so that a Ctrl-C aimed at `cargo test` does not stop it before it has cleaned
/// up.
pub(crate) fn spawn(name: &str, script: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<Child> {
    let script = format!("while read -r _; do :; done\n{script}");
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(name)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {name}"))
}
