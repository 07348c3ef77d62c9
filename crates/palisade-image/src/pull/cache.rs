//! The content-addressed blob cache the registry source downloads into. It is an OCI image
//! layout (`oci-layout`, `blobs/<algorithm>/<hex>`), so the pulled image is then read by the
//! same code as a local layout. A blob is written to a temporary file while its digest is
//! computed and only renamed to its final name once digest and size check out, so a name
//! in the cache always holds the bytes it names, even across interrupted or concurrent pulls.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256, Sha512};

use crate::blob::digest_path;

/// A parsed content digest: the algorithms the OCI image spec registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobDigest {
    text: String,
    algorithm: Algorithm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Sha256,
    Sha512,
}

impl BlobDigest {
    /// Parses `sha256:<64 hex>` or `sha512:<128 hex>` (lowercase, as the spec requires).
    pub(crate) fn parse(text: &str) -> Option<BlobDigest> {
        let (algo, hex) = text.split_once(':')?;
        let (algorithm, len) = match algo {
            "sha256" => (Algorithm::Sha256, 64),
            "sha512" => (Algorithm::Sha512, 128),
            _ => return None,
        };
        let ok = hex.len() == len && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| BlobDigest {
            text: text.to_string(),
            algorithm,
        })
    }

    /// The digest as written (`sha256:ab…`).
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// A hasher for this digest's algorithm.
    pub(crate) fn hasher(&self) -> Hasher {
        match self.algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }
}

