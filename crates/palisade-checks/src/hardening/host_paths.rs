//! hostPath volumes that hand the node to the pod: container-runtime sockets (PAL-POD-035)
//! and sensitive host directories (PAL-POD-036).
//!
//! Paths are normalised (`//`, `.`, `..`, trailing `/`) and compared by whole components.
//! Each volume gets at most one finding, the runtime socket winning: a path is judged as
//! written and as each container sees it through `subPath`, since `subPath` can narrow a
//! broad mount down to a socket.

use palisade_core::yaml::Node;
use palisade_core::{Controls, Family, Rule, Severity, Workload};

use crate::Emitter;

const HOST_PATH_REF: &str = "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath";
const PSS_REF: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

pub(crate) static RUNTIME_SOCKET: Rule = Rule {
    id: "PAL-POD-035",
    title: "Container-runtime socket mounted",
    severity: Severity::Critical,
    family: Family::Hardening,
    description: "The container runtime's socket (Docker, containerd, CRI-O, Podman) accepts \
        commands from whoever can connect: a pod that mounts it can start a privileged \
        container with the host's root filesystem and own the node, and read every other \
        container on it. A read-only mount does not prevent this.",
    remediation: "Remove the hostPath volume. Build images with a daemonless builder, and \
        collect container metadata through the Kubernetes API or a node agent with a \
        narrower interface.",
    references: &[HOST_PATH_REF, PSS_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: pod security enforcement"],
        mitre: &["T1611", "T1610", "T1609"],
    },
};

pub(crate) static SENSITIVE_HOST_PATH: Rule = Rule {
    id: "PAL-POD-036",
    title: "Sensitive host path mounted",
    severity: Severity::High,
    family: Family::Hardening,
    description: "A hostPath volume onto the host's root, configuration (`/etc`), kubelet or \
        etcd state, container storage, kernel interfaces (`/proc`, `/sys`, `/dev`), system \
        binaries, home directories or logs exposes node credentials and other pods' secrets, \
        and when writable lets the pod tamper with the node and escape to it.",
    remediation: "Use a ConfigMap, Secret, emptyDir or PersistentVolume instead. If a node \
        agent really needs the path, mount the narrowest sub-path read-only and record an \
        exception with the reason.",
    references: &[HOST_PATH_REF, PSS_REF],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: pod security enforcement"],
        mitre: &["T1611", "T1552.001"],
    },
};

/// Socket file names of container runtimes, wherever they live (k3s, rootless, ...).
#[rustfmt::skip]
const RUNTIME_SOCKETS: &[(&str, &str)] = &[
    ("docker.sock",      "the Docker daemon socket"),
    ("containerd.sock",  "the containerd socket"),
    ("crio.sock",        "the CRI-O socket"),
    ("podman.sock",      "the Podman socket"),
    ("cri-dockerd.sock", "the cri-dockerd socket"),
    ("dockershim.sock",  "the dockershim socket"),
];

/// Runtime state directories that hold sockets; any path below them counts.
#[rustfmt::skip]
const RUNTIME_DIRS: &[(&str, &str)] = &[
    ("/run/containerd",     "containerd's socket directory"),
    ("/var/run/containerd", "containerd's socket directory"),
    ("/run/crio",           "CRI-O's socket directory"),
    ("/var/run/crio",       "CRI-O's socket directory"),
    ("/run/podman",         "Podman's socket directory"),
    ("/var/run/podman",     "Podman's socket directory"),
    ("/run/docker",         "Docker's runtime directory"),
    ("/var/run/docker",     "Docker's runtime directory"),
    ("/run/k3s/containerd", "k3s's containerd socket directory"),
];

/// Directories that directly contain runtime sockets; only the directory itself counts
/// (other things below `/run`, like `/run/xtables.lock`, are routine for node agents).
const RUNTIME_PARENTS: &[&str] = &["/run", "/var/run", "/run/k3s"];

