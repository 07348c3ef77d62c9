//! Go binaries: the build info the Go toolchain embeds (Go version, main module, dependencies
//! with versions and `=>` replacements), read from a stream without buffering the whole
//! binary. An ELF file is recognised from its first bytes as a Go binary by the Go build ID
//! note (other ELF files stop there); then the stream is scanned for the build info magic,
//! keeping at most [`MAX_PREFIX`] bytes (needed only for the pre-1.18 pointer layout, whose
//! strings sit earlier in the file). Mach-O and PE files have no such note and are scanned
//! whole (bounded).

pub mod buildinfo;
pub mod elf;

use std::io::Read;

use sha2::{Digest, Sha256};

use crate::package::{Package, PackageKind, Warning};
use crate::purl;
use buildinfo::{Layout, ModInfo, Module};

/// Files smaller than this are not sniffed (no executable is that small).
pub const MIN_BINARY_BYTES: u64 = 512;
/// Bytes of one binary scanned at most.
pub const MAX_SCAN_BYTES: u64 = 2 << 30;
/// Bytes kept from the start of a Go binary for the pre-1.18 layout.
pub const MAX_PREFIX: usize = 96 << 20;
/// Headers (ELF header, program headers, notes) are looked for in this first part.
const HEAD: u64 = 64 << 10;
/// Bytes read after a candidate magic for inline strings.
const AFTER_MAGIC: u64 = 2 * buildinfo::MAX_STRING + 64;

/// What a sniffed Go binary gave.
#[derive(Debug, Default)]
pub struct Sniffed {
    /// Standard library, main module and dependencies.
    pub packages: Vec<Package>,
    /// SHA-256 of the binary, when it was read to its end.
    pub sha256: Option<String>,
}

/// A stream with the bytes from `base` on kept in `buf`, hashed as they are read.
struct Window<'a> {
    reader: &'a mut dyn Read,
    buf: Vec<u8>,
    base: u64,
    eof: bool,
    /// Started once the file is known to be a Go binary (other files are not hashed).
    hasher: Option<Sha256>,
    total: u64,
}

impl Window<'_> {
    fn end(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// Reads until `abs_end` is buffered, the stream ends, or the scan cap is met.
    fn fill_to(&mut self, abs_end: u64) {
        while self.end() < abs_end && !self.eof {
            if self.total >= MAX_SCAN_BYTES {
                self.eof = true;
                break;
            }
            // Small reads for headers, big ones for the scan; straight into the buffer.
            let want = (abs_end - self.end()).clamp(4096, 256 << 10) as usize;
            let old = self.buf.len();
            self.buf.resize(old + want, 0);
            match self.reader.read(&mut self.buf[old..]) {
                Ok(0) | Err(_) => {
                    self.buf.truncate(old);
                    self.eof = true;
                }
                Ok(n) => {
                    self.buf.truncate(old + n);
                    if let Some(h) = &mut self.hasher {
                        h.update(&self.buf[old..]);
                    }
                    self.total += n as u64;
                }
            }
        }
    }

    fn get(&self, abs: u64, len: u64) -> Option<&[u8]> {
        let start = usize::try_from(abs.checked_sub(self.base)?).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.buf.get(start..end)
    }

    /// Starts hashing (the buffer still holds everything read so far).
    fn start_hash(&mut self) {
        if self.base == 0 && self.hasher.is_none() {
            let mut h = Sha256::new();
            h.update(&self.buf);
            self.hasher = Some(h);
        }
    }

    /// Drops buffered bytes before `abs`.
    fn discard_before(&mut self, abs: u64) {
        let n = abs.saturating_sub(self.base).min(self.buf.len() as u64) as usize;
        self.buf.drain(..n);
        self.base += n as u64;
    }

    /// Reads the rest (hashing it) and returns the hash, unless the scan cap cut it.
    fn finish(mut self) -> Option<String> {
        self.hasher.as_ref()?;
        let mut chunk = [0u8; 64 << 10];
        while !self.eof {
            if self.total >= MAX_SCAN_BYTES {
                return None;
            }
            match self.reader.read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    if let Some(h) = &mut self.hasher {
                        h.update(&chunk[..n]);
                    }
                    self.total += n as u64;
                }
                Err(_) => return None,
            }
        }
        let h = self.hasher.take()?;
        (self.total < MAX_SCAN_BYTES).then(|| crate::collect::hex(&h.finalize()))
    }
}

/// Sniffs one file; `None` when it is not a Go binary with build info.
pub fn sniff(path: &str, reader: &mut dyn Read, warnings: &mut Vec<Warning>) -> Option<Sniffed> {
    let mut w = Window {
        reader,
        buf: Vec::new(),
        base: 0,
        eof: false,
        hasher: None,
        total: 0,
    };
    w.fill_to(64);
    let head: [u8; 4] = w.get(0, 4)?.try_into().ok()?;
    let mut segments = Vec::new();
    let is_elf = &head == elf::MAGIC;
    if is_elf {
        let e = elf::header(w.get(0, 64.min(w.end()))?)?;
        let (ph_start, ph_end) = e.ph_range;
        if ph_end > HEAD {
            return None;
        }
        w.fill_to(ph_end);
        let (loads, notes) = e.program_headers(w.get(ph_start, ph_end - ph_start)?);
        segments = loads;
        let go = notes.iter().any(|&(start, end)| {
            end <= HEAD && {
                w.fill_to(end);
                w.get(start, end.saturating_sub(start))
                    .is_some_and(|n| e.has_go_note(n))
            }
        });
        if !go {
            return None;
        }
    } else if !is_macho_or_pe(&head) {
        return None;
    }
    w.start_hash();
    let mut from = 0u64;
    let found = loop {
        w.fill_to(from + (1 << 20));
        let Some(hay) = w.get(from, w.end().saturating_sub(from)) else {
            break None;
        };
        match memchr::memmem::find(hay, buildinfo::MAGIC) {
            Some(i) => {
                let at = from + i as u64;
                w.fill_to(at + AFTER_MAGIC);
                if let Some(r) = read_at(&w, at, is_elf.then_some(segments.as_slice())) {
                    break Some(r);
                }
                from = at + 1;
            }
            None if w.eof => break None,
            None => {
                from = w.end().saturating_sub(buildinfo::MAGIC.len() as u64 - 1);
                // Past the prefix kept for the pointer layout, keep only a window.
                if w.buf.len() > MAX_PREFIX {
                    w.discard_before(from);
                }
            }
        }
    };
    let (version, modinfo) = match found {
        Some(Ok(found)) => found,
        Some(Err(message)) => {
            warnings.push(Warning::new(path, None, message));
            return None;
        }
        None => return None,
    };
    let packages = packages(path, &version, &buildinfo::parse_modinfo(&modinfo));
    Some(Sniffed {
        packages,
        sha256: w.finish(),
    })
}

