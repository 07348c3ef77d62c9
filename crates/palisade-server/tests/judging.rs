//! Judging happens on the judging threads, apart from the threads that serve connections: a
//! slow policy holds up its own request, not the health probes or other connections.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use palisade_policy::{Limits as PolicyLimits, PolicySet};
use palisade_server::Limits;

/// A plain Rego module that runs until its time budget (1 s) cuts it off: 9 million
/// iterations, then a comparison that never holds.
fn slow_policies() -> PolicySet {
    let (mut set, diags) = PolicySet::from_objects(&[], PolicyLimits::default());
    assert!(diags.is_empty(), "{diags:?}");
    set.add_rego_module(
        "slow.rego",
        "package slow\n\ndeny contains msg if {\n  n := count({x | some i in numbers.range(1, 3000); some j in numbers.range(1, 3000); x := i * j})\n  n < 0\n  msg := \"never\"\n}\n",
    )
    .unwrap();
    set
}

#[test]
fn a_slow_policy_does_not_hold_up_health_probes() {
    let h = harness(|c| {
        c.policies = Some(slow_policies());
        c.limits = Limits {
            judging_threads: 1,
            ..Limits::default()
        };
    });
    let judged = Arc::new(AtomicBool::new(false));
    std::thread::scope(|s| {
        let slow = s.spawn(|| {
            let answer = h.post(&review("CREATE", Some(hardened_pod("app")), None));
            judged.store(true, Ordering::SeqCst);
            answer
        });
        // Let the request reach the only judging thread.
        std::thread::sleep(Duration::from_millis(200));
        for _ in 0..3 {
            let (status, body) = h.get("/healthz");
            assert_eq!((status, body.as_str()), (200, "ok\n"));
        }
        assert!(
            !judged.load(Ordering::SeqCst),
            "the probes were answered only after the slow request: judging blocks the server"
        );
        let (status, body) = slow.join().unwrap();
        assert_eq!(status, 200, "{body}");
        // The policy ran out of its budget: an error, which the default mode turns into a
        // denial (fail closed), never an allow by accident.
        assert_eq!(body["response"]["allowed"], false, "{body}");
    });
}
