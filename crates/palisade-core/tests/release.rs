//! `release` drops what it is given until the process declares it exits after its run, and
//! leaves it to the exit afterwards. In its own test binary: the declaration is process-wide.

use std::sync::atomic::{AtomicUsize, Ordering};

use palisade_core::release::{exit_after_run, exits_after_run, release};

static DROPPED: AtomicUsize = AtomicUsize::new(0);

struct Counted;

impl Drop for Counted {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn releases_drop_until_the_process_exits_after_its_run() {
    assert!(!exits_after_run());
    release(vec![Counted, Counted]);
    assert_eq!(DROPPED.load(Ordering::SeqCst), 2);

    exit_after_run();
    assert!(exits_after_run());
    release(vec![Counted, Counted, Counted]);
    assert_eq!(
        DROPPED.load(Ordering::SeqCst),
        2,
        "left to the exit, not dropped"
    );
}
