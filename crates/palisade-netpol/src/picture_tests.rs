//! Tests of the picture: marks, escaping, self-containment, DOT.

use super::*;
use crate::matrix::matrix;
use palisade_core::inventory::load_str;

const APP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: gateway, namespace: edge}
spec:
  template:
    metadata: {labels: {app: gateway}}
    spec: {containers: [{name: gw, image: envoy, ports: [{name: https, containerPort: 8443}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy, namespace: shop}
spec:
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: legacy, image: legacy}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: edge}}}]
    ports: [{port: 5432}, {port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: gateway, namespace: edge}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: 8443}]
  egress:
  - to: [{namespaceSelector: {}}]
";

fn model(text: &str) -> Model {
    Model::from_objects(&load_str("app.yaml", text, &Default::default()).objects)
}

fn node<'p>(p: &'p Picture, name: &str) -> &'p GraphNode {
    p.nodes.iter().find(|n| n.name == name).unwrap()
}

#[test]
fn marks_entry_points_sensitive_edges_quarantine_and_isolation() {
    let model = model(APP);
    let m = matrix(&model);
    let web = model.lookup("shop/web").unwrap();
    let options = PictureOptions {
        quarantined: Some(web),
        ..PictureOptions::default()
    };
    let p = picture(&model, &m, &options);
    assert_eq!(p.nodes.len(), model.endpoints().len());
    assert!(p.nodes.iter().enumerate().all(|(i, n)| n.id == i));
    // Every allowed pair of different endpoints is an edge, and nothing else.
    let expected: Vec<(usize, usize, String)> = m
        .allowed()
        .filter(|c| c.src != c.dst)
        .map(|c| (c.src.index(), c.dst.index(), c.connections.to_string()))
        .collect();
    let got: Vec<(usize, usize, String)> = p
        .edges
        .iter()
        .map(|e| (e.src, e.dst, e.connections.clone()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        p.namespaces
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        ["edge", "shop"]
    );

    let (gateway, web_node, legacy) = (node(&p, "gateway"), node(&p, "web"), node(&p, "legacy"));
    // Only the gateway admits traffic from outside.
    assert!(gateway.entry && !web_node.entry && !legacy.entry);
    let entries: Vec<&GraphEdge> = p.edges.iter().filter(|e| e.from_outside).collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].dst, entries[0].connections.as_str()),
        (gateway.id, "TCP 8443")
    );
    assert!(entries[0].sensitive.is_empty());
    // gateway -> web allows TCP 5432 and 8080: PostgreSQL only.
    let to_web = p
        .edges
        .iter()
        .find(|e| e.src == gateway.id && e.dst == web_node.id)
        .unwrap();
    assert_eq!(to_web.connections, "TCP 5432,8080");
    assert_eq!(to_web.sensitive, ["PostgreSQL (TCP 5432)"]);
    assert!(to_web.quarantine);
    // The gateway's egress to 0.0.0.0/0's class is not open (egress only to namespaces).
    assert!(p
        .edges
        .iter()
        .all(|e| !(e.src == gateway.id && p.nodes[e.dst].external)));
    // Quarantine marks one node; legacy has no connection at all.
    assert!(web_node.quarantined && !web_node.isolated);
    assert_eq!(p.quarantined, Some(web.index()));
    assert!(legacy.isolated && !legacy.quarantined);
    assert!(legacy.ingress_isolated && legacy.egress_isolated);
    assert_eq!(legacy.replicas, None);
    assert_eq!(
        gateway.replicas.as_deref(),
        None,
        "gateway replicas: ingress only from outside"
    );
    assert_eq!(gateway.ports, ["8443/TCP (https)"]);
    assert_eq!(gateway.location.as_deref(), Some("app.yaml:1:1"));
    assert!(p
        .nodes
        .iter()
        .filter(|n| n.external)
        .all(|n| !n.isolated && !n.entry));
    assert!(p.problems.is_empty(), "{:?}", p.problems);

    // A rejected policy is named among the problems, with its place (the ingress line).
    let bad = format!(
        "{APP}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
         metadata: {{name: bad, namespace: shop}}\nspec:\n  podSelector: {{}}\n  \
         ingress: [{{from: [{{ipBlock: {{cidr: 10.0.0.0/33}}}}]}}]\n"
    );
    let model = self::model(&bad);
    let p = picture(&model, &matrix(&model), &options);
    let line = APP.lines().count() + 7;
    assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
    assert!(
        p.problems[0].starts_with(&format!("app.yaml:{line}:"))
            && p.problems[0].contains("ipBlock.cidr"),
        "{:?}",
        p.problems
    );
}

