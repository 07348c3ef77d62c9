//! Servers that misbehave: every endpoint still ends in a definite result, within its limits.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use palisade_node::probe::{self, PortState, ProbeOptions, Service};

use crate::support::{free_port, http, listen, probe_port, quick, Reply};

fn only(run: &probe::ProbeRun) -> &probe::EndpointResult {
    assert_eq!(run.endpoints.len(), 1);
    &run.endpoints[0]
}

#[test]
fn a_closed_port_is_closed() {
    let port = free_port();
    let run = probe_port(port, &quick());
    let ep = only(&run);
    assert_eq!(ep.state, PortState::Closed);
    assert!(ep.exposures.is_empty());
}

#[test]
fn a_server_that_accepts_and_never_writes_ends_as_open_unrecognised() {
    let server = listen(|conn| {
        thread::sleep(Duration::from_secs(15));
        drop(conn);
    });
    let options = quick();
    let started = Instant::now();
    let run = probe_port(server.port, &options);
    let ep = only(&run);
    assert_eq!(ep.state, PortState::Open);
    assert_eq!(ep.service, Some(Service::Unknown));
    assert!(ep.summary.contains("no answer"), "{}", ep.summary);
    // TLS then plain HTTP, each waiting one idle timeout, bounded by the endpoint deadline.
    assert!(started.elapsed() < options.endpoint_timeout + Duration::from_secs(1));
}

#[test]
fn a_port_that_never_accepts_is_filtered() {
    // Backlog 0: the kernel queues one connection and then drops SYNs, so connecting hangs
    // exactly as towards a firewalled host (all on loopback).
    use rustix::net::{bind, listen as listen_on, socket, AddressFamily, SocketType};
    let fd = socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
    bind(&fd, &SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    listen_on(&fd, 0).unwrap();
    let addr = rustix::net::getsockname(&fd).unwrap();
    let addr = SocketAddr::try_from(addr).unwrap();
    let mut fillers = Vec::new();
    for _ in 0..3 {
        if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            fillers.push(s);
        }
    }
    let options = ProbeOptions {
        connect_timeout: Duration::from_millis(400),
        ..quick()
    };
    let started = Instant::now();
    let run = probe_port(addr.port(), &options);
    assert_eq!(
        only(&run).state,
        PortState::Filtered,
        "{}",
        only(&run).summary
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(fd);
}

#[test]
fn a_response_that_stalls_midway_is_reported_as_stalled() {
    let server = http(Arc::new(|_, _| {
        Reply::Stall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"partial\":".to_vec())
    }));
    let options = quick();
    let started = Instant::now();
    let run = probe_port(server.port, &options);
    let ep = only(&run);
    assert_eq!(ep.state, PortState::Open);
    assert!(matches!(
        ep.service,
        Some(Service::Http { status: 200, .. })
    ));
    assert!(ep.summary.contains("stalled"), "{}", ep.summary);
    assert!(started.elapsed() < options.endpoint_timeout + Duration::from_secs(1));
}

#[test]
fn garbage_is_open_and_unrecognised() {
    let server = listen(|mut conn| {
        let _ = conn.write_all(b"\x00\xffSSH-9.9 garbage\r\n\x01\x02\x03");
    });
    let run = probe_port(server.port, &quick());
    let ep = only(&run);
    assert_eq!(ep.state, PortState::Open);
    assert_eq!(ep.service, Some(Service::Unknown));
    assert!(ep.summary.contains("not HTTP"), "{}", ep.summary);
}

#[test]
fn tls_garbage_is_open_and_unrecognised() {
    // A TLS record header (handshake, TLS 1.2) with a body that is no handshake message.
    let server = listen(|mut conn| {
        let _ = conn.write_all(b"\x16\x03\x03\x00\x08\xde\xad\xbe\xef\x00\x00\x00\x00");
        thread::sleep(Duration::from_millis(200));
    });
    let run = probe_port(server.port, &quick());
    let ep = only(&run);
    assert_eq!(ep.state, PortState::Open);
    assert!(ep.tls.is_none());
    assert!(
        matches!(ep.service, Some(Service::Unknown | Service::Tls)),
        "{:?}",
        ep.service
    );
    assert!(ep.exposures.is_empty());
}

