//! The SDKs' password transport encryption (`v2-wire.md` §4).
//!
//! The official JS SDKs encrypt passwords with the deployment's RSA public key using
//! RSAES-PKCS1-v1_5 and send standard base64. The ciphertext is not left-padded (one in ~200 is
//! one byte short) and astral characters arrive CESU-8 encoded.
//!
//! A decryption that fails on padding does **not** produce a distinct error: that would be the
//! padding oracle of Bleichenbacher's attack (and Marvin's). Instead, as in OpenSSL's "implicit
//! rejection", a deterministic pseudo-random password derived from the ciphertext is returned,
//! so the login simply fails as a wrong password would. Only inputs that cannot be ciphertext at
//! all (not base64, longer than the modulus) are [`Error::PasswordDecrypt`].
//!
//! Implicit rejection is right where the password is *checked* (a login: the made-up password
//! fails like a wrong one). Where a password is *set* (registration, reset, update), it would
//! store a password nobody knows, so [`TransportKey::decrypt_new`] says the decryption failed;
//! the core answers that only within a per-client budget (`service::guard`), so the answer
//! cannot serve as a padding oracle.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::Signer;

use crate::error::{Error, Result};

pub struct TransportKey {
    rsa: Rsa<Private>,
    public_pem: String,
    /// Key for deriving implicit-rejection plaintexts; derived from the private key so every
    /// process sharing the key answers the same.
    rejection_key: PKey<Private>,
}

impl std::fmt::Debug for TransportKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportKey")
            .field("bits", &self.rsa.size())
            .finish()
    }
}

impl TransportKey {
    /// A fresh 2048-bit key, as PKCS#8 PEM.
    pub fn generate_pem() -> Result<String> {
        let rsa = Rsa::generate(2048).map_err(internal)?;
        let pkey = PKey::from_rsa(rsa).map_err(internal)?;
        let pem = pkey.private_key_to_pem_pkcs8().map_err(internal)?;
        String::from_utf8(pem).map_err(|e| Error::Internal(e.to_string()))
    }

    /// Loads a stored PKCS#8 (or PKCS#1) PEM private key.
    pub fn from_pem(pem: &str) -> Result<TransportKey> {
        let pkey = PKey::private_key_from_pem(pem.as_bytes()).map_err(|_| {
            Error::Internal("the password encryption key is not a valid PEM private key".into())
        })?;
        let rsa = pkey
            .rsa()
            .map_err(|_| Error::Internal("the password encryption key is not an RSA key".into()))?;
        if !super::rsa_check::is_consistent(&rsa) {
            return Err(Error::Internal(
                "the password encryption key failed its consistency check".into(),
            ));
        }
        let public_pem = String::from_utf8(pkey.public_key_to_pem().map_err(internal)?)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let der = rsa.private_key_to_der().map_err(internal)?;
        let digest = openssl::hash::hash(MessageDigest::sha256(), &der).map_err(internal)?;
        let rejection_key = PKey::hmac(&digest).map_err(internal)?;
        Ok(TransportKey {
            rsa,
            public_pem,
            rejection_key,
        })
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), the form the SDKs parse.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// Decrypts a password the SDK encrypted, to check it. See the module docs for failure
    /// behaviour.
    pub fn decrypt(&self, ciphertext_b64: &str) -> Result<String> {
        let block = self.block(ciphertext_b64)?;
        match self.private_decrypt(&block) {
            Some(plain) => Ok(plain),
            None => self.implicit_rejection(&block),
        }
    }

    /// Decrypts a password that is about to be set: a ciphertext that is not valid for this
    /// key (plain text, or encrypted with another deployment's key) is
    /// [`Error::PasswordDecrypt`], never a made-up password.
    pub fn decrypt_new(&self, ciphertext_b64: &str) -> Result<String> {
        let block = self.block(ciphertext_b64)?;
        self.private_decrypt(&block).ok_or(Error::PasswordDecrypt)
    }

