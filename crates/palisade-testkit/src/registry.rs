//! A real OCI registry for pull tests: Debian's `docker-registry` (the distribution reference
//! registry) on 127.0.0.1 with a free port, its own storage and config, plain HTTP or TLS (a CA
//! and server certificate made by `openssl`) with htpasswd basic auth; images pushed into it
//! with `skopeo`. Missing tools are errors naming scripts/setup.sh, so tests fail rather than
//! skip. Also where scripts/setup.sh caches the real Debian test images ([`images_dir`]).

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// The basic-auth user of a [`Mode::TlsAuth`] registry.
pub const USER: &str = "alice";
/// The basic-auth password of a [`Mode::TlsAuth`] registry.
pub const PASSWORD: &str = "correct horse";

/// Where scripts/setup.sh caches the test images (`images-1`: bookworm as OCI layouts,
/// oci-archive, docker-archive, rootfs, and a layered image with a whiteout).
pub fn images_dir() -> anyhow::Result<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .context("neither XDG_CACHE_HOME nor HOME is set")?;
    let dir = base.join("palisade-test/images-1");
    if !dir.join("oci-umoci/index.json").is_file() {
        bail!(
            "the test images are missing from {}: run scripts/setup.sh",
            dir.display()
        );
    }
    Ok(dir)
}

/// An error naming scripts/setup.sh when `tool` is not on the PATH.
pub fn require(tool: &str) -> anyhow::Result<()> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        bail!("`{tool}` is not installed: run scripts/setup.sh");
    }
    Ok(())
}

fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("{cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// How the registry is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain HTTP, anonymous.
    Http,
    /// TLS with a test CA, htpasswd basic auth for [`USER`] / [`PASSWORD`].
    TlsAuth,
}

/// A running registry; stopped (and its files removed) on drop.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    /// Its directory: config, storage, certificates, log.
    pub dir: tempfile::TempDir,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// How it is reached.
    pub mode: Mode,
}

impl Registry {
    /// Starts a registry and waits until it listens.
    pub fn start(mode: Mode) -> anyhow::Result<Registry> {
        require("docker-registry")?;
        require("skopeo")?;
        require("openssl")?;
        let dir = tempfile::tempdir()?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let host = format!("127.0.0.1:{port}");
        let root = dir.path();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {host}\n  secret: palisade-test-secret\n",
            root.join("storage").display()
        );
        if mode == Mode::TlsAuth {
            require("htpasswd")?;
            make_certs(root)?;
            let line = run(Command::new("htpasswd").args(["-Bbn", USER, PASSWORD]))?;
            std::fs::write(root.join("htpasswd"), line.trim())?;
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n\
                 auth:\n  htpasswd:\n    realm: palisade-test\n    path: {}\n",
                root.join("server.crt").display(),
                root.join("server.key").display(),
                root.join("htpasswd").display()
            ));
        }
        std::fs::write(root.join("config.yml"), config)?;
        let log = std::fs::File::create(root.join("registry.log"))?;
        let child = Command::new("docker-registry")
            .args(["serve", "config.yml"])
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting docker-registry")?;
        let registry = Registry {
            child,
            dir,
            host,
            mode,
        };
        registry.wait_ready()?;
        Ok(registry)
    }

    fn wait_ready(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(&self.host).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "docker-registry did not listen on {}: {}",
            self.host,
            self.log()
        )
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

    /// The test CA's certificate (TLS mode).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// Pushes `source` (a skopeo transport reference such as `oci:DIR:tag`) as `repo:tag`,
    /// with extra `skopeo copy` flags (`--all`, `--format=v2s2`).
    pub fn push(&self, source: &str, dest: &str, flags: &[&str]) -> anyhow::Result<()> {
        let dest = format!("docker://{}/{dest}", self.host);
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--quiet", "--dest-tls-verify=false"]);
        cmd.args(flags);
        if self.mode == Mode::TlsAuth {
            cmd.arg(format!("--dest-creds={USER}:{PASSWORD}"));
        }
        run(cmd.args([source, &dest]))?;
        Ok(())
    }

    /// The storage file of a blob (distribution's filesystem driver layout).
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(hex.get(..2).unwrap_or(""))
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

/// A test CA and a server certificate for 127.0.0.1 signed by it.
fn make_certs(dir: &Path) -> anyhow::Result<()> {
    let openssl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(dir));
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
    openssl(&ca)?;
    let mut csr = vec!["req", "-new"];
    csr.extend(ec);
    csr.extend(["-keyout", "server.key", "-out", "server.csr"]);
    csr.extend([
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
    ]);
    openssl(&csr)?;
    openssl(&[
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
    ])?;
    Ok(())
}
