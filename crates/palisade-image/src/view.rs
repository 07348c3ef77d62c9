//! Pass one of a scan: read every layer's headers (content is skipped) and compute the
//! final filesystem, applying whiteouts the way the OCI image spec's "Applying changesets"
//! describes them (and as containerd's `archive.Apply` and overlayfs do): a `.wh.NAME`
//! entry deletes NAME from the lower layers, `.wh..wh..opq` hides all lower-layer
//! children of its directory, and a whiteout never hides an entry of its own layer.
//! Memory is one small node per final path, bounded by `Limits::max_entries`.

use std::collections::{BTreeMap, VecDeque};

use std::io::Read;

use crate::entries::{each_entry, Budget, Flow, RawEntry};
use crate::model::{
    Diagnostic, EntryKind, Layer, LayerEntry, Limits, Severity, SourceKind, Whiteout,
};
use crate::path::{file_name, join_link, normalize, parent, PathError};
use crate::source::Image;

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";
/// Symlinks followed at most this many times in one resolution (Linux's MAXSYMLINKS).
const MAX_HOPS: usize = 40;

/// One path of the final filesystem and the entry that put it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Index of the layer that added it.
    pub layer: usize,
    /// Position of the entry within its layer (0-based, counting every tar entry).
    pub ordinal: u64,
    /// What it is.
    pub kind: EntryKind,
    /// Symlink target as written, or the normalized target path of a hard link.
    pub link: Option<Box<str>>,
}

/// The final filesystem of an image: path → node.
#[derive(Debug, Default)]
pub struct FinalView {
    /// Every surviving path, sorted.
    pub nodes: BTreeMap<String, Node>,
}

impl FinalView {
    /// Resolves `path` inside the image root, following symlinks in every component (the
    /// last one too when `follow_last`); an absolute target starts at the image root and
    /// `..` stops at the root, so resolution never leaves the image. `None` for a loop.
    pub fn resolve(&self, path: &str, follow_last: bool) -> Option<String> {
        self.resolve_inner(path, follow_last).map(|(p, _)| p)
    }

    /// As [`FinalView::resolve`], also telling whether some link climbed above the root.
    fn resolve_inner(&self, path: &str, follow_last: bool) -> Option<(String, bool)> {
        let mut todo: VecDeque<String> = split(path);
        let mut cur = String::new();
        let mut hops = 0;
        let mut escaped = false;
        while let Some(comp) = todo.pop_front() {
            let cand = if cur.is_empty() {
                comp
            } else {
                format!("{cur}/{comp}")
            };
            if follow_last || !todo.is_empty() {
                if let Some(Node {
                    kind: EntryKind::Symlink,
                    link: Some(target),
                    ..
                }) = self.nodes.get(&cand)
                {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return None;
                    }
                    let (joined, out) = join_link(&cur, target);
                    escaped |= out;
                    let mut rest = split(&joined);
                    rest.extend(todo);
                    todo = rest;
                    cur = String::new();
                    continue;
                }
            }
            cur = cand;
        }
        Some((cur, escaped))
    }

    /// Removes `dir`'s descendants (and `dir` itself when `with_self`) that came from
    /// layers below `layer`.
    fn remove_lower(&mut self, dir: &str, with_self: bool, layer: usize) {
        if with_self && self.nodes.get(dir).is_some_and(|n| n.layer < layer) {
            self.nodes.remove(dir);
        }
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, n)| n.layer < layer)
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }
}

/// Adds a node; a non-directory replacing a lower directory hides the directory's contents.
fn insert(view: &mut FinalView, path: String, node: Node) {
    if node.kind != EntryKind::Dir
        && view
            .nodes
            .get(&path)
            .is_some_and(|n| n.kind == EntryKind::Dir)
    {
        view.remove_lower(&path, false, node.layer);
    }
    view.nodes.insert(path, node);
}

/// The entry handed to a visitor for a whiteout file (`path` is the `.wh.` entry itself).
fn whiteout_entry<'a>(
    path: &'a str,
    raw: &RawEntry<'_>,
    layer: &'a Layer,
    ordinal: u64,
    whiteout: Whiteout<'a>,
) -> LayerEntry<'a> {
    LayerEntry {
        path,
        kind: raw.kind,
        size: raw.size,
        mode: raw.mode,
        uid: raw.uid,
        gid: raw.gid,
        link_target: None,
        layer,
        ordinal,
        whiteout: Some(whiteout),
    }
}

