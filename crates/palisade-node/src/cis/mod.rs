//! CIS Kubernetes Benchmark checks (sections 1–4, numbered as in benchmark v1.10) over a
//! node's filesystem, for the kubeadm and k3s layouts.
//!
//! The layout is detected from the root: k3s when `/etc/rancher/k3s` or
//! `/var/lib/rancher/k3s` exists, kubeadm when `/etc/kubernetes` does. On kubeadm a node is a
//! control-plane node when any static pod manifest is present; on a worker the control-plane
//! checks are not applicable (info), while on a control-plane node a missing manifest makes
//! that component's checks manual, naming the file.

mod apiserver;
mod checks;
mod component;
mod control;
mod files;
pub mod flags;
mod k3s;
mod kubelet;
pub mod rules;
mod worker;

use component::{from_manifest, Component};
use files::{files_under, FileChecks, Need, Owner};
use kubelet::Kubelet;
use palisade_core::Rule;
use rules::*;

use crate::result::{Layout, NodeAudit, Status};
use crate::root::NodeRoot;

const MANIFESTS: &str = "/etc/kubernetes/manifests";
const KUBEADM_UNITS: &[&str] = &[
    "/lib/systemd/system/kubelet.service",
    "/usr/lib/systemd/system/kubelet.service",
    "/etc/systemd/system/kubelet.service",
];
const KUBEADM_DROPIN_DIR: &str = "/etc/systemd/system/kubelet.service.d";

/// Which layout the root has.
pub fn detect(root: &NodeRoot) -> Layout {
    if root.stat("/etc/rancher/k3s").is_some() || root.stat(k3s::DATA).is_some() {
        Layout::K3s
    } else if root.stat("/etc/kubernetes").is_some() || root.stat("/var/lib/kubelet").is_some() {
        Layout::Kubeadm
    } else {
        Layout::Unknown
    }
}

/// Runs every CIS check, appending results to `audit`.
pub fn run(root: &NodeRoot, audit: &mut NodeAudit) {
    let layout = detect(root);
    audit.layout = Some(layout);
    match layout {
        Layout::K3s => run_k3s(root, audit),
        Layout::Kubeadm | Layout::Unknown => run_kubeadm(root, layout, audit),
    }
}

