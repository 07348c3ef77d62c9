//! Pulls from a real registry on loopback (see `support.rs`): the pulled image must read
//! exactly like the same image opened from its OCI layout, errors must say what went wrong,
//! and a second pull must come from the cache.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use palisade_image::{
    pull, pull_details, Auth, EntryKind, Image, Limits, Platform, PullError, PullOptions,
    SourceKind,
};
use support::{images_dir, multi_arch_layout, Mode, Registry, PASSWORD, USER};

fn options(cache: &Path, registry: &Registry) -> PullOptions {
    let mut o = PullOptions::new(cache.to_path_buf());
    match registry.mode {
        Mode::Http => {
            o.insecure_http = true;
            o.auth = Auth::Anonymous;
        }
        Mode::TlsAuth => {
            o.ca_file = Some(registry.ca_file());
            o.auth = Auth::Basic {
                username: USER.into(),
                password: PASSWORD.into(),
            };
        }
    }
    o
}

fn view_of(image: &Image) -> View {
    let report = image.final_view(&Limits::default());
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
    report
        .view
        .nodes
        .into_iter()
        .map(|(path, node)| {
            let layer = image.layers[node.layer].digest.clone();
            (path, (node.kind, layer))
        })
        .collect()
}

type View = BTreeMap<String, (EntryKind, String)>;

/// The bookworm image opened from its OCI layout: layer digests, config and final view,
/// computed once per test binary (a debug-build pass over the layer takes seconds).
struct Local {
    digests: Vec<String>,
    config: palisade_image::ImageConfig,
    view: View,
}

fn local() -> &'static Local {
    static LOCAL: OnceLock<Local> = OnceLock::new();
    LOCAL.get_or_init(|| {
        let image = Image::open(&images_dir().join("oci-umoci"), &Platform::default()).unwrap();
        Local {
            digests: digests(&image),
            config: image.config.clone(),
            view: view_of(&image),
        }
    })
}

fn digests(image: &Image) -> Vec<String> {
    image.layers.iter().map(|l| l.digest.clone()).collect()
}

/// Same layers and config as the local layout; with `full`, the same final filesystem too
/// (paths, kinds and the layer each came from).
fn assert_same_image(pulled: &Image, full: bool) {
    let local = local();
    assert_eq!(pulled.source, SourceKind::Registry);
    assert_eq!(digests(pulled), local.digests);
    assert_eq!(pulled.config, local.config);
    if full {
        let view = view_of(pulled);
        assert!(view.len() > 1000, "{} paths", view.len());
        assert_eq!(view, local.view);
    }
}

fn push_bookworm(registry: &Registry, dest: &str) {
    let src = format!("oci:{}:bookworm", images_dir().join("oci-umoci").display());
    registry.push(&src, dest, &[]);
}

#[test]
fn plain_http_pull_reads_like_the_oci_layout_and_second_pull_is_cached() {
    let registry = Registry::start(Mode::Http);
    push_bookworm(&registry, "test/bookworm:1");
    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path(), &registry);
    let reference = format!("{}/test/bookworm:1", registry.host);

    let before = registry.blob_gets();
    let first = pull_details(&reference, &opts).unwrap();
    assert_same_image(&first.image, true);
    let blobs = 1 + first.image.layers.len(); // config and layers
    assert_eq!(first.downloaded, blobs);
    assert_eq!(first.cached, 0);
    assert!(first.index_digest.is_none());
    let served = registry.blob_gets() - before;
    assert_eq!(served, first.downloaded, "{}", registry.log());

    // The content of a file comes through too.
    let mut os_release = String::new();
    first
        .image
        .for_each_file(&Limits::default(), |entry, reader| {
            if entry.path == "usr/lib/os-release" {
                reader.read_to_string(&mut os_release).unwrap();
            }
        });
    assert!(os_release.contains("bookworm"), "{os_release}");

    let blob = cache.path().join(&first.image.layers[0].blob);
    let mtime = std::fs::metadata(&blob).unwrap().modified().unwrap();
    let second = pull_details(&reference, &opts).unwrap();
    assert_eq!((second.downloaded, second.cached), (0, blobs));
    assert_eq!(
        registry.blob_gets() - before,
        served,
        "no blob fetched again"
    );
    assert_eq!(std::fs::metadata(&blob).unwrap().modified().unwrap(), mtime);
    assert_eq!(second.manifest_digest, first.manifest_digest);
    assert_same_image(&second.image, false);

    // By digest as well as by tag.
    let by_digest = format!("{}/test/bookworm@{}", registry.host, first.manifest_digest);
    assert_same_image(&pull(&by_digest, &opts).unwrap(), false);
}

