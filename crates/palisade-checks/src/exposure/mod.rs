//! Exposure: what a manifest opens to the world outside the cluster (NodePort and
//! LoadBalancer Services, external IPs, Ingress without TLS, sensitive ports on any of
//! those or on host ports) and namespaces left without any NetworkPolicy.

mod ingress;
mod network_policy;
mod ports;
mod ssh;

use palisade_core::yaml::{Entry, Node, Pos};
use palisade_core::{cat, Controls, Family, Object, Rule, Severity, Workload};

use crate::{Checks, Emitter};
pub(crate) use network_policy::is_network_policy;
use ports::{PortClass, SensitivePort};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[
        &EXTERNAL_SERVICE,
        &EXTERNAL_IPS,
        &INGRESS_WITHOUT_TLS,
        &SENSITIVE_PORT,
        &NAMESPACE_WITHOUT_NETWORK_POLICY,
        &UNSELECTED_WORKLOAD,
        &ssh::SSH_IN_CONTAINER,
    ],
    object: Some(check_object),
    in_context: None,
    inventory: Some(network_policy::check),
};

const SERVICE_REF: &str = "https://kubernetes.io/docs/concepts/services-networking/service/";
const NETPOL_REF: &str =
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/";

pub(crate) static EXTERNAL_SERVICE: Rule = Rule {
    id: "PAL-NET-001",
    title: "Service is exposed outside the cluster",
    severity: Severity::Medium,
    family: Family::Exposure,
    description: "A NodePort Service opens its port on every node's addresses; a LoadBalancer \
        Service asks the cloud for an address in front of it, public unless marked internal, \
        and by default reachable from anywhere. Whatever the Service fronts becomes part of \
        the attack surface outside the cluster. Reported at low severity when the load \
        balancer is internal or restricted by loadBalancerSourceRanges.",
    remediation: "Use a ClusterIP Service behind an Ingress or gateway that terminates TLS and \
        authenticates, or an internal load balancer. If a LoadBalancer is needed, set \
        `spec.loadBalancerSourceRanges` to the client ranges that need it.",
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
        "https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/",
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Network separation and hardening"],
        mitre: &["T1133", "T1190"],
    },
};

pub(crate) static EXTERNAL_IPS: Rule = Rule {
    id: "PAL-NET-002",
    title: "Service sets externalIPs",
    severity: Severity::High,
    family: Family::Exposure,
    description: "kube-proxy accepts traffic for a Service's externalIPs on every node, so the \
        Service is reachable from outside the cluster wherever those addresses route. The field \
        is also a known interception vector (CVE-2020-8554): whoever can create a Service can \
        claim any IP, including another service's or an external one, and receive the cluster's \
        traffic to it. Kubernetes recommends denying the field with admission control.",
    remediation: "Remove `spec.externalIPs`; use a LoadBalancer Service or an Ingress instead. \
        Block the field cluster-wide with the DenyServiceExternalIPs admission plugin or a \
        policy, allowing it only for reviewed Services.",
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/service/#external-ips",
        "https://github.com/kubernetes/kubernetes/issues/97076",
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Network separation and hardening"],
        mitre: &["T1133"],
    },
};

pub(crate) static INGRESS_WITHOUT_TLS: Rule = Rule {
    id: "PAL-NET-003",
    title: "Ingress serves hosts without TLS",
    severity: Severity::Medium,
    family: Family::Exposure,
    description: "An Ingress without `spec.tls`, or a host its rules serve that no TLS entry \
        covers, is served over plain HTTP: credentials, session cookies and data cross the \
        network in clear and can be read or altered on the way. TLS configured through the \
        cloud controllers' certificate annotations (AWS ALB certificate-arn, GKE pre-shared or \
        managed certificates) counts as TLS.",
    remediation: "Add a `spec.tls` entry listing every host in `spec.rules` with the Secret \
        holding its certificate (cert-manager can issue and renew it), and redirect HTTP to \
        HTTPS in the ingress controller.",
    references: &["https://kubernetes.io/docs/concepts/services-networking/ingress/#tls"],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Network separation and hardening: encryption"],
        mitre: &[],
    },
};

