//! Pass two of a scan: stream each layer again and hand the visitor only the entries that
//! survive in the final filesystem, with their content. Together with pass one this reads
//! each layer at most twice and never writes it to disk; memory is the final view plus one
//! list of surviving ordinals per layer.

use std::io::Read;

use crate::entries::{each_entry, Budget, Flow};
use crate::model::{Diagnostic, FileEntry, LayerEntry, Limits, Severity};
use crate::source::Image;
use crate::view::{final_view, final_view_visiting, FinalView};

/// What a scan found besides the files it visited.
#[derive(Debug, Default)]
pub struct ScanReport {
    /// The final filesystem (path → layer that added it).
    pub view: FinalView,
    /// Problems, each naming its layer where it has one.
    pub diagnostics: Vec<Diagnostic>,
}

impl Image {
    /// Computes the final filesystem without reading any file content.
    pub fn final_view(&self, limits: &Limits) -> ScanReport {
        let result = final_view(self, limits);
        ScanReport {
            view: result.view,
            diagnostics: self
                .diagnostics
                .iter()
                .cloned()
                .chain(result.diagnostics)
                .collect(),
        }
    }

    /// Calls `visit` once for every tar entry of every layer, base layer first and in each
    /// layer's order, with a reader of its content (empty for anything but a regular file):
    /// files a later layer deletes or overwrites are visited too, since they still ship in
    /// their layer, and whiteout markers are visited with [`LayerEntry::whiteout`] set.
    /// Each layer is read once, under `limits`; the returned report holds the final view
    /// computed in the same read, so a visitor can tell afterwards whether an entry
    /// survives (`view.nodes[path]` is its layer and ordinal).
    pub fn for_each_layer_entry(
        &self,
        limits: &Limits,
        mut visit: impl FnMut(&LayerEntry<'_>, &mut dyn Read),
    ) -> ScanReport {
        let result = final_view_visiting(self, limits, Some(&mut visit));
        ScanReport {
            view: result.view,
            diagnostics: self
                .diagnostics
                .iter()
                .cloned()
                .chain(result.diagnostics)
                .collect(),
        }
    }

    /// Calls `visit` once for every entry of the final filesystem (files, directories,
    /// links), layer by layer and in each layer's order, with a reader of the content (empty
    /// for anything but a regular file). A visitor may read as little as it wants.
    pub fn for_each_file(
        &self,
        limits: &Limits,
        mut visit: impl FnMut(&FileEntry<'_>, &mut dyn Read),
    ) -> ScanReport {
        let pass1 = final_view(self, limits);
        let mut diagnostics: Vec<Diagnostic> = self
            .diagnostics
            .iter()
            .cloned()
            .chain(pass1.diagnostics)
            .collect();
        // Per layer, the surviving (ordinal, final path), in ordinal order.
        let mut survivors: Vec<Vec<(u64, &str)>> = vec![Vec::new(); self.layers.len()];
        for (path, node) in &pass1.view.nodes {
            if let Some(list) = survivors.get_mut(node.layer) {
                list.push((node.ordinal, path.as_str()));
            }
        }
        for list in &mut survivors {
            list.sort_unstable();
        }
        let budget = Budget::new(limits);
        for (layer, wanted) in self.layers.iter().zip(&survivors) {
            if wanted.is_empty() {
                continue;
            }
            let mut next = 0;
            let mut ordinal: u64 = 0;
            let result = each_entry(self, layer, limits, &budget, &mut |raw, reader| {
                let this = ordinal;
                ordinal += 1;
                let Some(&(want, path)) = wanted.get(next) else {
                    return Flow::Stop;
                };
                if this != want {
                    return Flow::Next;
                }
                next += 1;
                let node = &pass1.view.nodes[path];
                let entry = FileEntry {
                    path,
                    kind: raw.kind,
                    size: raw.size,
                    mode: raw.mode,
                    uid: raw.uid,
                    gid: raw.gid,
                    link_target: node.link.as_deref(),
                    layer,
                };
                visit(&entry, reader);
                if next == wanted.len() {
                    Flow::Stop
                } else {
                    Flow::Next
                }
            });
            if let Err(failure) = result {
                if !pass1.failed_layers.contains(&layer.index) {
                    diagnostics.push(Diagnostic {
                        severity: Severity::Error,
                        layer: Some(layer.index),
                        digest: Some(layer.digest.clone()),
                        path: None,
                        message: format!("{} (on the second read)", failure.message),
                    });
                }
            }
        }
        ScanReport {
            view: pass1.view,
            diagnostics,
        }
    }
}
