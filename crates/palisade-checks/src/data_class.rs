//! Data classification: the data workload guide of `palisade.yaml`. Namespaces and workloads
//! labelled `palisade.dev/data-class: <class>` are checked against the configured classes:
//! is the class allowed in this environment, are the controls it requires in place, and is
//! the class one the config knows.
//!
//! A workload's class is its own label (pod template first, then the object's), else that of
//! its namespace when the Namespace object is in the input. What one object shows is judged
//! per object (admission sees it); inherited classes and NetworkPolicies need the inventory.
//! Without `dataClasses` in the config the built-in classes apply (`public`, `internal`,
//! `confidential`, `restricted`: [`palisade_core::config::BUILTIN_DATA_CLASSES`]); without
//! `environments`, no class is refused anywhere.

use std::collections::{BTreeMap, BTreeSet};

use compact_str::CompactString;
use palisade_core::config::Requirement;
use palisade_core::yaml::{Node, Pos};
use palisade_core::{
    cat, Config, Container, ContainerKind, Controls, Family, Inventory, Object, Rule, Severity,
    Workload,
};

use crate::cluster_read::{ClusterRead, Role};
use crate::{Checks, Emitter};

pub(crate) static CHECKS: Checks = Checks {
    rules: &[&CLASS_NOT_ALLOWED, &REQUIREMENT_UNMET, &UNKNOWN_CLASS],
    object: Some(check_object),
    in_context: None,
    inventory: Some(check_inventory),
};

/// The label that carries a data class.
pub(crate) const LABEL: &str = "palisade.dev/data-class";

pub(crate) static CLASS_NOT_ALLOWED: Rule = Rule {
    id: "PAL-DATA-001",
    title: "Data class not allowed in this environment",
    severity: Severity::High,
    family: Family::DataClassification,
    description: "The data workload guide lists which classes of data each environment may \
        hold (`environments.<env>.allowedDataClasses`): production data in a test cluster, or \
        regulated data in a cluster without the matching controls and audits, is a data \
        breach waiting to happen even if every workload is hardened. Reported on each \
        Namespace and workload whose own label names a class the current environment \
        (`environment:` or --environment) does not allow; workloads that inherit the class \
        are covered by their namespace's finding.",
    remediation: "Deploy the workload to an environment that allows its data class, or, if \
        the label is wrong, correct `palisade.dev/data-class`. Changing what an environment \
        allows is a decision for the guide's owners, not a fix.",
    references: &["https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Network separation and hardening: namespaces"],
        mitre: &[],
    },
};

pub(crate) static REQUIREMENT_UNMET: Rule = Rule {
    id: "PAL-DATA-002",
    title: "Control required by the data class is missing",
    severity: Severity::High,
    family: Family::DataClassification,
    description: "Each data class lists the controls workloads holding it must have \
        (`dataClasses.<class>.requires`). One finding per unmet requirement per workload, or \
        per namespace for default-deny-network-policy. The requirements mean: \
        default-deny-network-policy, a NetworkPolicy in the namespace with an empty \
        podSelector, policyTypes including Ingress (or unset) and no ingress rules; \
        run-as-non-root, every container has runAsNonRoot true or a non-zero runAsUser, its \
        own or inherited from the pod, and none has runAsUser 0; read-only-root-filesystem, \
        every container sets readOnlyRootFilesystem true; no-privilege-escalation, every \
        container sets allowPrivilegeEscalation false; resource-limits, every container \
        except ephemeral ones (which cannot have any) has cpu and memory limits; \
        image-digest, every image is pinned by `@sha256:` digest. Init and ephemeral \
        containers count: they handle the same data. Without `dataClasses` in palisade.yaml \
        the built-in classes apply: public requires nothing; internal, \
        no-privilege-escalation; confidential, that plus default-deny-network-policy, \
        run-as-non-root and read-only-root-filesystem; restricted, all six.",
    remediation: "Add the missing control to every container listed (or the default-deny \
        NetworkPolicy to the namespace), or move the workload to a class whose requirements \
        it meets if the label is wrong.",
    references: &[
        "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies",
        "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
        "https://kubernetes.io/docs/concepts/containers/images/#image-names",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.3.2"],
        nsa: &[
            "Kubernetes Pod security",
            "Network separation and hardening: network policies",
        ],
        mitre: &[],
    },
};

