//! Alipay's RSA2 request signing (Alipay open platform, "自行实现签名"): the parameters
//! other than `sign` sorted by name and joined as `k=v&k=v` (values as they are, not
//! encoded), signed with RSA-SHA256 (PKCS#1 v1.5) under the application's private key, the
//! signature in base64. The key is as Alipay's key tool writes it: PEM, or the bare base64 of
//! a PKCS#8 or PKCS#1 DER key.

use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;

/// Why a connection's private key cannot sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AlipayKeyError {
    #[error("the Alipay private key is not a readable RSA private key")]
    Unreadable,
    #[error("signing with the Alipay private key failed")]
    Signing,
}

/// Reads a private key: PEM (`-----BEGIN …`), else base64 of DER, PKCS#8 or PKCS#1.
pub fn private_key(text: &str) -> Result<PKey<Private>, AlipayKeyError> {
    let text = text.trim();
    let key = if text.starts_with("-----BEGIN") {
        PKey::private_key_from_pem(text.as_bytes()).map_err(|_| AlipayKeyError::Unreadable)?
    } else {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| AlipayKeyError::Unreadable)?;
        PKey::private_key_from_pkcs8(&der)
            .or_else(|_| PKey::private_key_from_der(&der))
            .map_err(|_| AlipayKeyError::Unreadable)?
    };
    if key.rsa().is_err() {
        return Err(AlipayKeyError::Unreadable);
    }
    Ok(key)
}

/// The string Alipay signs: `params` sorted by name, `k=v` joined by `&`, empty values left
/// out (Alipay's rule for the content to sign).
pub fn signing_content(params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = params.iter().filter(|(_, v)| !v.is_empty()).collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// RSA2: base64 of RSA-SHA256 over `content` under `key`.
pub fn sign_rsa2(key: &PKey<Private>, content: &str) -> Result<String, AlipayKeyError> {
    let mut signer =
        Signer::new(MessageDigest::sha256(), key).map_err(|_| AlipayKeyError::Signing)?;
    signer
        .update(content.as_bytes())
        .map_err(|_| AlipayKeyError::Signing)?;
    let sig = signer.sign_to_vec().map_err(|_| AlipayKeyError::Signing)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sig))
}

/// Percent-encoding of everything but RFC 3986's unreserved characters, as a form or query
/// value (`+` → `%2B`, `/` → `%2F`, `=` → `%3D`).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The signed parameter string of the app SDK's login (`authInfo`): the sorted content,
/// then `&sign=` and the URL-encoded signature.
pub fn signed_auth_info(
    key: &PKey<Private>,
    params: &[(&str, &str)],
) -> Result<String, AlipayKeyError> {
    let content = signing_content(params);
    let sign = sign_rsa2(key, &content)?;
    Ok(format!("{content}&sign={}", url_encode(&sign)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::rsa::Rsa;
    use openssl::sign::Verifier;

    fn key() -> PKey<Private> {
        PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
    }

    fn url_decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn content_is_sorted_and_skips_empty_values() {
        let c = signing_content(&[("b", "2"), ("a", "1"), ("c", ""), ("app_id", "x")]);
        assert_eq!(c, "a=1&app_id=x&b=2");
    }

    #[test]
    fn auth_info_signature_verifies_with_the_public_key() {
        let k = key();
        let info =
            signed_auth_info(&k, &[("pid", "2088"), ("app_id", "2021"), ("apiname", "x")]).unwrap();
        let (content, sign) = info.split_once("&sign=").unwrap();
        assert_eq!(content, "apiname=x&app_id=2021&pid=2088");
        assert!(!sign.contains('+') && !sign.contains('/') && !sign.contains('='));
        let sig = base64::engine::general_purpose::STANDARD
            .decode(url_decode(sign))
            .unwrap();
        let public = PKey::public_key_from_pem(&k.public_key_to_pem().unwrap()).unwrap();
        let mut v = Verifier::new(MessageDigest::sha256(), &public).unwrap();
        v.update(content.as_bytes()).unwrap();
        assert!(v.verify(&sig).unwrap());
        // Another content does not verify.
        let mut v = Verifier::new(MessageDigest::sha256(), &public).unwrap();
        v.update(b"apiname=x&app_id=2022&pid=2088").unwrap();
        assert!(!v.verify(&sig).unwrap());
    }

    #[test]
    fn keys_are_read_as_pem_pkcs8_base64_and_pkcs1_base64() {
        let k = key();
        let b64 = |d: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(d);
        let pem = String::from_utf8(k.private_key_to_pem_pkcs8().unwrap()).unwrap();
        let pkcs8 = b64(k.private_key_to_pkcs8().unwrap());
        let pkcs1 = b64(k.rsa().unwrap().private_key_to_der().unwrap());
        for text in [pem, pkcs8, pkcs1] {
            let read = private_key(&text).unwrap();
            assert!(read.public_eq(&k));
        }
        assert_eq!(
            private_key("not a key").err(),
            Some(AlipayKeyError::Unreadable)
        );
        assert_eq!(private_key("QUJD").err(), Some(AlipayKeyError::Unreadable));
    }

    #[test]
    fn url_encoding_of_base64() {
        assert_eq!(url_encode("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(
            url_encode("2024-01-01 10:00:00"),
            "2024-01-01%2010%3A00%3A00"
        );
    }
}
