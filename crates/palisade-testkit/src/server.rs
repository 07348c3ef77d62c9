//! [`ApiServer`]: a private etcd + kube-apiserver + kube-controller-manager (ClusterRole
//! aggregation only) on loopback, started per instance and stopped on drop.
//!
//! Each instance gets its own directory (a temporary `OUT_DIR` for the shared `start.sh`, with `bin`
//! a symlink to the machine's build), so its certificates, etcd data, PID files and logs never meet
//! another instance's; and its own leased ports ([`crate::ports`]), so test binaries run in parallel.
//! A watchdog process stops the instance if the test process dies without dropping it (a killed
//! test, or a server kept in a `static`, which Rust never drops).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use serde_json::Value;
use tempfile::TempDir;

use crate::answer::{warning_text, Answer};
use crate::install::Install;
use crate::ports::Ports;

/// The static token of the `admin` user (group `system:masters`) that `start.sh`'s token file holds.
pub const ADMIN_TOKEN: &str = "admin-token-0123456789";

/// How long the aggregation controller may take to start watching ClusterRoles.
const CONTROLLER_START: Duration = Duration::from_secs(60);

/// Set to keep an instance's directory (logs, etcd data) after it stops.
const KEEP_ENV: &str = "PALISADE_TESTKIT_KEEP";

/// A running test control plane. Dropping it stops every process it started and removes its
/// directory (kept, and its path printed, when the thread is panicking or `PALISADE_TESTKIT_KEEP`
/// is set, so a failing test leaves its logs behind).
pub struct ApiServer {
    install: Install,
    dir: Option<TempDir>,
    root: PathBuf,
    url: String,
    agent: ureq::Agent,
    controller_manager: Mutex<Option<Child>>,
    watchdog: Option<Child>,
    ports: Ports,
}

impl ApiServer {
    /// Starts etcd, kube-apiserver (via the shared `start.sh`, on leased loopback ports) and
    /// kube-controller-manager running only the `clusterrole-aggregation` controller; returns once
    /// the API server answers `/readyz` and the controller has synced its ClusterRole cache.
    ///
    /// Fails, saying to run `scripts/setup.sh`, when the build is missing; fails with the tail of
    /// the relevant log when a process does not come up.
    pub fn start() -> anyhow::Result<ApiServer> {
        ApiServer::start_with(&Install::locate()?)
    }

    /// [`ApiServer::start`] with another build or other scripts (e.g. a newer kube-apiserver built
    /// beside the 1.20 one, which take the same flags).
    pub fn start_with(install: &Install) -> anyhow::Result<ApiServer> {
        let mut last_error = None;
        // A port can still be taken between our check and the server's bind by a process that
        // does not lease ports; a second draw settles it.
        for _ in 0..3 {
            match ApiServer::start_once(install) {
                Ok(server) => return Ok(server),
                Err(StartError::PortTaken(e)) => last_error = Some(e),
                Err(StartError::Other(e)) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("kube-apiserver did not start")))
    }

