//! `palisade netpol graph`: the HTML page as headless Chromium renders it (Debian's
//! `chromium`, installed by `scripts/setup.sh`; `PALISADE_CHROMIUM` names another binary),
//! plus the JSON and DOT forms.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{assert_exit, json, stderr, Dir};

/// Three namespaces: a gateway open to the Internet (an entry point), a web tier in a
/// default-deny namespace that reaches PostgreSQL (a sensitive port), an isolated legacy
/// workload, a data namespace open inside the cluster, and a policy the API server would
/// reject (left out, listed as a problem).
const APP: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: edge, labels: {team: edge}}
---
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
    metadata: {labels: {app: web, tier: front}}
    spec: {containers: [{name: web, image: web, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy, namespace: shop}
spec:
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: legacy, image: legacy, ports: [{containerPort: 22}]}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: postgres, namespace: data}
spec:
  template:
    metadata: {labels: {app: postgres}}
    spec: {containers: [{name: pg, image: postgres, ports: [{containerPort: 5432}]}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: data}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: backup}}
        spec: {containers: [{name: b, image: backup}]}
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
  - from: [{namespaceSelector: {matchLabels: {team: edge}}}]
    ports: [{port: http}]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: data}}, podSelector: {matchLabels: {app: postgres}}}]
    ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: gateway, namespace: edge}
spec:
  podSelector: {matchLabels: {app: gateway}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: 8443}]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: data-in, namespace: data}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: typo, namespace: data}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/33}}]
";

/// Longest wait for one Chromium run (it starts in about a second here).
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(25);

fn chromium_binary() -> String {
    std::env::var("PALISADE_CHROMIUM").unwrap_or_else(|_| "chromium".to_string())
}

/// Runs headless Chromium on `page` with `args`; returns its stdout. Fails with what
/// Chromium printed when it fails, and kills it when it takes too long.
fn chromium(dir: &Dir, page: &Path, args: &[&str]) -> String {
    let id = args.join(" ").len(); // distinct files per kind of run
    let out_path = dir.root.join(format!("chromium-{id}.out"));
    let err_path = dir.root.join(format!("chromium-{id}.err"));
    let profile = dir.root.join(format!("chromium-profile-{id}"));
    let binary = chromium_binary();
    let mut child = Command::new(&binary)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            &format!("--user-data-dir={}", profile.display()),
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `{binary}` ({e}): run scripts/setup.sh (it installs Debian's \
                 chromium) or set PALISADE_CHROMIUM to a Chromium binary"
            )
        });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHROMIUM_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium {args:?} ran over {CHROMIUM_DEADLINE:?}; it printed:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    assert!(
        status.success(),
        "chromium {args:?} failed ({status}); stderr:\n{}\nstdout:\n{stdout}",
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    stdout
}

/// The start of a long text, for failure messages.
fn head(text: &str) -> &str {
    let mut end = text.len().min(3000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Writes the graph of APP, quarantining `shop/web`; returns the page's path.
fn write_page(dir: &Dir) -> PathBuf {
    dir.create("app.yaml", APP);
    let out = dir.run(&[
        "netpol",
        "graph",
        "app.yaml",
        "--format",
        "html",
        "--output",
        "graph.html",
        "--quarantine",
        "Deployment/shop/web",
    ]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("wrote graph.html"),
        "{}",
        stderr(&out)
    );
    dir.root.join("graph.html")
}

/// `(src, dst)` of every allowed connection between two different endpoints, and the
/// endpoints, from `palisade netpol matrix --format json`.
fn expected(dir: &Dir) -> (Vec<Value>, BTreeSet<(u64, u64)>) {
    let out = dir.run(&["netpol", "matrix", "app.yaml", "--format", "json"]);
    assert_exit(&out, 0);
    let v = json(&out);
    let pairs = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["src"].as_u64().unwrap(), c["dst"].as_u64().unwrap()))
        .filter(|(s, d)| s != d)
        .collect();
    (v["endpoints"].as_array().unwrap().clone(), pairs)
}

/// The start tags of `<g>` elements in the graph's SVG.
fn group_tags(dom: &str) -> Vec<&str> {
    let start = dom
        .find("<svg id=\"graph\"")
        .unwrap_or_else(|| panic!("no graph SVG in the DOM:\n{}", head(dom)));
    let end = start + dom[start..].find("</svg>").unwrap();
    let svg = &dom[start..end];
    svg.match_indices("<g ")
        .map(|(i, _)| &svg[i..i + svg[i..].find('>').unwrap()])
        .collect()
}

