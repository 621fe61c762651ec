//! Validation and normalisation of the identifiers a user logs in with. Uniqueness is decided
//! on the normalised forms, by the database (see the store's unique indexes).

use crate::error::{Error, Result};

/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
pub const MAX_USERNAME_LEN: usize = 128;
/// Longest free-text profile field; far above any real name, far below a denial of service.
pub const MAX_TEXT_LEN: usize = 1024;

/// Checks an email's shape and returns `(as given but trimmed, normalised key)`. Emails are
/// unique case-insensitively: `Bob@Example.com` and `bob@example.com` are one account.
pub fn email(raw: &str) -> Result<(String, String)> {
    let e = raw.trim();
    if e.is_empty()
        || e.len() > MAX_EMAIL_LEN
        || e.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::InvalidEmail);
    }
    let (local, domain) = e.rsplit_once('@').ok_or(Error::InvalidEmail)?;
    let domain_ok = !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.contains('.')
        && !domain.contains('@');
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(Error::InvalidEmail);
    }
    Ok((e.to_owned(), email_key(e)))
}

/// The uniqueness key of an email.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Usernames are case-sensitive and unique as given (trimmed).
pub fn username(raw: &str) -> Result<String> {
    let u = raw.trim();
    if u.is_empty() {
        return Err(Error::MissingParameter("username"));
    }
    if u.chars().count() > MAX_USERNAME_LEN || u.chars().any(char::is_control) {
        return Err(Error::InvalidParameter("username"));
    }
    Ok(u.to_owned())
}

/// A phone number as `(country code, national number)`. Accepts `+86 138…`, `13800000000`
/// with a separate or default country code, and common separators.
pub fn phone(raw: &str, country_code: Option<&str>, default_cc: &str) -> Result<(String, String)> {
    let digits: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let (cc, national) = match (digits.strip_prefix('+'), country_code) {
        (Some(_), Some(cc)) if !cc.trim().is_empty() => {
            // Full international number plus an explicit code: the code must be its prefix.
            let cc = country_code_norm(cc)?;
            let rest = digits.strip_prefix(&cc).ok_or(Error::InvalidPhone)?;
            (cc, rest.to_owned())
        }
        // An international number alone (`+8613800000000`, `+12025550123`: the form SCIM
        // clients and most directories send) splits by its own calling code.
        (Some(rest), _) => split_international(rest).ok_or(Error::InvalidPhone)?,
        (None, Some(cc)) if !cc.trim().is_empty() => (country_code_norm(cc)?, digits),
        (None, _) => (country_code_norm(default_cc)?, digits),
    };
    if national.len() < 4 || national.len() > 15 || !national.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidPhone);
    }
    if cc == "+86" && !(national.len() == 11 && national.starts_with('1')) {
        return Err(Error::InvalidPhone);
    }
    Ok((cc, national))
}

/// The two-digit country calling codes of ITU-T E.164 (its list of assigned codes, zones 2
/// to 9). Calling codes are prefix-free: zones 1 (North America) and 7 (Russia, Kazakhstan)
/// are one digit, these are two, and every other code is three, so a number splits by its
/// first digits alone.
const TWO_DIGIT_CALLING_CODES: [&str; 44] = [
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// `8613800000000` (the digits after `+`) → (`+86`, `13800000000`); `None` when it is not
/// digits or too short to hold a code and a number.
fn split_international(digits: &str) -> Option<(String, String)> {
    if digits.len() < 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len = match digits.as_bytes()[0] {
        b'1' | b'7' => 1,
        b'0' => return None,
        _ if TWO_DIGIT_CALLING_CODES.contains(&&digits[..2]) => 2,
        _ => 3,
    };
    Some((format!("+{}", &digits[..len]), digits[len..].to_owned()))
}

/// `86`, `+86`, ` +86 ` → `+86`.
pub fn country_code_norm(raw: &str) -> Result<String> {
    let d = raw.trim().trim_start_matches('+');
    if d.is_empty() || d.len() > 4 || !d.bytes().all(|b| b.is_ascii_digit()) || d.starts_with('0') {
        return Err(Error::InvalidParameter("phoneCountryCode"));
    }
    Ok(format!("+{d}"))
}

/// Free-text fields are bounded so that one request cannot store megabytes.
pub fn text(field: &'static str, value: &str) -> Result<()> {
    if value.len() > MAX_TEXT_LEN {
        return Err(Error::InvalidParameter(field));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_unique_case_insensitively() {
        let (shown, key) = email(" Bob@Example.COM ").unwrap();
        assert_eq!(shown, "Bob@Example.COM");
        assert_eq!(key, "bob@example.com");
        assert_eq!(email_key("bob@example.com"), key);
    }

    #[test]
    fn bad_emails_are_2003() {
        let long = format!("{}@x.io", "a".repeat(300));
        for e in [
            "",
            "plain",
            "a@b",
            "@x.io",
            "a@.io",
            "a b@x.io",
            "a@x..io",
            long.as_str(),
        ] {
            assert!(matches!(email(e), Err(Error::InvalidEmail)), "{e}");
        }
    }

    #[test]
    fn usernames_keep_case() {
        assert_eq!(username(" Alice ").unwrap(), "Alice");
        assert!(username("").is_err());
        assert!(username(&"x".repeat(200)).is_err());
    }

    #[test]
    fn phones_split_into_country_code_and_number() {
        assert_eq!(
            phone("13800000000", None, "+86").unwrap(),
            ("+86".into(), "13800000000".into())
        );
        assert_eq!(
            phone("138-0000-0000", Some("86"), "+1").unwrap(),
            ("+86".into(), "13800000000".into())
        );
        assert_eq!(
            phone("+8613800000000", Some("+86"), "+1").unwrap(),
            ("+86".into(), "13800000000".into())
        );
        assert_eq!(
            phone("2025550123", Some("+1"), "+86").unwrap(),
            ("+1".into(), "2025550123".into())
        );
        // International numbers alone split by their calling code (1, 2 or 3 digits).
        for (raw, cc, n) in [
            ("+8613800000000", "+86", "13800000000"),
            ("+1 202-555-0123", "+1", "2025550123"),
            ("+447700900123", "+44", "7700900123"),
            ("+79161234567", "+7", "9161234567"),
            ("+85261234567", "+852", "61234567"),
            ("+886912345678", "+886", "912345678"),
            ("+35312345678", "+353", "12345678"),
        ] {
            assert_eq!(
                phone(raw, None, "+86").unwrap(),
                (cc.into(), n.into()),
                "{raw}"
            );
        }
        // Still checked as any number of its country.
        for bad in ["+8623800000000", "+86", "+0123456789", "+1abc4567890", "+1"] {
            assert!(phone(bad, None, "+86").is_err(), "{bad}");
        }
        for bad in ["", "abc", "123", "1380000000x", "23800000000"] {
            assert!(
                matches!(phone(bad, None, "+86"), Err(Error::InvalidPhone)),
                "{bad}"
            );
        }
        assert!(phone("13800000000", Some("+0"), "+86").is_err());
    }
}