fn run_kubeadm(root: &NodeRoot, layout: Layout, audit: &mut NodeAudit) {
    let names = [
        ("kube-apiserver", "kube-apiserver.yaml"),
        ("kube-controller-manager", "kube-controller-manager.yaml"),
        ("kube-scheduler", "kube-scheduler.yaml"),
        ("etcd", "etcd.yaml"),
    ];
    let paths: Vec<String> = names
        .iter()
        .map(|(_, f)| format!("{MANIFESTS}/{f}"))
        .collect();
    let control_plane = paths.iter().any(|p| root.stat(p).is_some());
    let worker_why = if layout == Layout::Unknown {
        "no Kubernetes installation found under the root"
    } else {
        "no control-plane static pod manifests: a worker node"
    };
    let [api, cm, sched, etcd]: [Component; 4] = std::array::from_fn(|i| {
        if control_plane {
            from_manifest(root, names[i].0, &paths[i], audit)
        } else {
            Component::absent(names[i].0, &paths[i], worker_why)
        }
    });
    let absent = (!control_plane).then_some(worker_why);
    let manifest_rules: [(&str, &Rule, &str, &Rule); 4] = [
        ("1.1.1", &F_APISERVER_MODE, "1.1.2", &F_APISERVER_OWNER),
        ("1.1.3", &F_CM_MODE, "1.1.4", &F_CM_OWNER),
        ("1.1.5", &F_SCHED_MODE, "1.1.6", &F_SCHED_OWNER),
        ("1.1.7", &F_ETCD_MODE, "1.1.8", &F_ETCD_OWNER),
    ];
    for (i, (mode_id, mode_rule, owner_id, owner_rule)) in manifest_rules.into_iter().enumerate() {
        file_pair(
            root,
            audit,
            names[i].0,
            std::slice::from_ref(&paths[i]),
            Need::Required,
            (mode_id, mode_rule, 0o600),
            (owner_id, owner_rule, Owner::Root),
            absent,
        );
    }
    let cni: Vec<String> = files_under(root, "/etc/cni/net.d", &[], false)
        .into_iter()
        .chain(files_under(root, "/var/lib/cni/networks", &[], false))
        .collect();
    file_pair(
        root,
        audit,
        "cni",
        &cni,
        Need::IfExists,
        ("1.1.9", &F_CNI_MODE, 0o600),
        ("1.1.10", &F_CNI_OWNER, Owner::Root),
        None,
    );
    let data_dir = etcd.flags.last("data-dir").map_or_else(
        || "/var/lib/etcd".to_string(),
        |u| u.value.trim().to_string(),
    );
    let etcd_absent =
        absent.or((etcd.state == component::State::Missing).then_some("no etcd manifest"));
    file_pair(
        root,
        audit,
        "etcd",
        &[data_dir],
        Need::Required,
        ("1.1.11", &F_ETCD_DATA_MODE, 0o700),
        ("1.1.12", &F_ETCD_DATA_OWNER, Owner::Named("etcd")),
        etcd_absent,
    );
    let admin: Vec<String> = [
        "/etc/kubernetes/admin.conf",
        "/etc/kubernetes/super-admin.conf",
    ]
    .iter()
    .filter(|p| p.ends_with("/admin.conf") || root.stat(p).is_some())
    .map(|s| s.to_string())
    .collect();
    file_pair(
        root,
        audit,
        "kubeconfig",
        &admin,
        Need::Required,
        ("1.1.13", &F_ADMIN_MODE, 0o600),
        ("1.1.14", &F_ADMIN_OWNER, Owner::Root),
        absent,
    );
    file_pair(
        root,
        audit,
        "kube-scheduler",
        &["/etc/kubernetes/scheduler.conf".into()],
        Need::Required,
        ("1.1.15", &F_SCHED_KC_MODE, 0o600),
        ("1.1.16", &F_SCHED_KC_OWNER, Owner::Root),
        absent,
    );
    file_pair(
        root,
        audit,
        "kube-controller-manager",
        &["/etc/kubernetes/controller-manager.conf".into()],
        Need::Required,
        ("1.1.17", &F_CM_KC_MODE, 0o600),
        ("1.1.18", &F_CM_KC_OWNER, Owner::Root),
        absent,
    );
    pki(root, audit, "/etc/kubernetes/pki", absent);

    apiserver::check(root, &api, audit);
    control::controller_manager(&cm, audit);
    control::scheduler(&sched, audit);
    control::etcd(&etcd, &api, audit);

    let mut units: Vec<String> = KUBEADM_UNITS.iter().map(|s| s.to_string()).collect();
    units.extend(
        root.list(KUBEADM_DROPIN_DIR)
            .into_iter()
            .filter(|n| n.ends_with(".conf"))
            .map(|n| format!("{KUBEADM_DROPIN_DIR}/{n}")),
    );
    let kubelet = Kubelet::load(root, &units, Vec::new(), None, audit);
    worker_files(
        root,
        &kubelet,
        &[
            "/etc/kubernetes/proxy.conf".into(),
            "/var/lib/kube-proxy/kubeconfig.conf".into(),
        ],
        "/etc/kubernetes/kubelet.conf",
        audit,
    );
    worker::check(&kubelet, worker::Quirks::default(), audit);
}

