//! Baseline controls about reaching the host: host namespaces, privileged containers, added
//! capabilities, hostPath volumes, host ports, Windows HostProcess containers and probe or
//! lifecycle-hook hosts. They stop known privilege escalations.
//!
//! Matches the Kubernetes v1.37 pod-security admission, baseline level. None of these
//! controls exempts Windows pods or user-namespace pods.

use palisade_core::yaml::{Entry, Node};
use palisade_core::{cat, Controls, Family, PssLevel, Rule, Severity, Workload};

use super::{report, set, with_evidence, PSS_REF};
use crate::Emitter;

pub(crate) static HOST_NAMESPACES: Rule = Rule {
    id: "PAL-POD-001",
    title: "Pod shares a host namespace",
    severity: Severity::High,
    family: Family::PodSecurity,
    description: "hostNetwork, hostPID or hostIPC puts the pod in the node's network, process \
        or IPC namespace: it can see and talk to every process and interface on the node, \
        sniff traffic and reach services bound to localhost.",
    remediation: "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.3", "5.2.4", "5.2.5"],
        nsa: &["Pod security: host namespaces"],
        mitre: &["T1611"],
    },
};

pub(crate) static PRIVILEGED: Rule = Rule {
    id: "PAL-POD-002",
    title: "Privileged container",
    severity: Severity::Critical,
    family: Family::PodSecurity,
    description: "A privileged container has every capability and all host devices; it can \
        mount the host's disks and load kernel modules, which makes escaping to the node \
        trivial.",
    remediation: "Remove `securityContext.privileged: true`; grant the specific capability \
        needed instead.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.2"],
        nsa: &["Pod security: privileged containers"],
        mitre: &["T1611", "T1610"],
    },
};

pub(crate) static CAPABILITIES: Rule = Rule {
    id: "PAL-POD-003",
    title: "Container adds a capability beyond the baseline set",
    severity: Severity::High,
    family: Family::PodSecurity,
    description: "Capabilities such as SYS_ADMIN, SYS_PTRACE, SYS_MODULE, NET_ADMIN or NET_RAW \
        hand a container pieces of root's power over the shared kernel, and several are \
        well-known routes out of the container. Only the runtimes' traditional default set \
        may be added.",
    remediation: "Remove the capability from `securityContext.capabilities.add`. Only \
        AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, \
        SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT may be added, spelled exactly so \
        (upper case, no CAP_ prefix).",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.8", "5.2.9"],
        nsa: &["Pod security: Pod security enforcement"],
        mitre: &["T1611", "T1068"],
    },
};

pub(crate) static HOST_PATH_VOLUMES: Rule = Rule {
    id: "PAL-POD-004",
    title: "Pod mounts a hostPath volume",
    severity: Severity::High,
    family: Family::PodSecurity,
    description: "A hostPath volume exposes part of the node's filesystem to the pod: the \
        container runtime socket, kubelet credentials or `/` itself are enough to take over \
        the node.",
    remediation: "Replace the hostPath volume with an emptyDir, a ConfigMap or Secret, or a \
        PersistentVolumeClaim; run node agents that truly need host files in a separate, \
        privileged namespace.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.12"],
        nsa: &["Pod security: Pod security enforcement"],
        mitre: &["T1611", "T1552.001"],
    },
};

pub(crate) static HOST_PORTS: Rule = Rule {
    id: "PAL-POD-005",
    title: "Container binds a host port",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "A hostPort opens the port on the node's own address, outside the pod \
        network: it bypasses NetworkPolicies and Services and ties the pod to nodes where \
        the port is free.",
    remediation: "Remove `hostPort` (or set it to 0) and expose the port through a Service \
        instead.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.13"],
        nsa: &["Pod security: Pod security enforcement"],
        mitre: &["T1133"],
    },
};

