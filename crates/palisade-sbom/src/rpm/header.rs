//! The rpm header format, as rpm's `headerImport` (lib/header.c) reads a header blob from the
//! database: two big-endian 32-bit counts `il` (index entries) and `dl` (data bytes), `il`
//! 16-byte entries `(tag, type, offset, count)`, then the data store. Every offset, count and
//! string is checked against the blob, so a hostile blob yields an error, never a panic or an
//! unbounded allocation.

use std::fmt;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_OLDFILENAMES: u32 = 1027;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own bounds (`HEADER_TAGS_MAX`, `HEADER_DATA_MAX`).
const MAX_TAGS: u32 = 0xffff;
const MAX_DATA: u32 = 0x0fff_ffff;

/// Why a blob is not a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError(pub String);

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HeaderError {}

/// The tags the cataloger uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// `NAME`.
    pub name: String,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `EPOCH`, when set.
    pub epoch: Option<u32>,
    /// `ARCH`.
    pub arch: Option<String>,
    /// `SOURCERPM` (`name-version-release.src.rpm`).
    pub source_rpm: Option<String>,
    /// `LICENSE`.
    pub license: Option<String>,
    /// Absolute paths of the files the package owns (`DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`,
    /// or `OLDFILENAMES`).
    pub files: Vec<String>,
}

fn err<T>(msg: impl Into<String>) -> Result<T, HeaderError> {
    Err(HeaderError(msg.into()))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

#[derive(Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

/// Parses a header blob as stored in `rpmdb.sqlite` (no leading magic).
pub fn parse(blob: &[u8]) -> Result<Header, HeaderError> {
    let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
        return err("blob shorter than the header counts");
    };
    if il == 0 || il > MAX_TAGS || dl > MAX_DATA {
        return err(format!("implausible counts: {il} entries, {dl} data bytes"));
    }
    let index_end = 8 + il as usize * 16;
    let data_end = index_end + dl as usize;
    if data_end > blob.len() {
        return err(format!(
            "{il} entries and {dl} data bytes need {data_end} bytes; the blob has {}",
            blob.len()
        ));
    }
    let data = &blob[index_end..data_end];
    let mut h = Header::default();
    let (mut basenames, mut dirnames, mut dirindexes) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..il as usize {
        let at = 8 + i * 16;
        let field = |k: usize| be32(blob, at + 4 * k).unwrap_or(0);
        let e = Entry {
            tag: field(0),
            kind: field(1),
            offset: field(2) as usize,
            count: field(3) as usize,
        };
        if e.offset > data.len() {
            return err(format!("tag {}: offset {} past the data", e.tag, e.offset));
        }
        match e.tag {
            TAG_NAME => h.name = string(data, &e)?,
            TAG_VERSION => h.version = string(data, &e)?,
            TAG_RELEASE => h.release = string(data, &e)?,
            TAG_EPOCH => h.epoch = int32s(data, &e)?.first().copied(),
            TAG_ARCH => h.arch = Some(string(data, &e)?),
            TAG_SOURCERPM => h.source_rpm = Some(string(data, &e)?),
            TAG_LICENSE => h.license = Some(string(data, &e)?),
            TAG_BASENAMES => basenames = strings(data, &e)?,
            TAG_DIRNAMES => dirnames = strings(data, &e)?,
            TAG_DIRINDEXES => dirindexes = int32s(data, &e)?,
            TAG_OLDFILENAMES => h.files = strings(data, &e)?,
            _ => {}
        }
    }
    if h.name.is_empty() || h.version.is_empty() {
        return err("no NAME or VERSION");
    }
    if !basenames.is_empty() {
        if basenames.len() != dirindexes.len() {
            return err("BASENAMES and DIRINDEXES differ in length");
        }
        h.files = Vec::with_capacity(basenames.len());
        for (base, idx) in basenames.iter().zip(&dirindexes) {
            let Some(dir) = dirnames.get(*idx as usize) else {
                return err(format!("DIRINDEXES entry {idx} past DIRNAMES"));
            };
            h.files.push(format!("{dir}{base}"));
        }
    }
    Ok(h)
}

