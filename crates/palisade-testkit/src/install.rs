//! Where the built control plane and the shared start/stop scripts live.
//!
//! `scripts/kube-apiserver.sh ensure` (run by `scripts/setup.sh`) builds two versions into
//! `${XDG_CACHE_HOME:-$HOME/.cache}/palisade-test/kube-apiserver-{1.20.2,1.34.4}/bin`; the scripts
//! are the project's shared ones beside the clone (`../shared/scripts/kube-apiserver`). They can be
//! moved with `PALISADE_KUBE_DIR` (1.20.2), `PALISADE_KUBE_DIR_CURRENT` (1.34.4) and
//! `PALISADE_KUBE_SCRIPTS`, which the shell script honours too.

use std::path::{Path, PathBuf};

use anyhow::bail;

/// The Kubernetes version the shared kit builds (from Debian's source package) and
/// [`Install::locate`] finds.
pub const KUBE_VERSION: &str = "1.20.2";

/// A current Kubernetes release, built as a Go module; [`Install::locate_current`] finds it.
pub const CURRENT_KUBE_VERSION: &str = "1.34.4";

/// The built binaries and the scripts that start and stop them.
#[derive(Clone, Debug)]
pub struct Install {
    /// The directory holding `bin/{kube-apiserver,kube-controller-manager,kubectl}`.
    pub dir: PathBuf,
    /// The directory holding `start.sh`, `stop.sh` and `mkcerts.sh`.
    pub scripts: PathBuf,
    /// The Kubernetes version of the build (`1.20.2`): some flags differ between versions.
    pub version: String,
}

impl Install {
    /// Finds the build and the scripts; fails with what to run when something is missing.
    pub fn locate() -> anyhow::Result<Install> {
        Install::at(build_dir("PALISADE_KUBE_DIR", KUBE_VERSION), scripts_dir())
    }

    /// Finds the current release's build ([`CURRENT_KUBE_VERSION`]) and the same scripts.
    pub fn locate_current() -> anyhow::Result<Install> {
        let dir = build_dir("PALISADE_KUBE_DIR_CURRENT", CURRENT_KUBE_VERSION);
        let mut install = Install::at(dir, scripts_dir())?;
        install.version = CURRENT_KUBE_VERSION.to_owned();
        Ok(install)
    }

    /// Checks a build directory and a scripts directory (what [`Install::locate`] does with the
    /// default or configured ones); the version is taken to be [`KUBE_VERSION`].
    pub fn at(dir: PathBuf, scripts: PathBuf) -> anyhow::Result<Install> {
        let install = Install {
            dir,
            scripts,
            version: KUBE_VERSION.to_owned(),
        };
        let mut missing = Vec::new();
        for bin in ["kube-apiserver", "kube-controller-manager", "kubectl"] {
            let path = install.bin(bin);
            if !is_executable(&path) {
                missing.push(path.display().to_string());
            }
        }
        if !on_path("etcd") {
            missing.push("etcd (on PATH)".to_owned());
        }
        for script in ["start.sh", "stop.sh", "mkcerts.sh"] {
            let path = install.scripts.join(script);
            if !path.is_file() {
                missing.push(path.display().to_string());
            }
        }
        if !missing.is_empty() {
            bail!(
                "the test Kubernetes control plane is not installed (missing: {}); run scripts/setup.sh \
                 (or scripts/kube-apiserver.sh ensure) once on this machine",
                missing.join(", ")
            );
        }
        Ok(install)
    }

    /// A binary of the build.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }

    /// The minor version (20 for 1.20.2).
    pub fn minor(&self) -> u32 {
        self.version
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }
}

fn build_dir(variable: &str, version: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os(variable) {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache
        .join("palisade-test")
        .join(format!("kube-apiserver-{version}"))
}

fn scripts_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PALISADE_KUBE_SCRIPTS") {
        return PathBuf::from(dir);
    }
    // crates/palisade-testkit -> the workspace root -> the shared directory beside the clone.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/scripts/kube-apiserver");
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(name))))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_build_says_to_run_setup() {
        let empty = tempfile::tempdir().unwrap();
        let err = Install::at(empty.path().into(), empty.path().into()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("scripts/setup.sh"), "{text}");
        assert!(text.contains("kube-controller-manager"), "{text}");
        assert!(text.contains("start.sh"), "{text}");
    }
}
