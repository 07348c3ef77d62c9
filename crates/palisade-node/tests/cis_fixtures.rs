//! `palisade-node` over the three fixture nodes: the expected result of every check, per
//! CIS id, written from the benchmark's descriptions and the fixtures' contents (see each
//! fixture's files: the insecure one breaks every recommendation it can, the hardened one
//! follows them, the k3s one relies on k3s's built-in arguments plus a config file).
//!
//! Ownership checks can only be set up when the tests run as root (`chown`); run as another
//! user they are left out of the comparison (every file is then owned by that user).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use palisade_node::{audit, NodeAudit, NodeRoot, Status};

/// Checks whose outcome depends on file owners.
const OWNER_CHECKS: &[&str] = &[
    "1.1.2", "1.1.4", "1.1.6", "1.1.8", "1.1.10", "1.1.12", "1.1.14", "1.1.16", "1.1.18", "1.1.19",
    "4.1.2", "4.1.4", "4.1.6", "4.1.8", "4.1.10",
];

fn run(fixture: &str) -> NodeAudit {
    let dir = common::prepare(fixture);
    audit(&NodeRoot::new(dir.path()))
}

fn parse(status: &str) -> Status {
    match status {
        "pass" => Status::Pass,
        "fail" => Status::Fail,
        "manual" => Status::Manual,
        "info" => Status::Info,
        other => panic!("bad status {other}"),
    }
}

