//! Long lists written one compact element per line, the elements rendered in parallel
//! chunks: a large scan reports hundreds of thousands of findings, and serializing them one
//! after the other on one core was most of the time spent writing a report.

use std::io::{self, Write};

use rayon::prelude::*;

/// Elements serialized per chunk in parallel.
const CHUNK: usize = 1024;
/// Chunks rendered before they are written.
const BATCH: usize = 8;
/// Room reserved per element: a finding with its controls takes about 600 bytes.
const BYTES_PER_ITEM: usize = 640;

/// Writes each item as `indent`, the item as `write_item` renders it, and `,` and a newline
/// (no comma after the last one). `write_item` may keep state from one element to the next
/// within a chunk (`S`, fresh for each chunk).
pub(crate) fn write_lines<'a, T: Sync, S: Default>(
    out: &mut dyn Write,
    indent: &[u8],
    items: &'a [T],
    write_item: impl Fn(&mut Vec<u8>, &'a T, &mut S) -> io::Result<()> + Sync,
) -> io::Result<()> {
    // Batches of chunks bound the memory held at once to a few megabytes; each batch renders
    // into the buffers of the one before, so the report takes no fresh memory after the
    // first batch.
    let chunks: Vec<&'a [T]> = items.chunks(CHUNK).collect();
    let total = chunks.len();
    let mut buffers: Vec<Vec<u8>> = Vec::new();
    for (b, batch) in chunks.chunks(BATCH).enumerate() {
        buffers.resize_with(batch.len(), Vec::new);
        let rendered: Vec<io::Result<()>> = batch
            .par_iter()
            .zip(buffers.par_iter_mut())
            .map(|(chunk, buf)| {
                buf.clear();
                buf.reserve(chunk.len() * BYTES_PER_ITEM);
                let mut state = S::default();
                for item in *chunk {
                    buf.extend_from_slice(indent);
                    write_item(buf, item, &mut state)?;
                    buf.extend_from_slice(b",\n");
                }
                Ok(())
            })
            .collect();
        for (i, (result, chunk)) in rendered.into_iter().zip(&buffers).enumerate() {
            result?;
            if b * BATCH + i + 1 == total {
                // The last element takes no comma.
                out.write_all(&chunk[..chunk.len() - 2])?;
                out.write_all(b"\n")?;
            } else {
                out.write_all(chunk)?;
            }
        }
    }
    Ok(())
}