#[test]
fn docker_format_layered_image_keeps_its_whiteouts() {
    let registry = Registry::start(Mode::Http);
    let dir = images_dir().join("oci-buildah");
    let src = format!("oci:{}:layered", dir.display());
    registry.push(&src, "test/layered:1", &["--format=v2s2"]);
    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path(), &registry);
    let pulled = pull_details(&format!("{}/test/layered:1", registry.host), &opts).unwrap();
    // The registry now serves a Docker schema 2 manifest.
    let manifest = std::fs::read(
        cache
            .path()
            .join("blobs/sha256")
            .join(pulled.manifest_digest.strip_prefix("sha256:").unwrap()),
    )
    .unwrap();
    let manifest = String::from_utf8(manifest).unwrap();
    assert!(
        manifest.contains("application/vnd.docker.distribution.manifest.v2+json"),
        "{manifest}"
    );
    let local = Image::open(&dir, &Platform::default()).unwrap();
    assert_eq!(pulled.image.layers.len(), 2);
    assert_eq!(digests(&pulled.image), digests(&local));
    let view = view_of(&pulled.image);
    assert_eq!(view, view_of(&local));
    assert!(view.contains_key("app/README"));
    assert!(!view.keys().any(|k| k.starts_with("usr/share/doc/gzip")));
    let created_by = |i: &Image| {
        i.layers
            .iter()
            .map(|l| l.created_by.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(created_by(&pulled.image), created_by(&local));
}

#[test]
fn missing_tag_and_repository_are_not_found() {
    let registry = Registry::start(Mode::Http);
    push_bookworm(&registry, "test/bookworm:1");
    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path(), &registry);
    for missing in ["test/bookworm:nope", "test/absent:1"] {
        let err = pull(&format!("{}/{missing}", registry.host), &opts).unwrap_err();
        assert!(matches!(err, PullError::NotFound { .. }), "{err:?}");
        assert!(err.to_string().contains(missing), "{err}");
    }
    let err = pull("Not A Reference!", &opts).unwrap_err();
    assert!(matches!(err, PullError::BadReference { .. }), "{err:?}");
}

