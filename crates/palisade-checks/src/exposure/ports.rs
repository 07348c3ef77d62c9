//! The sensitive-port list behind PAL-NET-004: services that should never be reachable from
//! outside the cluster, by number and by the port names manifests commonly give them.
//!
//! Sources: the Kubernetes "Ports and Protocols" page (control plane and node ports), the
//! IANA service-name registry (names such as `postgresql`, `ms-sql-s`), and each product's
//! documented default port.
//!
//! 8080 was the API server's insecure (unauthenticated) port until 1.20 removed it; today it
//! is also the default HTTP port of countless applications (Tomcat, Spring, Jenkins). It is
//! listed in a class of its own at low severity: worth a look when exposed, not an alarm.

use palisade_core::yaml::{Node, Value};

/// What kind of service a sensitive port belongs to (drives severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PortClass {
    /// Remote administration: a shell or desktop on whatever serves it.
    RemoteAdmin,
    /// Kubernetes control plane, kubelet and container runtime APIs: reaching one is reaching
    /// the cluster or the node.
    ControlPlane,
    /// Databases, caches and message brokers: often unauthenticated by default.
    DataStore,
    /// The API server's legacy insecure port, now mostly ordinary web traffic.
    LegacyApi,
}

/// One sensitive port.
#[derive(Debug, Clone, Copy)]
pub(super) struct SensitivePort {
    /// The well-known number.
    pub number: u16,
    /// What listens there.
    pub service: &'static str,
    /// How bad it is to expose.
    pub class: PortClass,
}

const fn p(number: u16, service: &'static str, class: PortClass) -> SensitivePort {
    SensitivePort {
        number,
        service,
        class,
    }
}

use PortClass::{ControlPlane, DataStore, LegacyApi, RemoteAdmin};

/// The documented list, by number.
pub(super) const SENSITIVE_PORTS: &[SensitivePort] = &[
    p(22, "SSH", RemoteAdmin),
    p(23, "Telnet", RemoteAdmin),
    p(3389, "RDP", RemoteAdmin),
    p(5900, "VNC", RemoteAdmin),
    p(2375, "Docker Engine API (plain HTTP)", ControlPlane),
    p(2376, "Docker Engine API", ControlPlane),
    p(2379, "etcd client API", ControlPlane),
    p(2380, "etcd peer API", ControlPlane),
    p(6443, "Kubernetes API server", ControlPlane),
    p(
        8080,
        "Kubernetes API server legacy insecure port, or a web app",
        LegacyApi,
    ),
    p(10250, "kubelet API", ControlPlane),
    p(10255, "kubelet read-only API", ControlPlane),
    p(10257, "kube-controller-manager", ControlPlane),
    p(10259, "kube-scheduler", ControlPlane),
    p(1433, "Microsoft SQL Server", DataStore),
    p(1521, "Oracle Database", DataStore),
    p(2181, "ZooKeeper", DataStore),
    p(3306, "MySQL/MariaDB", DataStore),
    p(5432, "PostgreSQL", DataStore),
    p(5672, "RabbitMQ (AMQP)", DataStore),
    p(5984, "CouchDB", DataStore),
    p(6379, "Redis", DataStore),
    p(7687, "Neo4j (Bolt)", DataStore),
    p(8086, "InfluxDB", DataStore),
    p(9042, "Cassandra (CQL)", DataStore),
    p(9092, "Kafka", DataStore),
    p(9200, "Elasticsearch/OpenSearch HTTP", DataStore),
    p(9300, "Elasticsearch transport", DataStore),
    p(11211, "memcached", DataStore),
    p(26257, "CockroachDB", DataStore),
    p(27017, "MongoDB", DataStore),
];

