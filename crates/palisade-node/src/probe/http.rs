//! A minimal HTTP/1.1 client over any byte stream (plain TCP or TLS): one request per
//! connection (`Connection: close`), a response read under the caps of [`super::conn`], and a
//! forgiving parser that turns garbage into an error instead of a guess.

use std::io::{Read, Write};

use super::conn::{read_until, Received};

/// Most header bytes accepted before the blank line.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// A request: only GET, and POST for etcd's JSON gateway reads.
#[derive(Debug, Clone)]
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub host: &'a str,
    pub body: Option<&'a str>,
}

impl Request<'_> {
    fn encode(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: palisade-probe\r\nAccept: application/json, */*\r\nConnection: close\r\n",
            self.method, self.path, self.host
        );
        if let Some(body) = self.body {
            head.push_str("Content-Type: application/json\r\n");
            head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        } else {
            head.push_str("\r\n");
        }
        head.into_bytes()
    }
}

/// A parsed response.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked), at most the cap.
    pub body: Vec<u8>,
    /// The body was cut at the cap.
    pub truncated: bool,
    /// The server stopped sending before the body was complete.
    pub stalled: bool,
}

impl Response {
    /// First value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, when it is complete and valid.
    pub fn json(&self) -> Option<serde_json::Value> {
        if self.truncated {
            return None;
        }
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text (lossy), for matching.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why no response could be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// Nothing came back before the idle timeout or deadline.
    NoAnswer,
    /// The connection closed without any byte.
    Empty,
    /// Bytes came back but are not HTTP (the first few, kept for messages and sniffing).
    NotHttp(Vec<u8>),
    /// The header block did not end before the stall, close or cap.
    Incomplete(String),
    /// Writing the request or reading failed.
    Io(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::NoAnswer => f.write_str("no answer before the timeout"),
            HttpError::Empty => f.write_str("connection closed without an answer"),
            HttpError::NotHttp(start) => write!(f, "not HTTP (starts with {})", quote_start(start)),
            HttpError::Incomplete(why) => write!(f, "incomplete HTTP response ({why})"),
            HttpError::Io(e) => f.write_str(e),
        }
    }
}

/// Sends `request` and reads one response of at most `max_bytes`.
pub(crate) fn exchange<S: Read + Write>(
    stream: &mut S,
    request: &Request<'_>,
    max_bytes: usize,
) -> Result<Response, HttpError> {
    stream
        .write_all(&request.encode())
        .and_then(|()| stream.flush())
        .map_err(|e| HttpError::Io(format!("sending the request: {e}")))?;
    let got = read_until(stream, max_bytes, is_complete);
    parse(got)
}

/// Reads one response from `bytes` as [`exchange`] reads it from a server (for the fuzz
/// target and tests: any bytes end in a response or an error, never a panic).
pub fn read_response(bytes: &[u8], max_bytes: usize) -> Result<Response, HttpError> {
    let mut stream = Replay {
        input: std::io::Cursor::new(bytes),
    };
    let got = read_until(&mut stream, max_bytes, is_complete);
    parse(got)
}

/// A stream that replays recorded bytes and swallows what is written.
struct Replay<'a> {
    input: std::io::Cursor<&'a [u8]>,
}

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `bytes` already hold a whole response (so a server that keeps the connection open
/// despite `Connection: close` does not cost a timeout).
fn is_complete(bytes: &[u8]) -> bool {
    let Some(end) = header_end(bytes) else {
        return false;
    };
    let Ok(head) = std::str::from_utf8(&bytes[..end]) else {
        return false;
    };
    let body = &bytes[end + 4..];
    let mut length = None;
    let mut chunked = false;
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            }
        }
    }
    if chunked {
        return dechunk(body).is_some_and(|(_, done)| done);
    }
    length.is_some_and(|n| body.len() >= n)
}

fn header_end(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Parses what was received into a response, or says why it is not one.
fn parse(got: Received) -> Result<Response, HttpError> {
    if got.bytes.is_empty() {
        return Err(match (got.stalled, got.error) {
            (_, Some(e)) => HttpError::Io(e),
            (true, None) => HttpError::NoAnswer,
            (false, None) => HttpError::Empty,
        });
    }
    if !got.bytes.starts_with(b"HTTP/1.") {
        return Err(HttpError::NotHttp(
            got.bytes.iter().take(16).copied().collect(),
        ));
    }
    let Some(end) = header_end(&got.bytes[..got.bytes.len().min(MAX_HEADER_BYTES)]) else {
        let why = if got.stalled {
            "the server stalled inside the headers"
        } else if got.truncated || got.bytes.len() >= MAX_HEADER_BYTES {
            "headers larger than the limit"
        } else {
            "the connection closed inside the headers"
        };
        return Err(HttpError::Incomplete(why.to_string()));
    };
    let head = String::from_utf8_lossy(&got.bytes[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| HttpError::NotHttp(status_line.bytes().take(16).collect()))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let raw = &got.bytes[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    let (body, complete) = if chunked {
        dechunk(raw).unwrap_or_else(|| (raw.to_vec(), false))
    } else {
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        match length {
            Some(n) => (raw[..raw.len().min(n)].to_vec(), raw.len() >= n),
            None => (raw.to_vec(), !got.stalled && !got.truncated),
        }
    };
    Ok(Response {
        status,
        headers,
        body,
        truncated: got.truncated && !complete,
        stalled: !complete && !got.truncated,
    })
}

/// Decodes a chunked body: the data so far and whether the last chunk was seen. `None` when
/// the framing is broken.
fn dechunk(mut raw: &[u8]) -> Option<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return Some((out, false));
        };
        let size_text = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some((out, true));
        }
        if raw.len() < size {
            out.extend_from_slice(raw);
            return Some((out, false));
        }
        out.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or_default();
    }
}

/// The first bytes, printable ASCII kept and the rest escaped, for messages.
pub(crate) fn quote_start(bytes: &[u8]) -> String {
    let shown: String = bytes
        .iter()
        .take(16)
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect();
    format!("\"{shown}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn got(bytes: &[u8]) -> Received {
        Received {
            bytes: bytes.to_vec(),
            ..Received::default()
        }
    }

    #[test]
    fn content_length_and_chunked() {
        let r = parse(got(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello",
        ))
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
        assert_eq!(r.header("server"), Some("x"));
        let raw = b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert!(is_complete(raw));
        let r = parse(got(raw)).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (401, &b"abcde"[..]));
        assert!(!r.stalled);
    }

    #[test]
    fn garbage_and_partial_answers_are_errors_or_flagged() {
        assert!(matches!(
            parse(got(b"\x15\x03\x01\x00\x02\x02\x46")),
            Err(HttpError::NotHttp(_))
        ));
        assert!(matches!(
            parse(got(b"HTTP/1.1 abc\r\n\r\n")),
            Err(HttpError::NotHttp(_))
        ));
        let mut partial = got(b"HTTP/1.1 200 OK\r\nContent-Len");
        partial.stalled = true;
        assert!(matches!(parse(partial), Err(HttpError::Incomplete(_))));
        let mut body_cut = got(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
        body_cut.stalled = true;
        let r = parse(body_cut).unwrap();
        assert!(r.stalled && r.json().is_none());
        assert!(matches!(parse(Received::default()), Err(HttpError::Empty)));
    }

    #[test]
    fn requests_are_well_formed() {
        let req = Request {
            method: "POST",
            path: "/v3/kv/range",
            host: "127.0.0.1:2379",
            body: Some("{}"),
        };
        let text = String::from_utf8(req.encode()).unwrap();
        assert!(text.starts_with("POST /v3/kv/range HTTP/1.1\r\nHost: 127.0.0.1:2379\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
    }
}
