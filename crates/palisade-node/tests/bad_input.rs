//! Bad input never panics and always gives a definite result naming the file: missing,
//! unreadable, oversized and invalid files, flags given twice or in both forms, kubelet
//! configuration in JSON, and random bytes in every file the audit reads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;
use std::path::Path;

use palisade_core::Config;
use palisade_node::{audit, NodeRoot, Status};

const MANIFESTS: &str = "etc/kubernetes/manifests";

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn apiserver(flags: &[&str]) -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    command:\n    - kube-apiserver\n",
    );
    for f in flags {
        s.push_str(&format!("    - \"{f}\"\n"));
    }
    s
}

#[test]
fn a_missing_manifest_makes_its_checks_manual_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &format!("{MANIFESTS}/kube-apiserver.yaml"),
        apiserver(&["--profiling=false"]),
    );
    let a = audit(&NodeRoot::new(dir.path()));
    assert_eq!(a.result("1.2.15").unwrap().status, Status::Pass);
    for id in ["1.3.2", "1.4.1", "2.2", "1.1.3"] {
        let r = a.result(id).unwrap();
        assert_eq!(r.status, Status::Manual, "{id}");
        assert!(r.message.contains("not found"), "{id}: {}", r.message);
    }
    assert!(a
        .result("1.3.2")
        .unwrap()
        .message
        .contains("/etc/kubernetes/manifests/kube-controller-manager.yaml"));
    // A missing file is not an input error: nothing was there to read.
    assert!(a.errors.is_empty());
}

#[test]
fn a_worker_node_has_no_control_plane_checks() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "etc/kubernetes/kubelet.conf",
        "apiVersion: v1\nkind: Config\n",
    );
    let a = audit(&NodeRoot::new(dir.path()));
    for id in ["1.1.1", "1.2.1", "1.3.1", "2.1", "3.2.1"] {
        assert_eq!(a.result(id).unwrap().status, Status::Info, "{id}");
    }
}

#[test]
fn invalid_yaml_is_an_error_with_its_line_and_the_checks_are_manual() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &format!("{MANIFESTS}/kube-apiserver.yaml"),
        "apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n    - name: x\n  bad: : :\n",
    );
    let a = audit(&NodeRoot::new(dir.path()));
    let err = &a.errors[0];
    assert_eq!(&*err.path, "/etc/kubernetes/manifests/kube-apiserver.yaml");
    assert!(err.line.is_some());
    assert!(err.message.contains("invalid YAML"));
    let r = a.result("1.2.1").unwrap();
    assert_eq!(r.status, Status::Manual);
    assert!(r.message.contains("kube-apiserver.yaml"), "{}", r.message);
}

#[test]
fn oversized_files_are_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = apiserver(&["--anonymous-auth=false"]);
    big.push_str(&format!("# {}\n", "x".repeat(1024 * 1024)));
    write(dir.path(), &format!("{MANIFESTS}/kube-apiserver.yaml"), big);
    let a = audit(&NodeRoot::new(dir.path()));
    assert!(a.errors[0].message.contains("limit"), "{}", a.errors[0]);
    assert_eq!(a.result("1.2.1").unwrap().status, Status::Manual);
}

#[test]
fn unreadable_files_give_an_error_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &format!("{MANIFESTS}/kube-scheduler.yaml"),
        "x: 1\n",
    );
    // A symlink loop cannot be read by anyone, root included (chmod 000 would not stop root).
    std::os::unix::fs::symlink(
        "/etc/kubernetes/manifests/loop-b",
        dir.path().join(MANIFESTS).join("kube-apiserver.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "/etc/kubernetes/manifests/kube-apiserver.yaml",
        dir.path().join(MANIFESTS).join("loop-b"),
    )
    .unwrap();
    let a = audit(&NodeRoot::new(dir.path()));
    assert!(a
        .errors
        .iter()
        .any(|e| &*e.path == "/etc/kubernetes/manifests/kube-apiserver.yaml"));
    assert_eq!(a.result("1.2.1").unwrap().status, Status::Manual);
    if !common::is_root() {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.path().join(MANIFESTS).join("kube-scheduler.yaml");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
        let a = audit(&NodeRoot::new(dir.path()));
        assert!(a.errors.iter().any(|e| e.message.contains("cannot read")));
        assert_eq!(a.result("1.4.1").unwrap().status, Status::Manual);
    }
}

#[test]
fn flags_twice_and_in_both_forms_follow_pflag() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: kube-apiserver\n    command:\n    - kube-apiserver\n    - --profiling=false\n    - --audit-log-maxage\n    - \"45\"\n    - --anonymous-auth\n    - \"false\"\n    args:\n    - --profiling=true\n    - --enable-admission-plugins=NodeRestriction\n    - --enable-admission-plugins=AlwaysAdmit\n";
    write(
        dir.path(),
        &format!("{MANIFESTS}/kube-apiserver.yaml"),
        text,
    );
    let a = audit(&NodeRoot::new(dir.path()));
    // `args` come after `command`: the later --profiling wins.
    let prof = a.result("1.2.15").unwrap();
    assert_eq!(prof.status, Status::Fail);
    assert_eq!(prof.location.line, 14);
    // `--flag value` form.
    assert_eq!(a.result("1.2.17").unwrap().status, Status::Pass);
    // A boolean flag does not take the next word: anonymous auth stays on.
    assert_eq!(a.result("1.2.1").unwrap().status, Status::Fail);
    // Slices accumulate: both plugins are enabled.
    assert_eq!(a.result("1.2.14").unwrap().status, Status::Pass);
    assert_eq!(a.result("1.2.10").unwrap().status, Status::Fail);
    let notes: Vec<String> = a.notes.iter().map(ToString::to_string).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`--profiling` is given 2 times")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("stray argument `false`") && n.contains(":12:")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("accumulate")), "{notes:?}");
}