/// Port names (IANA service names and common spellings in charts) that identify a sensitive
/// service when a Service's `targetPort` refers to a container port by name.
const NAMES: &[(&str, u16)] = &[
    ("ssh", 22),
    ("telnet", 23),
    ("rdp", 3389),
    ("ms-wbt-server", 3389),
    ("vnc", 5900),
    ("rfb", 5900),
    ("docker", 2375),
    ("etcd", 2379),
    ("etcd-client", 2379),
    ("etcd-server", 2380),
    ("etcd-peer", 2380),
    ("kubelet", 10250),
    ("mssql", 1433),
    ("ms-sql-s", 1433),
    ("oracle", 1521),
    ("zookeeper", 2181),
    ("mysql", 3306),
    ("mariadb", 3306),
    ("postgres", 5432),
    ("postgresql", 5432),
    ("amqp", 5672),
    ("couchdb", 5984),
    ("redis", 6379),
    ("bolt", 7687),
    ("influxdb", 8086),
    ("cql", 9042),
    ("cassandra", 9042),
    ("kafka", 9092),
    ("elasticsearch", 9200),
    ("memcache", 11211),
    ("memcached", 11211),
    ("cockroachdb", 26257),
    ("mongo", 27017),
    ("mongodb", 27017),
];

/// The sensitive port with this number.
pub(super) fn by_number(n: i64) -> Option<&'static SensitivePort> {
    SENSITIVE_PORTS.iter().find(|s| i64::from(s.number) == n)
}

/// The sensitive port a port name stands for (names are case-insensitive here, since the
/// API's lowercase rule is about validity, not meaning).
pub(super) fn by_name(name: &str) -> Option<&'static SensitivePort> {
    let (_, n) = NAMES.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
    by_number(i64::from(*n))
}

/// A port field's value: a number, or a name for int-or-string fields. A quoted number
/// (`"5432"`) is read as the number: the API would reject it as written, but it states the
/// intent, and templating pipelines that coerce types deploy it.
pub(super) enum PortRef<'a> {
    Number(i64),
    Name(&'a str),
}

pub(super) fn port_ref(node: &Node) -> Option<PortRef<'_>> {
    match &node.value {
        Value::Plain(_) => match node.as_i64() {
            Some(n) => Some(PortRef::Number(n)),
            None => node.as_str().map(PortRef::Name),
        },
        Value::Quoted(s) => match s.trim().parse::<i64>() {
            Ok(n) => Some(PortRef::Number(n)),
            Err(_) => Some(PortRef::Name(s)),
        },
        Value::Seq(_) | Value::Map(_) => None,
    }
}

/// The sensitive port a port field points at, by number or by name.
pub(super) fn sensitive(node: &Node) -> Option<&'static SensitivePort> {
    match port_ref(node)? {
        PortRef::Number(n) => by_number(n),
        PortRef::Name(name) => by_name(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::yaml::Pos;

    fn plain(s: &str) -> Node {
        Node {
            value: Value::Plain(s.into()),
            pos: Pos::new(1, 1),
        }
    }

    fn quoted(s: &str) -> Node {
        Node {
            value: Value::Quoted(s.into()),
            pos: Pos::new(1, 1),
        }
    }

    #[test]
    fn numbers_names_and_quoted_numbers() {
        assert_eq!(
            sensitive(&plain("5432")).map(|s| s.service),
            Some("PostgreSQL")
        );
        assert_eq!(sensitive(&quoted("6379")).map(|s| s.service), Some("Redis"));
        assert_eq!(
            sensitive(&plain("postgresql")).map(|s| s.number),
            Some(5432)
        );
        assert_eq!(sensitive(&quoted("SSH")).map(|s| s.number), Some(22));
        assert_eq!(
            sensitive(&plain("8080")).map(|s| s.class),
            Some(PortClass::LegacyApi)
        );
        assert!(sensitive(&plain("http")).is_none());
        assert!(sensitive(&plain("~")).is_none());
    }

    #[test]
    fn every_name_points_at_a_listed_port() {
        for (name, n) in NAMES {
            assert!(
                by_number(i64::from(*n)).is_some(),
                "{name} -> {n} is not listed"
            );
        }
    }
}
