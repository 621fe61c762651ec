//! v3 `userFieldDecrypt`: content encrypted with a customer's public key, opened with the
//! private key the caller sends. Tessera stores no field encrypted this way; the call is a
//! pure function for content encrypted elsewhere (an export of Authing's encrypted user
//! fields being moved in, say), with the two schemes the SDKs already use for passwords:
//! - RSA (a PEM private key, PKCS#8 or PKCS#1): RSAES-PKCS1-v1_5, the content base64, as
//!   `transport.rs` reads a password; 1024 to 4096-bit keys;
//! - SM2 (a private key of 64 hex digits): hex `C1 ‖ C3 ‖ C2` as `sm-crypto` writes it
//!   (`sm2.rs`).
//!
//! The caller holds the private key already, so success or failure tells them nothing they
//! could not compute; still, nothing here logs or returns the key, and every failure is the
//! caller's `InvalidParameter`, never an internal error carrying key text.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use openssl::pkey::{PKey, Private};
use openssl::rsa::{Padding, Rsa};

use super::sm2::Sm2Key;
use crate::error::{Error, Result};

/// Longest private key text and content accepted.
pub const MAX_KEY_LEN: usize = 16 * 1024;
pub const MAX_CONTENT_LEN: usize = 8 * 1024;

/// A parsed private key of one of the two schemes.
pub enum FieldKey {
    Rsa(Rsa<Private>),
    Sm2(Box<Sm2Key>),
}

impl FieldKey {
    /// The key as sent: PEM for RSA, 64 hex digits for SM2; anything else is
    /// `InvalidParameter("privateKey")`.
    pub fn parse(private_key: &str) -> Result<FieldKey> {
        let bad = || Error::InvalidParameter("privateKey");
        let text = private_key.trim();
        if text.is_empty() {
            return Err(Error::MissingParameter("privateKey"));
        }
        if text.len() > MAX_KEY_LEN {
            return Err(bad());
        }
        if text.starts_with("-----BEGIN") {
            let pkey = PKey::private_key_from_pem(text.as_bytes()).map_err(|_| bad())?;
            let rsa = pkey.rsa().map_err(|_| bad())?;
            // Bounded work per call: 1024 to 4096-bit moduli only.
            if !(128..=512).contains(&rsa.size()) || !super::rsa_check::is_consistent(&rsa) {
                return Err(bad());
            }
            return Ok(FieldKey::Rsa(rsa));
        }
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Sm2Key::from_hex(text)
                .map(|k| FieldKey::Sm2(Box::new(k)))
                .map_err(|_| bad());
        }
        Err(bad())
    }

    /// One content decrypted, as UTF-8 text; a content that does not open with this key is
    /// `InvalidParameter("encryptedContent")`.
    pub fn decrypt(&self, content: &str) -> Result<String> {
        let bad = || Error::InvalidParameter("encryptedContent");
        let content = content.trim();
        if content.is_empty() {
            return Err(Error::MissingParameter("encryptedContent"));
        }
        if content.len() > MAX_CONTENT_LEN {
            return Err(bad());
        }
        let plain = match self {
            FieldKey::Rsa(rsa) => {
                let raw = STANDARD
                    .decode(content)
                    .or_else(|_| STANDARD_NO_PAD.decode(content.trim_end_matches('=')))
                    .map_err(|_| bad())?;
                let k = rsa.size() as usize;
                if raw.is_empty() || raw.len() > k {
                    return Err(bad());
                }
                // A ciphertext whose big-endian integer is short by leading zeros, as some
                // encoders write it, is left-padded to the modulus size.
                let mut block = vec![0u8; k];
                block[k - raw.len()..].copy_from_slice(&raw);
                let mut out = vec![0u8; k];
                let n = rsa
                    .private_decrypt(&block, &mut out, Padding::PKCS1)
                    .map_err(|_| bad())?;
                out.truncate(n);
                out
            }
            FieldKey::Sm2(key) => key.decrypt(content).map_err(|_| bad())?,
        };
        String::from_utf8(plain).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_and_sm2_contents_open_with_their_keys_only() {
        let pem = super::super::transport::TransportKey::generate_pem().unwrap();
        let key = super::super::transport::TransportKey::from_pem(&pem).unwrap();
        let sealed = super::super::transport::TransportKey::encrypt_like_sdk(
            key.public_pem(),
            "13800000000",
        )
        .unwrap();
        let rsa = FieldKey::parse(&pem).unwrap();
        assert_eq!(rsa.decrypt(&sealed).unwrap(), "13800000000");
        assert!(matches!(
            rsa.decrypt("bm90IGEgY2lwaGVydGV4dA=="),
            Err(Error::InvalidParameter("encryptedContent"))
        ));

        let hex = Sm2Key::generate_hex().unwrap();
        let sm2_key = Sm2Key::from_hex(&hex).unwrap();
        let sealed = Sm2Key::encrypt(sm2_key.public_hex(), "张三".as_bytes()).unwrap();
        let sm2 = FieldKey::parse(&hex).unwrap();
        assert_eq!(sm2.decrypt(&sealed).unwrap(), "张三");
        assert!(rsa.decrypt(&sealed).is_err());

        for bad in [
            "",
            "not a key",
            // Test fixture: a PEM frame around garbage, not a key (keys used above are
            // generated by the test; none is committed).
            "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----",
        ] {
            assert!(FieldKey::parse(bad).is_err(), "{bad}");
        }
        let zero = "0".repeat(64);
        assert!(matches!(
            FieldKey::parse(&zero),
            Err(Error::InvalidParameter("privateKey"))
        ));
    }
}