pub(crate) static SENSITIVE_PORT: Rule = Rule {
    id: "PAL-NET-004",
    title: "Sensitive port exposed outside the cluster",
    severity: Severity::High,
    family: Family::Exposure,
    description: "A remote-administration, control-plane or data-store port (SSH, Telnet, RDP, \
        VNC; Docker API, etcd, kubelet, API server, controller-manager, scheduler; SQL Server, \
        Oracle, ZooKeeper, MySQL, PostgreSQL, RabbitMQ, CouchDB, Redis, Neo4j, InfluxDB, \
        Cassandra, Kafka, Elasticsearch, memcached, CockroachDB, MongoDB) is reachable from \
        outside the cluster: through a NodePort or LoadBalancer Service, externalIPs, or a \
        container hostPort (or hostNetwork). These services are brute-forced and exploited \
        within hours of appearing on a network, and many run without authentication by \
        default. Critical for control-plane and container-runtime ports, whose compromise is \
        the node's or the cluster's. Ports of ClusterIP Services are not reported: reaching a \
        database inside the cluster is what such Services are for, and who may reach them is \
        a NetworkPolicy matter (PAL-NET-005). 8080, the API server's legacy insecure port \
        (removed in 1.20) and today also the default port of countless web applications, is \
        reported at low severity when it is itself the exposed port.",
    remediation: "Keep the Service ClusterIP and reach it from inside the cluster (or through \
        `kubectl port-forward` or a bastion for administration); remove the hostPort. If it must \
        be reachable from outside, restrict it with loadBalancerSourceRanges or firewall rules \
        and require authentication and TLS.",
    references: &[
        "https://kubernetes.io/docs/reference/networking/ports-and-protocols/",
        SERVICE_REF,
        "https://kubernetes.io/docs/concepts/configuration/overview/#services",
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Network separation and hardening"],
        mitre: &["T1133", "T1190", "T1110"],
    },
};

pub(crate) static NAMESPACE_WITHOUT_NETWORK_POLICY: Rule = Rule {
    id: "PAL-NET-005",
    title: "Namespace has workloads but no NetworkPolicy",
    severity: Severity::Medium,
    family: Family::Exposure,
    description: "Pods accept traffic from every pod in the cluster until a NetworkPolicy \
        selects them: one compromised workload anywhere can reach every service in this \
        namespace. Reported for each namespace that has workloads in the input and no \
        NetworkPolicy (or CiliumNetworkPolicy) in the input; workloads without \
        `metadata.namespace` are grouped together, as they land in one namespace when applied. \
        kube-system, kube-public and kube-node-lease are not reported: the distribution \
        manages them, and their host-network components are outside NetworkPolicy's reach. \
        Cluster-wide CNI policies are not evaluated here.",
    remediation: "Add a default-deny NetworkPolicy to the namespace (`podSelector: {}`, \
        `policyTypes: [Ingress, Egress]`, no rules), then policies allowing the traffic each \
        workload needs.",
    references: &[NETPOL_REF, "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies"],
    controls: Controls {
        pss: None,
        cis: &["5.3.2"],
        nsa: &["Network separation and hardening: network policies"],
        mitre: &["T1046"],
    },
};

pub(crate) static UNSELECTED_WORKLOAD: Rule = Rule {
    id: "PAL-NET-006",
    title: "Workload not selected by any NetworkPolicy",
    severity: Severity::Medium,
    family: Family::Exposure,
    description: "The namespace has NetworkPolicies, but none of their pod selectors matches \
        this workload's pod labels, so its pods are not isolated: they accept traffic from \
        every pod in the cluster, typically because a policy was written for other apps and \
        no namespace-wide default-deny exists. Selectors are matched with the API server's \
        semantics (matchLabels and matchExpressions; an empty podSelector selects every pod); \
        a policy with an invalid selector selects nothing. Namespaces with no policy at all \
        are PAL-NET-005's.",
    remediation: "Add a default-deny policy (`podSelector: {}`) to the namespace, or a policy \
        whose podSelector matches these pods and allows only the traffic they need.",
    references: &[NETPOL_REF],
    controls: Controls {
        pss: None,
        cis: &["5.3.2"],
        nsa: &["Network separation and hardening: network policies"],
        mitre: &["T1046"],
    },
};