/// An attribute's value in a start tag, entities decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let from = tag.find(&key)? + key.len();
    let to = from + tag[from..].find('"')?;
    Some(
        tag[from..to]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

fn has_class(tag: &str, class: &str) -> bool {
    attr(tag, "class").is_some_and(|c| c.split(' ').any(|c| c == class))
}

#[test]
fn graph_page_renders_every_endpoint_and_connection_and_marks() {
    let dir = Dir::new("netpol-graph-render");
    let page = write_page(&dir);
    let (endpoints, pairs) = expected(&dir);
    assert_eq!(endpoints.len(), 7, "5 workloads, 2 address classes");
    assert!(pairs.len() >= 8, "{pairs:?}");

    let dom = chromium(&dir, &page, &["--virtual-time-budget=5000", "--dump-dom"]);
    assert!(
        dom.contains("data-layout=\"done\""),
        "the layout script did not finish:\n{}",
        head(&dom)
    );
    let tags = group_tags(&dom);
    let nodes: Vec<&str> = tags
        .iter()
        .copied()
        .filter(|t| attr(t, "data-node").is_some())
        .collect();
    let edges: Vec<&str> = tags
        .iter()
        .copied()
        .filter(|t| attr(t, "data-edge").is_some())
        .collect();

    // One node element per endpoint, named as the matrix names it.
    assert_eq!(nodes.len(), endpoints.len(), "{nodes:#?}");
    for (i, e) in endpoints.iter().enumerate() {
        let tag = nodes
            .iter()
            .find(|t| attr(t, "data-node") == Some(i.to_string()))
            .unwrap_or_else(|| panic!("no node {i}"));
        let name = e["name"].as_str().or(e["addresses"].as_str()).unwrap();
        assert_eq!(attr(tag, "data-name").as_deref(), Some(name));
        assert_eq!(has_class(tag, "external"), e["type"] == "external", "{tag}");
    }
    // Laid out: every node somewhere else, at finite coordinates.
    let places: BTreeSet<String> = nodes
        .iter()
        .map(|t| attr(t, "transform").unwrap())
        .collect();
    assert_eq!(places.len(), nodes.len(), "{places:?}");
    assert!(places
        .iter()
        .all(|p| !p.contains("NaN") && p.starts_with("translate(")));

    // One edge element per allowed connection.
    let drawn: BTreeSet<(u64, u64)> = edges
        .iter()
        .map(|t| {
            let n = |k| attr(t, k).unwrap().parse::<u64>().unwrap();
            (n("data-src"), n("data-dst"))
        })
        .collect();
    assert_eq!(edges.len(), pairs.len());
    assert_eq!(drawn, pairs);

    // The quarantined workload, and only it.
    let quarantined: Vec<&&str> = nodes
        .iter()
        .filter(|t| attr(t, "data-quarantined").as_deref() == Some("true"))
        .collect();
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert_eq!(attr(quarantined[0], "data-name").as_deref(), Some("web"));
    assert_eq!(
        attr(quarantined[0], "data-namespace").as_deref(),
        Some("shop")
    );
    // The entry point from outside, and the isolated legacy workload.
    let named = |name: &str| {
        *nodes
            .iter()
            .find(|t| attr(t, "data-name").as_deref() == Some(name))
            .unwrap()
    };
    assert_eq!(
        attr(named("gateway"), "data-entry").as_deref(),
        Some("true")
    );
    assert!(nodes
        .iter()
        .filter(|t| attr(t, "data-entry").is_some())
        .all(|t| attr(t, "data-name").as_deref() == Some("gateway")));
    assert!(has_class(named("legacy"), "isolated"));
    assert!(!has_class(named("web"), "isolated"));

    // web -> postgres allows TCP 5432: red, with PostgreSQL named; the edge from outside
    // to the gateway (TCP 8443) is not red.
    let id_of = |name: &str| attr(named(name), "data-node").unwrap();
    let edge = |src: &str, dst: &str| {
        *edges
            .iter()
            .find(|t| {
                attr(t, "data-src") == Some(src.to_string())
                    && attr(t, "data-dst") == Some(dst.to_string())
            })
            .unwrap_or_else(|| panic!("no edge {src} -> {dst}"))
    };
    let web_db = edge(&id_of("web"), &id_of("postgres"));
    assert!(has_class(web_db, "sensitive"), "{web_db}");
    assert_eq!(
        attr(web_db, "data-connections").as_deref(),
        Some("TCP 5432")
    );
    assert_eq!(
        attr(web_db, "data-sensitive").as_deref(),
        Some("PostgreSQL (TCP 5432)")
    );
    assert!(dom.contains("url(#arrow-sensitive)"));
    let into_gateway: Vec<&&str> = edges
        .iter()
        .filter(|t| attr(t, "data-from-outside").is_some())
        .collect();
    assert_eq!(into_gateway.len(), 1);
    assert_eq!(attr(into_gateway[0], "data-dst"), Some(id_of("gateway")));
    assert_eq!(
        attr(into_gateway[0], "data-connections").as_deref(),
        Some("TCP 8443")
    );
    assert!(!has_class(into_gateway[0], "sensitive") && has_class(into_gateway[0], "outside"));

    // The screenshot, under the target directory.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let shot = target.join("netpol-graph.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &dir,
        &page,
        &[
            "--virtual-time-budget=5000",
            "--hide-scrollbars",
            "--window-size=1400,900",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png =
        std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", shot.display()));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A blank page of that size is a few kB; the drawn graph is far more.
    assert!(png.len() > 40_000, "screenshot only {} bytes", png.len());
}

/// Clicks, a filter, a drag and a zoom, run by a probe script appended to the page; it
/// reports what it saw in a `data-probe` attribute of `<body>`.
const PROBE: &str = r#"<script>
(function () {
  const out = { errors: window.__errors };
  const details = document.getElementById('details');
  const gateway = document.querySelector('.node[data-name="gateway"]');
  const places = function () { return Array.from(document.querySelectorAll('.node')).map(function (n) { return n.getAttribute('transform'); }).join(' '); };
  const initial = places();
  out.problems = document.getElementById('problems').classList.contains('hidden') ? null : document.getElementById('problem-list').textContent;
  document.querySelector('.node[data-name="legacy"]').dispatchEvent(new PointerEvent('pointerenter'));
  out.hoverDetails = details.textContent;
  document.querySelector('.node[data-name="legacy"]').dispatchEvent(new PointerEvent('pointerleave'));
  gateway.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  out.nodeDetails = details.textContent;
  out.dimmed = document.querySelectorAll('.node.dim').length;
  document.querySelector('.edge.sensitive[data-connections="TCP 5432"]').dispatchEvent(new MouseEvent('click', { bubbles: true }));
  out.edgeDetails = details.textContent;
  document.getElementById('background').dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, button: 0, clientX: 5, clientY: 5 }));
  window.dispatchEvent(new PointerEvent('pointerup', {}));
  document.getElementById('graph').dispatchEvent(new MouseEvent('click', { bubbles: true }));
  out.cleared = document.querySelectorAll('.dim').length;
  const before = gateway.getAttribute('transform');
  gateway.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true, button: 0, clientX: 100, clientY: 100 }));
  window.dispatchEvent(new PointerEvent('pointermove', { clientX: 180, clientY: 140 }));
  window.dispatchEvent(new PointerEvent('pointerup', {}));
  out.dragged = before !== gateway.getAttribute('transform');
  const view = document.getElementById('viewport');
  const zoom = view.getAttribute('transform');
  document.getElementById('graph').dispatchEvent(new WheelEvent('wheel', { bubbles: true, cancelable: true, deltaY: -300, clientX: 300, clientY: 300 }));
  out.zoomed = zoom !== view.getAttribute('transform');
  document.getElementById('relayout').dispatchEvent(new MouseEvent('click', { bubbles: true }));
  out.sameLayoutAgain = initial === places();
  const filter = document.getElementById('filter');
  filter.value = 'data';
  filter.dispatchEvent(new Event('input'));
  out.hiddenNodes = Array.from(document.querySelectorAll('.node.hidden')).map(function (n) { return n.getAttribute('data-name'); }).sort();
  out.visibleEdges = document.querySelectorAll('.edge:not(.hidden)').length;
  document.body.setAttribute('data-probe', JSON.stringify(out));
})();
</script>
</body>"#;

