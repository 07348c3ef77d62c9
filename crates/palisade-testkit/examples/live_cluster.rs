//! Starts a test API server (1.20.2), creates OBJECTS objects in it in bulk (20 namespaces of
//! Deployments, ConfigMaps, headless Services and ServiceAccounts, in a 150:300:25:25 mix), then
//! runs the command after `--` with `{kubeconfig}` replaced by the server's kubeconfig, and
//! stops the server. For bench/live-scan.sh:
//! `cargo run -p palisade-testkit --example live_cluster -- 10000 -- palisade scan --cluster -A --kubeconfig {kubeconfig}`.

use std::process::Command;
use std::time::Instant;

const NAMESPACES: usize = 20;

fn namespace_yaml(ns: usize, per_namespace: usize) -> String {
    let name = format!("bench-{ns:02}");
    let mut yaml = format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n");
    // 150:300:25:25 out of 500.
    let count = |share: usize| (per_namespace * share).div_ceil(500);
    for i in 0..count(150) {
        yaml.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web-{i}, namespace: {name}}}\n\
             spec:\n  selector: {{matchLabels: {{app: web-{i}}}}}\n  template:\n    metadata: {{labels: {{app: web-{i}}}}}\n\
             \x20   spec:\n      containers:\n      - name: app\n        image: nginx:1.25\n\
             \x20       securityContext: {{privileged: {}}}\n",
            i % 10 == 0
        ));
    }
    for i in 0..count(300) {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings-{i}, namespace: {name}}}\n\
             data: {{mode: production, level: '{i}'}}\n"
        ));
    }
    for i in 0..count(25) {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: web-{i}, namespace: {name}}}\n\
             spec: {{clusterIP: None, selector: {{app: web-{i}}}, ports: [{{port: 80}}]}}\n---\n\
             apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa-{i}, namespace: {name}}}\n"
        ));
    }
    yaml
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let objects: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let command: Vec<String> = args
        .iter()
        .skip_while(|a| a.as_str() != "--")
        .skip(1)
        .cloned()
        .collect();
    let server = palisade_testkit::ApiServer::start()?;
    let started = Instant::now();
    let per_namespace = objects / NAMESPACES;
    // Two namespaces at a time: the server and kubectl share the machine's two cores.
    for pair in (0..NAMESPACES).collect::<Vec<_>>().chunks(2) {
        std::thread::scope(|s| -> anyhow::Result<()> {
            let handles: Vec<_> = pair
                .iter()
                .map(|&ns| {
                    let yaml = namespace_yaml(ns, per_namespace);
                    let server = &server;
                    s.spawn(move || server.kubectl(&["create", "-f", "-"], Some(&yaml)))
                })
                .collect();
            for h in handles {
                h.join()
                    .map_err(|_| anyhow::anyhow!("kubectl thread panicked"))??;
            }
            Ok(())
        })?;
    }
    eprintln!(
        "created {} objects in {:.1} s",
        per_namespace * NAMESPACES,
        started.elapsed().as_secs_f64()
    );
    if let Some((program, rest)) = command.split_first() {
        let kubeconfig = server.kubeconfig().display().to_string();
        let rest: Vec<String> = rest
            .iter()
            .map(|a| a.replace("{kubeconfig}", &kubeconfig))
            .collect();
        let status = Command::new(program).args(&rest).status()?;
        eprintln!("command exited with {status}");
    }
    Ok(())
}
