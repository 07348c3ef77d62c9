//! The Inventory: every Kubernetes object read from the inputs, with where it came from, and
//! the Dockerfiles read beside them.
//!
//! Loading never judges and never gives up on the whole input: what cannot be read becomes a
//! [`LoadError`] with its place, and everything else is still loaded.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::dockerfile::{self, Dockerfile};
use crate::finding::{Location, ObjectRef};
use crate::yaml::{self, Limits, Node, Pos};

/// Where an object came from, and how to turn a position in its stream into a reported
/// place. For Helm output the reported path is the template (`# Source:` comment) and lines
/// count from that template's first rendered line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Path reported to the user.
    pub path: Arc<str>,
    /// Lines to subtract from stream lines to get reported lines.
    pub line_offset: u32,
    /// The file actually read, when `path` is a Helm template path.
    pub rendered_in: Option<Arc<str>>,
}

impl Origin {
    /// The reported place of a position in the stream.
    pub fn location(&self, pos: Pos) -> Location {
        Location {
            path: Arc::clone(&self.path),
            line: pos.line.saturating_sub(self.line_offset).max(1),
            col: pos.col.max(1),
        }
    }
}

/// One Kubernetes object.
#[derive(Debug, Clone)]
pub struct Object {
    /// Who it is (shared by the findings about it).
    pub id: Arc<ObjectRef>,
    /// The whole object, positions kept.
    pub root: Node,
    /// Where it came from.
    pub origin: Origin,
}

impl Object {
    /// `metadata`, or a null node.
    pub fn metadata(&self) -> &Node {
        self.root.get("metadata").unwrap_or(Node::null())
    }

    /// The reported place of the object itself (its first line).
    pub fn location(&self) -> Location {
        self.origin.location(self.root.pos)
    }

    /// The reported place of a node inside the object.
    pub fn location_of(&self, pos: Pos) -> Location {
        self.origin.location(pos)
    }

    /// A label value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.metadata().get("labels")?.get(key)?.as_str()
    }

    /// An annotation value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata().get("annotations")?.get(key)?.as_str()
    }

    /// True when the object is of this kind.
    pub fn is(&self, kind: &str) -> bool {
        self.id.kind == kind
    }
}

/// Something that could not be loaded, with its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadError {
    /// The input path (`-` for stdin).
    pub path: Arc<str>,
    /// Where, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Column, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub col: Option<u32>,
    /// What went wrong.
    pub message: String,
}

impl LoadError {
    /// An error about a whole input.
    pub fn whole(path: &Arc<str>, message: impl Into<String>) -> LoadError {
        LoadError {
            path: Arc::clone(path),
            line: None,
            col: None,
            message: message.into(),
        }
    }

