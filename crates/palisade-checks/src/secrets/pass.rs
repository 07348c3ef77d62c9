//! The scanning pass over a value: one walk over adjacent byte pairs tries the prefix rows of
//! [`FORMATS`] at word starts and notes the cues of its scanners, using tables built from
//! the format table at compile time; only the scanners whose cue occurred then run. Most
//! values start nothing, and cost one table lookup per byte.

use super::formats::{may_pass_also, Format, Hit, How, FORMATS};
use super::names::Name;
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

/// Marks a byte pair in a pair table (index `x << 8 | y`).
const fn mark(table: &mut [u8; 65536], x: u8, y: u8, flag: u8) {
    table[((x as usize) << 8) | y as usize] |= flag;
}

/// The pair starts a prefix or a scanner cue.
const FORMAT: u8 = 1;
/// The pair may start a secret-name needle (`pa`, `pw`, `se`, `to`, `ke`, `cr`, any case):
/// without one no part of the text can be a secret-like name (see `names::has_needle`).
pub(super) const NEEDLE: u8 = 2;
/// The pair holds `=` or is `: `, `":`, `--` or `</`: without one the text holds no
/// assignment (see `detector::may_hold_assignments`).
const ASSIGN: u8 = 4;
/// The pair holds a line feed.
const NEWLINE: u8 = 8;

/// What each pair of adjacent bytes may start, as bits ([`FORMAT`], [`NEEDLE`], [`ASSIGN`],
/// [`NEWLINE`]). Built at compile time from the format table and the name needles; the
/// scanning pass looks up each pair once, and does nothing more for the (vast majority
/// of) pairs whose entry is zero.
static PAIRS: [u8; 65536] = {
    let mut table = [0u8; 65536];
    let mut i = 0;
    while i < FORMATS.len() {
        if let How::Prefix { prefix, .. } = &FORMATS[i].how {
            let p = prefix.as_bytes();
            if p.len() >= 2 {
                mark(&mut table, p[0], p[1], FORMAT);
            }
        }
        i += 1;
    }
    let mut c = 0;
    while c < CUE_COUNT {
        let cue = CUES[c];
        let n = cue.needle;
        if n.len() >= 2 {
            mark(&mut table, n[0], n[1], FORMAT);
            if cue.ci {
                let (x, y) = (n[0].to_ascii_uppercase(), n[1].to_ascii_uppercase());
                mark(&mut table, x, n[1], FORMAT);
                mark(&mut table, n[0], y, FORMAT);
                mark(&mut table, x, y, FORMAT);
            }
        }
        c += 1;
    }
    let needles: [&[u8; 2]; 6] = [b"pa", b"pw", b"se", b"to", b"ke", b"cr"];
    let mut k = 0;
    while k < needles.len() {
        let (x, y) = (needles[k][0], needles[k][1]);
        let (ux, uy) = (x.to_ascii_uppercase(), y.to_ascii_uppercase());
        mark(&mut table, x, y, NEEDLE);
        mark(&mut table, ux, y, NEEDLE);
        mark(&mut table, x, uy, NEEDLE);
        mark(&mut table, ux, uy, NEEDLE);
        k += 1;
    }
    let mut b = 0;
    while b < 256 {
        // Either side of the pair, so that the first and the last byte are seen too.
        mark(&mut table, b as u8, b'=', ASSIGN);
        mark(&mut table, b'=', b as u8, ASSIGN);
        mark(&mut table, b as u8, b'\n', NEWLINE);
        mark(&mut table, b'\n', b as u8, NEWLINE);
        b += 1;
    }
    mark(&mut table, b':', b' ', ASSIGN);
    mark(&mut table, b'"', b':', ASSIGN);
    mark(&mut table, b'-', b'-', ASSIGN);
    mark(&mut table, b'<', b'/', ASSIGN);
    table
};

/// What the scanning pass saw besides known formats: gates for the detector's later
/// steps, each a necessary condition, so that a step skipped on a gate would have found
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Marks(u8);

impl Marks {
    /// Nothing ruled out (a text too short for the pass).
    pub(super) const ALL: Marks = Marks(NEEDLE | ASSIGN | NEWLINE);

    /// The text may contain a secret-like name (false: `names::has_needle` is false for
    /// it and for each of its parts).
    pub(super) fn needle(self) -> bool {
        self.0 & NEEDLE != 0
    }

    /// The text may hold an assignment (false: `may_hold_assignments` is false).
    pub(super) fn assign(self) -> bool {
        self.0 & ASSIGN != 0
    }

