//! Palisade's node analysis. [`probe`] connects to Kubernetes components over the network
//! (etcd, kubelet, API server, dashboard, NodePorts), sends only read-only requests, and
//! turns what answers into findings (`PAL-PROBE-…`). [`access`] answers "who can SSH to which node, and with what"
//! (sshd's effective configuration with `Include` and `Match`, accounts, `authorized_keys`,
//! the PAM second factor; findings `PAL-SSH-…`). The rest is the node audit: the CIS
//! Kubernetes Benchmark checks of sections 1–4 over a node's filesystem (control-plane static pods, etcd, the kubelet, file ownership and
//! permissions; kubeadm and k3s layouts) and host hardening (sshd basics, a Linux security
//! module, kernel parameters).
//!
//! [`audit`] reads a [`NodeRoot`] (the node's `/`, a mounted image or a fixture tree) and
//! returns a [`NodeAudit`]: one [`CheckResult`] per check (pass, fail, manual or info, with
//! evidence and place), counts per section, and [`NodeAudit::findings`] for the failures.
//! Every check's rule is in [`cis::rules::CATALOG`].
//!
//! ```
//! use palisade_node::{audit, NodeRoot, Status};
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::create_dir_all(dir.path().join("etc/kubernetes/manifests")).unwrap();
//! std::fs::write(
//!     dir.path().join("etc/kubernetes/manifests/kube-apiserver.yaml"),
//!     "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: kube-apiserver\n    command:\n    - kube-apiserver\n    - --anonymous-auth=true\n",
//! ).unwrap();
//! let result = audit(&NodeRoot::new(dir.path()));
//! let anon = result.result("1.2.1").unwrap();
//! assert_eq!(anon.status, Status::Fail);
//! assert_eq!(anon.location.line, 8);
//! ```

pub mod access;
pub mod cis;
pub mod host;
pub mod probe;
mod result;
pub mod root;

pub use result::{
    component_ref, section_of, section_title, CheckResult, Layout, NodeAudit, SectionSummary,
    Status,
};
pub use root::NodeRoot;

/// Runs every CIS and host check over the root.
pub fn audit(root: &NodeRoot) -> NodeAudit {
    let mut out = NodeAudit::default();
    cis::run(root, &mut out);
    host::run(root, &mut out);
    // Benchmark order: by section, then by the numbers of the id (1.2.9 before 1.2.10).
    out.results.sort_by_key(|r| order_key(r.check));
    out
}

fn order_key(check: &str) -> (usize, Vec<u32>, String) {
    const SECTIONS: &[&str] = &[
        "1.1", "1.2", "1.3", "1.4", "2", "3.1", "3.2", "4.1", "4.2", "host",
    ];
    let section = section_of(check);
    let index = SECTIONS
        .iter()
        .position(|s| *s == section)
        .unwrap_or(SECTIONS.len());
    let numbers = check.split('.').filter_map(|p| p.parse().ok()).collect();
    (index, numbers, check.to_string())
}
