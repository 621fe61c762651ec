//! Passwords as the v3 clients send them (`v3-wire.md` §7): plain, RSA (PKCS#1 v1.5,
//! base64) or SM2 (hex C1‖C3‖C2), said by `passwordEncryptType`; absent means plain.

use serde::Deserialize;
use tessera_core::crypto::PasswordEncryption;
use tessera_core::{Core, Error};

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Encryption {
    #[default]
    None,
    Rsa,
    Sm2,
}

impl Encryption {
    fn core(self) -> PasswordEncryption {
        match self {
            Encryption::None => PasswordEncryption::None,
            Encryption::Rsa => PasswordEncryption::Rsa,
            Encryption::Sm2 => PasswordEncryption::Sm2,
        }
    }
}

/// A password to check (a login, an old password). A ciphertext that does not decrypt is a
/// password that cannot match, as the core's implicit rejection makes it.
pub async fn to_check(core: &Core, enc: Encryption, text: &str) -> Result<String, Error> {
    core.decrypt_password_as(enc.core(), text).await
}

/// A password to set (sign-up, reset, update): one that does not decrypt is refused
/// (`Error::PasswordDecrypt`), never stored as some other password.
pub async fn to_set(
    core: &Core,
    enc: Encryption,
    text: &str,
    ip: Option<&str>,
) -> Result<String, Error> {
    core.decrypt_new_password_as(enc.core(), text, ip).await
}

/// Whether `text` has the shape of a ciphertext of `enc`: RSA, standard base64 of a
/// 1024- to 4096-bit block; SM2, lowercase or uppercase hex of at least C1‖C3 and one byte.
/// No password a person types looks like either.
fn looks_encrypted(enc: Encryption, text: &str) -> bool {
    use base64::Engine;
    match enc {
        Encryption::None => false,
        Encryption::Rsa => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .is_ok_and(|b| [128, 256, 384, 512].contains(&b.len())),
        Encryption::Sm2 => {
            let t = text.trim().strip_prefix("sm2:").unwrap_or(text.trim());
            t.len() >= 2 * (64 + 32 + 1)
                && t.len().is_multiple_of(2)
                && t.bytes().all(|b| b.is_ascii_hexdigit())
        }
    }
}

/// A password to check that the client may or may not have encrypted (an old password,
/// which the mini-program sends in plain text beside an encrypted new one, §6.2).
pub async fn to_check_or_plain(core: &Core, enc: Encryption, text: &str) -> Result<String, Error> {
    if looks_encrypted(enc, text) {
        to_check(core, enc, text).await
    } else {
        Ok(text.to_owned())
    }
}