#[test]
fn multi_arch_index_picks_the_platform_or_lists_the_ones_present() {
    let registry = Registry::start(Mode::Http);
    let layout = tempfile::tempdir().unwrap();
    let (amd, arm) = multi_arch_layout(layout.path());
    let src = format!("oci:{}:multi", layout.path().display());
    registry.push(&src, "test/multi:1", &["--all"]);
    let cache = tempfile::tempdir().unwrap();
    let mut opts = options(cache.path(), &registry);
    let reference = format!("{}/test/multi:1", registry.host);

    let default = pull_details(&reference, &opts).unwrap();
    assert_eq!(default.manifest_digest, amd);
    assert!(default.index_digest.is_some());
    assert_eq!(default.image.config.architecture.as_deref(), Some("amd64"));

    opts.platform = Platform::parse("linux/arm64").unwrap();
    let arm_pull = pull_details(&reference, &opts).unwrap();
    assert_eq!(arm_pull.manifest_digest, arm);
    assert_eq!(arm_pull.image.config.architecture.as_deref(), Some("arm64"));
    // Same layers: only the new config was downloaded.
    assert_eq!(
        (arm_pull.downloaded, arm_pull.cached),
        (1, default.image.layers.len())
    );
    assert_eq!(view_of(&arm_pull.image), view_of(&default.image));

    // A single-platform manifest named by digest is read as it is, with a warning when it
    // is for another platform than the one asked for.
    let mut default_opts = opts.clone();
    default_opts.platform = Platform::default();
    let by_digest = format!("{}/test/multi@{arm}", registry.host);
    let image = pull(&by_digest, &default_opts).unwrap();
    assert_eq!(image.config.architecture.as_deref(), Some("arm64"));
    assert!(
        image
            .diagnostics
            .iter()
            .any(|d| d.message.contains("linux/arm64") && d.message.contains("linux/amd64")),
        "{:?}",
        image.diagnostics
    );

    opts.platform = Platform::parse("linux/s390x").unwrap();
    let err = pull(&reference, &opts).unwrap_err();
    assert!(matches!(err, PullError::NoPlatform { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("linux/s390x")
            && text.contains("linux/amd64")
            && text.contains("linux/arm64/v8"),
        "{text}"
    );
}

#[test]
fn tampered_blob_in_the_registry_is_a_digest_mismatch() {
    let registry = Registry::start(Mode::Http);
    push_bookworm(&registry, "test/bookworm:1");
    let local = Image::open(&images_dir().join("oci-umoci"), &Platform::default()).unwrap();
    let digest = local.layers[0].digest.clone();
    let data = registry.blob_data(&digest);
    let mut bytes = std::fs::read(&data).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&data, &bytes).unwrap();

    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path(), &registry);
    let err = pull(&format!("{}/test/bookworm:1", registry.host), &opts).unwrap_err();
    match &err {
        PullError::DigestMismatch { expected, actual } => {
            assert_eq!(expected, &digest);
            assert_ne!(actual, &digest);
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    // Nothing is cached under the layer's name.
    let blob = cache.path().join(&local.layers[0].blob);
    assert!(!blob.exists());

    // A blob cut short in storage: refused from its length, before its digest.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            images_dir()
                .join("oci-umoci/blobs/sha256")
                .join(local_manifest_digest().strip_prefix("sha256:").unwrap()),
        )
        .unwrap(),
    )
    .unwrap();
    let config = manifest["config"]["digest"].as_str().unwrap();
    let data = registry.blob_data(config);
    let bytes = std::fs::read(&data).unwrap();
    std::fs::write(&data, &bytes[..bytes.len() / 2]).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let err = pull(
        &format!("{}/test/bookworm:1", registry.host),
        &options(fresh.path(), &registry),
    )
    .unwrap_err();
    assert!(matches!(err, PullError::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains(config), "{err}");
}

/// The manifest digest the umoci layout's `index.json` names.
fn local_manifest_digest() -> String {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(images_dir().join("oci-umoci/index.json")).unwrap())
            .unwrap();
    index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn tls_with_basic_auth_accepts_the_right_password_only() {
    let registry = Registry::start(Mode::TlsAuth);
    push_bookworm(&registry, "test/bookworm:1");
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/test/bookworm:1", registry.host);

    let good = options(cache.path(), &registry);
    assert_same_image(&pull(&reference, &good).unwrap(), true);

    let mut wrong = good.clone();
    wrong.auth = Auth::Basic {
        username: USER.into(),
        password: "wrong password".into(),
    };
    let err = pull(&reference, &wrong).unwrap_err();
    assert!(matches!(err, PullError::Auth { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("authentication failed") && text.contains(USER),
        "{text}"
    );
    assert!(!text.contains("wrong password") && !format!("{err:?}").contains("wrong password"));

    let mut anonymous = good.clone();
    anonymous.auth = Auth::Anonymous;
    let err = pull(&reference, &anonymous).unwrap_err();
    assert!(matches!(err, PullError::Auth { .. }), "{err:?}");

    // Credentials from a docker config file, keyed by host:port.
    let docker = tempfile::tempdir().unwrap();
    let config = docker.path().join("config.json");
    let token = base64_encode(format!("{USER}:{PASSWORD}").as_bytes());
    std::fs::write(
        &config,
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{token}"}}}}}}"#,
            registry.host
        ),
    )
    .unwrap();
    let mut from_file = good.clone();
    from_file.auth = Auth::DockerConfig(Some(config));
    assert_same_image(&pull(&reference, &from_file).unwrap(), false);

    // Without the test CA the certificate is not trusted.
    let mut untrusted = good.clone();
    untrusted.ca_file = None;
    let err = pull(&reference, &untrusted).unwrap_err();
    assert!(matches!(err, PullError::Registry { .. }), "{err:?}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
}

#[test]
fn limits_refuse_before_downloading() {
    let registry = Registry::start(Mode::Http);
    push_bookworm(&registry, "test/bookworm:1");
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/test/bookworm:1", registry.host);
    let before = registry.blob_gets();

    let mut small = options(cache.path(), &registry);
    small.limits.max_blob_bytes = 1 << 20;
    let err = pull(&reference, &small).unwrap_err();
    assert!(matches!(err, PullError::TooLarge { .. }), "{err:?}");
    let mut few = options(cache.path(), &registry);
    few.limits.max_layers = 0;
    assert!(matches!(
        pull(&reference, &few),
        Err(PullError::TooLarge { .. })
    ));
    let mut tiny = options(cache.path(), &registry);
    tiny.limits.max_manifest_bytes = 64;
    assert!(matches!(
        pull(&reference, &tiny),
        Err(PullError::TooLarge { .. })
    ));
    // The config (small) may have been fetched; the layer was refused from its descriptor.
    assert!(registry.blob_gets() - before <= 1, "{}", registry.log());
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
