//! RFC 3339 timestamps (`2023-01-08T18:02:03.647787998-06:00`), as OpenVEX writes them,
//! reduced to an instant for ordering statements.

/// An instant: seconds since the Unix epoch (UTC) and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t`/space separators and `z` are
    /// accepted; a leap second (`:60`) is read as the last second of the minute.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let b = s.trim().as_bytes();
        if b.len() < 20 {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = b.get(r)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(part).ok()?.parse().ok()
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut i = 19;
        let mut nanos: u32 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 9 {
                    nanos = nanos * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            for _ in (i - start).min(9)..9 {
                nanos *= 10;
            }
        }
        let offset = match b.get(i..)? {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let digits = [*h1, *h2, *m1, *m2];
                if !digits.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let h = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
                let m = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
                if h > 23 || m > 59 {
                    return None;
                }
                let off = h * 3600 + m * 60;
                if *sign == b'-' {
                    -off
                } else {
                    off
                }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset;
        Some(Timestamp { seconds, nanos })
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date, counting whole years and months.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Years 0..=9999 only (four digits), so simple loops are cheap enough and obviously right.
    let mut days = 0i64;
    if y >= 1970 {
        for yy in 1970..y {
            days += if is_leap(yy) { 366 } else { 365 };
        }
    } else {
        for yy in y..1970 {
            days -= if is_leap(yy) { 366 } else { 365 };
        }
    }
    for mm in 1..m {
        days += days_in_month(y, mm);
    }
    days + d - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_fractions_order_correctly() {
        let a = Timestamp::parse("2023-01-08T18:02:03.647787998-06:00").unwrap();
        let b = Timestamp::parse("2023-01-09T00:02:03.647787998Z").unwrap();
        assert_eq!(a, b, "-06:00 is six hours behind UTC");
        assert_eq!(a.nanos, 647_787_998);
        let epoch = Timestamp::parse("1970-01-01T00:00:00Z").unwrap();
        assert_eq!(epoch.seconds, 0);
        let leap_day = Timestamp::parse("2024-03-01T00:00:00Z").unwrap();
        let before = Timestamp::parse("2024-02-29T00:00:00Z").unwrap();
        assert_eq!(leap_day.seconds - before.seconds, 86_400);
        assert_eq!(
            Timestamp::parse("2023-01-01T00:00:00.5Z").unwrap().nanos,
            500_000_000
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2023-01-08",
            "2023-13-08T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2023-01-08T25:00:00Z",
            "2023-01-08T00:00:00",
            "2023-01-08T00:00:00.Z",
            "2023-01-08T00:00:00+0100",
            "２０２３-01-08T00:00:00Z",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
    }
}
