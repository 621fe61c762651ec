//! TOTP (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1, 6 digits, 30-second steps — what every
//! authenticator app assumes when an `otpauth://` URI names nothing else — and the base32
//! (RFC 4648, no padding) spelling of secrets those apps read.

use crate::error::{Error, Result};

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// 160 bits, the HMAC-SHA1 block output RFC 4226 §4 recommends as the secret's length.
pub const SECRET_BYTES: usize = 20;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The step a moment (epoch seconds) falls in.
pub fn step_at(epoch_secs: i64) -> i64 {
    epoch_secs.div_euclid(STEP_SECS)
}

/// HOTP (RFC 4226 §5) of `secret` (raw bytes) at counter `step`: the TOTP code of that
/// step, zero-padded to [`DIGITS`].
pub fn hotp(secret: &[u8], step: i64) -> Result<String> {
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::sign::Signer;
    let internal = |e: openssl::error::ErrorStack| Error::Internal(format!("openssl: {e}"));
    let key = PKey::hmac(secret).map_err(internal)?;
    let mut signer = Signer::new(MessageDigest::sha1(), &key).map_err(internal)?;
    let mac = signer
        .sign_oneshot_to_vec(&step.to_be_bytes())
        .map_err(internal)?;
    // Dynamic truncation (RFC 4226 §5.3): the low nibble of the last byte picks 4 bytes.
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .ok_or_else(|| Error::Internal("short HMAC".into()))?;
    let bin = u32::from_be_bytes([word[0] & 0x7f, word[1], word[2], word[3]]);
    Ok(format!(
        "{:0width$}",
        bin % 10u32.pow(DIGITS),
        width = DIGITS as usize
    ))
}

/// Base32 without padding, upper case.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Reads base32 as authenticator apps and other systems write it: any case, spaces and
/// `=` padding ignored. `None` for any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        if matches!(c, b' ' | b'=' | b'-') {
            continue;
        }
        let v = BASE32.iter().position(|&a| a == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    Some(out)
}

/// The step within ±1 of `now_step` whose code `given` is, if any. Every candidate is
/// compared in constant time, so the timing tells nothing about which step was close.
pub fn matching_step(secret: &[u8], given: &str, now_step: i64) -> Result<Option<i64>> {
    let given = given.trim();
    if given.len() != DIGITS as usize || !given.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let mut found = None;
    for step in [now_step - 1, now_step, now_step + 1] {
        if super::ct_eq(hotp(secret, step)?.as_bytes(), given.as_bytes()) {
            // The newest matching step, so a code is never accepted again at a later one.
            found = Some(step);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA1 rows, last 6 digits (the RFC prints 8).
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, want) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(hotp(secret, step_at(t)).unwrap(), want, "t={t}");
        }
    }

    #[test]
    fn base32_round_trip_and_rfc_4648_vectors() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW 6YTB OI").unwrap(), b"foobar");
        assert!(base32_decode("MZ1").is_none());
        let raw: Vec<u8> = (0u8..20).collect();
        assert_eq!(base32_decode(&base32_encode(&raw)).unwrap(), raw);
    }

    #[test]
    fn a_window_of_one_step_each_side() {
        let secret = b"12345678901234567890";
        let now = step_at(1_111_111_111);
        let c = hotp(secret, now - 1).unwrap();
        assert_eq!(matching_step(secret, &c, now).unwrap(), Some(now - 1));
        let far = hotp(secret, now - 2).unwrap();
        assert_eq!(matching_step(secret, &far, now).unwrap(), None);
        assert_eq!(matching_step(secret, "12345", now).unwrap(), None);
        assert_eq!(matching_step(secret, "abcdef", now).unwrap(), None);
    }
}
