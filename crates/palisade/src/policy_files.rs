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
    for (p, _) in policy_files(paths)? {
        if p.extension().and_then(|e| e.to_str()) == Some("rego") {
            rego.push((
                p.display().to_string(),
                std::fs::read_to_string(&p)
                    .with_context(|| format!("cannot read {}", p.display()))?,
            ));
        } else {
            yaml.push(p.display().to_string());
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

/// The policy files under `paths` (`*.yaml`, `*.yml`, `*.json`, `*.rego`), in name order, each
/// with its path relative to the path given. Symbolic links are followed and names starting
/// with `..` skipped: a mounted ConfigMap shows each key as a link into a hidden `..data`
/// directory, which would otherwise be read twice or not at all.
pub fn policy_files(paths: &[PathBuf]) -> anyhow::Result<Vec<(PathBuf, PathBuf)>> {
    let mut out = Vec::new();
    for path in paths {
        let walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with(".."));
        for entry in walker {
            let entry = entry.with_context(|| format!("reading {}", path.display()))?;
            let p = entry.path();
            let policy = matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("rego" | "yaml" | "yml" | "json")
            );
            if entry.file_type().is_file() && policy {
                let relative = p.strip_prefix(path).unwrap_or(p).to_path_buf();
                out.push((p.to_path_buf(), relative));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ConfigMap volume as the kubelet writes it: `..2026_…/KEY` files, `..data` linking to
    /// that directory, and each `KEY` linking to `..data/KEY`.
    #[test]
    fn a_mounted_config_map_is_read_once_per_key() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let real = dir.path().join("..2026_11_30_14_00_00.123");
        std::fs::create_dir(&real)?;
        std::fs::write(real.join("a.rego"), "package a\ndeny[m] { m := \"x\" }\n")?;
        std::fs::write(
            real.join("b.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\n",
        )?;
        std::os::unix::fs::symlink("..2026_11_30_14_00_00.123", dir.path().join("..data"))?;
        for key in ["a.rego", "b.yaml"] {
            std::os::unix::fs::symlink(format!("..data/{key}"), dir.path().join(key))?;
        }
        let found = policy_files(&[dir.path().to_path_buf()])?;
        let names: Vec<String> = found.iter().map(|(_, r)| r.display().to_string()).collect();
        assert_eq!(names, ["a.rego", "b.yaml"]);
        let (set, diagnostics) = load(&[dir.path().to_path_buf()])?;
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(!set.is_empty());
        Ok(())
    }
}
