//! Reading OSV data from disk: a directory tree of `.json` / `.yaml` files
//! (Alpine secdb YAML included), a single file, or a `.zip` as OSV publishes
//! per ecosystem (`<ecosystem>/all.zip`, one record per member).
//!
//! Records are handed to a sink in batches, so a large archive never sits in
//! memory whole. Bad records become [`Diagnostic`]s naming the file (and the
//! zip member) and the rest is still read. Sizes are bounded by
//! [`ImportLimits`]: a member or file over the per-file cap is skipped with a
//! diagnostic; going over the total cap stops the import with an error
//! (that is what a decompression bomb looks like).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::osv::{self, Record};
use crate::secdb;
use crate::DbError;

/// Size bounds for an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest file or zip member read (bytes, uncompressed).
    pub max_file_bytes: u64,
    /// Most bytes read in total (uncompressed) by one import.
    pub max_total_bytes: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            // The largest OSV records (kernel CVEs with long version lists)
            // are a few MiB; OSV's biggest per-ecosystem archives expand to a
            // few GiB.
            max_file_bytes: 32 << 20,
            max_total_bytes: 8 << 30,
        }
    }
}

/// A record or file that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, or `archive.zip!member` for a zip member.
    pub source: String,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

/// Bytes handed to the parser per batch (and so the most raw input held at
/// once, besides one oversized member).
const BATCH_BYTES: usize = 64 << 20;

/// Records read from one input and notes about parts skipped, or why the
/// whole input was rejected.
pub type Parsed = Result<(Vec<Record>, Vec<String>), String>;

/// What a batch sink receives: parsed records, in input order.
pub(crate) type Sink<'a> = dyn FnMut(Vec<Record>) -> Result<(), DbError> + 'a;

/// Reads everything under `path` and feeds the records to `sink`. Returns the
/// diagnostics and the number of files or members read.
pub(crate) fn load(
    path: &Path,
    limits: &ImportLimits,
    sink: &mut Sink<'_>,
) -> Result<(Vec<Diagnostic>, usize), DbError> {
    let meta = std::fs::metadata(path).map_err(|e| DbError::io(path, e))?;
    let mut files = Vec::new();
    if meta.is_dir() {
        collect_files(path, &mut files)?;
    } else {
        files.push(path.to_path_buf());
    }
    let mut state = State {
        limits: *limits,
        total: 0,
        diagnostics: Vec::new(),
        read: 0,
        batch: Vec::new(),
        batch_bytes: 0,
    };
    for file in files {
        if has_ext(&file, "zip") {
            let f = File::open(&file).map_err(|e| DbError::io(&file, e))?;
            state.zip(&file, BufReader::new(f), sink)?;
        } else {
            state.file(&file, sink)?;
        }
    }
    state.flush(sink)?;
    Ok((state.diagnostics, state.read))
}

/// Reads a zip archive from any seekable reader (used by `update` on the
/// downloaded temporary file, and by the fuzz target on bytes).
pub(crate) fn load_zip<R: Read + Seek>(
    name: &str,
    reader: R,
    limits: &ImportLimits,
    sink: &mut Sink<'_>,
) -> Result<(Vec<Diagnostic>, usize), DbError> {
    let mut state = State {
        limits: *limits,
        total: 0,
        diagnostics: Vec::new(),
        read: 0,
        batch: Vec::new(),
        batch_bytes: 0,
    };
    state.zip(Path::new(name), reader, sink)?;
    state.flush(sink)?;
    Ok((state.diagnostics, state.read))
}

struct State {
    limits: ImportLimits,
    total: u64,
    diagnostics: Vec<Diagnostic>,
    read: usize,
    /// (source name, bytes) waiting to be parsed.
    batch: Vec<(String, Vec<u8>)>,
    batch_bytes: usize,
}

