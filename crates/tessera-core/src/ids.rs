//! Identifiers and generated secrets.
//!
//! Authing ids are 24 hex digits (MongoDB ObjectIds) and SDK users store them, so ours look the
//! same: four bytes of seconds since the epoch followed by eight random bytes. The time prefix
//! keeps ids roughly ordered by creation, which gives lists a stable order and B-tree inserts
//! locality.

use rand::rngs::OsRng;
use rand::RngCore;

use crate::clock;

/// A new 24-hex-digit id.
pub fn new_id() -> String {
    let secs = (clock::now_ms() / 1000) as u32;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&secs.to_be_bytes());
    OsRng.fill_bytes(&mut bytes[4..]);
    hex(&bytes)
}

/// A random secret of `n_bytes` bytes of entropy, as lowercase hex.
pub fn new_secret(n_bytes: usize) -> String {
    let mut bytes = vec![0u8; n_bytes];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// A random token for URLs and headers: `n_bytes` bytes, base64url without padding.
pub fn new_url_token(n_bytes: usize) -> String {
    use base64::Engine;
    let mut bytes = vec![0u8; n_bytes];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

/// True if `s` has the shape of an id made by [`new_id`] (or by Authing).
pub fn is_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_24_hex_and_distinct() {
        let a = new_id();
        let b = new_id();
        assert!(is_id(&a), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_have_the_requested_entropy() {
        assert_eq!(new_secret(16).len(), 32);
        assert_ne!(new_secret(16), new_secret(16));
        assert_eq!(new_url_token(32).len(), 43);
    }
}