fn is_macho_or_pe(head: &[u8]) -> bool {
    const MACHO: [[u8; 4]; 4] = [
        [0xfe, 0xed, 0xfa, 0xce],
        [0xfe, 0xed, 0xfa, 0xcf],
        [0xce, 0xfa, 0xed, 0xfe],
        [0xcf, 0xfa, 0xed, 0xfe],
    ];
    MACHO.iter().any(|m| head == m) || head.starts_with(b"MZ")
}

/// The version and module info of the blob at `at`; `None` when it is no valid build info
/// (a stray copy of the magic), `Some(Err)` when it is one that cannot be read.
fn read_at(
    w: &Window<'_>,
    at: u64,
    segments: Option<&[elf::Segment]>,
) -> Option<Result<(String, String), String>> {
    let avail = w.end().saturating_sub(at);
    let blob = w.get(at, avail)?;
    match buildinfo::layout(blob)? {
        Layout::Inline => buildinfo::inline_strings(blob).map(Ok),
        Layout::Pointers {
            ptr_size,
            big_endian,
            version,
            modinfo,
        } => {
            let Some(segments) = segments else {
                return Some(Err("pre-1.18 Go build info outside ELF is not read".into()));
            };
            let string = |addr: u64| -> Result<Option<Vec<u8>>, ()> {
                let off = elf::file_offset(segments, addr).ok_or(())?;
                let hdr = w.get(off, 2 * ptr_size as u64).ok_or(())?;
                let data = buildinfo::read_ptr(hdr, 0, ptr_size, big_endian).ok_or(())?;
                let len = buildinfo::read_ptr(hdr, ptr_size, ptr_size, big_endian).ok_or(())?;
                if len > buildinfo::MAX_STRING {
                    return Ok(None);
                }
                let off = elf::file_offset(segments, data).ok_or(())?;
                Ok(Some(w.get(off, len).ok_or(())?.to_vec()))
            };
            match (string(version), string(modinfo)) {
                (Ok(Some(v)), Ok(m)) if !v.is_empty() => Some(Ok((
                    String::from_utf8_lossy(&v).into_owned(),
                    buildinfo::strip_sentinels(&m.unwrap_or_default()),
                ))),
                (Ok(_), Ok(_)) => None,
                _ => Some(Err(format!(
                    "pre-1.18 Go build info addresses bytes not kept (the first {MAX_PREFIX} bytes are)"
                ))),
            }
        }
    }
}

/// `pkg:golang/NAMESPACE/NAME@VERSION` (the module path split at its last `/`).
fn module_purl(path: &str, version: &str) -> String {
    let (ns, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, path),
    };
    let version = if version == "(devel)" { "" } else { version };
    purl::build("golang", ns, name, version, &[])
}

/// One package per module: `stdlib` (the Go version as SemVer), the main module, then each
/// dependency. A replaced dependency is reported as its replacement (that is the code
/// compiled in), with the required module as its source; a directory replacement keeps the
/// required module's path and reports version `(devel)`.
pub fn packages(path: &str, go_version: &str, info: &ModInfo) -> Vec<Package> {
    let arch = info
        .settings
        .iter()
        .find(|(k, _)| k == "GOARCH")
        .map(|(_, v)| v.clone());
    let mut out = Vec::new();
    let std_version =
        buildinfo::go_version_semver(go_version).unwrap_or_else(|| go_version.trim().to_string());
    let mut std = Package::new(
        PackageKind::Go,
        "stdlib",
        &std_version,
        purl::build("golang", None, "stdlib", &std_version, &[]),
        path,
    );
    std.arch.clone_from(&arch);
    out.push(std);
    let mut push = |m: &Module| {
        // A directory replacement has version `(devel)` (or none, in old toolchains).
        let local = |r: &Module| r.version.is_empty() || r.version == "(devel)";
        let (name, version) = match &m.replace {
            Some(r) if !local(r) => (r.path.as_str(), r.version.as_str()),
            Some(_) => (m.path.as_str(), "(devel)"),
            None => (m.path.as_str(), m.version.as_str()),
        };
        if name.is_empty() {
            return;
        }
        let version = if version.is_empty() {
            "(devel)"
        } else {
            version
        };
        let mut p = Package::new(
            PackageKind::Go,
            name,
            version,
            module_purl(name, version),
            path,
        );
        p.arch.clone_from(&arch);
        if m.replace.is_some() {
            p.source_name = Some(m.path.clone());
            p.source_version = Some(m.version.clone()).filter(|v| !v.is_empty());
        }
        out.push(p);
    };
    if let Some(main) = &info.main {
        push(main);
    }
    for d in &info.deps {
        push(d);
    }
    out
}