pub(crate) static UNKNOWN_CLASS: Rule = Rule {
    id: "PAL-DATA-003",
    title: "Data class label names an unknown class",
    severity: Severity::Medium,
    family: Family::DataClassification,
    description: "A `palisade.dev/data-class` label whose value is neither a class under \
        `dataClasses` nor one any environment allows is most likely a typo, and a typo would \
        otherwise exempt the workload from every requirement of the class it was meant to \
        have. Reported on Namespaces and workloads.",
    remediation: "Correct the label to one of the classes defined in palisade.yaml, or define \
        the new class (and its requirements) there.",
    references: &["https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/"],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &[],
    },
};

/// A data-class label found on an object. It owns its class (short: stored inline) so that
/// the inventory-wide rules can keep it from the read ahead ([`ClusterRead`]).
#[derive(Debug)]
pub(crate) struct ClassLabel {
    class: CompactString,
    /// The label key's position.
    pos: Pos,
    /// Dotted path of the metadata holding the labels map, up to and including its last
    /// dot (`spec.template.`; empty for the object's own metadata). A path is built only
    /// for a finding.
    metadata_prefix: &'static str,
}

impl ClassLabel {
    fn field(&self) -> String {
        cat!(self.metadata_prefix, "metadata.labels[\"", LABEL, "\"]")
    }
}

/// Does the config describe a data workload guide at all?
/// Is the class one the config names (defined, or allowed somewhere)?
fn known(config: &Config, class: &str) -> bool {
    config.data_classes().contains_key(class)
        || config
            .environments
            .values()
            .any(|e| e.allowed_data_classes.iter().any(|c| c == class))
}

/// The class's requirements, each once, in a stable order.
fn requirements(config: &Config, class: &str) -> BTreeSet<Requirement> {
    config
        .data_classes()
        .get(class)
        .map(|dc| dc.requires.iter().copied().collect())
        .unwrap_or_default()
}

fn label_in(metadata: Option<&Node>, metadata_prefix: &'static str) -> Option<ClassLabel> {
    let entry = metadata?.get("labels")?.entry(LABEL)?;
    Some(ClassLabel {
        class: entry.value.as_str()?.into(),
        pos: entry.key.pos,
        metadata_prefix,
    })
}

/// The data-class labels an object carries itself, the one that decides first: the pod
/// template's (what running pods carry), then the object's.
pub(crate) fn own_labels(obj: &Object, workload: Option<&Workload>) -> Vec<ClassLabel> {
    let mut labels = Vec::new();
    if let Some(w) = workload {
        // `spec.template.spec` → `spec.template.`; a Pod's `spec` → the object's own.
        let prefix = w.spec_path.strip_suffix("spec").unwrap_or("");
        labels.extend(label_in(w.pod_metadata, prefix));
    }
    let own = label_in(obj.root.get("metadata"), "");
    // A Pod's template metadata is its own metadata: do not count the label twice.
    labels.extend(own.filter(|l| labels.iter().all(|t: &ClassLabel| t.pos != l.pos)));
    labels
}