#[test]
fn a_huge_response_is_cut_at_the_cap() {
    let server = http(Arc::new(|_, _| Reply::Endless));
    let options = ProbeOptions {
        max_response_bytes: 64 * 1024,
        ..quick()
    };
    let started = Instant::now();
    let run = probe_port(server.port, &options);
    let ep = only(&run);
    assert_eq!(ep.state, PortState::Open);
    assert!(ep.summary.contains("body cut at"), "{}", ep.summary);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_whole_slash_24_of_loopback_finishes_within_the_budget() {
    let options = ProbeOptions {
        budget: Duration::from_secs(20),
        ..quick()
    };
    let target = probe::parse_target("127.1.2.0/24", &options).unwrap();
    let run = probe::run(&[target], &options);
    let per_host = options.ports.len() + options.nodeports.len();
    assert_eq!(run.endpoints.len(), 256 * per_host);
    assert!(run.elapsed < options.budget, "{:?}", run.elapsed);
    assert!(!run.budget_exhausted);
    // Nothing listens there: every endpoint is a definite closed (or, if some other test's
    // server sits on 127.1.2.x, open) result; none is skipped or left without a state.
    assert!(run
        .endpoints
        .iter()
        .all(|e| matches!(e.state, PortState::Closed | PortState::Open)));
    // One note per host lists its closed ports.
    let notes = probe::notes(&run);
    assert_eq!(notes.len(), 256);
}

#[test]
fn the_budget_bounds_the_run_and_skips_what_did_not_start() {
    let silent: Vec<_> = (0..4)
        .map(|_| {
            listen(|conn| {
                thread::sleep(Duration::from_secs(15));
                drop(conn);
            })
        })
        .collect();
    let options = ProbeOptions {
        budget: Duration::from_millis(800),
        concurrency: 2,
        ..quick()
    };
    let targets: Vec<_> = silent
        .iter()
        .map(|s| probe::parse_target(&format!("127.0.0.1:{}", s.port), &options).unwrap())
        .collect();
    let started = Instant::now();
    let run = probe::run(&targets, &options);
    assert!(started.elapsed() < options.budget + options.io_timeout + Duration::from_millis(500));
    assert!(run.budget_exhausted);
    assert!(run.endpoints.iter().any(|e| e.state == PortState::Skipped));
    assert!(run.endpoints.iter().all(|e| !e.summary.is_empty()));
}

#[test]
fn a_server_that_refuses_tls_1_2_and_1_3_is_legacy_only() {
    // A fatal protocol_version alert, as a TLS 1.0/1.1-only server answers a modern hello.
    let server = listen(|mut conn| {
        let mut hello = [0u8; 512];
        let _ = std::io::Read::read(&mut conn, &mut hello);
        let _ = conn.write_all(b"\x15\x03\x01\x00\x02\x02\x46");
    });
    let run = probe_port(server.port, &quick());
    let ep = only(&run);
    assert_eq!(ep.state, PortState::Open);
    assert_eq!(ep.service, Some(Service::Tls));
    let ids: Vec<_> = probe::findings(&run)
        .iter()
        .map(|f| f.rule_id.to_string())
        .collect();
    assert_eq!(ids, ["PAL-PROBE-016"]);
}

#[test]
fn concurrency_bounds_the_sockets_held_at_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let current = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let servers: Vec<_> = (0..6)
        .map(|_| {
            let (current, peak) = (Arc::clone(&current), Arc::clone(&peak));
            listen(move |conn| {
                current.fetch_add(1, Ordering::SeqCst);
                // The client holds each socket at least one idle timeout (300 ms); 50 ms lets
                // the thread of a socket it has just closed see the close first.
                thread::sleep(Duration::from_millis(50));
                peak.fetch_max(current.load(Ordering::SeqCst), Ordering::SeqCst);
                // Hold the connection until the client gives up on it.
                let mut buf = [0u8; 1024];
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                while matches!(std::io::Read::read(&mut &conn, &mut buf), Ok(n) if n > 0) {}
                current.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    // TLS first (then plain HTTP), and plain HTTP first (then TLS): each endpoint holds one
    // socket at a time either way.
    for plain_first in [false, true] {
        let mut options = ProbeOptions {
            concurrency: 3,
            io_timeout: Duration::from_millis(300),
            ..quick()
        };
        if plain_first {
            options.roles.plain_first = servers.iter().map(|s| s.port).collect();
        }
        let targets: Vec<_> = servers
            .iter()
            .map(|s| probe::parse_target(&format!("127.0.0.1:{}", s.port), &options).unwrap())
            .collect();
        peak.store(0, Ordering::SeqCst);
        let run = probe::run(&targets, &options);
        assert!(run.endpoints.iter().all(|e| e.state == PortState::Open));
        thread::sleep(Duration::from_millis(100));
        assert_eq!(
            current.load(Ordering::SeqCst),
            0,
            "the probe closed every socket"
        );
        let peak = peak.load(Ordering::SeqCst);
        assert!(
            (1..=3).contains(&peak),
            "peak {peak} sockets with concurrency 3 (plain first: {plain_first})"
        );
    }
}