pub(crate) static HOST_PROCESS: Rule = Rule {
    id: "PAL-POD-011",
    title: "Windows HostProcess container",
    severity: Severity::Critical,
    family: Family::PodSecurity,
    description: "A Windows HostProcess container runs directly on the node as a host \
        process, with the node's network and filesystem: it is the Windows equivalent of a \
        privileged container.",
    remediation: "Remove `securityContext.windowsOptions.hostProcess: true` from the pod and \
        its containers.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &["5.2.11"],
        nsa: &["Pod security: Pod security enforcement"],
        mitre: &["T1611", "T1610"],
    },
};

pub(crate) static PROBE_HOSTS: Rule = Rule {
    id: "PAL-POD-012",
    title: "Probe or lifecycle hook targets another host",
    severity: Severity::Medium,
    family: Family::PodSecurity,
    description: "The kubelet runs httpGet and tcpSocket probes and lifecycle hooks from the \
        node. A `host` other than the pod's own IP makes the node connect wherever the pod \
        author chooses, including node-local and cloud metadata endpoints the pod cannot \
        reach itself.",
    remediation: "Remove `host` from httpGet and tcpSocket probes and lifecycle handlers so \
        they target the pod IP; use an httpGet header to pass a virtual host name.",
    references: &[PSS_REF],
    controls: Controls {
        pss: Some(PssLevel::Baseline),
        cis: &[],
        nsa: &["Pod security: Pod security enforcement"],
        mitre: &["T1046"],
    },
};

/// Capabilities the baseline lets a container add: the container runtimes' traditional
/// default set, NET_RAW excluded. Matched exactly, as the admission does.
const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Is `capability` one that the baseline allows adding (the restricted capability rule
/// needs the same list to avoid reporting a capability twice)?
pub(super) fn baseline_capability(capability: &str) -> bool {
    BASELINE_CAPABILITIES.contains(&capability)
}

/// Probes whose httpGet / tcpSocket `host` the kubelet would connect to.
const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];
/// Lifecycle hooks, under `lifecycle`. tcpSocket is deprecated there but still accepted by
/// the API, so the admission checks it too.
const HOOKS: [&str; 2] = ["postStart", "preStop"];
/// The handler actions that carry a `host`.
const NETWORK_ACTIONS: [&str; 2] = ["httpGet", "tcpSocket"];

pub(super) fn check(w: &Workload, em: &mut Emitter) {
    host_namespaces(w, em);
    privileged(w, em);
    added_capabilities(w, em);
    host_path_volumes(w, em);
    host_ports(w, em);
    host_process(w, em);
    probe_hosts(w, em);
}

fn host_namespaces(w: &Workload, em: &mut Emitter) {
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if let Some(entry) = w.spec.entry(field) {
            if entry.value.as_bool() == Some(true) {
                let (path, message) = (w.field_path(field), cat!(field, " is true"));
                report(em, &HOST_NAMESPACES, w, entry.key.pos, path, message);
            }
        }
    }
}

fn privileged(w: &Workload, em: &mut Emitter) {
    for c in w.containers() {
        if let Some(entry) = c.security_context().entry("privileged") {
            if entry.value.as_bool() == Some(true) {
                let field = c.field_path("securityContext.privileged");
                let message = cat!(c.describe(), " is privileged");
                report(em, &PRIVILEGED, w, entry.key.pos, field, message);
            }
        }
    }
}

fn added_capabilities(w: &Workload, em: &mut Emitter) {
    for c in w.containers() {
        let added = c
            .security_context()
            .get("capabilities")
            .and_then(|caps| caps.get("add"))
            .map(Node::items)
            .unwrap_or_default();
        for (i, item) in added.iter().enumerate() {
            let capability = item.as_str().unwrap_or("");
            if baseline_capability(capability) {
                continue;
            }
            let field = c.field_path_of(&[&"securityContext.capabilities.add[", &i, &"]"]);
            let message = match capability {
                "" => cat!(c.describe(), " adds a capability with an empty name"),
                _ => cat!(c.describe(), " adds capability ", capability),
            };
            let found = report(em, &CAPABILITIES, w, item.pos, field, message);
            with_evidence(found, capability);
        }
    }
}

