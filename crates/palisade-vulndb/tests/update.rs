//! `update` against a small HTTP server on 127.0.0.1 that the test starts:
//! download, import, conditional requests (ETag, 304), failures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Cursor, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use palisade_vulndb::{Db, Query, UpdateOptions, UpdateStatus};

/// Serves `/PyPI/all.zip` with an ETag, answering 304 to a matching
/// `If-None-Match`, and 404 for anything else. Records every request line
/// and its conditional header.
struct Server {
    base: String,
    log: Arc<Log>,
}

/// Request paths with their `If-None-Match` header.
type Log = Mutex<Vec<(String, Option<String>)>>;

fn serve(zip: Vec<u8>, etag: &'static str) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            answer(stream, &zip, etag, &seen);
        }
    });
    Server { base, log }
}

fn answer(stream: TcpStream, zip: &[u8], etag: &str, log: &Log) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("if-none-match") {
                if_none_match = Some(v.trim().to_string());
            }
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    log.lock()
        .unwrap()
        .push((path.clone(), if_none_match.clone()));
    let mut out = stream;
    let head = |status: &str, len: usize| {
        format!(
            "HTTP/1.1 {status}\r\nETag: {etag}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
    };
    if path != "/osv/PyPI/all.zip" {
        out.write_all(head("404 Not Found", 0).as_bytes()).unwrap();
    } else if if_none_match.as_deref() == Some(etag) {
        out.write_all(head("304 Not Modified", 0).as_bytes())
            .unwrap();
    } else {
        out.write_all(head("200 OK", zip.len()).as_bytes()).unwrap();
        out.write_all(zip).unwrap();
    }
    out.flush().unwrap();
}

fn pypi_zip() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("PYSEC-2099-1.json", opts).unwrap();
    w.write_all(
        br#"{"id": "PYSEC-2099-1", "modified": "2099-01-01T00:00:00Z", "aliases": ["CVE-2099-0001"],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "loopback-demo"},
              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.4.2"}]}]}]}"#,
    )
    .unwrap();
    w.start_file("bad.json", opts).unwrap();
    w.write_all(b"not json").unwrap();
    w.finish().unwrap().into_inner()
}

#[test]
fn update_downloads_imports_and_revalidates() {
    let server = serve(pypi_zip(), "\"v1\"");
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(dir.path().join("db.sqlite")).unwrap();
    let base = format!("{}/osv", server.base);

    let out = db.update(&base, &["PyPI"]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].url, format!("{base}/PyPI/all.zip"));
    let Ok(UpdateStatus::Imported(report)) = &out[0].result else {
        panic!("{:?}", out[0].result);
    };
    assert_eq!(report.records, 1);
    assert_eq!(report.diagnostics.len(), 1);
    assert_eq!(
        report.diagnostics[0].source,
        format!("{base}/PyPI/all.zip!bad.json")
    );
    let m = db
        .matches(&[Query::new("PyPI", "Loopback_Demo", "1.4.1")])
        .unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].fixed, ["1.4.2"]);
    let status = db.status().unwrap();
    assert_eq!(status[0].source.as_deref(), Some(out[0].url.as_str()));

    // Second run: the stored ETag makes the request conditional; 304 imports nothing.
    let out = db.update(&base, &["PyPI"]);
    assert!(
        matches!(out[0].result, Ok(UpdateStatus::NotModified)),
        "{:?}",
        out[0].result
    );
    let log = server.log.lock().unwrap().clone();
    assert_eq!(
        log,
        vec![
            ("/osv/PyPI/all.zip".to_string(), None),
            ("/osv/PyPI/all.zip".to_string(), Some("\"v1\"".to_string())),
        ]
    );
    assert!(db
        .stale(std::time::Duration::from_secs(60))
        .unwrap()
        .is_empty());
}

#[test]
fn update_failures_are_per_ecosystem() {
    let server = serve(pypi_zip(), "\"v1\"");
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(dir.path().join("db.sqlite")).unwrap();
    let base = format!("{}/osv", server.base);
    let out = db.update(&base, &["Nope", "PyPI"]);
    let err = out[0].result.as_ref().unwrap_err().to_string();
    assert!(err.contains("404"), "{err}");
    assert!(matches!(out[1].result, Ok(UpdateStatus::Imported(_))));
    // A download over the size limit is refused, and nothing is imported.
    let dir2 = tempfile::tempdir().unwrap();
    let mut small = Db::open(dir2.path().join("db.sqlite")).unwrap();
    let opts = UpdateOptions {
        max_download_bytes: 100,
        ..UpdateOptions::default()
    };
    let out = small.update_with(&base, &["PyPI"], &opts);
    let err = out[0].result.as_ref().unwrap_err().to_string();
    assert!(err.contains("limit 100 bytes"), "{err}");
    assert!(small.ids().unwrap().is_empty());
    // Not HTTP at all.
    let out = small.update("file:///etc", &["PyPI"]);
    assert!(out[0].result.is_err());
    // Nothing listens on this port any more.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let out = small.update(&format!("http://{addr}"), &["PyPI"]);
    assert!(out[0].result.is_err());
}