fn check_object(obj: &Object, workload: Option<&Workload>, em: &mut Emitter) {
    let config = em.config();
    // The objects this family judges: Namespaces and workloads.
    let workload = match workload {
        Some(w) => Some(*w),
        None if obj.is("Namespace") && obj.id.api_version == "v1" => None,
        None => return,
    };
    let labels = own_labels(obj, workload.as_ref());
    for label in labels.iter().filter(|l| !known(config, &l.class)) {
        let defined: BTreeSet<&str> = config
            .data_classes()
            .keys()
            .chain(
                config
                    .environments
                    .values()
                    .flat_map(|e| &e.allowed_data_classes),
            )
            .map(String::as_str)
            .collect();
        let defined: Vec<&str> = defined.into_iter().collect();
        em.emit(
            &UNKNOWN_CLASS,
            obj,
            label.pos,
            Some(label.field().into()),
            format!(
                "data class `{}` is not defined {} (known: {})",
                label.class,
                if config.builtin_data_classes() {
                    "among the built-in classes, and palisade.yaml defines none"
                } else {
                    "in palisade.yaml"
                },
                list_or_none(&defined)
            ),
        );
    }
    let Some(label) = labels.first().filter(|l| known(config, &l.class)) else {
        return;
    };
    if let Some((env, environment)) = config.current_environment() {
        if !environment
            .allowed_data_classes
            .iter()
            .any(|c| *c == label.class)
        {
            let allowed: Vec<&str> = environment
                .allowed_data_classes
                .iter()
                .map(String::as_str)
                .collect();
            em.emit(
                &CLASS_NOT_ALLOWED,
                obj,
                label.pos,
                Some(label.field().into()),
                format!(
                    "data class `{}` is not allowed in environment `{env}` (allowed: {})",
                    label.class,
                    list_or_none(&allowed)
                ),
            );
        }
    }
    if let Some(w) = workload {
        container_requirements(&w, &label.class, "its label", em);
    }
}

/// `read`: what each object showed when its input was read.
fn check_inventory(inv: &Inventory, read: &ClusterRead, em: &mut Emitter) {
    let config = em.config();
    if !em.enabled(&REQUIREMENT_UNMET) {
        return;
    }
    let protected = default_deny_namespaces(inv);
    let needs_deny =
        |class: &str| requirements(config, class).contains(&Requirement::DefaultDenyNetworkPolicy);
    // The records alone decide which objects are read: the objects are out of cache by now.
    let records = || {
        read.records()
            .iter()
            .filter_map(|(i, r)| Some((inv.objects.get(*i)?, r)))
    };

    // Namespaces with a known class, from Namespace objects in the input.
    let mut namespace_class: BTreeMap<&str, &str> = BTreeMap::new();
    for (obj, r) in records().filter(|(_, r)| r.role == Role::Namespace) {
        let Some(label) = r.class_labels.first().filter(|l| known(config, &l.class)) else {
            continue;
        };
        namespace_class
            .entry(obj.id.name.as_str())
            .or_insert(&label.class);
        if needs_deny(&label.class) && !protected.contains(&Some(obj.id.name.as_str())) {
            em.emit(
                &REQUIREMENT_UNMET,
                obj,
                label.pos,
                Some(label.field().into()),
                format!(
                    "data class `{}` requires default-deny-network-policy: namespace `{}` has \
                     no NetworkPolicy with an empty podSelector that denies all ingress",
                    label.class, obj.id.name
                ),
            );
        }
    }

    for (obj, r) in records().filter(|(_, r)| r.workload) {
        let ns = obj.id.namespace.as_deref().filter(|n| !n.is_empty());
        match r.class_labels.first() {
            Some(label) if known(config, &label.class) => {
                // The namespace's own finding (or its policy) already settles it when the
                // namespace's class asks for default-deny too.
                let settled = ns
                    .and_then(|n| namespace_class.get(n))
                    .is_some_and(|c| needs_deny(c));
                if needs_deny(&label.class) && !settled && !protected.contains(&ns) {
                    let where_ = ns.map_or("the namespace it is applied to".to_string(), |n| {
                        format!("namespace `{n}`")
                    });
                    em.emit(
                        &REQUIREMENT_UNMET,
                        obj,
                        label.pos,
                        Some(label.field().into()),
                        format!(
                            "data class `{}` requires default-deny-network-policy: {where_} \
                             has no NetworkPolicy in the input with an empty podSelector that \
                             denies all ingress",
                            label.class
                        ),
                    );
                }
            }
            Some(_) => {}
            None => {
                // No label of its own: the namespace's class applies (checked per object
                // otherwise). The tree, out of cache by now, is read again only here, and
                // only once the namespace is known to have a class.
                let class = ns.and_then(|n| namespace_class.get_key_value(n));
                if let Some((n, class)) = class {
                    if let Some(w) = Workload::of(obj) {
                        container_requirements(&w, class, &cat!("namespace `", n, "`"), em);
                    }
                }
            }
        }
    }
}