    /// The ciphertext as one modulus-sized block (left-padded: see the module docs).
    fn block(&self, ciphertext_b64: &str) -> Result<Vec<u8>> {
        let trimmed = ciphertext_b64.trim();
        let raw = STANDARD
            .decode(trimmed)
            .or_else(|_| STANDARD_NO_PAD.decode(trimmed.trim_end_matches('=')))
            .map_err(|_| Error::PasswordDecrypt)?;
        let k = self.rsa.size() as usize;
        if raw.is_empty() || raw.len() > k {
            return Err(Error::PasswordDecrypt);
        }
        let mut block = vec![0u8; k];
        block[k - raw.len()..].copy_from_slice(&raw);
        Ok(block)
    }

    fn private_decrypt(&self, block: &[u8]) -> Option<String> {
        let mut out = vec![0u8; block.len()];
        let n = self
            .rsa
            .private_decrypt(block, &mut out, Padding::PKCS1)
            .ok()?;
        out.truncate(n);
        Some(decode_cesu8_lenient(&out))
    }

    fn implicit_rejection(&self, block: &[u8]) -> Result<String> {
        let mut signer =
            Signer::new(MessageDigest::sha256(), &self.rejection_key).map_err(internal)?;
        signer.update(block).map_err(internal)?;
        let mac = signer.sign_to_vec().map_err(internal)?;
        // A 43-character string no real user typed, so it can only fail verification.
        Ok(format!("\u{1}{}", STANDARD_NO_PAD.encode(mac)))
    }

    /// Encrypts as the SDK does; used by tests and the benchmark client.
    pub fn encrypt_like_sdk(public_pem: &str, password: &str) -> Result<String> {
        let rsa = Rsa::public_key_from_pem(public_pem.as_bytes()).map_err(internal)?;
        let mut out = vec![0u8; rsa.size() as usize];
        let n = rsa
            .public_encrypt(password.as_bytes(), &mut out, Padding::PKCS1)
            .map_err(internal)?;
        out.truncate(n);
        Ok(STANDARD.encode(out))
    }
}

fn internal(e: openssl::error::ErrorStack) -> Error {
    Error::Internal(format!("openssl: {e}"))
}

/// UTF-8, except that a surrogate pair encoded as two 3-byte sequences (CESU-8, which is what
/// JSEncrypt produces for astral characters) is combined into its code point. Anything else
/// invalid becomes U+FFFD.
pub fn decode_cesu8_lenient(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let Some((c, used)) = surrogate_pair_at(&bytes[i..]) {
            out.push(c);
            i += used;
            continue;
        }
        // Take the longest valid UTF-8 prefix, then one replacement for the bad byte.
        match std::str::from_utf8(&bytes[i..]) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                if good > 0 {
                    // Safe: from_utf8 vouched for these bytes.
                    out.push_str(std::str::from_utf8(&bytes[i..i + good]).unwrap_or_default());
                    i += good;
                } else {
                    out.push('\u{FFFD}');
                    i += e.error_len().unwrap_or(1);
                }
            }
        }
    }
    out
}

fn surrogate_at(b: &[u8]) -> Option<u16> {
    if b.len() >= 3
        && b[0] == 0xED
        && (0xA0..=0xBF).contains(&b[1])
        && (0x80..=0xBF).contains(&b[2])
    {
        Some(0xD000 | (u16::from(b[1] & 0x3F) << 6) | u16::from(b[2] & 0x3F))
    } else {
        None
    }
}

