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
        Ok((Compression::Zstd, Box::new(MultiZstd::new(buf))))
    } else {
        Ok((Compression::None, Box::new(buf)))
    }
}

type Frame = ruzstd::decoding::StreamingDecoder<Src, ruzstd::decoding::FrameDecoder>;
type Src = BufReader<Box<dyn Read>>;

/// A zstd stream of one or more frames (parallel compressors such as pzstd write several),
/// with skippable frames passed over, as the reference decoder reads a file.
struct MultiZstd {
    frame: Option<Frame>,
    src: Option<Src>,
}

impl MultiZstd {
    fn new(src: Src) -> MultiZstd {
        MultiZstd {
            frame: None,
            src: Some(src),
        }
    }

    /// Starts the next data frame; `None` at the end of the input.
    fn next_frame(src: &mut Option<Src>) -> io::Result<Option<Frame>> {
        let Some(mut inner) = src.take() else {
            return Ok(None);
        };
        loop {
            let head = inner.fill_buf()?;
            if head.is_empty() {
                return Ok(None);
            }
            let magic = head
                .get(..4)
                .map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
            // Skippable frames: magic 0x184D2A50..=0x184D2A5F, then a 4-byte length.
            if magic.is_some_and(|m| m & 0xFFFF_FFF0 == 0x184D_2A50) {
                let mut header = [0u8; 8];
                inner.read_exact(&mut header)?;
                let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
                io::copy(&mut (&mut inner).take(u64::from(len)), &mut io::sink())?;
                continue;
            }
            let frame = ruzstd::decoding::StreamingDecoder::new(inner)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?;
            return Ok(Some(frame));
        }
    }
}

impl Read for MultiZstd {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.frame.is_none() {
                match Self::next_frame(&mut self.src)? {
                    Some(frame) => self.frame = Some(frame),
                    None => return Ok(0),
                }
            }
            let Some(frame) = self.frame.as_mut() else {
                return Ok(0);
            };
            let n = frame.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // This frame is done: the next one (if any) starts where it ended.
            if let Some(done) = self.frame.take() {
                self.src = Some(done.into_inner());
            }
        }
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
