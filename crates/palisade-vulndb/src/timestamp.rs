//! RFC 3339 timestamps as OSV writes them (`modified`, `published`), turned
//! into a key that orders by instant: `2023-11-07T20:24:23.946863Z` and
//! `2023-11-07T20:24:23Z` do not order correctly as text ('.' sorts before
//! 'Z'), and offsets other than `Z` shift the instant.

/// An instant: seconds since 0000-03-01 (proleptic Gregorian, UTC) and
/// nanoseconds. Years 0001 to 9999 fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Instant {
    /// Seconds (may be large; the epoch is year 0).
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Instant {
    /// A fixed-width text key (`secs` zero-padded, then nanos) that sorts as
    /// the instant does; used as the stored `modified` key.
    pub fn key(&self) -> String {
        format!("{:013}.{:09}", self.secs, self.nanos)
    }
}

/// Parses `YYYY-MM-DD[Tt ]hh:mm:ss[.frac](Z|±hh:mm)`. A date alone
/// (`YYYY-MM-DD`) is midnight UTC.
pub fn parse(text: &str) -> Option<Instant> {
    let t = text.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = t.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = num(0..4)?;
    if t.get(4) != Some(&b'-') || t.get(7) != Some(&b'-') {
        return None;
    }
    let (month, day) = (num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_year0(year, month, day);
    if t.len() == 10 {
        return Some(Instant {
            secs: days * 86_400,
            nanos: 0,
        });
    }
    if !matches!(t.get(10), Some(b'T' | b't' | b' ')) || t.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (num(11..13)?, num(14..16)?);
    if t.get(16) != Some(&b':') {
        return None;
    }
    let second = num(17..19)?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if t.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while t.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(t[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..9 {
            nanos *= 10;
        }
    }
    let offset = match t.get(i..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), ..] if t.len() == i + 6 && t[i + 3] == b':' => {
            let h = num(i + 1..i + 3)?;
            let m = num(i + 4..i + 6)?;
            let off = h * 3600 + m * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(Instant { secs, nanos })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 0000-03-01 (the usual civil-calendar trick: starting the year
/// in March puts the leap day last).
fn days_from_year0(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    y * 365 + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) + doy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_instant() {
        let a = parse("2023-11-07T20:24:23Z").unwrap();
        let b = parse("2023-11-07T20:24:23.946863Z").unwrap();
        assert!(a < b);
        assert!(a.key() < b.key());
        // Same instant, different offsets.
        assert_eq!(
            parse("2024-01-01T01:00:00+01:00"),
            parse("2024-01-01T00:00:00Z")
        );
        assert!(parse("0001-01-01T00:00:00Z").unwrap() < parse("1970-01-01T00:00:00Z").unwrap());
        assert!(parse("2024-02-29T00:00:00Z").unwrap() < parse("2024-03-01T00:00:00Z").unwrap());
        assert_eq!(
            parse("2024-03-01T00:00:00Z").unwrap().secs
                - parse("2024-02-28T00:00:00Z").unwrap().secs,
            2 * 86_400
        );
        assert_eq!(
            parse("2024-01-01").unwrap(),
            parse("2024-01-01T00:00:00Z").unwrap()
        );
        // Unix epoch distance, as a cross-check of the day count.
        let epoch = parse("1970-01-01T00:00:00Z").unwrap();
        let later = parse("2001-09-09T01:46:40Z").unwrap();
        assert_eq!(later.secs - epoch.secs, 1_000_000_000);
    }

    #[test]
    fn rejects_garbage() {
        for t in [
            "",
            "2023",
            "2023-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2023-01-01T24:00:00Z",
            "2023-01-01T00:00:00",
            "2023-01-01T00:00:00.Z",
            "2023-01-01T00:00:00+0100",
            "２023-01-01T00:00:00Z",
        ] {
            assert_eq!(parse(t), None, "{t}");
        }
    }
}
