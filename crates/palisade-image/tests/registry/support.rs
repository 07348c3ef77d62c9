//! A real registry for the pull tests: Debian's `docker-registry` (the distribution
//! reference registry) started on 127.0.0.1 with a free port, its own storage and config,
//! plain HTTP or TLS (a CA and server certificate made by `openssl`) with htpasswd basic
//! auth; images pushed into it with `skopeo`. Missing tools fail the test, naming
//! scripts/setup.sh, rather than skipping it.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "alice";
pub const PASSWORD: &str = "correct horse";

/// Where scripts/setup.sh caches the test images.
pub fn images_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .expect("HOME or XDG_CACHE_HOME is set");
    let dir = base.join("palisade-test/images-1");
    assert!(
        dir.join("oci-umoci/index.json").is_file(),
        "the test images are missing from {}: run scripts/setup.sh",
        dir.display()
    );
    dir
}

/// Fails with a pointer to scripts/setup.sh when a tool is missing.
pub fn require(tool: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(found, "`{tool}` is not installed: run scripts/setup.sh");
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn openssl(dir: &Path, args: &[&str]) {
    run(Command::new("openssl").args(args).current_dir(dir));
}

/// How the registry is reached.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain HTTP, anonymous.
    Http,
    /// TLS with a test CA, htpasswd basic auth for [`USER`] / [`PASSWORD`].
    TlsAuth,
}

/// A running registry; stopped (and its files removed) on drop.
pub struct Registry {
    child: Child,
    pub dir: tempfile::TempDir,
    pub host: String,
    pub mode: Mode,
}

impl Registry {
    pub fn start(mode: Mode) -> Registry {
        require("docker-registry");
        require("skopeo");
        require("openssl");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let root = dir.path();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {host}\n  secret: palisade-test-secret\n",
            root.join("storage").display()
        );
        if mode == Mode::TlsAuth {
            require("htpasswd");
            make_certs(root);
            let line = run(Command::new("htpasswd").args(["-Bbn", USER, PASSWORD]));
            std::fs::write(root.join("htpasswd"), line.trim()).unwrap();
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n\
                 auth:\n  htpasswd:\n    realm: palisade-test\n    path: {}\n",
                root.join("server.crt").display(),
                root.join("server.key").display(),
                root.join("htpasswd").display()
            ));
        }
        std::fs::write(root.join("config.yml"), config).unwrap();
        let log = std::fs::File::create(root.join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .args(["serve", "config.yml"])
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("docker-registry starts");
        let registry = Registry {
            child,
            dir,
            host,
            mode,
        };
        registry.wait_ready();
        registry
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(&self.host).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "docker-registry did not listen on {}: {}",
            self.host,
            self.log()
        );
    }

    /// The registry's log (access log included).
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.path().join("registry.log")) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// How many blob downloads the registry has served so far.
    pub fn blob_gets(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("\"GET /v2/") && l.contains("/blobs/sha256:"))
            .count()
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// Pushes `source` (a skopeo transport reference such as `oci:DIR:tag`) as `repo:tag`,
    /// with extra `skopeo copy` flags (`--all`, `--format=v2s2`).
    pub fn push(&self, source: &str, dest: &str, flags: &[&str]) {
        let dest = format!("docker://{}/{dest}", self.host);
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--quiet", "--dest-tls-verify=false"]);
        cmd.args(flags);
        if self.mode == Mode::TlsAuth {
            cmd.arg(format!("--dest-creds={USER}:{PASSWORD}"));
        }
        run(cmd.args([source, &dest]));
    }

    /// The storage file of a blob (distribution's filesystem driver layout).
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A test CA and a server certificate for 127.0.0.1 signed by it.
fn make_certs(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.crt", "-days", "2"]);
    ca.extend(["-subj", "/CN=palisade test CA"]);
    openssl(dir, &ca);
    let mut csr = vec!["req", "-new"];
    csr.extend(ec);
    csr.extend(["-keyout", "server.key", "-out", "server.csr"]);
    csr.extend([
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
    ]);
    openssl(dir, &csr);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-copy_extensions",
            "copy",
        ],
    );
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