/// The NUL-terminated strings of a string entry, `count` of them.
fn strings(data: &[u8], e: &Entry) -> Result<Vec<String>, HeaderError> {
    if !matches!(e.kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
        return err(format!("tag {}: type {} is not a string", e.tag, e.kind));
    }
    // Every string takes at least its NUL: a count above the bytes left is a lie.
    if e.count > data.len() - e.offset {
        return err(format!("tag {}: count {} past the data", e.tag, e.count));
    }
    let mut out = Vec::with_capacity(e.count);
    let mut at = e.offset;
    for _ in 0..e.count {
        let rest = &data[at..];
        let Some(len) = memchr::memchr(0, rest) else {
            return err(format!("tag {}: unterminated string", e.tag));
        };
        out.push(String::from_utf8_lossy(&rest[..len]).into_owned());
        at += len + 1;
    }
    Ok(out)
}

fn string(data: &[u8], e: &Entry) -> Result<String, HeaderError> {
    // A STRING has count 1; an I18NSTRING's first entry is the untranslated text.
    let one = Entry { count: 1, ..*e };
    Ok(strings(data, &one)?.into_iter().next().unwrap_or_default())
}

fn int32s(data: &[u8], e: &Entry) -> Result<Vec<u32>, HeaderError> {
    if e.kind != TYPE_INT32 {
        return err(format!("tag {}: type {} is not INT32", e.tag, e.kind));
    }
    let Some(end) = e.count.checked_mul(4).and_then(|n| n.checked_add(e.offset)) else {
        return err(format!("tag {}: count overflows", e.tag));
    };
    let Some(bytes) = data.get(e.offset..end) else {
        return err(format!("tag {}: {} integers past the data", e.tag, e.count));
    };
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a header blob from `(tag, type, payload, count)` entries.
    pub(crate) fn blob(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, kind, payload, count) in entries {
            if *kind == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            for v in [*tag, *kind, data.len() as u32, *count] {
                index.extend(v.to_be_bytes());
            }
            data.extend(payload);
        }
        let mut out = (entries.len() as u32).to_be_bytes().to_vec();
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    pub(crate) fn s(text: &str) -> Vec<u8> {
        let mut v = text.as_bytes().to_vec();
        v.push(0);
        v
    }

    #[test]
    fn parses_tags_and_file_list() {
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, s("bash"), 1),
            (TAG_VERSION, TYPE_STRING, s("5.2.26"), 1),
            (TAG_RELEASE, TYPE_STRING, s("3.fc40"), 1),
            (TAG_EPOCH, TYPE_INT32, 1u32.to_be_bytes().to_vec(), 1),
            (
                TAG_BASENAMES,
                TYPE_STRING_ARRAY,
                [s("bash"), s("sh")].concat(),
                2,
            ),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY, s("/usr/bin/"), 1),
            (
                TAG_DIRINDEXES,
                TYPE_INT32,
                [0u32.to_be_bytes(), 0u32.to_be_bytes()].concat(),
                2,
            ),
        ]);
        let h = parse(&b).unwrap();
        assert_eq!((h.name.as_str(), h.epoch), ("bash", Some(1)));
        assert_eq!(h.files, vec!["/usr/bin/bash", "/usr/bin/sh"]);
    }

    #[test]
    fn hostile_blobs_are_errors() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        let lying = blob(&[(TAG_NAME, TYPE_STRING_ARRAY, s("x"), 1_000_000)]);
        assert!(parse(&lying).is_err());
        let bad_index = blob(&[
            (TAG_NAME, TYPE_STRING, s("x"), 1),
            (TAG_VERSION, TYPE_STRING, s("1"), 1),
            (TAG_BASENAMES, TYPE_STRING_ARRAY, s("a"), 1),
            (TAG_DIRINDEXES, TYPE_INT32, 7u32.to_be_bytes().to_vec(), 1),
        ]);
        assert!(parse(&bad_index).unwrap_err().0.contains("DIRNAMES"));
        let unterminated = blob(&[(TAG_NAME, TYPE_STRING, b"abc".to_vec(), 1)]);
        assert!(parse(&unterminated).is_err());
    }
}
