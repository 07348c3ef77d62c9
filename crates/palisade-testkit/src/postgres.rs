//! A throwaway PostgreSQL server for tests: `initdb` into a temp directory, started with
//! `pg_ctl` on a leased loopback port (TCP on 127.0.0.1 only, its Unix socket in the same
//! directory), trust authentication for the superuser `palisade`, stopped and removed on drop.
//!
//! Binaries: `PALISADE_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin` (Debian's
//! `postgresql` package, installed by `scripts/setup.sh`). Without them [`Postgres::start`]
//! fails saying so: tests fail, they do not skip. PostgreSQL refuses to run as root, so as root
//! the server runs as `nobody` (through `runuser`), owning its directory.

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context as _};

use crate::ports::Port;

/// The unprivileged account the server runs as when the tests run as root.
const RUN_AS: &str = "nobody";
/// Superuser created by initdb (trust authentication on loopback).
const SUPERUSER: &str = "palisade";

/// A running PostgreSQL server; stopped (and its directory removed) on drop.
pub struct Postgres {
    bin: PathBuf,
    dir: Option<tempfile::TempDir>,
    data: PathBuf,
    run_as: Option<&'static str>,
    port: Port,
    watchdog: Option<Child>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("data", &self.data)
            .field("port", &self.port.port)
            .finish()
    }
}

impl Postgres {
    /// initdb + start on a leased loopback port; ready for connections when it returns.
    pub fn start() -> anyhow::Result<Postgres> {
        let bin = find_bin()?;
        let run_as = running_as_root().then_some(RUN_AS);
        let dir = tempfile::Builder::new()
            .prefix("palisade-pg-")
            .tempdir()
            .context("creating the PostgreSQL directory")?;
        if let Some(user) = run_as {
            let (uid, gid) = account(user)?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .with_context(|| format!("giving {} to {user}", dir.path().display()))?;
        }
        let data = dir.path().join("data");
        let port = Port::lease()?;
        let mut server = Postgres {
            bin,
            data,
            run_as,
            port,
            watchdog: None,
            dir: Some(dir),
        };
        server.run(
            "initdb",
            &[
                "-D".as_ref(),
                server.data.as_os_str(),
                "-U".as_ref(),
                SUPERUSER.as_ref(),
                "--auth=trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=40",
            server.port.port,
            server.dir()?.display()
        );
        server.watchdog = Some(server.spawn_watchdog()?);
        let log = server.dir()?.join("server.log");
        let started = server.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                server.data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-w".as_ref(),
                "start".as_ref(),
            ],
        );
        if let Err(err) = started {
            let tail = fs::read_to_string(&log).unwrap_or_default();
            bail!("{err:#}\n--- {} ---\n{tail}", log.display());
        }
        Ok(server)
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port.port
    }

    /// URL of a database on this server (`postgres` always exists).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@127.0.0.1:{}/{database}",
            self.port.port
        )
    }

    /// Creates a database and returns its URL.
    pub fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let port = self.port.port.to_string();
        self.run(
            "createdb",
            &[
                "-h".as_ref(),
                "127.0.0.1".as_ref(),
                "-p".as_ref(),
                port.as_ref(),
                "-U".as_ref(),
                SUPERUSER.as_ref(),
                name.as_ref(),
            ],
        )?;
        Ok(self.url(name))
    }

    fn dir(&self) -> anyhow::Result<&Path> {
        self.dir
            .as_ref()
            .map(tempfile::TempDir::path)
            .context("the server directory is gone")
    }

    /// Runs one of the server's programs (as the unprivileged account when root).
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> anyhow::Result<()> {
        let output = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", self.bin.join(program).display()))?;
        if !output.status.success() {
            bail!(
                "{program} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(path);
                cmd
            }
            None => Command::new(path),
        }
    }

    /// Stops the server if the test process dies without dropping this (a killed test run):
    /// a [`crate::watchdog`] that runs `pg_ctl stop -m immediate` and removes the directory.
    fn spawn_watchdog(&self) -> anyhow::Result<Child> {
        let script = r#"
dir=$1; data=$2; shift 2
"$@" -D "$data" -m immediate stop >/dev/null 2>&1
rm -rf "$dir"
"#;
        let dir = self.dir()?;
        let pg_ctl = self.bin.join("pg_ctl");
        let mut args = vec![dir.as_os_str(), self.data.as_os_str()];
        if let Some(user) = self.run_as {
            args.extend(["runuser", "-u", user, "--"].map(std::ffi::OsStr::new));
        }
        args.push(pg_ctl.as_os_str());
        // The lease file goes with the directory's removal only if it is inside it; it is
        // not, so the watchdog leaves it: a dead holder's lease is reclaimed by the next lease.
        crate::watchdog::spawn("palisade-testkit-pg-watchdog", script, &args)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(dir) = self.dir.take() {
            if std::thread::panicking() || std::env::var_os("PALISADE_TESTKIT_KEEP").is_some() {
                eprintln!("palisade-testkit: kept {}", dir.keep().display());
            }
        }
    }
}

/// `PALISADE_PG_BIN`, else the newest `/usr/lib/postgresql/<major>/bin` with `initdb`.
fn find_bin() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PALISADE_PG_BIN") {
        let dir = PathBuf::from(dir);
        if dir.join("initdb").is_file() {
            return Ok(dir);
        }
        bail!("PALISADE_PG_BIN={} holds no initdb", dir.display());
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut majors: Vec<(u32, PathBuf)> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    majors.sort();
    match majors.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "PostgreSQL server binaries not found under {} (nor PALISADE_PG_BIN): run \
             scripts/setup.sh, which installs Debian's postgresql",
            root.display()
        ),
    }
}

fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// uid and gid of a local account, from /etc/passwd.
fn account(user: &str) -> anyhow::Result<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.first() == Some(&user) && fields.len() > 3 {
            let uid = fields[2].parse().context("uid in /etc/passwd")?;
            let gid = fields[3].parse().context("gid in /etc/passwd")?;
            return Ok((uid, gid));
        }
    }
    bail!("no account {user} in /etc/passwd: PostgreSQL needs an unprivileged user to run as")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_loopback_and_is_gone_after_drop() {
        let server = Postgres::start().unwrap();
        let port = server.port();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        assert!(std::net::TcpStream::connect(addr).is_ok());
        let url = server.create_database("probe").unwrap();
        assert_eq!(url, format!("postgres://palisade@127.0.0.1:{port}/probe"));
        // A second database of the same name is refused by the server, and said so.
        let err = server.create_database("probe").unwrap_err().to_string();
        assert!(err.contains("already exists"), "{err}");
        let dir = server.dir().unwrap().to_path_buf();
        assert!(dir.join("data").join("PG_VERSION").is_file());
        drop(server);
        assert!(!dir.exists());
        assert!(std::net::TcpStream::connect(addr).is_err());
    }
}