    /// One instance shared by every test of the calling process (started on first use). Rust never
    /// drops statics, so this instance is stopped by its watchdog when the process exits.
    pub fn shared() -> anyhow::Result<&'static ApiServer> {
        static SHARED: OnceLock<Result<ApiServer, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| ApiServer::start().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow!("{e}"))
    }

    /// [`ApiServer::start`] with the current release's build ([`crate::CURRENT_KUBE_VERSION`]).
    pub fn start_current() -> anyhow::Result<ApiServer> {
        ApiServer::start_with(&Install::locate_current()?)
    }

    /// [`ApiServer::shared`] for the current release: a second instance, shared by every test of
    /// the calling process that asks for it.
    pub fn shared_current() -> anyhow::Result<&'static ApiServer> {
        static SHARED: OnceLock<Result<ApiServer, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| ApiServer::start_current().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow!("{e}"))
    }

    /// The Kubernetes version this instance runs (`1.20.2`).
    pub fn version(&self) -> &str {
        &self.install.version
    }

    /// The build this instance runs (its binaries, e.g. `kubectl`).
    pub fn install(&self) -> &Install {
        &self.install
    }

    /// Manifests written for 1.20 as this server takes them: CronJobs moved to `batch/v1` in
    /// 1.21, and 1.25 stopped serving `batch/v1beta1`.
    pub fn adapted(&self, yaml: &str) -> String {
        if self.install.minor() >= 21 {
            yaml.replace("apiVersion: batch/v1beta1", "apiVersion: batch/v1")
        } else {
            yaml.to_owned()
        }
    }

    fn start_once(install: &Install) -> Result<ApiServer, StartError> {
        let ports = Ports::lease().map_err(StartError::PortTaken)?;
        let dir = tempfile::Builder::new()
            .prefix("palisade-apiserver-")
            .tempdir()
            .context("creating the instance directory")?;
        let root = dir.path().to_path_buf();
        std::os::unix::fs::symlink(install.dir.join("bin"), root.join("bin"))
            .context("linking the built binaries into the instance directory")?;
        fs::create_dir_all(root.join("run")).context("creating run/")?;
        let watchdog = spawn_watchdog(install, &root, ports.lease_files())?;
        let mut server = ApiServer {
            install: install.clone(),
            dir: Some(dir),
            url: format!("https://127.0.0.1:{}", ports.api),
            agent: ureq::Agent::new_with_defaults(),
            controller_manager: Mutex::new(None),
            watchdog: Some(watchdog),
            ports,
            root,
        };
        let (status, stderr) = server.run_start_script()?;
        if !status.success() {
            let logs = server.log_tails(&["apiserver.log", "etcd.log"]);
            let error = anyhow!("start.sh failed ({status}): {}{logs}", stderr.trim());
            // Drop stops whatever did start.
            return Err(if logs.contains("address already in use") {
                StartError::PortTaken(error)
            } else {
                StartError::Other(error)
            });
        }
        server.agent = agent_trusting(&server.ca())?;
        server.start_controller_manager()?;
        Ok(server)
    }

    /// Runs `start.sh`, cutting its minute-long wait for `/readyz` short when the API server
    /// process it started has already exited (a taken port, a bad flag).
    fn run_start_script(&self) -> anyhow::Result<(std::process::ExitStatus, String)> {
        let mut child = Command::new(self.install.scripts.join("start.sh"))
            .arg(&self.root)
            .arg(self.ports.api.to_string())
            .arg(self.ports.etcd.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("running start.sh")?;
        let pid_file = self.root.join("run/apiserver.pid");
        loop {
            if let Some(status) = child.try_wait().context("waiting for start.sh")? {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                return Ok((status, stderr));
            }
            let started = fs::read_to_string(&pid_file).ok();
            if let Some(pid) = started.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                if !process_running(pid) {
                    let _ = child.kill();
                    let status = child.wait().context("waiting for start.sh")?;
                    return Ok((status, "kube-apiserver exited during start".to_owned()));
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The API server's URL (`https://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The API server's loopback port.
    pub fn api_port(&self) -> u16 {
        self.ports.api
    }

    /// A kubeconfig with contexts `admin` (current), `alice` and `bob`.
    pub fn kubeconfig(&self) -> PathBuf {
        self.root.join("run/kubeconfig")
    }

    /// The PEM file of the CA that signed the serving certificate.
    pub fn ca(&self) -> PathBuf {
        self.root.join("run/pki/ca.crt")
    }

    /// The bearer token of `admin` (group `system:masters`).
    pub fn admin_token(&self) -> &str {
        ADMIN_TOKEN
    }

    /// The instance directory: `run/` holds `apiserver.log`, `etcd.log` and
    /// `controller-manager.log`.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// An HTTPS agent that trusts the test CA and keeps connections alive; clone it for threads.
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// Runs the build's kubectl against this server as `admin`, with `stdin` fed when given;
    /// returns its standard output, or an error quoting its standard error.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        let mut child = Command::new(self.install.bin("kubectl"))
            .arg(format!("--kubeconfig={}", self.kubeconfig().display()))
            // Discovery and HTTP caches (megabytes per server) go away with the instance instead
            // of piling up under ~/.kube/cache, one per port.
            .arg(format!(
                "--cache-dir={}",
                self.root.join("kubectl-cache").display()
            ))
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running kubectl")?;
        // Input is written from another thread while the output is read, so neither side can
        // fill a pipe and wait on the other.
        let pipe = child.stdin.take();
        let out = std::thread::scope(|scope| {
            let writer = scope.spawn(move || match (stdin, pipe) {
                (Some(text), Some(mut pipe)) => pipe.write_all(text.as_bytes()),
                _ => Ok(()),
            });
            let out = child.wait_with_output();
            let written = writer
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("writer thread panicked")));
            (out, written)
        });
        let (out, written) = out;
        let out = out.context("waiting for kubectl")?;
        if !out.status.success() {
            bail!(
                "kubectl {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        // A short write with a successful exit would mean kubectl saw only part of the input.
        written.context("writing kubectl's input")?;
        String::from_utf8(out.stdout).context("kubectl printed non-UTF-8 output")
    }

    /// Creates or updates every object of a YAML (or JSON) stream, in order, as `admin`
    /// (`kubectl apply --server-side`: one request per object, no last-applied annotation).
    /// Validation is the server's alone (`--validate=false`: kubectl's own schema check would
    /// refuse some invalid objects before the API server sees them).
    pub fn apply(&self, yaml: &str) -> anyhow::Result<()> {
        self.kubectl(
            &[
                "apply",
                "--server-side",
                "--force-conflicts",
                "--field-manager=palisade-testkit",
                "--validate=false",
                "-f",
                "-",
            ],
            Some(yaml),
        )
        .map(drop)
    }

    /// Dumps the objects of `kinds` (comma-separated, as kubectl takes them, e.g.
    /// `clusterroles,clusterrolebindings,roles,rolebindings`) in all namespaces as one YAML `List`.
    pub fn get_yaml(&self, kinds: &str) -> anyhow::Result<String> {
        self.kubectl(&["get", kinds, "--all-namespaces", "-o", "yaml"], None)
    }

    /// Sends one request as `admin` to `path` (e.g. `/api/v1/namespaces`) with an optional JSON
    /// body; returns the status code and the body parsed as JSON (a JSON string when it is not).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let answer = self.request_as(ADMIN_TOKEN, method, path, body)?;
        Ok((answer.status, answer.body))
    }

    /// [`ApiServer::request`] with another user's token (`alice-token-0123456789`), keeping the
    /// `Warning` headers (admission warnings) too.
    pub fn request_as(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.url))
            .header("Authorization", format!("Bearer {token}"))
            .header("Accept", "application/json")
            .header("Content-Type", "application/json");
        let payload = body.map(Value::to_string).unwrap_or_default();
        let request = request
            .body(payload)
            .with_context(|| format!("building {method} {path}"))?;
        let mut response = self
            .agent
            .run(request)
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status().as_u16();
        let warnings = response
            .headers()
            .get_all("warning")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(warning_text)
            .collect();
        let text = response
            .body_mut()
            .read_to_string()
            .with_context(|| format!("reading the answer to {method} {path}"))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Answer {
            status,
            body,
            warnings,
        })
    }

    /// Asks the API server's authorizer one question (POST of a `SubjectAccessReview` as admin).
    pub fn subject_access_review(&self, sar: &crate::Sar) -> anyhow::Result<crate::SarAnswer> {
        let path = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
        let (status, review) = self.request("POST", path, Some(&sar.to_json()))?;
        if !(200..300).contains(&status) {
            bail!("SubjectAccessReview for {sar} answered {status}: {review}");
        }
        crate::SarAnswer::from_json(&review).with_context(|| format!("answer to {sar}"))
    }

    /// Answers every question, in order, over the kept-alive connection.
    pub fn subject_access_reviews(
        &self,
        sars: &[crate::Sar],
    ) -> anyhow::Result<Vec<crate::SarAnswer>> {
        sars.iter().map(|s| self.subject_access_review(s)).collect()
    }

    fn start_controller_manager(&self) -> anyhow::Result<()> {
        let log_path = self.root.join("run/controller-manager.log");
        let log = fs::File::create(&log_path).context("creating controller-manager.log")?;
        let child = Command::new(self.install.bin("kube-controller-manager"))
            .arg(format!("--kubeconfig={}", self.kubeconfig().display()))
            // Only ClusterRole aggregation; the rest of a control plane would act on test objects.
            .arg("--controllers=clusterrole-aggregation")
            .arg("--leader-elect=false")
            .arg("--use-service-account-credentials=false")
            // Serve nothing: port 0 disables both the insecure and the secure endpoint (1.24
            // removed the insecure one and its flag), which also skips the delegated
            // authentication/authorization setup.
            .args((self.install.minor() < 24).then_some("--port=0"))
            .arg("--secure-port=0")
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("duplicating the log handle")?)
            .stderr(log)
            .spawn()
            .context("starting kube-controller-manager")?;
        fs::write(
            self.root.join("run/controller-manager.pid"),
            child.id().to_string(),
        )
        .context("recording the controller-manager's PID")?;
        let mut slot = self.lock_controller_manager();
        *slot = Some(child);
        // upstream's ClusterRoleAggregationController.Run logs this (WaitForNamedCacheSync) once its
        // informer has listed every ClusterRole; before that it aggregates nothing.
        let deadline = Instant::now() + CONTROLLER_START;
        loop {
            let text = fs::read_to_string(&log_path).unwrap_or_default();
            // 1.20's wording, then the structured log line of current releases.
            if text.contains("Caches are synced for ClusterRoleAggregator")
                || text.contains(r#""Caches are synced" controller="ClusterRoleAggregator""#)
            {
                return Ok(());
            }
            if let Some(child) = slot.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    bail!(
                        "kube-controller-manager exited ({status}){}",
                        self.log_tails(&["controller-manager.log"])
                    );
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "the ClusterRole aggregation controller did not sync within {CONTROLLER_START:?}{}",
                    self.log_tails(&["controller-manager.log"])
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn lock_controller_manager(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        // A poisoned lock only means a panic elsewhere; the child handle is still valid.
        self.controller_manager
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The last lines of the named logs under `run/`, for error messages.
    pub(crate) fn log_tails(&self, names: &[&str]) -> String {
        let mut out = String::new();
        for name in names {
            let path = self.root.join("run").join(name);
            let text = fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(15)..].join("\n");
            out.push_str(&format!(
                "\n--- {} (last lines) ---\n{tail}",
                path.display()
            ));
        }
        out
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        if let Some(mut cm) = self.lock_controller_manager().take() {
            let _ = cm.kill();
            let _ = cm.wait();
        }
        let _ = Command::new(self.install.scripts.join("stop.sh"))
            .arg(&self.root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(dir) = self.dir.take() {
            if std::thread::panicking() || std::env::var_os(KEEP_ENV).is_some() {
                let kept = dir.keep();
                eprintln!(
                    "palisade-testkit: kept {} (logs under run/)",
                    kept.display()
                );
            }
        }
    }
}

/// Why one start attempt failed: a port race (worth another draw) or anything else.
enum StartError {
    PortTaken(anyhow::Error),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for StartError {
    fn from(e: anyhow::Error) -> StartError {
        StartError::Other(e)
    }
}

/// A [`crate::watchdog`] that, once the test process has ended, stops the controller-manager,
/// runs `stop.sh`, kills whatever has outlived both (`stop.sh` only waits 10 s for a SIGTERM),
/// removes the directory and releases the port leases.
fn spawn_watchdog(install: &Install, root: &Path, leases: &[PathBuf]) -> anyhow::Result<Child> {
    let script = r#"
dir=$1; stop=$2; keep=$3; shift 3
pids=$(cat "$dir"/run/*.pid 2>/dev/null)
[ -f "$dir/run/controller-manager.pid" ] && kill "$(cat "$dir/run/controller-manager.pid")" 2>/dev/null
"$stop" "$dir" >/dev/null 2>&1
for p in $pids; do kill -9 "$p" 2>/dev/null; done
[ -n "$keep" ] || rm -rf "$dir"
rm -f "$@"
"#;
    let stop = install.scripts.join("stop.sh");
    let keep = std::env::var_os(KEEP_ENV).unwrap_or_default();
    let mut args = vec![root.as_os_str(), stop.as_os_str(), keep.as_os_str()];
    args.extend(leases.iter().map(|l| l.as_os_str()));
    crate::watchdog::spawn("palisade-testkit-watchdog", script, &args)
}

/// Whether `pid` names a live process (present in /proc and not a zombie awaiting its reaper).
fn process_running(pid: &str) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            // The state follows the parenthesised command name, which may itself hold spaces.
            let rest = stat.rsplit_once(')').map(|(_, r)| r.trim_start());
            !rest.is_some_and(|r| r.starts_with('Z') || r.starts_with('X'))
        })
        .unwrap_or(false)
}

fn agent_trusting(ca: &Path) -> anyhow::Result<ureq::Agent> {
    use std::sync::Arc;
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let pem = fs::read(ca).with_context(|| format!("reading {}", ca.display()))?;
    let cert = Certificate::from_pem(&pem).with_context(|| format!("parsing {}", ca.display()))?;
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(vec![cert])))
        .build();
    let config = ureq::Agent::config_builder()
        .tls_config(tls)
        // Status codes are answers here (404 while waiting, 403 in tests), not transport errors.
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn script(path: &Path, body: &str) {
        fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A start.sh whose API server dies at once is cut short instead of waited on for a minute,
    /// and the error says what happened.
    #[test]
    fn an_api_server_that_dies_during_start_fails_fast() {
        let fake = tempfile::tempdir().unwrap();
        let (bin, scripts) = (fake.path().join("bin"), fake.path().join("scripts"));
        fs::create_dir_all(&bin).unwrap();
        fs::create_dir_all(&scripts).unwrap();
        for name in ["kube-apiserver", "kube-controller-manager", "kubectl"] {
            script(&bin.join(name), "exit 1");
        }
        script(&scripts.join("mkcerts.sh"), "exit 0");
        script(&scripts.join("stop.sh"), "exit 0");
        script(
            &scripts.join("start.sh"),
            "echo 'listen tcp: address in use? no: bad flag' > \"$1/run/apiserver.log\"\n\
             sh -c 'exit 3' & echo $! > \"$1/run/apiserver.pid\"\nexec sleep 60",
        );
        let install = Install::at(fake.path().into(), scripts).unwrap();
        let t0 = Instant::now();
        let err = ApiServer::start_with(&install).err().unwrap();
        let text = format!("{err:#}");
        assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
        assert!(
            text.contains("kube-apiserver exited during start"),
            "{text}"
        );
        assert!(text.contains("bad flag"), "{text}");
    }
}