/// Namespaces (`None`: objects without one) holding a default-deny ingress NetworkPolicy.
fn default_deny_namespaces(inv: &Inventory) -> BTreeSet<Option<&str>> {
    inv.objects
        .iter()
        .filter(|o| o.is("NetworkPolicy") && o.id.api_version.starts_with("networking.k8s.io/"))
        .filter(|o| is_default_deny(&o.root))
        .map(|o| o.id.namespace.as_deref().filter(|n| !n.is_empty()))
        .collect()
}

/// An empty podSelector, policyTypes including Ingress (unset or empty means Ingress, as
/// the API defaults it), no ingress rules: every pod of the namespace denies all ingress
/// not allowed by another policy.
fn is_default_deny(policy: &Node) -> bool {
    let spec = policy.get("spec").unwrap_or(Node::null());
    let selector_empty = spec.get("podSelector").is_none_or(|s| {
        ["matchLabels", "matchExpressions"].iter().all(|k| {
            s.get(k)
                .is_none_or(|v| v.is_null() || (v.entries().is_empty() && v.items().is_empty()))
        })
    });
    let ingress_type = spec
        .get("policyTypes")
        .map(Node::items)
        .is_none_or(|t| t.is_empty() || t.iter().any(|i| i.as_str() == Some("Ingress")));
    let no_rules = spec
        .get("ingress")
        .is_none_or(|r| r.is_null() || r.as_seq().is_some_and(<[Node]>::is_empty));
    selector_empty && ingress_type && no_rules
}

fn container_requirements(w: &Workload, class: &str, source: &str, em: &mut Emitter) {
    let config = em.config();
    for req in requirements(config, class) {
        if req == Requirement::DefaultDenyNetworkPolicy {
            continue;
        }
        let failing: Vec<Container> = w.containers().filter(|c| !meets(req, w, c)).collect();
        let Some(first) = failing.first() else {
            continue;
        };
        let names: Vec<String> = failing.iter().map(|c| format!("`{}`", c.name())).collect();
        em.emit(
            &REQUIREMENT_UNMET,
            w.object,
            first.node.pos,
            Some(first.path().into()),
            format!(
                "data class `{class}` (from {source}) requires {}: container(s) {} {}",
                req.name(),
                names.join(", "),
                shortfall(req)
            ),
        );
    }
}

/// What a failing container lacks, for the message.
fn shortfall(req: Requirement) -> &'static str {
    match req {
        Requirement::RunAsNonRoot => {
            "may run as root (set runAsNonRoot: true or a non-zero runAsUser, on the container \
             or the pod)"
        }
        Requirement::ReadOnlyRootFilesystem => "do not set readOnlyRootFilesystem: true",
        Requirement::NoPrivilegeEscalation => "do not set allowPrivilegeEscalation: false",
        Requirement::ResourceLimits => "lack a cpu or memory limit",
        Requirement::ImageDigest => "use images not pinned by @sha256 digest",
        Requirement::DefaultDenyNetworkPolicy => "lack a default-deny NetworkPolicy",
    }
}

fn meets(req: Requirement, w: &Workload, c: &Container) -> bool {
    let sc = c.security_context();
    match req {
        Requirement::RunAsNonRoot => {
            let pod = w.pod_security_context();
            let user = sc
                .get("runAsUser")
                .and_then(Node::as_i64)
                .or_else(|| pod.get("runAsUser").and_then(Node::as_i64));
            let non_root = sc
                .get("runAsNonRoot")
                .and_then(Node::as_bool)
                .or_else(|| pod.get("runAsNonRoot").and_then(Node::as_bool));
            match user {
                Some(0) => false,
                Some(_) => true,
                None => non_root == Some(true),
            }
        }
        Requirement::ReadOnlyRootFilesystem => {
            sc.get("readOnlyRootFilesystem").and_then(Node::as_bool) == Some(true)
        }
        Requirement::NoPrivilegeEscalation => {
            sc.get("allowPrivilegeEscalation").and_then(Node::as_bool) == Some(false)
        }
        Requirement::ResourceLimits => {
            // The API forbids resources on ephemeral containers.
            c.kind == ContainerKind::Ephemeral || {
                let limits = c.node.get_path(&["resources", "limits"]);
                ["cpu", "memory"]
                    .iter()
                    .all(|k| limits.and_then(|l| l.get(k)).is_some_and(|v| !v.is_null()))
            }
        }
        Requirement::ImageDigest => c
            .node
            .get("image")
            .and_then(Node::as_str)
            .is_some_and(pinned_by_digest),
        // Judged on the namespace, never on a container.
        Requirement::DefaultDenyNetworkPolicy => true,
    }
}