/// Annotations that mark a LoadBalancer as internal (reachable from the cloud network only).
const INTERNAL_LB_ANNOTATIONS: &[(&str, &str)] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    ("networking.gke.io/load-balancer-type", "internal"),
    ("cloud.google.com/load-balancer-type", "internal"),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        "true",
    ),
    (
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
        "private",
    ),
];

fn check_object(obj: &Object, workload: Option<&Workload>, em: &mut Emitter) {
    if obj.is("Service") && obj.id.api_version == "v1" {
        service(obj, em);
    } else if obj.is("Ingress")
        && matches!(
            obj.id.api_version.as_str(),
            "networking.k8s.io/v1" | "networking.k8s.io/v1beta1" | "extensions/v1beta1"
        )
    {
        ingress::check(obj, em);
    }
    if let Some(w) = workload.copied() {
        host_ports(&w, em);
        ssh::check(&w, em);
    }
}

/// How a Service is reachable from outside the cluster.
struct External<'a> {
    /// `NodePort` or `LoadBalancer`, when it is one of those.
    service_type: Option<&'a str>,
    /// `spec.externalIPs` is set.
    external_ips: bool,
}

impl External<'_> {
    fn any(&self) -> bool {
        self.service_type.is_some() || self.external_ips
    }

    /// How the finding phrases it.
    fn how(&self) -> String {
        match (self.service_type, self.external_ips) {
            (Some(t), true) => cat!("a ", t, " Service with externalIPs"),
            (Some(t), false) => cat!("a ", t, " Service"),
            (None, _) => "a Service with externalIPs".into(),
        }
    }
}

fn service(obj: &Object, em: &mut Emitter) {
    let Some(spec) = obj.root.get("spec") else {
        return;
    };
    // An unset or unreadable type is ClusterIP, as the API defaults it.
    let type_entry = spec.entry("type");
    let service_type = type_entry
        .and_then(|e| e.value.as_str())
        .unwrap_or("ClusterIP");
    if service_type == "ExternalName" {
        // A DNS alias: nothing is proxied, no port is opened.
        return;
    }
    let external_ips = spec
        .entry("externalIPs")
        .filter(|e| !e.value.items().is_empty());
    let external = External {
        service_type: matches!(service_type, "NodePort" | "LoadBalancer").then_some(service_type),
        external_ips: external_ips.is_some(),
    };

    if let (Some(t), Some(entry)) = (external.service_type, type_entry) {
        external_service(obj, spec, t, entry.key.pos, em);
    }
    if let Some(entry) = external_ips {
        let ips: Vec<&str> = entry
            .value
            .items()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        em.emit(
            &EXTERNAL_IPS,
            obj,
            entry.key.pos,
            Some("spec.externalIPs".into()),
            cat!(
                "externalIPs ",
                quoted_list(&ips),
                " are served by kube-proxy on every node, and any Service may claim an address \
                 this way to intercept traffic to it (CVE-2020-8554)"
            ),
        );
    }
    if external.any() {
        service_ports(obj, spec, &external, em);
    }
}

