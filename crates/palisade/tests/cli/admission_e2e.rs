//! The webhook against a real API server: `palisade serve --admission` on a leased loopback
//! port, registered with kube-apiserver 1.20.2 (palisade-testkit) by the
//! ValidatingWebhookConfiguration that `palisade admission manifests --webhook-url` makes, and
//! objects created through the API server with kubectl.
//!
//! kube-apiserver 1.20 has no ValidatingAdmissionPolicy, so Palisade's VAP verdicts are not
//! compared with the API server's here. Needs the build of `scripts/setup.sh`; without it the
//! test fails (it does not skip).

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use palisade_testkit::{ApiServer, Port};

use crate::util::{stdout, Dir};

/// How long a changed webhook configuration may take to reach the API server's informer.
const PROPAGATION: Duration = Duration::from_secs(15);

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// kubectl against the test API server as `admin`, with its full output (warnings are on
/// standard error of a successful command).
struct Kubectl<'a> {
    bin: std::path::PathBuf,
    api: &'a ApiServer,
}

impl Kubectl<'_> {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(&self.bin)
            .arg(format!("--kubeconfig={}", self.api.kubeconfig().display()))
            .arg(format!(
                "--cache-dir={}",
                self.api.dir().join("kubectl-cache").display()
            ))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).unwrap();
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    }

    /// `kubectl create -f -` of one object (with extra args such as `--dry-run=server`).
    fn create(&self, yaml: &str, extra: &[&str]) -> Output {
        let mut args = vec!["create", "--validate=false", "-f", "-"];
        args.extend_from_slice(extra);
        self.run(&args, Some(yaml))
    }
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A pod in namespace `shop`: hardened unless `privileged`; `account` names its
/// ServiceAccount (`default` is the warn-mode rule's trigger). The token is never mounted:
/// no controller makes token Secrets in this control plane, and the ServiceAccount admission
/// plugin would refuse the pod before the webhook saw it.
fn pod(name: &str, account: &str, privileged: bool) -> String {
    let digest = "a".repeat(64);
    let security = if privileged {
        "privileged: true".to_string()
    } else {
        "allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: true\n      \
         runAsNonRoot: true\n      capabilities: {drop: [ALL]}"
            .to_string()
    };
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  \
         serviceAccountName: {account}\n  automountServiceAccountToken: false\n  \
         securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001\n    \
         seccompProfile: {{type: RuntimeDefault}}\n  containers:\n  - name: web\n    \
         image: registry.example/web@sha256:{digest}\n    \
         resources:\n      requests: {{cpu: 10m, memory: 16Mi}}\n      limits: {{cpu: 100m, memory: 64Mi}}\n    \
         livenessProbe: {{httpGet: {{path: /, port: 8080}}}}\n    \
         readinessProbe: {{httpGet: {{path: /, port: 8080}}}}\n    \
         securityContext:\n      {security}\n"
    )
}

const SHOP: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n\
apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\nautomountServiceAccountToken: false\n---\n\
apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\nautomountServiceAccountToken: false\n";

/// The ValidatingWebhookConfiguration of `palisade admission manifests` for a webhook at `url`.
fn webhook_configuration(dir: &Dir, url: &str, policy: &str) -> String {
    let out = dir.run(&[
        "admission",
        "manifests",
        "--ca-file",
        "ca.crt",
        "--webhook-url",
        url,
        "--failure-policy",
        policy,
    ]);
    assert!(out.status.success(), "{}", err(&out));
    let text = stdout(&out);
    // A webhook at a URL runs outside the cluster: nothing else is printed.
    assert!(!text.contains("kind: Deployment"), "{text}");
    let doc = text
        .split("\n---\n")
        .find(|d| d.contains("kind: ValidatingWebhookConfiguration"))
        .unwrap();
    doc.to_owned()
}

/// Every decision line the server logged.
fn decisions(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["msg"] == "admission decision")
        .collect()
}

