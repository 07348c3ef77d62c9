//! The k3s layout. k3s runs every component inside one process and starts each with
//! arguments of its own (`apiServer`, `controllerManager`, `scheduler` in
//! pkg/daemons/control/server.go, the kubelet's in pkg/daemons/agent), which the user
//! extends or overrides through `/etc/rancher/k3s/config.yaml` keys such as
//! `kube-apiserver-arg`. The merge mirrors k3s's `util.GetArgs`: `name=value` replaces the
//! built-in value, repeated names give repeated flags, `name+=value` appends to the built-in
//! value and `name-=value` prepends. Config drop-ins `config.yaml.d/*.yaml` are read after
//! the main file; a later key replaces an earlier one, and a key ending in `+` appends.
//! k3s flags given only on the unit's command line are not read (documented limit).

use palisade_core::yaml::Node;

use super::component::{read_yaml, Component, State};
use super::control::truthy;
use super::flags::{FlagUse, Flags, Origin};
use crate::result::{at, NodeAudit};
use crate::root::NodeRoot;

/// k3s's data directory.
pub const DATA: &str = "/var/lib/rancher/k3s";
/// The main config file.
pub const CONFIG: &str = "/etc/rancher/k3s/config.yaml";
const BUILTIN: Origin = Origin::Builtin("k3s built-in default");

/// What the k3s configuration says.
#[derive(Debug, Clone)]
pub struct K3s {
    /// Is this a server (control plane) node?
    pub server: bool,
    /// Does it run embedded etcd (rather than kine over SQLite or an external database)?
    pub etcd: bool,
    /// The API server.
    pub api: Component,
    /// The controller manager.
    pub cm: Component,
    /// The scheduler.
    pub sched: Component,
    /// Embedded etcd.
    pub etcd_comp: Component,
    /// The kubelet's arguments (built-ins, then `kubelet-arg`).
    pub kubelet: Vec<FlagUse>,
}

/// One config key's values with their places.
type Values = Vec<(String, Origin)>;

/// Reads the k3s configuration and builds each component's flags.
pub fn load(root: &NodeRoot, audit: &mut NodeAudit) -> K3s {
    let mut keys: Vec<(String, Values)> = Vec::new();
    let mut files = vec![CONFIG.to_string()];
    files.extend(
        root.list("/etc/rancher/k3s/config.yaml.d")
            .into_iter()
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .map(|n| format!("/etc/rancher/k3s/config.yaml.d/{n}")),
    );
    for file in &files {
        if let Ok(doc) = read_yaml(root, file, audit) {
            merge(&mut keys, &doc, file);
        }
    }
    let get = |k: &str| {
        keys.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let flag_on = |k: &str| get(k).last().is_some_and(|(v, _)| truthy(v));
    let server = root.stat(&format!("{DATA}/server")).is_some() || flag_on("cluster-init");
    let etcd = flag_on("cluster-init") || root.stat(&format!("{DATA}/server/db/etcd")).is_some();
    let tls = format!("{DATA}/server/tls");
    let anchor = at(CONFIG, 1);

    let mut api_defaults = vec![
        ("anonymous-auth", "false".to_string()),
        ("authorization-mode", "Node,RBAC".into()),
        ("enable-admission-plugins", "NodeRestriction".into()),
        ("profiling", "false".into()),
        ("tls-cert-file", format!("{tls}/serving-kube-apiserver.crt")),
        (
            "tls-private-key-file",
            format!("{tls}/serving-kube-apiserver.key"),
        ),
        ("client-ca-file", format!("{tls}/client-ca.crt")),
        (
            "kubelet-certificate-authority",
            format!("{tls}/server-ca.crt"),
        ),
        (
            "kubelet-client-certificate",
            format!("{tls}/client-kube-apiserver.crt"),
        ),
        (
            "kubelet-client-key",
            format!("{tls}/client-kube-apiserver.key"),
        ),
        ("service-account-key-file", format!("{tls}/service.key")),
    ];
    if etcd {
        api_defaults.push(("etcd-cafile", format!("{tls}/etcd/server-ca.crt")));
        api_defaults.push(("etcd-certfile", format!("{tls}/etcd/client.crt")));
        api_defaults.push(("etcd-keyfile", format!("{tls}/etcd/client.key")));
    }
    if flag_on("secrets-encryption") {
        api_defaults.push((
            "encryption-provider-config",
            format!("{DATA}/server/cred/encryption-config.json"),
        ));
    }
    let component =
        |name: &'static str, defaults: &[(&str, String)], key: &str, audit: &mut NodeAudit| {
            let flags = get_args(defaults, &get(key));
            for p in &flags.problems {
                audit.notes.push(palisade_core::LoadNote {
                    location: p.origin.location_or(&anchor),
                    message: format!("{name}: {}", p.message),
                });
            }
            Component {
                name,
                file: CONFIG.into(),
                state: State::Loaded,
                flags,
                anchor: anchor.clone(),
            }
        };
    let not_server = "not a k3s server node";
    let (api, cm, sched) = if server {
        (
            component("kube-apiserver", &api_defaults, "kube-apiserver-arg", audit),
            component(
                "kube-controller-manager",
                &[
                    ("profiling", "false".into()),
                    ("bind-address", "127.0.0.1".into()),
                    ("use-service-account-credentials", "true".into()),
                    (
                        "service-account-private-key-file",
                        format!("{tls}/service.current.key"),
                    ),
                    ("root-ca-file", format!("{tls}/server-ca.crt")),
                ],
                "kube-controller-manager-arg",
                audit,
            ),
            component(
                "kube-scheduler",
                &[
                    ("profiling", "false".into()),
                    ("bind-address", "127.0.0.1".into()),
                ],
                "kube-scheduler-arg",
                audit,
            ),
        )
    } else {
        (
            Component::absent("kube-apiserver", CONFIG, not_server),
            Component::absent("kube-controller-manager", CONFIG, not_server),
            Component::absent("kube-scheduler", CONFIG, not_server),
        )
    };
    let etcd_comp = if server && etcd {
        let e = format!("{tls}/etcd");
        component(
            "etcd",
            &[
                ("cert-file", format!("{e}/server-client.crt")),
                ("key-file", format!("{e}/server-client.key")),
                ("client-cert-auth", "true".into()),
                ("trusted-ca-file", format!("{e}/server-ca.crt")),
                ("peer-cert-file", format!("{e}/peer-server-client.crt")),
                ("peer-key-file", format!("{e}/peer-server-client.key")),
                ("peer-client-cert-auth", "true".into()),
                ("peer-trusted-ca-file", format!("{e}/peer-ca.crt")),
                ("data-dir", format!("{DATA}/server/db/etcd")),
            ],
            "etcd-arg",
            audit,
        )
    } else {
        Component::absent(
            "etcd",
            CONFIG,
            "k3s runs without etcd here (kine over SQLite or an external datastore)",
        )
    };
    let agent = format!("{DATA}/agent");
    let node_name = get("node-name")
        .last()
        .map_or_else(|| "the host name".to_string(), |(v, _)| v.clone());
    let mut kubelet_defaults = vec![
        ("anonymous-auth", "false".to_string()),
        ("authentication-token-webhook", "true".into()),
        ("authorization-mode", "Webhook".into()),
        ("client-ca-file", format!("{agent}/client-ca.crt")),
        ("read-only-port", "0".into()),
        ("tls-cert-file", format!("{agent}/serving-kubelet.crt")),
        (
            "tls-private-key-file",
            format!("{agent}/serving-kubelet.key"),
        ),
        ("kubeconfig", format!("{agent}/kubelet.kubeconfig")),
        ("hostname-override", node_name),
    ];
    if flag_on("protect-kernel-defaults") {
        kubelet_defaults.push(("protect-kernel-defaults", "true".into()));
    }
    let kubelet = get_args(&kubelet_defaults, &get("kubelet-arg"));
    for p in &kubelet.problems {
        audit.notes.push(palisade_core::LoadNote {
            location: p.origin.location_or(&anchor),
            message: format!("kubelet: {}", p.message),
        });
    }
    let kubelet = kubelet.uses().to_vec();
    K3s {
        server,
        etcd,
        api,
        cm,
        sched,
        etcd_comp,
        kubelet,
    }
}

