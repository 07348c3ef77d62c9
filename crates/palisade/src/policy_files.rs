//! User policies from files (`--policies PATH` of `palisade scan` and `palisade serve`):
//! YAML objects (Gatekeeper ConstraintTemplates and Constraints, ValidatingAdmissionPolicies
//! and bindings) through the scan's loader, `*.rego` files as plain modules.

use std::path::PathBuf;

use anyhow::{bail, Context};
use palisade_core::inventory::LoadLimits;
use palisade_core::Inventory;
use palisade_policy::{Diagnostic, PolicySet};

/// The policies under `paths`, and what could not be used (each with its place; the rest
/// loads). A file that cannot be read or parsed is an error.
pub fn load(paths: &[PathBuf]) -> anyhow::Result<(PolicySet, Vec<Diagnostic>)> {
    let mut yaml = Vec::new();
    let mut rego: Vec<(String, String)> = Vec::new();
    for path in paths {
        let walker = walkdir::WalkDir::new(path).sort_by_file_name();
        for entry in walker {
            let entry = entry.with_context(|| format!("reading {}", path.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let p = entry.path();
            match p.extension().and_then(|e| e.to_str()) {
                Some("rego") => rego.push((
                    p.display().to_string(),
                    std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read {}", p.display()))?,
                )),
                Some("yaml" | "yml" | "json") => yaml.push(p.display().to_string()),
                _ => {}
            }
        }
    }
    let inventory = crate::input::load(&yaml, None, &LoadLimits::default());
    if let Some(err) = inventory.errors.first() {
        bail!("{err}");
    }
    let modules: Vec<(&str, &str)> = rego.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    Ok(PolicySet::from_sources(
        &inventory.objects,
        &modules,
        palisade_policy::Limits::default(),
    ))
}

/// Policy problems as the scan reports them: errors (a template that did not compile, a
/// constraint without its template) with the load errors, notes with the notes.
pub fn report_problems(diagnostics: Vec<Diagnostic>, inventory: &mut Inventory) {
    let (errors, notes) = palisade_policy::into_load_problems(diagnostics);
    inventory.errors.extend(errors);
    inventory.notes.extend(notes);
}
