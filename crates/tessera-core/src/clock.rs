//! Wall-clock helpers. Times are stored as milliseconds since the Unix epoch (portable across
//! SQLite and PostgreSQL) and rendered as ISO-8601 on the wire, as Authing does.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn now_secs() -> i64 {
    now_ms() / 1000
}

/// `2020-10-20T14:54:07.298Z`, the format the v2 API uses; empty for a time outside the
/// years 0000 to 9999. Written by hand from the proleptic Gregorian calendar: every user
/// answer carries four or five of these, and `time`'s RFC 3339 formatter cost about 1,400
/// instructions each (callgrind); tests hold this to that formatter.
pub fn iso8601(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return String::new();
    }
    let secs = ms_of_day / 1000;
    let mut s = String::with_capacity(24);
    for (n, width, after) in [
        (year, 4, '-'),
        (month, 2, '-'),
        (day, 2, 'T'),
        (secs / 3600, 2, ':'),
        (secs / 60 % 60, 2, ':'),
        (secs % 60, 2, '.'),
        (ms_of_day % 1000, 3, 'Z'),
    ] {
        for p in (0..width).rev() {
            let digit = (n / 10i64.pow(p)) % 10;
            s.push(char::from(b'0' + digit as u8));
        }
        s.push(after);
    }
    s
}

/// The (year, month, day) of a count of days since 1970-01-01, in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`: eras of 400 years, March-based years).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses an RFC 3339 time into epoch milliseconds.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The formatter this replaced: `time`'s RFC 3339 with three fractional digits.
    fn reference_iso8601(ms: i64) -> String {
        let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
            return String::new();
        };
        let Some(base) = t
            .replace_nanosecond(0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
        else {
            return String::new();
        };
        match base.strip_suffix('Z') {
            Some(head) => format!("{head}.{:03}Z", ms.rem_euclid(1000)),
            None => base,
        }
    }

    #[test]
    fn iso8601_writes_what_the_rfc3339_formatter_writes() {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        // Year 0 to 9999 (and a little beyond either end), leap days, era and century
        // boundaries, and the epoch's neighbourhood.
        let (min, max) = (-62_167_219_200_000i64, 253_402_300_799_999i64);
        let mut cases = vec![
            0,
            -1,
            1,
            999,
            86_399_999,
            86_400_000,
            min,
            min - 1,
            max,
            max + 1,
            951_782_400_000,    // 2000-02-29
            4_107_542_400_000,  // 2100-03-01
            -2_203_891_200_000, // 1900-03-01
            1_603_205_647_298,
        ];
        for _ in 0..200_000 {
            cases.push(rng.gen_range(min - 86_400_000..=max + 86_400_000));
        }
        for _ in 0..20_000 {
            cases.push(rng.gen_range(-3_000_000_000_000i64..=5_000_000_000_000));
        }
        for ms in cases {
            assert_eq!(iso8601(ms), reference_iso8601(ms), "{ms}");
        }
    }

    #[test]
    fn iso_round_trip_keeps_milliseconds() {
        let ms = 1_603_205_647_298;
        let s = iso8601(ms);
        assert_eq!(s, "2020-10-20T14:54:07.298Z");
        assert_eq!(parse_iso8601(&s), Some(ms));
    }
}
