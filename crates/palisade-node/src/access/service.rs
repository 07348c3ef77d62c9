//! Whether sshd runs, judged from the filesystem: the daemon or its configuration is
//! installed, and a boot system starts it (systemd `wants`/alias links, SysV `rc?.d`
//! start links, OpenRC runlevels), unless it is masked or Debian's `sshd_not_to_be_run`
//! marker is there.

use serde::Serialize;

use super::rootfs::RootFs;

/// systemd unit names of OpenSSH across distributions.
const UNITS: &[&str] = &["ssh.service", "sshd.service", "ssh.socket", "sshd.socket"];
/// Directories whose `*.wants` links enable a unit.
const SYSTEMD_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// Is sshd started at boot?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Enabled {
    /// A boot system starts it.
    Yes,
    /// It is installed but nothing starts it, or it is masked.
    No,
    /// sshd is installed, but no known boot system is there to tell.
    Unknown,
}

/// What the filesystem says about sshd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SshdStatus {
    /// Is sshd (its binary or its configuration) there?
    pub installed: bool,
    /// Is it started at boot?
    pub enabled: Enabled,
    /// What decided it (paths in the node).
    pub evidence: Vec<String>,
}

impl SshdStatus {
    /// Does sshd (possibly) run? Unknown counts: better to report than to miss.
    pub fn runs(&self) -> bool {
        self.installed && self.enabled != Enabled::No
    }
}

/// Looks for sshd and what starts it.
pub fn detect(fs: &RootFs) -> SshdStatus {
    let mut evidence = Vec::new();
    let binaries = ["/usr/sbin/sshd", "/sbin/sshd", "/etc/ssh/sshd_config"];
    let installed = binaries.iter().any(|p| {
        let there = fs.entry_exists(p);
        if there {
            evidence.push(format!("{p} exists"));
        }
        there
    });
    if !installed {
        return SshdStatus {
            installed,
            enabled: Enabled::No,
            evidence,
        };
    }
    if fs.entry_exists("/etc/ssh/sshd_not_to_be_run") {
        evidence.push("/etc/ssh/sshd_not_to_be_run exists".to_string());
        return SshdStatus {
            installed,
            enabled: Enabled::No,
            evidence,
        };
    }
    for unit in UNITS {
        let path = format!("/etc/systemd/system/{unit}");
        if is_masked(fs, &path) {
            evidence.push(format!("{path} is masked (links to /dev/null)"));
            return SshdStatus {
                installed,
                enabled: Enabled::No,
                evidence,
            };
        }
    }
    let mut boot_system = false;
    let before = evidence.len();
    for dir in SYSTEMD_DIRS {
        if !fs.is_dir(dir) {
            continue;
        }
        boot_system = true;
        for entry in fs.list_dir(dir, 4096).unwrap_or_default() {
            if !entry.ends_with(".wants") {
                continue;
            }
            for unit in UNITS {
                let link = format!("{dir}/{entry}/{unit}");
                if fs.entry_exists(&link) {
                    evidence.push(format!("{link} exists"));
                }
            }
        }
    }
    // Debian's `systemctl enable ssh` also links the alias sshd.service.
    let alias = "/etc/systemd/system/sshd.service";
    if fs.entry_exists(alias) && !is_masked(fs, alias) {
        evidence.push(format!("{alias} exists"));
    }
    for level in 1..=5 {
        let dir = format!("/etc/rc{level}.d");
        if !fs.is_dir(&dir) {
            continue;
        }
        boot_system = true;
        for name in fs.list_dir(&dir, 4096).unwrap_or_default() {
            let service = name.get(3..).unwrap_or_default();
            if name.starts_with('S') && (service == "ssh" || service == "sshd") {
                evidence.push(format!("{dir}/{name} exists"));
            }
        }
    }
    for runlevel in ["default", "boot"] {
        let path = format!("/etc/runlevels/{runlevel}/sshd");
        if fs.is_dir(&format!("/etc/runlevels/{runlevel}")) {
            boot_system = true;
            if fs.entry_exists(&path) {
                evidence.push(format!("{path} exists"));
            }
        }
    }
    // Everything found after the installation evidence is something that starts sshd.
    let started = evidence.len() > before;
    let enabled = if started {
        Enabled::Yes
    } else if boot_system {
        Enabled::No
    } else {
        Enabled::Unknown
    };
    SshdStatus {
        installed,
        enabled,
        evidence,
    }
}

fn is_masked(fs: &RootFs, path: &str) -> bool {
    fs.resolve(path, false)
        .ok()
        .and_then(|p| std::fs::read_link(p).ok())
        .is_some_and(|t| t.as_os_str() == "/dev/null")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree(links: &[(&str, &str)], files: &[&str]) -> SshdStatus {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let p = dir.path().join(f.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        for (link, target) in links {
            let p = dir.path().join(link.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            symlink(target, p).unwrap();
        }
        detect(&RootFs::new(dir.path(), 1 << 20))
    }

    #[test]
    fn systemd_sysv_and_masking_decide() {
        let cfg = "/etc/ssh/sshd_config";
        let wants = "/etc/systemd/system/multi-user.target.wants/ssh.service";
        let on = tree(&[(wants, "/lib/systemd/system/ssh.service")], &[cfg]);
        assert_eq!(on.enabled, Enabled::Yes);
        assert!(on.runs());
        let masked = tree(
            &[
                (wants, "/lib/systemd/system/ssh.service"),
                ("/etc/systemd/system/ssh.service", "/dev/null"),
            ],
            &[cfg],
        );
        assert_eq!(masked.enabled, Enabled::No);
        let off = tree(
            &[],
            &[
                cfg,
                "/etc/systemd/system/multi-user.target.wants/cron.service",
            ],
        );
        assert_eq!(off.enabled, Enabled::No);
        let sysv = tree(&[("/etc/rc2.d/S01ssh", "../init.d/ssh")], &[cfg]);
        assert_eq!(sysv.enabled, Enabled::Yes);
        let unknown = tree(&[], &[cfg]);
        assert_eq!(unknown.enabled, Enabled::Unknown);
        assert!(!tree(&[], &[]).installed);
        let marker = tree(&[(wants, "/x")], &[cfg, "/etc/ssh/sshd_not_to_be_run"]);
        assert_eq!(marker.enabled, Enabled::No);
    }
}