/// Merges one config file's keys: a later key replaces, a key ending in `+` appends.
fn merge(keys: &mut Vec<(String, Values)>, doc: &Node, file: &str) {
    for entry in doc.entries() {
        let Some(raw) = entry.key_str() else { continue };
        let (name, append) = match raw.strip_suffix('+') {
            Some(n) => (n.to_string(), true),
            None => (raw.to_string(), false),
        };
        let values: Values = match entry.value.as_seq() {
            Some(items) => items
                .iter()
                .filter_map(|n| {
                    Some((
                        n.scalar_text()?.to_string(),
                        Origin::File(at(file, n.pos.line)),
                    ))
                })
                .collect(),
            None => entry
                .value
                .scalar_text()
                .map(|s| vec![(s.to_string(), Origin::File(at(file, entry.key.pos.line)))])
                .unwrap_or_default(),
        };
        match keys.iter_mut().find(|(n, _)| *n == name) {
            Some((_, old)) if append => old.extend(values),
            Some((_, old)) => *old = values,
            None => keys.push((name, values)),
        }
    }
}

/// k3s's `GetArgs` over built-in values and the user's `name=value` arguments.
fn get_args(defaults: &[(&str, String)], extra: &Values) -> Flags {
    let mut order: Vec<String> = Vec::new();
    let mut values: Vec<(String, Vec<FlagUse>)> = defaults
        .iter()
        .map(|(k, v)| {
            order.push(k.to_string());
            (
                k.to_string(),
                vec![FlagUse {
                    name: k.to_string(),
                    value: v.clone(),
                    origin: BUILTIN,
                }],
            )
        })
        .collect();
    let mut touched: Vec<String> = Vec::new();
    for (arg, origin) in extra {
        let arg = arg.trim_start_matches("--");
        let (key, value) = arg.split_once('=').unwrap_or((arg, "true"));
        let clean = key.trim_end_matches(['+', '-']).to_string();
        let use_ = FlagUse {
            name: clean.clone(),
            value: value.to_string(),
            origin: origin.clone(),
        };
        let slot = match values.iter().position(|(k, _)| *k == clean) {
            Some(i) => i,
            None => {
                values.push((clean.clone(), Vec::new()));
                values.len() - 1
            }
        };
        let list = &mut values[slot].1;
        let first_user = !touched.contains(&clean);
        if key.ends_with('+') {
            list.push(use_);
        } else if key.ends_with('-') {
            list.insert(0, use_);
        } else {
            if first_user {
                list.clear();
            }
            list.push(use_);
        }
        if first_user {
            touched.push(clean);
        }
    }
    let mut flags = Flags::default();
    for (_, uses) in values {
        for u in uses {
            flags.push(u);
        }
    }
    flags.note_repeats();
    flags
}
