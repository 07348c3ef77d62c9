//! A layer's bytes as an uncompressed tar stream: compression detected from the first
//! bytes (gzip, zstd or none, whatever the media type claims, since archives written by
//! some tools mislabel it), and a counter that stops a decompression bomb at the limit.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};

/// The compression of a layer blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (`1f 8b`).
    Gzip,
    /// zstd (`28 b5 2f fd`).
    Zstd,
}

/// Wraps a blob in the decoder its magic bytes call for.
pub fn decompress(blob: Box<dyn Read>) -> io::Result<(Compression, Box<dyn Read>)> {
    let mut buf = BufReader::with_capacity(64 * 1024, blob);
    let head = buf.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok((
            Compression::Gzip,
            Box::new(flate2::bufread::MultiGzDecoder::new(buf)),
        ))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec = ruzstd::decoding::StreamingDecoder::new(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?;
        Ok((Compression::Zstd, Box::new(dec)))
    } else {
        Ok((Compression::None, Box::new(buf)))
    }
}

/// The message of the error a [`Bounded`] reader returns at its limit.
pub const LIMIT_MESSAGE: &str = "expanded size limit reached";

/// Counts expanded bytes against a per-layer and an image-wide budget.
pub struct Bounded<'a, R> {
    inner: R,
    layer_left: u64,
    total_left: &'a Cell<u64>,
    /// Set once either budget ran out.
    pub hit: &'a Cell<bool>,
}

impl<'a, R: Read> Bounded<'a, R> {
    /// A reader allowed `layer_left` bytes, also drawn from the shared `total_left`.
    pub fn new(inner: R, layer_left: u64, total_left: &'a Cell<u64>, hit: &'a Cell<bool>) -> Self {
        Bounded {
            inner,
            layer_left,
            total_left,
            hit,
        }
    }
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let allowed = self.layer_left.min(self.total_left.get());
        if allowed == 0 {
            // Only an error if there is more to read: probe one byte.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.hit.set(true);
            return Err(io::Error::other(LIMIT_MESSAGE));
        }
        let cap = buf
            .len()
            .min(usize::try_from(allowed).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        self.layer_left -= n as u64;
        self.total_left.set(self.total_left.get() - n as u64);
        Ok(n)
    }
}
