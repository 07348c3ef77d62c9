//! Loopback ports for one API server instance, leased so that test binaries running in parallel
//! (cargo runs several at once) never pick the same ones.
//!
//! A port is chosen by binding port 0 (the kernel hands out a free one), then leased by creating
//! `$TMPDIR/palisade-testkit-ports/PORT` with our PID: `create_new` is atomic, so two processes
//! that drew the same port cannot both lease it. A lease whose process is gone (a killed test) is
//! reclaimed. The lease is released on drop.

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

/// The ports of one instance: the API server, etcd's client port, and etcd's peer port, which
/// `start.sh` derives as the client port + 10.
#[derive(Debug)]
pub struct Ports {
    /// kube-apiserver's secure port.
    pub api: u16,
    /// etcd's client port (its peer port is `etcd + 10`).
    pub etcd: u16,
    leases: Vec<PathBuf>,
}

impl Ports {
    /// Leases three free loopback ports (API, etcd client, etcd client + 10).
    pub fn lease() -> anyhow::Result<Ports> {
        let dir = std::env::temp_dir().join("palisade-testkit-ports");
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut ports = Ports {
            api: 0,
            etcd: 0,
            leases: Vec::new(),
        };
        ports.api = ports.lease_one(&dir, Some)?;
        // etcd's peer port is fixed at +10 by start.sh: both must be free.
        ports.etcd = ports.lease_one(&dir, |p| p.checked_add(10))?;
        let peer = ports.etcd + 10;
        if !ports.try_lease(&dir, peer)? {
            bail!("port {peer} (etcd peer) was leased between two checks; retry");
        }
        Ok(ports)
    }

    /// The lease files (for a watchdog to remove when the process dies without dropping these).
    pub fn lease_files(&self) -> &[PathBuf] {
        &self.leases
    }

    /// Draws ports from the kernel until one (and its `partner`, when different) is free and
    /// leased.
    fn lease_one(
        &mut self,
        dir: &Path,
        partner: impl Fn(u16) -> Option<u16>,
    ) -> anyhow::Result<u16> {
        for _ in 0..64 {
            let port = free_port()?;
            let Some(other) = partner(port) else { continue };
            if other != port && !bindable(other) {
                continue;
            }
            if self.try_lease(dir, port)? {
                return Ok(port);
            }
        }
        bail!("no free loopback port found after 64 draws")
    }

    /// Leases `port` unless a live process holds it.
    fn try_lease(&mut self, dir: &Path, port: u16) -> anyhow::Result<bool> {
        let path = dir.join(port.to_string());
        for _ in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    write!(file, "{}", std::process::id())
                        .with_context(|| format!("writing {}", path.display()))?;
                    self.leases.push(path);
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if holder_alive(&path) {
                        return Ok(false);
                    }
                    // A stale lease of a process that died without releasing it.
                    let _ = fs::remove_file(&path);
                }
                Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
            }
        }
        Ok(false)
    }
}

/// One leased loopback port, released on drop.
#[derive(Debug)]
pub struct Port {
    /// The port.
    pub port: u16,
    lease: Ports,
}

impl Port {
    /// Leases one free loopback port.
    pub fn lease() -> anyhow::Result<Port> {
        let dir = std::env::temp_dir().join("palisade-testkit-ports");
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut lease = Ports {
            api: 0,
            etcd: 0,
            leases: Vec::new(),
        };
        let port = lease.lease_one(&dir, Some)?;
        Ok(Port { port, lease })
    }

    /// The lease file (for a watchdog to remove when the process dies without dropping this).
    pub fn lease_files(&self) -> &[PathBuf] {
        self.lease.lease_files()
    }
}

impl Drop for Ports {
    fn drop(&mut self) {
        for path in &self.leases {
            let _ = fs::remove_file(path);
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("binding a loopback port")?;
    Ok(listener.local_addr()?.port())
}

fn bindable(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Whether the PID written in a lease file is a running process. A file still being written
/// (empty) counts as alive.
fn holder_alive(path: &Path) -> bool {
    let Ok(text) = fs::read_to_string(path) else {
        return true;
    };
    match text.trim().parse::<u32>() {
        Ok(pid) => Path::new(&format!("/proc/{pid}")).exists(),
        Err(_) => text.trim().is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_distinct_and_released() {
        let a = Ports::lease().unwrap();
        let b = Ports::lease().unwrap();
        let all = [a.api, a.etcd, a.etcd + 10, b.api, b.etcd, b.etcd + 10];
        let mut sorted = all.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 6, "{all:?}");
        let leased = a.leases.clone();
        assert!(leased.iter().all(|p| p.exists()));
        drop(a);
        assert!(leased.iter().all(|p| !p.exists()));
    }

    #[test]
    fn a_single_port_is_leased_and_released() {
        let one = Port::lease().unwrap();
        let other = Port::lease().unwrap();
        assert_ne!(one.port, other.port);
        let files = one.lease_files().to_vec();
        assert_eq!(files.len(), 1);
        assert!(files[0].ends_with(one.port.to_string()));
        drop(one);
        assert!(!files[0].exists());
    }

    #[test]
    fn a_dead_holder_is_reclaimed() {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port().unwrap();
        // PID 0 never names a process directory under /proc.
        fs::write(dir.path().join(port.to_string()), "0").unwrap();
        let mut ports = Ports {
            api: 0,
            etcd: 0,
            leases: Vec::new(),
        };
        assert!(ports.try_lease(dir.path(), port).unwrap());
        fs::write(dir.path().join("1"), std::process::id().to_string()).unwrap();
        assert!(!ports.try_lease(dir.path(), 1).unwrap());
    }
}
