//! Sensitive ports: remote administration, control-plane, container-runtime and data-store
//! ports that should never be reachable from outside the cluster, nor from other namespaces
//! without a reason.

use crate::conn::Protocol;
use crate::endpoints::{ContainerPort, Pods};

/// What kind of service a sensitive port belongs to (decides how bad its exposure is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortClass {
    /// SSH: remote administration.
    RemoteAdmin,
    /// etcd, kubelet, the API server, the Docker daemon: whoever reaches them may own the
    /// node or the cluster.
    ControlPlane,
    /// Databases and search engines, often without authentication by default.
    DataStore,
}

/// One sensitive port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SensitivePort {
    /// The TCP port.
    pub port: u16,
    /// What usually listens there.
    pub service: &'static str,
    /// Its class.
    pub class: PortClass,
}

const fn sp(port: u16, service: &'static str, class: PortClass) -> SensitivePort {
    SensitivePort {
        port,
        service,
        class,
    }
}

/// The sensitive TCP ports (Kubernetes' "ports and protocols" page for the control plane;
/// the databases' registered defaults). 443 counts only on an API server workload (see
/// [`sensitive_port`]), as it is every web server's port too.
pub const SENSITIVE_PORTS: &[SensitivePort] = &[
    sp(22, "SSH", PortClass::RemoteAdmin),
    sp(2375, "Docker API (plain)", PortClass::ControlPlane),
    sp(2376, "Docker API (TLS)", PortClass::ControlPlane),
    sp(2379, "etcd client", PortClass::ControlPlane),
    sp(2380, "etcd peer", PortClass::ControlPlane),
    sp(6443, "Kubernetes API server", PortClass::ControlPlane),
    sp(10250, "kubelet API", PortClass::ControlPlane),
    sp(10255, "kubelet read-only API", PortClass::ControlPlane),
    sp(1433, "SQL Server", PortClass::DataStore),
    sp(3306, "MySQL", PortClass::DataStore),
    sp(5432, "PostgreSQL", PortClass::DataStore),
    sp(5984, "CouchDB", PortClass::DataStore),
    sp(6379, "Redis", PortClass::DataStore),
    sp(9042, "Cassandra", PortClass::DataStore),
    sp(9200, "Elasticsearch", PortClass::DataStore),
    sp(27017, "MongoDB", PortClass::DataStore),
];

const API_SERVER_ON_443: SensitivePort = sp(443, "Kubernetes API server", PortClass::ControlPlane);

/// Does this workload look like a Kubernetes API server (`component: kube-apiserver`, the
/// label kubeadm's static pods carry, or a name saying so)?
fn is_api_server(pods: &Pods) -> bool {
    pods.labels.get("component") == Some("kube-apiserver") || pods.name().contains("apiserver")
}

/// The sensitive port a container port is, if any. Only TCP ports count: every service in
/// the table speaks TCP.
pub fn sensitive_port(pods: &Pods, port: &ContainerPort) -> Option<SensitivePort> {
    if port.protocol != Protocol::Tcp {
        return None;
    }
    if port.number == 443 && is_api_server(pods) {
        return Some(API_SERVER_ON_443);
    }
    SENSITIVE_PORTS
        .iter()
        .copied()
        .find(|s| s.port == port.number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn pods(name: &str, labels: &[(&str, &str)]) -> Pods {
        Pods {
            object: Arc::new(palisade_core::ObjectRef {
                api_version: "v1".into(),
                kind: "Pod".into(),
                namespace: Some("ns".into()),
                name: name.into(),
            }),
            namespace: "ns".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ports: Vec::new(),
            service_account: "default".into(),
            own_data_class: None,
            location: palisade_core::Location {
                path: "t".into(),
                line: 1,
                col: 1,
            },
        }
    }

    fn port(number: u16, protocol: Protocol) -> ContainerPort {
        ContainerPort {
            name: None,
            number,
            protocol,
        }
    }

    #[test]
    fn classifies_ports() {
        let web = pods("web", &[]);
        assert_eq!(
            sensitive_port(&web, &port(5432, Protocol::Tcp)).map(|s| s.service),
            Some("PostgreSQL")
        );
        assert!(sensitive_port(&web, &port(5432, Protocol::Udp)).is_none());
        assert!(sensitive_port(&web, &port(443, Protocol::Tcp)).is_none());
        let api = pods("x", &[("component", "kube-apiserver")]);
        assert_eq!(
            sensitive_port(&api, &port(443, Protocol::Tcp)).map(|s| s.class),
            Some(PortClass::ControlPlane)
        );
        assert!(sensitive_port(&web, &port(8080, Protocol::Tcp)).is_none());
    }
}