    /// An error at a place in an input.
    pub fn at(path: &Arc<str>, pos: Pos, message: impl Into<String>) -> LoadError {
        LoadError {
            path: Arc::clone(path),
            line: Some(pos.line),
            col: Some(pos.col),
            message: message.into(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.col) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.path, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.path, l, self.message),
            _ => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Something worth telling about the input that is not an error (a skipped document, a
/// duplicated key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadNote {
    /// Where.
    pub location: Location,
    /// What.
    pub message: String,
}

impl fmt::Display for LoadNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// What loading one input produced.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Objects, in input order.
    pub objects: Vec<Object>,
    /// Errors (each with its place).
    pub errors: Vec<LoadError>,
    /// Notes.
    pub notes: Vec<LoadNote>,
    /// Dockerfiles.
    pub dockerfiles: Vec<Dockerfile>,
}

/// Hard limits on one input.
#[derive(Debug, Clone, Copy)]
pub struct LoadLimits {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// YAML parser limits.
    pub yaml: Limits,
    /// Dockerfile parser limits.
    pub dockerfile: dockerfile::Limits,
}

impl Default for LoadLimits {
    fn default() -> LoadLimits {
        LoadLimits {
            max_bytes: 256 * 1024 * 1024,
            yaml: Limits::default(),
            dockerfile: dockerfile::Limits::default(),
        }
    }
}

/// Loads one input's bytes: checks size and encoding, then parses it.
pub fn load_bytes(path: &str, bytes: &[u8], limits: &LoadLimits) -> Loaded {
    let path: Arc<str> = Arc::from(path);
    match decode(&path, bytes, limits, "Kubernetes manifests") {
        Ok(text) => load_str_arc(path, text, limits),
        Err(loaded) => loaded,
    }
}

/// Loads one Dockerfile (or Containerfile): checks size and encoding, then parses it. What
/// cannot be read becomes a load error at its line; the rest of the file is still kept.
pub fn load_dockerfile(path: &str, bytes: &[u8], limits: &LoadLimits) -> Loaded {
    let path: Arc<str> = Arc::from(path);
    let text = match decode(&path, bytes, limits, "Dockerfiles") {
        Ok(text) => text,
        Err(loaded) => return loaded,
    };
    let mut parsed = dockerfile::parse(text, &limits.dockerfile);
    let mut loaded = Loaded::default();
    for err in std::mem::take(&mut parsed.errors) {
        loaded
            .errors
            .push(LoadError::at(&path, err.pos, err.message));
    }
    parsed.path = path;
    loaded.dockerfiles.push(parsed);
    loaded
}

/// The input as text, or the load error saying why it is not.
fn decode<'b>(
    path: &Arc<str>,
    bytes: &'b [u8],
    limits: &LoadLimits,
    what: &str,
) -> Result<&'b str, Loaded> {
    let mut loaded = Loaded::default();
    if bytes.len() > limits.max_bytes {
        loaded.errors.push(LoadError::whole(
            path,
            format!(
                "input is {} bytes, over the {} byte limit; split it or raise --max-file-size",
                bytes.len(),
                limits.max_bytes
            ),
        ));
        return Err(loaded);
    }
    std::str::from_utf8(bytes).map_err(|err| {
        let good = &bytes[..err.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        loaded.errors.push(LoadError::at(
            path,
            Pos::new(clamp(line), clamp(col)),
            format!(
                "not valid UTF-8 (byte offset {}); {what} must be UTF-8",
                err.valid_up_to()
            ),
        ));
        loaded
    })
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Loads one input's text.
pub fn load_str(path: &str, text: &str, limits: &LoadLimits) -> Loaded {
    load_str_arc(Arc::from(path), text, limits)
}

/// [`load_str`] of `value.to_string()`, without printing and re-parsing it: the same objects
/// (list unwrapping, names, notes), every node placed at line 1, column 1 (where the whole
/// of one-line JSON text starts). Numbers keep serde_json's spelling (`1e3` reads as
/// `1000.0`: the same number).
pub fn load_json(path: &str, value: &serde_json::Value) -> Loaded {
    let mut loaded = Loaded::default();
    let origin = Origin {
        path: Arc::from(path),
        line_offset: 0,
        rendered_in: None,
    };
    add_document(
        yaml::Node::from_json(value, yaml::Pos::new(1, 1)),
        &origin,
        &mut loaded,
        0,
    );
    loaded
}

fn load_str_arc(path: Arc<str>, text: &str, limits: &LoadLimits) -> Loaded {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut loaded = Loaded::default();
    let helm = HelmSources::scan(text);
    let stream = yaml::parse_stream(text, &limits.yaml);
    let file_origin = Origin {
        path: Arc::clone(&path),
        line_offset: 0,
        rendered_in: None,
    };
    for doc in stream.documents {
        let origin = helm
            .source_before(doc.root.pos.line, doc.start_line)
            .map_or_else(
                || file_origin.clone(),
                |(template, comment_line)| Origin {
                    path: Arc::clone(template),
                    line_offset: comment_line,
                    rendered_in: Some(Arc::clone(&path)),
                },
            );
        for dup in &doc.duplicate_keys {
            loaded.notes.push(LoadNote {
                location: origin.location(dup.again),
                message: format!(
                    "duplicate key `{}` (first at line {}); the last value is used, as kubectl \
                     does, but other tools may read the first",
                    dup.key,
                    origin.location(dup.first).line
                ),
            });
        }
        add_document(doc.root, &origin, &mut loaded, 0);
    }
    if let Some(err) = stream.error {
        loaded
            .errors
            .push(LoadError::at(&path, err.pos, err.message));
    }
    loaded
}

/// Deepest nesting of `List` objects that is unwrapped.
const MAX_LIST_NESTING: usize = 4;

fn add_document(root: Node, origin: &Origin, loaded: &mut Loaded, depth: usize) {
    if root.is_null() {
        return;
    }
    let (Some(api_version), Some(kind)) = (
        root.get("apiVersion").and_then(Node::as_str),
        root.get("kind").and_then(Node::as_str),
    ) else {
        loaded.notes.push(LoadNote {
            location: origin.location(root.pos),
            message: "skipped a document that is not a Kubernetes object (no apiVersion and kind)"
                .into(),
        });
        return;
    };
    let (api_version, kind) = (api_version.to_string(), kind.to_string());
    // `kind: List` and kubectl's typed lists (`PodList`, ...) carry objects in `items`.
    if kind.ends_with("List") && root.get("items").is_some_and(|i| i.as_seq().is_some()) {
        if depth >= MAX_LIST_NESTING {
            loaded.notes.push(LoadNote {
                location: origin.location(root.pos),
                message: format!("skipped a {kind} nested more than {MAX_LIST_NESTING} deep"),
            });
            return;
        }
        for item in take_items(root) {
            let item = with_list_defaults(item, &api_version, &kind);
            add_document(item, origin, loaded, depth + 1);
        }
        return;
    }
    let metadata = root.get("metadata").unwrap_or(Node::null());
    let name = metadata
        .get("name")
        .or_else(|| metadata.get("generateName"))
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_string();
    let namespace = metadata
        .get("namespace")
        .and_then(Node::as_str)
        .map(str::to_string);
    loaded.objects.push(Object {
        id: Arc::new(ObjectRef {
            api_version,
            kind,
            namespace,
            name,
        }),
        root,
        origin: origin.clone(),
    });
}

/// Moves the `items` sequence out of a list object.
fn take_items(root: Node) -> Vec<Node> {
    use crate::yaml::Value;
    let Value::Map(entries) = root.value else {
        return Vec::new();
    };
    entries
        .into_iter()
        .find(|e| e.key.as_str() == Some("items"))
        .and_then(|e| match e.value.value {
            Value::Seq(items) => Some(items),
            _ => None,
        })
        .unwrap_or_default()
}

/// Typed lists from `kubectl get pods -o yaml` omit each item's kind and apiVersion.
fn with_list_defaults(item: Node, list_api_version: &str, list_kind: &str) -> Node {
    use crate::yaml::{Entry, Value};
    let pos = item.pos;
    let Value::Map(mut entries) = item.value else {
        return item;
    };
    let item_kind = list_kind.strip_suffix("List").unwrap_or(list_kind);
    let missing =
        |key: &str, entries: &[Entry]| !entries.iter().any(|e| e.key.as_str() == Some(key));
    if list_kind != "List" {
        if missing("kind", &entries) {
            entries.push(Entry {
                key: Node {
                    value: Value::Quoted("kind".into()),
                    pos,
                },
                value: Node {
                    value: Value::Quoted(item_kind.into()),
                    pos,
                },
            });
        }
        if missing("apiVersion", &entries) {
            entries.push(Entry {
                key: Node {
                    value: Value::Quoted("apiVersion".into()),
                    pos,
                },
                value: Node {
                    value: Value::Quoted(list_api_version.into()),
                    pos,
                },
            });
        }
    }
    Node {
        value: Value::Map(entries),
        pos,
    }
}

/// `# Source: chart/templates/x.yaml` comments in Helm output, with their lines.
struct HelmSources {
    comments: Vec<(u32, Arc<str>)>,
}

impl HelmSources {
    fn scan(text: &str) -> HelmSources {
        let mut comments = Vec::new();
        // Cheap pre-check keeps plain manifests from paying for the line walk.
        if text.contains("# Source: ") {
            for (i, line) in text.lines().enumerate() {
                if let Some(rest) = line.strip_prefix("# Source: ") {
                    let rest = rest.trim();
                    if !rest.is_empty() {
                        comments.push((clamp(i + 1), Arc::from(rest)));
                    }
                }
            }
        }
        HelmSources { comments }
    }

    /// The template whose comment sits between the document start and its first node.
    fn source_before(&self, node_line: u32, doc_start: u32) -> Option<(&Arc<str>, u32)> {
        let idx = self.comments.partition_point(|(l, _)| *l < node_line);
        let (line, path) = self.comments.get(idx.checked_sub(1)?)?;
        (*line >= doc_start.saturating_sub(1)).then_some((path, *line))
    }
}

/// All objects of a scan, with what could not be loaded.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Objects, in input order.
    pub objects: Vec<Object>,
    /// Load errors.
    pub errors: Vec<LoadError>,
    /// Load notes.
    pub notes: Vec<LoadNote>,
    /// Dockerfiles, in input order.
    pub dockerfiles: Vec<Dockerfile>,
    /// How many inputs were read.
    pub inputs: usize,
}

