//! Workload views: the pod spec inside a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! ReplicationController, Job, CronJob, or any object with `spec.template.spec.containers`.
//! Views borrow from the [`Object`]; nothing is stored twice.

use std::sync::Arc;

use crate::inventory::Object;
use crate::shared_text;
use crate::text::Piece;
use crate::yaml::Node;

/// A pod spec found in an object.
#[derive(Debug, Clone, Copy)]
pub struct Workload<'a> {
    /// The object holding the pod spec.
    pub object: &'a Object,
    /// The pod spec.
    pub spec: &'a Node,
    /// The pod template's metadata (the object's own for a Pod), if present.
    pub pod_metadata: Option<&'a Node>,
    /// Dotted path of the pod spec within the object (`spec.template.spec`).
    pub spec_path: &'static str,
    /// The items of `containers`, `initContainers` and `ephemeralContainers` (in
    /// [`CONTAINER_KINDS`] order), found once: most rules go through every container, and
    /// each looked the three lists up again.
    lists: [&'a [Node]; 3],
}

/// The container lists of a pod spec, in the order [`Workload::containers`] goes through them.
const CONTAINER_KINDS: [ContainerKind; 3] = [
    ContainerKind::Regular,
    ContainerKind::Init,
    ContainerKind::Ephemeral,
];

/// Which list a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    /// `containers`
    Regular,
    /// `initContainers`
    Init,
    /// `ephemeralContainers`
    Ephemeral,
}

impl ContainerKind {
    /// The pod spec field holding this list.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Regular => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// A container's description for messages (see [`Container::describe`]).
#[derive(Debug, Clone, Copy)]
pub struct Described<'a> {
    kind: &'static str,
    name: &'a str,
    index: usize,
}

impl std::fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name {
            "" => write!(f, "{} #{}", self.kind, self.index),
            name => write!(f, "{} `{name}`", self.kind),
        }
    }
}

/// The same text as `Display`, for [`cat!`](crate::cat).
impl Piece for Described<'_> {
    fn byte_len(&self) -> usize {
        self.kind.len()
            + match self.name {
                "" => " #".len() + self.index.byte_len(),
                name => " ``".len() + name.len(),
            }
    }

    fn push_to(&self, out: &mut String) {
        out.push_str(self.kind);
        match self.name {
            "" => {
                out.push_str(" #");
                self.index.push_to(out);
            }
            name => {
                out.push_str(" `");
                out.push_str(name);
                out.push('`');
            }
        }
    }
}

/// One container of a workload.
#[derive(Debug, Clone, Copy)]
pub struct Container<'a> {
    /// The container node.
    pub node: &'a Node,
    /// Which list it is in.
    pub kind: ContainerKind,
    /// Index in that list.
    pub index: usize,
    /// The workload's pod spec path, for field paths.
    spec_path: &'static str,
}

impl<'a> Container<'a> {
    /// The container's name (empty when missing).
    pub fn name(&self) -> &'a str {
        self.node.get("name").and_then(Node::as_str).unwrap_or("")
    }

    /// How findings name the container: "container `x`", "init container `x`", "sidecar
    /// container `x`" (an init container with `restartPolicy: Always`), "ephemeral container
    /// `x`"; its index when it has no name. A `Display` value, so messages format it without
    /// an allocation of its own.
    pub fn describe(&self) -> Described<'a> {
        let kind = match self.kind {
            ContainerKind::Regular => "container",
            ContainerKind::Init
                if self.node.get("restartPolicy").and_then(Node::as_str) == Some("Always") =>
            {
                "sidecar container"
            }
            ContainerKind::Init => "init container",
            ContainerKind::Ephemeral => "ephemeral container",
        };
        Described {
            kind,
            name: self.name(),
            index: self.index,
        }
    }

    /// `securityContext`, or a null node.
    pub fn security_context(&self) -> &'a Node {
        self.node.get("securityContext").unwrap_or(Node::null())
    }

    /// Dotted path of this container (`spec.template.spec.containers[0]`).
    pub fn path(&self) -> String {
        crate::cat!(self.spec_path, ".", self.kind.field(), "[", self.index, "]")
    }

    /// Dotted path of a field below this container, shared ([`crate::shared_text`]).
    pub fn field_path(&self, rest: &str) -> Arc<str> {
        self.field_path_of(&[&rest])
    }

    /// Dotted path of a field below this container, the field's path given in pieces
    /// (`&[&"ports[", &i, &"].hostPort"]`), shared: findings name the same few paths again
    /// and again.
    pub fn field_path_of(&self, rest: &[&dyn Piece]) -> Arc<str> {
        let head: [&dyn Piece; 6] = [
            &self.spec_path,
            &".",
            &self.kind.field(),
            &"[",
            &self.index,
            &"].",
        ];
        shared_text::shared_pair(&head, rest)
    }
}