fn external_service(obj: &Object, spec: &Node, service_type: &str, pos: Pos, em: &mut Emitter) {
    let field = "spec.type".to_string();
    if service_type == "NodePort" {
        let ports = spec.get("ports").map(Node::items).unwrap_or_default();
        let fixed: Vec<String> = ports
            .iter()
            .filter_map(|p| p.get("nodePort").and_then(Node::as_i64))
            .map(|n| n.to_string())
            .collect();
        const OPENS: &str = "NodePort Service opens ";
        const WHERE: &str = " on every node's addresses";
        let message = match (fixed.is_empty(), fixed.len() < ports.len()) {
            (true, _) => cat!(OPENS, "ports from the node-port range", WHERE),
            (false, false) => cat!(OPENS, "port ", fixed.join(", "), WHERE),
            (false, true) => cat!(
                OPENS,
                "port ",
                fixed.join(", "),
                " and ports from the node-port range",
                WHERE
            ),
        };
        em.emit(&EXTERNAL_SERVICE, obj, pos, Some(field.into()), message);
        return;
    }
    let internal = INTERNAL_LB_ANNOTATIONS.iter().find(|(key, value)| {
        obj.annotation(key)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
    });
    let ranges: Vec<&str> = spec
        .get("loadBalancerSourceRanges")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .collect();
    // The legacy annotation is still honoured by the cloud providers when the field is unset.
    let annotated_ranges = obj
        .annotation("service.beta.kubernetes.io/load-balancer-source-ranges")
        .filter(|v| !v.trim().is_empty());
    let (severity, message) = if let Some((key, _)) = internal {
        (
            Severity::Low,
            cat!(
                "LoadBalancer Service is internal (",
                key,
                "): reachable from the cloud network, outside the cluster"
            ),
        )
    } else if !ranges.is_empty() {
        (
            Severity::Low,
            cat!(
                "LoadBalancer Service is reachable from outside the cluster, limited by \
                 loadBalancerSourceRanges to ",
                ranges.join(", ")
            ),
        )
    } else if let Some(v) = annotated_ranges {
        (
            Severity::Low,
            cat!(
                "LoadBalancer Service is reachable from outside the cluster, limited by the \
                 load-balancer-source-ranges annotation to ",
                v
            ),
        )
    } else {
        (
            EXTERNAL_SERVICE.severity,
            "LoadBalancer Service is reachable from any address: no loadBalancerSourceRanges \
             restricts its clients"
                .to_string(),
        )
    };
    em.emit_graded(&EXTERNAL_SERVICE, severity, obj, pos, field.into(), message);
}

/// Severity of exposing a sensitive port outside the cluster.
fn port_severity(port: &SensitivePort) -> Severity {
    match port.class {
        PortClass::ControlPlane => Severity::Critical,
        PortClass::RemoteAdmin | PortClass::DataStore => Severity::High,
        PortClass::LegacyApi => Severity::Low,
    }
}

fn service_ports(obj: &Object, spec: &Node, external: &External, em: &mut Emitter) {
    let Some(ports) = spec.get("ports") else {
        return;
    };
    for (i, port) in ports.items().iter().enumerate() {
        // One finding per port entry, at the first field that names a sensitive service.
        let hit = ["port", "targetPort", "name"].iter().find_map(|key| {
            let entry = port.entry(key)?;
            ports::sensitive(&entry.value)
                // 8080 behind another Service port is an application's HTTP port; only
                // 8080 itself exposed is worth a (low) look.
                .filter(|s| *key == "port" || s.class != PortClass::LegacyApi)
                .map(|s| (*key, entry, s))
        });
        let Some((key, entry, sensitive)) = hit else {
            continue;
        };
        let shown = entry.value.scalar_text().unwrap_or("");
        em.emit_graded(
            &SENSITIVE_PORT,
            port_severity(sensitive),
            obj,
            entry.key.pos,
            cat!("spec.ports[", i, "].", key).into(),
            cat!(
                key,
                " ",
                shown,
                " (",
                sensitive.service,
                ") is exposed outside the cluster through ",
                external.how()
            ),
        );
    }
}