fn surrogate_pair_at(b: &[u8]) -> Option<(char, usize)> {
    let hi = surrogate_at(b)?;
    let lo = surrogate_at(b.get(3..)?)?;
    if !(0xD800..=0xDBFF).contains(&hi) || !(0xDC00..=0xDFFF).contains(&lo) {
        return None;
    }
    let cp = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
    char::from_u32(cp).map(|c| (c, 6))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn key() -> &'static TransportKey {
        static KEY: OnceLock<TransportKey> = OnceLock::new();
        KEY.get_or_init(|| TransportKey::from_pem(&TransportKey::generate_pem().unwrap()).unwrap())
    }

    #[test]
    fn round_trip_and_spki_public_key() {
        let k = key();
        assert!(k.public_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
        let c =
            TransportKey::encrypt_like_sdk(k.public_pem(), "p@ss w0rd\u{4e2d}\u{6587}").unwrap();
        assert_eq!(k.decrypt(&c).unwrap(), "p@ss w0rd\u{4e2d}\u{6587}");
    }

    #[test]
    fn short_ciphertexts_are_left_padded() {
        let k = key();
        // Find a ciphertext whose integer has a leading zero byte and strip it, as JSEncrypt
        // does; about one in 256 encryptions qualifies.
        for _ in 0..5000 {
            let c = TransportKey::encrypt_like_sdk(k.public_pem(), "secret1").unwrap();
            let raw = STANDARD.decode(&c).unwrap();
            if raw[0] == 0 {
                let short = STANDARD.encode(&raw[1..]);
                assert_eq!(k.decrypt(&short).unwrap(), "secret1");
                return;
            }
        }
        panic!("no short ciphertext in 5000 tries");
    }

    #[test]
    fn cesu8_surrogates_are_combined() {
        // JSEncrypt's bytes for "😀x".
        let bytes = [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80, b'x'];
        assert_eq!(decode_cesu8_lenient(&bytes), "😀x");
        assert_eq!(
            decode_cesu8_lenient("\u{666e}\u{901a}".as_bytes()),
            "\u{666e}\u{901a}"
        );
        assert_eq!(decode_cesu8_lenient(&[b'a', 0xff, b'b']), "a\u{FFFD}b");
    }

    #[test]
    fn malformed_input_is_a_decrypt_error_and_bad_padding_is_a_silent_mismatch() {
        let k = key();
        assert!(matches!(
            k.decrypt("not base64!!"),
            Err(Error::PasswordDecrypt)
        ));
        assert!(matches!(
            k.decrypt(&STANDARD.encode(vec![1u8; 400])),
            Err(Error::PasswordDecrypt)
        ));
        let garbage = STANDARD.encode(vec![7u8; 256]);
        let a = k.decrypt(&garbage).unwrap();
        let b = k.decrypt(&garbage).unwrap();
        assert_eq!(a, b, "implicit rejection is deterministic");
        assert!(a.starts_with('\u{1}'));
    }

    #[test]
    fn a_password_to_set_must_decrypt_for_this_key() {
        let k = key();
        let c = TransportKey::encrypt_like_sdk(k.public_pem(), "n3w-pass").unwrap();
        assert_eq!(k.decrypt_new(&c).unwrap(), "n3w-pass");
        // Plain text that happens to be base64, and a ciphertext for another key (a client
        // that kept Authing's cloud key): both are refused, not turned into passwords.
        assert!(matches!(
            k.decrypt_new("cGFzc3cwcmQ="),
            Err(Error::PasswordDecrypt)
        ));
        let other = TransportKey::from_pem(&TransportKey::generate_pem().unwrap()).unwrap();
        let foreign = TransportKey::encrypt_like_sdk(other.public_pem(), "n3w-pass").unwrap();
        assert!(matches!(
            k.decrypt_new(&foreign),
            Err(Error::PasswordDecrypt)
        ));
        assert!(matches!(
            k.decrypt_new("passw0rd!"),
            Err(Error::PasswordDecrypt)
        ));
        // Checking a password keeps implicit rejection.
        assert!(k.decrypt(&foreign).unwrap().starts_with('\u{1}'));
    }

    #[test]
    fn a_corrupt_key_is_refused_with_a_clear_message() {
        // Test fixture: a PEM frame around no key material, not a key. Real keys are
        // generated at first start, never committed.
        let err = TransportKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("password encryption key"));
    }
}
