//! Kubelet, API server and dashboard: no real one can run here (a kubelet needs a container
//! runtime; the real API server in palisade-testkit has anonymous access off, see
//! apiserver.rs), so these are HTTPS stand-ins that answer the probed paths as those
//! components do (status codes and JSON shapes of kubelet `/pods`, API server discovery
//! and `Status` errors, the dashboard's page and `/api/v1/login/skippable`).

use std::sync::Arc;

use palisade_node::probe::{self, PortState, Service};

use crate::support::{certs, http, https, probe_port, rule_ids, with_roles, Reply};

const POD_LIST: &str = r#"{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[
 {"metadata":{"name":"etcd-node1","namespace":"kube-system"}},
 {"metadata":{"name":"web-1","namespace":"default"}}]}"#;

fn status(code: u16, reason: &str) -> String {
    format!(
        r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"{reason}","reason":"{reason}","code":{code}}}"#
    )
}

/// A kubelet with anonymous auth and AlwaysAllow, on its default self-signed certificate.
fn anonymous_kubelet(_: &str, path: &str) -> Reply {
    match path {
        "/pods" | "/runningpods/" => Reply::Http(200, POD_LIST.into()),
        _ => Reply::Http(404, "404 page not found".into()),
    }
}

#[test]
fn an_anonymous_kubelet_is_critical_and_its_self_signed_cert_medium() {
    let server = https(&certs().kubelet_generated, Arc::new(anonymous_kubelet));
    let options = with_roles(|r| r.kubelet = vec![server.port]);
    let run = probe_port(server.port, &options);
    let ep = &run.endpoints[0];
    assert_eq!(ep.service, Some(Service::Kubelet));
    assert!(!ep.protected);
    let ids = rule_ids(&run);
    assert!(ids.contains(&"PAL-PROBE-004".to_string()), "{ids:?}");
    assert!(ids.contains(&"PAL-PROBE-013".to_string()), "{ids:?}");
    let findings = probe::findings(&run);
    let kubelet = findings
        .iter()
        .find(|f| f.rule_id == "PAL-PROBE-004")
        .unwrap();
    assert_eq!(kubelet.severity, palisade_core::Severity::Critical);
    assert!(
        kubelet.message.contains("/pods and /runningpods"),
        "{}",
        kubelet.message
    );
    assert!(kubelet.message.contains("2 pods"), "{}", kubelet.message);
    assert_eq!(
        kubelet.evidence.as_deref(),
        Some("kube-system/etcd-node1, default/web-1")
    );
    assert_eq!(
        &*kubelet.location.path,
        format!("probe://127.0.0.1:{}", server.port)
    );
    let tls = ep.tls.as_ref().unwrap();
    assert!(tls.self_signed && !tls.expired && tls.name_mismatch.is_none());
    assert_eq!(tls.version, "TLSv1_3");
    assert_eq!(tls.chain_length, 2);
    let self_signed = findings
        .iter()
        .find(|f| f.rule_id == "PAL-PROBE-013")
        .unwrap();
    assert!(
        self_signed
            .message
            .contains("issued by 127.0.0.1-ca@1700000000, a self-signed root"),
        "{}",
        self_signed.message
    );
}

#[test]
fn a_kubelet_that_rejects_anonymous_requests_is_protected() {
    for code in [401, 403] {
        let server = https(
            &certs().server,
            Arc::new(move |_, _| Reply::Http(code, "Unauthorized".into())),
        );
        let options = with_roles(|r| r.kubelet = vec![server.port]);
        let run = probe_port(server.port, &options);
        let ep = &run.endpoints[0];
        assert!(ep.protected, "{code}: {}", ep.summary);
        assert!(ep.summary.contains(&code.to_string()));
        assert!(rule_ids(&run).is_empty(), "{:?}", rule_ids(&run));
    }
}

#[test]
fn the_kubelet_read_only_port_is_high() {
    let server = http(Arc::new(anonymous_kubelet));
    let options = with_roles(|r| {
        r.kubelet_read_only = vec![server.port];
        r.plain_first = vec![server.port];
    });
    let run = probe_port(server.port, &options);
    assert_eq!(rule_ids(&run), ["PAL-PROBE-005"]);
    assert!(run.endpoints[0].tls.is_none());
}

