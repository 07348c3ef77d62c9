//! `palisade probe`: every target on loopback only. The etcd here is a stand-in (a plain
//! HTTP server answering `/version` and the v3 JSON gateway's range read as etcd 3.4 does);
//! the real etcd runs in crates/palisade-node/tests/probe/etcd.rs.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

use crate::util::*;

/// A stand-in etcd without authentication holding `keys` keys, on a free loopback port.
fn fake_etcd(keys: u32) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            thread::spawn(move || {
                let mut buf = vec![0u8; 8192];
                let n = conn.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                if request.as_bytes().first() == Some(&0x16) {
                    return; // etcd's port multiplexer closes on a TLS ClientHello
                }
                let path = request.split(' ').nth(1).unwrap_or("");
                let (status, body) = match path {
                    "/version" => (
                        200,
                        r#"{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}"#.to_string(),
                    ),
                    "/v3/kv/range" if request.contains("count_only") => (
                        200,
                        format!(r#"{{"header":{{"revision":"9"}},"count":"{keys}"}}"#),
                    ),
                    "/v3/kv/range" => (
                        200,
                        r#"{"header":{},"kvs":[{"key":"L3JlZ2lzdHJ5L2E="}]}"#.to_string(),
                    ),
                    _ => (404, "404 page not found".to_string()),
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    port
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn an_open_etcd_is_critical_in_json_with_its_key_count() {
    let d = Dir::new("probe-etcd");
    let port = fake_etcd(42);
    let target = format!("127.0.0.1:{port}");
    let out = d.run(&["probe", &target, "--format", "json", "--timeout", "500"]);
    assert_exit(&out, 1);
    let r = json(&out);
    let path = format!("probe://127.0.0.1:{port}");
    let mut found = hits(&r);
    found.sort();
    assert_eq!(
        found,
        vec![
            ("PAL-PROBE-001".to_string(), path.clone(), 1),
            ("PAL-PROBE-002".to_string(), path.clone(), 1),
            ("PAL-PROBE-003".to_string(), path.clone(), 1),
        ]
    );
    let critical = &r["findings"].as_array().unwrap()[0];
    assert_eq!(critical["severity"], "critical");
    assert!(critical["message"]
        .as_str()
        .unwrap()
        .contains("lists 42 keys"));
    assert_eq!(critical["object"]["kind"], "Endpoint");
    assert_eq!(r["notes"][0]["path"], path.as_str());
    // --fail-on critical still fails; none does not.
    let out = d.run(&["probe", &target, "--fail-on", "none", "--timeout", "500"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("42 keys readable without authentication"));
}

#[test]
fn a_closed_port_is_a_definite_clean_result() {
    let d = Dir::new("probe-closed");
    let port = closed_port();
    let out = d.run(&["probe", &format!("127.0.0.1:{port}"), "--format", "json"]);
    assert_exit(&out, 0);
    let r = json(&out);
    assert!(r["findings"].as_array().unwrap().is_empty());
    assert_eq!(r["notes"][0]["message"], format!("closed: port {port}"));
    let out = d.run(&["probe", &format!("127.0.0.1:{port}")]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("1 endpoints probed"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn remote_targets_and_large_blocks_are_usage_errors() {
    let d = Dir::new("probe-usage");
    // Refused while parsing: nothing is sent to these documentation addresses.
    for (target, says) in [
        ("192.0.2.1:2379", "--allow-remote"),
        ("[2001:db8::1]", "--allow-remote"),
        ("127.0.0.0/16", "larger than a /24"),
        ("127.0.0.1:http", "not a port"),
    ] {
        let out = d.run(&["probe", target]);
        assert_exit(&out, 2);
        assert!(stderr(&out).contains(says), "{target}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    let out = d.run(&["probe", "127.0.0.1", "--ports", "1-5000"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--ports"), "{}", stderr(&out));
    let out = d.run(&["probe", "127.0.0.1", "--budget", "0"]);
    assert_exit(&out, 2);
}

#[test]
fn probe_outputs_validate_against_their_schemas() {
    let d = Dir::new("probe-schemas");
    let port = fake_etcd(3);
    let target = format!("127.0.0.1:{port}");
    let root = repo_root();
    let shared = root.join("../shared/schemas");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    for format in ["sarif", "json", "junit"] {
        let out = d.run(&["probe", &target, "--format", format, "--timeout", "500"]);
        assert_exit(&out, 1);
        let file = d.root.join(format!("probe.{format}"));
        std::fs::write(&file, &out.stdout).unwrap();
        let result = match format {
            "sarif" => std::process::Command::new(&python)
                .arg(shared.join("validate.py"))
                .args(["sarif", file.to_str().unwrap()])
                .output(),
            "json" => std::process::Command::new(&python)
                .args([
                    "-c",
                    "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))",
                    file.to_str().unwrap(),
                    root.join("crates/palisade-report/schema/report-v1.schema.json").to_str().unwrap(),
                ])
                .output(),
            _ => std::process::Command::new("xmllint")
                .args(["--noout", "--nonet", "--schema"])
                .arg(shared.join("junit.xsd"))
                .arg(&file)
                .output(),
        }
        .unwrap_or_else(|e| panic!("cannot run the {format} validator ({e}); run scripts/setup.sh"));
        assert!(
            result.status.success(),
            "{format} does not validate:\n{}{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("PAL-PROBE-001"), "{format}: {text}");
    }
}

#[test]
fn exceptions_and_rule_settings_apply_to_probe_findings() {
    let d = Dir::new("probe-config");
    let port = fake_etcd(1);
    d.create(
        "palisade.yaml",
        "apiVersion: palisade.dev/v1\nexceptions:\n  - rules: [PAL-PROBE-003]\n    kind: Endpoint\n    name: \"127.0.0.1:*\"\n    reason: version is public here\nrules:\n  PAL-PROBE-002: {enabled: false}\n",
    );
    let target = format!("127.0.0.1:{port}");
    let out = d.run(&[
        "probe",
        &target,
        "--config",
        "palisade.yaml",
        "--format",
        "json",
    ]);
    assert_exit(&out, 1);
    let r = json(&out);
    let ids: Vec<String> = hits(&r).into_iter().map(|h| h.0).collect();
    assert_eq!(ids, ["PAL-PROBE-001"]);
    assert_eq!(r["suppressed"][0]["finding"]["ruleId"], "PAL-PROBE-003");
    d.create(
        "bad.yaml",
        "apiVersion: palisade.dev/v1\nrules:\n  PAL-PROBE-999: {enabled: false}\n",
    );
    let out = d.run(&["probe", &target, "--config", "bad.yaml"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("PAL-PROBE-999"), "{}", stderr(&out));
}
