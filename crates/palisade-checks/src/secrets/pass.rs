//! The scanning pass over a value: one walk over adjacent byte pairs tries the prefix rows of
//! [`FORMATS`] at word starts and notes the cues of its scanners, using tables built from
//! the format table at compile time; only the scanners whose cue occurred then run. Most
//! values start nothing, and cost one table lookup per byte.

use super::formats::{Format, Hit, How, FORMATS};
use super::values::{redact, word};

/// Shortest text any format can match (`a://b:c@d`, `;pwd=abc`).
const MIN_LEN: usize = 8;

/// Rows of [`FORMATS`] as bits: there are fewer than 64.
const _: () = assert!(FORMATS.len() <= 64);

/// For each byte, the prefix rows whose prefix starts with it. Built at compile time.
const PREFIX_ROWS: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < FORMATS.len() {
        if let How::Prefix { prefix, .. } = &FORMATS[i].how {
            if let Some(&b) = prefix.as_bytes().first() {
                table[b as usize] |= 1 << i;
            }
        }
        i += 1;
    }
    table
};

/// One cue of a scanner row: the row, the needle, whether case is ignored.
#[derive(Clone, Copy)]
struct Cue {
    row: usize,
    needle: &'static [u8],
    ci: bool,
}

const fn cue_count() -> usize {
    let (mut n, mut i) = (0, 0);
    while i < FORMATS.len() {
        if let How::Scan { cues, .. } = &FORMATS[i].how {
            n += cues.len();
        }
        i += 1;
    }
    n
}

const CUE_COUNT: usize = cue_count();
const _: () = assert!(CUE_COUNT <= 32);

/// Every scanner cue, flattened.
const CUES: [Cue; CUE_COUNT] = {
    let mut cues = [Cue {
        row: 0,
        needle: b"",
        ci: false,
    }; CUE_COUNT];
    let (mut n, mut i) = (0, 0);
    while i < FORMATS.len() {
        if let How::Scan { cues: list, ci, .. } = &FORMATS[i].how {
            let mut j = 0;
            while j < list.len() {
                cues[n] = Cue {
                    row: i,
                    needle: list[j].as_bytes(),
                    ci: *ci,
                };
                n += 1;
                j += 1;
            }
        }
        i += 1;
    }
    cues
};

/// For each byte, the cues (bits of [`CUES`]) that start with it (in both cases for
/// case-insensitive cues).
const CUE_FIRST: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < CUE_COUNT {
        let cue = CUES[i];
        if let Some(&b) = cue.needle.first() {
            table[b as usize] |= 1 << i;
            if cue.ci {
                table[b.to_ascii_uppercase() as usize] |= 1 << i;
            }
        }
        i += 1;
    }
    table
};

/// Sets the bit of the byte pair `(x, y)` in a bigram table.
const fn set_pair(table: &mut [u8; 8192], x: u8, y: u8) {
    let pair = ((x as usize) << 8) | y as usize;
    table[pair >> 3] |= 1 << (pair & 7);
}

/// The first two bytes of every prefix and cue (in both cases for case-insensitive cues),
/// as a 65,536-bit table: the scanning pass looks up each pair of adjacent bytes and does
/// nothing more for the (vast majority of) pairs that start nothing.
const BIGRAMS: [u8; 8192] = {
    let mut table = [0u8; 8192];
    let mut i = 0;
    while i < FORMATS.len() {
        if let How::Prefix { prefix, .. } = &FORMATS[i].how {
            let p = prefix.as_bytes();
            if p.len() >= 2 {
                set_pair(&mut table, p[0], p[1]);
            }
        }
        i += 1;
    }
    let mut c = 0;
    while c < CUE_COUNT {
        let cue = CUES[c];
        let n = cue.needle;
        if n.len() >= 2 {
            set_pair(&mut table, n[0], n[1]);
            if cue.ci {
                let (x, y) = (n[0].to_ascii_uppercase(), n[1].to_ascii_uppercase());
                set_pair(&mut table, x, n[1]);
                set_pair(&mut table, n[0], y);
                set_pair(&mut table, x, y);
            }
        }
        c += 1;
    }
    table
};

