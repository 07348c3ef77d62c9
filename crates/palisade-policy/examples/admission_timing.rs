//! Timings of the admission path alone (no TLS, no HTTP, one thread): the policies of
//! `bench/admission-soak.sh` (10 pod-security templates of the Gatekeeper library with their
//! first sample constraint, and the 5 ValidatingAdmissionPolicies of
//! `bench/admission/vap.yaml`) judging the soak's two AdmissionReviews (a hardened pod,
//! allowed, and a privileged one, denied) N times each.
//!
//! ```sh
//! cargo run --release -p palisade-policy --example admission_timing -- ../shared/corpora/gatekeeper-library/library 20000
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use palisade_core::inventory::{load_str, LoadLimits};
use palisade_core::Inventory;
use palisade_policy::PolicySet;
use serde_json::json;

// The allocator the `palisade` binary uses, so the figures are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TEMPLATES: [&str; 10] = [
    "privileged-containers",
    "host-namespaces",
    "host-network-ports",
    "capabilities",
    "allow-privilege-escalation",
    "read-only-root-filesystem",
    "users",
    "volumes",
    "seccomp",
    "proc-mount",
];

fn review(uid: &str, pod: serde_json::Value) -> serde_json::Value {
    json!({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
        "uid":uid,"kind":{"group":"","version":"v1","kind":"Pod"},
        "resource":{"group":"","version":"v1","resource":"pods"},
        "namespace":"shop","name":"web","operation":"CREATE","userInfo":{"username":"bench"},
        "object":pod,"dryRun":false}})
}

fn add_file(inv: &mut Inventory, path: &std::path::Path) {
    match std::fs::read_to_string(path) {
        Ok(text) => inv.add(load_str(
            &path.to_string_lossy(),
            &text,
            &LoadLimits::default(),
        )),
        Err(e) => eprintln!("{}: {e}", path.display()),
    }
}

/// A library template and the constraint of its first sample.
fn add_template(inv: &mut Inventory, dir: &std::path::Path) {
    add_file(inv, &dir.join("template.yaml"));
    let mut samples: Vec<PathBuf> = std::fs::read_dir(dir.join("samples"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    samples.sort();
    if let Some(first) = samples.first() {
        add_file(inv, &first.join("constraint.yaml"));
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let lib = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "../shared/corpora/gatekeeper-library/library".into()),
    )
    .join("pod-security-policy");
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let mut policies = Inventory::default();
    for t in TEMPLATES {
        add_template(&mut policies, &lib.join(t));
    }
    add_file(
        &mut policies,
        std::path::Path::new("bench/admission/vap.yaml"),
    );
    let (mut set, diags) = PolicySet::from_inventory(&policies);
    println!("{} rules, {} diagnostics", set.rules().len(), diags.len());
    for (kind, reads) in set.template_reads() {
        println!("  {kind} reads {reads:?}");
    }
    let good = review(
        "good",
        json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},"spec":{"automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"app","image":"registry.test/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true,"runAsUser":10001,"capabilities":{"drop":["ALL"]}},"resources":{"limits":{"cpu":"100m","memory":"64Mi"},"requests":{"cpu":"100m","memory":"64Mi"}},"livenessProbe":{"httpGet":{"path":"/healthz","port":8080}},"readinessProbe":{"httpGet":{"path":"/readyz","port":8080}}}]}}),
    );
    let bad = review(
        "bad",
        json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"root","namespace":"shop"},"spec":{"hostNetwork":true,"containers":[{"name":"app","image":"nginx","securityContext":{"privileged":true}}]}}),
    );
    // Without the decision cache, then with it on replicas: each request a pod of its own
    // name and uid (as a ReplicaSet makes them), the same spec.
    for budget in [0, palisade_policy::DEFAULT_CACHE_BYTES] {
        set.set_decision_cache_bytes(budget);
        let mode = if budget == 0 {
            "no cache"
        } else {
            "cache, replicas"
        };
        for (name, body) in [("allowed", &good), ("denied", &bad)] {
            let mut gk = Vec::with_capacity(n);
            let mut vap = Vec::with_capacity(n);
            let mut violations = 0;
            for i in 0..n {
                let mut body = body.clone();
                body["request"]["uid"] = json!(format!("uid-{i}"));
                body["request"]["name"] = json!(format!("web-7d9f8-{i:05}"));
                body["request"]["object"]["metadata"]["name"] = json!(format!("web-7d9f8-{i:05}"));
                let t = Instant::now();
                let out = set.evaluate_review(&body);
                gk.push(t.elapsed());
                if let Ok(o) = &out {
                    violations = o.violations.len();
                }
                let t = Instant::now();
                let _ = set.vap().evaluate_request(&body);
                vap.push(t.elapsed());
            }
            let med = |v: &mut Vec<Duration>| {
                v.sort();
                (v[v.len() / 2], v[v.len() * 99 / 100])
            };
            let (m, p) = med(&mut gk);
            let (vm, vp) = med(&mut vap);
            println!(
                "{mode}, {name}: evaluate_review median {m:?} p99 {p:?} ({violations} violations); of which VAP alone median {vm:?} p99 {vp:?}"
            );
        }
        println!("  decision cache: {:?}", set.decision_cache_stats());
    }
    set.set_decision_cache_bytes(0);
    // Each template with its constraint alone, on both reviews.
    for t in TEMPLATES {
        let mut one = Inventory::default();
        add_template(&mut one, &lib.join(t));
        let (mut set, _) = PolicySet::from_inventory(&one);
        set.set_decision_cache_bytes(0);
        let times = |body: &serde_json::Value| {
            median(
                (0..n / 10)
                    .map(|_| {
                        let t = Instant::now();
                        let _ = set.evaluate_review(body);
                        t.elapsed()
                    })
                    .collect(),
            )
        };
        println!(
            "  {t}: allowed {:?}, denied {:?}",
            times(&good),
            times(&bad)
        );
    }
}