fn run_k3s(root: &NodeRoot, audit: &mut NodeAudit) {
    let k = k3s::load(root, audit);
    let embedded = "k3s embeds this component in its own process: there is no pod manifest";
    for (id, rule, comp) in [
        ("1.1.1", &F_APISERVER_MODE, "kube-apiserver"),
        ("1.1.2", &F_APISERVER_OWNER, "kube-apiserver"),
        ("1.1.3", &F_CM_MODE, "kube-controller-manager"),
        ("1.1.4", &F_CM_OWNER, "kube-controller-manager"),
        ("1.1.5", &F_SCHED_MODE, "kube-scheduler"),
        ("1.1.6", &F_SCHED_OWNER, "kube-scheduler"),
        ("1.1.7", &F_ETCD_MODE, "etcd"),
        ("1.1.8", &F_ETCD_OWNER, "etcd"),
    ] {
        checks::push(
            audit,
            id,
            rule,
            Status::Info,
            comp,
            format!("not applicable: {embedded}"),
            None,
            crate::result::at(k3s::CONFIG, 1),
        );
    }
    let absent = (!k.server).then_some("not a k3s server node");
    let cni: Vec<String> = files_under(root, "/var/lib/cni/networks", &[], false)
        .into_iter()
        .filter(|p| !p.ends_with("/lock"))
        .collect();
    file_pair(
        root,
        audit,
        "cni",
        &cni,
        Need::IfExists,
        ("1.1.9", &F_CNI_MODE, 0o600),
        ("1.1.10", &F_CNI_OWNER, Owner::Root),
        None,
    );
    let data = format!("{}/server/db/etcd", k3s::DATA);
    let etcd_absent = absent.or((!k.etcd).then_some("k3s runs without etcd here"));
    file_pair(
        root,
        audit,
        "etcd",
        &[data],
        Need::Required,
        ("1.1.11", &F_ETCD_DATA_MODE, 0o700),
        ("1.1.12", &F_ETCD_DATA_OWNER, Owner::Root),
        etcd_absent,
    );
    // k3s runs etcd as root: the benchmark's etcd:etcd does not apply.
    if let Some(r) = audit.results.iter_mut().rev().find(|r| r.check == "1.1.12") {
        if r.status == Status::Fail || r.status == Status::Pass {
            r.message = format!(
                "{} (k3s runs etcd inside its own root process, so root:root is expected)",
                r.message
            );
        }
    }
    let cred = format!("{}/server/cred", k3s::DATA);
    file_pair(
        root,
        audit,
        "kubeconfig",
        &[format!("{cred}/admin.kubeconfig")],
        Need::Required,
        ("1.1.13", &F_ADMIN_MODE, 0o600),
        ("1.1.14", &F_ADMIN_OWNER, Owner::Root),
        absent,
    );
    file_pair(
        root,
        audit,
        "kube-scheduler",
        &[format!("{cred}/scheduler.kubeconfig")],
        Need::Required,
        ("1.1.15", &F_SCHED_KC_MODE, 0o600),
        ("1.1.16", &F_SCHED_KC_OWNER, Owner::Root),
        absent,
    );
    file_pair(
        root,
        audit,
        "kube-controller-manager",
        &[format!("{cred}/controller.kubeconfig")],
        Need::Required,
        ("1.1.17", &F_CM_KC_MODE, 0o600),
        ("1.1.18", &F_CM_KC_OWNER, Owner::Root),
        absent,
    );
    pki(root, audit, &format!("{}/server/tls", k3s::DATA), absent);

    apiserver::check(root, &k.api, audit);
    if k.server && !k.etcd {
        for r in audit
            .results
            .iter_mut()
            .filter(|r| r.check == "1.2.23" || r.check == "1.2.26")
        {
            r.status = Status::Info;
            r.message =
                "not applicable: the API server talks to kine over a local socket, not to etcd"
                    .into();
        }
    }
    control::controller_manager(&k.cm, audit);
    control::scheduler(&k.sched, audit);
    control::etcd(&k.etcd_comp, &k.api, audit);

    let agent = format!("{}/agent", k3s::DATA);
    let mut kubelet = Kubelet::load(
        root,
        &[],
        k.kubelet,
        Some(&format!("{agent}/etc/kubelet.conf.d")),
        audit,
    );
    kubelet.anchor = crate::result::at(k3s::CONFIG, 1);
    kubelet.unit = [
        "/etc/systemd/system/k3s.service",
        "/etc/systemd/system/k3s-agent.service",
    ]
    .iter()
    .find(|p| root.stat(p).is_some())
    .map(|s| s.to_string());
    worker_files(
        root,
        &kubelet,
        &[format!("{agent}/kubeproxy.kubeconfig")],
        &format!("{agent}/kubelet.kubeconfig"),
        audit,
    );
    worker::check(
        &kubelet,
        worker::Quirks {
            hostname_override_builtin: true,
            renews_client_cert: true,
        },
        audit,
    );
}

