//! Instances are isolated from each other and never outlive the test process: two servers run side
//! by side without sharing ports or state, and a process that exits without dropping its server
//! (as with a server kept in a `static`) leaves nothing running behind.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use palisade_testkit::{ApiServer, Attributes, Sar, Subject};

const CHILD_ENV: &str = "PALISADE_TESTKIT_ORPHAN_CHILD";

fn bob_lists_secrets() -> Sar {
    Sar::new(
        Subject::user("bob", &["others"]),
        Attributes::resource("", "list", "", "secrets"),
    )
}

const BOB_READS_SECRETS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bob-views}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: bob}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: ["secrets"], verbs: ["list"]}
"#;

#[test]
fn two_instances_side_by_side_share_nothing() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(ApiServer::start);
        let b = s.spawn(ApiServer::start);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert_ne!(a.url(), b.url());
    assert_ne!(a.dir(), b.dir());
    a.apply(BOB_READS_SECRETS).unwrap();
    assert!(
        a.subject_access_review(&bob_lists_secrets())
            .unwrap()
            .allowed
    );
    assert!(
        !b.subject_access_review(&bob_lists_secrets())
            .unwrap()
            .allowed
    );
    let a_dir = a.dir().to_path_buf();
    drop(a);
    assert!(!a_dir.exists(), "{} left behind", a_dir.display());
    // The other one is untouched by the first one's shutdown.
    assert!(
        !b.subject_access_review(&bob_lists_secrets())
            .unwrap()
            .allowed
    );
}

/// Run as a child process by `an_exiting_process_leaves_nothing_running`: starts the process's
/// shared server (a `static`, never dropped), prints its directory and PIDs, and exits.
#[test]
fn orphan_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let server = ApiServer::shared().unwrap();
    assert!(std::ptr::eq(server, ApiServer::shared().unwrap()));
    let run = server.dir().join("run");
    let pid = |name: &str| std::fs::read_to_string(run.join(name)).unwrap();
    println!(
        "ORPHAN {} {} {} {} {}",
        server.dir().display(),
        server.api_port(),
        pid("apiserver.pid").trim(),
        pid("etcd.pid").trim(),
        pid("controller-manager.pid").trim()
    );
    std::process::exit(0);
}

#[test]
fn an_exiting_process_leaves_nothing_running() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "orphan_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("ORPHAN ").map(|(_, rest)| rest))
        .unwrap_or_else(|| {
            panic!(
                "child printed no ORPHAN line: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let mut parts = line.split(' ');
    let dir = PathBuf::from(parts.next().unwrap());
    let lease = std::env::temp_dir()
        .join("palisade-testkit-ports")
        .join(parts.next().unwrap());
    let pids: Vec<String> = parts.map(str::to_owned).collect();
    assert_eq!(pids.len(), 3, "{line}");
    // Running, not merely an unreaped zombie (state `Z` in /proc/PID/stat).
    let alive = |pid: &String| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| {
                stat.rsplit(')')
                    .next()
                    .map(str::trim_start)
                    .is_some_and(|rest| !rest.starts_with('Z'))
            })
            .unwrap_or(false)
    };
    // The watchdog gives `stop.sh` up to 10 s, then kills what is left.
    let deadline = Instant::now() + Duration::from_secs(30);
    while (pids.iter().any(alive) || dir.exists() || lease.exists()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        !pids.iter().any(alive),
        "processes {pids:?} outlived their test process"
    );
    assert!(!dir.exists(), "{} outlived its test process", dir.display());
    assert!(
        !lease.exists(),
        "port lease {} outlived its test process",
        lease.display()
    );
}