/// A running digest computation.
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of everything fed so far, as `algorithm:hex`.
    pub(crate) fn finish(self) -> String {
        let (algo, bytes) = match self {
            Hasher::Sha256(h) => ("sha256", h.finalize().to_vec()),
            Hasher::Sha512(h) => ("sha512", h.finalize().to_vec()),
        };
        let mut out = String::with_capacity(algo.len() + 1 + bytes.len() * 2);
        out.push_str(algo);
        out.push(':');
        for b in bytes {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Distinguishes temporary files of one process (the pid distinguishes processes).
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// The cache directory, laid out as an OCI image layout.
#[derive(Debug, Clone)]
pub(crate) struct BlobCache {
    root: PathBuf,
}

impl BlobCache {
    /// Opens (creating it if needed) the cache under `root`.
    pub(crate) fn open(root: &Path) -> io::Result<BlobCache> {
        fs::create_dir_all(root)?;
        let marker = root.join("oci-layout");
        if !marker.is_file() {
            write_atomically(root, &marker, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        Ok(BlobCache {
            root: root.to_path_buf(),
        })
    }

    /// The cache directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Where the blob of `digest` lives (whether or not it is there yet).
    pub(crate) fn path_of(&self, digest: &BlobDigest) -> PathBuf {
        // A parsed digest always maps to a path (algorithm and hex are plain characters).
        self.root
            .join(digest_path(digest.as_str()).unwrap_or_default())
    }

    /// Whether the blob is cached with the size its descriptor gives. The bytes were checked
    /// against the digest before they got this name, so the size is the only thing left to
    /// compare (it catches a truncated file left by something other than this code).
    pub(crate) fn has(&self, digest: &BlobDigest, size: u64) -> bool {
        fs::metadata(self.path_of(digest)).is_ok_and(|m| m.is_file() && m.len() == size)
    }

    /// Stores bytes already held in memory (a manifest) after checking their digest.
    pub(crate) fn put(&self, digest: &BlobDigest, bytes: &[u8]) -> Result<(), PutError> {
        let mut hasher = digest.hasher();
        hasher.update(bytes);
        let actual = hasher.finish();
        if actual != digest.as_str() {
            return Err(PutError::Mismatch(actual));
        }
        let path = self.path_of(digest);
        if fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).map_err(PutError::Io)?;
        write_atomically(dir, &path, bytes).map_err(PutError::Io)
    }

    /// Starts writing the blob of `digest`, expected to be `size` bytes.
    pub(crate) fn writer(&self, digest: &BlobDigest, size: u64) -> io::Result<BlobWriter> {
        let path = self.path_of(digest);
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&dir)?;
        let temp = temp_name(&dir);
        let file = File::create(&temp)?;
        Ok(BlobWriter {
            file: io::BufWriter::with_capacity(1 << 16, file),
            temp,
            path,
            hasher: digest.hasher(),
            expected: digest.clone(),
            size,
            written: 0,
            done: false,
        })
    }
}

/// Why a blob could not be stored.
#[derive(Debug)]
pub(crate) enum PutError {
    /// The bytes hash to this other digest.
    Mismatch(String),
    /// More bytes arrived than the descriptor announced.
    TooLong,
    /// Fewer bytes arrived than the descriptor announced (this many).
    TooShort(u64),
    /// Writing the cache failed.
    Io(io::Error),
}

/// A blob being downloaded: hashes and counts while writing to a temporary file; the file
/// is removed unless [`BlobWriter::commit`] succeeds.
pub(crate) struct BlobWriter {
    file: io::BufWriter<File>,
    temp: PathBuf,
    path: PathBuf,
    hasher: Hasher,
    expected: BlobDigest,
    size: u64,
    written: u64,
    done: bool,
}

impl BlobWriter {
    /// Appends a chunk; refuses to go past the announced size (a registry that keeps
    /// sending is stopped at the descriptor's size, not at the end of the disk).
    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<(), PutError> {
        self.written += chunk.len() as u64;
        if self.written > self.size {
            return Err(PutError::TooLong);
        }
        self.hasher.update(chunk);
        self.file.write_all(chunk).map_err(PutError::Io)
    }

    /// The digest of what arrived so far (used to tell a tampered blob from a cut transfer).
    pub(crate) fn digest_so_far(&self) -> String {
        match &self.hasher {
            Hasher::Sha256(h) => Hasher::Sha256(h.clone()).finish(),
            Hasher::Sha512(h) => Hasher::Sha512(h.clone()).finish(),
        }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> u64 {
        self.written
    }

    /// Checks size and digest, then gives the blob its content-addressed name.
    pub(crate) fn commit(mut self) -> Result<(), PutError> {
        if self.written != self.size {
            return Err(PutError::TooShort(self.written));
        }
        let hasher = std::mem::replace(&mut self.hasher, Hasher::Sha256(Sha256::new()));
        let actual = hasher.finish();
        if actual != self.expected.as_str() {
            return Err(PutError::Mismatch(actual));
        }
        self.file.flush().map_err(PutError::Io)?;
        fs::rename(&self.temp, &self.path).map_err(PutError::Io)?;
        self.done = true;
        Ok(())
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

fn temp_name(dir: &Path) -> PathBuf {
    let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".partial-{}-{seq}", std::process::id()))
}

/// Writes `bytes` to `path` through a temporary file in `dir` and a rename.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temp_name(dir);
    let result = fs::write(&temp, bytes).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn digests_parse_strictly() {
        assert!(BlobDigest::parse(EMPTY).is_some());
        assert!(BlobDigest::parse(&EMPTY.to_uppercase()).is_none());
        assert!(BlobDigest::parse("sha256:abc").is_none());
        assert!(BlobDigest::parse("md5:d41d8cd98f00b204e9800998ecf8427e").is_none());
        assert!(BlobDigest::parse("sha256:../../../../etc/passwd").is_none());
    }

    #[test]
    fn writer_checks_size_and_digest_before_naming_the_blob() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::open(dir.path()).unwrap();
        let digest = BlobDigest::parse(EMPTY).unwrap();
        // Wrong content: refused, nothing left behind.
        let mut w = cache.writer(&digest, 1).unwrap();
        w.write(b"x").unwrap();
        assert!(matches!(w.commit(), Err(PutError::Mismatch(_))));
        assert!(!cache.has(&digest, 0));
        // Too long for its descriptor: refused while streaming.
        let mut w = cache.writer(&digest, 0).unwrap();
        assert!(matches!(w.write(b"x"), Err(PutError::TooLong)));
        drop(w);
        // Right content: stored under its name.
        let w = cache.writer(&digest, 0).unwrap();
        w.commit().unwrap();
        assert!(cache.has(&digest, 0));
        let leftovers: Vec<_> = fs::read_dir(cache.path_of(&digest).parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".partial"))
            .collect();
        assert!(leftovers.is_empty());
        assert!(dir.path().join("oci-layout").is_file());
    }
}