#[allow(clippy::too_many_arguments)]
fn file_pair(
    root: &NodeRoot,
    audit: &mut NodeAudit,
    component: &'static str,
    paths: &[String],
    need: Need,
    mode: (&'static str, &'static Rule, u32),
    owner: (&'static str, &'static Rule, Owner),
    absent: Option<&'static str>,
) {
    files::run(
        root,
        &FileChecks {
            component,
            paths,
            need,
            mode: Some(mode),
            owner: Some(owner),
            absent,
        },
        audit,
    );
}

/// 1.1.19–1.1.21 over a PKI directory.
fn pki(root: &NodeRoot, audit: &mut NodeAudit, dir: &str, absent: Option<&'static str>) {
    let all = files_under(root, dir, &[], true);
    let crts = files_under(root, dir, &[".crt"], false);
    let keys = files_under(root, dir, &[".key"], false);
    let dir_list = [dir.to_string()];
    let need_all: &[String] = if all.is_empty() { &dir_list } else { &all };
    let run = |audit: &mut NodeAudit, paths: &[String], mode, owner, need| {
        files::run(
            root,
            &FileChecks {
                component: "pki",
                paths,
                need,
                mode,
                owner,
                absent,
            },
            audit,
        );
    };
    run(
        audit,
        need_all,
        None,
        Some(("1.1.19", &F_PKI_OWNER, Owner::Root)),
        Need::Required,
    );
    run(
        audit,
        &crts,
        Some(("1.1.20", &F_PKI_CRT_MODE, 0o600)),
        None,
        Need::IfExists,
    );
    run(
        audit,
        &keys,
        Some(("1.1.21", &F_PKI_KEY_MODE, 0o600)),
        None,
        Need::IfExists,
    );
}

/// 4.1.x.
fn worker_files(
    root: &NodeRoot,
    k: &Kubelet,
    proxy: &[String],
    default_kubeconfig: &str,
    audit: &mut NodeAudit,
) {
    let absent = match &k.state {
        component::State::Absent(why) => Some(*why),
        _ => None,
    };
    let unit: Vec<String> = k.unit.iter().cloned().collect();
    let unit_absent = absent.or(unit.is_empty().then_some("no kubelet unit file found"));
    file_pair(
        root,
        audit,
        "kubelet",
        &unit,
        Need::Required,
        ("4.1.1", &W_SVC_MODE, 0o600),
        ("4.1.2", &W_SVC_OWNER, Owner::Root),
        unit_absent,
    );
    file_pair(
        root,
        audit,
        "kube-proxy",
        proxy,
        Need::IfExists,
        ("4.1.3", &W_PROXY_MODE, 0o600),
        ("4.1.4", &W_PROXY_OWNER, Owner::Root),
        absent,
    );
    let kubeconfig = k.flags.last("kubeconfig").map_or_else(
        || default_kubeconfig.to_string(),
        |u| u.value.trim().to_string(),
    );
    file_pair(
        root,
        audit,
        "kubelet",
        &[kubeconfig],
        Need::Required,
        ("4.1.5", &W_KUBELET_KC_MODE, 0o600),
        ("4.1.6", &W_KUBELET_KC_OWNER, Owner::Root),
        absent,
    );
    let ca: Vec<String> = k
        .setting(
            "client-ca-file",
            &["authentication", "x509", "clientCAFile"],
        )
        .map(|s| s.value.trim().to_string())
        .into_iter()
        .collect();
    let ca_absent = absent.or(ca
        .is_empty()
        .then_some("the kubelet has no client CA file (see 4.2.3)"));
    file_pair(
        root,
        audit,
        "kubelet",
        &ca,
        Need::Required,
        ("4.1.7", &W_CA_MODE, 0o600),
        ("4.1.8", &W_CA_OWNER, Owner::Root),
        ca_absent,
    );
    let configs: Vec<String> = k
        .config_path
        .iter()
        .cloned()
        .chain(k.docs.iter().map(|(p, _)| p.clone()))
        .fold(Vec::new(), |mut acc, p| {
            if !acc.contains(&p) {
                acc.push(p);
            }
            acc
        });
    let config_absent = absent.or(configs
        .is_empty()
        .then_some("the kubelet uses no config file"));
    file_pair(
        root,
        audit,
        "kubelet",
        &configs,
        Need::Required,
        ("4.1.9", &W_CONFIG_MODE, 0o600),
        ("4.1.10", &W_CONFIG_OWNER, Owner::Root),
        config_absent,
    );
}
