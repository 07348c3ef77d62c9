//! `palisade netpol`: matrix in every format and explain, over a small two-namespace app.

use serde_json::Value;

use crate::util::Dir;

const APP: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: ingress, labels: {team: edge}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db, ports: [{containerPort: 5432}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: proxy, namespace: ingress}
spec:
  template:
    metadata: {labels: {app: proxy}}
    spec: {containers: [{name: proxy, image: proxy}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-proxy, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: edge}}}]
    ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
";

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `src -> dst: allowed` lines of a JSON matrix.
fn pairs(v: &Value) -> Vec<String> {
    let name = |i: &Value| {
        let e = &v["endpoints"][i.as_u64().unwrap() as usize];
        match e["type"].as_str().unwrap() {
            "workload" => format!(
                "{}/{}",
                e["namespace"].as_str().unwrap(),
                e["name"].as_str().unwrap()
            ),
            _ => e["addresses"].as_str().unwrap().to_string(),
        }
    };
    v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} -> {}: {}",
                name(&c["src"]),
                name(&c["dst"]),
                c["allowed"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn matrix_json_has_exactly_the_allowed_connections() {
    let d = Dir::new("netpol-matrix");
    d.create("app.yaml", APP);
    let out = d.run(&["netpol", "matrix", "app.yaml", "-f", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = pairs(&json(&out));
    assert!(
        p.contains(&"ingress/proxy -> shop/web: TCP 8080".to_string()),
        "{p:?}"
    );
    assert!(
        p.contains(&"shop/web -> shop/db: TCP 5432".to_string()),
        "{p:?}"
    );
    // Nothing reaches the database but the web pods, and nothing outside reaches the shop.
    assert!(
        !p.iter().any(|l| l.starts_with("ingress/proxy -> shop/db")),
        "{p:?}"
    );
    assert!(
        !p.iter().any(|l| l.starts_with("0.0.0.0/0 -> shop/")),
        "{p:?}"
    );
    // The proxy's namespace has no policy: it accepts everything, the outside included.
    assert!(
        p.contains(&"0.0.0.0/0 -> ingress/proxy: All".to_string()),
        "{p:?}"
    );
}

#[test]
fn matrix_text_formats_agree_with_json() {
    let d = Dir::new("netpol-formats");
    d.create("app.yaml", APP);
    let n = pairs(&json(
        &d.run(&["netpol", "matrix", "app.yaml", "-f", "json"]),
    ))
    .len();
    let csv = d.run(&["netpol", "matrix", "app.yaml", "-f", "csv"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(csv.lines().count(), n + 1, "{csv}");
    assert!(csv.contains("shop/web,shop/db,TCP 5432"), "{csv}");
    let dot =
        String::from_utf8(d.run(&["netpol", "matrix", "app.yaml", "-f", "dot"]).stdout).unwrap();
    assert!(dot.starts_with("digraph connectivity {") && dot.trim_end().ends_with('}'));
    assert_eq!(dot.matches(" -> n").count(), n, "{dot}");
    assert!(dot.contains("subgraph \"cluster_shop\""), "{dot}");
    let mermaid = String::from_utf8(
        d.run(&["netpol", "matrix", "app.yaml", "-f", "mermaid"])
            .stdout,
    )
    .unwrap();
    assert!(mermaid.starts_with("flowchart LR"));
    assert_eq!(mermaid.matches(" -->|").count(), n, "{mermaid}");
    let table = String::from_utf8(d.run(&["netpol", "matrix", "app.yaml"]).stdout).unwrap();
    assert!(table.contains(&format!("{n} allowed of")), "{table}");
}

#[test]
fn explain_names_the_deciding_rules_on_each_side() {
    let d = Dir::new("netpol-explain");
    d.create("app.yaml", APP);
    let out = d.run(&[
        "netpol", "explain", "shop/web", "shop/db", "5432", "app.yaml", "-f", "json",
    ]);
    let v = json(&out);
    assert_eq!(v["allowed"], true, "{v}");
    assert_eq!(v["egress"]["isolated"], false);
    assert_eq!(v["ingress"]["isolated"], true);
    let rules = v["ingress"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["policy"], "NetworkPolicy/shop/db-from-web");
    assert_eq!(rules[0]["line"], 55);
    let out = d.run(&[
        "netpol",
        "explain",
        "ingress/proxy",
        "Deployment/shop/db",
        "5432/TCP",
        "app.yaml",
        "-f",
        "json",
    ]);
    let v = json(&out);
    assert_eq!(v["allowed"], false);
    assert!(v["ingress"]["rules"].as_array().unwrap().is_empty());
    let text = String::from_utf8(
        d.run(&[
            "netpol",
            "explain",
            "ingress/proxy",
            "shop/web",
            "8080",
            "app.yaml",
        ])
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("ALLOWED") && text.contains("web-from-proxy ingress[0]"),
        "{text}"
    );
}

#[test]
fn explain_usage_errors() {
    let d = Dir::new("netpol-explain-errors");
    d.create("app.yaml", APP);
    for (args, needle) in [
        (vec!["shop/nope", "shop/db", "80"], "no workload"),
        (vec!["shop/web", "shop/db", "99999"], "not a port"),
        (vec!["shop/web", "shop/db", "80/ICMP"], "unknown protocol"),
    ] {
        let mut all = vec!["netpol", "explain"];
        all.extend(args);
        all.push("app.yaml");
        let out = d.run(&all);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(needle));
    }
}

#[test]
fn diff_reports_changes_and_fails_on_a_cut_critical_flow() {
    let d = Dir::new("netpol-diff");
    d.create("old/app.yaml", APP);
    d.create(
        "new/app.yaml",
        APP.replace("ports: [{port: 5432}]", "ports: [{port: 5433}]"),
    );
    d.create(
        "critical.yaml",
        "critical:\n  - from: shop/web\n    to: Deployment/shop/db\n    port: 5432\n    reason: checkout reads orders\n",
    );
    let out = d.run(&["netpol", "diff", "old", "new", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{v}");
    assert_eq!(changes[0]["src"], "Deployment/shop/web");
    assert_eq!(changes[0]["removed"], "TCP 5432");
    assert_eq!(changes[0]["added"], "TCP 5433");
    let out = d.run(&[
        "netpol",
        "diff",
        "old",
        "new",
        "--critical",
        "critical.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("critical flow shop/web -> Deployment/shop/db port 5432 (line 2) is cut off"),
        "{text}"
    );
    // The same change seen the other way round adds the flow back: nothing is cut.
    let out = d.run(&[
        "netpol",
        "diff",
        "new",
        "old",
        "--critical",
        "critical.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0));
    // A malformed critical flows file is a usage error naming the line.
    d.create(
        "bad.yaml",
        "critical:\n  - from: shop/web\n    port: 99999\n",
    );
    let out = d.run(&["netpol", "diff", "old", "new", "--critical", "bad.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml:2"));
}

#[test]
fn quarantine_output_isolates_the_workload_as_explain_confirms() {
    let d = Dir::new("netpol-quarantine");
    d.create("app.yaml", APP);
    let out = d.run(&["netpol", "quarantine", "ingress/proxy", "app.yaml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    d.create("q.yaml", &out.stdout);
    let before = json(&d.run(&[
        "netpol",
        "explain",
        "ingress/proxy",
        "shop/web",
        "8080",
        "app.yaml",
        "-f",
        "json",
    ]));
    assert_eq!(before["allowed"], true);
    for (src, dst, port) in [
        ("ingress/proxy", "shop/web", "8080"),
        ("203.0.113.9", "ingress/proxy", "443"),
        ("shop/db", "ingress/proxy", "80"),
    ] {
        let v = json(&d.run(&[
            "netpol", "explain", src, dst, port, "app.yaml", "q.yaml", "-f", "json",
        ]));
        assert_eq!(v["allowed"], false, "{src} -> {dst}: {v}");
    }
    // A workload that another policy lets in gets a warning that policies add up.
    let out = d.run(&["netpol", "quarantine", "shop/web", "app.yaml"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("shop/web-from-proxy still allows ingress"),
        "{err}"
    );
    let out = d.run(&[
        "netpol",
        "quarantine",
        "shop/web",
        "app.yaml",
        "--allow-dns",
        "--calico",
    ]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(
        yaml.contains("kind: GlobalNetworkPolicy") && yaml.contains("order: 0"),
        "{yaml}"
    );
    assert!(yaml.contains("port: 53"), "{yaml}");
    // The output loads as Kubernetes objects without errors.
    d.create("q2.yaml", &out.stdout);
    // The NetworkPolicy alone cannot stop what web-from-proxy allows; the Calico policy,
    // evaluated first, denies it.
    let v = json(&d.run(&[
        "netpol",
        "explain",
        "ingress/proxy",
        "shop/web",
        "8080",
        "app.yaml",
        "q2.yaml",
        "-f",
        "json",
    ]));
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(v["ingress"]["decidedBy"], "rule", "{v}");
    assert_eq!(v["ingress"]["decisionRule"]["action"], "Deny", "{v}");
    assert_eq!(
        v["ingress"]["decisionRule"]["policy"], "GlobalNetworkPolicy/quarantine.shop-web",
        "{v}"
    );
    // DNS egress to kube-dns stays open.
    d.create(
        "dns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: coredns, namespace: kube-system}\nspec:\n  template:\n    metadata: {labels: {k8s-app: kube-dns}}\n    spec: {containers: [{name: dns, image: dns}]}\n",
    );
    let v = json(&d.run(&[
        "netpol",
        "explain",
        "shop/web",
        "kube-system/coredns",
        "53/UDP",
        "app.yaml",
        "dns.yaml",
        "q2.yaml",
        "-f",
        "json",
    ]));
    assert_eq!(v["allowed"], true, "{v}");
    let v = json(&d.run(&[
        "netpol",
        "explain",
        "shop/web",
        "kube-system/coredns",
        "80",
        "app.yaml",
        "dns.yaml",
        "q2.yaml",
        "-f",
        "json",
    ]));
    assert_eq!(v["allowed"], false, "{v}");
    let scan = d.run(&["scan", "q2.yaml", "--parse-only"]);
    assert!(String::from_utf8_lossy(&scan.stdout).contains("3 objects, 0 errors"));
}

fn flows_fixture(name: &str) -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../palisade-netpol/tests/fixtures/flows")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn generated_policies_allow_what_was_observed_and_check_flows_agrees() {
    let d = Dir::new("netpol-generate");
    let app = flows_fixture("shop.yaml");
    let flows = flows_fixture("shop.jsonl");
    let out = d.run(&["netpol", "generate", "--flows", &flows, &app]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    d.create("learned.yaml", &out.stdout);
    // Every observed connection passes the learned policies; nothing is denied.
    let check = json(&d.run(&[
        "netpol",
        "check-flows",
        "--flows",
        &flows,
        &app,
        "learned.yaml",
        "-f",
        "json",
    ]));
    assert!(check["allowed"].as_u64().unwrap() > 0, "{check}");
    let denied: Vec<&Value> = check["denied"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !d["transport"].as_str().unwrap().starts_with("ICMP"))
        .collect();
    assert!(denied.is_empty(), "{check}");
    // Cilium output with L7 rules.
    let out = d.run(&[
        "netpol", "generate", "--flows", &flows, &app, "-f", "cilium",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("kind: CiliumNetworkPolicy") && text.contains("http:"),
        "{text}"
    );
}

#[test]
fn check_flows_names_denied_flows_and_skipped_lines() {
    let d = Dir::new("netpol-check-flows");
    let out = d.run(&[
        "netpol",
        "check-flows",
        "--flows",
        &flows_fixture("shop-damaged.jsonl"),
        &flows_fixture("shop.yaml"),
        &flows_fixture("restrictive-policies.yaml"),
        "-f",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["skippedLines"], 6, "{v}");
    let denied = v["denied"].as_array().unwrap();
    assert!(
        denied.iter().any(|d| d["src"] == "shop/api"
            && d["dst"] == "shop/db"
            && d["deniedBy"][0] == "ingress"),
        "{v}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped 6 of 32 lines"));
}

#[test]
fn quarantine_with_calico_and_admin_cuts_every_connection_of_the_network_example() {
    let d = Dir::new("netpol-quarantine-example");
    let example = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/network")
        .display()
        .to_string();
    let before = pairs(&json(&d.run(&["netpol", "matrix", &example, "-f", "json"])));
    assert!(
        before.iter().any(|p| p.contains("storefront-db/postgres")),
        "{before:?}"
    );
    // The AdminNetworkPolicy of the example lets monitoring in: without --admin, a warning.
    let out = d.run(&[
        "netpol",
        "quarantine",
        "storefront-db/postgres",
        &example,
        "--calico",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("AdminNetworkPolicy allow-monitoring"));
    let out = d.run(&[
        "netpol",
        "quarantine",
        "StatefulSet/storefront-db/postgres",
        &example,
        "--calico",
        "--admin",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    d.create("q.yaml", &out.stdout);
    let after = pairs(&json(
        &d.run(&["netpol", "matrix", &example, "q.yaml", "-f", "json"]),
    ));
    assert!(
        !after.iter().any(|p| p.contains("storefront-db/postgres")),
        "{after:?}"
    );
    // Nothing else changed (the admin policy names `::/0`, which adds an IPv6 address class).
    let others = |v: &[String]| -> Vec<String> {
        v.iter()
            .filter(|p| !p.contains("storefront-db/postgres") && !p.contains("::/0"))
            .cloned()
            .collect()
    };
    assert_eq!(others(&before), others(&after));
}
