//! Finding and reading inputs: files, directories (recursively) and stdin. Reading and
//! parsing run in parallel; what cannot be read becomes a load error and the rest goes on.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use palisade_core::inventory::{load_bytes, load_dockerfile, LoadLimits, Loaded};
use palisade_core::{Inventory, LoadError, LoadNote, Location};
use rayon::prelude::*;

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file, and whether it was named on the command line (not found in a directory).
    File(PathBuf, bool),
    Stdin,
}

/// Extensions scanned inside directories (explicitly named files are read whatever their
/// extension).
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

fn is_manifest(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        MANIFEST_EXTENSIONS
            .iter()
            .any(|m| e.eq_ignore_ascii_case(m))
    })
}

/// Dockerfile names, as Trivy and Checkov match them by default: `Dockerfile`,
/// `Dockerfile.<suffix>`, `<prefix>.Dockerfile`, and the same with `Containerfile`, in any
/// case. A manifest extension wins (`Dockerfile.yaml` is YAML), and `.dockerignore` files
/// (`Dockerfile.dockerignore`) are not Dockerfiles.
pub(crate) fn is_dockerfile(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if is_manifest(path) {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") || lower.ends_with(".containerignore") {
        return false;
    }
    ["dockerfile", "containerfile"].iter().any(|base| {
        lower == *base
            || lower
                .strip_prefix(base)
                .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.'))
            || lower
                .strip_suffix(base)
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.'))
    })
}

/// Expands the command-line paths into inputs, in a stable order. `skip` (the config file)
/// is never scanned as a manifest. Paths that cannot be read become errors.
pub fn expand(paths: &[String], skip: Option<&Path>, errors: &mut Vec<LoadError>) -> Vec<Input> {
    let skip = skip.and_then(|p| fs::canonicalize(p).ok());
    let is_skipped = |p: &Path| {
        skip.as_ref()
            .is_some_and(|s| fs::canonicalize(p).ok().as_ref() == Some(s))
    };
    let mut inputs = Vec::new();
    for arg in paths {
        if arg == "-" {
            if !inputs.contains(&Input::Stdin) {
                inputs.push(Input::Stdin);
            }
            continue;
        }
        let path = Path::new(arg);
        match fs::metadata(path) {
            Err(err) => errors.push(LoadError::whole(
                &arg.as_str().into(),
                format!("cannot read: {err}"),
            )),
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                let walker = walkdir::WalkDir::new(path)
                    .follow_links(false)
                    .into_iter()
                    // Hidden directories (.git, .github, ...) are not manifests.
                    .filter_entry(|e| {
                        e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                    });
                for entry in walker {
                    match entry {
                        Ok(e)
                            if e.file_type().is_file()
                                && (is_manifest(e.path()) || is_dockerfile(e.path())) =>
                        {
                            if !is_skipped(e.path()) {
                                found.push(e.into_path());
                            }
                        }
                        Ok(_) => {}
                        Err(err) => {
                            let where_ = err
                                .path()
                                .map_or_else(|| arg.clone(), |p| p.display().to_string());
                            errors.push(LoadError::whole(
                                &where_.as_str().into(),
                                format!("cannot read: {err}"),
                            ));
                        }
                    }
                }
                found.sort();
                inputs.extend(found.into_iter().map(|p| Input::File(p, false)));
            }
            Ok(_) => inputs.push(Input::File(path.to_path_buf(), true)),
        }
    }
    inputs
}

/// Reads and parses one input; what cannot be read becomes a load error.
pub fn read(input: &Input, limits: &LoadLimits) -> Loaded {
    let (name, bytes, dockerfile) = match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            // Read one byte past the limit so an oversized stream is detected, not buffered.
            let cap = u64::try_from(limits.max_bytes)
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            if let Err(err) = std::io::stdin().lock().take(cap).read_to_end(&mut buf) {
                return failed("-", format!("cannot read stdin: {err}"));
            }
            ("-".to_string(), buf, false)
        }
        Input::File(path, _) => {
            let name = path.display().to_string();
            match fs::metadata(path) {
                Ok(m) if m.len() > u64::try_from(limits.max_bytes).unwrap_or(u64::MAX) => {
                    return failed(
                        &name,
                        format!(
                            "file is {} bytes, over the {} byte limit; split it or raise --max-file-size",
                            m.len(),
                            limits.max_bytes
                        ),
                    );
                }
                Ok(_) => {}
                Err(err) => return failed(&name, format!("cannot read: {err}")),
            }
            match fs::read(path) {
                Ok(bytes) => (name, bytes, is_dockerfile(path)),
                Err(err) => return failed(&name, format!("cannot read: {err}")),
            }
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        // An empty file met while walking a directory is harmless: note it. An empty file or
        // stream the user named is almost always a mistake upstream (a failed `helm template`).
        if matches!(input, Input::File(_, false)) {
            let mut loaded = Loaded::default();
            loaded.notes.push(LoadNote {
                location: Location {
                    path: name.as_str().into(),
                    line: 1,
                    col: 1,
                },
                message: "skipped an empty file".into(),
            });
            return loaded;
        }
        return failed(&name, "empty input: nothing to scan");
    }
    if dockerfile {
        return load_dockerfile(&name, &bytes, limits);
    }
    load_bytes(&name, &bytes, limits)
}

fn failed(name: &str, message: impl Into<String>) -> Loaded {
    let mut loaded = Loaded::default();
    loaded.errors.push(LoadError::whole(&name.into(), message));
    loaded
}

/// Reads every input, in parallel, into an inventory (load errors are kept in
/// `inventory.errors`), in a stable input order. The scan itself hands [`expand`]'s inputs
/// and [`read`] to the engine instead, which judges each input as soon as it is read.
pub fn load(paths: &[String], skip: Option<&Path>, limits: &LoadLimits) -> Inventory {
    let mut errors = Vec::new();
    let inputs = expand(paths, skip, &mut errors);
    // One input per task: a run of inputs in one task could leave a core idle at the end.
    let loaded: Vec<Loaded> = inputs
        .par_iter()
        .with_max_len(1)
        .map(|i| read(i, limits))
        .collect();
    let mut inventory = Inventory::default();
    inventory
        .objects
        .reserve(loaded.iter().map(|l| l.objects.len()).sum());
    for l in loaded {
        inventory.add(l);
    }
    inventory.errors.splice(0..0, errors);
    inventory
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for yes in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "Dockerfile.prod",
            "api.Dockerfile",
            "team.api.dockerfile",
            "dir/Containerfile.dev",
            "build.containerfile",
        ] {
            assert!(is_dockerfile(Path::new(yes)), "{yes}");
        }
        for no in [
            "Dockerfile.yaml",
            "Dockerfile.dockerignore",
            ".dockerfile",
            "Dockerfile.",
            "Dockerfile1",
            "dockerfile-api",
            "docker-compose.yml",
            "README.md",
        ] {
            assert!(!is_dockerfile(Path::new(no)), "{no}");
        }
    }
}