/// Retries `attempt` (given a fresh attempt number) until it returns true.
fn eventually(what: &str, mut attempt: impl FnMut(u32) -> bool) {
    let start = Instant::now();
    let mut n = 0;
    while !attempt(n) {
        assert!(
            start.elapsed() < PROPAGATION,
            "{what}: not within {PROPAGATION:?}"
        );
        n += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// PAL-POD-002's remediation, from the rule catalog.
fn fix_of(dir: &Dir, rule: &str) -> String {
    let out = dir.run(&["rules", "--format", "json"]);
    let catalog: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = catalog
        .as_array()
        .or_else(|| catalog["rules"].as_array())
        .unwrap();
    let r = rules.iter().find(|r| r["id"] == rule).unwrap();
    r["remediation"].as_str().unwrap().to_owned()
}

#[test]
fn the_webhook_guards_a_real_api_server_on_1_20() {
    let t0 = Instant::now();
    let api = ApiServer::start().expect("start the test API server (scripts/setup.sh)");
    the_webhook_guards_a_real_api_server(&api, t0.elapsed());
}

#[test]
fn the_webhook_guards_a_real_api_server_on_1_34() {
    let t0 = Instant::now();
    let api = ApiServer::start_current().expect("start the test API server (scripts/setup.sh)");
    the_webhook_guards_a_real_api_server(&api, t0.elapsed());
}

/// Two ValidatingAdmissionPolicies for the webhook: pods named `blocked-*` are refused,
/// pods named `noted-*` are warned about.
const VAPS: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-blocked}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "!object.metadata.name.startsWith('blocked-')"
    message: blocked- pods are refused here
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-blocked}
spec: {policyName: no-blocked, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: noted}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "!object.metadata.name.startsWith('noted-')"
    message: noted- pods are reviewed weekly
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: noted}
spec: {policyName: noted, validationActions: [Warn]}
"#;