impl State {
    fn file(&mut self, path: &Path, sink: &mut Sink<'_>) -> Result<(), DbError> {
        let source = path.display().to_string();
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.note(&source, format!("cannot open: {e}"));
                return Ok(());
            }
        };
        self.take(source, f, sink)
    }

    fn zip<R: Read + Seek>(
        &mut self,
        path: &Path,
        reader: R,
        sink: &mut Sink<'_>,
    ) -> Result<(), DbError> {
        let shown = path.display().to_string();
        let mut archive = match zip::ZipArchive::new(reader) {
            Ok(a) => a,
            Err(e) => {
                self.note(&shown, format!("not a readable zip archive: {e}"));
                return Ok(());
            }
        };
        for i in 0..archive.len() {
            let member = match archive.by_index(i) {
                Ok(m) => m,
                Err(e) => {
                    self.note(&format!("{shown}!#{i}"), format!("unreadable member: {e}"));
                    continue;
                }
            };
            if member.is_dir() {
                continue;
            }
            let name = member.name().to_string();
            if !is_record_name(&name) {
                continue;
            }
            self.take(format!("{shown}!{name}"), member, sink)?;
        }
        Ok(())
    }

    /// Reads one input within the limits and queues it for parsing. The
    /// caps are enforced on bytes actually read, never on declared sizes.
    fn take(
        &mut self,
        source: String,
        input: impl Read,
        sink: &mut Sink<'_>,
    ) -> Result<(), DbError> {
        let cap = self.limits.max_file_bytes;
        let mut bytes = Vec::new();
        if let Err(e) = input.take(cap.saturating_add(1)).read_to_end(&mut bytes) {
            self.note(&source, format!("read failed: {e}"));
            return Ok(());
        }
        let n = bytes.len() as u64;
        self.total = self.total.saturating_add(n.min(cap));
        if self.total > self.limits.max_total_bytes {
            return Err(DbError::TooLarge(format!(
                "import stopped at {source}: more than {} bytes in total (limit)",
                self.limits.max_total_bytes
            )));
        }
        if n > cap {
            self.note(
                &source,
                format!("larger than the {cap}-byte limit per file; skipped"),
            );
            return Ok(());
        }
        self.read += 1;
        self.batch_bytes += bytes.len();
        self.batch.push((source, bytes));
        if self.batch_bytes >= BATCH_BYTES {
            self.flush(sink)?;
        }
        Ok(())
    }

    /// Parses the queued inputs in parallel and hands the records over.
    fn flush(&mut self, sink: &mut Sink<'_>) -> Result<(), DbError> {
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        let parsed: Vec<(String, Parsed)> = batch
            .into_par_iter()
            .map(|(source, bytes)| {
                let result = parse_any(&source, &bytes);
                (source, result)
            })
            .collect();
        let mut records = Vec::with_capacity(parsed.len());
        for (source, result) in parsed {
            match result {
                Ok((recs, notes)) => {
                    records.extend(recs);
                    for n in notes {
                        self.note(&source, n);
                    }
                }
                Err(message) => self.note(&source, message),
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        sink(records)
    }

    fn note(&mut self, source: &str, message: String) {
        self.diagnostics.push(Diagnostic {
            source: source.to_string(),
            message,
        });
    }
}

/// Parses one record file by its name's extension (`.json`, else YAML:
/// an OSV record or an Alpine secdb file). The notes name parts skipped.
pub fn parse_file(name: &str, bytes: &[u8]) -> Parsed {
    parse_any(name, bytes)
}

/// Reads every record of a zip archive without a store (for tools and the
/// fuzz target): the records and the diagnostics, or the limit error.
pub fn read_zip<R: Read + Seek>(
    name: &str,
    reader: R,
    limits: &ImportLimits,
) -> Result<(Vec<Record>, Vec<Diagnostic>), DbError> {
    let mut records = Vec::new();
    let (diagnostics, _) = load_zip(name, reader, limits, &mut |batch| {
        records.extend(batch);
        Ok(())
    })?;
    Ok((records, diagnostics))
}

/// Parses one input by its name's extension: JSON records, YAML records, or
/// an Alpine secdb YAML file (several records).
pub(crate) fn parse_any(source: &str, bytes: &[u8]) -> Parsed {
    let lower = source.to_ascii_lowercase();
    if lower.ends_with(".json") {
        return osv::parse_json(bytes).map(|r| (vec![r], Vec::new()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let doc = osv::yaml_document(text)?;
    if secdb::looks_like_secdb(&doc) {
        return secdb::convert(&doc);
    }
    osv::record_from_value(doc).map(|r| (vec![r], Vec::new()))
}

fn is_record_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".json") || lower.ends_with(".yaml") || lower.ends_with(".yml")
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Every record file and zip under `dir`, sorted. Symbolic links to
/// directories are not followed (no cycles).
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DbError> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| DbError::io(&d, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| DbError::io(&d, e))?;
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
            } else if (kind.is_file() || kind.is_symlink())
                && path.is_file()
                && (has_ext(&path, "zip")
                    || path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(is_record_name))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for (name, data) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn zip_members_bad_ones_named() {
        let good = br#"{"id":"GO-1","modified":"2024-01-01T00:00:00Z"}"#;
        let bytes = zip_of(&[
            ("GO-1.json", good),
            ("BAD.json", b"{not json"),
            ("README.txt", b"ignored"),
        ]);
        let mut got = Vec::new();
        let (diags, read) = load_zip(
            "all.zip",
            Cursor::new(bytes),
            &ImportLimits::default(),
            &mut |r| {
                got.extend(r);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(read, 2);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, "GO-1");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].source, "all.zip!BAD.json");
    }

    #[test]
    fn zip_bomb_limits() {
        // 2 MiB of zeros compress to a few KiB.
        let big = vec![b' '; 2 << 20];
        let bytes = zip_of(&[("a.json", &big), ("b.json", &big), ("c.json", &big)]);
        assert!(bytes.len() < 100_000);
        let per_file = ImportLimits {
            max_file_bytes: 1 << 20,
            max_total_bytes: 1 << 30,
        };
        let (diags, _) = load_zip("x.zip", Cursor::new(bytes.clone()), &per_file, &mut |_| {
            Ok(())
        })
        .unwrap();
        assert_eq!(diags.len(), 3);
        assert!(diags[0].message.contains("limit per file"), "{}", diags[0]);
        let total = ImportLimits {
            max_file_bytes: 4 << 20,
            max_total_bytes: 5 << 20,
        };
        let err = load_zip("x.zip", Cursor::new(bytes), &total, &mut |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("x.zip!c.json"), "{err}");
    }

    #[test]
    fn not_a_zip_is_a_diagnostic() {
        let (diags, read) = load_zip(
            "junk.zip",
            Cursor::new(b"PK\x03\x04junk".to_vec()),
            &ImportLimits::default(),
            &mut |_| Ok(()),
        )
        .unwrap();
        assert_eq!(read, 0);
        assert_eq!(diags[0].source, "junk.zip");
    }
}
