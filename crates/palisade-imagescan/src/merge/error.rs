//! The error a reader returns when a report cannot be read at all. Smaller problems (one bad
//! finding) are [`ReadWarning`](super::ReadWarning)s and the rest is still read.

use std::fmt;

/// A report that could not be read: which file, and what (with the JSON path when the
/// document is valid JSON of the wrong shape).
#[derive(Debug)]
pub struct ReadError {
    /// The file (or name given for the input).
    pub source_name: String,
    /// What went wrong.
    pub kind: ReadErrorKind,
}

/// What went wrong reading a report.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// The file could not be read.
    Io(std::io::Error),
    /// The input is larger than [`MAX_REPORT_BYTES`](super::MAX_REPORT_BYTES).
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// Not JSON, or cut short.
    InvalidJson {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Whether the input ended too early (a truncated file).
        truncated: bool,
        /// The parser's message.
        message: String,
    },
    /// Valid JSON of the wrong shape.
    Shape {
        /// JSON path of the offending value (`$.Results`).
        json_path: String,
        /// What was expected.
        message: String,
    },
    /// More findings than [`MAX_FINDINGS`](super::MAX_FINDINGS).
    TooManyFindings {
        /// The array that holds them.
        json_path: String,
        /// The limit.
        limit: usize,
    },
    /// JSON that is none of the known report formats.
    UnknownFormat,
}

impl ReadError {
    pub(crate) fn new(source: &str, kind: ReadErrorKind) -> Self {
        ReadError {
            source_name: source.to_string(),
            kind,
        }
    }

    pub(crate) fn shape(source: &str, json_path: &str, message: impl Into<String>) -> Self {
        ReadError::new(
            source,
            ReadErrorKind::Shape {
                json_path: json_path.to_string(),
                message: message.into(),
            },
        )
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let src = &self.source_name;
        match &self.kind {
            ReadErrorKind::Io(e) => write!(f, "{src}: failed to read: {e}"),
            ReadErrorKind::TooLarge { size, limit } => {
                write!(
                    f,
                    "{src}: report of {size} bytes exceeds the limit of {limit} bytes"
                )
            }
            ReadErrorKind::InvalidJson {
                line,
                column,
                truncated: true,
                ..
            } => write!(
                f,
                "{src}: truncated JSON (input ends at line {line} column {column})"
            ),
            ReadErrorKind::InvalidJson {
                line,
                column,
                message,
                ..
            } => write!(
                f,
                "{src}: invalid JSON at line {line} column {column}: {message}"
            ),
            ReadErrorKind::Shape { json_path, message } => {
                write!(f, "{src}: {json_path}: {message}")
            }
            ReadErrorKind::TooManyFindings { json_path, limit } => {
                write!(f, "{src}: {json_path}: more than {limit} findings")
            }
            ReadErrorKind::UnknownFormat => write!(
                f,
                "{src}: not a Trivy, Grype, CycloneDX or Palisade vulnerability report"
            ),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ReadErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}