#[test]
fn all_allows_every_sensitive_port_and_all_but_ssh_not_ssh() {
    let ssh = SENSITIVE_PORTS[0];
    assert_eq!(ssh.to_string(), "SSH (TCP 22)");
    assert_eq!(
        SensitivePort::tcp("etcd", 2379, 2380).to_string(),
        "etcd (TCP 2379-2380)"
    );
    assert!(SENSITIVE_PORTS
        .iter()
        .all(|p| p.allowed_by(&ConnectionSet::all())));
    let but_ssh =
        ConnectionSet::all().difference(&ConnectionSet::of(Protocol::Tcp, PortSet::single(22)));
    assert!(!ssh.allowed_by(&but_ssh));
    assert!(SENSITIVE_PORTS[1..].iter().all(|p| p.allowed_by(&but_ssh)));
    // Ranges count when they overlap at all; other protocols do not.
    let etcd_end = ConnectionSet::of(Protocol::Tcp, PortSet::range(2380, 2400));
    assert!(SensitivePort::tcp("etcd", 2379, 2380).allowed_by(&etcd_end));
    assert!(!ssh.allowed_by(&ConnectionSet::of(Protocol::Udp, PortSet::single(22))));
}

/// The HTML between `start` and the next `end`.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap() + start.len();
    let to = from + text[from..].find(end).unwrap();
    &text[from..to]
}

#[test]
fn a_name_cannot_break_out_of_the_data_element() {
    let evil = "</script><script>alert(1)</script>";
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: '{evil}', namespace: 'a&b<!--', labels: {{x: '\u{2028}'}}}}\nspec: {{containers: [{{name: c, image: i}}]}}\n"
    );
    let model = model(&text);
    assert_eq!(model.workload_count(), 1);
    let p = picture(&model, &matrix(&model), &PictureOptions::default());
    let html = p.to_html();
    // Exactly the page's own two script elements, each closed once.
    assert_eq!(html.matches("<script").count(), 2, "{html}");
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(!html.contains("alert(1)</script>"));
    assert!(!html.contains("<!--"));
    assert!(html.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
    // The blob still parses back to the same names.
    let blob = between(
        &html,
        "<script type=\"application/json\" id=\"graph-data\">",
        "</script>",
    );
    assert!(!blob.contains(['<', '>', '&', '\u{2028}']));
    let back: serde_json::Value = serde_json::from_str(blob).unwrap();
    assert_eq!(back["nodes"][0]["name"], evil);
    assert_eq!(back["nodes"][0]["namespace"], "a&b<!--");
    assert_eq!(back["nodes"][0]["labels"]["x"], "\u{2028}");
}

#[test]
fn the_page_is_self_contained() {
    let model = model(APP);
    let html = picture(&model, &matrix(&model), &PictureOptions::default()).to_html();
    assert!(!html.contains("{{"), "a placeholder was left");
    // No reference to anything outside the page: the only URL is the SVG namespace.
    let urls: Vec<&str> = html
        .match_indices("http")
        .map(|(i, _)| &html[i..(i + 30).min(html.len())])
        .filter(|u| u.starts_with("http:") || u.starts_with("https:"))
        .collect();
    assert!(
        urls.iter()
            .all(|u| u.starts_with("http://www.w3.org/2000/svg")),
        "{urls:?}"
    );
    for forbidden in [
        "<link",
        " src=",
        "@import",
        "url(http",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!html.contains(forbidden), "{forbidden}");
    }
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    // The script and style pieces cannot end their own elements early, and the script
    // never parses text as HTML (data only goes through textContent and setAttribute).
    assert!(!STYLE.contains("</style"));
    for script in [LAYOUT, SCRIPT] {
        assert!(!script.contains("</script"));
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!script.contains(sink), "{sink}");
        }
    }
}

#[test]
fn placeholders_are_filled_once_and_values_never_rescanned() {
    let out = fill(
        "a {{X}} b {{Y}} c {{nope}} {{",
        &[("X", "{{Y}}"), ("Y", "y")],
    );
    assert_eq!(out, "a {{Y}} b y c {{nope}} {{");
}

#[test]
fn dot_marks_the_same_things() {
    let model = model(APP);
    let options = PictureOptions {
        quarantined: model.lookup("shop/web").ok(),
        ..PictureOptions::default()
    };
    let p = picture(&model, &matrix(&model), &options);
    let dot = p.to_dot();
    assert_eq!(dot.matches(" -> ").count(), p.edges.len());
    assert_eq!(
        dot.matches("fontcolor=red").count(),
        p.edges.iter().filter(|e| !e.sensitive.is_empty()).count()
    );
    assert_eq!(dot.matches("fillcolor=black").count(), 1);
    assert!(dot.contains("label=\"namespace shop\""));
    assert!(dot.contains("outside the cluster"));
}
