//! Control-plane components and the flags they run with, read from kubeadm's static pod
//! manifests (`command` then `args` of the component's container, the way the kubelet starts
//! it: the first `command` word is the binary) and, for etcd, `ETCD_*` environment variables
//! (etcd's `flags.SetFlagsFromEnv` fills a flag from `ETCD_<NAME>` only when the command
//! line did not set it).

use std::sync::Arc;

use palisade_core::yaml::{self, Limits, Node};
use palisade_core::{LoadError, LoadNote, Location};

use super::flags::{FlagUse, Flags, Origin, Token};
use crate::result::{at, NodeAudit};
use crate::root::{NodeRoot, ReadOutcome};

/// Whether a component's configuration could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Read; its flags are known.
    Loaded,
    /// Expected on this node, but its file is missing.
    Missing,
    /// Its file exists but could not be used (the reason).
    Broken(String),
    /// Not on this node at all (a worker, or a datastore that is not etcd), with why.
    Absent(&'static str),
}

/// One component with its effective flags.
#[derive(Debug, Clone)]
pub struct Component {
    /// `kube-apiserver`, `kube-controller-manager`, `kube-scheduler`, `etcd`.
    pub name: &'static str,
    /// The node path of the file that configures it.
    pub file: String,
    /// Whether it was read.
    pub state: State,
    /// Its flags.
    pub flags: Flags,
    /// Where to point when a flag is missing: the container's `command`, or the file.
    pub anchor: Location,
}

impl Component {
    /// A component that is not on this node.
    pub fn absent(name: &'static str, file: &str, why: &'static str) -> Component {
        Component {
            name,
            file: file.to_string(),
            state: State::Absent(why),
            flags: Flags::default(),
            anchor: at(file, 1),
        }
    }
}

/// Reads a YAML (or JSON) file under the root: its first document, or why not. Errors go to
/// the audit with their place; duplicate keys become notes.
pub fn read_yaml(root: &NodeRoot, path: &str, audit: &mut NodeAudit) -> Result<Node, State> {
    let text = match root.read(path) {
        ReadOutcome::Text(t) => t,
        ReadOutcome::Missing => return Err(State::Missing),
        ReadOutcome::Error(e) => {
            audit
                .errors
                .push(LoadError::whole(&Arc::from(path), e.clone()));
            return Err(State::Broken(e));
        }
    };
    audit.inputs += 1;
    let stream = yaml::parse_stream(&text, &Limits::default());
    let p: Arc<str> = Arc::from(path);
    if let Some(err) = &stream.error {
        audit.errors.push(LoadError::at(
            &p,
            err.pos,
            format!("invalid YAML: {}", err.message),
        ));
        if stream.documents.is_empty() {
            return Err(State::Broken(format!(
                "invalid YAML at line {}: {}",
                err.pos.line, err.message
            )));
        }
    }
    let Some(doc) = stream.documents.into_iter().find(|d| !d.root.is_null()) else {
        return Err(State::Broken("the file is empty".into()));
    };
    for dup in &doc.duplicate_keys {
        audit.notes.push(LoadNote {
            location: at(path, dup.again.line),
            message: format!(
                "key `{}` is written twice (first at line {}); the last value is used",
                dup.key, dup.first.line
            ),
        });
    }
    if doc.root.as_map().is_none() {
        return Err(State::Broken("not a YAML mapping".into()));
    }
    Ok(doc.root)
}

/// Loads a kubeadm static pod manifest.
pub fn from_manifest(
    root: &NodeRoot,
    name: &'static str,
    path: &str,
    audit: &mut NodeAudit,
) -> Component {
    let mut comp = Component {
        name,
        file: path.to_string(),
        state: State::Loaded,
        flags: Flags::default(),
        anchor: at(path, 1),
    };
    let doc = match read_yaml(root, path, audit) {
        Ok(d) => d,
        Err(state) => {
            comp.state = state;
            return comp;
        }
    };
    let containers = doc
        .get_path(&["spec", "containers"])
        .map(Node::items)
        .unwrap_or(&[]);
    // The component's container by name, else the first (kubeadm names it after the binary).
    let Some(container) = containers
        .iter()
        .find(|c| c.get("name").and_then(Node::as_str) == Some(name))
        .or_else(|| containers.first())
    else {
        comp.state = State::Broken("no container under spec.containers".into());
        return comp;
    };
    let command = container.get("command").map(Node::items).unwrap_or(&[]);
    let args = container.get("args").map(Node::items).unwrap_or(&[]);
    if let Some(pos) = container
        .entry("command")
        .or_else(|| container.entry("args"))
        .map(|e| e.key.pos)
    {
        comp.anchor = at(path, pos.line);
    }
    let words: Vec<Token> = command
        .iter()
        .skip(1)
        .chain(args)
        .filter_map(|n| {
            Some(Token {
                text: n.scalar_text()?.to_string(),
                origin: Origin::File(at(path, n.pos.line)),
            })
        })
        .collect();
    if command.is_empty() && args.is_empty() {
        comp.state = State::Broken("the container has no command or args".into());
        return comp;
    }
    comp.flags = Flags::parse(&words);
    if name == "etcd" {
        add_etcd_env(&mut comp, container, path);
    }
    for p in &comp.flags.problems {
        audit.notes.push(LoadNote {
            location: p.origin.location_or(&comp.anchor),
            message: format!("{name}: {}", p.message),
        });
    }
    comp
}

/// etcd reads `ETCD_<FLAG>` for flags the command line left unset.
fn add_etcd_env(comp: &mut Component, container: &Node, path: &str) {
    for var in container.get("env").map(Node::items).unwrap_or(&[]) {
        let (Some(key), Some(value)) = (
            var.get("name").and_then(Node::as_str),
            var.get("value").and_then(Node::scalar_text),
        ) else {
            continue;
        };
        let Some(flag) = key.strip_prefix("ETCD_") else {
            continue;
        };
        let flag = flag.to_ascii_lowercase().replace('_', "-");
        if comp.flags.last(&flag).is_none() {
            comp.flags.push(FlagUse {
                name: flag,
                value: value.to_string(),
                origin: Origin::File(at(path, var.pos.line)),
            });
        }
    }
}
