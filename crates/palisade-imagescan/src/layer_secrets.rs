//! PAL-IMAGE-001: credentials in the files of every layer. Each layer's tar entries are
//! read once (`Image::for_each_layer_entry`), including files that a later layer deletes
//! or overwrites: they still ship in their layer. Only text files under the per-file cap
//! are judged (a NUL byte in the first 8000 bytes marks a binary file, git's test), within
//! a total budget of scanned bytes per image; package documentation is skipped (see
//! [`is_noise`]). Whether a file survives is read from the final view computed in the same
//! read; which later layer removed it, from the whiteouts and writers seen. Literals under
//! secret-like names in files a package manager installed are left out (`owned`).

use std::io::Read;
use std::sync::Arc;

use palisade_checks::secret_scan::{scan_text, SecretHit};
use palisade_core::{Emitter, ObjectRef, Severity};
use palisade_image::{Diagnostic, EntryKind, FinalView, Image, ScanReport, Whiteout};

use crate::owned::{is_package_db, Owned, MAX_DB_BYTES};
use crate::place::{describe_layer, in_layer};
use crate::rules::SECRET_IN_LAYER;
use crate::{Options, Stats};

/// Bytes git reads to decide whether a file is binary (`buffer_is_binary`).
const SNIFF: usize = 8000;

/// Findings listed per file; a generated file can hold thousands of hits.
const MAX_HITS_PER_FILE: usize = 10;

/// Paths whose content is documentation shipped by packages: examples there quote keys and
/// passwords for the reader (see docs/image-scan.md for the review that chose these).
const NOISE_PREFIXES: &[&str] = &[
    "usr/share/doc/",
    "usr/share/man/",
    "usr/share/info/",
    "usr/share/locale/",
];

/// Files whose format cannot hold a credential but whose keys read as secret-like names:
/// nsswitch.conf(5) maps databases (`passwd:`, `shadow:`) to lookup services (`files`).
const NO_SECRET_FILES: &[&str] = &["etc/nsswitch.conf"];

/// Whether a path is documentation or a file that cannot hold a secret; not read.
pub(crate) fn is_noise(path: &str) -> bool {
    NOISE_PREFIXES.iter().any(|p| path.starts_with(p)) || NO_SECRET_FILES.contains(&path)
}

/// A credential found in one layer's file.
struct FileHit {
    layer: usize,
    ordinal: u64,
    path: String,
    hit: SecretHit,
    /// Hits of the same file beyond the listed ones (set on the last listed hit).
    unlisted: usize,
}

/// A whiteout seen in a layer, owned.
struct Removal {
    layer: usize,
    /// Deleted path, or directory whose lower children are hidden.
    path: String,
    opaque: bool,
}

/// What the layer walk gathered.
pub(crate) struct LayerScan {
    hits: Vec<FileHit>,
    removals: Vec<Removal>,
    /// The final view and the reader's diagnostics.
    pub report: ScanReport,
}

/// Walks every layer's entries and judges the text files.
pub(crate) fn walk(image: &Image, options: &Options, stats: &mut Stats) -> LayerScan {
    let mut hits = Vec::new();
    let mut removals = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut budget = options.max_scanned_bytes;
    let mut cap_diag: Option<Diagnostic> = None;
    let mut owned = Owned::default();
    let report = image.for_each_layer_entry(&options.limits, |entry, reader| {
        if let Some(w) = entry.whiteout {
            let (path, opaque) = match w {
                Whiteout::Delete(p) => (p, false),
                Whiteout::Opaque(p) => (p, true),
            };
            removals.push(Removal {
                layer: entry.layer.index,
                path: path.to_string(),
                opaque,
            });
            return;
        }
        if entry.kind != EntryKind::File || entry.size == 0 {
            return;
        }
        if is_package_db(entry.path) {
            // File lists, not secrets: read (within their own cap) to know what packages wrote.
            buf.clear();
            if reader.take(MAX_DB_BYTES).read_to_end(&mut buf).is_ok() {
                owned.add(
                    entry.layer.index,
                    entry.path,
                    &String::from_utf8_lossy(&buf),
                );
            }
            return;
        }
        if is_noise(entry.path) {
            stats.skipped_noise += 1;
            return;
        }
        if entry.size > options.max_file_bytes {
            stats.skipped_large += 1;
            return;
        }
        if entry.size > budget {
            stats.skipped_budget += 1;
            if cap_diag.is_none() {
                cap_diag = Some(Diagnostic {
                    severity: palisade_image::Severity::Warning,
                    layer: Some(entry.layer.index),
                    digest: Some(entry.layer.digest.clone()),
                    path: Some(entry.path.to_string()),
                    message: format!(
                        "secret scan budget of {} bytes per image used up; this file and \
                         later ones are not judged for secrets",
                        options.max_scanned_bytes
                    ),
                });
            }
            return;
        }
        buf.clear();
        let head = usize::try_from(entry.size).unwrap_or(usize::MAX).min(SNIFF);
        if reader.take(head as u64).read_to_end(&mut buf).is_err() {
            return; // the layer's read error is reported by the walk itself
        }
        if buf.contains(&0) {
            stats.skipped_binary += 1;
            return;
        }
        let rest = entry.size.saturating_sub(buf.len() as u64);
        if rest > 0 && reader.take(rest).read_to_end(&mut buf).is_err() {
            return;
        }
        budget = budget.saturating_sub(buf.len() as u64);
        stats.files_scanned += 1;
        stats.bytes_scanned += buf.len() as u64;
        let text = String::from_utf8_lossy(&buf);
        let found = scan_text(&text);
        let total = found.len();
        for (i, hit) in found.into_iter().take(MAX_HITS_PER_FILE).enumerate() {
            let last = i + 1 == total.min(MAX_HITS_PER_FILE);
            hits.push(FileHit {
                layer: entry.layer.index,
                ordinal: entry.ordinal,
                path: entry.path.to_string(),
                hit,
                unlisted: if last {
                    total.saturating_sub(MAX_HITS_PER_FILE)
                } else {
                    0
                },
            });
        }
    });
    let mut report = report;
    report.diagnostics.extend(cap_diag);
    // Literals under secret-like names in files a package manager wrote are the package's
    // defaults (see `owned`); known formats stay.
    let before = hits.len();
    hits.retain(|h| h.hit.known_format || !owned.contains(h.layer, &h.path));
    stats.package_defaults = (before - hits.len()) as u64;
    LayerScan {
        hits,
        removals,
        report,
    }
}

