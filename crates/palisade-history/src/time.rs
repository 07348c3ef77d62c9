//! Times as the history shows and filters them: Unix seconds, written as RFC 3339 in UTC, and
//! `--since` values (`7d`, `12h`, `2026-11-01`, `2026-11-01T08:00:00Z`).

use palisade_core::Date;

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// Now, in Unix seconds.
pub fn now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `2026-11-30T05:30:00Z`.
pub fn format_timestamp(t: Timestamp) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let date = Date::from_unix_days(days);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days-from-civil, the inverse of
/// [`Date::from_unix_days`]).
fn unix_days(date: Date) -> i64 {
    let month = i64::from(date.month);
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(date.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A `--since` value as the earliest time to show: an age before `now` (`30m`, `12h`, `7d`,
/// `2w`), a date (midnight UTC), or a UTC date-time (`2026-11-01T08:00:00Z`).
pub fn parse_since(text: &str, now: Timestamp) -> Result<Timestamp> {
    let text = text.trim();
    let invalid = || {
        Error::Invalid(format!(
            "--since {text:?}: expected an age (30m, 12h, 7d, 2w), a date (2026-11-01) or a UTC \
             time (2026-11-01T08:00:00Z)"
        ))
    };
    let age = text
        .char_indices()
        .last()
        .filter(|(_, unit)| matches!(unit, 'm' | 'h' | 'd' | 'w'));
    if let Some((at, unit)) = age {
        let digits = &text[..at];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let number: i64 = digits.parse().map_err(|_| invalid())?;
        let seconds = match unit {
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => 7 * 86_400,
        };
        return number
            .checked_mul(seconds)
            .and_then(|age| now.checked_sub(age))
            .ok_or_else(invalid);
    }
    if let Some((day, clock)) = text.split_once('T') {
        let date = Date::parse(day).ok_or_else(invalid)?;
        let clock = clock.strip_suffix('Z').ok_or_else(invalid)?;
        let mut parts = clock.split(':').map(str::parse::<i64>);
        let (Some(Ok(h)), Some(Ok(m)), Some(Ok(s)), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0..61).contains(&s) {
            return Err(invalid());
        }
        return Ok(unix_days(date) * 86_400 + h * 3600 + m * 60 + s);
    }
    let date = Date::parse(text).ok_or_else(invalid)?;
    Ok(unix_days(date) * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_422, 2_000_000] {
            assert_eq!(unix_days(Date::from_unix_days(days)), days, "{days}");
        }
    }

    #[test]
    fn formats_utc() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(1_764_480_600), "2025-11-30T05:30:00Z");
    }

    #[test]
    fn since_forms() {
        let now = 1_764_480_600;
        assert_eq!(parse_since("7d", now).unwrap(), now - 7 * 86_400);
        assert_eq!(parse_since("12h", now).unwrap(), now - 12 * 3600);
        assert_eq!(parse_since("2w", now).unwrap(), now - 14 * 86_400);
        assert_eq!(
            parse_since("2025-11-30", now).unwrap(),
            now - 5 * 3600 - 1800
        );
        assert_eq!(parse_since("2025-11-30T05:30:00Z", now).unwrap(), now);
        for bad in [
            "",
            "7",
            "7y",
            "-1d",
            "2025-02-30",
            "2025-11-30T25:00:00Z",
            "2025-11-30T05:30",
            "99999999999999999d",
        ] {
            assert!(parse_since(bad, now).is_err(), "{bad}");
        }
    }
}