/// `name@sha256:<64 hex>` (a tag may precede the digest; the digest is what is pulled).
fn pinned_by_digest(image: &str) -> bool {
    image.split_once("@sha256:").is_some_and(|(name, digest)| {
        !name.is_empty() && digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::inventory::{load_str, LoadLimits};

    fn root(text: &str) -> Node {
        load_str("t.yaml", text, &LoadLimits::default())
            .objects
            .remove(0)
            .root
    }

    const NP: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: d}\n";

    #[test]
    fn default_deny_shapes() {
        assert!(is_default_deny(&root(&format!(
            "{NP}spec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n"
        ))));
        assert!(is_default_deny(&root(&format!(
            "{NP}spec:\n  podSelector: {{}}\n  policyTypes: []\n"
        ))));
        assert!(is_default_deny(&root(&format!(
            "{NP}spec:\n  podSelector: {{}}\n"
        ))));
        assert!(is_default_deny(&root(&format!("{NP}spec:\n  podSelector: {{matchLabels: {{}}}}\n  ingress: []\n  policyTypes: [Ingress, Egress]\n"))));
        // Allow-all, egress-only and selective policies are not default deny.
        assert!(!is_default_deny(&root(&format!(
            "{NP}spec:\n  podSelector: {{}}\n  ingress: [{{}}]\n"
        ))));
        assert!(!is_default_deny(&root(&format!(
            "{NP}spec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n"
        ))));
        assert!(!is_default_deny(&root(&format!(
            "{NP}spec:\n  podSelector: {{matchLabels: {{app: db}}}}\n"
        ))));
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        let config = Config::parse(
            "p.yaml",
            "apiVersion: palisade.dev/v1\nenvironment: e\nenvironments: {e: {allowedDataClasses: [a]}}\ndataClasses:\n  a: {requires: [default-deny-network-policy, run-as-non-root, read-only-root-filesystem, no-privilege-escalation, resource-limits, image-digest]}\n",
        )
        .unwrap_or_default();
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: n, labels: {palisade.dev/data-class: a}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: m, labels: [x]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: n}\nspec: {podSelector: [x], policyTypes: 3, ingress: {a: b}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec: {securityContext: 5, containers: [null, 3, {securityContext: [x], resources: {limits: 7}, image: [x]}]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n, labels: {palisade.dev/data-class: [a]}}\nspec: {template: {metadata: 4, spec: {containers: [{name: c}]}}}\n";
        let mut inv = Inventory::default();
        inv.add(load_str("t.yaml", text, &LoadLimits::default()));
        let mut em = Emitter::new(&config);
        for obj in &inv.objects {
            check_object(obj, palisade_core::Workload::of(obj).as_ref(), &mut em);
        }
        check_inventory(&inv, &ClusterRead::of(&inv.objects), &mut em);
        let findings = em.into_findings();
        // The namespace lacks default deny; the Pod and the Deployment (whose unreadable
        // label counts as none) inherit `a` and fail all five container requirements.
        let data_002 = findings
            .iter()
            .filter(|f| f.rule_id == "PAL-DATA-002")
            .count();
        assert_eq!(data_002, 11);
    }

    #[test]
    fn digests() {
        let d = "a".repeat(64);
        assert!(pinned_by_digest(&format!("nginx@sha256:{d}")));
        assert!(pinned_by_digest(&format!("reg.io/nginx:1.25@sha256:{d}")));
        assert!(!pinned_by_digest("nginx:1.25"));
        assert!(!pinned_by_digest(&format!("@sha256:{d}")));
        assert!(!pinned_by_digest("nginx@sha256:abc"));
        assert!(!pinned_by_digest(&format!(
            "nginx@sha256:{}",
            "g".repeat(64)
        )));
    }
}