/// Compares every result with the table; reports all differences at once.
fn expect(a: &NodeAudit, table: &str) {
    let root = common::is_root();
    let mut wrong = Vec::new();
    let mut expected_ids = Vec::new();
    for cell in table.split_whitespace() {
        let (id, status) = cell.split_once('=').unwrap();
        expected_ids.push(id);
        if !root && OWNER_CHECKS.contains(&id) {
            continue;
        }
        match a.result(id) {
            Some(r) if r.status == parse(status) => {}
            Some(r) => wrong.push(format!(
                "{id}: want {status}, got {:?}: {}",
                r.status, r.message
            )),
            None => wrong.push(format!("{id}: no result")),
        }
    }
    let ran: Vec<&str> = a.results.iter().map(|r| r.check).collect();
    for id in &ran {
        if !expected_ids.contains(id) {
            wrong.push(format!("{id}: unexpected check"));
        }
    }
    assert_eq!(
        ran.len(),
        expected_ids.len(),
        "each check runs exactly once"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn kubeadm_insecure_fails_what_it_breaks() {
    let a = run("kubeadm-insecure");
    assert_eq!(a.layout, Some(palisade_node::Layout::Kubeadm));
    expect(&a, INSECURE);
}

#[test]
fn kubeadm_hardened_passes() {
    let a = run("kubeadm-hardened");
    expect(&a, HARDENED);
    assert!(a.errors.is_empty(), "{:?}", a.errors);
}

#[test]
fn k3s_layout_uses_builtin_arguments_and_the_config_file() {
    let a = run("k3s");
    assert_eq!(a.layout, Some(palisade_node::Layout::K3s));
    expect(&a, K3S);
    // A built-in argument is reported as such, a user one at its line.
    let anon = a.result("1.2.1").unwrap();
    assert!(anon
        .evidence
        .as_deref()
        .unwrap()
        .contains("k3s built-in default"));
    let sched = a.result("1.4.1").unwrap();
    assert_eq!(
        (&*sched.location.path, sched.location.line),
        ("/etc/rancher/k3s/config.yaml", 15)
    );
    // `key+=value` appends to k3s's own NodeRestriction.
    assert!(a
        .result("1.2.14")
        .unwrap()
        .message
        .contains("NodeRestriction,AlwaysPullImages"));
    // A drop-in's `kubelet-arg+` appends to the main file's list.
    let pids = a.result("4.2.13").unwrap();
    assert_eq!(
        &*pids.location.path,
        "/etc/rancher/k3s/config.yaml.d/50-pids.yaml"
    );
}

const INSECURE: &str = "
    1.1.1=fail 1.1.2=fail 1.1.3=fail 1.1.4=fail 1.1.5=fail 1.1.6=fail
    1.1.7=fail 1.1.8=fail 1.1.9=fail 1.1.10=fail 1.1.11=fail 1.1.12=fail
    1.1.13=fail 1.1.14=fail 1.1.15=fail 1.1.16=fail 1.1.17=fail 1.1.18=fail
    1.1.19=fail 1.1.20=fail 1.1.21=fail 1.2.1=fail 1.2.2=fail 1.2.3=fail
    1.2.4=fail 1.2.5=fail 1.2.6=fail 1.2.7=fail 1.2.8=fail 1.2.9=fail
    1.2.10=fail 1.2.11=fail 1.2.12=fail 1.2.13=fail 1.2.14=fail 1.2.15=fail
    1.2.16=fail 1.2.17=fail 1.2.18=fail 1.2.19=fail 1.2.20=manual 1.2.21=fail
    1.2.22=fail 1.2.23=fail 1.2.24=fail 1.2.25=pass 1.2.26=fail 1.2.27=pass
    1.2.28=fail 1.2.29=fail 3.2.1=fail 3.2.2=manual 1.3.1=fail 1.3.2=fail
    1.3.3=fail 1.3.4=fail 1.3.5=fail 1.3.6=fail 1.3.7=fail 1.4.1=fail
    1.4.2=fail 2.1=fail 2.2=fail 2.3=fail 2.4=fail 2.5=fail
    2.6=fail 2.7=fail 4.1.1=fail 4.1.2=fail 4.1.3=info 4.1.4=info
    4.1.5=fail 4.1.6=fail 4.1.7=info 4.1.8=info 4.1.9=fail 4.1.10=fail
    4.2.1=fail 4.2.2=fail 4.2.3=fail 4.2.4=fail 4.2.5=fail 4.2.6=fail
    4.2.7=fail 4.2.8=pass 4.2.9=fail 4.2.10=fail 4.2.11=fail 4.2.12=fail
    4.2.13=fail kubelet.protectKernelDefaults=fail host.1=fail host.2=fail host.3=fail host.4=fail
    host.5=fail host.6=fail host.7=fail host.8=info host.9=info
";

const HARDENED: &str = "
    1.1.1=pass 1.1.2=pass 1.1.3=pass 1.1.4=pass 1.1.5=pass 1.1.6=pass
    1.1.7=pass 1.1.8=pass 1.1.9=pass 1.1.10=pass 1.1.11=pass 1.1.12=pass
    1.1.13=pass 1.1.14=pass 1.1.15=pass 1.1.16=pass 1.1.17=pass 1.1.18=pass
    1.1.19=pass 1.1.20=pass 1.1.21=pass 1.2.1=pass 1.2.2=pass 1.2.3=pass
    1.2.4=pass 1.2.5=pass 1.2.6=pass 1.2.7=pass 1.2.8=pass 1.2.9=pass
    1.2.10=pass 1.2.11=pass 1.2.12=pass 1.2.13=pass 1.2.14=pass 1.2.15=pass
    1.2.16=pass 1.2.17=pass 1.2.18=pass 1.2.19=pass 1.2.20=manual 1.2.21=pass
    1.2.22=pass 1.2.23=pass 1.2.24=pass 1.2.25=pass 1.2.26=pass 1.2.27=pass
    1.2.28=pass 1.2.29=pass 3.2.1=pass 3.2.2=manual 1.3.1=pass 1.3.2=pass
    1.3.3=pass 1.3.4=pass 1.3.5=pass 1.3.6=pass 1.3.7=pass 1.4.1=pass
    1.4.2=pass 2.1=pass 2.2=pass 2.3=pass 2.4=pass 2.5=pass
    2.6=pass 2.7=manual 4.1.1=pass 4.1.2=pass 4.1.3=info 4.1.4=info
    4.1.5=pass 4.1.6=pass 4.1.7=pass 4.1.8=pass 4.1.9=pass 4.1.10=pass
    4.2.1=pass 4.2.2=pass 4.2.3=pass 4.2.4=pass 4.2.5=pass 4.2.6=pass
    4.2.7=pass 4.2.8=pass 4.2.9=pass 4.2.10=pass 4.2.11=pass 4.2.12=pass
    4.2.13=pass kubelet.protectKernelDefaults=pass host.1=pass host.2=pass host.3=pass host.4=pass
    host.5=pass host.6=pass host.7=pass host.8=pass host.9=info
";

const K3S: &str = "
    1.1.1=info 1.1.2=info 1.1.3=info 1.1.4=info 1.1.5=info 1.1.6=info
    1.1.7=info 1.1.8=info 1.1.9=info 1.1.10=info 1.1.11=pass 1.1.12=pass
    1.1.13=pass 1.1.14=pass 1.1.15=pass 1.1.16=pass 1.1.17=pass 1.1.18=pass
    1.1.19=pass 1.1.20=pass 1.1.21=pass 1.2.1=pass 1.2.2=pass 1.2.3=fail
    1.2.4=pass 1.2.5=pass 1.2.6=pass 1.2.7=pass 1.2.8=pass 1.2.9=fail
    1.2.10=pass 1.2.11=pass 1.2.12=pass 1.2.13=pass 1.2.14=pass 1.2.15=pass
    1.2.16=pass 1.2.17=pass 1.2.18=pass 1.2.19=pass 1.2.20=manual 1.2.21=pass
    1.2.22=pass 1.2.23=pass 1.2.24=pass 1.2.25=pass 1.2.26=pass 1.2.27=pass
    1.2.28=pass 1.2.29=fail 3.2.1=pass 3.2.2=manual 1.3.1=pass 1.3.2=pass
    1.3.3=pass 1.3.4=pass 1.3.5=pass 1.3.6=pass 1.3.7=pass 1.4.1=fail
    1.4.2=pass 2.1=pass 2.2=pass 2.3=pass 2.4=pass 2.5=pass
    2.6=pass 2.7=manual 4.1.1=pass 4.1.2=pass 4.1.3=pass 4.1.4=pass
    4.1.5=pass 4.1.6=pass 4.1.7=pass 4.1.8=pass 4.1.9=pass 4.1.10=pass
    4.2.1=pass 4.2.2=pass 4.2.3=pass 4.2.4=pass 4.2.5=pass 4.2.6=pass
    4.2.7=info 4.2.8=pass 4.2.9=pass 4.2.10=pass 4.2.11=pass 4.2.12=fail
    4.2.13=pass kubelet.protectKernelDefaults=pass host.1=pass host.2=pass host.3=pass host.4=pass
    host.5=manual host.6=pass host.7=pass host.8=pass host.9=info
";
