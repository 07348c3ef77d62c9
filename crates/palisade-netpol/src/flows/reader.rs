//! Streaming reader for Hubble's JSON Lines.
//!
//! The input is read line by line through a [`BufRead`]; at most [`ReadLimits::max_line`]
//! bytes of one line are ever held: the rest of a longer line is consumed and dropped, and
//! the line is skipped as too long. A line that is not UTF-8, not JSON, or not a flow is
//! skipped with its line number and the reason; the rest is used.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, BufRead};
use std::sync::Arc;

use super::record::{decode, Flow, FlowEndpoint, Record};

/// Limits of [`read_flows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// The longest line kept, in bytes (newline excluded). Longer lines are skipped without
    /// being held in memory. Default 1 MiB (a flow is about 1–3 KiB).
    pub max_line: usize,
    /// How many skipped lines are listed individually; further ones are only counted.
    /// Default 1000.
    pub max_listed: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_line: 1 << 20,
            max_listed: 1000,
        }
    }
}

/// Why a line was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Longer than [`ReadLimits::max_line`]; the length in bytes.
    TooLong(u64),
    /// Not valid UTF-8.
    NotUtf8,
    /// Not valid JSON (a corrupt or truncated line); serde's message.
    BadJson(String),
    /// Valid JSON but not a flow record (or a flow with a malformed field).
    NotAFlow(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::TooLong(n) => write!(f, "line of {n} bytes is over the limit"),
            SkipReason::NotUtf8 => f.write_str("not UTF-8"),
            SkipReason::BadJson(m) => write!(f, "corrupt or truncated JSON: {m}"),
            SkipReason::NotAFlow(m) => write!(f, "not a flow: {m}"),
        }
    }
}

/// A skipped line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// Line number (1-based).
    pub line: usize,
    /// Why.
    pub reason: SkipReason,
}

/// The flows of one input, and what was skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flows {
    /// The flows, in input order.
    pub flows: Vec<Flow>,
    /// Lines read (blank ones included).
    pub lines: usize,
    /// Well-formed observer responses that carry no flow (`node_status`, `lost_events`).
    pub other_records: usize,
    /// How many lines were skipped.
    pub skipped_count: usize,
    /// The first [`ReadLimits::max_listed`] skipped lines.
    pub skipped: Vec<SkippedLine>,
    /// The most bytes held for one line at any time (at most about
    /// [`ReadLimits::max_line`] plus one read buffer).
    pub peak_line_bytes: usize,
}

impl Flows {
    /// One line saying how many lines were skipped and where (`None` when none were):
    /// `skipped 3 of 120 lines: 2 (corrupt or truncated JSON: ...), 7 (...), 9 (...)`.
    pub fn skipped_summary(&self) -> Option<String> {
        if self.skipped_count == 0 {
            return None;
        }
        let listed: Vec<String> = self
            .skipped
            .iter()
            .map(|s| format!("{} ({})", s.line, s.reason))
            .collect();
        let more = self.skipped_count - self.skipped.len();
        let tail = if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        };
        Some(format!(
            "skipped {} of {} lines: {}{tail}",
            self.skipped_count,
            self.lines,
            listed.join(", ")
        ))
    }

    fn skip(&mut self, limits: &ReadLimits, line: usize, reason: SkipReason) {
        self.skipped_count += 1;
        if self.skipped.len() < limits.max_listed {
            self.skipped.push(SkippedLine { line, reason });
        }
    }

    fn take(&mut self, limits: &ReadLimits, seen: &mut Endpoints, line: usize, bytes: &[u8]) {
        let trimmed = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        // A byte order mark some editors and shells put before the first line.
        let trimmed = if line == 1 {
            trimmed.strip_prefix(b"\xef\xbb\xbf").unwrap_or(trimmed)
        } else {
            trimmed
        };
        if trimmed.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let Ok(text) = std::str::from_utf8(trimmed) else {
            return self.skip(limits, line, SkipReason::NotUtf8);
        };
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return self.skip(limits, line, SkipReason::BadJson(e.to_string())),
        };
        match decode(line, &value) {
            Ok(Record::Flow(mut f)) => {
                f.source = seen.intern(&f.source);
                f.destination = seen.intern(&f.destination);
                self.flows.push(*f);
            }
            Ok(Record::Other) => self.other_records += 1,
            Err(m) => self.skip(limits, line, SkipReason::NotAFlow(m)),
        }
    }
}

/// The endpoints met so far: a flow file names the same few hundred endpoints in every
/// line, so each is kept once.
#[derive(Default)]
struct Endpoints(HashSet<Arc<FlowEndpoint>>);

impl Endpoints {
    fn intern(&mut self, ep: &Arc<FlowEndpoint>) -> Arc<FlowEndpoint> {
        if let Some(known) = self.0.get(ep.as_ref()) {
            return Arc::clone(known);
        }
        self.0.insert(Arc::clone(ep));
        Arc::clone(ep)
    }
}

/// Reads Hubble JSON Lines (`hubble observe -o jsonpb`) from `input`. Only I/O errors of
/// the reader fail; bad lines are skipped and listed in [`Flows::skipped`].
pub fn read_flows<R: BufRead>(mut input: R, limits: &ReadLimits) -> io::Result<Flows> {
    let mut out = Flows::default();
    let mut endpoints = Endpoints::default();
    let mut line = Vec::new();
    // Bytes of the current line seen so far, kept or not.
    let mut seen: u64 = 0;
    let mut too_long = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let (part, ends, used) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], true, i + 1),
            None => (chunk, false, chunk.len()),
        };
        seen += part.len() as u64;
        if !too_long {
            if line.len() + part.len() > limits.max_line {
                too_long = true;
                line = Vec::new(); // give the memory back at once
            } else {
                line.extend_from_slice(part);
                out.peak_line_bytes = out.peak_line_bytes.max(line.len());
            }
        }
        input.consume(used);
        if ends {
            out.lines += 1;
            finish(
                &mut out,
                limits,
                &mut endpoints,
                &mut line,
                &mut seen,
                &mut too_long,
            );
        }
    }
    if seen > 0 || !line.is_empty() || too_long {
        // A last line without its newline (a truncated file) is still a line.
        out.lines += 1;
        finish(
            &mut out,
            limits,
            &mut endpoints,
            &mut line,
            &mut seen,
            &mut too_long,
        );
    }
    Ok(out)
}

fn finish(
    out: &mut Flows,
    limits: &ReadLimits,
    endpoints: &mut Endpoints,
    line: &mut Vec<u8>,
    seen: &mut u64,
    too_long: &mut bool,
) {
    let number = out.lines;
    if *too_long {
        out.skip(limits, number, SkipReason::TooLong(*seen));
    } else {
        out.take(limits, endpoints, number, line);
    }
    line.clear();
    *seen = 0;
    *too_long = false;
}

/// Reads flows from text already in memory (tests, small inputs).
pub fn parse_flows(text: &str, limits: &ReadLimits) -> Flows {
    // Reading from a byte slice cannot fail.
    read_flows(text.as_bytes(), limits).unwrap_or_default()
}