#[test]
fn graph_page_responds_to_clicks_filter_drag_and_zoom() {
    let dir = Dir::new("netpol-graph-probe");
    let page = write_page(&dir);
    let html = std::fs::read_to_string(&page).unwrap();
    // Errors of the page's own script are collected before it runs.
    let probed = html
        .replacen(
            "<head>",
            "<head><script>window.__errors=[];window.addEventListener('error',function(e){window.__errors.push(String(e.message));});</script>",
            1,
        )
        .replacen("</body>", PROBE, 1);
    dir.create("probe.html", probed);
    let dom = chromium(
        &dir,
        &dir.root.join("probe.html"),
        &["--virtual-time-budget=5000", "--dump-dom"],
    );
    let body = &dom[dom.find("<body").unwrap()..];
    let probe = attr(&body[..body.find('>').unwrap()], "data-probe")
        .unwrap_or_else(|| panic!("the probe did not run:\n{}", head(&dom)));
    let v: Value = serde_json::from_str(&probe).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]), "{v:#}");
    let problems = v["problems"]
        .as_str()
        .unwrap_or_else(|| panic!("no problems shown: {v:#}"));
    let line = APP.lines().position(|l| l.contains("10.0.0.0/33")).unwrap() + 1;
    assert!(
        problems.contains(&format!("app.yaml:{line}:"))
            && problems.contains("NetworkPolicy/data/typo"),
        "{problems}"
    );
    let hover = v["hoverDetails"].as_str().unwrap();
    assert!(
        hover.contains("shop/legacy") && hover.contains("isolated") && hover.contains("22/TCP"),
        "{hover}"
    );
    assert_eq!(
        v["sameLayoutAgain"], true,
        "the layout is seeded: re-running it gives the same places"
    );
    let node = v["nodeDetails"].as_str().unwrap();
    for part in [
        "edge/gateway",
        "entry point from outside",
        "app=gateway",
        "8443/TCP (https)",
        "TCP 8443",
    ] {
        assert!(node.contains(part), "{part} not in node details: {node}");
    }
    // Gateway, the outside class that reaches it and web stay; the other four dim.
    assert_eq!(v["dimmed"], 4, "{v:#}");
    let edge = v["edgeDetails"].as_str().unwrap();
    assert!(edge.contains("shop/web \u{2192} data/postgres"), "{edge}");
    assert!(edge.contains("PostgreSQL (TCP 5432)"), "{edge}");
    assert_eq!(
        v["cleared"], 0,
        "a click on the background clears the selection"
    );
    assert_eq!(v["dragged"], true);
    assert_eq!(v["zoomed"], true);
    assert_eq!(
        v["hiddenNodes"],
        serde_json::json!(["gateway", "legacy", "web"])
    );
    // Left: data's two workloads with each other and with the outside classes.
    let (_, pairs) = expected(&dir);
    assert_eq!(v["visibleEdges"], 6, "of {} edges", pairs.len());
}