/// Every prefix and cue is at least two bytes long (the bigram table relies on it).
const _: () = {
    let mut i = 0;
    while i < FORMATS.len() {
        if let How::Prefix { prefix, .. } = &FORMATS[i].how {
            assert!(prefix.len() >= 2);
        }
        i += 1;
    }
    let mut c = 0;
    while c < CUE_COUNT {
        assert!(CUES[c].needle.len() >= 2);
        c += 1;
    }
};

/// Every known-format credential in `text` (under `name`, when it has one).
pub(super) fn find(text: &str, name: Option<&str>) -> Vec<Hit> {
    let mut out = Vec::new();
    if text.len() < MIN_LEN {
        return out;
    }
    // One pass over adjacent byte pairs: prefix rows are tried at word starts, scanner cues
    // noted wherever they are.
    let bytes = text.as_bytes();
    // The end of the last token found: a token inside a token is not another one.
    let mut taken = 0;
    let mut cued: u64 = 0;
    for (i, pair) in bytes.windows(2).enumerate() {
        let (b, next) = (pair[0], pair[1]);
        let index = ((b as usize) << 8) | next as usize;
        if BIGRAMS[index >> 3] & (1 << (index & 7)) == 0 {
            continue;
        }
        let rows = PREFIX_ROWS[b as usize];
        let word_start = i == 0 || !bytes.get(i - 1).copied().is_some_and(word);
        if rows != 0 && word_start && i >= taken {
            if let Some(end) = prefixed_at(text, i, rows, &mut out) {
                taken = end;
            }
        }
        let mut cues = CUE_FIRST[b as usize];
        while cues != 0 {
            let bit = cues.trailing_zeros() as usize;
            cues &= cues - 1;
            if let Some(cue) = CUES.get(bit) {
                let at = bytes.get(i..i + cue.needle.len());
                let hit = at.is_some_and(|w| {
                    if cue.ci {
                        w.eq_ignore_ascii_case(cue.needle)
                    } else {
                        w == cue.needle
                    }
                });
                if hit {
                    cued |= 1 << cue.row;
                }
            }
        }
    }
    // Only the scanner rows that were cued or have an `also` test are visited: walking the
    // whole table for every value was a third of this function's cost.
    let mut rows = cued | ALSO_ROWS;
    while rows != 0 {
        let row = rows.trailing_zeros() as usize;
        rows &= rows - 1;
        let Some(Format {
            what,
            how: How::Scan { also, run, .. },
        }) = FORMATS.get(row)
        else {
            continue;
        };
        if cued & (1 << row) != 0 || also.is_some_and(|a| a(text, name)) {
            run(text, name, what, &mut out);
        }
    }
    out
}

/// Scanner rows with an `also` test, as bits. Built at compile time.
const ALSO_ROWS: u64 = {
    let mut bits = 0u64;
    let mut i = 0;
    while i < FORMATS.len() {
        if let How::Scan { also: Some(_), .. } = &FORMATS[i].how {
            bits |= 1 << i;
        }
        i += 1;
    }
    bits
};

/// Tries the prefix rows `rows` at `i`, a word start; the end of the token found.
fn prefixed_at(text: &str, i: usize, mut rows: u64, out: &mut Vec<Hit>) -> Option<usize> {
    let rest = text.as_bytes().get(i..)?;
    while rows != 0 {
        let row = rows.trailing_zeros() as usize;
        rows &= rows - 1;
        let Some(Format {
            what,
            how:
                How::Prefix {
                    prefix,
                    body,
                    min,
                    max,
                    shape,
                },
        }) = FORMATS.get(row)
        else {
            continue;
        };
        if !rest.starts_with(prefix.as_bytes()) {
            continue;
        }
        let tail = &rest[prefix.len()..];
        let run = tail.iter().take(max + 1).take_while(|&&c| body(c)).count();
        // A longer run, or one glued to more letters, is some other token.
        let glued = tail.get(run).is_some_and(|&c| c.is_ascii_alphanumeric());
        if run < *min || run > *max || glued {
            continue;
        }
        if shape.is_some_and(|s| !s(&tail[..run])) {
            continue;
        }
        let end = i + prefix.len() + run;
        out.push(Hit {
            what,
            start: i,
            evidence: redact(text.get(i..end).unwrap_or_default()),
        });
        return Some(end);
    }
    None
}
