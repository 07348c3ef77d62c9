//! What a run is done with: freed, or left to the process's exit.
//!
//! A process that exits as soon as its run is over (a `palisade scan`) gains nothing from
//! freeing large intermediate structures (the network model, indexes over the whole
//! inventory: hundreds of thousands of small allocations) one by one, while the report is
//! still to be made: the OS takes the whole address space back at exit, as compilers leave
//! theirs (clang's `-disable-free`). Such a process calls [`exit_after_run`] once, and
//! [`release`] then leaves values where they are. Long-running callers (the admission
//! webhook, watch loops) never call it, and [`release`] drops what it is given.

use std::sync::atomic::{AtomicBool, Ordering};

static EXIT_AFTER_RUN: AtomicBool = AtomicBool::new(false);

/// Declares that the process exits once its current run is over: from now on [`release`]
/// leaves values to the exit instead of freeing them. There is no way back.
pub fn exit_after_run() {
    EXIT_AFTER_RUN.store(true, Ordering::Relaxed);
}

/// True once [`exit_after_run`] was called.
pub fn exits_after_run() -> bool {
    EXIT_AFTER_RUN.load(Ordering::Relaxed)
}

/// Done with `value`: dropped here, or, in a process that exits after its run, left to
/// the exit (never dropped, so its destructor does not run: give it only plain data).
pub fn release<T>(value: T) {
    if exits_after_run() {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}