#[test]
fn graph_json_and_dot_carry_the_same_graph() {
    let dir = Dir::new("netpol-graph-formats");
    dir.create("app.yaml", APP);
    let out = dir.run(&[
        "netpol",
        "graph",
        "app.yaml",
        "--format",
        "json",
        "--quarantine",
        "shop/web",
    ]);
    assert_exit(&out, 0);
    let v = json(&out);
    let (endpoints, pairs) = expected(&dir);
    assert_eq!(v["nodes"].as_array().unwrap().len(), endpoints.len());
    assert_eq!(v["edges"].as_array().unwrap().len(), pairs.len());
    assert_eq!(
        v["nodes"][v["quarantined"].as_u64().unwrap() as usize]["name"],
        "web"
    );

    let out = dir.run(&["netpol", "graph", "app.yaml", "--format", "dot"]);
    assert_exit(&out, 0);
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.starts_with("digraph connectivity {"));
    assert_eq!(dot.matches(" -> ").count(), pairs.len());

    // A quarantine target that is not a workload is an error, not a silent picture.
    for bad in ["shop/nope", "10.1.2.3"] {
        let out = dir.run(&["netpol", "graph", "app.yaml", "--quarantine", bad]);
        assert_ne!(out.status.code(), Some(0), "{bad}");
        assert!(stderr(&out).contains("--quarantine"), "{}", stderr(&out));
    }
}