fn host_path_volumes(w: &Workload, em: &mut Emitter) {
    for (i, volume) in w.volumes().iter().enumerate() {
        let Some(host_path) = set(volume, "hostPath") else {
            continue;
        };
        let name = volume.get("name").and_then(Node::as_str).unwrap_or("");
        let path = host_path
            .value
            .get("path")
            .and_then(Node::as_str)
            .unwrap_or("");
        let field = w.field_path_of(&[&"volumes[", &i, &"].hostPath"]);
        let message = cat!("volume `", name, "` mounts host path `", path, "`");
        let found = report(em, &HOST_PATH_VOLUMES, w, host_path.key.pos, field, message);
        with_evidence(found, path);
    }
}

fn host_ports(w: &Workload, em: &mut Emitter) {
    for c in w.containers() {
        let ports = c.node.get("ports").map(Node::items).unwrap_or_default();
        for (i, port) in ports.iter().enumerate() {
            let Some(entry) = port.entry("hostPort") else {
                continue;
            };
            // 0 means "no host port"; a value that is not a number never reaches the API.
            let Some(number) = entry.value.as_i64().filter(|&n| n != 0) else {
                continue;
            };
            let field = c.field_path_of(&[&"ports[", &i, &"].hostPort"]);
            let message = cat!(c.describe(), " binds host port ", number);
            let found = report(em, &HOST_PORTS, w, entry.key.pos, field, message);
            with_evidence(found, &cat!(number));
        }
    }
}

/// `windowsOptions.hostProcess: true` in a pod or container security context.
fn host_process_entry(security_context: &Node) -> Option<&Entry> {
    security_context
        .get("windowsOptions")?
        .entry("hostProcess")
        .filter(|e| e.value.as_bool() == Some(true))
}

fn host_process(w: &Workload, em: &mut Emitter) {
    const FIELD: &str = "securityContext.windowsOptions.hostProcess";
    if let Some(entry) = host_process_entry(w.pod_security_context()) {
        let message = "pod securityContext sets windowsOptions.hostProcess: true".to_string();
        let field = w.field_path(FIELD);
        report(em, &HOST_PROCESS, w, entry.key.pos, field, message);
    }
    for c in w.containers() {
        if let Some(entry) = host_process_entry(c.security_context()) {
            let message = cat!(c.describe(), " is a Windows HostProcess container");
            let field = c.field_path(FIELD);
            report(em, &HOST_PROCESS, w, entry.key.pos, field, message);
        }
    }
}

fn probe_hosts(w: &Workload, em: &mut Emitter) {
    for c in w.containers() {
        // A handler's path as a prefix and a name, so that no path is built unless a
        // finding needs it.
        let probes = PROBES.iter().map(|p| ("", *p, c.node.get(p)));
        let lifecycle = c.node.get("lifecycle");
        let hooks = HOOKS
            .iter()
            .map(|h| ("lifecycle.", *h, lifecycle.and_then(|l| l.get(h))));
        for (prefix, name, handler) in probes.chain(hooks) {
            let Some(handler) = handler else {
                continue;
            };
            for action in NETWORK_ACTIONS {
                let Some(entry) = handler.get(action).and_then(|a| a.entry("host")) else {
                    continue;
                };
                let host = entry.value.as_str().unwrap_or("");
                if host.is_empty() {
                    continue;
                }
                let path = cat!(prefix, name, ".", action, ".host");
                let message = cat!(c.describe(), " ", path, " targets host `", host, "`");
                let field = c.field_path(&path);
                let found = report(em, &PROBE_HOSTS, w, entry.key.pos, field, message);
                with_evidence(found, host);
            }
        }
    }
}
