//! Connection-level behaviour: slow clients, TLS garbage, certificate rotation, graceful
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! shutdown.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use palisade_server::{dev_cert, Limits};

fn quick_limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(500),
        body_read_timeout: Duration::from_millis(500),
        handshake_timeout: Duration::from_millis(500),
        reload_interval: Duration::from_millis(100),
        drain_timeout: Duration::from_secs(10),
        ..Limits::default()
    }
}

#[test]
fn slowloris_headers_are_cut_off() {
    let h = harness(|c| c.limits = quick_limits());
    let mut s = tls_stream(h.addr(), &[&h.pair.cert_pem]);
    let start = Instant::now();
    write_all(&mut s, b"POST /validate HTTP/1.1\r\nHost: localhost\r\n");
    // Trickle a header byte now and then, never finishing the headers.
    let mut closed = false;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(100));
        if s.write_all(b"X").and_then(|_| s.flush()).is_err() {
            closed = true;
            break;
        }
    }
    if !closed {
        closed = read_to_close(&mut s).1;
    }
    assert!(closed, "the connection stayed open");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    // The server still serves others.
    assert_eq!(h.get("/healthz").0, 200);
}

#[test]
fn slow_body_gets_408_and_a_close() {
    let h = harness(|c| c.limits = quick_limits());
    let mut s = tls_stream(h.addr(), &[&h.pair.cert_pem]);
    write_all(
        &mut s,
        b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\"",
    );
    let (text, closed) = read_to_close(&mut s);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(closed);
    assert_eq!(h.handle.metrics().requests_of("unknown", "timeout"), 1);
}

#[test]
fn tls_garbage_and_silent_clients_are_dropped() {
    let h = harness(|c| c.limits = quick_limits());
    let mut tcp = TcpStream::connect(h.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut buf = [0u8; 64];
    // rustls may send an alert first; the connection then closes.
    let mut total = 0;
    loop {
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
        assert!(total < 1024, "the server kept talking");
    }
    let start = Instant::now();
    let mut silent = TcpStream::connect(h.addr()).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let n = silent.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0);
    assert!(start.elapsed() < Duration::from_secs(4));
    assert_eq!(h.get("/healthz").0, 200);
}

#[test]
fn rotated_certificate_is_served_to_new_connections() {
    let h = harness(|c| c.limits = quick_limits());
    let first = tls_stream(h.addr(), &[&h.pair.cert_pem]);
    let old_der = first.conn.peer_certificates().unwrap()[0].clone();
    let new = dev_cert(&[]).unwrap();
    // A bad pair first (new certificate, old key): the old one stays in force.
    std::fs::write(h.cert_path(), &new.cert_pem).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let s = tls_stream(h.addr(), &[&h.pair.cert_pem, &new.cert_pem]);
    assert_eq!(s.conn.peer_certificates().unwrap()[0], old_der);
    std::fs::write(h.key_path(), &new.key_pem).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let s = tls_stream(h.addr(), &[&h.pair.cert_pem, &new.cert_pem]);
        let served = s.conn.peer_certificates().unwrap()[0].clone();
        if served != old_der {
            use rustls::pki_types::pem::PemObject;
            let want =
                rustls::pki_types::CertificateDer::from_pem_slice(new.cert_pem.as_bytes()).unwrap();
            assert_eq!(served, want);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A client that only trusts the new certificate now gets through.
    let agent = agent_trusting(&[&new.cert_pem]);
    let resp = agent.get(h.url("/healthz")).call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // The old trust no longer holds for the old agent's new connections.
    let metrics = agent
        .get(h.url("/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        metrics.contains("palisade_admission_cert_reloads_total{result=\"error\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("palisade_admission_cert_reloads_total{result=\"ok\"} 1"),
        "{metrics}"
    );
}

#[test]
fn shutdown_drains_an_in_flight_request() {
    let h = harness(|c| {
        c.limits = Limits {
            body_read_timeout: Duration::from_secs(5),
            ..quick_limits()
        }
    });
    let body = serde_json::to_vec(&review("CREATE", Some(hardened_pod("app")), None)).unwrap();
    let mut s = tls_stream(h.addr(), &[&h.pair.cert_pem]);
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    write_all(&mut s, head.as_bytes());
    write_all(&mut s, &body[..body.len() / 2]);
    std::thread::sleep(Duration::from_millis(200));
    h.handle.trigger_shutdown();
    std::thread::sleep(Duration::from_millis(300));
    // Not ready any more, and no new connections.
    assert!(!h.handle.is_ready());
    assert!(TcpStream::connect(h.addr()).is_err(), "still accepting");
    write_all(&mut s, &body[body.len() / 2..]);
    let (text, _) = read_to_close(&mut s);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"allowed\":true"), "{text}");
    let Harness { handle, .. } = h;
    handle.wait().unwrap();
}

#[test]
fn the_shutdown_delay_keeps_serving_while_not_ready() {
    let h = harness(|c| {
        c.limits = Limits {
            shutdown_delay: Duration::from_millis(1500),
            ..quick_limits()
        }
    });
    assert_eq!(h.get("/readyz").0, 200);
    h.handle.trigger_shutdown();
    std::thread::sleep(Duration::from_millis(200));
    // Not ready, but new connections are still served, reviews included.
    assert!(!h.handle.is_ready());
    assert_eq!(h.get("/readyz").0, 503);
    let (status, answer) = h.post(&review("CREATE", Some(hardened_pod("app")), None));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["response"]["allowed"], true, "{answer}");
    // After the delay the listener closes.
    std::thread::sleep(Duration::from_millis(2000));
    assert!(TcpStream::connect(h.addr()).is_err(), "still accepting");
    let Harness { handle, .. } = h;
    handle.wait().unwrap();
}

#[test]
fn a_huge_declared_body_is_refused_before_reading() {
    let h = harness(|c| c.limits = quick_limits());
    let mut s = tls_stream(h.addr(), &[&h.pair.cert_pem]);
    write_all(
        &mut s,
        b"POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n",
    );
    let (text, closed) = read_to_close(&mut s);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("3145728"), "{text}");
    assert!(closed);
}

/// With the system's curl (OpenSSL) when there is one: TLS 1.2 and 1.3 are served, 1.1 is
/// refused.
#[test]
fn tls_versions_with_a_system_client() {
    let Ok(probe) = std::process::Command::new("curl").arg("--version").output() else {
        eprintln!("no curl: skipped");
        return;
    };
    assert!(probe.status.success());
    let h = harness(|_| {});
    let url = format!("https://127.0.0.1:{}/healthz", h.addr().port());
    let curl = |extra: &[&str]| {
        std::process::Command::new("curl")
            .args(["-sS", "--max-time", "10", "--cacert"])
            .arg(h.cert_path())
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let v13 = curl(&["--tlsv1.3"]);
    assert!(v13.status.success(), "{v13:?}");
    assert_eq!(String::from_utf8_lossy(&v13.stdout), "ok\n");
    let v12 = curl(&["--tlsv1.2", "--tls-max", "1.2"]);
    assert!(v12.status.success(), "{v12:?}");
    let v11 = curl(&["--tlsv1.1", "--tls-max", "1.1"]);
    assert!(!v11.status.success(), "TLS 1.1 was accepted");
}
