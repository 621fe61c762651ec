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

/// `2020-10-20T14:54:07.298Z`, the format the v2 API uses.
pub fn iso8601(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => {
            let t = t.replace_nanosecond((ms.rem_euclid(1000) as u32) * 1_000_000);
            match t {
                Ok(t) => format_ms(t),
                Err(_) => String::new(),
            }
        }
        Err(_) => String::new(),
    }
}

fn format_ms(t: OffsetDateTime) -> String {
    let base = t
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    // Rfc3339 renders `...:07Z`; splice in exactly three fractional digits.
    match base.strip_suffix('Z') {
        Some(head) => format!("{head}.{:03}Z", t.millisecond()),
        None => base,
    }
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

    #[test]
    fn iso_round_trip_keeps_milliseconds() {
        let ms = 1_603_205_647_298;
        let s = iso8601(ms);
        assert_eq!(s, "2020-10-20T14:54:07.298Z");
        assert_eq!(parse_iso8601(&s), Some(ms));
    }
}