/// Sensitive host directories: the path itself, anything below it, and anything above it
/// (mounting `/var` exposes `/var/lib/kubelet`). `/` is judged on its own. `/run` and
/// `/var/run` are the runtime rule's.
#[rustfmt::skip]
const SENSITIVE: &[(&str, &str)] = &[
    ("/etc",                "host configuration, with the node's Kubernetes credentials"),
    ("/root",               "root's home directory (SSH keys, kubeconfigs)"),
    ("/home",               "user home directories (SSH keys, credentials)"),
    ("/var/lib/kubelet",    "kubelet state, with every pod's mounted secrets"),
    ("/var/lib/etcd",       "etcd data: the whole cluster state, secrets included"),
    ("/var/lib/rancher",    "k3s/RKE2 state, with cluster tokens"),
    ("/var/lib/docker",     "container images and filesystems of the node"),
    ("/var/lib/containerd", "container images and filesystems of the node"),
    ("/var/lib/containers", "container images and filesystems of the node"),
    ("/var/log",            "node and pod logs (writable: the kubelet log symlink escape)"),
    ("/proc",               "host processes and kernel tunables"),
    ("/sys",                "kernel and cgroup interfaces"),
    ("/dev",                "host devices (disks, memory)"),
    ("/boot",               "the kernel and boot loader"),
    ("/usr",                "host binaries and libraries"),
    ("/lib",                "host libraries"),
    ("/lib64",              "host libraries"),
    ("/bin",                "host binaries"),
    ("/sbin",               "host binaries"),
];

/// Well-known harmless mounts below sensitive directories (time zone, host identity).
const HARMLESS: &[&str] = &[
    "/etc/localtime",
    "/etc/timezone",
    "/usr/share/zoneinfo",
    "/etc/machine-id",
    "/etc/os-release",
];

/// What a host path exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Exposure {
    /// A container-runtime socket, or a directory holding one.
    Runtime(String),
    /// A sensitive host directory.
    Sensitive(String),
}

pub(super) fn check(w: &Workload, em: &mut Emitter) {
    let obj = w.object;
    for (i, volume) in w.volumes().iter().enumerate() {
        let Some(path_entry) = volume.get("hostPath").and_then(|h| h.entry("path")) else {
            continue;
        };
        let Some(path) = path_entry.value.as_str().filter(|p| !p.trim().is_empty()) else {
            continue;
        };
        let name = volume.get("name").and_then(Node::as_str).unwrap_or("");
        let mounts = mounts_of(w, name);
        let mut candidates = vec![normalise(path)];
        candidates.extend(
            mounts
                .iter()
                .filter_map(|m| m.sub_path)
                .map(|sub| normalise(&format!("{path}/{sub}"))),
        );
        let exposures: Vec<(String, Exposure)> = candidates
            .into_iter()
            .filter_map(|p| classify(&p).map(|e| (p, e)))
            .collect();
        let runtime = exposures
            .iter()
            .find(|(_, e)| matches!(e, Exposure::Runtime(_)));
        let Some((seen, exposure)) = runtime.or_else(|| exposures.first()) else {
            continue;
        };
        let (rule, what) = match exposure {
            Exposure::Runtime(what) => (&RUNTIME_SOCKET, what),
            Exposure::Sensitive(what) => (&SENSITIVE_HOST_PATH, what),
        };
        let shown = if seen.as_str() == path {
            format!("`{path}`")
        } else {
            format!("`{path}` (as `{seen}`)")
        };
        let used_by = if mounts.is_empty() {
            " (not mounted by any container yet)".to_string()
        } else {
            let list: Vec<String> = mounts.iter().map(Mount::describe).collect();
            format!(", mounted by {}", list.join(", "))
        };
        em.emit(
            rule,
            obj,
            path_entry.key.pos,
            Some(w.field_path(&format!("volumes[{i}].hostPath.path"))),
            format!("volume `{name}` mounts host path {shown}: {what}{used_by}"),
        );
    }
}

/// One container's mount of a volume.
struct Mount<'a> {
    container: &'a str,
    sub_path: Option<&'a str>,
    read_only: bool,
}

impl Mount<'_> {
    fn describe(&self) -> String {
        let ro = if self.read_only { " (read-only)" } else { "" };
        format!("`{}`{ro}", self.container)
    }
}