    /// The text may contain a line feed (false: it contains none).
    pub(super) fn newline(self) -> bool {
        self.0 & NEWLINE != 0
    }
}

/// Every prefix and cue is at least two bytes long (the pair table relies on it).
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
#[cfg(test)]
pub(super) fn find(text: &str, name: Option<&str>) -> Vec<Hit> {
    scan(text, name.map(Name::of)).0
}

/// [`find`], and what else the pass saw in `text` (for a text too short for the pass,
/// nothing is ruled out).
pub(super) fn scan(text: &str, name: Option<Name>) -> (Vec<Hit>, Marks) {
    let mut out = Vec::new();
    if text.len() < MIN_LEN {
        return (out, Marks::ALL);
    }
    // One pass over adjacent byte pairs: prefix rows are tried at word starts, scanner cues
    // noted wherever they are, and the other marks collected.
    let bytes = text.as_bytes();
    // The end of the last token found: a token inside a token is not another one.
    let mut taken = 0;
    let mut cued: u64 = 0;
    let mut seen = 0u8;
    let mut from = 0;
    while let Some((i, flags)) = next_marked(bytes, from, !0) {
        from = i + 1;
        seen |= flags;
        if flags & FORMAT == 0 {
            continue;
        }
        let b = bytes[i];
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
    let mut rows = cued
        | if may_pass_also(text, name) {
            ALSO_ROWS
        } else {
            0
        };
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
            run(text, name.map(|n| n.text), what, &mut out);
        }
    }
    (out, Marks(seen & !FORMAT))
}

