//! Cryptography: password hashing, the SDKs' password transport encryption (RSA and SM2), JWS
//! and the signing key ring. Everything here is synchronous and CPU-bound; services call the
//! expensive parts from blocking threads.

pub mod alipay_sign;
pub mod ec;
pub mod field_decrypt;
pub mod jwt;
pub mod keyring;
pub mod password;
pub mod rsa_check;
pub mod sealing;
pub mod sm2;
pub mod totp;
pub mod transport;
pub mod webauthn;
pub mod wechat_data;

/// How a client encrypted a password for transport. The façades map their wire's flag onto
/// it (v3's `passwordEncryptType`: absent means plain); the core decrypts accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordEncryption {
    /// Sent as typed.
    #[default]
    None,
    /// RSAES-PKCS1-v1_5 with the deployment's RSA key, base64 (`transport.rs`).
    Rsa,
    /// SM2 with the deployment's SM2 key, hex `C1 ‖ C3 ‖ C2` (`sm2.rs`).
    Sm2,
}

/// Constant-time equality of secrets. Unequal lengths answer false at once: lengths of our
/// secrets are public.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a, b)
}

/// base64 (standard alphabet, padded) of HMAC-SHA1(`key`, `data`): the v3 management
/// request signature (`v3-wire.md` §3.1).
pub fn hmac_sha1_b64(key: &[u8], data: &[u8]) -> crate::error::Result<String> {
    use base64::Engine;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::sign::Signer;
    let internal =
        |e: openssl::error::ErrorStack| crate::error::Error::Internal(format!("openssl: {e}"));
    let key = PKey::hmac(key).map_err(internal)?;
    let mut signer = Signer::new(MessageDigest::sha1(), &key).map_err(internal)?;
    let mac = signer.sign_oneshot_to_vec(data).map_err(internal)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(mac))
}

/// SHA-256 of `s`, as lowercase hex: how secrets handed to browsers and clients (cookies,
/// codes, refresh tokens) are stored, so a copy of the database holds no usable one.
pub fn digest(s: &str) -> String {
    crate::ids::hex(&openssl::sha::sha256(s.as_bytes()))
}

/// base64url (no padding) of SHA-256 of `s`: PKCE's S256 challenge (RFC 7636 §4.2).
pub fn sha256_b64url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(openssl::sha::sha256(s.as_bytes()))
}

/// OIDC's `at_hash` / `c_hash` for RS256 and HS256: base64url of the left half of the SHA-256
/// of the token's ASCII (OIDC Core §3.1.3.6, §3.3.2.11).
pub fn half_sha256_b64url(s: &str) -> String {
    use base64::Engine;
    let h = openssl::sha::sha256(s.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&h[..16])
}

#[cfg(test)]
mod digest_tests {
    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            super::sha256_b64url("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