fn host_ports(w: &Workload, em: &mut Emitter) {
    // With hostNetwork every container port is bound on the node (the API defaults hostPort
    // to containerPort).
    let host_network = w.get("hostNetwork").and_then(Node::as_bool) == Some(true);
    for c in w.containers() {
        let Some(ports) = c.node.get("ports") else {
            continue;
        };
        for (i, port) in ports.items().iter().enumerate() {
            let host_port = port.entry("hostPort").filter(|e| {
                !matches!(
                    ports::port_ref(&e.value),
                    None | Some(ports::PortRef::Number(0))
                )
            });
            let container_port = port.entry("containerPort");
            let (anchor, anchor_key) = match (host_port, container_port) {
                (Some(h), _) => (h, "hostPort"),
                (None, Some(cp)) if host_network => (cp, "containerPort"),
                _ => continue,
            };
            // Either side may name the service: hostPort 2222 forwarding to containerPort 22
            // still puts SSH on the node's address.
            let hit = [host_port, container_port, port.entry("name")]
                .into_iter()
                .flatten()
                .find_map(|e| ports::sensitive(&e.value).map(|s| (e, s)));
            let Some((entry, sensitive)) = hit else {
                continue;
            };
            fn value(e: &Entry) -> &str {
                e.value.scalar_text().unwrap_or("")
            }
            let how = if anchor_key == "containerPort" {
                cat!("containerPort ", value(anchor), " with hostNetwork")
            } else if std::ptr::eq(entry, anchor) {
                cat!("hostPort ", value(anchor))
            } else if entry.key.as_str() == Some("name") {
                cat!(
                    "hostPort ",
                    value(anchor),
                    " forwards to the port named `",
                    value(entry),
                    "`"
                )
            } else {
                cat!(
                    "hostPort ",
                    value(anchor),
                    " forwards to containerPort ",
                    value(entry)
                )
            };
            em.emit_graded(
                &SENSITIVE_PORT,
                port_severity(sensitive),
                w.object,
                anchor.key.pos,
                c.field_path_of(&[&"ports[", &i, &"].", &anchor_key]),
                cat!(
                    "container `",
                    c.name(),
                    "` exposes ",
                    sensitive.service,
                    " on every address of its node: ",
                    how
                ),
            );
        }
    }
}

pub(super) fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| cat!("`", s, "`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::inventory::{load_str, LoadLimits};
    use palisade_core::{Config, Inventory};

    /// (rule id, line, severity) of this family's findings on `text`.
    fn run(text: &str, config: &Config) -> Vec<(String, u32, Severity)> {
        let mut inv = Inventory::default();
        inv.add(load_str("t.yaml", text, &LoadLimits::default()));
        let mut em = Emitter::new(config);
        for obj in &inv.objects {
            check_object(obj, palisade_core::Workload::of(obj).as_ref(), &mut em);
        }
        let read = crate::cluster_read::ClusterRead::of(&inv.objects);
        network_policy::check(&inv, &read, &mut em);
        em.into_findings()
            .into_iter()
            .map(|f| (f.rule_id.into_owned(), f.location.line, f.severity))
            .collect()
    }

    #[test]
    fn severities_follow_exposure_and_port_class() {
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\nspec:\n  type: LoadBalancer\n  loadBalancerSourceRanges: [10.0.0.0/8]\n  ports:\n  - port: 6443\n  - port: 3306\n";
        let got = run(text, &Config::default());
        assert_eq!(
            got,
            [
                ("PAL-NET-001".into(), 5, Severity::Low),
                ("PAL-NET-004".into(), 8, Severity::Critical),
                ("PAL-NET-004".into(), 9, Severity::High),
            ]
        );
    }

    #[test]
    fn a_configured_severity_wins() {
        let config = Config::parse(
            "p.yaml",
            "apiVersion: palisade.dev/v1\nrules:\n  PAL-NET-004: {severity: medium}\n",
        )
        .unwrap_or_default();
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\nspec:\n  type: NodePort\n  ports: [{port: 2379}]\n";
        let got = run(text, &config);
        assert!(
            got.contains(&("PAL-NET-004".into(), 6, Severity::Medium)),
            "{got:?}"
        );
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        let docs = [
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: 5\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: [x], externalIPs: {a: b}, ports: [1, null, {port: [1]}, {targetPort: {a: 1}}]}\n",
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: NodePort, ports: x}\n",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, annotations: [x]}\nspec: {tls: [null, 3, {hosts: x}], rules: [null, {host: [a]}, {host: ''}]}\n",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {tls: {a: b}, rules: 7}\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ''}\nspec: {hostNetwork: true, containers: [null, {ports: 5}, {ports: [null, {hostPort: -1}, {hostPort: x, containerPort: ~}, {containerPort: 99999999999999999999}]}]}\n",
            "apiVersion: v1\nkind: Namespace\nmetadata: 3\n",
        ];
        for d in docs {
            let _ = run(d, &Config::default());
        }
    }
}
