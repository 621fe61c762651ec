//! Encryption at rest of secrets the deployment must give back (ASA form-filling accounts,
//! `service::asa_accounts`): AES-256-GCM under a deployment key kept with the other
//! deployment secrets (`secret_names::ASA_SEALING_KEY`).
//!
//! A sealed value is `v1.` followed by base64url (no padding) of `nonce ‖ ciphertext ‖ tag`
//! (12-byte random nonce, 16-byte tag). The caller's associated data binds a sealed value to
//! the row it belongs to, so a value copied to another row (another account, application or
//! pool) does not open. The version prefix leaves room for a later key or algorithm.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};

use crate::error::{Error, Result};

const PREFIX: &str = "v1.";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

fn ossl(e: openssl::error::ErrorStack) -> Error {
    Error::Internal(format!("openssl: {e}"))
}

/// The deployment's sealing key. Its `Debug` never shows the key.
pub struct SealingKey([u8; KEY_LEN]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// A fresh key as stored: 64 lowercase hex digits.
    pub fn generate_hex() -> Result<String> {
        let mut k = [0u8; KEY_LEN];
        openssl::rand::rand_bytes(&mut k).map_err(ossl)?;
        Ok(crate::ids::hex(&k))
    }

    /// Reads a stored key; anything but 64 hex digits is a corrupt key (start-up stops).
    pub fn from_hex(s: &str) -> Result<SealingKey> {
        let s = s.trim();
        if s.len() != KEY_LEN * 2 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Internal(
                "the stored sealing key is malformed".into(),
            ));
        }
        let mut k = [0u8; KEY_LEN];
        for (i, byte) in k.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16)
                .map_err(|_| Error::Internal("the stored sealing key is malformed".into()))?;
        }
        Ok(SealingKey(k))
    }

    /// Seals `plaintext` for the row `aad` names.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        openssl::rand::rand_bytes(&mut nonce).map_err(ossl)?;
        let mut tag = [0u8; TAG_LEN];
        let ct = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            aad,
            plaintext,
            &mut tag,
        )
        .map_err(ossl)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out.extend_from_slice(&tag);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a sealed value of the row `aad` names. A value that is malformed, of another
    /// row or key, or altered is a storage error: it never came from this key for this row.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>> {
        let corrupt = || Error::Storage("a sealed value does not open".into());
        let body = sealed.strip_prefix(PREFIX).ok_or_else(corrupt)?;
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| corrupt())?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(corrupt());
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        decrypt_aead(Cipher::aes_256_gcm(), &self.0, Some(nonce), aad, ct, tag)
            .map_err(|_| corrupt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SealingKey {
        SealingKey::from_hex(&SealingKey::generate_hex().unwrap()).unwrap()
    }

    #[test]
    fn seals_and_opens_for_the_same_row_only() {
        let k = key();
        let sealed = k.seal(b"hunter2", b"row-a").unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("hunter2"));
        assert_eq!(k.open(&sealed, b"row-a").unwrap(), b"hunter2");
        assert!(k.open(&sealed, b"row-b").is_err());
        assert!(key().open(&sealed, b"row-a").is_err());
        // Two seals of one value differ (fresh nonce).
        assert_ne!(sealed, k.seal(b"hunter2", b"row-a").unwrap());
    }

    #[test]
    fn altered_or_malformed_values_do_not_open() {
        let k = key();
        let sealed = k.seal(b"secret", b"r").unwrap();
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        assert!(k.open(&altered, b"r").is_err());
        assert!(k.open("v1.", b"r").is_err());
        assert!(k.open("plain", b"r").is_err());
        assert!(SealingKey::from_hex("zz").is_err());
        assert_eq!(format!("{k:?}"), "SealingKey(..)");
    }
}