fn mounts_of<'a>(w: &Workload<'a>, volume: &str) -> Vec<Mount<'a>> {
    let mut mounts = Vec::new();
    for c in w.containers() {
        for m in c
            .node
            .get("volumeMounts")
            .map(Node::items)
            .unwrap_or_default()
        {
            if m.get("name").and_then(Node::as_str) != Some(volume) {
                continue;
            }
            mounts.push(Mount {
                container: c.name(),
                sub_path: m
                    .get("subPath")
                    .and_then(Node::as_str)
                    .filter(|s| !s.is_empty()),
                read_only: m.get("readOnly").and_then(Node::as_bool) == Some(true),
            });
        }
    }
    mounts
}

/// What a normalised absolute path exposes, if anything.
fn classify(path: &str) -> Option<Exposure> {
    let file = path.rsplit('/').next().unwrap_or("");
    if let Some((_, what)) = RUNTIME_SOCKETS.iter().find(|(name, _)| *name == file) {
        return Some(Exposure::Runtime((*what).to_string()));
    }
    if let Some((_, what)) = RUNTIME_DIRS.iter().find(|(dir, _)| is_under(path, dir)) {
        return Some(Exposure::Runtime((*what).to_string()));
    }
    if RUNTIME_PARENTS.contains(&path) {
        return Some(Exposure::Runtime(
            "a directory holding the container runtime's sockets".to_string(),
        ));
    }
    if path == "/" {
        return Some(Exposure::Sensitive(
            "the host's whole filesystem".to_string(),
        ));
    }
    if HARMLESS.iter().any(|h| is_under(path, h)) {
        return None;
    }
    if let Some((_, what)) = SENSITIVE.iter().find(|(dir, _)| is_under(path, dir)) {
        return Some(Exposure::Sensitive((*what).to_string()));
    }
    let inside: Vec<&str> = SENSITIVE
        .iter()
        .filter(|(dir, _)| is_under(dir, path))
        .map(|(dir, _)| *dir)
        .collect();
    (!inside.is_empty()).then(|| Exposure::Sensitive(format!("it contains {}", inside.join(", "))))
}

/// `path` is `dir` or below it, by whole components.
fn is_under(path: &str, dir: &str) -> bool {
    dir == "/"
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// An absolute path with `//`, `.`, `..` and trailing `/` resolved lexically; a relative
/// path is taken from the root (hostPath paths are absolute).
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_lexically() {
        assert_eq!(normalise("/var/lib/kubelet/"), "/var/lib/kubelet");
        assert_eq!(normalise("//etc/./ssl/../kubernetes"), "/etc/kubernetes");
        assert_eq!(normalise("/../../etc"), "/etc");
        assert_eq!(normalise("/"), "/");
        assert_eq!(normalise(""), "/");
        assert_eq!(normalise("var/log"), "/var/log");
    }

    #[test]
    fn classifies_by_whole_components() {
        let runtime = |p: &str| matches!(classify(p), Some(Exposure::Runtime(_)));
        let sensitive = |p: &str| matches!(classify(p), Some(Exposure::Sensitive(_)));
        for p in [
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/run/containerd",
            "/var/run/crio/crio.sock",
            "/run/k3s/containerd/containerd.sock",
            "/home/ci/.local/podman.sock",
            "/var/run",
            "/run",
        ] {
            assert!(runtime(p), "{p}");
        }
        for p in [
            "/",
            "/etc",
            "/etc/kubernetes/pki",
            "/var/lib/kubelet/pods",
            "/var",
            "/var/lib",
            "/dev/mem",
            "/proc",
        ] {
            assert!(sensitive(p), "{p}");
        }
        for p in [
            "/etcd-data",
            "/var/lib/kubeletx",
            "/data",
            "/var/lib/mysql",
            "/mnt/disks/ssd0",
            "/run/xtables.lock",
            "/etc/localtime",
            "/usr/share/zoneinfo/UTC",
            "/docker.socket",
        ] {
            assert_eq!(classify(p), None, "{p}");
        }
    }
}
