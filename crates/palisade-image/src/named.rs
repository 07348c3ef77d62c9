//! The names an image source gives its images, and opening one image of a source by its
//! name: how `palisade scan --images --image-dir DIR` finds the images workloads reference
//! among saved layouts and archives.
//!
//! An OCI index names its images with annotations on the descriptors of `index.json`:
//! `org.opencontainers.image.ref.name` (a tag such as `1.25` as skopeo and umoci write it,
//! or a whole reference) and `io.containerd.image.name` (a whole reference, as containerd
//! and BuildKit export). `docker save` lists `RepoTags` per image in `manifest.json`.

use std::path::Path;

use serde_json::Value;

use crate::blob::BlobStore;
use crate::model::{Platform, SourceKind};
use crate::source::{open_docker, open_oci, read_json, str_of, Image, OpenError};

/// The OCI annotation naming an image (a tag, or a whole reference).
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// containerd's annotation with the whole reference.
const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// How much of a reference a name gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameForm {
    /// A whole reference (`registry/repository:tag`, or a short one a runtime completes).
    Reference,
    /// A tag only; the repository is not recorded in the source.
    Tag,
}

/// One name of one image in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    /// The name as recorded.
    pub name: String,
    /// Whether it is a whole reference or a tag.
    pub form: NameForm,
    /// The manifest (or index) digest, when the source records it (OCI sources).
    pub digest: Option<String>,
    /// Which image of the source (descriptor of `index.json`, entry of `manifest.json`).
    entry: usize,
}

/// The names the images in the source at `path` carry. A root filesystem directory names
/// nothing; an unreadable source is an error.
pub fn image_names(path: &Path) -> Result<Vec<ImageName>, OpenError> {
    let fail = |message: String| OpenError {
        path: path.to_path_buf(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    let store = if meta.is_dir() {
        if !(path.join("oci-layout").is_file() && path.join("index.json").is_file()) {
            return Ok(Vec::new());
        }
        BlobStore::Dir(path.to_path_buf())
    } else {
        BlobStore::index_tar(path).map_err(|e| fail(format!("not a readable tar: {e}")))?
    };
    if store.contains("index.json") {
        let doc = read_json(&store, "index.json").map_err(fail)?;
        Ok(oci_names(&doc))
    } else if store.contains("manifest.json") {
        let doc = read_json(&store, "manifest.json").map_err(fail)?;
        Ok(docker_names(&doc))
    } else {
        Err(fail("tar has neither index.json nor manifest.json".into()))
    }
}

fn oci_names(index: &Value) -> Vec<ImageName> {
    let mut names = Vec::new();
    let list = index.get("manifests").and_then(Value::as_array);
    for (entry, descriptor) in list.into_iter().flatten().enumerate() {
        let Some(annotations) = descriptor.get("annotations") else {
            continue;
        };
        let digest = str_of(descriptor, "digest").map(str::to_string);
        if let Some(name) = str_of(annotations, CONTAINERD_NAME) {
            names.push(ImageName {
                name: name.to_string(),
                form: NameForm::Reference,
                digest: digest.clone(),
                entry,
            });
        }
        if let Some(name) = str_of(annotations, REF_NAME) {
            // A tag has neither `/` nor `:` (its grammar is `[\w][\w.-]{0,127}`).
            let form = if name.contains(['/', ':', '@']) {
                NameForm::Reference
            } else {
                NameForm::Tag
            };
            names.push(ImageName {
                name: name.to_string(),
                form,
                digest,
                entry,
            });
        }
    }
    names
}

fn docker_names(manifest: &Value) -> Vec<ImageName> {
    let mut names = Vec::new();
    let list = manifest.as_array();
    for (entry, image) in list.into_iter().flatten().enumerate() {
        let tags = image.get("RepoTags").and_then(Value::as_array);
        for tag in tags.into_iter().flatten().filter_map(Value::as_str) {
            names.push(ImageName {
                name: tag.to_string(),
                form: NameForm::Reference,
                digest: None,
                entry,
            });
        }
    }
    names
}

impl Image {
    /// Opens the image that carries `name` in the source at `path` (as [`image_names`]
    /// listed it), choosing `platform` when that image is an index.
    pub fn open_named(
        path: &Path,
        name: &ImageName,
        platform: &Platform,
    ) -> Result<Image, OpenError> {
        let fail = |message: String| OpenError {
            path: path.to_path_buf(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
        if meta.is_dir() {
            let store = BlobStore::Dir(path.to_path_buf());
            return open_oci(store, SourceKind::OciLayout, platform, Some(name.entry))
                .map_err(fail);
        }
        let store =
            BlobStore::index_tar(path).map_err(|e| fail(format!("not a readable tar: {e}")))?;
        if store.contains("index.json") {
            open_oci(store, SourceKind::OciArchive, platform, Some(name.entry)).map_err(fail)
        } else {
            open_docker(store, Some(name.entry)).map_err(fail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn oci_annotations_name_tags_and_references() {
        let index = json!({"manifests": [
            {"digest": "sha256:aa", "annotations": {REF_NAME: "1.25"}},
            {"digest": "sha256:bb", "annotations": {
                REF_NAME: "example.test/app:2",
                CONTAINERD_NAME: "example.test/app:2"}},
            {"digest": "sha256:cc"},
        ]});
        let names = oci_names(&index);
        let got: Vec<(&str, NameForm, usize)> = names
            .iter()
            .map(|n| (n.name.as_str(), n.form, n.entry))
            .collect();
        assert_eq!(
            got,
            vec![
                ("1.25", NameForm::Tag, 0),
                ("example.test/app:2", NameForm::Reference, 1),
                ("example.test/app:2", NameForm::Reference, 1),
            ]
        );
        assert_eq!(names[0].digest.as_deref(), Some("sha256:aa"));
    }

    #[test]
    fn docker_repo_tags_name_each_image_of_the_archive() {
        let manifest = json!([
            {"RepoTags": ["a/b:1", "a/b:latest"]},
            {"RepoTags": null},
            {"RepoTags": ["c:2", 7]},
        ]);
        let got: Vec<(String, usize)> = docker_names(&manifest)
            .into_iter()
            .map(|n| (n.name, n.entry))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a/b:1".to_string(), 0),
                ("a/b:latest".to_string(), 0),
                ("c:2".to_string(), 2)
            ]
        );
    }
}