/// The first pair of `bytes` at or after `from` whose entry in [`PAIRS`] has a bit of
/// `mask`: its offset and its entry. The tight loop every value goes through, kept apart
/// from the rest of the pass so that it stays in registers.
#[inline(always)]
pub(super) fn next_marked(bytes: &[u8], from: usize, mask: u8) -> Option<(usize, u8)> {
    let rest = bytes.get(from..)?;
    let flags = |x: u8, y: u8| PAIRS[((x as usize) << 8) | y as usize] & mask;
    // Two pairs a step (three bytes): one test for both, since most pairs are unmarked.
    let mut j = 0;
    while let Some(&[x, y, z]) = rest.get(j..j + 3) {
        let (first, second) = (flags(x, y), flags(y, z));
        if first | second != 0 {
            return Some(if first != 0 {
                (from + j, first)
            } else {
                (from + j + 1, second)
            });
        }
        j += 2;
    }
    // The last pair, when the pairs were odd in number.
    match rest.get(j..j + 2) {
        Some(&[x, y]) if flags(x, y) != 0 => Some((from + j, flags(x, y))),
        _ => None,
    }
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

#[cfg(test)]
pub(super) mod tests {
    use super::super::names::has_needle;
    use super::*;

    /// Pieces that start formats, cues, needles and assignments, and filler.
    #[rustfmt::skip]
    const PIECES: &[&str] = &[
        "pa", "Pa", "PW", "pw", "se", "SE", "cr", "CR", "to", "ke", "KEY", "ss", "s", "c", "r",
        "=", "==", ": ", "\":", "\"", "--", "-", "</", "<", ">", " ", "\n", "\r\n", "/", "://",
        "@", ":", ";", "?", "&", ".", "_", "a", "Z", "0", "9", "é", "${X}", "AKIA", "ASIA",
        "ghp_", "eyJ", "-----BEGIN ", "RSA PRIVATE KEY-----", "password=", "Pwd=", "Bearer ",
        "Basic ", "Authorization", "secret_access_key", "service_account", "AccountKey=",
        "xoxb-", "SK", "SG.", "hooks.slack.com/services/", "sk_live_", "hunter2", "token",
        "secret", "apikey", "db.password", "cred", "EXAMPLE0EXAMPLE0", "0123456789ABCDEF",
        "eeee0000eeee0000eeee0000eeee0000", "aGVsbG86d29ybGQ=",
    ];

    /// Texts made of random runs of [`PIECES`] (a fixed seed: the same every run), and
    /// well-formed credentials.
    pub(in super::super) fn samples() -> Vec<String> {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut out: Vec<String> = (0..4000)
            .map(|_| {
                let parts = 1 + next(14);
                (0..parts).map(|_| PIECES[next(PIECES.len())]).collect()
            })
            .collect();
        out.extend(
            [
                "AKIAEXAMPLE0EXAMPLE0",
                "x ghp_EXAMPLE0EXAMPLE0EXAMPLE0EXAMPLE0EXAM y",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJFWEFNUExFIn0.RVhBTVBMRS1FWEFNUExFLUVYQU1QTEU",
                "postgres://app:Fake-Pa55w0rd@db:5432/x",
                "Server=db;Password=Fake-Pa55;",
                "Bearer EXAMPLEEXAMPLEEXAMPLE00",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEXAMPLE\n-----END RSA PRIVATE KEY-----",
                "db.password=hunter2\ntoken=ghp_EXAMPLE0EXAMPLE0EXAMPLE0EXAMPLE0EXAM\n",
                "--db-password hunter2 --verbose",
                "<password>hunter2</password>",
                "{\"apiKey\": \"abc\", \"user\": \"x\"}",
            ]
            .map(String::from),
        );
        out
    }

    /// The pass without its pair table: every position is tried for every prefix row and
    /// every cue.
    fn ungated(text: &str, name: Option<&str>) -> Vec<Hit> {
        let mut out = Vec::new();
        if text.len() < MIN_LEN {
            return out;
        }
        let bytes = text.as_bytes();
        let (mut taken, mut cued) = (0, 0u64);
        for i in 0..bytes.len() - 1 {
            let b = bytes[i];
            let word_start = i == 0 || !word(bytes[i - 1]);
            let rows = PREFIX_ROWS[b as usize];
            if rows != 0 && word_start && i >= taken {
                if let Some(end) = prefixed_at(text, i, rows, &mut out) {
                    taken = end;
                }
            }
            for cue in CUES {
                let at = bytes.get(i..i + cue.needle.len());
                if at.is_some_and(|w| {
                    if cue.ci {
                        w.eq_ignore_ascii_case(cue.needle)
                    } else {
                        w == cue.needle
                    }
                }) {
                    cued |= 1 << cue.row;
                }
            }
        }
        for (row, f) in FORMATS.iter().enumerate() {
            if let How::Scan { also, run, .. } = &f.how {
                if cued & (1 << row) != 0 || also.is_some_and(|a| a(text, name.map(Name::of))) {
                    run(text, name, f.what, &mut out);
                }
            }
        }
        out
    }

    #[test]
    fn the_pair_table_skips_only_what_starts_nothing() {
        let mut hits = 0;
        for text in samples() {
            for name in [None, Some("AWS_SECRET_ACCESS_KEY"), Some("authorization")] {
                let found = find(&text, name);
                assert_eq!(found, ungated(&text, name), "{text:?} {name:?}");
                hits += found.len();
            }
        }
        // The samples do exercise the formats.
        assert!(hits > 300, "{hits}");
    }

    #[test]
    fn also_tests_pass_only_where_may_pass_also_does() {
        let names = [
            None,
            Some("AWS_SECRET_ACCESS_KEY"),
            Some("awsSecretKey"),
            Some("Authorization"),
            Some("AUTHORIZATION"),
            Some("image"),
        ];
        let mut passed = 0;
        for text in samples() {
            for name in names.into_iter().chain([Some(text.as_str())]) {
                let name = name.map(Name::of);
                for f in FORMATS {
                    if let How::Scan { also: Some(a), .. } = &f.how {
                        if a(&text, name) {
                            assert!(may_pass_also(&text, name), "{text:?} {name:?}");
                            passed += 1;
                        }
                    }
                }
            }
        }
        assert!(passed > 100, "{passed}");
    }

    #[test]
    fn marks_are_necessary_conditions() {
        let mut seen = [0; 3];
        for text in samples() {
            let (_, marks) = scan(&text, None);
            if text.len() < MIN_LEN {
                assert_eq!(marks, Marks::ALL);
                continue;
            }
            if !marks.needle() {
                assert!(!has_needle(&text), "{text:?}");
                seen[0] += 1;
            }
            if !marks.newline() {
                assert!(!text.contains('\n'), "{text:?}");
                seen[1] += 1;
            }
            if !marks.assign() {
                seen[2] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n > 100), "{seen:?}");
    }

    #[test]
    fn next_marked_finds_the_first_marked_pair() {
        for text in samples() {
            let b = text.as_bytes();
            for from in 0..b.len().min(6) {
                let expected = (from..b.len().saturating_sub(1)).find_map(|i| {
                    let f = PAIRS[((b[i] as usize) << 8) | b[i + 1] as usize] & NEEDLE;
                    (f != 0).then_some((i, f))
                });
                assert_eq!(next_marked(b, from, NEEDLE), expected, "{text:?} {from}");
            }
        }
    }
}