fn the_webhook_guards_a_real_api_server(api: &ApiServer, started: Duration) {
    let t0 = Instant::now() - started;
    let dir = Dir::new("admission-e2e");
    let kubectl = Kubectl {
        bin: api.install().bin("kubectl"),
        api,
    };

    // A CA and a serving certificate for 127.0.0.1; a config with one warn-mode rule; two
    // ValidatingAdmissionPolicies for the webhook to enforce (the 1.20 server has none of its
    // own), one bound to Deny and one to Warn, matching only pods named for them.
    let issued = palisade_server::issue("e2e CA", &["127.0.0.1".to_string()], 2, 1).unwrap();
    dir.create("ca.crt", &issued.ca_pem)
        .create("tls.crt", &issued.server.cert_pem)
        .create("tls.key", &issued.server.key_pem)
        .create(
            "palisade.yaml",
            "apiVersion: palisade.dev/v1\nadmission:\n  modes:\n    PAL-POD-034: warn\n",
        )
        .create("vap.yaml", VAPS);
    let port = Port::lease().unwrap();
    let listen = format!("127.0.0.1:{}", port.port);
    let url = format!("https://{listen}/validate");
    let log = dir.root.join("server.log");
    let mut server = Server(
        dir.command()
            .args(["serve", "--admission", "--listen", &listen])
            .args([
                "--cert",
                "tls.crt",
                "--key",
                "tls.key",
                "--config",
                "palisade.yaml",
                "--policies",
                "vap.yaml",
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    // Ready, over TLS verified against the CA (not -k).
    eventually("webhook ready", |_| {
        Command::new("curl")
            .args(["-sf", "--max-time", "2", "--cacert"])
            .arg(dir.root.join("ca.crt"))
            .arg(format!("https://{listen}/readyz"))
            .output()
            .is_ok_and(|o| o.status.success())
    });

    // The install itself is accepted by the API server: its Namespace for real, the rest as
    // a server-side dry run (schema and admission, nothing stored); on 1.20 all but the
    // PodDisruptionBudget, whose policy/v1 arrived in 1.21.
    let pdb_served = api.install().minor() >= 21;
    let install = dir.run(&[
        "admission",
        "manifests",
        "--ca-file",
        "ca.crt",
        "--policies",
        "vap.yaml",
    ]);
    assert!(install.status.success(), "{}", err(&install));
    let text = stdout(&install);
    let docs: Vec<&str> = text.split("\n---\n").collect();
    assert!(docs[0].contains("kind: Namespace"), "{}", docs[0]);
    api.apply(docs[0]).unwrap();
    let rest: Vec<&str> = docs[1..]
        .iter()
        .copied()
        .filter(|d| pdb_served || !d.contains("kind: PodDisruptionBudget"))
        .collect();
    let out = kubectl.run(
        &["apply", "--dry-run=server", "--validate=true", "-f", "-"],
        Some(&rest.join("\n---\n")),
    );
    assert!(out.status.success(), "{}", err(&out));
    let applied = stdout(&out);
    for kind in [
        "configmap/palisade-admission-policies",
        "deployment.apps",
        "validatingwebhookconfiguration",
        "networkpolicy",
        "service",
        "resourcequota",
    ] {
        assert!(applied.contains(kind), "{applied}");
    }
    assert_eq!(
        applied.contains("poddisruptionbudget"),
        pdb_served,
        "{applied}"
    );

    api.apply(SHOP).unwrap();
    api.apply(&webhook_configuration(&dir, &url, "Fail"))
        .unwrap();
    // Until the API server's informer has the configuration, pods go through unjudged.
    eventually("webhook registered", |n| {
        let out = kubectl.create(
            &pod(&format!("probe-{n}"), "web", true),
            &["--dry-run=server"],
        );
        err(&out).contains("PAL-POD-002")
    });

    // A privileged pod is refused with Palisade's message: the rule and its fix.
    let out = kubectl.create(&pod("root", "web", true), &[]);
    assert!(!out.status.success());
    let text = err(&out);
    assert!(
        text.contains("admission webhook \"validate.palisade.dev\" denied the request"),
        "{text}"
    );
    assert!(text.contains("Palisade denied Pod shop/root"), "{text}");
    assert!(text.contains("PAL-POD-002"), "{text}");
    let fix = fix_of(&dir, "PAL-POD-002");
    assert!(text.contains(&format!("Fix: {fix}")), "{text}\nfix: {fix}");
    let gone = kubectl.run(&["get", "pod", "root", "-n", "shop"], None);
    assert!(!gone.status.success(), "the refused pod exists");

    // A hardened pod is created, without a warning.
    let out = kubectl.create(&pod("web", "web", false), &[]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(!err(&out).contains("Warning:"), "{}", err(&out));
    let got = kubectl.run(&["get", "pod", "web", "-n", "shop", "-o", "name"], None);
    assert_eq!(stdout(&got).trim(), "pod/web");

    // The warn-mode rule of the config (the default ServiceAccount) reaches the client.
    let out = kubectl.create(&pod("warned", "default", false), &[]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(err(&out).contains("Warning: PAL-POD-034"), "{}", err(&out));

    // The ValidatingAdmissionPolicies decide through the webhook: Deny refuses, Warn warns.
    let out = kubectl.create(&pod("blocked-one", "web", false), &[]);
    assert!(
        !out.status.success(),
        "a pod the Deny policy refuses was created"
    );
    assert!(
        err(&out).contains(
            "VAP-no-blocked: ValidatingAdmissionPolicy 'no-blocked' with binding 'no-blocked': \
             blocked- pods are refused here"
        ),
        "{}",
        err(&out)
    );
    let out = kubectl.create(&pod("noted-one", "web", false), &[]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(
        err(&out).contains("Warning: VAP-noted: ValidatingAdmissionPolicy 'noted'"),
        "{}",
        err(&out)
    );

    // RBAC objects go to the second webhook, judged by the same rules.
    let out = kubectl.create(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
         metadata: {name: mallory-admin}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n\
         subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: mallory}]\n",
        &[],
    );
    assert!(!out.status.success(), "cluster-admin granted");
    assert!(
        err(&out).contains("admission webhook \"rbac.palisade.dev\" denied the request")
            && err(&out).contains("PAL-RBAC-002"),
        "{}",
        err(&out)
    );

    // A server-side dry run reaches the webhook, marked as such; nothing is stored.
    let out = kubectl.create(&pod("dry", "web", false), &["--dry-run=server"]);
    assert!(out.status.success(), "{}", err(&out));
    let stored = kubectl.run(&["get", "pod", "dry", "-n", "shop"], None);
    assert!(!stored.status.success(), "a dry run stored the pod");
    let lines = decisions(&log);
    let line = |name: &str| {
        lines
            .iter()
            .find(|d| d["name"] == name && d["namespace"] == "shop")
            .unwrap_or_else(|| panic!("no decision for {name}: {lines:#?}"))
    };
    assert_eq!(line("dry")["dryRun"], true, "{lines:#?}");
    assert_eq!(line("dry")["allowed"], true);
    assert_eq!(line("web")["dryRun"], false);
    assert_eq!(line("root")["allowed"], false);
    assert_eq!(line("root")["operation"], "CREATE");

    // The webhook down: failurePolicy Fail refuses ...
    let _ = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status();
    let status = server.0.wait().unwrap();
    assert!(
        status.success(),
        "the server did not stop cleanly: {status}"
    );
    let out = kubectl.create(&pod("while-down", "web", false), &[]);
    assert!(!out.status.success(), "admitted with the webhook down");
    assert!(
        err(&out).contains("failed calling webhook \"validate.palisade.dev\"")
            // timeoutSeconds reaches the API server, which passes it on in the URL.
            && err(&out).contains("/validate?timeout=5s"),
        "{}",
        err(&out)
    );
    // ... and Ignore admits, unjudged: even a privileged pod.
    api.apply(&webhook_configuration(&dir, &url, "Ignore"))
        .unwrap();
    eventually("failurePolicy Ignore in force", |n| {
        let out = kubectl.create(&pod(&format!("open-{n}"), "web", true), &[]);
        out.status.success()
    });
    eprintln!(
        "admission_e2e: API server started in {started:.1?}; total {:.1?}",
        t0.elapsed()
    );
}
