//! Pull-test support: the registry fixture lives in `palisade_testkit::registry` (shared with
//! the CLI's `scan --images` tests); here, test-only panicking wrappers and a multi-platform
//! layout made from the bookworm image.

use std::path::{Path, PathBuf};

pub use palisade_testkit::registry::{Mode, PASSWORD, USER};

/// The registry fixture, panicking on failure (these are tests).
pub struct Registry(palisade_testkit::registry::Registry);

impl std::ops::Deref for Registry {
    type Target = palisade_testkit::registry::Registry;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Registry {
    pub fn start(mode: Mode) -> Registry {
        Registry(palisade_testkit::registry::Registry::start(mode).unwrap())
    }

    pub fn push(&self, source: &str, dest: &str, flags: &[&str]) {
        self.0.push(source, dest, flags).unwrap();
    }
}

/// Where scripts/setup.sh caches the test images.
pub fn images_dir() -> PathBuf {
    palisade_testkit::registry::images_dir().unwrap()
}

/// An OCI layout in `dir` holding an index of two manifests of the bookworm image: the
/// original for linux/amd64 and a copy whose config says linux/arm64 (same layers).
pub fn multi_arch_layout(dir: &Path) -> (String, String) {
    let src = images_dir().join("oci-umoci");
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    for entry in std::fs::read_dir(src.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), blobs.join(entry.file_name())).unwrap();
    }
    std::fs::copy(src.join("oci-layout"), dir.join("oci-layout")).unwrap();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("index.json")).unwrap()).unwrap();
    let amd = index["manifests"][0].clone();
    let amd_digest = amd["digest"].as_str().unwrap().to_string();
    let read_blob =
        |d: &str| std::fs::read(blobs.join(d.strip_prefix("sha256:").unwrap())).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_slice(&read_blob(&amd_digest)).unwrap();
    let mut config: serde_json::Value =
        serde_json::from_slice(&read_blob(manifest["config"]["digest"].as_str().unwrap())).unwrap();
    config["architecture"] = "arm64".into();
    config["variant"] = "v8".into();
    let write_blob = |bytes: Vec<u8>| {
        let digest = sha256_hex(&bytes);
        std::fs::write(blobs.join(&digest), &bytes).unwrap();
        (format!("sha256:{digest}"), bytes.len())
    };
    let (config_digest, config_size) = write_blob(serde_json::to_vec(&config).unwrap());
    manifest["config"]["digest"] = config_digest.into();
    manifest["config"]["size"] = config_size.into();
    let (arm_digest, arm_size) = write_blob(serde_json::to_vec(&manifest).unwrap());
    let mut amd_entry = amd.clone();
    amd_entry["platform"] = serde_json::json!({"os": "linux", "architecture": "amd64"});
    amd_entry.as_object_mut().unwrap().remove("annotations");
    let arm_entry = serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": arm_digest, "size": arm_size,
        "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}
    });
    let inner = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [amd_entry, arm_entry]
    });
    let (inner_digest, inner_size) = write_blob(serde_json::to_vec(&inner).unwrap());
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": inner_digest, "size": inner_size,
            "annotations": {"org.opencontainers.image.ref.name": "multi"}
        }]
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    (amd_digest, arm_digest)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
