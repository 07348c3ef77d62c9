//! Arbitrary bytes cut into a node's files (control-plane manifests, kubelet config and
//! flags, sshd_config, passwd/shadow/group, PAM, authorized_keys) written under a temporary
//! root; the CIS audit and the SSH access analysis run on it. Nothing may panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palisade_core::Config;
use palisade_node::{access, audit, NodeRoot};

const FILES: [&str; 10] = [
    "etc/kubernetes/manifests/kube-apiserver.yaml",
    "etc/kubernetes/manifests/etcd.yaml",
    "var/lib/kubelet/config.yaml",
    "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
    "etc/ssh/sshd_config",
    "etc/passwd",
    "etc/shadow",
    "etc/group",
    "etc/pam.d/sshd",
    "home/alice/.ssh/authorized_keys",
];

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    // Parts separated by a NUL byte, one per file, in order.
    for (name, part) in FILES.iter().zip(data.split(|&b| b == 0)) {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(&path, part);
    }
    let root: &Path = dir.path();
    let result = audit(&NodeRoot::new(root));
    let _ = result.findings(&Config::default());
    let node = access::analyze(root, &Default::default());
    let _ = access::check(&node, &Config::default());
});