/// How a file of a layer ended up in the final filesystem.
#[derive(Debug, PartialEq, Eq)]
enum Fate {
    /// It is the final version of its path.
    Present,
    /// A later layer (or a later entry of the same layer) deleted or replaced it.
    RemovedBy { layer: usize, replaced: bool },
    /// It is not in the final filesystem, for a reason not tracked here (a move through a
    /// symlinked directory, a read cut short).
    Absent,
}

fn fate(hit: &FileHit, view: &FinalView, removals: &[Removal]) -> Fate {
    let path = hit.path.as_str();
    let node = view.nodes.get(path);
    if node.is_some_and(|n| n.layer == hit.layer && n.ordinal == hit.ordinal) {
        return Fate::Present;
    }
    let under =
        |dir: &str| dir.is_empty() || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'));
    let deleted = removals
        .iter()
        .filter(|r| r.layer > hit.layer)
        .filter(|r| {
            if r.opaque {
                under(&r.path)
            } else {
                r.path == path || under(&r.path)
            }
        })
        .map(|r| r.layer)
        .min();
    // Replaced: the final writer of the path (or of an ancestor turned into a non-directory).
    let mut replaced = node.filter(|n| n.layer >= hit.layer).map(|n| n.layer);
    let mut dir = path;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        if let Some(n) = view.nodes.get(parent) {
            if n.kind != EntryKind::Dir && n.layer > hit.layer {
                replaced = Some(replaced.map_or(n.layer, |r| r.min(n.layer)));
            }
        }
        dir = parent;
    }
    match (deleted, replaced) {
        (Some(d), Some(r)) if r < d => Fate::RemovedBy {
            layer: r,
            replaced: true,
        },
        (Some(d), _) => Fate::RemovedBy {
            layer: d,
            replaced: false,
        },
        (None, Some(r)) => Fate::RemovedBy {
            layer: r,
            replaced: true,
        },
        (None, None) => Fate::Absent,
    }
}

/// Reports the hits of the walk.
pub(crate) fn report(
    image: &Image,
    subject: &str,
    object: &Arc<ObjectRef>,
    scan: &LayerScan,
    em: &mut Emitter,
) {
    for h in &scan.hits {
        let Some(layer) = image.layers.get(h.layer) else {
            continue;
        };
        let what = match (&h.hit.name, h.hit.known_format) {
            (Some(name), false) => format!("a literal value under the secret-like name `{name}`"),
            _ => format!("a {}", h.hit.kind),
        };
        let mut message = format!(
            "`/{}` in {} holds {what} ({})",
            h.path,
            describe_layer(layer),
            h.hit.redacted
        );
        match fate(h, &scan.report.view, &scan.removals) {
            Fate::Present => {}
            Fate::RemovedBy {
                layer: by,
                replaced,
            } => {
                let how = if replaced { "overwritten" } else { "deleted" };
                let by_text = if by == h.layer {
                    "later in the same layer".to_string()
                } else {
                    let by_layer = image.layers.get(by);
                    by_layer.map_or_else(
                        || format!("by layer {by}"),
                        |l| format!("by {}", describe_layer(l)),
                    )
                };
                message.push_str(&format!(
                    "; {how} {by_text}, but still shipped in layer {}",
                    h.layer
                ));
            }
            Fate::Absent => message.push_str(&format!(
                "; not in the final filesystem, but still shipped in layer {}",
                h.layer
            )),
        }
        if h.unlisted > 0 {
            message.push_str(&format!("; {} more in this file not listed", h.unlisted));
        }
        let severity = if h.hit.known_format {
            Severity::High
        } else {
            Severity::Medium
        };
        let location = in_layer(subject, layer, &h.path, h.hit.line.unwrap_or(1));
        if let Some(f) = em.emit_graded_at(&SECRET_IN_LAYER, severity, object, location, message) {
            f.evidence = Some(h.hit.redacted.clone().into());
        }
    }
}