fn split(path: &str) -> VecDeque<String> {
    path.split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// Pass one's result.
#[derive(Debug, Default)]
pub struct ViewResult {
    /// The final filesystem.
    pub view: FinalView,
    /// Problems, each naming its layer.
    pub diagnostics: Vec<Diagnostic>,
    /// Layers that could not be read to their end (pass two does not report them again).
    pub failed_layers: Vec<usize>,
    /// Whether reading stopped early for the whole image (entry or total byte limit).
    pub stopped: bool,
}

/// Computes the final filesystem of `image` within `limits`.
pub fn final_view(image: &Image, limits: &Limits) -> ViewResult {
    final_view_visiting(image, limits, None)
}

/// What pass one hands a layer-entry visitor: each entry as placed, with its content.
pub(crate) type LayerVisit<'v> = &'v mut dyn FnMut(&LayerEntry<'_>, &mut dyn Read);

/// [`final_view`], also handing `visit` every entry of every layer in order (whiteouts
/// included, entries later hidden or replaced included) with a reader of its content, in
/// the same single read of each layer.
pub(crate) fn final_view_visiting(
    image: &Image,
    limits: &Limits,
    mut visit: Option<LayerVisit<'_>>,
) -> ViewResult {
    let mut out = ViewResult::default();
    let budget = Budget::new(limits);
    let mut entries_seen: u64 = 0;
    let whiteouts_apply = image.source != SourceKind::Rootfs;
    for layer in &image.layers {
        let diag = |severity, path: Option<String>, message: String| Diagnostic {
            severity,
            layer: Some(layer.index),
            digest: Some(layer.digest.clone()),
            path,
            message,
        };
        let mut whiteouts: Vec<String> = Vec::new();
        let mut opaque: Vec<String> = Vec::new();
        let mut ordinal: u64 = 0;
        let mut diags = Vec::new();
        let mut entry_limit = false;
        let view = &mut out.view;
        // An entry joins the view only once the reader has moved past its content: a
        // layer cut inside a file must not leave that file in the view (pass two could not
        // hand out its content).
        let mut pending: Option<(String, Node)> = None;
        let result = each_entry(image, layer, limits, &budget, &mut |raw, reader| {
            if let Some((path, node)) = pending.take() {
                insert(view, path, node);
            }
            let this = ordinal;
            ordinal += 1;
            entries_seen += 1;
            if entries_seen > limits.max_entries {
                entry_limit = true;
                diags.push(diag(
                    Severity::Error,
                    None,
                    format!(
                        "more than {} entries; the rest of the image is not read",
                        limits.max_entries
                    ),
                ));
                return Flow::Stop;
            }
            if raw.path.len() > limits.max_path_len {
                let shown =
                    String::from_utf8_lossy(&raw.path[..64.min(raw.path.len())]).into_owned();
                diags.push(diag(
                    Severity::Error,
                    Some(shown),
                    format!(
                        "path longer than {} bytes; entry skipped",
                        limits.max_path_len
                    ),
                ));
                return Flow::Next;
            }
            let path = match normalize(&raw.path) {
                Ok(p) => p,
                Err(e) => {
                    let shown = String::from_utf8_lossy(&raw.path).into_owned();
                    let why = match e {
                        PathError::Escapes => "path climbs above the image root; entry skipped",
                        PathError::Invalid => "path is not valid UTF-8; entry skipped",
                    };
                    diags.push(diag(Severity::Error, Some(shown), why.into()));
                    return Flow::Next;
                }
            };
            if path.is_empty() {
                return Flow::Next; // the root directory itself
            }
            let name = file_name(&path);
            if whiteouts_apply && name.starts_with(WHITEOUT) {
                // The whiteout's directory is resolved like any entry's (a whiteout under a
                // symlinked directory deletes in the link's target, still inside the root).
                let Some((dir, _)) = view.resolve_inner(parent(&path), true) else {
                    diags.push(diag(
                        Severity::Error,
                        Some(path.clone()),
                        "parent directory is a symlink loop; whiteout ignored".into(),
                    ));
                    return Flow::Next;
                };
                if name == OPAQUE {
                    if let Some(v) = visit.as_deref_mut() {
                        let entry =
                            whiteout_entry(&path, &raw, layer, this, Whiteout::Opaque(&dir));
                        v(&entry, reader);
                    }
                    opaque.push(dir);
                } else {
                    let target = &name[WHITEOUT.len()..];
                    if target.is_empty() {
                        diags.push(diag(
                            Severity::Error,
                            Some(path.clone()),
                            "whiteout names no file; ignored".into(),
                        ));
                        return Flow::Next;
                    }
                    let deleted = if dir.is_empty() {
                        target.to_string()
                    } else {
                        format!("{dir}/{target}")
                    };
                    if let Some(v) = visit.as_deref_mut() {
                        let entry =
                            whiteout_entry(&path, &raw, layer, this, Whiteout::Delete(&deleted));
                        v(&entry, reader);
                    }
                    whiteouts.push(deleted);
                }
                return Flow::Next;
            }
            // An entry under a symlinked directory lands where the link points, inside the
            // root (containerd's `fs.RootPath`).
            let dir = parent(&path);
            let placed = match view.resolve_inner(dir, true) {
                Some((resolved, escaped)) => {
                    let placed = if resolved.is_empty() {
                        name.to_string()
                    } else {
                        format!("{resolved}/{name}")
                    };
                    if resolved != dir {
                        let how = if escaped {
                            "through a symlink that points above the root (kept inside the root)"
                        } else {
                            "through a symlink"
                        };
                        diags.push(diag(
                            Severity::Warning,
                            Some(path.clone()),
                            format!("written {how}; placed at {placed}"),
                        ));
                    }
                    placed
                }
                None => {
                    diags.push(diag(
                        Severity::Error,
                        Some(path.clone()),
                        "parent directory is a symlink loop; entry skipped".into(),
                    ));
                    return Flow::Next;
                }
            };
            let link = match (raw.kind, raw.link.as_deref()) {
                (EntryKind::Symlink, Some(target)) => {
                    let target = String::from_utf8_lossy(target).into_owned();
                    if join_link(parent(&placed), &target).1 {
                        diags.push(diag(Severity::Warning, Some(placed.clone()), format!("symlink target {target:?} points above the image root; resolved inside the root")));
                    }
                    Some(target.into_boxed_str())
                }
                (EntryKind::HardLink, Some(target)) => match normalize(target) {
                    Ok(t) if view.nodes.contains_key(&t) => Some(t.into_boxed_str()),
                    Ok(t) => {
                        diags.push(diag(
                            Severity::Error,
                            Some(placed.clone()),
                            format!("hard link to missing target {t}"),
                        ));
                        Some(t.into_boxed_str())
                    }
                    Err(_) => {
                        diags.push(diag(
                            Severity::Error,
                            Some(placed.clone()),
                            "hard link target climbs above the image root; entry skipped".into(),
                        ));
                        return Flow::Next;
                    }
                },
                _ => None,
            };
            if let Some(v) = visit.as_deref_mut() {
                let entry = LayerEntry {
                    path: &placed,
                    kind: raw.kind,
                    size: raw.size,
                    mode: raw.mode,
                    uid: raw.uid,
                    gid: raw.gid,
                    link_target: link.as_deref(),
                    layer,
                    ordinal: this,
                    whiteout: None,
                };
                v(&entry, reader);
            }
            pending = Some((
                placed,
                Node {
                    layer: layer.index,
                    ordinal: this,
                    kind: raw.kind,
                    link,
                },
            ));
            Flow::Next
        });
        if result.is_ok() {
            if let Some((path, node)) = pending.take() {
                insert(&mut out.view, path, node);
            }
        }
        out.diagnostics.append(&mut diags);
        for dir in &opaque {
            out.view.remove_lower(dir, false, layer.index);
        }
        for path in &whiteouts {
            out.view.remove_lower(path, true, layer.index);
        }
        if let Err(failure) = result {
            out.failed_layers.push(layer.index);
            let rest = if failure.limit {
                "; entries read before the limit are kept"
            } else {
                "; entries read before the error are kept"
            };
            out.diagnostics.push(diag(
                Severity::Error,
                None,
                format!("{}{rest}", failure.message),
            ));
            if budget.total_left.get() == 0 {
                out.stopped = true;
                break;
            }
        }
        if entry_limit {
            out.stopped = true;
            break;
        }
    }
    out
}