/// Where a kind keeps its pod template: the path to the node holding `spec` and `metadata`
/// of the pod, and the dotted path of that `spec`.
const TEMPLATE: (&[&str], &str) = (&["spec", "template"], "spec.template.spec");
const JOB_TEMPLATE: (&[&str], &str) = (
    &["spec", "jobTemplate", "spec", "template"],
    "spec.jobTemplate.spec.template.spec",
);
const POD: (&[&str], &str) = (&[], "spec");

/// True for the built-in kinds whose schema has no pod template: they are never workloads,
/// and saying so from the kind alone spares a look into the object's tree (several
/// inventory-wide rules ask this of every object, long after its tree left the cache). A
/// `match` compares the length first, so most kinds cost one or two compares.
fn is_never_a_workload(kind: &str) -> bool {
    matches!(
        kind,
        "Service"
            | "ConfigMap"
            | "Secret"
            | "ServiceAccount"
            | "Namespace"
            | "Role"
            | "RoleBinding"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "NetworkPolicy"
            | "Ingress"
            | "IngressClass"
            | "LimitRange"
            | "ResourceQuota"
            | "PersistentVolume"
            | "PersistentVolumeClaim"
            | "StorageClass"
            | "Endpoints"
            | "EndpointSlice"
            | "HorizontalPodAutoscaler"
            | "PodDisruptionBudget"
            | "PriorityClass"
            | "CustomResourceDefinition"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
    )
}

/// API groups of the built-in kinds above (a CRD may reuse a kind name in its own group).
fn is_builtin_group(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    group.is_empty()
        || group.ends_with(".k8s.io")
        || matches!(group, "apps" | "batch" | "policy" | "autoscaling")
}

impl<'a> Workload<'a> {
    /// The workload view of an object, when it holds a pod spec.
    pub fn of(object: &'a Object) -> Option<Workload<'a>> {
        let kind = object.id.kind.as_str();
        if is_never_a_workload(kind) && is_builtin_group(&object.id.api_version) {
            return None;
        }
        let (template_path, spec_path) = match kind {
            "Pod" => POD,
            "CronJob" => JOB_TEMPLATE,
            _ => TEMPLATE,
        };
        // The pod's spec and metadata sit side by side: find their parent once.
        let template = object.root.get_path(template_path)?;
        let spec = template.get("spec")?;
        let containers = spec.get("containers");
        if kind != "Pod" && containers.is_none() {
            return None;
        }
        let items = |list: Option<&'a Node>| list.map(Node::items).unwrap_or_default();
        Some(Workload {
            object,
            spec,
            pod_metadata: template.get("metadata"),
            spec_path,
            lists: [
                items(containers),
                items(spec.get(ContainerKind::Init.field())),
                items(spec.get(ContainerKind::Ephemeral.field())),
            ],
        })
    }

    /// Pod-level `securityContext`, or a null node.
    pub fn pod_security_context(&self) -> &'a Node {
        self.spec.get("securityContext").unwrap_or(Node::null())
    }

    /// A pod spec field.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.spec.get(key)
    }

    /// A pod annotation (from the pod template for controllers).
    pub fn pod_annotation(&self, key: &str) -> Option<&'a str> {
        self.pod_metadata?.get("annotations")?.get(key)?.as_str()
    }

    /// Pod annotations.
    pub fn pod_annotations(&self) -> &'a [crate::yaml::Entry] {
        self.pod_metadata
            .and_then(|m| m.get("annotations"))
            .map(Node::entries)
            .unwrap_or_default()
    }

    /// Dotted path of a pod spec field, shared ([`crate::shared_text`]).
    pub fn field_path(&self, rest: &str) -> Arc<str> {
        self.field_path_of(&[&rest])
    }

    /// Dotted path of a pod spec field given in pieces (`&[&"volumes[", &i, &"].hostPath"]`),
    /// shared.
    pub fn field_path_of(&self, rest: &[&dyn Piece]) -> Arc<str> {
        shared_text::shared_pair(&[&self.spec_path, &"."], rest)
    }

    /// True when `spec.os.name` is `windows` (some restricted controls exempt such pods).
    pub fn is_windows(&self) -> bool {
        self.spec.get_path(&["os", "name"]).and_then(Node::as_str) == Some("windows")
    }

    /// Every container: regular, init and ephemeral.
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + 'a {
        Containers {
            lists: self.lists,
            list: 0,
            index: 0,
            spec_path: self.spec_path,
        }
    }

    /// Volumes.
    pub fn volumes(&self) -> &'a [Node] {
        self.spec
            .get("volumes")
            .map(Node::items)
            .unwrap_or_default()
    }
}

/// The containers of [`Workload::containers`]: each list's items in turn (a hand-written
/// walk; the flattened iterator it replaces was a visible share of a large scan).
struct Containers<'a> {
    lists: [&'a [Node]; 3],
    /// The list being walked, an index into [`CONTAINER_KINDS`].
    list: usize,
    /// The next item of that list.
    index: usize,
    spec_path: &'static str,
}