#[test]
fn kubelet_json_config_and_flags_over_it() {
    let a = {
        let dir = common::prepare("kubeadm-insecure");
        audit(&NodeRoot::new(dir.path()))
    };
    let anon = a.result("4.2.1").unwrap();
    assert_eq!(anon.status, Status::Fail);
    assert_eq!(
        (&*anon.location.path, anon.location.line),
        ("/etc/kubernetes/kubelet/config.json", 5)
    );
    // --hostname-override comes from kubeadm-flags.env through $KUBELET_KUBEADM_ARGS.
    let host = a.result("4.2.7").unwrap();
    assert_eq!(&*host.location.path, "/var/lib/kubelet/kubeadm-flags.env");

    // A flag beats the config file (kubeletConfigFlagPrecedence).
    let dir = common::prepare("kubeadm-hardened");
    write(
        dir.path(),
        "etc/default/kubelet",
        "KUBELET_EXTRA_ARGS=--read-only-port=10255\n",
    );
    let b = audit(&NodeRoot::new(dir.path()));
    let ro = b.result("4.2.4").unwrap();
    assert_eq!(ro.status, Status::Fail);
    assert_eq!(&*ro.location.path, "/etc/default/kubelet");

    // Without --config, the legacy flag defaults apply: anonymous on, AlwaysAllow, 10255.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "[Service]\nExecStart=\nExecStart=/usr/bin/kubelet --kubeconfig=/etc/kubernetes/kubelet.conf\n",
    );
    let c = audit(&NodeRoot::new(dir.path()));
    for id in ["4.2.1", "4.2.2", "4.2.4"] {
        assert_eq!(c.result(id).unwrap().status, Status::Fail, "{id}");
    }
    // A --config that points nowhere: the file-backed checks need a person.
    write(
        dir.path(),
        "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "[Service]\nExecStart=\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\n",
    );
    let d = audit(&NodeRoot::new(dir.path()));
    let r = d.result("4.2.1").unwrap();
    assert_eq!(r.status, Status::Manual);
    assert!(r.message.contains("/var/lib/kubelet/config.yaml"));
}

#[test]
fn findings_are_the_failures_with_their_cis_id() {
    let dir = common::prepare("kubeadm-insecure");
    let a = audit(&NodeRoot::new(dir.path()));
    let findings = a.findings(&Config::default());
    let fails = a
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .count();
    assert_eq!(findings.len(), fails);
    let anon = findings
        .iter()
        .find(|f| f.rule_id == "PAL-NODE-201")
        .unwrap();
    assert!(anon.message.starts_with("CIS 1.2.1: "));
    assert_eq!(anon.evidence.as_deref(), Some("--anonymous-auth=true"));
    assert_eq!(anon.object.kind, "NodeComponent");
    assert_eq!(anon.object.name, "kube-apiserver");
    // Summary counts add up per section.
    let summary = a.summary();
    let total: usize = summary
        .iter()
        .map(|s| s.pass + s.fail + s.manual + s.info)
        .sum();
    assert_eq!(total, a.results.len());
    assert_eq!(summary[0].section, "1.1");
}

#[test]
fn random_bytes_in_every_file_never_panic() {
    let base = common::prepare("kubeadm-insecure");
    let k3s = common::prepare("k3s");
    let targets = [
        (base.path(), "etc/kubernetes/manifests/kube-apiserver.yaml"),
        (base.path(), "etc/kubernetes/manifests/etcd.yaml"),
        (base.path(), "etc/kubernetes/kubelet/config.json"),
        (base.path(), "etc/kubernetes/enc/encryption-config.yaml"),
        (
            base.path(),
            "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        ),
        (base.path(), "var/lib/kubelet/kubeadm-flags.env"),
        (base.path(), "etc/ssh/sshd_config"),
        (base.path(), "etc/sysctl.conf"),
        (k3s.path(), "etc/rancher/k3s/config.yaml"),
        (
            k3s.path(),
            "var/lib/rancher/k3s/server/cred/encryption-config.json",
        ),
    ];
    let mut rng = fastrand::Rng::with_seed(0x9a11_5ade);
    let alphabet = b"-=: \n\t\"'[]{},#$\\abcdefgtrue01-false--anonymous-auth";
    for round in 0..300 {
        let (root, rel) = targets[round % targets.len()];
        let original = fs::read(root.join(rel)).unwrap();
        let len = rng.usize(0..2048);
        let bytes: Vec<u8> = if round % 2 == 0 {
            (0..len).map(|_| rng.u8(..)).collect()
        } else {
            (0..len)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect()
        };
        fs::write(root.join(rel), &bytes).unwrap();
        let a = audit(&NodeRoot::new(root));
        // Every check still gives one result.
        assert_eq!(a.results.len(), 101, "round {round} on {rel}");
        let _ = a.findings(&Config::default());
        fs::write(root.join(rel), original).unwrap();
    }
}