/// An API server with anonymous auth on and RBAC granting system:unauthenticated discovery
/// and namespace reads.
fn open_apiserver(_: &str, path: &str) -> Reply {
    match path {
        "/version" => Reply::Http(200, r#"{"major":"1","minor":"20","gitVersion":"v1.20.2"}"#.into()),
        "/api" => Reply::Http(200, r#"{"kind":"APIVersions","versions":["v1"]}"#.into()),
        "/apis" => Reply::Http(200, r#"{"kind":"APIGroupList","groups":[]}"#.into()),
        p if p.starts_with("/api/v1/namespaces") => Reply::Http(
            200,
            r#"{"kind":"NamespaceList","items":[{"metadata":{"name":"default"}},{"metadata":{"name":"kube-system"}}]}"#.into(),
        ),
        _ => Reply::Http(404, status(404, "NotFound")),
    }
}

#[test]
fn an_api_server_open_to_anonymous_clients() {
    let server = https(&certs().server, Arc::new(open_apiserver));
    let run = probe_port(server.port, &with_roles(|_| {}));
    let ep = &run.endpoints[0];
    assert_eq!(
        ep.service,
        Some(Service::ApiServer {
            version: Some("v1.20.2".into())
        })
    );
    let mut ids = rule_ids(&run);
    ids.sort();
    assert_eq!(ids, ["PAL-PROBE-007", "PAL-PROBE-008", "PAL-PROBE-009"]);
    let list = probe::findings(&run)
        .into_iter()
        .find(|f| f.rule_id == "PAL-PROBE-008")
        .unwrap();
    assert!(list.message.contains("2 listed"), "{}", list.message);
    // CA-signed for 127.0.0.1: no certificate finding.
    let tls = ep.tls.as_ref().unwrap();
    assert!(!tls.self_signed && tls.name_mismatch.is_none());
    let cert = tls.certificate.as_ref().unwrap();
    assert_eq!(cert.subject_cn.as_deref(), Some("kube-apiserver"));
    assert_eq!(cert.issuer_cn.as_deref(), Some("palisade-test-ca"));
    assert!(cert.dns_names.contains(&"localhost".to_string()));
}

#[test]
fn the_insecure_port_is_critical() {
    let server = http(Arc::new(open_apiserver));
    let options = with_roles(|r| r.plain_first = vec![server.port]);
    let run = probe_port(server.port, &options);
    let mut ids = rule_ids(&run);
    ids.sort();
    assert_eq!(ids, ["PAL-PROBE-006", "PAL-PROBE-009"]);
}

#[test]
fn an_api_server_rejecting_anonymous_requests_is_protected() {
    let server = https(
        &certs().server,
        Arc::new(|_, _| Reply::Http(401, status(401, "Unauthorized"))),
    );
    let run = probe_port(server.port, &with_roles(|_| {}));
    let ep = &run.endpoints[0];
    assert!(matches!(
        ep.service,
        Some(Service::ApiServer { version: None })
    ));
    assert!(ep.protected);
    assert!(rule_ids(&run).is_empty());
}

#[test]
fn a_dashboard_with_skippable_login_and_an_expired_certificate() {
    let server = https(
        &certs().expired,
        Arc::new(|_, path| match path {
            "/" => Reply::Http(
                200,
                "<html><title>Kubernetes Dashboard</title></html>".into(),
            ),
            "/api/v1/login/skippable" => Reply::Http(200, r#"{"skippable":true}"#.into()),
            _ => Reply::Http(404, "not found".into()),
        }),
    );
    let options = with_roles(|r| r.dashboard = vec![server.port]);
    let run = probe_port(server.port, &options);
    assert_eq!(run.endpoints[0].service, Some(Service::Dashboard));
    let mut ids = rule_ids(&run);
    ids.sort();
    assert_eq!(
        ids,
        [
            "PAL-PROBE-010",
            "PAL-PROBE-011",
            "PAL-PROBE-013",
            "PAL-PROBE-014"
        ]
    );
    let tls = run.endpoints[0].tls.as_ref().unwrap();
    assert!(tls.expired);
    // notAfter 2021-01-01T00:00:00Z.
    assert_eq!(tls.certificate.as_ref().unwrap().not_after, 1_609_459_200);
}

#[test]
fn a_certificate_for_another_name_is_a_mismatch() {
    let server = https(
        &certs().other_name,
        Arc::new(|_, _| Reply::Http(404, "nothing".into())),
    );
    let run = probe_port(server.port, &with_roles(|_| {}));
    assert_eq!(rule_ids(&run), ["PAL-PROBE-015"]);
    assert_eq!(
        run.endpoints[0]
            .tls
            .as_ref()
            .unwrap()
            .name_mismatch
            .as_deref(),
        Some("127.0.0.1")
    );
}

#[test]
fn something_on_a_nodeport_is_reported_as_info() {
    let server = http(Arc::new(|_, _| Reply::Http(200, "hello".into())));
    let mut options = with_roles(|_| {});
    options.nodeports = vec![server.port];
    let run = probe_port(server.port, &options);
    assert_eq!(run.endpoints[0].state, PortState::Open);
    assert!(run.endpoints[0].nodeport);
    assert_eq!(rule_ids(&run), ["PAL-PROBE-012"]);
    let notes = probe::notes(&run);
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].message.starts_with("open: HTTP over plain HTTP"),
        "{}",
        notes[0].message
    );
}

#[test]
fn a_named_target_is_checked_against_its_dns_names() {
    let handler: crate::support::Handler = Arc::new(|_, _| Reply::Http(404, "nothing".into()));
    let good = https(&certs().server, Arc::clone(&handler));
    let other = https(&certs().other_name, handler);
    let options = with_roles(|_| {});
    for (server, mismatch) in [(&good, None), (&other, Some("localhost"))] {
        let target = probe::parse_target(&format!("localhost:{}", server.port), &options).unwrap();
        let run = probe::run(&[target], &options);
        // localhost may also resolve to ::1, where nothing listens.
        let ep = run
            .endpoints
            .iter()
            .find(|e| e.address == std::net::IpAddr::from([127, 0, 0, 1]))
            .unwrap();
        assert_eq!(ep.name.as_deref(), Some("localhost"));
        let tls = ep.tls.as_ref().unwrap();
        assert_eq!(tls.name_mismatch.as_deref(), mismatch);
    }
}

#[test]
fn ipv6_loopback_targets_are_probed() {
    let listener = std::net::TcpListener::bind("[::1]:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                let n = conn.read(&mut buf).unwrap_or(0);
                let reply: &[u8] = if buf[..n].starts_with(b"\x16") {
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
                } else {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 46\r\n\r\n{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}"
                };
                let _ = conn.write_all(reply);
            });
        }
    });
    let options = with_roles(|_| {});
    let target = probe::parse_target(&format!("[::1]:{port}"), &options).unwrap();
    let run = probe::run(&[target], &options);
    let ep = &run.endpoints[0];
    assert_eq!(ep.state, PortState::Open);
    assert!(matches!(&ep.service, Some(Service::Etcd { version }) if version == "3.4.23"));
    assert_eq!(&*probe::location(ep).path, format!("probe://[::1]:{port}"));
}

#[test]
fn a_tls_server_on_a_plain_first_port_is_still_probed_over_tls() {
    let server = https(&certs().server, Arc::new(open_apiserver));
    let options = with_roles(|r| r.plain_first = vec![server.port]);
    let run = probe_port(server.port, &options);
    assert!(
        run.endpoints[0].tls.is_some(),
        "{}",
        run.endpoints[0].summary
    );
    let mut ids = rule_ids(&run);
    ids.sort();
    // Anonymous discovery over TLS, not the insecure port.
    assert_eq!(ids, ["PAL-PROBE-007", "PAL-PROBE-008", "PAL-PROBE-009"]);
}

#[test]
fn the_negotiated_tls_version_is_recorded() {
    let server = crate::support::https_with(
        &certs().server,
        &[&rustls::version::TLS12],
        Arc::new(|_, _| Reply::Http(404, "nothing".into())),
    );
    let run = probe_port(server.port, &with_roles(|_| {}));
    let tls = run.endpoints[0].tls.as_ref().unwrap();
    assert_eq!(tls.version, "TLSv1_2");
    assert!(rule_ids(&run).is_empty());
    assert!(probe::notes(&run)[0].message.contains("TLS TLSv1_2"));
}