impl<'a> Iterator for Containers<'a> {
    type Item = Container<'a>;

    fn next(&mut self) -> Option<Container<'a>> {
        loop {
            let items = self.lists.get(self.list)?;
            let kind = *CONTAINER_KINDS.get(self.list)?;
            if let Some(node) = items.get(self.index) {
                let index = self.index;
                self.index += 1;
                return Some(Container {
                    node,
                    kind,
                    index,
                    spec_path: self.spec_path,
                });
            }
            self.list += 1;
            self.index = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{load_str, LoadLimits};

    fn first(text: &str) -> Object {
        load_str("t.yaml", text, &LoadLimits::default())
            .objects
            .remove(0)
    }

    #[test]
    fn containers_go_through_every_list_in_order_skipping_empty_ones() {
        let pod = first("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a}, {name: b}]\n  initContainers: []\n  ephemeralContainers: [{name: e}]\n");
        let w = Workload::of(&pod).unwrap();
        let seen: Vec<(String, ContainerKind, usize)> = w
            .containers()
            .map(|c| (c.path(), c.kind, c.index))
            .collect();
        assert_eq!(
            seen,
            [
                ("spec.containers[0]".to_string(), ContainerKind::Regular, 0),
                ("spec.containers[1]".to_string(), ContainerKind::Regular, 1),
                (
                    "spec.ephemeralContainers[0]".to_string(),
                    ContainerKind::Ephemeral,
                    0
                ),
            ]
        );
        // A list that is not a sequence holds no container; the next list still counts.
        let odd = first("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: null\n  initContainers: [{name: i}]\n");
        let names: Vec<_> = Workload::of(&odd)
            .unwrap()
            .containers()
            .map(|c| c.name())
            .collect();
        assert_eq!(names, ["i"]);
        let none = first("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n");
        assert_eq!(Workload::of(&none).unwrap().containers().count(), 0);
    }

    #[test]
    fn finds_pod_spec_in_controllers_and_cronjobs() {
        let d = first("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata: {annotations: {a: b}}\n    spec:\n      containers: [{name: c}]\n      initContainers: [{name: i}]\n");
        let w = Workload::of(&d).unwrap();
        assert_eq!(w.spec_path, "spec.template.spec");
        assert_eq!(w.pod_annotation("a"), Some("b"));
        let names: Vec<_> = w.containers().map(|c| c.name()).collect();
        assert_eq!(names, ["c", "i"]);
        assert_eq!(
            w.containers().nth(1).unwrap().path(),
            "spec.template.spec.initContainers[0]"
        );

        let cj = first("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: x}]\n");
        assert_eq!(
            Workload::of(&cj).unwrap().spec_path,
            "spec.jobTemplate.spec.template.spec"
        );

        let custom = first("apiVersion: x.io/v1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  template:\n    spec:\n      containers: [{name: x}]\n");
        assert!(Workload::of(&custom).is_some());

        let svc = first("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: []}\n");
        assert!(Workload::of(&svc).is_none());
        // A custom resource may reuse a built-in kind's name in its own group.
        let text = "apiVersion: example.test/v1\nkind: Service\nmetadata: {name: s}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n";
        let custom = &load_str("s.yaml", text, &Default::default()).objects[0];
        assert!(Workload::of(custom).is_some());
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: x}]\n";
        let core = &load_str("s.yaml", text, &Default::default()).objects[0];
        assert!(Workload::of(core).is_none());
    }

    /// The pieces-built texts are the ones `format!` gives.
    #[test]
    fn descriptions_and_paths_built_from_pieces_match_format() {
        let d = first("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: c}, {image: x}]\n      initContainers: [{name: s, restartPolicy: Always}, {}]\n      ephemeralContainers: [{name: 'dbg'}]\n");
        let w = Workload::of(&d).unwrap();
        let described: Vec<String> = w.containers().map(|c| crate::cat!(c.describe())).collect();
        let displayed: Vec<String> = w.containers().map(|c| c.describe().to_string()).collect();
        assert_eq!(described, displayed);
        assert_eq!(
            described,
            [
                "container `c`",
                "container #1",
                "sidecar container `s`",
                "init container #1",
                "ephemeral container `dbg`"
            ]
        );
        for c in w.containers() {
            assert_eq!(c.describe().byte_len(), c.describe().to_string().len());
            let i = 12usize;
            let piecewise = c.field_path_of(&[&"ports[", &i, &"].hostPort"]);
            // The same text is the same shared string.
            assert!(Arc::ptr_eq(
                &piecewise,
                &c.field_path(&format!("ports[{i}].hostPort"))
            ));
            assert_eq!(*piecewise, *format!("{}.ports[{i}].hostPort", c.path()));
        }
        assert_eq!(
            &*w.field_path_of(&[&"volumes[", &3u32, &"].hostPath"]),
            "spec.template.spec.volumes[3].hostPath"
        );
        assert_eq!(&*w.field_path("hostPID"), "spec.template.spec.hostPID");
    }
}
