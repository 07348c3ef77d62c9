//! The saved-image directories (`scan --image-dir DIR`) a scan may find workloads' images
//! in, by the names the layouts and archives record (see `palisade_image::image_names`).
//!
//! A whole reference recorded in the source (`docker save`'s `RepoTags`, containerd's
//! `io.containerd.image.name`, a full `org.opencontainers.image.ref.name`) matches a
//! workload's image when both name the same registry, repository and tag once completed as
//! a runtime completes them (`nginx` is the default registry's `library/nginx:latest`). A
//! tag alone (`skopeo copy … oci:DIR/team/app:1.2` records `1.2`) takes its repository from
//! where the layout lies under DIR (`team/app`), which must end the workload's repository.
//! A workload image pinned by digest matches the image recorded with that digest.

use std::path::{Path, PathBuf};

use palisade_image::{image_names, ImageName, NameForm, Reference};
use walkdir::WalkDir;

/// How deep under DIR saved images are looked for.
const MAX_DEPTH: usize = 6;

/// One image of a saved source.
#[derive(Debug)]
pub struct Saved {
    /// The layout directory or archive.
    pub path: PathBuf,
    /// The name that matched.
    pub name: ImageName,
    /// The repository a tag-only name stands for (the source's place under DIR).
    repository: String,
}

/// The saved images under the `--image-dir` directories.
#[derive(Debug, Default)]
pub struct ImageDir {
    saved: Vec<Saved>,
    /// Sources that could not be read (path, why).
    pub unreadable: Vec<(PathBuf, String)>,
}

impl ImageDir {
    /// Indexes every OCI layout directory and image tar under `dirs`.
    pub fn index(dirs: &[PathBuf]) -> ImageDir {
        let mut out = ImageDir::default();
        for dir in dirs {
            let mut walk = WalkDir::new(dir).max_depth(MAX_DEPTH).into_iter();
            while let Some(entry) = walk.next() {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        out.unreadable.push((dir.clone(), e.to_string()));
                        continue;
                    }
                };
                let path = entry.path();
                let is_layout = entry.file_type().is_dir() && path.join("oci-layout").is_file();
                let is_tar =
                    entry.file_type().is_file() && path.extension().is_some_and(|e| e == "tar");
                if !is_layout && !is_tar {
                    continue;
                }
                if is_layout {
                    walk.skip_current_dir(); // its blobs are not images of their own
                }
                match image_names(path) {
                    Ok(names) => {
                        let repository = repository_of(dir, path);
                        for name in names {
                            out.saved.push(Saved {
                                path: path.to_path_buf(),
                                name,
                                repository: repository.clone(),
                            });
                        }
                    }
                    Err(e) => out.unreadable.push((path.to_path_buf(), e.message)),
                }
            }
        }
        out
    }

    /// The saved image a workload's `image` names, if any.
    pub fn find(&self, image: &str) -> Option<&Saved> {
        let wanted: Reference = image.parse().ok()?;
        if let Some(digest) = wanted.digest() {
            return self
                .saved
                .iter()
                .find(|s| s.name.digest.as_deref() == Some(digest));
        }
        self.saved.iter().find(|s| match s.name.form {
            NameForm::Reference => s.name.name.parse::<Reference>().is_ok_and(|have| {
                have.registry() == wanted.registry()
                    && have.repository() == wanted.repository()
                    && have.tag() == wanted.tag()
            }),
            NameForm::Tag => {
                Some(s.name.name.as_str()) == wanted.tag()
                    && !s.repository.is_empty()
                    && (wanted.repository() == s.repository
                        || wanted
                            .repository()
                            .strip_suffix(s.repository.as_str())
                            .is_some_and(|head| head.ends_with('/')))
            }
        })
    }
}

/// A source's place under DIR as a repository path: `team/app` for `DIR/team/app` or
/// `DIR/team/app.tar`.
fn repository_of(dir: &Path, source: &Path) -> String {
    let rel = source.strip_prefix(dir).unwrap_or(source);
    let rel = rel.to_string_lossy().replace('\\', "/");
    rel.strip_suffix(".tar").unwrap_or(&rel).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(name: &str, form: NameForm, repository: &str, digest: Option<&str>) -> ImageDir {
        let names = serde_json::json!({"manifests": [{"digest": digest.unwrap_or("sha256:00"),
            "annotations": {"org.opencontainers.image.ref.name": name}}]});
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("oci-layout"), "{}").unwrap();
        std::fs::write(dir.path().join("index.json"), names.to_string()).unwrap();
        let name = image_names(dir.path()).unwrap().remove(0);
        assert_eq!(name.form, form);
        ImageDir {
            saved: vec![Saved {
                path: dir.path().to_path_buf(),
                name,
                repository: repository.to_string(),
            }],
            unreadable: Vec::new(),
        }
    }

    #[test]
    fn whole_references_match_once_completed() {
        let dir = saved("team/app:1.2", NameForm::Reference, "x", None);
        assert!(dir.find("team/app:1.2").is_some());
        assert!(dir.find("team/app:1.3").is_none());
        assert!(dir.find("other.test/team/app:1.2").is_none());
        // A bare `nginx` in ref.name reads as a tag; with a path it is a reference.
        let dir = saved("library/nginx", NameForm::Reference, "x", None);
        assert!(
            dir.find("nginx:latest").is_some(),
            "short names complete alike"
        );
        assert!(dir.find("nginx").is_some(), "no tag is :latest");
    }

    #[test]
    fn a_tag_takes_its_repository_from_the_place_under_dir() {
        let dir = saved("1.2", NameForm::Tag, "team/app", None);
        assert!(dir
            .find("registry.example.test:5000/team/app:1.2")
            .is_some());
        assert!(dir.find("team/app:1.2").is_some());
        assert!(
            dir.find("otherteam/app:1.2").is_none(),
            "suffix on a path boundary"
        );
        assert!(dir.find("xteam/app:1.2").is_none());
        assert!(dir.find("team/app:1.3").is_none());
    }

    #[test]
    fn a_digest_matches_the_recorded_digest_only() {
        let d = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        let dir = saved("1.2", NameForm::Tag, "team/app", Some(d));
        assert!(dir.find(&format!("anything/else@{d}")).is_some());
        let other = d.replace('1', "2");
        assert!(dir.find(&format!("team/app@{other}")).is_none());
    }

    #[test]
    fn repository_is_the_relative_place_without_tar() {
        let dir = Path::new("/images");
        assert_eq!(
            repository_of(dir, Path::new("/images/team/app")),
            "team/app"
        );
        assert_eq!(repository_of(dir, Path::new("/images/app.tar")), "app");
    }
}