impl Inventory {
    /// Adds what one input produced.
    pub fn add(&mut self, loaded: Loaded) {
        self.inputs += 1;
        self.objects.extend(loaded.objects);
        self.errors.extend(loaded.errors);
        self.notes.extend(loaded.notes);
        self.dockerfiles.extend(loaded.dockerfiles);
    }

    /// Objects of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects.iter().filter(move |o| o.id.kind == kind)
    }

    /// Every namespace an object is in or declared: `Namespace` objects and the namespaces
    /// namespaced objects name.
    pub fn namespaces(&self) -> std::collections::BTreeSet<&str> {
        let mut set = std::collections::BTreeSet::new();
        for o in &self.objects {
            if o.is("Namespace") {
                set.insert(o.id.name.as_str());
            } else if let Some(ns) = o.id.namespace.as_deref() {
                set.insert(ns);
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        load_str("in.yaml", text, &LoadLimits::default())
    }

    #[test]
    fn objects_keep_identity_and_line() {
        let l = load("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: ns\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
        assert_eq!(l.objects.len(), 2);
        assert_eq!(l.objects[0].id.namespace.as_deref(), Some("ns"));
        assert_eq!(l.objects[1].id.kind, "Service");
        assert_eq!(l.objects[1].location().line, 7);
    }

    #[test]
    fn lists_are_unwrapped_with_defaults() {
        let l = load(
            "apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n- metadata: {name: b}\n",
        );
        assert_eq!(l.objects.len(), 2);
        assert_eq!(l.objects[0].id.kind, "Pod");
        assert_eq!(l.objects[1].id.api_version, "v1");
        assert_eq!(l.objects[1].location().line, 5);
    }

    #[test]
    fn helm_source_comments_become_the_path() {
        let text = "---\n# Source: app/templates/a.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\n# Source: app/templates/b.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n";
        let l = load(text);
        assert_eq!(&*l.objects[0].origin.path, "app/templates/a.yaml");
        assert_eq!(l.objects[0].location().line, 1);
        assert_eq!(&*l.objects[1].origin.path, "app/templates/b.yaml");
        let name = l.objects[1].root.get_path(&["metadata", "name"]).unwrap();
        assert_eq!(l.objects[1].location_of(name.pos).line, 4);
        assert_eq!(l.objects[1].origin.rendered_in.as_deref(), Some("in.yaml"));
    }

    #[test]
    fn non_objects_are_skipped_with_a_note() {
        let l = load("replicas: 3\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
        assert_eq!(l.objects.len(), 1);
        assert_eq!(l.notes.len(), 1);
        assert!(l.notes[0].message.contains("not a Kubernetes object"));
    }

    #[test]
    fn bad_utf8_is_an_error_at_its_line() {
        let l = load_bytes("x.yaml", b"a: 1\nb: \xff\n", &LoadLimits::default());
        assert_eq!(l.errors.len(), 1);
        assert_eq!(l.errors[0].line, Some(2));
        assert!(l.errors[0]
            .to_string()
            .starts_with("x.yaml:2:4: not valid UTF-8"));
    }

    #[test]
    fn oversized_input_is_refused() {
        let limits = LoadLimits {
            max_bytes: 4,
            ..LoadLimits::default()
        };
        let l = load_bytes("x.yaml", b"a: 12345", &limits);
        assert!(l.errors[0].message.contains("byte limit"));
    }

    #[test]
    fn syntax_error_reports_place_and_keeps_earlier_objects() {
        let l = load("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: [\n");
        assert_eq!(l.objects.len(), 1);
        assert_eq!(l.errors.len(), 1);
        assert!(l.errors[0].line.unwrap() >= 5);
    }
}
